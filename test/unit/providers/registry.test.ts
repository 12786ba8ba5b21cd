// The registry picks the provider named in spec.provider, refuses unsupported ones by name, and
// never loads the GCP SDK (~18 MB RSS) until a gcpsm client is actually created.
import { InvalidRefError } from '../../../src/providers/core/errors';
import { createClient } from '../../../src/providers/registry';
import type { ProviderContext } from '../../../src/providers/core/types';

// Counts requires of the SDK through jest's module registry (the factory runs on first require; the
// count lives on globalThis so that an eager import at module load is counted too, not a crash).
// The v1 entry is what the factory requires (src/providers/gcp/index.ts); the package index, which
// also loads v1beta2 and the static protobuf module, is counted apart and must stay unloaded.
jest.mock('@google-cloud/secret-manager/build/src/v1', () => {
  const g = globalThis as { mockSdkLoads?: number };
  g.mockSdkLoads = (g.mockSdkLoads ?? 0) + 1;
  return jest.requireActual('@google-cloud/secret-manager/build/src/v1');
});
jest.mock('@google-cloud/secret-manager', () => {
  const g = globalThis as { mockSdkIndexLoads?: number };
  g.mockSdkIndexLoads = (g.mockSdkIndexLoads ?? 0) + 1;
  return jest.requireActual('@google-cloud/secret-manager');
});
const sdkLoads = () => (globalThis as { mockSdkLoads?: number }).mockSdkLoads ?? 0;

const ctx: ProviderContext = {
  namespace: 'default',
  readSecretKey: () => Promise.reject(new Error('unused')),
};

test('fake stores work without loading the GCP SDK', async () => {
  const c = await createClient({ fake: { data: [{ key: 'k', value: 'v' }] } }, ctx);
  expect(Buffer.from(await c.getSecret({ key: 'k' })).toString()).toBe('v');
  await c.close();
  expect(sdkLoads()).toBe(0);
});

test('unsupported and ambiguous provider specs are refused with what is supported', async () => {
  await expect(createClient({ vault: {} }, ctx)).rejects.toThrow(
    'provider "vault" is not supported; supported providers: fake, gcpsm, aws',
  );
  await expect(createClient({}, ctx)).rejects.toThrow(
    /names no provider; set exactly one of: fake, gcpsm, aws/,
  );
  await expect(createClient({ fake: {}, gcpsm: {} }, ctx)).rejects.toThrow(/2 providers \(fake, gcpsm\)/);
  await expect(createClient({ toString: {} }, ctx)).rejects.toBeInstanceOf(InvalidRefError);
  await expect(createClient({ gcpsm: { auth: { workloadIdentity: {} } } }, ctx)).rejects.toThrow(
    'gcpsm.auth.workloadIdentity.serviceAccountRef is required',
  );
  await expect(createClient({ gcpsm: { secretVersionSelectionPolicy: 'Newest' } }, ctx)).rejects.toThrow(
    /LatestOrFail or LatestOrFetch/,
  );
  expect(sdkLoads()).toBe(0);
});

test("creating a gcpsm client loads the SDK's v1 entry (not the package index), once", async () => {
  const env = { GOOGLE_CLOUD_PROJECT: 'p' };
  const a = await createClient({ gcpsm: { projectID: 'p' } }, ctx, { gcp: { env } });
  expect(sdkLoads()).toBe(1);
  const b = await createClient({ gcpsm: { location: 'europe-west1' } }, ctx, { gcp: { env } });
  expect(sdkLoads()).toBe(1);
  expect((globalThis as { mockSdkIndexLoads?: number }).mockSdkIndexLoads ?? 0).toBe(0);
  await Promise.all([a.close(), b.close()]);
});

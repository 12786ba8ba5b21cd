// Bad manifests are rejected at admission by the CRDs' OpenAPI schema and CEL rules, with a
// message that says what to fix (checked with server-side dry-run against the real apiserver).
import { kubectl } from '../../support/apply';
import { installDeploy } from '../../support/controller';

beforeAll(() => installDeploy());

async function rejection(yaml: string): Promise<string> {
  try {
    await kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], yaml);
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  throw new Error('manifest was accepted');
}

const es = (spec: string) => `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: bad, namespace: default}
spec:
${spec}`;

const store = (provider: string) => `
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: bad, namespace: default}
spec:
  provider:
${provider}`;

test.each([
  [
    'two providers in one store',
    store('    fake: {data: []}\n    gcpsm: {projectID: p}'),
    /only one provider/,
  ],
  [
    'an unsupported provider',
    store('    vault: {server: "https://vault"}'),
    /vault is not supported.*gcpsm, aws, fake/,
  ],
  [
    'a bad duration',
    es(
      '  refreshInterval: 1hour\n  secretStoreRef: {name: s}\n  data: [{secretKey: a, remoteRef: {key: k}}]',
    ),
    /refreshInterval.*duration/,
  ],
  [
    'an empty remoteRef.key',
    es('  secretStoreRef: {name: s}\n  data: [{secretKey: a, remoteRef: {key: ""}}]'),
    /remoteRef\.key/,
  ],
  [
    'an invalid secretKey',
    es('  secretStoreRef: {name: s}\n  data: [{secretKey: "bad/key", remoteRef: {key: k}}]'),
    /secretKey/,
  ],
  ['neither data nor dataFrom', es('  secretStoreRef: {name: s}'), /either data or dataFrom must be set/],
  [
    'deletionPolicy Delete with creationPolicy Merge',
    es(
      '  secretStoreRef: {name: s}\n  target: {creationPolicy: Merge, deletionPolicy: Delete}\n  data: [{secretKey: a, remoteRef: {key: k}}]',
    ),
    /deletionPolicy Delete needs a Secret the controller creates/,
  ],
])('rejects %s', async (_what, yaml, message) => {
  expect(await rejection(yaml)).toMatch(message);
});

test('accepts a valid manifest at both versions', async () => {
  for (const v of ['v1', 'v1beta1']) {
    await kubectl(
      ['apply', '--server-side', '--dry-run=server', '-f', '-'],
      es('  secretStoreRef: {name: s}\n  data: [{secretKey: a, remoteRef: {key: k}}]').replace(
        'external-secrets.io/v1',
        `external-secrets.io/${v}`,
      ),
    );
  }
});

// target.template end to end, as ESO renders it: label and annotation values are templates, and
// binary values (a PKCS#12-sized blob with invalid UTF-8) pass through templates byte for byte.
import { randomBytes } from 'node:crypto';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { createObject, readEs, readSecret, ready } from '../../support/es';
import { eventually } from '../../support/eventually';
import { createNamespace, deleteNamespace } from '../../support/kube';

jest.setTimeout(60_000);

/** A sync against the in-process fake provider: informer delivery, one fetch, one write. */
const SYNC_MS = 15_000;
/** 2,949 random bytes, as the reported PKCS#12 bundle; 0xff makes them invalid UTF-8 for sure. */
const P12 = Buffer.concat([Buffer.from([0xff, 0xfe, 0x80]), randomBytes(2946)]);

let ns: string;
let ctl: TestController | undefined;

beforeAll(async () => {
  ns = await createNamespace('es-tpl');
  await installDeploy();
  await createObject({
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name: 'fake', namespace: ns },
    spec: {
      provider: {
        fake: {
          data: [
            { key: 'app', value: 'Billing' },
            { key: 'p12', value: P12.toString('base64') },
          ],
        },
      },
    },
  });
  ctl = await startController(ns);
});

afterAll(async () => {
  await ctl?.stop();
  await deleteNamespace(ns);
});

function es(name: string, template: Record<string, unknown>) {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name, namespace: ns },
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { name: 'fake' },
      target: { name, template },
      data: [
        { secretKey: 'app', remoteRef: { key: 'app' } },
        { secretKey: 'p12', remoteRef: { key: 'p12', decodingStrategy: 'Base64' } },
      ],
    },
  };
}

async function synced(name: string) {
  await eventually(async () => expect(ready(await readEs(ns, name))).toMatchObject({ status: 'True' }), {
    timeoutMs: SYNC_MS,
    what: `${name} synced`,
  });
  return (await readSecret(ns, name))!;
}

test('template.metadata label and annotation values are rendered over the values', async () => {
  await createObject(
    es('labelled', {
      metadata: {
        labels: { app: '{{ .app | lower }}' },
        annotations: { 'example.com/app': 'app is {{ .app }}' },
      },
    }),
  );
  const s = await synced('labelled');
  expect(s.metadata?.labels?.app).toBe('billing');
  expect(s.metadata?.annotations?.['example.com/app']).toBe('app is Billing');
});

test('a label template error is Ready=False TemplateError naming the label, without the values', async () => {
  await createObject(es('broken', { metadata: { labels: { app: '{{ .app }}{{ .missing }}' } } }));
  await eventually(
    async () =>
      expect(ready(await readEs(ns, 'broken'))).toMatchObject({ status: 'False', reason: 'TemplateError' }),
    { timeoutMs: SYNC_MS, what: 'Ready=False TemplateError' },
  );
  const message = ready(await readEs(ns, 'broken')).message ?? '';
  expect(message).toContain('template.metadata.labels.app');
  expect(message).toContain('missing');
  expect(message).not.toContain('Billing');
});

test('binary values pass through templates byte for byte: {{ .p12 }}, b64enc, and without a template', async () => {
  await createObject(es('binary', { data: { copy: '{{ .p12 }}', b64: '{{ .p12 | b64enc }}' } }));
  const s = await synced('binary');
  const copy = Buffer.from(s.data!.copy!, 'base64');
  expect(copy.length).toBe(2949);
  expect(copy.equals(P12)).toBe(true);
  expect(Buffer.from(s.data!.b64!, 'base64').toString()).toBe(P12.toString('base64'));

  const plain = es('plain', {});
  delete (plain.spec.target as { template?: unknown }).template;
  await createObject(plain);
  expect(Buffer.from((await synced('plain')).data!.p12!, 'base64').equals(P12)).toBe(true);
});

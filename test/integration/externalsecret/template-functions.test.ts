// ESO's PKCS#12 template functions end to end: a base64 PKCS#12 bundle in the provider becomes a
// key and a certificate chain in the Secret; a wrong password is Ready=False TemplateError that
// names neither the password nor the bundle.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyYaml } from '../../support/apply';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { decoded, readEs, readSecret, ready } from '../../support/es';
import { eventually } from '../../support/eventually';
import { createNamespace, deleteNamespace } from '../../support/kube';

const fixtures = join(__dirname, '..', '..', 'unit', 'gocompat', 'template', 'fixtures', 'crypto');
const fixture = (name: string) => readFileSync(join(fixtures, name));
const P12 = fixture('leaf-legacy-pass.p12').toString('base64');
const PASS = 'test-only-pass';
const WRONG = 'CANARY-wrong-password';
let ns: string;
let ctl: TestController | undefined;

const esYaml = (name: string, password: string) => `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: ${name}, namespace: ${ns}}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: fake}
  target:
    template:
      type: kubernetes.io/tls
      data:
        tls.key: '{{ .bundle | b64dec | pkcs12keyPass .password }}'
        tls.crt: '{{ .bundle | b64dec | pkcs12certPass .password }}'
  data:
    - {secretKey: bundle, remoteRef: {key: bundle}}
    - {secretKey: password, remoteRef: {key: ${password}}}
`;

beforeAll(async () => {
  ns = await createNamespace('es-tplfn');
  await installDeploy();
  await applyYaml(`
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: fake, namespace: ${ns}}
spec:
  provider:
    fake:
      data: ${JSON.stringify([
        { key: 'bundle', value: P12 },
        { key: 'right', value: PASS },
        { key: 'wrong', value: WRONG },
      ])}
`);
  ctl = await startController(ns);
});

afterAll(async () => {
  await ctl?.stop();
  await deleteNamespace(ns);
  const logs = ctl?.logs.join('') ?? '';
  expect(logs).not.toContain(WRONG);
  expect(logs).not.toContain(P12.slice(0, 40));
});

test('a legacy PKCS#12 bundle becomes a kubernetes.io/tls Secret: PKCS#8 key, chain leaf first', async () => {
  await applyYaml(esYaml('tls', 'right'));
  await eventually(async () => expect(ready(await readEs(ns, 'tls'))).toMatchObject({ status: 'True' }), {
    timeoutMs: 20000,
    what: 'tls Ready',
  });
  const secret = await readSecret(ns, 'tls');
  expect(secret?.type).toBe('kubernetes.io/tls');
  expect(decoded(secret)).toEqual({
    'tls.key': fixture('expected-leaf-pkcs8.pem').toString(),
    'tls.crt': fixture('expected-leaf-chain.pem').toString(),
  });
});

test('a wrong password: Ready=False TemplateError, without the password or the bundle', async () => {
  await applyYaml(esYaml('wrongpass', 'wrong'));
  const cond = await eventually(
    async () => {
      const c = ready(await readEs(ns, 'wrongpass'));
      expect(c).toMatchObject({ status: 'False', reason: 'TemplateError' });
      return c;
    },
    { timeoutMs: 20000, what: 'TemplateError' },
  );
  expect(cond.message).toMatch(/pkcs12keyPass|pkcs12certPass/);
  expect(cond.message).toContain('password incorrect');
  expect(cond.message).not.toContain(WRONG);
  expect(cond.message).not.toContain(P12.slice(0, 40));
  expect(await readSecret(ns, 'wrongpass')).toBeUndefined();
});

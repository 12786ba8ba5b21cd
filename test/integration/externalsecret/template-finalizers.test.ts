// target.template.metadata.finalizers against the real apiserver and garbage collector: ESO adds
// them to the generated Secret, and a Secret deleted by deletionPolicy Delete waits for whoever owns
// the finalizer, as the user asked.
import { randomBytes } from 'node:crypto';
import { applyYaml, kubectl } from '../../support/apply';
import { installDeploy, startController, type TestController } from '../../support/controller';
import { decoded, readEs, readSecret, ready } from '../../support/es';
import { eventually } from '../../support/eventually';
import { createNamespace, deleteNamespace } from '../../support/kube';

const CANARY = `CANARY-${randomBytes(6).toString('hex')}`;
const HOLD = 'example.com/hold';
const WAIT = { timeoutMs: 20000 };
let ns: string;
let ctl: TestController | undefined;

const storeYaml = (data: { key: string; value: string }[]) => `
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: fake, namespace: ${ns}}
spec:
  provider:
    fake:
      data: ${JSON.stringify(data)}
`;

const esYaml = (name: string, key: string) => `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: ${name}, namespace: ${ns}}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: fake}
  target:
    deletionPolicy: Delete
    template:
      metadata: {finalizers: [${HOLD}]}
  data: [{secretKey: v, remoteRef: {key: ${key}}}]
`;

/** What the finalizer's owner does when it is done: take its finalizer off. */
const release = (name: string) =>
  kubectl(['patch', 'secret', name, '-n', ns, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);

async function waitSynced(name: string): Promise<void> {
  await eventually(async () => expect(ready(await readEs(ns, name))).toMatchObject({ status: 'True' }), {
    ...WAIT,
    what: `${name} Ready`,
  });
}

beforeAll(async () => {
  ns = await createNamespace('es-finalizers');
  await installDeploy();
  await applyYaml(
    storeYaml([
      { key: 'gone-soon', value: CANARY },
      { key: 'stays', value: CANARY },
    ]),
  );
  ctl = await startController(ns);
});

afterAll(async () => {
  for (const name of ['held']) await release(name).catch(() => undefined);
  await ctl?.stop();
  await deleteNamespace(ns);
  expect(ctl?.logs.join('')).not.toContain(CANARY);
});

test('deletionPolicy Delete: the Secret carries the finalizer and, once deleted, waits for its owner', async () => {
  await applyYaml(esYaml('held', 'gone-soon'));
  await waitSynced('held');
  const secret = await readSecret(ns, 'held');
  expect(secret?.metadata?.finalizers).toEqual([HOLD]);
  expect(decoded(secret)).toEqual({ v: CANARY });

  await applyYaml(storeYaml([{ key: 'stays', value: CANARY }]));
  const es = await eventually(
    async () => {
      const e = await readEs(ns, 'held');
      expect(ready(e).message).toContain(`held by its finalizers ${HOLD}`);
      return e;
    },
    { ...WAIT, what: 'held message' },
  );
  expect(ready(es).message).not.toContain(CANARY);
  const terminating = await readSecret(ns, 'held');
  expect(terminating?.metadata?.deletionTimestamp).toBeDefined();
  expect(terminating?.metadata?.finalizers).toEqual([HOLD]);

  await release('held');
  await eventually(async () => expect(await readSecret(ns, 'held')).toBeUndefined(), {
    ...WAIT,
    what: 'Secret gone once released',
  });
});

test('a finalizer name the apiserver refuses: Ready=False naming the field, no Secret', async () => {
  await applyYaml(esYaml('badname', 'stays').replace(`[${HOLD}]`, '["no slash and spaces"]'));
  const cond = await eventually(
    async () => {
      const c = ready(await readEs(ns, 'badname'));
      expect(c.status).toBe('False');
      return c;
    },
    { ...WAIT, what: 'badname not Ready' },
  );
  expect(cond.message).toContain('metadata.finalizers');
  expect(await readSecret(ns, 'badname')).toBeUndefined();
});

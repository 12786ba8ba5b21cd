// CronJobs, Jobs and Argo Rollouts. A CronJob's Job template is stamped (the next Job reads the new
// content; no Job is started by us); a Job is deleted and created again from its spec (its pod
// template is immutable), once per change; an Argo Rollout (a minimal CRD installed here: no
// Argo controller runs on the testbed) gets its pod template stamped, or with rollout-strategy
// restart its spec.restartAt set and its template left alone. Without the CRD the controller
// starts, syncs and says once that Rollouts are not watched.
import * as k8s from '@kubernetes/client-node';
import { applyYaml, kubectl } from '../../support/apply';
import { startController, type TestController } from '../../support/controller';
import { eventually } from '../../support/eventually';
import { adminConfig, clients, createNamespace, deleteNamespace } from '../../support/kube';
import { ACT_MS, envKey, FLAGS, putSecret, QUIET_MS, staysAt } from './helpers';

const batch = adminConfig().makeApiClient(k8s.BatchV1Api);
const { objects } = clients();
const HASH = 'secretsync.io/last-reload-hash';
const TEMPLATE_HASH = 'secretsync.io/reload-hash';
const AUTO = { 'reloader.stakater.com/auto': 'true' };

const ROLLOUT_CRD = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: rollouts.argoproj.io }
spec:
  group: argoproj.io
  scope: Namespaced
  names: { kind: Rollout, listKind: RolloutList, plural: rollouts, singular: rollout }
  versions:
    - name: v1alpha1
      served: true
      storage: true
      subresources: { status: {} }
      schema:
        openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true }
`;

let ns: string;
let ctl: TestController | undefined;

async function rolloutsServed(): Promise<boolean> {
  try {
    const out = await kubectl(['get', '--raw', '/apis/argoproj.io/v1alpha1']);
    return out.includes('"rollouts"');
  } catch {
    return false;
  }
}

beforeAll(async () => {
  ns = await createNamespace('rollout-batch');
});

afterAll(async () => {
  await ctl?.stop();
  await deleteNamespace(ns);
  await kubectl(['delete', 'crd', 'rollouts.argoproj.io', '--ignore-not-found', '--wait=false']);
});

const podSpec = (secret: string) => ({
  restartPolicy: 'Never',
  containers: [{ name: 'app', image: 'registry.invalid/app:1', env: [envKey(secret, 'k')] }],
});

test('without the Rollout CRD: synced, one line saying Rollouts are not watched', async () => {
  await kubectl(['delete', 'crd', 'rollouts.argoproj.io', '--ignore-not-found', '--wait=true']);
  await eventually(async () => expect(await rolloutsServed()).toBe(false), {
    timeoutMs: 30_000,
    what: 'argoproj.io/v1alpha1 gone from discovery',
  });
  const c = await startController(ns, FLAGS);
  try {
    await eventually(() => expect(c.logs.join('')).toContain('"informer synced"'), {
      timeoutMs: ACT_MS,
      what: 'synced',
    });
    const lines = c.logs.join('').split('\n');
    expect(lines.filter((l) => l.includes('rollouts is not served'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('/apis/argoproj.io') && l.includes('failed'))).toEqual([]);
  } finally {
    await c.stop();
  }
});

describe('with the controller running (Rollout CRD installed first)', () => {
  beforeAll(async () => {
    await applyYaml(ROLLOUT_CRD);
    await eventually(async () => expect(await rolloutsServed()).toBe(true), {
      timeoutMs: 30_000,
      what: 'rollouts served',
    });
    ctl = await startController(ns, FLAGS);
  });

  test('CronJob: a rotation stamps the Job template with the new hash; no Job is started', async () => {
    await putSecret(ns, 'cj', { k: '1' });
    await batch.createNamespacedCronJob({
      namespace: ns,
      body: {
        metadata: { name: 'cj', annotations: AUTO },
        spec: {
          schedule: '0 0 1 1 *',
          jobTemplate: { spec: { template: { spec: podSpec('cj') } } },
        },
      },
    });
    const read = () => batch.readNamespacedCronJob({ name: 'cj', namespace: ns });
    const first = await eventually(
      async () => {
        const h = (await read()).metadata?.annotations?.[HASH];
        expect(h).toBeDefined();
        return h;
      },
      { timeoutMs: ACT_MS, what: 'hash recorded on the CronJob' },
    );
    expect(
      (await read()).spec?.jobTemplate.spec?.template.metadata?.annotations?.[TEMPLATE_HASH],
    ).toBeUndefined();
    await putSecret(ns, 'cj', { k: '2' });
    const cj = await eventually(
      async () => {
        const c = await read();
        expect(c.metadata?.annotations?.[HASH]).not.toBe(first);
        expect(c.spec?.jobTemplate.spec?.template.metadata?.annotations?.[TEMPLATE_HASH]).toBe(
          c.metadata?.annotations?.[HASH],
        );
        return c;
      },
      { timeoutMs: ACT_MS, what: 'Job template stamped' },
    );
    expect(
      cj.spec?.jobTemplate.spec?.template.metadata?.annotations?.['secretsync.io/restartedAt'],
    ).toBeDefined();
    // Reloader starts a Job at once; secretsync leaves runs to the schedule.
    const owned = async () =>
      (await batch.listNamespacedJob({ namespace: ns })).items.filter((j) =>
        j.metadata?.ownerReferences?.some((o) => o.name === 'cj'),
      ).length;
    await staysAt(owned, 0);
  });

  test('Job: a rotation deletes it and creates it again from its spec, once', async () => {
    await putSecret(ns, 'job', { k: '1' });
    await batch.createNamespacedJob({
      namespace: ns,
      body: {
        metadata: { name: 'job', annotations: AUTO, labels: { team: 'a' } },
        spec: { backoffLimit: 0, template: { metadata: { labels: { app: 'job' } }, spec: podSpec('job') } },
      },
    });
    const read = () => batch.readNamespacedJob({ name: 'job', namespace: ns });
    const before = await eventually(
      async () => {
        const j = await read();
        expect(j.metadata?.annotations?.[HASH]).toBeDefined();
        return j;
      },
      { timeoutMs: ACT_MS, what: 'hash recorded on the Job' },
    );
    await putSecret(ns, 'job', { k: '2' });
    const after = await eventually(
      async () => {
        const j = await read();
        expect(j.metadata?.uid).not.toBe(before.metadata?.uid);
        return j;
      },
      { timeoutMs: ACT_MS, what: 'Job created again' },
    );
    expect(after.metadata?.labels).toMatchObject({ team: 'a' });
    expect(after.metadata?.annotations?.[HASH]).not.toBe(before.metadata?.annotations?.[HASH]);
    expect(after.spec?.template.metadata?.annotations?.[TEMPLATE_HASH]).toBe(
      after.metadata?.annotations?.[HASH],
    );
    expect(after.spec?.template.metadata?.labels).toMatchObject({ app: 'job' });
    // Once: the new Job carries the new hash, so it is not created again.
    await staysAt(async () => ((await read()).metadata?.uid === after.metadata?.uid ? 1 : 0), 1, QUIET_MS);
  });

  const rollout = (name: string, annotations: Record<string, string>) => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace: ns, annotations },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: podSpec(name) },
      strategy: { canary: {} },
    },
  });
  type Ro = k8s.KubernetesObject & {
    spec?: { restartAt?: string; template?: { metadata?: { annotations?: Record<string, string> } } };
  };
  const readRollout = async (name: string) =>
    (await objects.read({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name, namespace: ns },
    })) as Ro;

  test('Argo Rollout: a rotation stamps its pod template', async () => {
    await putSecret(ns, 'ro', { k: '1' });
    await objects.create(rollout('ro', AUTO));
    const first = await eventually(
      async () => {
        const h = (await readRollout('ro')).metadata?.annotations?.[HASH];
        expect(h).toBeDefined();
        return h;
      },
      { timeoutMs: ACT_MS, what: 'hash recorded on the Rollout' },
    );
    await putSecret(ns, 'ro', { k: '2' });
    await eventually(
      async () => {
        const r = await readRollout('ro');
        expect(r.metadata?.annotations?.[HASH]).not.toBe(first);
        expect(r.spec?.template?.metadata?.annotations?.[TEMPLATE_HASH]).toBe(
          r.metadata?.annotations?.[HASH],
        );
        expect(r.spec?.restartAt).toBeUndefined();
      },
      { timeoutMs: ACT_MS, what: 'Rollout template stamped' },
    );
  });

  test('Argo Rollout with rollout-strategy restart: spec.restartAt set, pod template unchanged', async () => {
    await putSecret(ns, 'ro-restart', { k: '1' });
    await objects.create(
      rollout('ro-restart', { ...AUTO, 'reloader.stakater.com/rollout-strategy': 'restart' }),
    );
    const first = await eventually(
      async () => {
        const h = (await readRollout('ro-restart')).metadata?.annotations?.[HASH];
        expect(h).toBeDefined();
        return h;
      },
      { timeoutMs: ACT_MS, what: 'hash recorded on the Rollout' },
    );
    const template = (await readRollout('ro-restart')).spec?.template;
    await putSecret(ns, 'ro-restart', { k: '2' });
    await eventually(
      async () => {
        const r = await readRollout('ro-restart');
        expect(r.metadata?.annotations?.[HASH]).not.toBe(first);
        expect(r.spec?.restartAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        expect(r.spec?.template).toEqual(template);
      },
      { timeoutMs: ACT_MS, what: 'Rollout restartAt set' },
    );
  });
});

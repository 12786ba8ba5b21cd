// The controller with exactly deploy/'s RBAC, and with one verb removed at a time. Each variant is
// its own controller process, authenticated as its own ServiceAccount bound to a copy of deploy/'s
// ClusterRole (and to its leader-election Role). The full role must sync; each reduced one must
// fail clearly — a Ready=False reason or a log line naming what was forbidden — and back off
// instead of looping (attempts counted over RESILIENCE_HOT_LOOP_WATCH_MS).
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAllDocuments } from 'yaml';
import { randomBytes } from 'node:crypto';
import { installDeploy } from '../support/controller';
import { createObject, readEs, readSecret, ready } from '../support/es';
import { eventually } from '../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../support/kube';
import { attemptSchedule } from './support/backoff';
import { findCanaries, newCanary } from './support/canary';
import { serviceAccountKubeConfig, writeKubeConfigFile } from './support/cluster';
import { knobs, recordFigures } from './support/knobs';
import { logDir, startControllerProcess, type ControllerProcess } from './support/process-controller';

const WATCH_MS = knobs.hotLoopWatchMs;
const repo = join(__dirname, '..', '..');
const run = randomBytes(3).toString('hex');
jest.setTimeout(WATCH_MS + 180_000);

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const deployRole = (() => {
  const docs = parseAllDocuments(readFileSync(join(repo, 'deploy', 'rbac.yaml'), 'utf8')).map(
    (d) => d.toJSON() as { kind: string; metadata: { name: string }; rules?: Rule[] },
  );
  return docs.find((d) => d.kind === 'ClusterRole')!;
})();

/** deploy/'s ClusterRole rules without `verb` on `resource`. */
function without(resource: string, verbs: string[]): Rule[] {
  return deployRole
    .rules!.map((r) =>
      r.resources.includes(resource)
        ? {
            ...r,
            resources: r.resources.filter((x) => x !== resource),
          }
        : r,
    )
    .concat(
      deployRole
        .rules!.filter((r) => r.resources.includes(resource))
        .map((r) => ({
          apiGroups: r.apiGroups,
          resources: [resource],
          verbs: r.verbs.filter((v) => !verbs.includes(v)),
        }))
        .filter((r) => r.verbs.length > 0),
    )
    .filter((r) => r.resources.length > 0);
}

interface Variant {
  name: string;
  removed: string;
  rules: Rule[];
}

const variants: Variant[] = [
  { name: 'full', removed: '(none: deploy/rbac.yaml as shipped)', rules: deployRole.rules! },
  { name: 'no-secret-create', removed: 'secrets: create', rules: without('secrets', ['create']) },
  {
    name: 'no-status-patch',
    removed: 'externalsecrets/status: patch, update',
    rules: without('externalsecrets/status', ['patch', 'update']),
  },
  { name: 'no-secret-list', removed: 'secrets: list', rules: without('secrets', ['list']) },
  { name: 'no-events', removed: 'events: create, patch', rules: without('events', ['create', 'patch']) },
];

const canary = newCanary();
const created: {
  kind: 'ClusterRole' | 'ClusterRoleBinding' | 'RoleBinding' | 'ServiceAccount';
  name: string;
}[] = [];
const procs = new Map<string, ControllerProcess>();
const namespaces = new Map<string, string>();
const files: string[] = [];

async function setUp(v: Variant): Promise<void> {
  const { rbac, core } = clients();
  const sa = `rs-rbac-${v.name}-${run}`;
  const ns = await createNamespace(`rs-rbac-${v.name}`);
  namespaces.set(v.name, ns);
  await core.createNamespacedServiceAccount({
    namespace: 'secretsync-system',
    body: { metadata: { name: sa } },
  });
  created.push({ kind: 'ServiceAccount', name: sa });
  await rbac.createClusterRole({ body: { metadata: { name: sa }, rules: v.rules } });
  created.push({ kind: 'ClusterRole', name: sa });
  const subjects = [{ kind: 'ServiceAccount', name: sa, namespace: 'secretsync-system' }];
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: sa },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: sa },
      subjects,
    },
  });
  created.push({ kind: 'ClusterRoleBinding', name: sa });
  await rbac.createNamespacedRoleBinding({
    namespace: 'secretsync-system',
    body: {
      metadata: { name: sa },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'secretsync-leader-election' },
      subjects,
    },
  });
  created.push({ kind: 'RoleBinding', name: sa });
  await createObject({
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name: 'fake', namespace: ns },
    spec: { provider: { fake: { data: [{ key: 'k', value: canary }] } } },
  });
  await createObject({
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: 'app', namespace: ns },
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { name: 'fake' },
      data: [{ secretKey: 'v', remoteRef: { key: 'k' } }],
    },
  });
  const kc = await serviceAccountKubeConfig(sa, 'secretsync-system');
  const file = writeKubeConfigFile(kc, join(logDir, `${sa}.kubeconfig`));
  files.push(file);
  procs.set(
    v.name,
    await startControllerProcess({ name: `rbac-${v.name}`, kubeconfig: file, namespace: ns }),
  );
}

beforeAll(async () => {
  await installDeploy();
  for (const v of variants) await setUp(v);
});

afterAll(async () => {
  await Promise.all([...procs.values()].map((p) => p.stop()));
  for (const f of files) rmSync(f, { force: true });
  const { rbac, core } = clients();
  for (const c of created.reverse()) {
    const del = {
      ClusterRole: () => rbac.deleteClusterRole({ name: c.name }),
      ClusterRoleBinding: () => rbac.deleteClusterRoleBinding({ name: c.name }),
      RoleBinding: () => rbac.deleteNamespacedRoleBinding({ name: c.name, namespace: 'secretsync-system' }),
      ServiceAccount: () =>
        core.deleteNamespacedServiceAccount({ name: c.name, namespace: 'secretsync-system' }),
    }[c.kind];
    await del().catch(() => undefined);
  }
  for (const ns of namespaces.values()) await deleteNamespace(ns);
});

const lines = (p: ControllerProcess, msg: RegExp) => p.logs.filter((l) => msg.test(String(l.msg ?? '')));

test("deploy/'s RBAC works; each removed verb fails clearly and backs off", async () => {
  const start = Date.now();
  await sleep(WATCH_MS);
  const figures: Record<string, unknown>[] = [];
  const expectedMax = attemptSchedule(WATCH_MS).length + 1;
  // Informers retry a failed list after 1 s doubling to 30 s, jittered down to half.
  let informerMax = 1;
  for (let t = 0, n = 0; t <= WATCH_MS; n++, informerMax++) t += Math.min(1000 * 2 ** n, 30_000) / 2;

  // The full role: synced.
  const full = namespaces.get('full')!;
  await eventually(async () => expect(ready(await readEs(full, 'app')).status).toBe('True'), {
    timeoutMs: 10_000,
    what: 'full RBAC syncs',
  });
  figures.push({ variant: 'full', removed: variants[0]!.removed, result: 'Ready=True SecretSynced' });

  for (const v of variants.slice(1)) {
    const p = procs.get(v.name)!;
    const ns = namespaces.get(v.name)!;
    const failures = lines(p, /reconcile failed/);
    const listFailures = lines(p, /list failed/);
    // Per informer (the sync side watches managed Secrets, the rollout side all Secrets).
    const perInformer = new Map<string, number>();
    for (const l of listFailures) {
      const id = `${String(l.path)}?${String(l.labelSelector ?? '')}`;
      perInformer.set(id, (perInformer.get(id) ?? 0) + 1);
    }
    const cond = ready(await readEs(ns, 'app'));
    const forbiddenLogged = p.logs.find((l) => /forbidden/i.test(String(l.err ?? '')));
    const row = {
      variant: v.name,
      removed: v.removed,
      ready: `${cond.status ?? '-'} ${cond.reason ?? ''}`.trim(),
      message: cond.message,
      firstForbiddenLog: forbiddenLogged
        ? `${String(forbiddenLogged.msg)}: ${String(forbiddenLogged.err).slice(0, 160)}`
        : undefined,
      reconcileFailures: failures.length,
      listFailures: listFailures.length,
      listFailuresPerInformerMax: Math.max(0, ...perInformer.values()),
      informersFailing: perInformer.size,
      expectedMaxAttempts: expectedMax,
      secretWritten: Boolean(await readSecret(ns, 'app')),
    };
    figures.push(row);
  }
  recordFigures('rbac', {
    watchMs: WATCH_MS,
    informerListAttemptsMax: informerMax,
    variants: figures.map((f) => ({
      ...f,
      message: typeof f.message === 'string' ? f.message.slice(0, 240) : undefined,
    })),
    elapsedMs: Date.now() - start,
  });

  const row = (name: string) => figures.find((f) => f.variant === name)! as Record<string, unknown>;
  // secrets create removed: Ready=False naming the refusal and where to look.
  expect(row('no-secret-create').ready).toBe('False UpdateFailed');
  expect(String(row('no-secret-create').message)).toMatch(/forbidden.*check deploy\/rbac\.yaml/s);
  expect(row('no-secret-create').reconcileFailures as number).toBeLessThanOrEqual(expectedMax);
  // status patch removed: the Secret is written, the refusal is logged, retries back off.
  expect(row('no-status-patch').secretWritten).toBe(true);
  expect(String(row('no-status-patch').firstForbiddenLog)).toMatch(/externalsecrets\/status|status/);
  expect(row('no-status-patch').reconcileFailures as number).toBeLessThanOrEqual(expectedMax);
  // secrets list removed: the informer says so and backs off (1 s doubling to 30 s).
  expect(String(row('no-secret-list').firstForbiddenLog)).toMatch(/secrets/);
  expect(row('no-secret-list').listFailuresPerInformerMax as number).toBeLessThanOrEqual(informerMax);
  expect(row('no-secret-list').secretWritten).toBe(false);
  // events removed: Events are best effort, syncing goes on.
  expect(row('no-events').ready).toBe('True SecretSynced');
  for (const p of procs.values()) expect(findCanaries(p.name, p.text())).toEqual([]);
});

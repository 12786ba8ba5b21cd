// reconcileExternalSecret as a table: given the ExternalSecret, its store, the provider and the
// Secrets (live and as the informer shows them) → the Decision for the queue, the Ready condition
// written (or none), the Secret writes and Events. In memory (test/support/reconcile-deps.ts, the
// fuzz harness's fakes), on a ManualClock. Rows marked `afterSync` first run one successful sync,
// then change the world, and describe the second reconcile.
import type { V1ConfigMap, V1ObjectMeta, V1Secret } from '@kubernetes/client-node';
import type { ExternalSecretSpec, ExternalSecretStatus } from '../../../src/api/generated';
import { ANNOTATION } from '../../../src/api/constants';
import { contentHash } from '../../../src/api/hash';
import { PlannedClient } from '../../../src/controllers/externalsecret/plan';
import {
  MAX_SECRET_DATA_BYTES,
  reconcileExternalSecret,
  type LeanSecret,
} from '../../../src/controllers/externalsecret/reconcile';
import type { StoreObject } from '../../../src/controllers/secretstore/store';
import { nextDue } from '../../../src/controllers/externalsecret/refresh';
import { normalize } from '../../../src/controllers/externalsecret/spec';
import { KubeApiError } from '../../../src/kube/request';
import {
  InvalidRefError,
  NoSecretError,
  ThrottledError,
  UnavailableError,
} from '../../../src/providers/core/errors';
import type { FindQuery, RemoteKey, SecretsClient } from '../../../src/providers/core/types';
import { ManualClock } from '../../../src/runtime/clock';
import type { Decision } from '../../../src/runtime/decision';
import { fakeReconcileDeps, type FakeRecord } from '../../support/reconcile-deps';
import { enc, ES_NAME, ES_UID, externalSecret, NS } from './helpers';
import { SyncMemory } from '../../../src/controllers/externalsecret/sync-memory';
import { spreadAfter } from '../../../src/runtime/scheduler';

const T0 = Date.parse('2026-03-02T10:00:00Z');
const MIN = 60_000;
const KEY = `${NS}/${ES_NAME}`;

/** A provider whose data and failures the rows change between reconciles. */
class Provider implements SecretsClient {
  readonly data = new Map<string, string>([['db-password', 's3cr3t']]);
  /** Thrown by payload reads / by version-tag reads. */
  failReads?: Error;
  failTags?: Error;
  reads = 0;

  async getSecret(ref: RemoteKey): Promise<Uint8Array> {
    this.reads++;
    if (this.failReads) throw this.failReads;
    const v = this.data.get(ref.key);
    if (v === undefined) throw new NoSecretError(`no key "${ref.key}"`);
    return enc(v);
  }

  async currentVersion(ref: RemoteKey): Promise<string> {
    if (this.failTags) throw this.failTags;
    const v = this.data.get(ref.key);
    if (v === undefined) throw new NoSecretError(`no key "${ref.key}"`);
    return `v-${v.length}-${v.slice(0, 3)}`;
  }

  async findSecrets(_q: FindQuery): Promise<Map<string, Uint8Array>> {
    return new Map();
  }

  async close(): Promise<void> {}
}

interface World {
  clock: ManualClock;
  spec: Partial<ExternalSecretSpec>;
  meta: V1ObjectMeta;
  store: StoreObject | undefined;
  provider: Provider;
  /** Live Secrets by name. */
  secrets: Map<string, V1Secret>;
  /** ConfigMaps by name (templateFrom sources). */
  configMaps: Map<string, V1ConfigMap>;
  /** What the Secret informer shows; refreshed from `secrets` after each reconcile unless frozen. */
  cached: Map<string, LeanSecret>;
  memory: SyncMemory;
  controllerClass?: string;
  refreshTimeHeartbeatMs?: number;
  /** Refuses Secret writes with this error. */
  refuseWrites?: Error;
  /** The ExternalSecret's status, carried from one reconcile to the next as its informer would. */
  status?: ExternalSecretStatus;
}

function world(): World {
  return {
    clock: new ManualClock(T0),
    spec: { data: [{ secretKey: 'password', remoteRef: { key: 'db-password' } }] },
    meta: {},
    store: {
      kind: 'SecretStore',
      name: 'vault-ish',
      namespace: NS,
      generation: 1,
      spec: { provider: { fake: { data: [] } } } as unknown as StoreObject['spec'],
    },
    provider: new Provider(),
    secrets: new Map(),
    configMaps: new Map(),
    cached: new Map(),
    memory: new SyncMemory(true),
  };
}

/** The Secret informer's lean projection of the live Secrets (as controller.ts projects them). */
function informerView(secrets: Map<string, V1Secret>): Map<string, LeanSecret> {
  const out = new Map<string, LeanSecret>();
  for (const [name, s] of secrets) {
    const data = Object.fromEntries(
      Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
    );
    out.set(name, {
      uid: s.metadata?.uid ?? `uid-${name}`,
      labels: s.metadata?.labels ?? {},
      annotations: s.metadata?.annotations ?? {},
      contentHash: contentHash(data, s.type ?? 'Opaque'),
    });
  }
  return out;
}

async function reconcile(w: World): Promise<{ decision: Decision; record: FakeRecord }> {
  const client = new PlannedClient(w.provider, { mode: 'planned', clock: w.clock });
  const { deps, record } = fakeReconcileDeps({
    es: { ...externalSecret(w.spec, w.meta), status: w.status },
    clock: w.clock,
    store: (kind, _ns, name) =>
      w.store && w.store.kind === kind && w.store.name === name ? w.store : undefined,
    client: async () => client,
    secrets: w.secrets,
    configMaps: w.configMaps,
    cached: new Map(w.cached),
    admit: () => {
      if (w.refuseWrites) throw w.refuseWrites;
    },
    controllerClass: w.controllerClass,
    memory: w.memory,
    refreshTimeHeartbeatMs: w.refreshTimeHeartbeatMs,
  });
  const decision = await reconcileExternalSecret(deps, NS, ES_NAME);
  w.status = record.current().status;
  w.cached = informerView(w.secrets);
  return { decision, record };
}

/** The Decision in the table's words. */
function summary(d: Decision, w: World): string {
  switch (d.kind) {
    case 'done': {
      if (d.requeueAfterMs === undefined) return 'done';
      const due = nextDue(normalize(externalSecret(w.spec, w.meta)), w.clock.now(), KEY);
      if (due !== undefined && d.requeueAfterMs === due - w.clock.now()) return 'done until next refresh';
      return `done in ${d.requeueAfterMs} ms`;
    }
    case 'retry':
      return `retry ${(d.error as Error).name}`;
    case 'terminal':
      return `terminal ${d.reason.split(':')[0]}`;
  }
}

interface Row {
  name: string;
  /** Changes before the (first) reconcile. */
  given?: (w: World) => void;
  /** Run one successful sync first, then these changes; the row describes the second reconcile. */
  afterSync?: (w: World) => void;
  /** The Decision in summary()'s words (a function where it depends on the key's jitter). */
  decision: string | ((w: World) => string);
  /** `<status> <reason>` of the Ready condition written, or null when no status is written. */
  ready: string | null;
  message?: RegExp;
  writes: string[];
  /** `<type> <reason>` of each Event. */
  events: string[];
  syncs: string[];
  /** Further checks on the world after the reconcile. */
  then?: (w: World) => void;
}

const ownedLive = (w: World): V1Secret => ({
  metadata: {
    name: ES_NAME,
    namespace: NS,
    uid: 'uid-live',
    labels: { 'reconcile.external-secrets.io/managed': 'true' },
    ownerReferences: [
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        name: ES_NAME,
        uid: ES_UID,
        controller: true,
      },
    ],
  },
  data: { password: Buffer.from(w.provider.data.get('db-password') ?? '').toString('base64') },
});

/** templateFrom reading key `conf` of ConfigMap `tpl`. */
const fromConfigMap = (w: World) =>
  (w.spec.target = {
    template: { templateFrom: [{ configMap: { name: 'tpl', items: [{ key: 'conf' }] } }] },
  });

const ROWS: Row[] = [
  {
    name: 'templateFrom renders the ConfigMap template over the values',
    given: (w) => {
      fromConfigMap(w);
      w.configMaps.set('tpl', { metadata: { name: 'tpl' }, data: { conf: 'pw={{ .password }}' } });
    },
    decision: 'done until next refresh',
    ready: 'True SecretSynced',
    writes: [`create ${ES_NAME}`],
    events: [],
    syncs: ['synced'],
    then: (w) =>
      expect(w.secrets.get(ES_NAME)?.data).toEqual({ conf: Buffer.from('pw=s3cr3t').toString('base64') }),
  },
  {
    name: 'templateFrom naming a missing ConfigMap: named, backed off, nothing fetched, the Secret kept',
    afterSync: (w) => {
      fromConfigMap(w);
      w.meta = { generation: 2 };
    },
    decision: 'retry TemplateSourceMissing',
    ready: 'False TemplateSourceNotFound',
    message: /^ConfigMap team-a\/tpl not found$/,
    writes: [],
    events: ['Warning TemplateSourceNotFound'],
    syncs: ['error'],
    then: (w) => {
      expect(w.provider.reads).toBe(1); // the first sync's
      expect(w.secrets.get(ES_NAME)?.data).toEqual({ password: Buffer.from('s3cr3t').toString('base64') });
    },
  },
  {
    name: 'templateFrom naming a key the ConfigMap lacks: named, backed off',
    given: (w) => {
      fromConfigMap(w);
      w.configMaps.set('tpl', { metadata: { name: 'tpl' }, data: { other: 'x' } });
    },
    decision: 'retry TemplateSourceMissing',
    ready: 'False TemplateSourceNotFound',
    message: /^ConfigMap team-a\/tpl has no key conf$/,
    writes: [],
    events: ['Warning TemplateSourceNotFound'],
    syncs: ['error'],
  },
  {
    name: 'first sync creates the Secret and waits for the next refresh',
    decision: 'done until next refresh',
    ready: 'True SecretSynced',
    message: /^Secret was synced$/,
    writes: [`create ${ES_NAME}`],
    events: [],
    syncs: ['synced'],
    then: (w) => {
      expect(w.memory.lastHash(KEY)).toBe(w.cached.get(ES_NAME)!.contentHash);
      expect(w.memory.lastVersions(KEY)).toBeDefined();
    },
  },
  {
    name: 'an ExternalSecret being deleted is left alone',
    given: (w) => (w.meta = { deletionTimestamp: new Date(T0) }),
    decision: 'done',
    ready: null,
    writes: [],
    events: [],
    syncs: [],
  },
  {
    name: 'an invalid refreshInterval is terminal',
    given: (w) => (w.spec.refreshInterval = '1x'),
    decision: 'terminal InvalidSpec',
    ready: 'False InvalidSpec',
    message: /^spec\.refreshInterval: invalid duration "1x"/,
    writes: [],
    events: ['Warning InvalidSpec'],
    syncs: ['error'],
  },
  {
    name: 'an invalid refresh-schedule annotation is terminal',
    given: (w) => (w.meta = { annotations: { [ANNOTATION.refreshSchedule]: 'every hour' } }),
    decision: 'terminal InvalidSpec',
    ready: 'False InvalidSpec',
    message: /^annotation secretsync\.io\/refresh-schedule: /,
    writes: [],
    events: ['Warning InvalidSpec'],
    syncs: ['error'],
  },
  {
    name: 'an unsupported field is terminal and named',
    given: (w) => (w.spec.target = { manifest: { apiVersion: 'v1', kind: 'ConfigMap' } }),
    decision: 'terminal UnsupportedField',
    ready: 'False UnsupportedField',
    message: /^not supported by secretsync yet: spec\.target\.manifest$/,
    writes: [],
    events: ['Warning UnsupportedField'],
    syncs: ['error'],
  },
  {
    name: 'a missing store waits for a change (no requeue)',
    given: (w) => (w.store = undefined),
    decision: 'done',
    ready: 'False StoreNotFound',
    message: /^SecretStore vault-ish in namespace team-a not found/,
    writes: [],
    events: ['Warning StoreNotFound'],
    syncs: ['error'],
  },
  {
    name: 'a store of another controller class is not ours: skipped, no status',
    given: (w) => {
      w.store = { ...w.store!, spec: { ...w.store!.spec, controller: 'other' } };
      w.controllerClass = 'mine';
    },
    decision: 'done',
    ready: null,
    writes: [],
    events: [],
    syncs: ['skipped'],
  },
  {
    name: 'synced and not due: nothing fetched or written; look again at the due time',
    afterSync: (w) => w.clock.advance(MIN),
    decision: (w) => `done in ${nextDue(normalize(externalSecret(w.spec)), T0, KEY)! - w.clock.now()} ms`,
    ready: null,
    writes: [],
    events: [],
    syncs: [],
    then: (w) => expect(w.provider.reads).toBe(1),
  },
  {
    name: 'a deleted target Secret is created again, with an Event (unlike the first sync)',
    afterSync: (w) => {
      w.clock.advance(MIN);
      w.secrets.delete(ES_NAME);
      w.cached.delete(ES_NAME);
    },
    decision: 'done until next refresh',
    ready: 'True SecretSynced',
    writes: [`create ${ES_NAME}`],
    events: ['Normal Created'],
    syncs: ['synced'],
  },
  {
    name: 'a rotation event refreshes at once, and is taken',
    afterSync: (w) => {
      w.clock.advance(MIN);
      w.provider.data.set('db-password', 'rotated');
      w.memory.requestRefresh(KEY);
    },
    decision: 'done until next refresh',
    ready: 'True SecretSynced',
    writes: [`update ${ES_NAME}`],
    events: ['Normal Updated'],
    syncs: ['synced'],
    then: (w) => expect(w.memory.takeRefreshRequest(KEY)).toBeUndefined(),
  },
  {
    name: 'a rotation event waits while the store is missing: it is taken only when a refresh is decided',
    afterSync: (w) => {
      w.memory.requestRefresh(KEY);
      w.store = undefined;
    },
    decision: 'done',
    ready: 'False StoreNotFound',
    writes: [],
    events: ['Warning StoreNotFound'],
    syncs: ['error'],
    then: (w) => expect(w.memory.takeRefreshRequest(KEY)).toBeDefined(),
  },
  {
    name: 'due, tags unchanged: no payload read, no write; refreshTime moves',
    afterSync: (w) => w.clock.advance(61 * MIN),
    decision: 'done until next refresh',
    ready: 'True SecretSynced',
    writes: [],
    events: [],
    syncs: ['unchanged'],
    then: (w) => expect(w.provider.reads).toBe(1),
  },
  {
    name: 'due, tags unchanged, templateFrom sources unchanged: no payload read, no write',
    given: (w) => {
      fromConfigMap(w);
      w.configMaps.set('tpl', { metadata: { name: 'tpl' }, data: { conf: 'pw={{ .password }}' } });
    },
    afterSync: (w) => w.clock.advance(61 * MIN),
    decision: 'done until next refresh',
    ready: 'True SecretSynced',
    writes: [],
    events: [],
    syncs: ['unchanged'],
    then: (w) => expect(w.provider.reads).toBe(1),
  },
  {
    name: 'due, tags unchanged, a templateFrom ConfigMap changed (unseen by the watch): rendered again',
    given: (w) => {
      fromConfigMap(w);
      w.configMaps.set('tpl', { metadata: { name: 'tpl' }, data: { conf: 'pw={{ .password }}' } });
    },
    afterSync: (w) => {
      w.clock.advance(61 * MIN);
      w.configMaps.set('tpl', { metadata: { name: 'tpl' }, data: { conf: 'password={{ .password }}' } });
    },
    decision: 'done until next refresh',
    ready: 'True SecretSynced',
    writes: [`update ${ES_NAME}`],
    events: ['Normal Updated'],
    syncs: ['synced'],
    then: (w) =>
      expect(w.secrets.get(ES_NAME)?.data).toEqual({
        conf: Buffer.from('password=s3cr3t').toString('base64'),
      }),
  },
  {
    name: 'due, tags moved: fetched and updated',
    afterSync: (w) => {
      w.clock.advance(61 * MIN);
      w.provider.data.set('db-password', 'rotated');
    },
    decision: 'done until next refresh',
    ready: 'True SecretSynced',
    writes: [`update ${ES_NAME}`],
    events: ['Normal Updated'],
    syncs: ['synced'],
  },
  {
    name: 'due, the store throttles the tag check: back off without asking for payloads',
    afterSync: (w) => {
      w.clock.advance(61 * MIN);
      w.provider.failTags = new ThrottledError('slow down');
    },
    decision: 'retry ThrottledError',
    ready: 'False ProviderThrottled',
    message: /^slow down$/,
    writes: [],
    events: ['Warning ProviderThrottled'],
    syncs: ['error'],
    then: (w) => expect(w.provider.reads).toBe(1),
  },
  {
    name: 'the Secret changed by someone else is rewritten',
    afterSync: (w) => {
      w.clock.advance(MIN);
      w.secrets.set(ES_NAME, { ...w.secrets.get(ES_NAME)!, data: { password: 'dGFtcGVyZWQ=' } });
      w.cached = informerView(w.secrets);
    },
    decision: 'done until next refresh',
    ready: 'True SecretSynced',
    writes: [`update ${ES_NAME}`],
    events: ['Normal Updated'],
    syncs: ['synced'],
  },
  {
    name: 'provider unavailable: back off, the Secret untouched',
    given: (w) => (w.provider.failReads = new UnavailableError('down')),
    decision: 'retry UnavailableError',
    ready: 'False ProviderUnavailable',
    writes: [],
    events: ['Warning ProviderUnavailable'],
    syncs: ['error'],
  },
  {
    name: 'a reference the provider rejects waits for the next refresh',
    given: (w) => (w.provider.failReads = new InvalidRefError('bad name')),
    decision: 'done until next refresh',
    ready: 'False InvalidRemoteRef',
    message: /^bad name$/,
    writes: [],
    events: ['Warning InvalidRemoteRef'],
    syncs: ['error'],
  },
  {
    name: 'a template error waits for the next refresh',
    given: (w) => (w.spec.target = { template: { data: { x: '{{ .nope.deeper }}' } } }),
    decision: 'done until next refresh',
    ready: 'False TemplateError',
    writes: [],
    events: ['Warning TemplateError'],
    syncs: ['error'],
  },
  {
    name: 'remote key gone, deletionPolicy Retain: back off, the last Secret kept',
    afterSync: (w) => {
      w.provider.data.delete('db-password');
      w.meta = { generation: 2 };
    },
    decision: 'retry NoSecretError',
    ready: 'False RemoteKeyNotFound',
    message: /; the last synced Secret is kept$/,
    writes: [],
    events: ['Warning RemoteKeyNotFound'],
    syncs: ['error'],
  },
  {
    name: 'remote key gone, deletionPolicy Delete: our Secret deleted',
    given: (w) => {
      w.spec.target = { deletionPolicy: 'Delete' };
      w.provider.data.delete('db-password');
      w.secrets.set(ES_NAME, ownedLive(w));
    },
    decision: 'retry NoSecretError',
    ready: 'False SecretDeleted',
    message: /; Secret deleted \(deletionPolicy Delete\)$/,
    writes: [`delete ${ES_NAME}`],
    events: ['Normal SecretDeleted'],
    syncs: [],
  },
  {
    name: 'an existing Secret not ours (create answers 409): not overwritten, backed off',
    given: (w) => w.secrets.set(ES_NAME, { metadata: { name: ES_NAME, namespace: NS }, data: {} }),
    decision: 'retry Error',
    ready: 'False SecretNotOwned',
    writes: [],
    events: ['Warning SecretNotOwned'],
    syncs: ['error'],
  },
  {
    name: 'creationPolicy Merge without a Secret to merge into: backed off',
    given: (w) => (w.spec.target = { creationPolicy: 'Merge' }),
    decision: 'retry Error',
    ready: 'False SecretMissing',
    writes: [],
    events: ['Warning SecretMissing'],
    syncs: ['error'],
  },
  {
    name: 'more than 1 MiB of data: not written, no backoff, wait for the next refresh',
    given: (w) => w.provider.data.set('db-password', 'x'.repeat(MAX_SECRET_DATA_BYTES + 1)),
    decision: 'done until next refresh',
    ready: 'False UpdateFailed',
    message: /more than the 1 MiB/,
    writes: [],
    events: ['Warning UpdateFailed'],
    syncs: ['error'],
  },
  {
    name: 'a write the apiserver forbids backs off with a hint',
    given: (w) => (w.refuseWrites = new KubeApiError(403, 'Forbidden', 'secrets is forbidden')),
    decision: 'retry KubeApiError',
    ready: 'False UpdateFailed',
    message: /^writing Secret team-a\/db-creds failed: secrets is forbidden \(check deploy\/rbac\.yaml\)$/,
    writes: [],
    events: ['Warning UpdateFailed'],
    syncs: ['error'],
  },
  {
    name: 'refreshPolicy OnChange, synced: nothing until a change',
    given: (w) => (w.spec.refreshPolicy = 'OnChange'),
    afterSync: (w) => w.clock.advance(1000 * MIN),
    decision: 'done',
    ready: null,
    writes: [],
    events: [],
    syncs: [],
  },
  {
    name: 'a changed spec (new generation) refreshes OnChange at once',
    given: (w) => (w.spec.refreshPolicy = 'OnChange'),
    afterSync: (w) => {
      w.meta = { generation: 2 };
      w.provider.data.set('db-password', 'rotated');
    },
    decision: 'done',
    ready: 'True SecretSynced',
    writes: [`update ${ES_NAME}`],
    events: ['Normal Updated'],
    syncs: ['synced'],
  },
  {
    name: 'inside a deny sync window nothing is fetched; look again when it closes',
    given: (w) =>
      (w.spec.syncWindows = { kind: 'deny', windows: [{ schedule: '0 10 * * *', duration: '1h' }] }),
    decision: `done in ${60 * MIN} ms`,
    ready: null,
    writes: [],
    events: [],
    syncs: [],
    then: (w) => expect(w.provider.reads).toBe(0),
  },
];

test.each(ROWS)('$name', async (row) => {
  const w = world();
  row.given?.(w);
  if (row.afterSync) {
    const first = await reconcile(w);
    expect(first.record.statuses.at(-1)?.conditions?.[0]?.reason).toBe('SecretSynced');
    row.afterSync(w);
  }
  const { decision, record } = await reconcile(w);
  expect(summary(decision, w)).toBe(typeof row.decision === 'function' ? row.decision(w) : row.decision);
  const ready = record.statuses.at(-1)?.conditions?.find((c) => c.type === 'Ready');
  expect(ready ? `${ready.status} ${ready.reason}` : null).toBe(row.ready);
  if (row.message) expect(ready?.message).toMatch(row.message);
  expect(record.writes).toEqual(row.writes);
  expect(record.events.map((e) => `${e.type} ${e.reason}`)).toEqual(row.events);
  expect(record.syncs).toEqual(row.syncs);
  // The readiness gauge follows every decision: the condition written, or the one that stands; an
  // ExternalSecret of another controller has no series.
  const standing = w.status?.conditions?.find((c) => c.type === 'Ready');
  expect(record.ready.at(-1)).toBe(
    record.syncs.includes('skipped')
      ? 'none'
      : standing
        ? `${standing.status} ${standing.reason}`
        : undefined,
  );
  // Values never reach a status, an Event or the decision.
  const said = JSON.stringify([record.statuses, record.events, summary(decision, w)]);
  for (const v of ['s3cr3t', 'rotated']) expect(said).not.toContain(v);
  row.then?.(w);
});

describe('rotation latency', () => {
  test('a sync a rotation event forced is timed from the event to the Secret written', async () => {
    const w = world();
    await reconcile(w);
    w.provider.data.set('db-password', 'rotated');
    w.memory.requestRefresh(KEY, w.clock.now());
    w.clock.advance(2500);
    const { record } = await reconcile(w);
    expect(record.writes).toEqual([`update ${ES_NAME}`]);
    expect(record.rotationMs).toEqual([2500]);
  });

  test('a refresh asked by a moved version tag (no event), a periodic one, or a failed one is not timed', async () => {
    const w = world();
    await reconcile(w);
    w.memory.requestRefresh(KEY);
    expect((await reconcile(w)).record.rotationMs).toEqual([]);
    w.clock.advance(2 * 60 * MIN);
    expect((await reconcile(w)).record.rotationMs).toEqual([]);
    w.memory.requestRefresh(KEY, w.clock.now());
    w.provider.failReads = new UnavailableError('down');
    const failed = await reconcile(w);
    expect([failed.record.syncs, failed.record.rotationMs]).toEqual([['error'], []]);
  });
});

describe('idle refreshes write nothing (refresh-time heartbeat)', () => {
  const HOUR = 60 * MIN;
  const refreshMs = HOUR; // the default refreshInterval
  const idle = async (w: World) => {
    w.clock.advance(refreshMs);
    return reconcile(w);
  };

  test('a due refresh that finds nothing changed patches no status, and remembers the check in memory', async () => {
    const w = world();
    w.refreshTimeHeartbeatMs = 6 * HOUR;
    await reconcile(w);
    const synced = w.status!.refreshTime;
    const { record } = await idle(w);
    expect([record.statuses.length, record.writes, record.syncs]).toEqual([0, [], ['unchanged']]);
    expect(w.status!.refreshTime).toBe(synced);
    expect(w.memory.lastCheckMs(KEY)).toBe(w.clock.now());
  });

  test('the next check is timed from the check in memory, not from the older refreshTime', async () => {
    const w = world();
    w.refreshTimeHeartbeatMs = 6 * HOUR;
    await reconcile(w);
    await idle(w);
    const { decision } = await reconcile(w);
    expect(summary(decision, w)).toBe('done until next refresh');
  });

  test('refreshTime moves once the heartbeat has passed', async () => {
    const w = world();
    w.refreshTimeHeartbeatMs = 2 * HOUR;
    await reconcile(w);
    expect((await idle(w)).record.statuses.length).toBe(0);
    const { record } = await idle(w);
    expect(record.statuses.length).toBe(1);
    expect(Date.parse(w.status!.refreshTime!)).toBe(w.clock.now());
  });

  test('a refresh that writes the Secret moves refreshTime at once', async () => {
    const w = world();
    w.refreshTimeHeartbeatMs = 6 * HOUR;
    await reconcile(w);
    w.provider.data.set('db-password', 'rotated');
    const { record } = await idle(w);
    expect(record.writes).toEqual([`update ${ES_NAME}`]);
    expect(Date.parse(w.status!.refreshTime!)).toBe(w.clock.now());
  });

  test('without a heartbeat every refresh moves refreshTime, as ESO does', async () => {
    const w = world();
    await reconcile(w);
    const { record } = await idle(w);
    expect(record.statuses.length).toBe(1);
    expect(Date.parse(w.status!.refreshTime!)).toBe(w.clock.now());
  });

  test('a restarted process spreads checks that were overdue when it started over one interval', async () => {
    const w = world();
    w.refreshTimeHeartbeatMs = 6 * HOUR;
    await reconcile(w);
    w.clock.advance(3 * HOUR);
    w.memory = new SyncMemory(true, w.clock.now());
    const { decision, record } = await reconcile(w);
    expect([record.statuses.length, record.syncs, w.provider.reads]).toEqual([0, [], 1]);
    expect(decision.kind === 'done' && decision.requeueAfterMs).toBe(
      spreadAfter(w.clock.now(), refreshMs, KEY) - w.clock.now(),
    );
  });
});

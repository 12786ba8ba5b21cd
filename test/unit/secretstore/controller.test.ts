// SecretStoreController's decisions with the store informers and the client cache replaced by
// recorders and time on a ManualClock: which store events drop clients and start a validation
// (seen as the validation asking the cache for a client, which never answers here, so nothing is
// written), leader only; the 5-minute round; the recheck when a failed store's client answers.
import { newKubeConfig } from '../../../src/kube/kubeconfig';
import { STORE_REASON } from '../../../src/api/constants';
import {
  SecretStoreController,
  type SecretStoreControllerOptions,
  STORE_VALIDATIONS_AT_ONCE,
} from '../../../src/controllers/secretstore/controller';
import type { CachedStore } from '../../../src/controllers/secretstore/store-informers';
import { createLogger } from '../../../src/observability/logger';
import { Metrics } from '../../../src/observability/metrics';
import type { SecretsClient } from '../../../src/providers/core/types';
import { ManualClock } from '../../../src/runtime/clock';
import type { InformerEvent, InformerHandler } from '../../../src/runtime/informer';

const MINUTE = 60_000;

const store = (name: string, generation = 1, extra: Partial<CachedStore> = {}): CachedStore => ({
  kind: 'SecretStore',
  name,
  namespace: 'team-a',
  generation,
  spec: { provider: { fake: { data: [] } } },
  annotations: {},
  ...extra,
});

function setup(
  initial: CachedStore[] = [],
  /** What the client cache answers (default: never). */
  answer: () => Promise<SecretsClient> = () => new Promise<SecretsClient>(() => undefined),
) {
  const clock = new ManualClock(0);
  const cached = new Map(initial.map((s) => [`SecretStore/team-a/${s.name}`, s]));
  const handlers: Record<InformerEvent, InformerHandler<CachedStore>[]> = { add: [], update: [], delete: [] };
  /** What the controller asked of the cache, in order. */
  const calls: string[] = [];
  const opts: SecretStoreControllerOptions = {
    kc: newKubeConfig(),
    logger: createLogger('silent'),
    metrics: new Metrics(false),
    clock,
    controllerClass: 'ours',
    stores: {
      byId: (id) => cached.get(id),
      list: () => [...cached.values()],
      on: (event, handler) => void handlers[event].push(handler),
    },
    clients: {
      client: (s) => {
        calls.push(`validate ${s.name}@${s.generation}`);
        return answer();
      },
      drop: (id) => void calls.push(`drop ${id}`),
      dropStale: (current) => void calls.push(`dropStale a@${current('SecretStore/team-a/a')}`),
    },
    refresh: () => 0,
  };
  const emit = (event: InformerEvent, s: CachedStore, old?: CachedStore) => {
    if (event === 'delete') cached.delete(`SecretStore/team-a/${s.name}`);
    else cached.set(`SecretStore/team-a/${s.name}`, s);
    for (const h of handlers[event]) h(s.name, s, old);
  };
  return { controller: new SecretStoreController(opts), clock, calls, emit };
}

test('a follower drops the clients of a changed store but validates nothing', () => {
  const { calls, emit } = setup();
  emit('add', store('a'));
  emit('update', store('a', 2), store('a'));
  expect(calls).toEqual(['drop SecretStore/team-a/a', 'drop SecretStore/team-a/a']);
});

test('the leader validates every store it handles, and a store again when its generation changes', async () => {
  const { controller, calls, emit } = setup([
    store('a'),
    store('theirs', 1, { spec: { controller: 'other', provider: { fake: { data: [] } } } }),
  ]);
  controller.run();
  expect(calls).toEqual(['validate a@1']);
  emit('update', { ...store('a'), annotations: { unrelated: 'x' } }, store('a')); // same generation
  emit('update', store('a', 2), store('a'));
  emit('delete', store('a', 2));
  expect(calls).toEqual([
    'validate a@1',
    // The old clients go first, so that validation builds (and keeps) the new one.
    'drop SecretStore/team-a/a',
    'validate a@2',
    'drop SecretStore/team-a/a',
  ]);
  await controller.stop();
});

test('the leader re-validates every 5 minutes after sweeping stale clients, until stopped', async () => {
  const { controller, clock, calls } = setup([store('a', 3)]);
  controller.run();
  clock.advance(5 * MINUTE - 1);
  expect(calls).toEqual(['validate a@3']);
  clock.advance(1);
  expect(calls).toEqual(['validate a@3', 'dropStale a@3', 'validate a@3']);
  clock.advance(5 * MINUTE);
  expect(calls).toHaveLength(5);
  await controller.stop();
  expect(clock.pendingTimers()).toBe(0);
  clock.advance(10 * MINUTE);
  expect(calls).toHaveLength(5);
});

test('a store whose validation failed is validated again when its client answers, at most every 30 s', async () => {
  const failed = store('a', 1, {
    conditions: [{ type: 'Ready', status: 'False', reason: STORE_REASON.ValidationFailed, message: 'down' }],
  });
  const { controller, clock, calls } = setup([failed, store('ok')]);
  controller.run();
  calls.length = 0;
  controller.recheck('SecretStore/team-a/ok');
  controller.recheck('SecretStore/team-a/a');
  clock.advance(29_999);
  controller.recheck('SecretStore/team-a/a');
  clock.advance(1);
  controller.recheck('SecretStore/team-a/a');
  expect(calls).toEqual(['validate a@1', 'validate a@1']);
  await controller.stop();
});

test('the leader validates at most STORE_VALIDATIONS_AT_ONCE stores at once; each that ends starts the next', async () => {
  const answers: Array<(c: SecretsClient) => void> = [];
  const stores = Array.from({ length: 3 * STORE_VALIDATIONS_AT_ONCE }, (_, i) => store(`s${i}`));
  const { controller, calls } = setup(stores, () => new Promise<SecretsClient>((r) => answers.push(r)));
  controller.run();
  expect(calls).toHaveLength(STORE_VALIDATIONS_AT_ONCE);
  // Three end (their status write fails here: no apiserver; it is only logged): three more start.
  const failing = { validate: () => Promise.reject(new Error('down')) } as unknown as SecretsClient;
  for (const a of answers.slice(0, 3)) a(failing);
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  expect(calls).toHaveLength(STORE_VALIDATIONS_AT_ONCE + 3);
  expect(calls.at(-1)).toBe(`validate s${STORE_VALIDATIONS_AT_ONCE + 2}@1`);
  await controller.stop();
});

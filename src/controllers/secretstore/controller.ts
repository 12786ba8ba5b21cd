// The store side of the controller, leader only: each store's Ready condition (validated when it
// changes, every 5 minutes, and again as soon as its client answers after validation failed) and
// its rotation-event source (src/events), whose health is the store's RotationEvents condition.
// Validations run a few at a time (STORE_VALIDATIONS_AT_ONCE).
// The store informers run on every replica; until run() this part only drops the clients of a
// store that changed, and after stop() it is a follower again.
import type { KubeConfig } from '@kubernetes/client-node';
import { API_GROUP, API_VERSION, ES_REASON } from '../../api/constants';
import { ignoredStoreFields } from '../../api/unsupported-fields';
import { RotationEvents } from '../../events/manager';
import { EventRecorder } from '../../kube/events';
import { inBackground } from '../../observability/background';
import type { AppLogger } from '../../observability/logger';
import { ObjectGauge, type Metrics } from '../../observability/metrics';
import type { SecretsClient } from '../../providers/core/types';
import { systemClock, type Clock, type TimerHandle } from '../../runtime/clock';
import type { ProviderClients } from './client-cache';
import { storeId, type StoreObject } from './store';
import { storeHandledBy } from './store-access';
import type { CachedStore, StoreInformers } from './store-informers';
import { shouldRecheckStore, storeReadyLabels, validateStore, writeStoreStatus } from './store-status';

export interface SecretStoreControllerOptions {
  kc: KubeConfig;
  logger: AppLogger;
  metrics: Metrics;
  clock?: Clock;
  controllerClass?: string;
  stores: Pick<StoreInformers, 'byId' | 'list' | 'on'>;
  clients: Pick<ProviderClients<SecretsClient>, 'client' | 'drop' | 'dropStale'>;
  /** Refreshes now the ExternalSecrets that read these remote names of a store; returns how many. */
  refresh(storeId: string, names: string[]): number;
}

const STORE_REVALIDATE_MS = 5 * 60_000;
/**
 * Store validations at once, each a provider call and a status write. A leader starting (and the
 * 5-minute round) used to send them all together: with hundreds of stores that is a burst of
 * provider calls (AWS ListSecrets is rate-limited) and of apiserver writes, and on a busy
 * apiserver (429s) the leader's own Lease renewal missed its deadline and the process exited.
 * Every step has a deadline (provider calls, token endpoints, apiserver), so no slot is held for good.
 */
export const STORE_VALIDATIONS_AT_ONCE = 8;

function awsRegion(s: StoreObject): string | undefined {
  return (s.spec.provider as { aws?: { region?: string } } | undefined)?.aws?.region;
}

export class SecretStoreController {
  private leading = false;
  private readonly events: RotationEvents;
  private readonly clock: Clock;
  private revalidate?: TimerHandle;
  /** When each store was last re-validated because its client answered (see recheck). */
  private readonly rechecked = new Map<string, number>();
  /** secretsync_store_ready: one series per store, from each validation's Ready condition. */
  private readonly ready: ObjectGauge<'store_kind' | 'store_namespace' | 'store' | 'provider' | 'reason'>;
  private readonly recorder: EventRecorder;
  /** The generation of each store whose ignored fields were told in an Event (once per generation). */
  private readonly warned = new Map<string, number>();
  /** Stores waiting for a validation slot (the newest object of each), and the slots in use. */
  private readonly waiting = new Map<string, CachedStore>();
  private validating = 0;

  constructor(private readonly opts: SecretStoreControllerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.recorder = new EventRecorder(opts.kc, opts);
    this.ready = new ObjectGauge(opts.metrics.storeReady);
    this.events = new RotationEvents({
      clock: this.clock,
      logger: opts.logger,
      metrics: opts.metrics,
      refresh: (id, names) => opts.refresh(id, names),
      condition: (id, ok, reason, message) => {
        const s = opts.stores.byId(id);
        if (!s) return;
        inBackground(
          opts,
          'store-status',
          writeStoreStatus(
            opts.kc,
            s,
            {
              type: 'RotationEvents',
              status: ok ? 'True' : 'False',
              reason,
              message,
            },
            this.clock,
          ),
          { store: id },
        );
      },
    });
    const onStore = (_key: string, s: CachedStore, old?: CachedStore) => {
      if (this.leading) this.syncEvents(s);
      if (old && old.generation === s.generation) return;
      // The old clients go first, so that validation builds (and keeps) the new one.
      opts.clients.drop(storeId(s));
      this.report(s);
    };
    opts.stores.on('add', onStore);
    opts.stores.on('update', onStore);
    // A deleted store is not validated (nor its status written): its clients close once their
    // calls in flight settle.
    opts.stores.on('delete', (_key, s) => {
      this.events.remove(storeId(s));
      this.rechecked.delete(storeId(s));
      this.warned.delete(storeId(s));
      this.waiting.delete(storeId(s));
      this.ready.delete(storeId(s));
      opts.clients.drop(storeId(s));
    });
  }

  /** Validates every store and starts their event sources, then re-validates periodically; leader only. */
  run(): void {
    this.leading = true;
    this.scheduleRevalidation();
    for (const s of this.opts.stores.list()) {
      this.report(s);
      this.syncEvents(s);
    }
  }

  /** Stops the event sources and the periodic validation. */
  async stop(): Promise<void> {
    this.leading = false;
    this.waiting.clear();
    if (this.revalidate) this.clock.clearTimeout(this.revalidate);
    this.revalidate = undefined;
    await this.events.stopAll();
  }

  /**
   * Told when a store's client answered a call. A store whose validation failed is validated again
   * then, so that its Ready condition recovers with its ExternalSecrets instead of at the next
   * 5-minute round.
   */
  recheck(id: string): void {
    const s = this.opts.stores.byId(id);
    const now = this.clock.now();
    if (!s || !shouldRecheckStore(s.conditions, this.rechecked.get(id), now)) return;
    this.rechecked.set(id, now);
    this.report(s);
  }

  // Stores are re-validated periodically too (credentials and permissions change outside Kubernetes).
  private scheduleRevalidation(): void {
    this.revalidate = this.clock.setTimeout(() => {
      this.scheduleRevalidation();
      this.opts.clients.dropStale((id) => this.opts.stores.byId(id)?.generation);
      for (const s of this.opts.stores.list()) this.report(s);
    }, STORE_REVALIDATE_MS);
  }

  /** A Warning Event naming the fields accepted but not honoured, once per store generation. */
  private warnIgnored(s: CachedStore): void {
    const id = storeId(s);
    const ignored = ignoredStoreFields(s.spec);
    if (ignored.length === 0 || this.warned.get(id) === s.generation) return;
    this.warned.set(id, s.generation);
    this.recorder.event(
      {
        apiVersion: `${API_GROUP}/${API_VERSION}`,
        kind: s.kind,
        metadata: { name: s.name, namespace: s.namespace, uid: s.uid },
      },
      'Warning',
      ES_REASON.UnsupportedField,
      `not honoured by secretsync, synced anyway: ${ignored.map((f) => `${f.path} (${f.instead})`).join('; ')}`,
    );
  }

  private syncEvents(s: CachedStore): void {
    this.events.sync({ id: storeId(s), annotations: s.annotations, region: awsRegion(s) });
  }

  /** Writes the store's Ready condition (leader only; informers run on every replica). */
  private report(s: CachedStore): void {
    const id = storeId(s);
    if (!this.leading || !storeHandledBy(s.spec, this.opts.controllerClass)) {
      if (this.leading) this.ready.delete(id); // now another controller's
      return;
    }
    this.warnIgnored(s);
    this.waiting.set(id, s); // the newest object, in the place of the first wait
    this.startValidations();
  }

  /** Starts waiting validations while fewer than STORE_VALIDATIONS_AT_ONCE run. */
  private startValidations(): void {
    for (const [id, s] of this.waiting) {
      if (this.validating >= STORE_VALIDATIONS_AT_ONCE) return;
      this.waiting.delete(id);
      this.validating++;
      const work = validateStore(s, (st) => this.opts.clients.client(st, st.namespace ?? 'default')).then(
        (cond) => {
          // Unless the store was deleted while it was being validated.
          if (this.opts.stores.byId(id))
            this.ready.set(id, storeReadyLabels(s, cond.reason), cond.status === 'True' ? 1 : 0);
          return writeStoreStatus(this.opts.kc, s, cond, this.clock);
        },
      );
      inBackground(this.opts, 'store-status', work, { store: id });
      const free = () => {
        this.validating--;
        if (this.leading) this.startValidations();
      };
      work.then(free, free);
    }
  }
}

// Pulls Secret Manager notifications from a Pub/Sub subscription (streaming pull). A message is
// acked only after the affected ExternalSecrets are enqueued; malformed messages are acked,
// counted and logged without their payload.
//
// Reconnection is ours, not only the client library's: the library retries a broken stream by
// itself, silently and with up to a minute between tries, and its gRPC channel keeps its own
// reconnect backoff (up to two minutes). So when a stream ends with an error we ask the server
// for the subscription (one GetSubscription, no retries, short deadline): if that answers, the
// library's own retry (100 ms) reopens the stream; if not, the connection is gone: the store's
// RotationEvents condition says so, the subscription and its client are closed, and a fresh
// client probes again on RECONNECT's schedule until the subscription answers, then streams.
// The same probe runs periodically while subscribed, to notice a connection that hangs without
// failing. Polling covers the whole time.
import type { DebugMessage, Message, PubSub, Subscription } from '@google-cloud/pubsub';
import { parsePubSubNotification } from './parse';
import { RECONNECT, nextReconnectDelay, type EventSource, type SourceSink } from './source';

/** Deadline of one probe (GetSubscription); a probe is never retried, the schedule is. */
const PROBE_TIMEOUT_MS = 5_000;
/** How often a healthy subscription is probed, to notice a connection that hangs silently. */
const HEALTH_EVERY_MS = 60_000;
const NOT_FOUND = 5;

export function startPubSubSource(subscriptionPath: string, sink: SourceSink): EventSource {
  const m = /^projects\/([^/]+)\/subscriptions\/([^/]+)$/.exec(subscriptionPath);
  if (!m) {
    sink.status(
      false,
      'InvalidSubscription',
      `${subscriptionPath} is not projects/<project>/subscriptions/<name>`,
    );
    return { stop: async () => undefined };
  }
  const [, project, name] = m as unknown as [string, string, string];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require('@google-cloud/pubsub') as typeof import('@google-cloud/pubsub');
  const newClient = () =>
    new sdk.PubSub({
      projectId: project,
      // Each client gets its own connection (not one from grpc-js's process-wide pool, which a
      // fresh client would share with the failed one, backoff included), and the channel's own
      // reconnect backoff stays within ours.
      'grpc.use_local_subchannel_pool': 1,
      'grpc.initial_reconnect_backoff_ms': RECONNECT.initialMs,
      'grpc.max_reconnect_backoff_ms': RECONNECT.maxMs,
    } as ConstructorParameters<typeof sdk.PubSub>[0]);
  let client: PubSub = newClient();
  let sub: Subscription | undefined;
  let stopped = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let health: ReturnType<typeof setInterval> | undefined;
  let delayMs: number = RECONNECT.initialMs;
  let attempts = 0;
  let probing = false;

  const onMessage = (msg: Message) => {
    const parsed = parsePubSubNotification(msg.attributes);
    if (parsed.kind !== 'secret') {
      sink.count(parsed.kind);
      msg.ack();
      return;
    }
    sink
      .changed([parsed.name])
      .then(() => msg.ack())
      .catch(() => msg.nack());
  };

  const probe = (s: Subscription) =>
    s.getMetadata({ timeout: PROBE_TIMEOUT_MS, retry: null } as Parameters<Subscription['getMetadata']>[0]);

  /** The connection (or the subscription) is gone: report, drop the client, retry later. */
  const fail = (s: Subscription, err: { code?: number; message?: string }) => {
    if (s !== sub || stopped) return; // a late error of a subscription already given up
    sink.debug?.({ code: err.code, detail: describe(err) }, 'pubsub connection failed');
    sub = undefined;
    if (health) clearInterval(health);
    health = undefined;
    s.removeAllListeners('message');
    void s.close().catch(() => undefined);
    s.on('error', () => undefined); // closing may still emit
    const old = client;
    client = newClient(); // a fresh channel: the old one may hang or sit in its own backoff
    void old.close().catch(() => undefined);
    const notFound = err.code === NOT_FOUND;
    sink.status(
      false,
      notFound ? 'SubscriptionNotFound' : 'SubscriptionUnavailable',
      notFound
        ? `Pub/Sub subscription ${subscriptionPath} not found: create it on the Secret Manager topic (polling continues)`
        : `Pub/Sub subscription ${subscriptionPath} unreachable: ${describe(err)} (polling continues; reconnecting)`,
    );
    const wait = delayMs;
    retry = setTimeout(() => {
      connect(wait).catch(connectFailed);
    }, wait);
    delayMs = nextReconnectDelay(delayMs);
  };

  /** Asks the server whether the subscription is there; a failure gives the connection up. */
  const check = (s: Subscription) => {
    if (probing || s !== sub || stopped) return;
    probing = true;
    probe(s)
      .then(() => sink.debug?.({}, 'pubsub probe ok'))
      .catch((err: { code?: number; message?: string }) => fail(s, err))
      .finally(() => (probing = false));
  };

  /** Opens the subscription; `waitedMs` is the backoff delay before a reconnection attempt. */
  const connect = async (waitedMs?: number) => {
    retry = undefined;
    if (stopped) return;
    if (waitedMs !== undefined) sink.reconnecting?.(++attempts, waitedMs);
    const s = client.subscription(name, {
      // One stream is plenty for notifications; the library's stream retries stay short, since a
      // longer outage is handed to the schedule above.
      streamingOptions: {
        maxStreams: 1,
        retryMaxBackoff: sdk.Duration.from({ milliseconds: RECONNECT.initialMs }),
      },
    });
    sub = s;
    s.on('error', (err: { code?: number; message?: string }) => fail(s, err));
    // The library reports a stream that ended (and that it will reopen) as a debug message.
    s.on('debug', (msg: DebugMessage) => {
      const code = (msg.error as { code?: unknown } | undefined)?.code;
      sink.debug?.({ code, detail: msg.message.slice(0, 200) }, 'pubsub stream');
      if (typeof code === 'number') check(s);
    });
    try {
      await probe(s);
    } catch (err) {
      fail(s, err as { code?: number; message?: string });
      return;
    }
    if (s !== sub || stopped) return;
    s.on('message', onMessage); // opens the stream
    sink.debug?.({}, 'pubsub streaming pull opened');
    delayMs = RECONNECT.initialMs;
    attempts = 0;
    health = setInterval(() => check(s), HEALTH_EVERY_MS);
    health.unref();
    sink.status(true, 'Subscribed', `receiving rotation events from ${subscriptionPath}`);
  };

  /** An error connect() did not expect is a lost connection too: reported, and retried if it can be. */
  const connectFailed = (err: { code?: number; message?: string }) => {
    if (sub) fail(sub, err);
    else
      sink.status(
        false,
        'SubscriptionUnavailable',
        `Pub/Sub subscription ${subscriptionPath} could not be opened: ${describe(err)} (polling continues)`,
      );
  };

  connect().catch(connectFailed);
  return {
    stop: async () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      if (health) clearInterval(health);
      const s = sub;
      sub = undefined;
      s?.removeAllListeners('message');
      await s?.close().catch(() => undefined);
      await client.close().catch(() => undefined);
    },
  };
}

/** A gRPC error's status and first line (it names the endpoint, never a message payload). */
function describe(err: { code?: number; message?: string }): string {
  const text = (err.message ?? 'error').split('\n')[0]!.slice(0, 200);
  return typeof err.code === 'number' ? `gRPC status ${err.code}: ${text}` : text;
}

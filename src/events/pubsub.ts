// Pulls Secret Manager notifications from a Pub/Sub subscription. A message is acked only after
// the affected ExternalSecrets are enqueued; malformed messages are acked, counted and logged
// without their payload.
//
// Long-polling unary Pull, not streaming pull. The server hands a new message to any stream it
// believes open, and a stream whose connection died stays "open" there until the server notices:
// every message it is handed comes back only after the ack deadline, possibly to another dead
// stream. The Pub/Sub emulator did not notice, within minutes, a streaming pull whose connection
// was closed without a cancel: measured, messages published after a reconnect arrived up to 60 s
// late, worse with each cut. A Pull request takes at most one batch, so a request lost with its connection delays
// what it took by one ack deadline, once.
//
// Reconnection is ours (no library or channel retries): after a failure the store's RotationEvents
// condition says so, the client is replaced (its channel may hang or sit in its own backoff), and
// on RECONNECT's schedule one GetSubscription probes until the subscription answers; then the
// condition recovers and pulling resumes. Every call has a deadline; a long poll that ends empty
// (DEADLINE_EXCEEDED) is followed by a probe, so a connection that hangs without failing is
// noticed within one poll. Polling covers the whole time.
import type { protos, v1 } from '@google-cloud/pubsub';
import { parsePubSubNotification } from './parse';
import { RECONNECT, nextReconnectDelay, type EventSource, type SourceSink } from './source';
import { systemClock, type Clock } from '../runtime/clock';

/** Deadline of one probe (GetSubscription) and of one ack. */
const CALL_TIMEOUT_MS = 5_000;
/** How long one Pull waits for messages; also how late a silently hanging connection is noticed. */
export const PULL_WAIT_MS = 30_000;
const MAX_MESSAGES = 100;
const DEADLINE_EXCEEDED = 4;
const NOT_FOUND = 5;

type GrpcError = { code?: number; message?: string };
type Received = protos.google.pubsub.v1.IReceivedMessage;

export function startPubSubSource(
  subscriptionPath: string,
  sink: SourceSink,
  clock: Clock = systemClock,
): EventSource {
  const m = /^projects\/([^/]+)\/subscriptions\/([^/]+)$/.exec(subscriptionPath);
  if (!m) {
    sink.status(
      false,
      'InvalidSubscription',
      `${subscriptionPath} is not projects/<project>/subscriptions/<name>`,
    );
    return { stop: async () => undefined };
  }
  const project = m[1]!;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require('@google-cloud/pubsub') as typeof import('@google-cloud/pubsub');
  const newClient = async (): Promise<v1.SubscriberClient> => {
    const config = new sdk.PubSub({
      projectId: project,
      // Each client gets its own connection (not one from grpc-js's process-wide pool, which a
      // fresh client would share with the failed one, backoff included), and the channel's own
      // reconnect backoff stays within ours.
      'grpc.use_local_subchannel_pool': 1,
      'grpc.initial_reconnect_backoff_ms': RECONNECT.initialMs,
      'grpc.max_reconnect_backoff_ms': RECONNECT.maxMs,
    } as ConstructorParameters<typeof sdk.PubSub>[0]);
    // The documented way to the generated client, with the emulator and endpoint settings applied.
    const options = (await config.getClientConfig()) as ConstructorParameters<
      typeof sdk.v1.SubscriberClient
    >[0];
    return new sdk.v1.SubscriberClient(options);
  };
  const request = { subscription: subscriptionPath };
  const once = (ms: number) => ({ timeout: ms, retry: null });
  let stopped = false;
  const cancels = new Set<() => void>();
  let client: v1.SubscriberClient | undefined;

  /** One call that `stop()` cancels, if its promise can be cancelled (the long poll's can). */
  const call = async <T>(p: Promise<T> & { cancel?: () => void }): Promise<T> => {
    const cancel = () => p.cancel?.();
    cancels.add(cancel);
    try {
      return await p;
    } finally {
      cancels.delete(cancel);
    }
  };

  /** A backoff delay that `stop()` ends early. */
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clock.clearTimeout(t);
        cancels.delete(wake);
        resolve();
      };
      const t = clock.setTimeout(wake, ms);
      cancels.add(wake);
    });

  const probe = (c: v1.SubscriberClient) => call(c.getSubscription(request, once(CALL_TIMEOUT_MS)));

  /**
   * One long poll. Through the generated client's inner call with the routing header `pull()`
   * adds, because only that promise can be cancelled: `stop()` ends the poll at once instead of
   * waiting it out, and the server drops the request instead of handing it a batch no one takes.
   */
  const pull = async (c: v1.SubscriberClient): Promise<Received[]> => {
    await c.initialize();
    const inner = c.innerApiCalls.pull as (
      req: protos.google.pubsub.v1.IPullRequest,
      opts: object,
    ) => Promise<[protos.google.pubsub.v1.IPullResponse]> & { cancel(): void };
    const [res] = await call(
      inner(
        { ...request, maxMessages: MAX_MESSAGES },
        {
          ...once(PULL_WAIT_MS),
          otherArgs: {
            headers: { 'x-goog-request-params': `subscription=${encodeURIComponent(subscriptionPath)}` },
          },
        },
      ),
    );
    return res.receivedMessages ?? [];
  };

  /** Enqueues and acks what one Pull returned; a message whose enqueue failed is returned at once. */
  const handle = async (c: v1.SubscriberClient, messages: Received[]) => {
    const ack: string[] = [];
    const nack: string[] = [];
    for (const r of messages) {
      if (!r.ackId) continue;
      const parsed = parsePubSubNotification(r.message?.attributes ?? {});
      if (parsed.kind !== 'secret') {
        sink.count(parsed.kind);
        ack.push(r.ackId);
        continue;
      }
      try {
        await sink.changed([parsed.name]);
        ack.push(r.ackId);
      } catch {
        nack.push(r.ackId);
      }
    }
    // A lost ack only means a redelivery, which refreshes once more: the next Pull tells whether
    // the connection is still there.
    if (ack.length)
      await call(c.acknowledge({ ...request, ackIds: ack }, once(CALL_TIMEOUT_MS))).catch(() => undefined);
    if (nack.length)
      await call(
        c.modifyAckDeadline({ ...request, ackIds: nack, ackDeadlineSeconds: 0 }, once(CALL_TIMEOUT_MS)),
      ).catch(() => undefined);
  };

  const report = (err: GrpcError) => {
    sink.debug?.({ code: err.code, detail: describe(err) }, 'pubsub connection failed');
    const notFound = err.code === NOT_FOUND;
    sink.status(
      false,
      notFound ? 'SubscriptionNotFound' : 'SubscriptionUnavailable',
      notFound
        ? `Pub/Sub subscription ${subscriptionPath} not found: create it on the Secret Manager topic (polling continues)`
        : `Pub/Sub subscription ${subscriptionPath} unreachable: ${describe(err)} (polling continues; reconnecting)`,
    );
  };

  const loop = async () => {
    let delayMs: number = RECONNECT.initialMs;
    let attempts = 0;
    let connected = false;
    while (!stopped) {
      try {
        client ??= await newClient();
        const c = client;
        if (!connected) {
          await probe(c);
          if (stopped) return;
          connected = true;
          delayMs = RECONNECT.initialMs;
          attempts = 0;
          sink.debug?.({}, 'pubsub subscription answered; pulling');
        }
        // Said after every answer, not only on connecting (the store writes only a change): a
        // condition that another status write replaced comes back within one poll.
        sink.status(true, 'Subscribed', `receiving rotation events from ${subscriptionPath}`);
        let messages: Received[];
        try {
          messages = await pull(c);
        } catch (err) {
          if ((err as GrpcError).code !== DEADLINE_EXCEEDED || stopped) throw err;
          // Nothing arrived within the wait, or the connection hangs: the probe tells which.
          await probe(c);
          sink.debug?.({}, 'pubsub probe ok');
          continue;
        }
        await handle(c, messages);
      } catch (err) {
        if (stopped) return;
        report(err as GrpcError);
        connected = false;
        const old = client;
        client = undefined; // a fresh channel next time: the old one may hang or sit in its backoff
        old?.close().catch(() => undefined);
        const wait = delayMs;
        delayMs = nextReconnectDelay(delayMs);
        await sleep(wait);
        if (!stopped) sink.reconnecting?.(++attempts, wait);
      }
    }
  };
  const running = loop();
  return {
    stop: async () => {
      stopped = true;
      for (const cancel of [...cancels]) cancel();
      await running.catch(() => undefined);
      await client?.close().catch(() => undefined);
    },
  };
}

/** A gRPC error's status and first line (it names the endpoint, never a message payload). */
function describe(err: GrpcError): string {
  const text = (err.message ?? 'error').split('\n')[0]!.slice(0, 200);
  return typeof err.code === 'number' ? `gRPC status ${err.code}: ${text}` : text;
}

// Pulls Secret Manager notifications from a Pub/Sub subscription (streaming pull; the client
// library reconnects by itself). A message is acked only after the affected ExternalSecrets are
// enqueued; malformed messages are acked, counted and logged without their payload.
import type { Message, Subscription } from '@google-cloud/pubsub';
import { parsePubSubNotification } from './parse';
import type { EventSource, SourceSink } from './source';

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
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PubSub } = require('@google-cloud/pubsub') as typeof import('@google-cloud/pubsub');
  const client = new PubSub({ projectId: m[1] });
  let sub: Subscription | undefined;
  let stopped = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let delayMs = 1000;

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

  const open = () => {
    if (stopped) return;
    sub = client.subscription(m[2]!);
    sub.on('message', onMessage);
    sub.on('error', (err: { code?: number; message?: string }) => {
      const notFound = err.code === 5;
      sink.status(
        false,
        notFound ? 'SubscriptionNotFound' : 'SubscriptionError',
        notFound
          ? `Pub/Sub subscription ${subscriptionPath} not found: create it on the Secret Manager topic (polling continues)`
          : `Pub/Sub subscription ${subscriptionPath}: ${err.message ?? 'error'} (polling continues; reconnecting)`,
      );
      void sub?.close().catch(() => undefined);
      sub = undefined;
      retry = setTimeout(open, delayMs);
      delayMs = Math.min(delayMs * 2, 60_000);
    });
    void sub
      .exists()
      .then(([exists]) => {
        if (exists) {
          delayMs = 1000;
          sink.status(true, 'Subscribed', `receiving rotation events from ${subscriptionPath}`);
        } else sub?.emit('error', { code: 5, message: 'not found' });
      })
      .catch(() => undefined);
  };
  open();
  return {
    stop: async () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      await sub?.close().catch(() => undefined);
      await client.close().catch(() => undefined);
    },
  };
}

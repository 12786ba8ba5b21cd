// Long-polls an SQS queue that EventBridge feeds with Secrets Manager events. A message is
// deleted only after the affected ExternalSecrets are enqueued; malformed messages are deleted,
// counted and logged without their body. After a failure the loop retries on RECONNECT's
// schedule; every request has a deadline, so a connection that hangs (accepted, never answered)
// fails the attempt instead of stalling the loop for the HTTP client's 5-minute idle timeout.
import { parseSecretsManagerEvent } from './parse';
import {
  RECONNECT,
  SQS_RECEIVE_TIMEOUT_MS,
  SQS_WAIT_SECONDS,
  nextReconnectDelay,
  type EventSource,
  type SourceSink,
} from './source';
import { systemClock, type Clock } from '../runtime/clock';

export function startSqsSource(
  queueUrl: string,
  region: string | undefined,
  sink: SourceSink,
  clock: Clock = systemClock,
): EventSource {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sqsSdk = require('@aws-sdk/client-sqs') as typeof import('@aws-sdk/client-sqs');
  const client = new sqsSdk.SQSClient({
    region: region ?? process.env.AWS_REGION,
    // The loop is the retry policy (the SDK's retries would hide an outage and stack delays).
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: 5_000,
      requestTimeout: SQS_RECEIVE_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
  });
  const abort = new AbortController();
  let delayMs: number = RECONNECT.initialMs;
  let attempts = 0;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = clock.setTimeout(resolve, ms);
      abort.signal.addEventListener('abort', () => (clock.clearTimeout(t), resolve()), { once: true });
    });

  const loop = async () => {
    while (!abort.signal.aborted) {
      try {
        const res = await client.send(
          new sqsSdk.ReceiveMessageCommand({
            QueueUrl: queueUrl,
            // After a failure, one immediate poll: the condition recovers as soon as the queue
            // answers, not a whole long poll later.
            WaitTimeSeconds: attempts > 0 ? 0 : SQS_WAIT_SECONDS,
            MaxNumberOfMessages: 10,
          }),
          { abortSignal: abort.signal },
        );
        delayMs = RECONNECT.initialMs;
        attempts = 0;
        sink.status(true, 'Subscribed', `receiving rotation events from ${queueUrl}`);
        for (const msg of res.Messages ?? []) {
          const parsed = parseSecretsManagerEvent(msg.Body ?? '');
          if (parsed.kind === 'secret') await sink.changed([parsed.name]);
          else sink.count(parsed.kind);
          await client.send(
            new sqsSdk.DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: msg.ReceiptHandle }),
            { abortSignal: abort.signal },
          );
        }
      } catch (err) {
        if (abort.signal.aborted) return;
        const { name = '', code } = err as { name?: string; code?: string };
        const missing = /NonExistentQueue|QueueDoesNotExist/.test(name);
        sink.status(
          false,
          missing ? 'QueueNotFound' : 'QueueUnavailable',
          missing
            ? `SQS queue ${queueUrl} not found: create it and route Secrets Manager events to it (polling continues)`
            : `SQS queue ${queueUrl} unreachable: ${[name, code].filter(Boolean).join(' ') || 'error'} (polling continues; reconnecting)`,
        );
        const wait = delayMs;
        delayMs = nextReconnectDelay(delayMs);
        await sleep(wait);
        if (!abort.signal.aborted) sink.reconnecting?.(++attempts, wait);
      }
    }
  };
  const running = loop();
  return {
    stop: async () => {
      abort.abort();
      await running.catch(() => undefined);
      client.destroy();
    },
  };
}

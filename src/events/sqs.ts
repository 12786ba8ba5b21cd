// Long-polls an SQS queue that EventBridge feeds with Secrets Manager events. A message is
// deleted only after the affected ExternalSecrets are enqueued; malformed messages are deleted,
// counted and logged without their body. The loop reconnects with capped backoff.
import { parseSecretsManagerEvent } from './parse';
import type { EventSource, SourceSink } from './source';

export function startSqsSource(queueUrl: string, region: string | undefined, sink: SourceSink): EventSource {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sqsSdk = require('@aws-sdk/client-sqs') as typeof import('@aws-sdk/client-sqs');
  const client = new sqsSdk.SQSClient({ region: region ?? process.env.AWS_REGION });
  const abort = new AbortController();
  let delayMs = 1000;

  const loop = async () => {
    while (!abort.signal.aborted) {
      try {
        const res = await client.send(
          new sqsSdk.ReceiveMessageCommand({
            QueueUrl: queueUrl,
            WaitTimeSeconds: 20,
            MaxNumberOfMessages: 10,
          }),
          { abortSignal: abort.signal },
        );
        delayMs = 1000;
        sink.status(true, 'Subscribed', `receiving rotation events from ${queueUrl}`);
        for (const msg of res.Messages ?? []) {
          const parsed = parseSecretsManagerEvent(msg.Body ?? '');
          if (parsed.kind === 'secret') await sink.changed([parsed.name]);
          else sink.count(parsed.kind);
          await client.send(
            new sqsSdk.DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: msg.ReceiptHandle }),
          );
        }
      } catch (err) {
        if (abort.signal.aborted) return;
        const name = (err as { name?: string }).name ?? '';
        const missing = /NonExistentQueue|QueueDoesNotExist/.test(name);
        sink.status(
          false,
          missing ? 'QueueNotFound' : 'QueueError',
          missing
            ? `SQS queue ${queueUrl} not found: create it and route Secrets Manager events to it (polling continues)`
            : `SQS queue ${queueUrl}: ${name || 'error'} (polling continues; reconnecting)`,
        );
        await new Promise((r) => setTimeout(r, delayMs));
        delayMs = Math.min(delayMs * 2, 60_000);
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

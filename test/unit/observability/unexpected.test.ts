// The process policy for failures nobody handled (src/observability/unexpected.ts), on an emitter
// standing in for `process`: a rejection is logged (name, message, stack only) and counted and the
// process goes on; an uncaught exception is logged and exits 1. The real process is exercised in
// test/integration/ship/unexpected-failures.test.ts.
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { runInNewContext } from 'node:vm';
import pino from 'pino';
import { Metrics } from '../../../src/observability/metrics';
import { installUnexpectedFailurePolicy, summarizeError } from '../../../src/observability/unexpected';

const CANARY = 'CANARY-unexpected-7f3a';

function setup() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  const metrics = new Metrics(false);
  const exits: number[] = [];
  const proc = new EventEmitter();
  const remove = installUnexpectedFailurePolicy(
    {
      logger: pino({ level: 'info' }, sink),
      counter: metrics.unexpectedRejections,
      exit: (c) => exits.push(c),
    },
    proc,
  );
  const count = async () =>
    (await metrics.registry.getSingleMetric('secretsync_unexpected_rejections_total')!.get()).values[0]
      ?.value;
  return { lines, proc, exits, remove, count };
}

/** An error carrying a value in a field, as SDK errors carry responses. */
function errorWithPayload(): Error {
  return Object.assign(new Error('provider call failed'), { response: { body: CANARY }, value: CANARY });
}

test('a rejection is logged with name, message and stack, never its fields, counted, and the process goes on', async () => {
  const { lines, proc, exits, count } = setup();
  proc.emit('unhandledRejection', errorWithPayload(), Promise.resolve());
  proc.emit('unhandledRejection', CANARY, Promise.resolve());
  proc.emit('unhandledRejection', { value: CANARY }, Promise.resolve());
  await new Promise((r) => setImmediate(r)); // pino writes asynchronously to a stream
  expect(await count()).toBe(3);
  expect(exits).toEqual([]);
  expect(lines).toHaveLength(3);
  const [first] = lines as [{ level: number; err: { name: string; message: string; stack: string } }];
  expect(first.level).toBe(50);
  expect(first.err.name).toBe('Error');
  expect(first.err.message).toBe('provider call failed');
  expect(first.err.stack).toContain('errorWithPayload');
  expect(JSON.stringify(lines)).not.toContain(CANARY);
  expect(JSON.stringify(lines[1])).toContain('a value of type string');
});

test('an uncaught exception is logged the same way and exits 1', async () => {
  const { lines, proc, exits, count } = setup();
  proc.emit('uncaughtException', errorWithPayload(), 'uncaughtException');
  await new Promise((r) => setImmediate(r));
  expect(exits).toEqual([1]);
  expect(await count()).toBe(0);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ level: 60, origin: 'uncaughtException', err: { name: 'Error' } });
  expect(JSON.stringify(lines)).not.toContain(CANARY);
});

test('removing the policy removes both handlers', () => {
  const { proc, remove } = setup();
  expect(proc.listenerCount('unhandledRejection')).toBe(1);
  remove();
  expect(proc.listenerCount('unhandledRejection')).toBe(0);
  expect(proc.listenerCount('uncaughtException')).toBe(0);
});

test('summarizeError keeps errors from another realm and drops everything that is not an error', () => {
  const foreign = runInNewContext('new TypeError("other realm")') as unknown;
  expect(summarizeError(foreign)).toMatchObject({ name: 'TypeError', message: 'other realm' });
  expect(summarizeError(null).message).toContain('type null');
  expect(JSON.stringify(summarizeError({ message: CANARY }))).not.toContain(CANARY);
});

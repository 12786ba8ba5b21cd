import { isPortClash } from '../../../dev/testbed/port-clash';
import { failure } from '../../../dev/testbed/process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function errnoError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`listen ${code}: 127.0.0.1:4000`), { code });
}

function startFailure(logLine: string): Error {
  const log = join(mkdtempSync(join(tmpdir(), 'port-clash-')), 'c.log');
  writeFileSync(log, `starting\n${logLine}\n`);
  return failure('component', 'exited with code 1 before it was ready', log);
}

describe('isPortClash', () => {
  it.each([
    ['a Node listen error', errnoError('EADDRINUSE')],
    ['etcd/kube-apiserver (Go)', startFailure('listen tcp 127.0.0.1:4000: bind: address already in use')],
    ['moto (Python)', startFailure('OSError: [Errno 98] Address already in use')],
    ['the Pub/Sub emulator (Java)', startFailure('java.net.BindException: Address already in use')],
  ])('recognises %s', (_what, err) => expect(isPortClash(err)).toBe(true));

  it.each([
    ['another errno', errnoError('ECONNREFUSED')],
    ['a readiness timeout', startFailure('waiting for etcd')],
    ['a non-error', 'EADDRINUSE'],
    ['undefined', undefined],
  ])('does not retry on %s', (_what, err) => expect(isPortClash(err)).toBe(false));
});

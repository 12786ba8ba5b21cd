import type { AuditEntry } from '../../../dev/bench/audit';
import { writesByReplica } from '../../../dev/bench/shard-writes';
import { SHARDER_FIELD_MANAGER } from '../../../src/runtime/sharder';

const e = (
  user: string,
  resource: string,
  namespace: string,
  name: string,
  code = 200,
  t = 10,
): AuditEntry => ({
  t,
  user,
  verb: 'create',
  resource,
  namespace,
  name,
  code,
});

describe('writesByReplica', () => {
  const inRun = (ns: string) => ns.startsWith('run-');

  it('counts each replica’s writes in the run’s namespaces and the Secrets it wrote', () => {
    const w = writesByReplica(
      [
        e('a', 'secrets', 'run-1', 'es-1'),
        e('a', 'externalsecrets/status', 'run-1', 'es-1'),
        e('b', 'secrets', 'run-2', 'es-2'),
        e('b', 'secrets', 'run-2', 'es-2'),
        e('b', 'events', 'run-2', 'es-2.abc'),
        e('a', 'secrets', 'secretsync-system', 'digest-key'),
        e('someone', 'secrets', 'run-1', 'es-1'),
      ],
      ['a', 'b'],
      inRun,
      0,
      100,
    );
    expect(w.perUser.get('a')).toMatchObject({
      secrets: 1,
      status: 1,
      events: 0,
      secretObjects: 1,
      namespaces: 1,
    });
    expect(w.perUser.get('b')).toMatchObject({ secrets: 2, events: 1, secretObjects: 1, namespaces: 1 });
    expect(w.outside.get('a')).toBe(1);
    expect(w.shared).toEqual([]);
  });

  it('names an object two replicas wrote', () => {
    const w = writesByReplica(
      [e('a', 'externalsecrets/status', 'run-1', 'es-1'), e('b', 'externalsecrets/status', 'run-1', 'es-1')],
      ['a', 'b'],
      inRun,
      0,
      100,
    );
    expect(w.shared).toEqual(['externalsecrets/run-1/es-1']);
  });

  it('keeps refused attempts apart from writes, and ignores entries outside the window', () => {
    const w = writesByReplica(
      [
        e('a', 'secrets', 'run-1', 'es-1'),
        e('b', 'secrets', 'run-1', 'es-1', 409),
        e('b', 'secrets', 'run-1', 'es-9', 200, 500),
      ],
      ['a', 'b'],
      inRun,
      0,
      100,
    );
    expect(w.shared).toEqual([]);
    expect(w.sharedAttempts).toEqual(['secrets/run-1/es-1']);
    expect(w.perUser.get('b')).toMatchObject({ secrets: 1, failed: 1, secretObjects: 0 });
  });

  it('counts the sharder’s label patches apart, not as an owner’s writes', () => {
    const label = (user: string, resource: string, name: string, code = 200): AuditEntry => ({
      ...e(user, resource, 'run-1', name, code),
      verb: 'patch',
      fieldManager: SHARDER_FIELD_MANAGER,
    });
    const w = writesByReplica(
      [
        label('a', 'externalsecrets', 'es-1'),
        label('a', 'secrets', 'es-1'),
        label('a', 'externalsecrets', 'es-2', 409),
        e('b', 'secrets', 'run-1', 'es-1'),
        e('b', 'externalsecrets/status', 'run-1', 'es-1'),
      ],
      ['a', 'b'],
      inRun,
      0,
      100,
    );
    expect(w.perUser.get('a')).toMatchObject({ labels: 2, secrets: 0, status: 0, failed: 0, namespaces: 0 });
    expect(w.perUser.get('b')).toMatchObject({ labels: 0, secrets: 1, status: 1 });
    expect(w.shared).toEqual([]);
    expect(w.sharedAttempts).toEqual([]);
  });
});

// Opt-in parsing: Reloader's annotations and lookup order (metadata, then pod template), ours, and
// the problems reported for malformed values.
import {
  matchesAny,
  namePattern,
  objectFlags,
  parseOptIn,
  parsePausePeriod,
} from '../../../src/controllers/rollout/annotations';

const none = { auto: false, search: false, names: [], exclude: [] };

test('no annotation: not annotated, no opt-in', () => {
  expect(parseOptIn({ 'app.kubernetes.io/name': 'x' }, undefined)).toEqual({
    problems: [],
    annotated: false,
  });
});

test('reloader.stakater.com/auto covers Secrets and ConfigMaps', () => {
  const p = parseOptIn({ 'reloader.stakater.com/auto': 'true' }, undefined);
  expect(p.optIn?.Secret.auto).toBe(true);
  expect(p.optIn?.ConfigMap.auto).toBe(true);
  expect(p.optIn?.scope).toBe('key');
  expect(p.problems).toEqual([]);
});

test('typed auto covers its own kind only', () => {
  const s = parseOptIn({ 'secret.reloader.stakater.com/auto': 'true' }, undefined).optIn!;
  expect(s.Secret.auto).toBe(true);
  expect(s.ConfigMap).toEqual(none);
  const c = parseOptIn({ 'configmap.reloader.stakater.com/auto': 'True' }, undefined).optIn!;
  expect(c.ConfigMap.auto).toBe(true);
  expect(c.Secret).toEqual(none);
});

test('auto accepts Go ParseBool forms; "false" is no opt-in; other values are problems', () => {
  expect(parseOptIn({ 'reloader.stakater.com/auto': '1' }, undefined).optIn?.Secret.auto).toBe(true);
  const off = parseOptIn({ 'reloader.stakater.com/auto': 'false' }, undefined);
  expect(off).toEqual({ problems: [], annotated: true });
  const bad = parseOptIn({ 'reloader.stakater.com/auto': 'yes' }, undefined);
  expect(bad.optIn).toBeUndefined();
  expect(bad.problems).toEqual([
    { annotation: 'reloader.stakater.com/auto', message: 'value "yes" is not "true" or "false"' },
  ]);
});

test('reload lists: trimmed entries, bad regex skipped and reported, empty list reported', () => {
  const p = parseOptIn({ 'secret.reloader.stakater.com/reload': ' db-creds , api-.* ,[bad, ' }, undefined);
  expect(p.optIn?.Secret.names).toEqual(['db-creds', 'api-.*']);
  expect(p.optIn?.ConfigMap).toEqual(none);
  expect(p.problems).toEqual([
    {
      annotation: 'secret.reloader.stakater.com/reload',
      message: 'entry "[bad" is not a valid regular expression; skipped',
    },
  ]);
  const empty = parseOptIn({ 'configmap.reloader.stakater.com/reload': ' , ' }, undefined);
  expect(empty.optIn).toBeUndefined();
  expect(empty.problems).toEqual([
    { annotation: 'configmap.reloader.stakater.com/reload', message: 'empty list' },
  ]);
});

test('list entries are anchored at both ends', () => {
  expect(matchesAny('db-creds', ['db-creds'])).toBe(true);
  expect(matchesAny('my-db-creds', ['db-creds'])).toBe(false);
  expect(matchesAny('db-creds-2', ['db-creds'])).toBe(false);
  expect(matchesAny('api-key', ['api-.*'])).toBe(true);
  // Alternation stays inside the anchors (Reloader's plain ^a|b$ would match "a-anything").
  expect(matchesAny('a-anything', ['a|b'])).toBe(false);
  expect(matchesAny('b', ['a|b'])).toBe(true);
  expect(namePattern('(')).toBeNull();
});

test('search and exclude', () => {
  const p = parseOptIn(
    {
      'reloader.stakater.com/search': 'true',
      'secrets.exclude.reloader.stakater.com/reload': 'a, b',
      'configmaps.exclude.reloader.stakater.com/reload': 'c',
    },
    undefined,
  );
  expect(p.optIn?.Secret).toEqual({ auto: false, search: true, names: [], exclude: ['a', 'b'] });
  expect(p.optIn?.ConfigMap).toEqual({ auto: false, search: true, names: [], exclude: ['c'] });
  expect(parseOptIn({ 'reloader.stakater.com/search': 'yes' }, undefined).problems).toHaveLength(1);
});

test('secretsync.io/reload: "true" is auto for both kinds; a list names both kinds', () => {
  const all = parseOptIn({ 'secretsync.io/reload': 'true' }, undefined).optIn!;
  expect(all.Secret.auto && all.ConfigMap.auto).toBe(true);
  const list = parseOptIn({ 'secretsync.io/reload': 'db,cfg-.*' }, undefined).optIn!;
  expect(list.Secret.names).toEqual(['db', 'cfg-.*']);
  expect(list.ConfigMap.names).toEqual(['db', 'cfg-.*']);
  expect(parseOptIn({ 'secretsync.io/reload': 'false' }, undefined)).toEqual({
    problems: [],
    annotated: true,
  });
});

test('metadata first, then the pod template (per kind, as Reloader)', () => {
  // Nothing on metadata: the template's annotations count.
  const t = parseOptIn(undefined, { 'reloader.stakater.com/auto': 'true' });
  expect(t.optIn?.Secret.auto).toBe(true);
  // Metadata has a Secret opt-in: for Secrets the template is not read; for ConfigMaps it is.
  const m = parseOptIn(
    { 'secret.reloader.stakater.com/reload': 'db' },
    { 'secret.reloader.stakater.com/auto': 'true', 'configmap.reloader.stakater.com/auto': 'true' },
  );
  expect(m.optIn?.Secret).toEqual({ auto: false, search: false, names: ['db'], exclude: [] });
  expect(m.optIn?.ConfigMap.auto).toBe(true);
  // An explicit "false" on metadata wins over the template.
  const off = parseOptIn({ 'reloader.stakater.com/auto': 'false' }, { 'reloader.stakater.com/auto': 'true' });
  expect(off.optIn).toBeUndefined();
});

test('exclusions and scope fall back to the template', () => {
  const p = parseOptIn(
    { 'reloader.stakater.com/auto': 'true' },
    { 'secrets.exclude.reloader.stakater.com/reload': 'x', 'secretsync.io/reload-scope': 'secret' },
  );
  expect(p.optIn?.Secret.exclude).toEqual(['x']);
  expect(p.optIn?.scope).toBe('object');
});

test('reload-scope: secret (or object) is whole-object; key is the default; others are problems', () => {
  const on = { 'reloader.stakater.com/auto': 'true' };
  expect(parseOptIn({ ...on, 'secretsync.io/reload-scope': 'secret' }, undefined).optIn?.scope).toBe(
    'object',
  );
  expect(parseOptIn({ ...on, 'secretsync.io/reload-scope': 'key' }, undefined).optIn?.scope).toBe('key');
  const bad = parseOptIn({ ...on, 'secretsync.io/reload-scope': 'pod' }, undefined);
  expect(bad.optIn?.scope).toBe('key');
  expect(bad.problems).toEqual([
    { annotation: 'secretsync.io/reload-scope', message: 'value "pod" is not "secret" or "key"' },
  ]);
});

test('a problem is reported once even when both kinds read the annotation', () => {
  expect(parseOptIn({ 'reloader.stakater.com/auto': 'maybe' }, undefined).problems).toHaveLength(1);
  expect(parseOptIn({ 'secretsync.io/reload': '(' }, undefined).problems).toHaveLength(1);
});

test('object flags: ignore and match need exactly "true"', () => {
  expect(objectFlags({ 'reloader.stakater.com/ignore': 'true' })).toEqual({ ignore: true, match: false });
  expect(objectFlags({ 'reloader.stakater.com/match': 'true' })).toEqual({ ignore: false, match: true });
  expect(objectFlags({ 'reloader.stakater.com/ignore': 'yes' })).toEqual({ ignore: false, match: false });
  expect(objectFlags(undefined)).toEqual({ ignore: false, match: false });
});

test("pause-period: a Go duration per kind; invalid values and another kind's annotation are reported", () => {
  const dep = 'deployment.reloader.stakater.com/pause-period';
  const sts = 'statefulset.reloader.stakater.com/pause-period';
  const ds = 'daemonset.reloader.stakater.com/pause-period';
  expect(parsePausePeriod('Deployment', undefined)).toEqual({ problems: [] });
  expect(parsePausePeriod('Deployment', { [dep]: '5m' })).toEqual({ ms: 300_000, problems: [] });
  expect(parsePausePeriod('Deployment', { [dep]: '1m30s' })).toEqual({ ms: 90_000, problems: [] });
  expect(parsePausePeriod('StatefulSet', { [sts]: '6s' })).toEqual({ ms: 6000, problems: [] });
  expect(parsePausePeriod('DaemonSet', { [ds]: '0s' })).toEqual({ ms: 0, problems: [] });
  const bad = parsePausePeriod('Deployment', { [dep]: '5 minutes' });
  expect(bad.ms).toBeUndefined();
  expect(bad.problems).toEqual([
    { annotation: dep, message: expect.stringContaining('"5 minutes" is not a duration') },
  ]);
  expect(parsePausePeriod('Deployment', { [dep]: '-5m' }).problems).toHaveLength(1);
  const wrongKind = parsePausePeriod('StatefulSet', { [dep]: '5m' });
  expect(wrongKind.ms).toBeUndefined();
  expect(wrongKind.problems).toEqual([
    { annotation: dep, message: `applies to Deployments only; on a StatefulSet use ${sts}` },
  ]);
  // a kind without a pause-period (none is read, any is reported)
  expect(parsePausePeriod('Job', { [dep]: '5m' }).problems).toEqual([
    { annotation: dep, message: 'applies to Deployments only; a Job has no pause-period' },
  ]);
});

test('Reloader annotations secretsync does not honour are reported as unsupported, never dropped', () => {
  const spc = 'secretproviderclass.reloader.stakater.com/reload';
  const p = parseOptIn(undefined, { [spc]: 'vault-db' });
  expect(p.annotated).toBe(true);
  expect(p.optIn).toBeUndefined();
  expect(p.problems).toEqual([
    { annotation: spc, message: expect.stringContaining('not honoured by secretsync'), unsupported: true },
  ]);
  // Beside an opt-in that works, the opt-in stands and the problem is still told.
  const q = parseOptIn({ 'reloader.stakater.com/auto': 'true', [spc]: 'vault-db' }, undefined);
  expect(q.optIn?.Secret.auto).toBe(true);
  expect(q.problems.map((x) => x.annotation)).toEqual([spc]);
});

// templateFrom in buildDesired, with vectors reasoned from ESO's ApplyTemplate and templating
// Parser: the fetched values (mergePolicy Merge, or no template.data and no templateFrom), then each
// templateFrom entry in order (its ConfigMap items, its Secret items, its literal), then
// template.data, then template.metadata labels and annotations; later writes win. Values renders a
// key's template as that key's value; KeysAndValues (and every literal) renders YAML whose entries
// become keys and values. target Data/Labels/Annotations (any case) says where they go.
import { LABEL } from '../../../src/api/constants';
import type { ExternalSecretTemplate, TemplateFrom } from '../../../src/api/generated';
import { buildDesired } from '../../../src/controllers/externalsecret/desired';
import {
  templateSourceRefs,
  TemplateSourceMissing,
  type TemplateSources,
} from '../../../src/controllers/externalsecret/template-from';
import { TemplateError } from '../../../src/gocompat/template';
import { enc, externalSecret, text, values } from './helpers';

const CANARY = 'CANARY-1b7e-never-in-messages';
const VALUES = { user: 'alice', password: 's3cret' };

function sources(
  configMaps: Record<string, Record<string, string>> = {},
  secrets: Record<string, Record<string, Uint8Array | string>> = {},
): TemplateSources {
  return {
    configMaps: new Map(Object.entries(configMaps)),
    secrets: new Map(
      Object.entries(secrets).map(([n, d]) => [
        n,
        new Map(Object.entries(d).map(([k, v]) => [k, typeof v === 'string' ? enc(v) : v])),
      ]),
    ),
  };
}

function build(template: ExternalSecretTemplate, src = sources(), vals: Record<string, string> = VALUES) {
  return buildDesired(externalSecret({ target: { template } }), 'out', values(vals), src);
}

const literal = (l: string, extra: Partial<TemplateFrom> = {}): TemplateFrom => ({ literal: l, ...extra });

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

/** Labels and annotations without the ones the controller maintains. */
const own = (m: Record<string, string>) =>
  Object.fromEntries(Object.entries(m).filter(([k]) => k !== LABEL.managed && !k.startsWith('reconcile.')));

describe('merge order', () => {
  test('mergePolicy Replace (default): only rendered keys, the fetched values are not kept', () => {
    expect(text(build({ templateFrom: [literal('a: b')] }).data)).toEqual({ a: 'b' });
  });

  test('mergePolicy Merge: fetched values first, templateFrom over them', () => {
    const d = build({
      mergePolicy: 'Merge',
      templateFrom: [literal('password: replaced\nextra: "{{ .user }}"')],
    });
    expect(text(d.data)).toEqual({ user: 'alice', password: 'replaced', extra: 'alice' });
  });

  test('template.data wins over templateFrom for the same key', () => {
    const d = build({ data: { k: 'from-data' }, templateFrom: [literal('k: from-literal\nother: x')] });
    expect(text(d.data)).toEqual({ k: 'from-data', other: 'x' });
  });

  test('templateFrom entries apply in order: the later one wins', () => {
    expect(text(build({ templateFrom: [literal('k: one'), literal('k: two')] }).data)).toEqual({ k: 'two' });
  });

  test('within one entry: ConfigMap items, then Secret items, then the literal', () => {
    const src = sources({ cm: { k: 'cm {{ .user }}' } }, { sec: { k: 'sec {{ .user }}' } });
    const entry: TemplateFrom = {
      configMap: { name: 'cm', items: [{ key: 'k' }] },
      secret: { name: 'sec', items: [{ key: 'k' }] },
    };
    expect(text(build({ templateFrom: [entry] }, src).data)).toEqual({ k: 'sec alice' });
    expect(text(build({ templateFrom: [{ ...entry, literal: 'k: lit' }] }, src).data)).toEqual({ k: 'lit' });
  });

  test('items of one source apply in order', () => {
    const src = sources({ cm: { a: 'k: first', b: 'k: second' } });
    const tf = (keys: string[]): TemplateFrom => ({
      configMap: { name: 'cm', items: keys.map((key) => ({ key, templateAs: 'KeysAndValues' as const })) },
    });
    expect(text(build({ templateFrom: [tf(['a', 'b'])] }, src).data)).toEqual({ k: 'second' });
    expect(text(build({ templateFrom: [tf(['b', 'a'])] }, src).data)).toEqual({ k: 'first' });
  });

  test('template.metadata labels and annotations win over templateFrom targets Labels/Annotations', () => {
    const d = build({
      metadata: { labels: { team: 'meta-{{ .user }}' }, annotations: { note: 'meta' } },
      templateFrom: [
        literal('team: from-tf\ntier: backend', { target: 'Labels' }),
        literal('note: from-tf\nother: kept', { target: 'Annotations' }),
      ],
    });
    expect(own(d.labels)).toEqual({ team: 'meta-alice', tier: 'backend' });
    expect(own(d.annotations)).toEqual({ note: 'meta', other: 'kept' });
  });

  test('a templateFrom that only sets labels still replaces the data (Replace): the Secret has no keys', () => {
    const d = build({ templateFrom: [literal('team: a', { target: 'Labels' })] });
    expect(text(d.data)).toEqual({});
    expect(own(d.labels)).toEqual({ team: 'a' });
  });
});

describe('templateAs and target', () => {
  test('Values (the default): the key keeps its name, its template renders the value', () => {
    const src = sources({ cm: { 'config.yaml': 'user: {{ .user }}\npassword: {{ .password | quote }}\n' } });
    const d = build({ templateFrom: [{ configMap: { name: 'cm', items: [{ key: 'config.yaml' }] } }] }, src);
    expect(text(d.data)).toEqual({ 'config.yaml': 'user: alice\npassword: "s3cret"\n' });
  });

  test('KeysAndValues: the rendered YAML map gives keys and values (scalars as Go reads them)', () => {
    const src = sources({
      cm: {
        env: 'DB_USER: {{ .user }}\n{{ .user | upper }}_PASS: {{ .password }}\nPORT: 0x1F\nTLS: on\nEMPTY:\n',
      },
    });
    const d = build(
      { templateFrom: [{ configMap: { name: 'cm', items: [{ key: 'env', templateAs: 'KeysAndValues' }] } }] },
      src,
    );
    expect(text(d.data)).toEqual({
      DB_USER: 'alice',
      ALICE_PASS: 's3cret',
      PORT: '31',
      TLS: 'true',
      EMPTY: '',
    });
  });

  test.each([
    ['Data', 'data'],
    ['data', 'data'],
    ['Labels', 'labels'],
    ['LABELS', 'labels'],
    ['Annotations', 'annotations'],
    ['annotations', 'annotations'],
  ] as const)('target %s goes to %s', (target, where) => {
    const d = build({ templateFrom: [literal('k: "{{ .user }}"', { target })] });
    const got = { data: text(d.data), labels: own(d.labels), annotations: own(d.annotations) };
    expect(got[where]).toEqual({ k: 'alice' });
    for (const other of ['data', 'labels', 'annotations'] as const)
      if (other !== where) expect(got[other]).toEqual({});
  });

  test('a Secret source: Values over its exact bytes (invalid UTF-8 passes through)', () => {
    const raw = Buffer.concat([Buffer.from([0xff, 0x00, 0x80]), Buffer.from('{{ .user }}')]);
    const d = build(
      { templateFrom: [{ secret: { name: 'tpl', items: [{ key: 'blob' }] } }] },
      sources({}, { tpl: { blob: raw } }),
    );
    expect(Buffer.from(d.data.get('blob')!)).toEqual(
      Buffer.concat([Buffer.from([0xff, 0x00, 0x80]), Buffer.from('alice')]),
    );
  });

  test('a Secret source: KeysAndValues', () => {
    const d = build(
      { templateFrom: [{ secret: { name: 'tpl', items: [{ key: 'kv', templateAs: 'KeysAndValues' }] } }] },
      sources({}, { tpl: { kv: 'a: "{{ .password }}"\nb: c' } }),
    );
    expect(text(d.data)).toEqual({ a: 's3cret', b: 'c' });
  });

  test('valuesDecodingStrategy decodes each rendered value', () => {
    const d = build({
      templateFrom: [
        literal('k: {{ "hello" | b64enc }}\nraw: not base64', { valuesDecodingStrategy: 'Auto' }),
      ],
    });
    expect(text(d.data)).toEqual({ k: 'hello', raw: 'not base64' });
  });

  test('an empty literal sets nothing', () => {
    expect(text(build({ data: { a: 'b' }, templateFrom: [literal('')] }).data)).toEqual({ a: 'b' });
  });
});

describe('failures name what to fix and never carry a value', () => {
  test.each([
    [{ configMap: { name: 'gone', items: [{ key: 'k' }] } }, 'ConfigMap team-a/gone not found'],
    [{ secret: { name: 'gone', items: [{ key: 'k' }] } }, 'Secret team-a/gone not found'],
    [{ configMap: { name: 'cm', items: [{ key: 'nokey' }] } }, 'ConfigMap team-a/cm has no key nokey'],
    [{ secret: { name: 'sec', items: [{ key: 'nokey' }] } }, 'Secret team-a/sec has no key nokey'],
  ] as [TemplateFrom, string][])('missing source %#', (tf, message) => {
    const err = thrown(() => build({ templateFrom: [tf] }, sources({ cm: { k: 'x' } }, { sec: { k: 'x' } })));
    expect(err).toBeInstanceOf(TemplateSourceMissing);
    expect(err.message).toBe(message);
  });

  test.each([
    ['a scalar', `${CANARY}`],
    ['a list', `- ${CANARY}`],
    ['a nested map', `k:\n  nested: ${CANARY}`],
    ['invalid YAML', `k: [${CANARY}`],
  ])('KeysAndValues output that is %s: TemplateError naming the entry', (_what, out) => {
    const err = thrown(() =>
      build({ templateFrom: [literal('{{ .password }}')] }, sources(), { password: out }),
    );
    expect(err).toBeInstanceOf(TemplateError);
    expect(err.message).toMatch(
      /^template: templateFrom\[0\]\.literal: the output is not a YAML map of strings: /,
    );
    expect(err.message).not.toContain(CANARY);
  });

  test('a template error in a ConfigMap item names the entry and key', () => {
    const src = sources({ cm: { conf: '{{ .missing }}' } });
    const err = thrown(() =>
      build({ templateFrom: [{ configMap: { name: 'cm', items: [{ key: 'conf' }] } }] }, src),
    );
    expect(err).toBeInstanceOf(TemplateError);
    expect(err.message).toMatch(/^template: templateFrom\[0\]\.configMap\.conf:/);
  });
});

test('templateSourceRefs: each ConfigMap and Secret once, in order', () => {
  const es = externalSecret({
    target: {
      template: {
        templateFrom: [
          { configMap: { name: 'a', items: [] }, secret: { name: 'a', items: [] } },
          { literal: 'x: y' },
          { configMap: { name: 'a', items: [] } },
          { configMap: { name: 'b', items: [] } },
        ],
      },
    },
  });
  expect(templateSourceRefs(es)).toEqual([
    { kind: 'ConfigMap', name: 'a' },
    { kind: 'Secret', name: 'a' },
    { kind: 'ConfigMap', name: 'b' },
  ]);
});

// fast-check generators of ExternalSecret and store manifests: valid ones, edge cases and hostile
// ones (huge keys, deep JSON, regex bombs in find and rewrite, template loops and recursion, bad
// durations, unicode, null bytes), mixed so that most cases get past the schema and reach the
// reconcile path. Store values carry canaries (RSCANARY…, and a purely numeric one) so that every
// message the reconcile path produces can be checked for values.
import fc from 'fast-check';
import { newCanary } from './canary';

export const CANARY = newCanary();
/** A numeric secret (a PIN, an account number): templates can turn it into a number. */
export const NUMERIC_CANARY = `7${Array.from({ length: 14 }, () => Math.floor(Math.random() * 10)).join('')}`;
export const ALL_CANARIES = [CANARY, NUMERIC_CANARY];

const deep = (open: string, close: string, n: number) => open.repeat(n) + close.repeat(n);

/** Remote values: what a store may hold. */
export const storeValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(CANARY) },
  { weight: 3, arbitrary: fc.constant(NUMERIC_CANARY) },
  {
    weight: 4,
    arbitrary: fc.constant(
      JSON.stringify({
        user: 'app',
        password: CANARY,
        pin: NUMERIC_CANARY,
        nested: { a: { b: [1, CANARY] } },
      }),
    ),
  },
  { weight: 1, arbitrary: fc.constant(Buffer.from(CANARY).toString('base64')) },
  { weight: 1, arbitrary: fc.constant(`${CANARY}\u0000tail`) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 200_000 }).map((n) => deep('[', ']', n)) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 200_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 600_000 }).map((n) => `${CANARY}${'x'.repeat(n)}`) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 64 }).map((s) => `${s}${CANARY}`) },
  { weight: 1, arbitrary: fc.json({ maxDepth: 4 }).map((j) => j.replace(/^\{/, `{"k":"${CANARY}",`)) },
);

/** Remote keys and Secret keys: mostly simple, some hostile. */
const simpleKey = fc.constantFrom('a', 'b', 'password', 'db-user', 'config', 'k.v', 'x_y');
const hostileKey = fc.oneof(
  fc.constantFrom('', '.', '..', '..a', 'a/b', 'ünïcode', 'a\u0000b', ' ', 'A'.repeat(253), 'a'.repeat(254)),
  fc.integer({ min: 300, max: 100_000 }).map((n) => 'k'.repeat(n)),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
export const key = fc.oneof({ weight: 8, arbitrary: simpleKey }, { weight: 2, arbitrary: hostileKey });
const secretKey = fc.oneof({ weight: 15, arbitrary: simpleKey }, { weight: 1, arbitrary: hostileKey });

export const duration = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constantFrom('1h', '0s', '2s', '1h0m0s', '500ms', '1.5h', '3600', '15m', '1h30m'),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      '-1s',
      '1x',
      '9999999999999999h',
      'P1D',
      '1h 30m',
      '\u0661s',
      '\u0000',
      'NaN',
      '1e3s',
      '+1s',
      '.s',
      '1..5s',
      'µs',
      '1µs',
      '0',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

export const regexBomb = fc.oneof(
  fc.constantFrom(
    '(a+)+$',
    '(a|aa)+$',
    '(.*)*x',
    '((a*)*)*b',
    '(x+x+)+y',
    '^(([a-z])+.)+[A-Z]([a-z])+$',
    'a{1000}',
    'a{1001}',
    '(a{1000}){1000}',
    '((((((((((a{100}){100}){100}){100}))))))))',
    '(a)\\1',
    '(?=x)',
    '(?<name>x)',
    '(?P<name>x)',
    '[',
    '\\p{Greek}+',
    '(?i)ÄÖ',
    '.*'.repeat(500),
    '^$',
    '',
    deep('(', ')', 3000),
    '\\x{10FFFF}',
    '\u0000',
    '.*',
    'db-.*',
  ),
  fc.string({ maxLength: 30 }),
);

const templateFragment = fc.oneof(
  fc.constantFrom(
    '{{ .a }}',
    '{{ .password | upper }}',
    '{{ .missing }}',
    '{{ range $i := until 100000 }}{{ $i }}{{ end }}',
    '{{ range $i := until 10000000 }}{{ end }}',
    '{{ range $i := until 1000 }}{{ range $j := until 1000 }}{{ end }}{{ end }}',
    '{{ define "x" }}{{ template "x" . }}{{ end }}{{ template "x" . }}',
    '{{ define "y" }}{{ template "y" . }}{{ template "y" . }}{{ end }}{{ template "y" . }}',
    '{{ repeat 100000000 "x" }}',
    '{{ $x := list 1 }}{{ range $i := until 40 }}{{ $x = concat $x $x }}{{ end }}{{ len $x }}',
    '{{ .a | b64dec }}',
    '{{ .password | fromJson }}',
    '{{ range $i, $v := (.a | atoi) }}{{ end }}',
    '{{ range $i, $v := (.password | atoi) }}{{ end }}',
    '{{ $n := .a | atoi }}{{ range $i, $v := $n }}{{ end }}',
    '{{ regexReplaceAll "(a+)+$" (repeat 5000 "a") "x" }}',
    '{{ regexFind "(x+x+)+y" .a }}',
    '{{ regexMatch "(" .a }}',
    '{{ printf "%s" .a }}',
    '{{ printf "%d" .a }}',
    `{{ ${deep('(', ')', 300).replace('()', '(1)')} }}`,
    '{{',
    '{{ end }}',
    '{{ fail "boom" }}',
    '{{ toJson . }}',
    '{{ .a | sha256sum }}',
    '{{ index . "a" }}',
    '{{ template "nope" }}',
    '{{ range . }}{{ range . }}{{ end }}{{ end }}',
    '{{ .a | trunc -1 }}',
    '{{ 99999999999999999999 }}',
    '{{ div 1 0 }}',
    '{{ .a | int | add 1 }}',
    '{{ .a | fromYaml }}',
    '{{ .a | toYaml }}',
    '{{ (.a | fromJson).nested }}',
    '{{ keys . | join "," }}',
  ),
  fc.string({ maxLength: 40 }),
);

export const templateSource = fc
  .array(templateFragment, { minLength: 1, maxLength: 4 })
  .map((f) => f.join(''));

export const jsonProperty = fc.oneof(
  fc.constantFrom(
    'password',
    'nested.a.b',
    'nested.a.b.1',
    'user',
    'missing',
    '#',
    'a\\.b',
    '..',
    '',
    '@this',
    'nested|@reverse',
    '*',
  ),
  fc.integer({ min: 1, max: 20_000 }).map((n) => Array(n).fill('a').join('.')),
  fc.string({ maxLength: 20 }),
);

const dnsName = fc.oneof(
  { weight: 9, arbitrary: fc.constantFrom('app', 'db-creds', 'a.b', 'fake', 'x'.repeat(253)) },
  { weight: 1, arbitrary: fc.constantFrom('', 'UPPER', '-a', 'a'.repeat(300), 'ü', 'a_b') },
);

/** Present half of the time; `often` 6 in 7; `rare` 1 in n. Absent keys are dropped before use. */
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });
const often = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 7 });
const rare = <T>(a: fc.Arbitrary<T>, n: number) =>
  fc.oneof({ weight: n - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: a });

const remoteRef = fc.record(
  {
    key,
    property: opt(jsonProperty),
    version: opt(fc.constantFrom('1', 'latest', 'v2', '', 'AWSCURRENT')),
    decodingStrategy: opt(fc.constantFrom('None', 'None', 'Base64', 'Base64URL', 'Auto', 'Auto', 'Bogus')),
    nullBytePolicy: opt(fc.constantFrom('Ignore', 'Fail')),
    conversionStrategy: opt(fc.constantFrom('Default', 'Unicode')),
    metadataPolicy: rare(fc.constantFrom('None', 'Fetch'), 12),
  },
  { requiredKeys: ['key'] },
);

const storeRef = fc.record(
  {
    name: fc.oneof({ weight: 9, arbitrary: fc.constant('fake') }, { weight: 1, arbitrary: dnsName }),
    kind: opt(fc.constantFrom('SecretStore', 'ClusterSecretStore')),
  },
  { requiredKeys: ['name'] },
);

const rewrite = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      regexp: fc.record({
        source: regexBomb,
        target: fc.constantFrom('$1', '${1}', '$$', '${name}', '$', 'x', '$1x', '${2}'),
      }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ transform: fc.record({ template: templateSource }) }) },
  { weight: 1, arbitrary: fc.constant({}) },
);

const dataFrom = fc.oneof(
  fc.record(
    { extract: remoteRef, rewrite: opt(fc.array(rewrite, { maxLength: 3 })) },
    { requiredKeys: ['extract'] },
  ),
  fc.record(
    {
      find: fc.record(
        {
          name: opt(fc.record({ regexp: regexBomb })),
          path: opt(fc.constantFrom('', 'a', 'db', '/', 'x'.repeat(1000))),
          tags: opt(fc.dictionary(fc.constantFrom('env', 'team'), fc.constantFrom('prod', ''))),
          decodingStrategy: opt(fc.constantFrom('None', 'Base64', 'Auto')),
          nullBytePolicy: opt(fc.constantFrom('Ignore', 'Fail')),
        },
        { requiredKeys: [] },
      ),
      rewrite: opt(fc.array(rewrite, { maxLength: 3 })),
    },
    { requiredKeys: ['find'] },
  ),
  fc.record({ sourceRef: fc.record({ storeRef }) }),
);

const template = fc.record(
  {
    type: opt(
      fc.constantFrom('Opaque', 'kubernetes.io/tls', 'kubernetes.io/dockerconfigjson', '', 'x'.repeat(300)),
    ),
    engineVersion: opt(fc.constantFrom('v2', 'v1')),
    mergePolicy: opt(fc.constantFrom('Replace', 'Merge')),
    data: often(fc.dictionary(secretKey, templateSource, { maxKeys: 3 })),
    metadata: opt(
      fc.record(
        {
          labels: opt(
            fc.dictionary(fc.constantFrom('app', 'a/b', ''), fc.string({ maxLength: 10 }), { maxKeys: 2 }),
          ),
          annotations: opt(
            fc.dictionary(fc.constantFrom('note', 'x/y'), fc.string({ maxLength: 10 }), { maxKeys: 2 }),
          ),
          finalizers: rare(fc.constant(['example.com/f']), 12),
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
);

export const externalSecretSpec = fc.record(
  {
    refreshInterval: opt(duration),
    refreshPolicy: opt(
      fc.constantFrom(
        'Periodic',
        'OnChange',
        'CreatedOnce',
        'Periodic',
        'OnChange',
        'CreatedOnce',
        'Sometimes',
      ),
    ),
    secretStoreRef: often(storeRef),
    target: often(
      fc.record(
        {
          name: opt(dnsName),
          creationPolicy: opt(fc.constantFrom('Owner', 'Orphan', 'Merge', 'None', 'CreateOrMerge')),
          deletionPolicy: opt(fc.constantFrom('Retain', 'Delete', 'Merge')),
          immutable: opt(fc.boolean()),
          template: often(template),
        },
        { requiredKeys: [] },
      ),
    ),
    data: often(
      fc.array(
        fc.record(
          { secretKey, remoteRef, sourceRef: rare(fc.record({ storeRef }), 6) },
          { requiredKeys: ['secretKey', 'remoteRef'] },
        ),
        { maxLength: 4 },
      ),
    ),
    dataFrom: opt(fc.array(dataFrom, { maxLength: 3 })),
    syncWindows: rare(
      fc.record({
        kind: fc.constantFrom('allow', 'deny'),
        windows: fc.array(
          fc.record({
            schedule: fc.constantFrom(
              '* * * * *',
              '@every 1s',
              '@every 0s',
              '61 * * * *',
              '@hourly',
              '0 0 31 2 *',
              '*/0 * * * *',
            ),
            duration: duration,
          }),
          { minLength: 1, maxLength: 2 },
        ),
      }),
      8,
    ),
    unknownField: rare(fc.constant('x'), 40),
  },
  { requiredKeys: [] },
);

export const externalSecret = fc.record({
  apiVersion: fc.constantFrom('external-secrets.io/v1', 'external-secrets.io/v1beta1'),
  kind: fc.constant('ExternalSecret'),
  metadata: fc.record(
    {
      name: dnsName,
      annotations: opt(
        fc.record(
          {
            'secretsync.io/refresh-schedule': opt(
              fc.constantFrom('* * * * *', '@every 1s', 'bogus', '61 * * * *', ''),
            ),
            'external-secrets.io/force-sync': opt(fc.string({ maxLength: 8 })),
          },
          { requiredKeys: [] },
        ),
      ),
    },
    { requiredKeys: ['name'] },
  ),
  spec: externalSecretSpec,
});

export const fakeData = fc.array(
  fc.record(
    {
      key: fc.oneof({ weight: 9, arbitrary: simpleKey }, { weight: 1, arbitrary: hostileKey }),
      value: storeValue,
      version: rare(fc.constantFrom('1', '2', 'v1', ''), 4),
    },
    { requiredKeys: ['key', 'value'] },
  ),
  { maxLength: 6 },
);

export const storeProvider = fc.oneof(
  { weight: 12, arbitrary: fakeData.map((data) => ({ fake: { data } })) },
  { weight: 1, arbitrary: fc.constant({ vault: { server: 'https://vault' } }) },
  { weight: 1, arbitrary: fc.constant({}) },
  { weight: 1, arbitrary: fc.constant({ fake: { data: [] }, gcpsm: { projectID: 'p' } }) },
  { weight: 1, arbitrary: fc.constant({ fake: { data: 'oops' } }) },
);

export const store = fc.record({
  apiVersion: fc.constantFrom('external-secrets.io/v1', 'external-secrets.io/v1beta1'),
  kind: fc.constantFrom('SecretStore', 'ClusterSecretStore'),
  metadata: fc.record({ name: fc.constant('fake') }),
  spec: fc.record(
    {
      provider: storeProvider,
      controller: rare(fc.constantFrom('', 'other'), 10),
      refreshInterval: rare(fc.integer({ min: -5, max: 100_000 }), 6),
    },
    { requiredKeys: ['provider'] },
  ),
});

/** A live target Secret the reconcile finds: none, ours, someone else's, or an immutable one. */
export const liveSecret = fc.constantFrom('none', 'none', 'none', 'unowned', 'other-owner', 'immutable');

/**
 * A coherent pair: the store holds keys a, password and config, the ExternalSecret maps them to
 * the same Secret keys and templates over them — so templates, properties, decoding and rewrites
 * run on real values far more often than with independent generators.
 */
export const coherentCase = fc
  .record({
    values: fc.record({ a: storeValue, password: storeValue, config: storeValue }),
    property: opt(jsonProperty),
    decodingStrategy: opt(fc.constantFrom('None', 'Base64', 'Base64URL', 'Auto')),
    templates: opt(fc.dictionary(simpleKey, templateSource, { minKeys: 1, maxKeys: 3 })),
    mergePolicy: opt(fc.constantFrom('Replace', 'Merge')),
    extract: fc.boolean(),
    rewrite: opt(fc.array(rewrite, { maxLength: 2 })),
    creationPolicy: opt(fc.constantFrom('Owner', 'Orphan', 'Merge', 'CreateOrMerge')),
  })
  .map((c) => ({
    store: {
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: 'fake' },
      spec: {
        provider: { fake: { data: Object.entries(c.values).map(([key, value]) => ({ key, value })) } },
      },
    },
    es: {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'coherent' },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { name: 'fake' },
        target: {
          creationPolicy: c.creationPolicy,
          template: c.templates ? { data: c.templates, mergePolicy: c.mergePolicy } : undefined,
        },
        data: ['a', 'password'].map((k) => ({
          secretKey: k,
          remoteRef: {
            key: k,
            property: k === 'password' ? c.property : undefined,
            decodingStrategy: c.decodingStrategy,
          },
        })),
        dataFrom: c.extract ? [{ extract: { key: 'config' }, rewrite: c.rewrite }] : undefined,
      },
    },
  }));

// ListItemSplitter: a list body cut into chunks anywhere yields each item parsed alone, and the
// list without its items.
import { ListItemSplitter } from '../../../src/kube/list-items';

const tricky = {
  apiVersion: 'v1',
  kind: 'SecretList',
  metadata: { resourceVersion: '42', continue: 'tok"]}[{' },
  items: [
    { metadata: { name: 'a', labels: { items: '[1]' } }, data: { k: 'dmFs' } },
    { metadata: { name: 'b"\\"}]' }, stringData: { 'é€😀': '{"items":[]}', esc: '\\\\"\n' } },
    { metadata: { name: 'c', annotations: { x: 'items' } }, nested: { items: [{ deep: [[], {}] }] } },
  ],
};

function split(text: string, chunk: number): { items: unknown[]; head: unknown; before: unknown[] } {
  const items: unknown[] = [];
  const before: unknown[] = [];
  const s = new ListItemSplitter((json, b) => {
    items.push(JSON.parse(json.toString()));
    before.push(b);
  });
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += chunk) s.push(new Uint8Array(bytes.subarray(i, i + chunk)));
  return { items, head: s.end(), before };
}

test.each([1, 2, 3, 7, 64, 100_000])(
  'chunks of %i bytes: each item alone, the head without them',
  (chunk) => {
    const { items, head, before } = split(JSON.stringify(tricky), chunk);
    expect(items).toEqual(tricky.items);
    expect(head).toEqual({ ...tricky, items: [] });
    expect(before[0]).toEqual({ ...tricky, items: [] });
  },
);

test('pretty-printed bodies, items first or last, and an empty or absent items array', () => {
  const { items, head } = split(JSON.stringify(tricky, null, 2), 5);
  expect(items).toEqual(tricky.items);
  expect(head).toEqual({ ...tricky, items: [] });
  const itemsFirst = `{"items":[{"a":1},{"b":[2]}],"metadata":{"resourceVersion":"1"}}`;
  const first = split(itemsFirst, 4);
  expect(first.items).toEqual([{ a: 1 }, { b: [2] }]);
  expect(first.head).toEqual({ items: [], metadata: { resourceVersion: '1' } });
  expect(split('{"kind":"L","items":[]}', 3)).toEqual({
    items: [],
    head: { kind: 'L', items: [] },
    before: [],
  });
  expect(split('{"kind":"L","items":null}', 3).head).toEqual({ kind: 'L', items: null });
  // A top-level value "items" is not the items key; a key that starts with it is not either.
  const value = split('{"kind":"items","itemsX":[{"a":1}],"items":[{"b":2}]}', 2);
  expect(value.items).toEqual([{ b: 2 }]);
  expect(value.head).toEqual({ kind: 'items', itemsX: [{ a: 1 }], items: [] });
});

test('a body that ends early throws', () => {
  const s = new ListItemSplitter(() => undefined);
  s.push(Buffer.from('{"items":[{"a":"b'));
  expect(() => s.end()).toThrow(/ended early/);
});

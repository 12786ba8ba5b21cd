// The shared many-to-many index: lookups both ways, and no empty sets left behind.
import { ManyToMany } from '../../../src/runtime/many-to-many';

describe('ManyToMany', () => {
  test('keysFor finds every key naming a value; set replaces a key’s values', () => {
    const ix = new ManyToMany();
    ix.set('ns/a', ['store1', 'store2']);
    ix.set('ns/b', ['store2']);
    expect(ix.keysFor('store2').sort()).toEqual(['ns/a', 'ns/b']);
    ix.set('ns/a', ['store3']);
    expect(ix.keysFor('store1')).toEqual([]);
    expect(ix.keysFor('store2')).toEqual(['ns/b']);
    expect(ix.has('store3')).toBe(true);
  });

  test('values no key names any more are dropped (created and deleted objects leave nothing)', () => {
    const ix = new ManyToMany();
    for (let i = 0; i < 1000; i++) {
      ix.set(`ns/es-${i}`, [`store|remote-${i}`, 'store|shared']);
      if (i % 2 === 0) ix.set(`ns/es-${i}`, [`store|renamed-${i}`]);
      ix.delete(`ns/es-${i}`);
    }
    expect(ix.size).toBe(0);
    expect(ix.has('store|shared')).toBe(false);
    ix.set('ns/x', []);
    expect(ix.size).toBe(0);
  });
});

// The one index type: many-to-many, each key (an object) names its values (what it references);
// lookups go from a value back to the keys. Every index of both controllers is one of these, kept
// by the informer of its objects (Informer.addIndex): workloads -> Secrets/ConfigMaps and
// namespaces; ExternalSecrets -> stores, targets, remote names. A value no key names any more is
// dropped, so the index does not grow with objects created and deleted.
export class ManyToMany {
  private readonly byValue = new Map<string, Set<string>>();
  private readonly byKey = new Map<string, readonly string[]>();

  set(key: string, values: readonly string[]): void {
    this.delete(key);
    if (values.length === 0) return;
    this.byKey.set(key, values);
    for (const v of values) {
      let keys = this.byValue.get(v);
      if (!keys) this.byValue.set(v, (keys = new Set()));
      keys.add(key);
    }
  }

  delete(key: string): void {
    for (const v of this.byKey.get(key) ?? []) {
      const keys = this.byValue.get(v);
      keys?.delete(key);
      if (keys?.size === 0) this.byValue.delete(v);
    }
    this.byKey.delete(key);
  }

  /** Whether any key maps to `value` (cheaper than keysFor(value).length > 0). */
  has(value: string): boolean {
    return this.byValue.has(value);
  }

  keysFor(value: string): string[] {
    return [...(this.byValue.get(value) ?? [])];
  }

  /** Number of distinct values (for tests and metrics). */
  get size(): number {
    return this.byValue.size;
  }
}

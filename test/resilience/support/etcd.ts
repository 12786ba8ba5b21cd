// etcd's JSON gateway (/v3/kv/*), to change what the apiserver serves while the apiserver is down
// and to compact history so that resumed watches get 410 Gone. Custom resources are stored as JSON,
// so a SecretStore can be edited in place; any object can be deleted.
export class Etcd {
  constructor(readonly url: string) {}

  private async post<T>(path: string, body: unknown): Promise<T> {
    const res = await fetch(`${this.url}${path}`, {
      method: 'POST',
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`etcd ${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  async get(key: string): Promise<{ value?: string; revision: number }> {
    const r = await this.post<{ header: { revision: string }; kvs?: { value: string }[] }>('/v3/kv/range', {
      key: Buffer.from(key).toString('base64'),
    });
    const v = r.kvs?.[0]?.value;
    return {
      revision: Number(r.header.revision),
      ...(v !== undefined && { value: Buffer.from(v, 'base64').toString('utf8') }),
    };
  }

  async put(key: string, value: string): Promise<void> {
    await this.post('/v3/kv/put', {
      key: Buffer.from(key).toString('base64'),
      value: Buffer.from(value).toString('base64'),
    });
  }

  async delete(key: string): Promise<number> {
    const r = await this.post<{ deleted?: string }>('/v3/kv/deleterange', {
      key: Buffer.from(key).toString('base64'),
    });
    return Number(r.deleted ?? 0);
  }

  /** Compacts history up to the current revision (older resourceVersions become 410 Gone). */
  async compact(): Promise<number> {
    const { revision } = await this.get('/registry/compact-probe');
    await this.post('/v3/kv/compaction', { revision: String(revision), physical: true });
    return revision;
  }
}

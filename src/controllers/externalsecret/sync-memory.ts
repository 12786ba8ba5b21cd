// What the sync side remembers about each ExternalSecret between reconciles — hashes and version
// fingerprints, never values — behind named operations, so a reconcile records facts rather than
// editing the controller's maps, and the one-shot rotation request is taken exactly once.
export class SyncMemory {
  private readonly hashes = new Map<string, string>();
  private readonly versions = new Map<string, string>();
  private readonly refreshRequests = new Set<string>();

  /** `planned`: the fetch plan checks version tags, so version fingerprints are kept. */
  constructor(readonly planned: boolean) {}

  /** Content hash of the last Secret this process wrote or confirmed. */
  lastHash(key: string): string | undefined {
    return this.hashes.get(key);
  }

  rememberHash(key: string, hash: string): void {
    this.hashes.set(key, hash);
  }

  /** Version fingerprint of the sources at the last sync (planned mode only). */
  lastVersions(key: string): string | undefined {
    return this.versions.get(key);
  }

  rememberVersions(key: string, versions: string): void {
    if (this.planned) this.versions.set(key, versions);
  }

  /** A rotation event asks for a refresh now, whatever the schedule says. */
  requestRefresh(key: string): void {
    this.refreshRequests.add(key);
  }

  /** Takes the pending request, if any: true at most once per request. */
  takeRefreshRequest(key: string): boolean {
    return this.refreshRequests.delete(key);
  }

  forget(key: string): void {
    this.hashes.delete(key);
    this.versions.delete(key);
    this.refreshRequests.delete(key);
  }
}

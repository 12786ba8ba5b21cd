// What the sync side remembers about each ExternalSecret between reconciles — hashes and version
// fingerprints, never values — behind named operations, so a reconcile records facts rather than
// editing the controller's maps, and the one-shot rotation request is taken exactly once.
/** A pending forced refresh; `eventAtMs` when a rotation event asked for it. */
export interface RefreshRequest {
  eventAtMs: number | undefined;
}

export class SyncMemory {
  private readonly hashes = new Map<string, string>();
  private readonly versions = new Map<string, string>();
  private readonly refreshRequests = new Map<string, RefreshRequest>();
  private readonly checks = new Map<string, number>();

  /**
   * `planned`: the fetch plan checks version tags, so version fingerprints are kept.
   * `startedAtMs`: when this process started remembering (checks overdue then are spread).
   */
  constructor(
    readonly planned: boolean,
    readonly startedAtMs?: number,
  ) {}

  /** When this process last checked the sources successfully (status.refreshTime may be older). */
  lastCheckMs(key: string): number | undefined {
    return this.checks.get(key);
  }

  rememberCheck(key: string, atMs: number): void {
    this.checks.set(key, atMs);
  }

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

  /**
   * A rotation event (received at `eventAtMs`) or a version tag seen to move asks for a refresh
   * now, whatever the schedule says. Requests before the refresh is taken make one; it keeps the
   * earliest event's time (the rotation latency is measured from it).
   */
  requestRefresh(key: string, eventAtMs?: number): void {
    const prev = this.refreshRequests.get(key);
    this.refreshRequests.set(key, { eventAtMs: prev?.eventAtMs ?? eventAtMs });
  }

  /** Takes the pending request, if any: at most once per request. */
  takeRefreshRequest(key: string): RefreshRequest | undefined {
    const r = this.refreshRequests.get(key);
    this.refreshRequests.delete(key);
    return r;
  }

  forget(key: string): void {
    this.hashes.delete(key);
    this.versions.delete(key);
    this.refreshRequests.delete(key);
    this.checks.delete(key);
  }
}

import type { Clock } from "./runtime.ts";
import type { StoredKey } from "./types.ts";

/**
 * Verify results by key hash, kept briefly so that a service checking the same key on every
 * request does not cost a database read each time. Changes made on this instance evict at once
 * (a deleted key is refused on the very next request here); other instances sharing the
 * database see the change when their entry ages out, after `ttlMs` at most.
 */
export class VerifyCache {
  private readonly byHash = new Map<string, { key: StoredKey | null; until: number }>();

  constructor(
    private readonly clock: Clock,
    readonly ttlMs = 2000,
    private readonly maxEntries = 50_000,
  ) {}

  get(hash: string): { key: StoredKey | null } | undefined {
    const hit = this.byHash.get(hash);
    if (!hit) return undefined;
    if (hit.until <= this.clock.now().getTime()) {
      this.byHash.delete(hash);
      return undefined;
    }
    return hit;
  }

  /** Unknown hashes are not cached: a flood of random keys must not evict the real ones. */
  set(hash: string, key: StoredKey): void {
    if (this.byHash.size >= this.maxEntries) this.byHash.clear();
    this.byHash.set(hash, { key, until: this.clock.now().getTime() + this.ttlMs });
  }

  evictKey(keyId: string): void {
    for (const [hash, entry] of this.byHash) if (entry.key?.id === keyId) this.byHash.delete(hash);
  }
}

import type { Clock } from "./runtime.ts";
import type { StoredKey } from "./types.ts";

/**
 * Verify results by key hash, kept briefly so that a service checking the same key on every
 * request does not cost a database read each time. Changes made on this instance evict at once
 * (a deleted key is refused on the very next request here); other instances sharing the
 * database evict when the change's NOTIFY arrives, and their entries age out after `ttlMs` anyway.
 *
 * Hashes that match no row are remembered apart, in their own bounded map, so that a flood of
 * forged well-formed keys is answered from memory without evicting the real entries. Any key
 * change (a creation above all) forgets every unknown hash: a hash that just became a key is
 * never refused because of an earlier miss. Changes are rare; a flood refills the map at once.
 *
 * A look-up takes a `ticket()` before it reads the database; what it read is kept only if no
 * change happened since, so a read that raced a delete cannot put the old row back after its
 * eviction.
 */
export class VerifyCache {
  private readonly byHash = new Map<string, { key: StoredKey; until: number }>();
  private readonly unknown = new Map<string, number>();
  private generation = 0;

  constructor(
    private readonly clock: Clock,
    readonly ttlMs = 2000,
    private readonly maxEntries = 50_000,
    readonly unknownTtlMs = 60_000,
    private readonly maxUnknown = 100_000,
  ) {}

  /** A key row, `null` for a hash known to match none, `undefined` when the database must say. */
  get(hash: string): { key: StoredKey | null } | undefined {
    const now = this.clock.now().getTime();
    const hit = this.byHash.get(hash);
    if (hit) {
      if (hit.until > now) return hit;
      this.byHash.delete(hash);
    }
    const unknownUntil = this.unknown.get(hash);
    if (unknownUntil === undefined) return undefined;
    if (unknownUntil > now) return { key: null };
    this.unknown.delete(hash);
    return undefined;
  }

  /** Taken before a database read; `set` with it is ignored if any key changed meanwhile. */
  ticket(): number {
    return this.generation;
  }

  set(hash: string, key: StoredKey | null, ticket: number): void {
    if (ticket !== this.generation) return;
    const until = this.clock.now().getTime() + (key ? this.ttlMs : this.unknownTtlMs);
    if (key) {
      if (this.byHash.size >= this.maxEntries) this.byHash.clear();
      this.byHash.set(hash, { key, until });
      return;
    }
    // Oldest first out (Map keeps insertion order): a flood of distinct keys cycles this map only.
    if (this.unknown.size >= this.maxUnknown) this.unknown.delete(this.unknown.keys().next().value!);
    this.unknown.set(hash, until);
  }

  /** A key was created, activated, rolled, deleted or restored (here or on another instance). */
  evictKey(keyId: string): void {
    this.generation++;
    this.unknown.clear();
    for (const [hash, entry] of this.byHash) if (entry.key.id === keyId) this.byHash.delete(hash);
  }

  /** For tests and metrics: how many hashes are remembered as unknown. */
  get unknownSize(): number {
    return this.unknown.size;
  }
}

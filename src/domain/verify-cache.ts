import type { Clock } from "./runtime.ts";
import type { StoredKey } from "./types.ts";

/**
 * Verify results by key hash, kept briefly so that a service checking the same key on every
 * request does not cost a database read each time. Changes made on this instance evict at once
 * (a deleted key is refused on the very next request here). Changes made on another instance
 * sharing a PostgreSQL database evict here when their NOTIFY on the key-changed channel arrives
 * (KeyService.forget, within milliseconds); `ttlMs` only bounds how long a row stays when that
 * notification is lost (the LISTEN connection dropped). The embedded database has one process.
 *
 * Hashes that match no row are remembered apart, in their own bounded map, so that a flood of
 * forged well-formed keys is answered from memory without evicting the real entries. Any key
 * change (a creation above all), here or heard from another instance, forgets every unknown
 * hash: a hash that just became a key is not refused because of an earlier miss (with a lost
 * notification, for `unknownTtlMs` at most). Changes are rare; a flood refills the map at once.
 *
 * A look-up takes a `ticket()` before it reads the database; what it read is kept only if no
 * change happened since, so a read that raced a delete cannot put the old row back after its
 * eviction.
 */
export class VerifyCache {
  private readonly byHash = new Map<string, { key: StoredKey; until: number }>();
  /** Which hash each cached key sits under, so an eviction does not walk the whole cache. */
  private readonly hashById = new Map<string, string>();
  // Unknown hashes in two generations: when the current one is half the cap, it becomes the previous
  // one and the old previous is dropped whole. Deleting a Map's oldest entry one at a time leaves
  // holes V8 walks on every later deletion (≈ 0.4 ms each at 100k; see the auth limiter).
  private unknown = new Map<string, number>();
  private unknownPrevious = new Map<string, number>();
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
      this.hashById.delete(hit.key.id);
    }
    const unknownUntil = this.unknown.get(hash) ?? this.unknownPrevious.get(hash);
    return unknownUntil !== undefined && unknownUntil > now ? { key: null } : undefined;
  }

  /** Taken before a database read; `set` with it is ignored if any key changed meanwhile. */
  ticket(): number {
    return this.generation;
  }

  set(hash: string, key: StoredKey | null, ticket: number): void {
    if (ticket !== this.generation) return;
    const until = this.clock.now().getTime() + (key ? this.ttlMs : this.unknownTtlMs);
    if (key) {
      if (this.byHash.size >= this.maxEntries) {
        this.byHash.clear();
        this.hashById.clear();
      }
      this.byHash.set(hash, { key, until });
      this.hashById.set(key.id, hash);
      return;
    }
    // Oldest generation out first: a flood of distinct forged keys cycles these maps only.
    if (this.unknown.size >= this.maxUnknown / 2) {
      this.unknownPrevious = this.unknown;
      this.unknown = new Map();
    }
    this.unknown.set(hash, until);
  }

  /** A key was created, activated, rolled, deleted or restored (here or on another instance). */
  evictKey(keyId: string): void {
    this.generation++;
    this.unknown.clear();
    this.unknownPrevious.clear();
    const hash = this.hashById.get(keyId);
    if (hash === undefined) return;
    this.hashById.delete(keyId);
    this.byHash.delete(hash);
  }

  /** For the tests: how many hashes are remembered as unknown. */
  get unknownSize(): number {
    return this.unknown.size + this.unknownPrevious.size;
  }
}

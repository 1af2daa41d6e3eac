/**
 * 52 bits of a key's keyed hash: exact in a double, so the loaded prefixes sit in one sorted
 * Float64Array (8 bytes a key). With a million keys a random hash matches one by chance about
 * once in 4·10⁹ tries, and a match only costs the database read it would have cost anyway.
 */
function hashPrefix(hexHash: string): number {
  return parseInt(hexHash.slice(0, 13), 16);
}

/**
 * The hash prefixes of every key row that exists (deleted, expired and pending ones included, so
 * their reasons come from the row as before), so that a well-formed key matching none is refused
 * from memory: a flood of never-repeated forged keys costs neither a verify-cache miss's database
 * read nor cache space. A superset is always safe (a stray prefix only costs a read); a missing
 * one would refuse a real key, so a miss is trusted only while nothing can have been missed:
 * the set is loaded, the change notifications have been heard without a gap since the load began,
 * and no creation notice is still being looked up. Otherwise the database decides, as before.
 */
export class HashFilter {
  /** Sorted prefixes of the last full load. */
  private base = new Float64Array(0);
  /** Added since (this instance's creations, other instances' notices); folded in at the next load. */
  private readonly added = new Set<number>();
  private loaded = false;
  /** Whether the change notifications are being heard (always, on the embedded database). */
  private listening = true;
  /** Counts the moments notifications may have been missed; a load is fresh if none happened since it began. */
  private gaps = 0;
  private loadedAtGap = -1;
  private loadGeneration = 0;
  private lookups = 0;

  constructor(private readonly loadPrefixes: () => Promise<string[]>) {}

  /** Whether a prefix missing from the set means no key row has it. */
  get trusted(): boolean {
    return this.loaded && this.listening && this.loadedAtGap === this.gaps && this.lookups === 0;
  }

  /** False only when no key row can have this hash; true means the database must say. */
  mayExist(hash: string): boolean {
    if (!this.trusted) return true;
    const prefix = hashPrefix(hash);
    return this.added.has(prefix) || sortedHas(this.base, prefix);
  }

  add(hashOrPrefix: string): void {
    this.added.add(hashPrefix(hashOrPrefix));
  }

  /** A full load. Additions made meanwhile are kept; a load that began in a gap is not trusted. */
  async reload(): Promise<void> {
    const generation = ++this.loadGeneration;
    const gapAtStart = this.listening ? this.gaps : -1;
    const prefixes = await this.loadPrefixes();
    if (generation !== this.loadGeneration) return; // a later load, begun after something changed, decides
    const base = new Float64Array(prefixes.length);
    for (let i = 0; i < prefixes.length; i++) base[i] = hashPrefix(prefixes[i]!);
    base.sort();
    this.base = base;
    for (const prefix of this.added) if (sortedHas(base, prefix)) this.added.delete(prefix);
    this.loaded = true;
    this.loadedAtGap = gapAtStart;
  }

  /**
   * The notifications connection dropped (false: notices may be lost from now on) or is back
   * (true: listening again, so a load begun now misses nothing). The caller reloads on true.
   */
  setListening(listening: boolean): void {
    if (!listening) this.gaps++;
    this.listening = listening;
  }

  /** Another instance changed key `id`: until its prefix is known, misses go to the database. */
  async lookUp(find: () => Promise<string | null>): Promise<void> {
    this.lookups++;
    try {
      const prefix = await find();
      if (prefix !== null) this.add(prefix);
    } catch (error) {
      // The notice is as good as missed: distrust until a load begun after it succeeds.
      this.gaps++;
      throw error;
    } finally {
      this.lookups--;
    }
  }
}

function sortedHas(sorted: Float64Array, value: number): boolean {
  let low = 0;
  let high = sorted.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const at = sorted[mid]!;
    if (at === value) return true;
    if (at < value) low = mid + 1;
    else high = mid - 1;
  }
  return false;
}

import { oneAtATime } from "./one-at-a-time.ts";
import type { ApiKeyRepository } from "./repositories.ts";

/**
 * Last-used times without a write per request: verify notes the time in memory, and a flush
 * (every few seconds, and at shutdown) writes all of them in one statement. A key used many
 * times between flushes costs one row update.
 */
export class LastUsedTracker {
  private pending = new Map<string, Date>();

  constructor(private readonly keys: Pick<ApiKeyRepository, "recordLastUsed">) {}

  touch(keyId: string, at: Date): void {
    const seen = this.pending.get(keyId);
    if (!seen || seen < at) this.pending.set(keyId, at);
  }

  get size(): number {
    return this.pending.size;
  }

  /** One flush at a time: shutdown's waits for the timer's in flight, so the database is not closed under it. */
  readonly flush: () => Promise<number> = oneAtATime(() => this.write());

  private async write(): Promise<number> {
    if (this.pending.size === 0) return 0;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.keys.recordLastUsed(batch);
    } catch (error) {
      // Keep the times for the next flush rather than lose them to a passing database error.
      for (const [id, at] of batch) this.touch(id, at);
      throw error;
    }
    return batch.size;
  }
}

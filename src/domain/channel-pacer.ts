/**
 * Slack takes about one message per second per channel (SLACK-NOTES): posts to one channel are
 * spaced, posts to different channels are not held up by each other. A post starts at least
 * `intervalMs` after the previous post to its channel *ended*, so however the network delays one
 * request, Slack receives two posts to a channel at least the interval apart. Per process: two
 * instances posting to one channel at once are not paced against each other (their 429 is
 * handled as any: the rest waits for a later pass).
 */
export interface PacerTime {
  /** Monotonic milliseconds (not the domain's clock, which tests stop and jump). */
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realTime: PacerTime = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class ChannelPacer {
  /** When the last post to each channel ended. */
  private readonly lastEnd = new Map<string, number>();
  /** The end of the queue of posts waiting for each channel. */
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(
    private readonly intervalMs = 1_000,
    private readonly time: PacerTime = realTime,
  ) {}

  /** Runs `post` in the channel's turn, after the channel's earlier posts (queued in order). */
  run<T>(channelKey: string, post: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(channelKey) ?? Promise.resolve();
    const mine = previous.then(async () => {
      const last = this.lastEnd.get(channelKey);
      const wait = last === undefined ? 0 : last + this.intervalMs - this.time.now();
      if (wait > 0) await this.time.sleep(wait);
      try {
        return await post();
      } finally {
        this.lastEnd.set(channelKey, this.time.now());
      }
    });
    const tail = mine.catch(() => undefined);
    this.tails.set(channelKey, tail);
    void tail.then(() => {
      if (this.tails.get(channelKey) === tail) this.tails.delete(channelKey);
      this.forgetOld();
    });
    return mine;
  }

  /** Channels quiet for longer than the interval need no memory: a long-running process keeps few. */
  private forgetOld(): void {
    if (this.lastEnd.size < 1_000) return;
    const now = this.time.now();
    for (const [key, end] of this.lastEnd) if (now - end >= this.intervalMs && !this.tails.has(key)) this.lastEnd.delete(key);
  }
}

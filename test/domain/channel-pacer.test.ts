import { describe, expect, it } from "vitest";
import { ChannelPacer, type PacerTime } from "../../src/domain/channel-pacer.ts";

/** A clock that moves only when someone sleeps (or a post takes time): no real waiting. */
class FakeTime implements PacerTime {
  at = 0;
  slept: number[] = [];
  now = () => this.at;
  sleep = async (ms: number) => {
    this.slept.push(ms);
    this.at += ms;
  };
}

describe("ChannelPacer", () => {
  it("starts a channel's post at least the interval after its previous post ended", async () => {
    const time = new FakeTime();
    const pacer = new ChannelPacer(1_000, time);
    const starts: number[] = [];
    const post = (takesMs: number) => async () => {
      starts.push(time.at);
      time.at += takesMs;
    };
    await pacer.run("T1/C1", post(300));
    await pacer.run("T1/C1", post(50));
    await pacer.run("T1/C1", post(0));
    expect(starts).toEqual([0, 1_300, 2_350]);
  });

  it("does not hold a channel's post for another channel's", async () => {
    const time = new FakeTime();
    const pacer = new ChannelPacer(1_000, time);
    await pacer.run("T1/C1", async () => undefined);
    await pacer.run("T1/C2", async () => undefined);
    await pacer.run("T2/C1", async () => undefined); // another workspace's channel of the same id
    expect(time.slept).toEqual([]);
  });

  it("queues concurrent posts to one channel in order, each a full interval apart", async () => {
    const time = new FakeTime();
    const pacer = new ChannelPacer(1_000, time);
    const starts: Array<[number, number]> = [];
    await Promise.all([1, 2, 3].map((n) => pacer.run("T1/C1", async () => void starts.push([n, time.at]))));
    expect(starts).toEqual([
      [1, 0],
      [2, 1_000],
      [3, 2_000],
    ]);
  });

  it("keeps the pace after a failed post, and passes the failure on", async () => {
    const time = new FakeTime();
    const pacer = new ChannelPacer(1_000, time);
    await expect(pacer.run("T1/C1", async () => Promise.reject(new Error("ratelimited")))).rejects.toThrow("ratelimited");
    await pacer.run("T1/C1", async () => undefined);
    expect(time.slept).toEqual([1_000]);
  });

  it("waits nothing for a channel whose last post ended longer ago than the interval", async () => {
    const time = new FakeTime();
    const pacer = new ChannelPacer(1_000, time);
    await pacer.run("T1/C1", async () => undefined);
    time.at += 5_000;
    await pacer.run("T1/C1", async () => undefined);
    expect(time.slept).toEqual([]);
  });
});

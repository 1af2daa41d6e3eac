import { describe, expect, it } from "vitest";
import { channelId } from "../support/app-harness.ts";
import { ManualClock } from "../support/fixed-runtime.ts";
import { useSlackApp } from "../support/slack-e2e.ts";

type Json = Record<string, unknown>;

/** Issue 15 item 4: `/keys list` and the Home tab show each key's 14 days of use, end to end through the receiver. */
describe("usage at a glance in Slack", () => {
  const admin = "UUSAGESL1";
  // An hour before midnight UTC; the test moves across it.
  const clock = new ManualClock(new Date("2026-12-01T23:00:00Z"));
  const { app, admin: adminActor } = useSlackApp({ clock, people: [{ id: admin, isAdmin: true }] });

  const verify = (key: string) =>
    fetch(`${app.keyward.url}/api/v1/verify`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key }) });

  /** The row of the key with this name, as list and Home tab render it. */
  const rowOf = (view: Json, name: string) =>
    (view.blocks as Json[])
      .filter((b) => /^key_\d+$/.test(String(b.block_id)))
      .map((b) => (b.text as { text: string }).text)
      .find((t) => t.startsWith(`*${name}*`));

  it("shows a 14-day sparkline and the uses of the last 7 days on each row, in the list and on the Home tab", async () => {
    const busy = await app.keyward.services.keys.create(adminActor, { name: "busy-key", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    await app.keyward.services.keys.create(adminActor, { name: "idle-key", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    // Three days back: 2 uses; yesterday (UTC) late: 4; today, just after midnight: 8.
    clock.set("2026-11-28T12:00:00Z");
    for (let i = 0; i < 2; i++) await verify(busy.secret);
    clock.set("2026-12-01T23:59:59Z");
    for (let i = 0; i < 4; i++) await verify(busy.secret);
    clock.set("2026-12-02T00:00:01Z");
    for (let i = 0; i < 8; i++) await verify(busy.secret);
    await app.keyward.services.usageCounter.flush();
    await app.keyward.services.lastUsed.flush();

    const ack = await app.driver.command({ userId: admin, text: "list", channelId });
    const list = await app.driver.waitForResponse(ack);
    expect(list.violations).toEqual([]);
    const expected = `\`${"▁".repeat(9)}▃▁▁▅█\`  14 uses in 7 days`;
    expect(rowOf(list.body as Json, "busy-key")).toContain(expected);
    expect(rowOf(list.body as Json, "busy-key")).toContain("Last used <!date^1796169601^");
    expect(rowOf(list.body as Json, "idle-key")).toContain(`\`${"▁".repeat(14)}\`  0 uses in 7 days`);

    const since = app.fake.mark();
    await app.driver.event({ type: "app_home_opened", user: admin, tab: "home", channel: "D0USAGE01" } as never);
    const published = await app.fake.waitForCall("views.publish", (c) => c.args.user_id === admin, { since });
    expect(published.violations).toEqual([]);
    expect(rowOf(app.fake.getHomeView(admin)!, "busy-key")).toContain(expected);

    // A week on, the first days have left the 7-day count and moved left in the line.
    clock.set("2026-12-06T10:00:00Z");
    const later = await app.driver.waitForResponse(await app.driver.command({ userId: admin, text: "list", channelId }));
    expect(rowOf(later.body as Json, "busy-key")).toContain(`\`${"▁".repeat(5)}▃▁▁▅█▁▁▁▁\`  12 uses in 7 days`);
  });
});

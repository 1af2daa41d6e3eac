import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/domain/types.ts";
import { channelId, startTestApp, type TestApp } from "../support/app-harness.ts";
import { ManualClock } from "../support/fixed-runtime.ts";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../support/test-database.ts";
import { answerTo, findBlock, modalFor, textOf } from "./slack-flow-helpers.ts";

/**
 * Key requests where things go wrong (security review of issue 14): a process dying between an
 * approval and the delivery of its key (the sweep removes the key; the request must say so and its
 * people be told), and one person filing requests without end (each asks up to 20 Admins).
 */
describe.each(databaseKinds())("key requests, when things go wrong, through the real receiver (%s)", (kind) => {
  const admin = "USAFADMN";
  const manager = "USAFMGR1";
  const nobody = "USAFNOBO";
  const approvals = "C0SAFEAPP";
  const clock = new ManualClock(new Date("2026-12-02T12:00:00Z"));
  let db: TestDatabase | undefined;
  let app: TestApp;
  let managerActor: Actor;

  beforeAll(async () => {
    if (kind === "postgres") db = await createTestDatabase("postgres");
    app = await startTestApp({ clock, ...(db ? { databaseUrl: db.url! } : {}) });
    app.addUser({ id: admin, isOwner: true });
    for (const id of [manager, nobody]) app.addUser({ id });
    app.fake.addChannel({ id: approvals, name: "approvals", members: [admin, manager], botIsMember: true });
    const adminActor = await app.keyward.services.access.actorForUser(app.fake.teamId, admin, { isWorkspaceAdmin: true }, "slack");
    await app.keyward.services.roles.assign(adminActor, manager, "Manager");
    await app.keyward.services.keyRequests.setApprovalsChannel(adminActor, approvals);
    managerActor = await app.keyward.services.access.actorForUser(app.fake.teamId, manager, { isWorkspaceAdmin: false }, "slack");
    for (const id of [admin, manager, nobody]) await answerTo(app, app.driver.command({ userId: id, text: "help", channelId }));
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  async function requestThroughSlack(userId: string, name: string) {
    const view = await modalFor(app, await app.driver.command({ userId, text: "request", channelId }));
    expect(view.callback_id).toBe("keyward.request.create");
    const options = (findBlock(view, "role").element as { options: Array<{ text: { text: string }; value: string }> }).options;
    const submitted = await app.driver.viewSubmission({
      userId,
      view,
      answers: { role: { value: options.find((o) => o.text.text === "Viewer")!.value }, name: { value: name }, reason: { value: "CI needs it" } },
    });
    await app.idle();
    return submitted;
  }

  const requestRow = (name: string) => app.keyward.db.prisma.keyRequest.findFirstOrThrow({ where: { name } });

  it("a process dying between the approval and the delivery: the sweep removes the key, the request says undelivered, both are told once", async () => {
    await requestThroughSlack(nobody, "crash-bot");
    const request = await requestRow("crash-bot");
    const [message] = request.messages as Array<{ channel: string; ts: string }>;
    expect(message).toBeDefined();
    // The approval committed; the process died before delivering (no activate, no discard).
    await app.keyward.services.keyRequests.approve(managerActor, request.id);
    clock.set(new Date(clock.now().getTime() + 11 * 60_000).toISOString());
    expect(await app.keyward.services.keys.sweepUndelivered()).toBe(1);
    const swept = await requestRow("crash-bot");
    expect(swept).toMatchObject({ status: "undelivered", messagesStale: true, undeliveredNotice: true });
    expect(await app.keyward.db.prisma.apiKey.findUniqueOrThrow({ where: { id: swept.keyId! } })).toMatchObject({ deletedAt: expect.any(Date) });
    const events = await app.keyward.db.prisma.auditEvent.findMany({ where: { targetId: request.id, action: "key_request.undelivered" } });
    expect(events).toHaveLength(1);
    const mark = app.fake.mark();
    await app.keyward.keyRequestPass();
    const dms = app.fake.callsSince(mark, "chat.postMessage");
    expect(dms.filter((c) => c.args.channel === nobody && textOf(c.args).includes("removed again"))).toHaveLength(1);
    expect(dms.filter((c) => c.args.channel === manager && textOf(c.args).includes("removed again"))).toHaveLength(1);
    expect(textOf(app.fake.getMessage(message!.channel, message!.ts))).toContain("removed again");
    expect(textOf(app.fake.getMessage(message!.channel, message!.ts))).not.toContain("keyward.request.approve");
    expect(await requestRow("crash-bot")).toMatchObject({ messagesStale: false, undeliveredNotice: false });
    // Told once: the next pass says nothing more.
    const again = app.fake.mark();
    await app.keyward.keyRequestPass();
    expect(app.fake.callsSince(again, "chat.postMessage")).toEqual([]);
    // REST and Slack agree: the request is undelivered, its key gone.
    expect((await app.keyward.services.keyRequests.get(managerActor, request.id)).status).toBe("undelivered");
  });

  it("at most 5 pending requests per person: the sixth is refused inline on the form, nothing written", async () => {
    for (let i = 1; i <= 5; i++) expect((await requestThroughSlack(admin, `many-${i}`)).json).toMatchObject({ response_action: "update" });
    const before = await app.dump();
    const mark = app.fake.mark();
    const sixth = await requestThroughSlack(admin, "many-6");
    expect(sixth.json).toMatchObject({ response_action: "errors", errors: { reason: expect.stringContaining("5 requests waiting") } });
    expect(await app.dump()).toBe(before);
    expect(app.fake.callsSince(mark, "chat.postMessage")).toEqual([]);
  });
});

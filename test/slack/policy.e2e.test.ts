import { describe, expect, it } from "vitest";
import { dayAfter, endOfDayIn } from "../../src/domain/expiry.ts";
import { channelId } from "../support/app-harness.ts";
import { ManualClock } from "../support/fixed-runtime.ts";
import { useSlackApp } from "../support/slack-e2e.ts";
import { answerTo, findBlock, modalFor, textOf } from "./slack-flow-helpers.ts";

type Json = Record<string, any>;

/** Issue 14 part 2 in Slack: `/keys policy`, the create form's limits and inline refusal, out-of-policy marks, shortening existing keys. */
describe("the workspace policy through the real receiver", () => {
  const admin = "UPOLICY01";
  const member = "UPOLICY02";
  const tz = "America/Los_Angeles";
  const clock = new ManualClock(new Date("2026-12-01T18:00:00Z"));
  const { app, admin: adminActor } = useSlackApp({
    clock,
    people: [
      { id: admin, isOwner: true },
      { id: member, role: "Member" },
    ],
  });

  async function openHome(userId: string): Promise<Json> {
    const since = app.fake.mark();
    await app.driver.event({ type: "app_home_opened", user: userId, tab: "home", channel: "D0HOMEPOL" } as never);
    await app.fake.waitForCall("views.publish", (c) => c.args.user_id === userId, { since });
    return app.fake.getHomeView(userId)! as Json;
  }

  it("sets a 30-day personal maximum; the create form says so and refuses 60 days inline, writing nothing; old keys are marked, then shortened on confirm", async () => {
    // Made before the policy: a personal key for 60 days, in the admin's zone.
    const old = await app.keyward.services.keys.create(adminActor, {
      name: "old-personal",
      description: "made before the policy",
      kind: "personal",
      role: "Viewer",
      expiresOn: dayAfter(clock.now(), tz, 60),
      timeZone: tz,
    });

    // A Member may not change the policy, but reads it (the limits their keys are held to), read-only; nothing written.
    // Seen once first, so the first contact's Member row is not the difference.
    await answerTo(app, app.driver.command({ userId: member, text: "help", channelId }));
    let dump = await app.dump();
    const readOnly = await modalFor(app, await app.driver.command({ userId: member, text: "policy", channelId }));
    expect(readOnly.callback_id).toBe("keyward.notice");
    expect(readOnly.submit ?? null).toBeNull();
    expect(textOf(readOnly)).toContain("Only a keyward Admin changes them");
    expect(textOf(readOnly)).toContain("Personal keys: no maximum");
    await app.idle();
    expect(await app.dump()).toBe(dump);

    const ack = await app.driver.command({ userId: admin, text: "policy", channelId });
    const form = await modalFor(app, ack);
    expect(form.callback_id).toBe("keyward.policy.edit");
    dump = await app.dump();
    const bad = await app.driver.viewSubmission({ userId: admin, view: form, answers: { reminder_days: { value: "soon" } } });
    expect(bad.json).toMatchObject({ response_action: "errors", errors: { reminder_days: expect.any(String) } });
    await app.idle();
    expect(await app.dump()).toBe(dump);
    const saved = await app.driver.viewSubmission({ userId: admin, view: form, answers: { max_personal_days: { value: "30" } } });
    const answer = saved.json as Json;
    expect(answer.response_action).toBe("update");
    const savedView = answer.view as Json;
    const button = (findBlock(savedView, "policy_actions") as Json).elements[0] as Json;
    expect(button.action_id).toBe("keyward.policy.apply_max_lifetime");
    expect(button.confirm.text.text).toContain("Shorten 1 key?");
    expect(await app.keyward.services.policies.limitsFor(adminActor)).toMatchObject({ maxLifetimeDays: { service: null, personal: 30 } });

    // Before applying: marked out of policy in /keys list and on the Home tab.
    const list = await answerTo(app, app.driver.command({ userId: admin, text: "list", channelId }));
    expect(list.violations).toEqual([]);
    expect(textOf(list.body)).toContain("out of policy: lives over 30 days");
    expect(textOf(await openHome(admin))).toContain("out of policy: lives over 30 days");

    // The create form states the limit on its date, and refuses beyond it where the person looks.
    const createView = await modalFor(app, await app.driver.command({ userId: admin, text: "create", channelId }));
    const lastDay = dayAfter(clock.now(), tz, 30);
    expect(((findBlock(createView, "expires_on") as Json).hint as Json).text).toContain(`At most 30 days for personal keys: by ${lastDay}.`);
    const viewer = ((findBlock(createView, "role") as Json).element.options as Json[]).find((o) => o.text.text === "Viewer")!.value;
    const before = await app.dump();
    const refused = await app.driver.viewSubmission({
      userId: admin,
      view: createView,
      answers: { name: { value: "too-long" }, role: { value: viewer }, kind: { value: "personal" }, expires_on: { value: dayAfter(clock.now(), tz, 60) } },
    });
    expect(refused.json).toEqual({ response_action: "errors", errors: { expires_on: `At most 30 days for personal keys: by ${lastDay}.` } });
    await app.idle();
    expect(await app.dump()).toBe(before);

    // Shorten (the confirm dialog is Slack's; the press comes after it).
    const since = app.fake.mark();
    const viewId = String(form.id);
    await app.driver.blockAction({
      userId: admin,
      actionId: button.action_id,
      blockId: "policy_actions",
      value: "apply",
      view: { ...savedView, id: viewId } as never,
    });
    const update = await app.fake.waitForCall("views.update", (c) => c.args.view_id === viewId && textOf(c.args).includes("Shortened"), { since });
    expect(textOf(update.args)).toContain("Shortened 1 key");
    const shortened = await app.keyward.services.keys.get(adminActor, old.key.id);
    expect(shortened.expiresAt.toISOString()).toBe(endOfDayIn(dayAfter(old.key.createdAt, tz, 30), tz).toISOString());
    const events = await app.keyward.services.audit.latest(adminActor, 5);
    expect(events.find((e) => e.action === "policy.apply_max_lifetime")?.details).toMatchObject({ shortened: 1, keyIds: [old.key.id] });
    expect(textOf((await answerTo(app, app.driver.command({ userId: admin, text: "list", channelId }))).body)).not.toContain("out of policy");

    // The shortened key works until its new expiry, and not a moment after (verify cache included).
    expect((await app.keyward.services.keys.verify(old.secret)).valid).toBe(true);
    clock.set(new Date(shortened.expiresAt.getTime() + 1));
    expect(await app.keyward.services.keys.verify(old.secret)).toMatchObject({ valid: false, reason: "expired" });
  });

  it("offers Shorten in /keys policy whenever keys outlive the maximum, not only right after a stricter save; Home has Policy for Admins", async () => {
    const long = await app.keyward.services.keys.create(adminActor, {
      name: "long-service",
      description: "made before the service maximum",
      role: "Viewer",
      expiresOn: dayAfter(clock.now(), tz, 200),
      timeZone: tz,
    });
    await app.keyward.services.policies.update(adminActor, { maxLifetimeDays: { service: 100 } });
    // Opened later, from the Home tab's Policy button: the offer is there.
    const home = await openHome(admin);
    const policyButton = ((findBlock(home, "home_actions") as Json).elements as Json[]).find((e) => e.action_id === "keyward.policy.open")!;
    expect(policyButton).toBeDefined();
    const form = await modalFor(
      app,
      await app.driver.blockAction({ userId: admin, actionId: policyButton.action_id, blockId: "home_actions", value: "policy", view: home as never }),
    );
    expect(form.callback_id).toBe("keyward.policy.edit");
    expect(textOf(findBlock(form, "policy_beyond"))).toContain("1 key outlive the current maximum");
    const button = (findBlock(form, "policy_actions") as Json).elements[0] as Json;
    expect(button.action_id).toBe("keyward.policy.apply_max_lifetime");
    expect(button.confirm.text.text).toContain("Shorten 1 key?");
    // A Member's Home tab has Request a key, and no Policy button.
    const memberButtons = ((findBlock(await openHome(member), "home_actions") as Json).elements as Json[]).map((e) => e.action_id);
    expect(memberButtons).toContain("keyward.request.open");
    expect(memberButtons).not.toContain("keyward.policy.open");
    await app.keyward.services.keys.delete(adminActor, long.key.id);
    await app.keyward.services.policies.update(adminActor, { maxLifetimeDays: { service: null } });
  });

  it("holds a roll in Slack to the policy: a replacement beyond the maximum is refused on the form's expiry field, nothing written", async () => {
    await app.keyward.services.policies.update(adminActor, { maxLifetimeDays: { service: 20 } });
    await app.keyward.services.keys.create(adminActor, { name: "roll-held", role: "Viewer", expiresOn: dayAfter(clock.now(), tz, 10), timeZone: tz });
    const view = await modalFor(app, await app.driver.command({ userId: admin, text: "roll roll-held", channelId }));
    expect(view.callback_id).toBe("keyward.key.roll");
    expect(((findBlock(view, "expires_on") as Json).hint as Json).text).toContain("At most 20 days");
    const dump = await app.dump();
    const refused = await app.driver.viewSubmission({
      userId: admin,
      view,
      answers: { grace: { value: "0" }, expires_on: { value: dayAfter(clock.now(), tz, 40) } },
    });
    expect(refused.json).toMatchObject({ response_action: "errors", errors: { expires_on: expect.stringContaining("At most 20 days") } });
    await app.idle();
    expect(await app.dump()).toBe(dump);
    await app.keyward.services.policies.update(adminActor, { maxLifetimeDays: { service: null } });
  });

  it("help offers /keys policy to change to those who hold policy.edit, and to read to everyone else; a personal-only creator is pointed to /keys request", async () => {
    expect(textOf((await answerTo(app, app.driver.command({ userId: admin, text: "help", channelId }))).body)).toContain("/keys policy` the workspace policy");
    const memberHelp = textOf((await answerTo(app, app.driver.command({ userId: member, text: "help", channelId }))).body);
    expect(memberHelp).toContain("/keys policy` read the limits");
    expect(memberHelp).not.toContain("/keys policy` the workspace policy");
    const form = await modalFor(app, await app.driver.command({ userId: member, text: "create", channelId }));
    expect(((findBlock(form, "kind") as Json).hint as Json).text).toContain("For a service key, ask with /keys request.");
  });
});

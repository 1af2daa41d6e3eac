import { describe, expect, it } from "vitest";
import { channelId } from "../support/app-harness.ts";
import { useSlackApp } from "../support/slack-e2e.ts";
import { policyModal } from "../../src/slack/views/policy-modal.ts";
import { decodePolicyFormVersion, encodePolicyFormMetadata } from "../../src/slack/wire/form-metadata.ts";
import { modalFor, textOf } from "./slack-flow-helpers.ts";

type Json = Record<string, any>;

/** The policy form must not weaken the policy by being saved (security review of issue 14, item 4). */
describe("the policy form keeps what it does not show, and what changed meanwhile", () => {
  it("keeps a four-eyes role and the personal bound that sit beyond the first 100 roles (else a plain Save drops them)", () => {
    const roles = Array.from({ length: 101 }, (_, i) => ({
      id: `00000000-0000-0000-0000-${String(i).padStart(12, "0")}`,
      name: `role-${i}`,
      permissions: ["api_keys.view"],
    }));
    const late = roles[100]!;
    const view = policyModal({
      maxLifetimeDays: { service: null, personal: null },
      requireDescription: false,
      personalMaxRoleId: late.id,
      approvalRoleIds: [late.id],
      reminderDays: null,
      defaultReminderDays: [30, 7, 1],
      roles,
    });
    const blocks = view.blocks as Array<{ block_id?: string; element?: Json }>;
    const approval = blocks.find((b) => b.block_id === "approval_roles")!.element!;
    const maxRole = blocks.find((b) => b.block_id === "personal_max_role")!.element!;
    expect(approval.initial_options.map((o: Json) => o.value)).toContain(late.id);
    expect(maxRole.initial_option?.value).toBe(late.id);
    // Still within Slack's 100 options.
    expect(approval.options).toHaveLength(100);
    expect(maxRole.options).toHaveLength(100);
  });

  it("round-trips the form's version and reads none from an old or forged form", () => {
    const at = new Date("2026-12-02T01:30:00.123Z");
    expect(decodePolicyFormVersion(encodePolicyFormMetadata(at))).toEqual(at);
    expect(decodePolicyFormVersion(encodePolicyFormMetadata(null))).toBeNull();
    for (const bad of ["", "{}", "not json", '{"at":"yesterday"}', '{"at":1}']) expect(decodePolicyFormVersion(bad)).toBeUndefined();
  });

  describe("through the real receiver", () => {
    const admin = "UPOLFORM1";
    const { app, admin: adminActor } = useSlackApp({ people: [{ id: admin, isOwner: true }] });

    it("a save over a change made since the form opened (REST, another Admin) is refused, nothing written; a fresh form saves", async () => {
      await app.keyward.services.policies.update(adminActor, { approvalRoles: ["Admin"] });
      const form = await modalFor(app, await app.driver.command({ userId: admin, text: "policy", channelId }));
      expect(form.callback_id).toBe("keyward.policy.edit");
      // Meanwhile, over REST: a 30-day maximum for service keys.
      await app.keyward.services.policies.update(adminActor, { maxLifetimeDays: { service: 30 } }, {});
      const before = await app.dump();
      const stale = await app.driver.viewSubmission({ userId: admin, view: form, answers: { max_personal_days: { value: "60" } } });
      expect(textOf(stale.json)).toContain("changed since this form was opened");
      expect(await app.dump()).toBe(before);
      expect(await app.keyward.services.policies.limitsFor(adminActor)).toMatchObject({ maxLifetimeDays: { service: 30, personal: null } });
      const fresh = await modalFor(app, await app.driver.command({ userId: admin, text: "policy", channelId }));
      const saved = await app.driver.viewSubmission({ userId: admin, view: fresh, answers: { max_personal_days: { value: "60" } } });
      expect((saved.json as Json).response_action).toBe("update");
      expect(await app.keyward.services.policies.limitsFor(adminActor)).toMatchObject({
        maxLifetimeDays: { service: 30, personal: 60 },
        approvalRoles: [expect.objectContaining({ name: "Admin" })],
      });
    });
  });
});

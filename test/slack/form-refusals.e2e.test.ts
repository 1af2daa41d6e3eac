import { describe, expect, it } from "vitest";
import type { ModalView } from "@slack/types";
import { encodeSecretFormMetadata } from "../../src/slack/wire/form-metadata.ts";
import { inputBlocksOf } from "../../src/slack/listeners/submission.ts";
import { rollKeyModal } from "../../src/slack/views/roll-key-modal.ts";
import { channelId } from "../support/app-harness.ts";
import { blockKitViolations } from "../support/block-kit-validator.ts";
import { useSlackApp } from "../support/slack-e2e.ts";

describe("a refused roll through the real receiver (rule 11)", () => {
  const { app } = useSlackApp();

  it("refused for the key's role, it says why in the modal instead of naming a block the roll form lacks, and writes nothing", async () => {
    const adminId = app.addUser({ id: "UREFADM01", isAdmin: true });
    const managerId = app.addUser({ id: "UREFMGR01" });
    const admin = await app.keyward.services.access.actorForUser(app.fake.teamId, adminId, { isWorkspaceAdmin: true }, "slack");
    await app.keyward.services.roles.assign(admin, managerId, "Manager");
    const { key } = await app.keyward.services.keys.create(admin, { name: "admin-only-roll", role: "Admin", expiresOn: "2030-01-01", timeZone: "UTC" });
    const view = {
      id: "VREFUSED01",
      ...rollKeyModal({
        ...key,
        defaultDay: "2030-01-01",
        lifetimeDays: 90,
        timeZone: "UTC",
        privateMetadata: encodeSecretFormMetadata({ channelId }, { keyId: key.id }),
      }),
    } as ModalView & { id: string };
    const keysBefore = await app.keyward.db.prisma.apiKey.count();
    const auditBefore = await app.keyward.db.prisma.auditEvent.count();
    const mark = app.fake.mark();

    const submitted = await app.driver.viewSubmission({ userId: managerId, view: view as never, answers: { grace: { value: "24" } } });

    expect(submitted.status).toBe(200);
    const answer = submitted.json as { response_action: string; errors?: Record<string, string>; view?: ModalView };
    // Slack rejects an errors answer naming a block the view lacks; the person would see nothing.
    for (const block of Object.keys(answer.errors ?? {})) expect(inputBlocksOf(view).has(block), `block ${block} is on the roll form`).toBe(true);
    expect(answer.response_action).toBe("update");
    expect(blockKitViolations("modal", answer.view)).toEqual([]);
    expect(JSON.stringify(answer.view)).toContain("grants permissions you do not hold");
    expect(await app.keyward.db.prisma.apiKey.count()).toBe(keysBefore);
    expect(await app.keyward.db.prisma.auditEvent.count()).toBe(auditBefore);
    expect((await app.keyward.services.keys.get(admin, key.id)).replacedBy).toBeNull();
    // Nothing posted: asked once the app has finished the submission, after which nothing more comes of it.
    await app.idle();
    expect(app.fake.callsSince(mark, "chat.postEphemeral")).toHaveLength(0);
  });
});

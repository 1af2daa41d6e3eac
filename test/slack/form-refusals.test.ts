import { describe, expect, it } from "vitest";
import type { ModalView } from "@slack/types";
import { DomainError, errorCodes, type ErrorCode } from "../../src/domain/errors.ts";
import { permissions } from "../../src/domain/permissions.ts";
import { createLogger } from "../../src/logger.ts";
import { callbackIds } from "../../src/slack/ids.ts";
import { forms } from "../../src/slack/listeners/forms.ts";
import { formErrors, inputBlocksOf, invalidForm, refusal, type Submission } from "../../src/slack/listeners/submission.ts";
import type { SlackDeps } from "../../src/slack/slack-deps.ts";
import { addIntegrationModal, parseAddIntegrationModal } from "../../src/slack/views/add-integration-modal.ts";
import { createKeyModal, parseCreateKeyModal } from "../../src/slack/views/create-key-modal.ts";
import { editKeyModal, parseEditKeyModal } from "../../src/slack/views/edit-key-modal.ts";
import { integrationChannelModal, parseIntegrationChannelModal } from "../../src/slack/views/integration-channel-modal.ts";
import { denyRequestModal, keyRequestModal, parseDenyRequestModal, parseKeyRequestModal } from "../../src/slack/views/key-request-modal.ts";
import { noticeModal } from "../../src/slack/views/notices.ts";
import { assignRoleModal, createRoleModal, parseAssignRoleModal, parseCreateRoleModal } from "../../src/slack/views/role-modals.ts";
import { parsePolicyModal, policyModal } from "../../src/slack/views/policy-modal.ts";
import { parseRollKeyModal, rollKeyModal } from "../../src/slack/views/roll-key-modal.ts";
import { parseRotateIntegrationModal, rotateIntegrationModal } from "../../src/slack/views/rotate-integration-modal.ts";
import { blockKitViolations } from "../support/block-kit-validator.ts";

const deps = { logger: createLogger("silent") } as unknown as SlackDeps;
const config = {
  id: "0190a000-0000-7000-8000-000000000001",
  integration: "github",
  alias: "cortex-github",
  last4: "wxyz",
  isDefault: true,
  expiresAt: new Date("2027-01-01T00:00:00Z"),
  reminderChannel: "C0123456789",
};

/** Every form keyward opens, built as the app builds it, with the parser its submission runs first. */
const formViews: Record<keyof typeof forms, { view: ModalView; parseEmpty: () => { ok: boolean; errors?: Record<string, string> } }> = {
  createKey: {
    view: createKeyModal({
      roles: [{ id: "r1", name: "Viewer" }],
      kinds: ["service", "personal"],
      defaultDay: "2027-02-25",
      timeZone: "UTC",
      privateMetadata: "{}",
    }),
    parseEmpty: () => parseCreateKeyModal({}, "UTC"),
  },
  editKey: { view: editKeyModal({ keyId: "k", name: "n", description: "", roleName: "Admin", last4: "abcd" }), parseEmpty: () => parseEditKeyModal({}) },
  rollKey: {
    view: rollKeyModal({
      name: "n",
      last4: "abcd",
      roleName: "Admin",
      expiresAt: new Date("2027-01-01"),
      defaultDay: "2030-01-01",
      lifetimeDays: 90,
      timeZone: "UTC",
      privateMetadata: "{}",
    }),
    parseEmpty: () => parseRollKeyModal({}, "UTC"),
  },
  createRole: { view: createRoleModal([...permissions]), parseEmpty: () => parseCreateRoleModal({}) },
  assignRole: { view: assignRoleModal([{ id: "r1", name: "Viewer" }]), parseEmpty: () => parseAssignRoleModal({}) },
  addIntegration: { view: addIntegrationModal({ timeZone: "UTC", privateMetadata: "{}" }), parseEmpty: () => parseAddIntegrationModal({}, "UTC") },
  rotateIntegration: {
    view: rotateIntegrationModal({ ...config, timeZone: "UTC", privateMetadata: "{}" } as never),
    parseEmpty: () => parseRotateIntegrationModal({}, "UTC"),
  },
  integrationChannel: { view: integrationChannelModal({ ...config, privateMetadata: "{}" } as never), parseEmpty: () => parseIntegrationChannelModal({}) },
  policy: {
    view: policyModal({
      maxLifetimeDays: { service: null, personal: 30 },
      requireDescription: true,
      personalMaxRoleId: "r1",
      approvalRoleIds: ["r1"],
      reminderDays: [10],
      defaultReminderDays: [30, 14, 7, 3, 1, 0],
      roles: [{ id: "r1", name: "Viewer" }],
    }),
    parseEmpty: () => parsePolicyModal({}),
  },
  requestKey: {
    view: keyRequestModal({ roles: [{ id: "r1", name: "Viewer" }], defaultDay: "2027-02-25", timeZone: "UTC", privateMetadata: "{}" }),
    parseEmpty: () => parseKeyRequestModal({}, "UTC"),
  },
  denyRequest: {
    view: denyRequestModal({ keyName: "n", requestedBy: "U1", privateMetadata: "{}" }),
    parseEmpty: () => parseDenyRequestModal({}),
  },
};

/**
 * Every field name a domain error can carry: the services' own (grep `fields:` in src/domain),
 * every input schema's fields (validation_failed is keyed by them, nested ones with dots), the
 * whole-input `_`, and one no form has.
 */
const domainFields = [
  "name",
  "description",
  "role",
  "kind",
  "expiresOn",
  "expiresAt",
  "timeZone",
  "graceUntil",
  "reason",
  "graceHours",
  "permissions",
  "permissions.0",
  "user",
  "cursor",
  "limit",
  "integration",
  "alias",
  "secret",
  "isDefault",
  "reminderChannel",
  "maxLifetimeDays.service",
  "maxLifetimeDays.personal",
  "personalMaxRole",
  "approvalRoles",
  "reminderDays",
  "_",
  "not_a_field",
];

/** The field sets each code is tried with: none, each field alone, and all together (mixed on- and off-form). */
const fieldSets: Array<Record<string, string> | undefined> = [
  undefined,
  ...domainFields.map((f) => ({ [f]: `Fix ${f}.` })),
  Object.fromEntries(domainFields.map((f) => [f, `Fix ${f}.`])),
];

function expectShownOnForm(submission: Submission, view: ModalView, error: DomainError): void {
  const inputs = inputBlocksOf(view);
  const response = submission.response;
  if (response.response_action === "errors") {
    // Slack refuses an errors answer naming a block the view lacks, and the person sees nothing.
    for (const [block, message] of Object.entries(response.errors)) {
      expect(inputs.has(block), `block ${block} is on the form`).toBe(true);
      expect(message.length).toBeGreaterThan(0);
    }
    expect(Object.keys(response.errors).length).toBeGreaterThan(0);
  } else {
    expect(response.response_action).toBe("update");
    const shown = (response as { view: ModalView }).view;
    expect(blockKitViolations("modal", shown)).toEqual([]);
    expect(JSON.stringify(shown)).toContain(JSON.stringify(error.message).slice(1, -1).slice(0, 40));
  }
  // The late path (the form is gone by then) says it in words, in a valid modal.
  expect(blockKitViolations("modal", noticeModal(submission.late.title, submission.late.text))).toEqual([]);
  expect(submission.late.text.length).toBeGreaterThan(0);
}

describe("a refused submission is always shown where the user looks (rule 11)", () => {
  const table = (Object.keys(forms) as Array<keyof typeof forms>).flatMap((form) => errorCodes.map((code): [keyof typeof forms, ErrorCode] => [form, code]));

  it("covers every form keyward opens", () => {
    expect(
      Object.keys(formViews)
        .map((k) => callbackIds[k as keyof typeof callbackIds])
        .sort(),
    ).toEqual(
      Object.values(callbackIds)
        .filter((id) => id !== callbackIds.notice)
        .sort(),
    );
    for (const [name, { view }] of Object.entries(formViews)) expect(view.callback_id, name).toBe(callbackIds[name as keyof typeof callbackIds]);
  });

  it.each(table)("%s × %s: every field set is answered on a block of the form, or as a message", (form, code) => {
    const { view } = formViews[form];
    for (const fields of fieldSets) {
      const error = new DomainError(code, `Refused with ${code}.`, fields ? { fields } : undefined);
      expectShownOnForm(refusal(deps, error, forms[form], { id: "V1", ...view }), view, error);
    }
  });

  it.each(Object.keys(formViews) as Array<keyof typeof forms>)("%s: its own parser's errors name only its blocks", (form) => {
    const { view, parseEmpty } = formViews[form];
    const parsed = parseEmpty();
    if (parsed.ok) return; // a form whose every input is optional has nothing to refuse when empty
    const submission = invalidForm(forms[form], { id: "V1", ...view }, parsed.errors!);
    expect(submission.response).toEqual({ response_action: "errors", errors: parsed.errors });
    for (const block of Object.keys(parsed.errors!)) expect(inputBlocksOf(view).has(block)).toBe(true);
  });

  it("a roll refused for the key's role explains itself instead of naming a role block the roll form lacks", () => {
    const error = new DomainError("role_exceeds_actor", "The role Admin grants permissions you do not hold: roles.edit.", {
      fields: { role: "Choose a role whose permissions you hold yourself." },
    });
    const { view } = formViews.rollKey;
    const submission = refusal(deps, error, forms.rollKey, { id: "V1", ...view });
    expect(submission.response.response_action).toBe("update");
    const text = JSON.stringify(submission.response);
    expect(text).toContain("The role Admin grants permissions you do not hold");
    expect(text).toContain("A key can only be rolled by someone who holds every permission of its role");
    expect(text).not.toContain("Choose a role");
  });

  it("keeps the form when some fields are on it, and carries the others in the text of one that is", () => {
    const { view } = formViews.createKey;
    const submission = formErrors(
      forms.createKey,
      { id: "V1", ...view },
      [
        ["name", "Choose another name."],
        ["grace", "Not on this form."],
      ],
      "Refused.",
      "Refused.",
    );
    expect(submission.response).toEqual({ response_action: "errors", errors: { name: "Choose another name. Not on this form." } });
    expect(submission.late.text).toContain("Choose another name.");
  });

  it("puts a create's name conflict under the name field", () => {
    const error = new DomainError("conflict", 'A key named "x" already exists.', { fields: { name: "Choose a name no other live key has." } });
    const { view } = formViews.createKey;
    expect(refusal(deps, error, forms.createKey, { id: "V1", ...view }).response).toEqual({
      response_action: "errors",
      errors: { name: "Choose a name no other live key has." },
    });
  });

  it("puts a role's name and permissions under the role form's own blocks", () => {
    const error = new DomainError("role_exceeds_actor", "You cannot grant permissions you do not hold: roles.edit.", {
      fields: { "permissions.0": "Only permissions you hold yourself can be granted." },
    });
    const { view } = formViews.createRole;
    expect(refusal(deps, error, forms.createRole, { id: "V1", ...view }).response).toEqual({
      response_action: "errors",
      errors: { permissions: "Only permissions you hold yourself can be granted." },
    });
  });

  it("puts a policy's maximum lifetime error under the field of its kind", () => {
    const error = new DomainError("validation_failed", "Too many days.", {
      fields: { "maxLifetimeDays.personal": "At most 3650 days.", "maxLifetimeDays.service": "Use a whole number." },
    });
    const { view } = formViews.policy;
    expect(refusal(deps, error, forms.policy, { id: "V1", ...view }).response).toEqual({
      response_action: "errors",
      errors: { max_personal_days: "At most 3650 days.", max_service_days: "Use a whole number." },
    });
  });
});

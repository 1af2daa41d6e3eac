// Property-based tests of the modal parsers: whatever `view.state.values` holds (wrong shapes,
// nulls, arrays, huge strings, prototype keys, unicode), a parser never throws and answers either
// input the domain schema accepts or errors keyed by input blocks the form really has.
import type { ModalView } from "@slack/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { permissions } from "../../src/domain/permissions.ts";
import { addIntegrationModal, parseAddIntegrationModal } from "../../src/slack/views/add-integration-modal.ts";
import { integrationChannelModal, parseIntegrationChannelModal } from "../../src/slack/views/integration-channel-modal.ts";
import { decodeFormKeyId, decodeIntegrationMetadata } from "../../src/slack/wire/form-metadata.ts";
import { parseRotateIntegrationModal, rotateIntegrationModal } from "../../src/slack/views/rotate-integration-modal.ts";
import {
  addConfigInputSchema,
  createKeyInputSchema,
  createRoleInputSchema,
  integrationSlugSchema,
  rollKeyInputSchema,
  updateConfigInputSchema,
  updateKeyInputSchema,
} from "../../src/domain/schemas.ts";
import { inputActionId, inputBlockIds } from "../../src/slack/ids.ts";
import { createKeyModal, parseCreateKeyModal } from "../../src/slack/views/create-key-modal.ts";
import { editKeyModal, parseEditKeyModal } from "../../src/slack/views/edit-key-modal.ts";
import { readValues, type StateValues } from "../../src/slack/views/modal-state.ts";
import { assignRoleModal, createRoleModal, parseAssignRoleModal, parseCreateRoleModal } from "../../src/slack/views/role-modals.ts";
import { parseRollKeyModal, rollKeyModal } from "../../src/slack/views/roll-key-modal.ts";

// ---------------------------------------------------------------------------------------------
// The forms as the builders make them; errors may name only their input blocks.

const roles = [
  { id: "0190a000-0000-7000-8000-000000000001", name: "Viewer" },
  { id: "0190a000-0000-7000-8000-000000000002", name: "Admin" },
];

function inputBlocksOf(view: ModalView): Set<string> {
  return new Set(view.blocks.filter((b) => b.type === "input").map((b) => String(b.block_id)));
}

const forms = {
  createKey: inputBlocksOf(
    createKeyModal({ roles, kinds: ["service", "personal"], defaultDay: "2030-01-01", timeZone: "Europe/Paris", privateMetadata: "{}" }),
  ),
  editKey: inputBlocksOf(editKeyModal({ keyId: roles[0]!.id, name: "ci", description: "d", roleName: "Viewer", last4: "abcd" })),
  createRole: inputBlocksOf(createRoleModal([...permissions])),
  assignRole: inputBlocksOf(assignRoleModal(roles)),
  rollKey: inputBlocksOf(
    rollKeyModal({
      name: "ci",
      last4: "abcd",
      roleName: "Viewer",
      expiresAt: new Date("2030-01-01T00:00:00Z"),
      defaultDay: "2030-01-01",
      lifetimeDays: 90,
      timeZone: "UTC",
      privateMetadata: "{}",
    }),
  ),
  addIntegration: inputBlocksOf(addIntegrationModal({ timeZone: "Europe/Paris", privateMetadata: "{}" })),
  rotateIntegration: inputBlocksOf(
    rotateIntegrationModal({
      integration: "github",
      alias: "main",
      last4: "abcd",
      isDefault: true,
      expiresAt: null,
      timeZone: "Europe/Paris",
      privateMetadata: "{}",
    }),
  ),
  integrationChannel: inputBlocksOf(integrationChannelModal({ integration: "github", alias: "main", reminderChannel: null, privateMetadata: "{}" })),
};

type Parsed = { ok: true; input: unknown } | { ok: false; errors: Record<string, string> };

function expectErrorsOnlyFor(form: Set<string>, parsed: Parsed): void {
  if (parsed.ok) return;
  const keys = Object.keys(parsed.errors);
  expect(keys.length).toBeGreaterThan(0);
  for (const key of keys) expect(form, `error keyed by ${JSON.stringify(key)}`).toContain(key);
  for (const message of Object.values(parsed.errors)) {
    expect(typeof message).toBe("string");
    expect(message.length).toBeGreaterThan(0);
    // Slack shows these under the field: a sentence, never an echo of a huge input.
    expect(message.length).toBeLessThan(300);
  }
}

// ---------------------------------------------------------------------------------------------
// Hostile state values

const protoKeys = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "toJSON"];
const interesting = [
  "",
  " ",
  "\t\n",
  "Viewer",
  "admin",
  "Nope",
  "service",
  "personal",
  "business",
  "2030-01-01",
  "2020-01-01",
  "2030-02-30",
  "9999-12-31",
  "0",
  "1",
  "24",
  "72",
  "168",
  "169",
  "-1",
  "1e2",
  "24.0",
  " 24",
  "U0123ABC",
  "W1",
  "u1",
  "api_keys.view",
  "roles.edit",
  "not.a.permission",
  "\u0000",
  "\u202e",
  "\ud800",
  "😀",
  "e\u0301",
  "<!channel>",
  "`x`",
  '{"keyId":"x"}',
  "github",
  "GitHub",
  "-x",
  "main",
  "cortex-github",
  "ghp_0123456789",
  "abc",
  "C0KEYWARD1",
  "G0PRIV",
  "D0DM",
  "default",
  ...protoKeys,
];
const huge = fc
  .tuple(fc.string({ unit: "binary", minLength: 1, maxLength: 4 }), fc.integer({ min: 1_000, max: 100_000 }))
  .map(([chunk, size]) => chunk.repeat(Math.ceil(size / chunk.length)));
const text = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 80 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 80 }) },
  { weight: 4, arbitrary: fc.constantFrom(...interesting) },
  { weight: 1, arbitrary: huge },
);
const scalar = fc.oneof(text, fc.constant(null), fc.constant(undefined), fc.integer(), fc.double(), fc.boolean(), fc.bigInt().map(String));

/** An object with exactly these own keys (`__proto__` included, as JSON.parse makes it). */
const objectOf = <T>(key: fc.Arbitrary<string>, value: fc.Arbitrary<T>, maxLength = 4) =>
  fc.array(fc.tuple(key, value), { maxLength }).map((entries) => Object.fromEntries(entries) as Record<string, T>);

const junk = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), objectOf(fc.constantFrom("value", "text", "type", ...protoKeys), scalar, 3));
const option = fc.oneof({ weight: 3, arbitrary: objectOf(fc.constantFrom("value", "text", ...protoKeys), junk, 3) }, { weight: 1, arbitrary: junk });

/**
 * `selected_options` as an array of anything but null/undefined (or absent): other shapes make
 * readValues throw, which the BUG tests below keep.
 */
const selectedOptions = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.array(
    fc.oneof(
      option.filter((o) => o !== null && o !== undefined),
      text,
    ),
    { maxLength: 12 },
  ),
);

const stateValue = fc.record(
  {
    type: fc.oneof(fc.constantFrom("plain_text_input", "static_select", "checkboxes", "datepicker", "users_select", "radio_buttons"), text),
    value: junk,
    selected_option: option,
    selected_options: selectedOptions,
    selected_date: junk,
    selected_user: junk,
    selected_conversation: junk,
  },
  { requiredKeys: [] },
);
const blockKey = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...Object.values(inputBlockIds)) },
  { weight: 2, arbitrary: fc.constantFrom(...protoKeys, "", "key_facts") },
  { weight: 1, arbitrary: text },
);
const actionKey = fc.oneof(
  { weight: 6, arbitrary: fc.constant(inputActionId) },
  { weight: 1, arbitrary: fc.constantFrom(...protoKeys, "", "values") },
  { weight: 1, arbitrary: text },
);
const actions = fc.oneof(
  { weight: 6, arbitrary: objectOf(actionKey, fc.oneof({ weight: 5, arbitrary: stateValue }, { weight: 1, arbitrary: junk }), 3) },
  { weight: 1, arbitrary: junk },
);
const hostileValues: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: objectOf(blockKey, actions, 8) },
  { weight: 1, arbitrary: junk },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 3 }) },
);

/**
 * Whether a `__proto__` block's answer is a plain object: readValues then installs it as the
 * prototype of its result, so it answers for other blocks (see the BUG test below).
 */
function injectsPrototype(values: unknown): boolean {
  if (typeof values !== "object" || values === null || !Object.hasOwn(values, "__proto__")) return false;
  // biome-ignore lint/suspicious/noProto: the fuzz input's own __proto__ key is what is being tested
  const answer = readValues({ probe: (values as Record<string, unknown>).__proto__ } as unknown as StateValues).probe;
  return typeof answer === "object" && answer !== null && !Array.isArray(answer);
}

/** What readValues throws on: selected_options present but not an array, or holding null/undefined. */
function hasUnreadableOptions(values: unknown): boolean {
  if (typeof values !== "object" || values === null) return false;
  for (const actionsOf of Object.values(values as Record<string, unknown>)) {
    const v = (actionsOf as Record<string, unknown> | null | undefined)?.[inputActionId] as Record<string, unknown> | undefined;
    if (!v) continue;
    const options = v.selected_options;
    if (options === undefined || options === null) continue;
    if (!Array.isArray(options) || options.some((o) => o === null || o === undefined)) return true;
  }
  return false;
}

/** An answer String() cannot turn into text (an object whose own `toString` is not a function). */
function hasUnprintableAnswer(values: unknown): boolean {
  return Object.values(readValues(values as StateValues)).some((answer) => {
    try {
      String(answer);
      return false;
    } catch {
      return true;
    }
  });
}

const asState = (values: unknown) => values as StateValues;

describe("modal parsers under hostile state.values", () => {
  const zones = fc.oneof(fc.constantFrom("UTC", "America/New_York", "Pacific/Kiritimati", "Etc/GMT+12", "Europe/Paris"), text);

  it("readValues never throws and answers each block only from that block's own entry", () => {
    fc.assert(
      fc.property(hostileValues, (values) => {
        fc.pre(!hasUnreadableOptions(values) && !injectsPrototype(values));
        const raw = readValues(asState(values));
        const own = typeof values === "object" && values !== null ? Object.keys(values) : [];
        for (const key of Object.keys(raw)) expect(own).toContain(key);
        for (const blockId of Object.values(inputBlockIds)) {
          const alone = own.includes(blockId) ? readValues(asState({ [blockId]: (values as Record<string, unknown>)[blockId] }))[blockId] : undefined;
          expect(raw[blockId]).toEqual(alone);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("parseCreateKeyModal: never throws; valid input for the domain schema, or errors on the form's blocks", () => {
    fc.assert(
      fc.property(hostileValues, zones, (values, timeZone) => {
        fc.pre(!hasUnreadableOptions(values) && !injectsPrototype(values));
        // Known crash, kept as a BUG test below.
        fc.pre(!hasUnprintableAnswer(values));
        const parsed = parseCreateKeyModal(asState(values), timeZone);
        if (parsed.ok) expect(createKeyInputSchema.safeParse(parsed.input).success).toBe(true);
        expectErrorsOnlyFor(forms.createKey, parsed);
      }),
      { numRuns: 200 },
    );
  });

  it("parseEditKeyModal: never throws; valid input for the domain schema, or errors on the form's blocks", () => {
    fc.assert(
      fc.property(hostileValues, (values) => {
        fc.pre(!hasUnreadableOptions(values) && !injectsPrototype(values));
        const parsed = parseEditKeyModal(asState(values));
        if (parsed.ok) expect(updateKeyInputSchema.safeParse(parsed.input).success).toBe(true);
        expectErrorsOnlyFor(forms.editKey, parsed);
      }),
      { numRuns: 200 },
    );
  });

  it("parseCreateRoleModal: never throws; valid input for the domain schema, or errors on the form's blocks", () => {
    fc.assert(
      fc.property(hostileValues, (values) => {
        fc.pre(!hasUnreadableOptions(values) && !injectsPrototype(values));
        const parsed = parseCreateRoleModal(asState(values));
        if (parsed.ok) expect(createRoleInputSchema.safeParse(parsed.input).success).toBe(true);
        expectErrorsOnlyFor(forms.createRole, parsed);
      }),
      { numRuns: 200 },
    );
  });

  it("parseAssignRoleModal: never throws; a person and a role as strings, or errors on the form's blocks", () => {
    fc.assert(
      fc.property(hostileValues, (values) => {
        fc.pre(!hasUnreadableOptions(values) && !injectsPrototype(values));
        const parsed = parseAssignRoleModal(asState(values));
        if (parsed.ok) {
          expect(typeof parsed.input.userId).toBe("string");
          expect(typeof parsed.input.role).toBe("string");
          expect(parsed.input.userId.length * parsed.input.role.length).toBeGreaterThan(0);
        }
        expectErrorsOnlyFor(forms.assignRole, parsed);
      }),
      { numRuns: 200 },
    );
  });

  it("parseRollKeyModal: never throws; a grace period and expiry the domain schema accepts, or errors on the form's blocks", () => {
    fc.assert(
      fc.property(hostileValues, zones, (values, timeZone) => {
        fc.pre(!hasUnreadableOptions(values) && !injectsPrototype(values));
        const parsed = parseRollKeyModal(asState(values), timeZone);
        if (parsed.ok) expect(rollKeyInputSchema.safeParse(parsed.input).success).toBe(true);
        expectErrorsOnlyFor(forms.rollKey, parsed);
      }),
      { numRuns: 200 },
    );
  });

  it("parseAddIntegrationModal: never throws; a slug and input the domain schemas accept, or errors on the form's blocks", () => {
    fc.assert(
      fc.property(hostileValues, zones, (values, timeZone) => {
        fc.pre(!hasUnreadableOptions(values) && !injectsPrototype(values));
        const parsed = parseAddIntegrationModal(asState(values), timeZone);
        if (parsed.ok) {
          expect(integrationSlugSchema.safeParse(parsed.integration).success).toBe(true);
          expect(addConfigInputSchema.safeParse(parsed.input).success).toBe(true);
        }
        expectErrorsOnlyFor(forms.addIntegration, parsed);
      }),
      { numRuns: 200 },
    );
  });

  it("parseRotateIntegrationModal: never throws; input the domain schema accepts, or errors on the form's blocks", () => {
    fc.assert(
      fc.property(hostileValues, zones, (values, timeZone) => {
        fc.pre(!hasUnreadableOptions(values) && !injectsPrototype(values));
        const parsed = parseRotateIntegrationModal(asState(values), timeZone);
        if (parsed.ok) expect(updateConfigInputSchema.safeParse(parsed.input).success).toBe(true);
        expectErrorsOnlyFor(forms.rotateIntegration, parsed);
      }),
      { numRuns: 200 },
    );
  });

  it("parseIntegrationChannelModal: never throws; input the domain schema accepts, or an error on the channel block", () => {
    fc.assert(
      fc.property(hostileValues, (values) => {
        fc.pre(!hasUnreadableOptions(values) && !injectsPrototype(values));
        const parsed = parseIntegrationChannelModal(asState(values));
        if (parsed.ok) expect(updateConfigInputSchema.safeParse(parsed.input).success).toBe(true);
        expectErrorsOnlyFor(forms.integrationChannel, parsed);
      }),
      { numRuns: 200 },
    );
  });

  it("parsers answer well-formed submissions of their own forms too (the fuzzer's shapes reach the ok branch)", () => {
    // A sanity check that the generators are not so hostile that only the error branch is ever tested.
    let ok = 0;
    fc.assert(
      fc.property(
        fc.record({
          name: fc.oneof(text, fc.constantFrom("ci-deploy", "a")),
          role: fc.constantFrom("Viewer", roles[0]!.id),
          day: fc.constantFrom("2030-01-01", "2030-02-30", "x"),
          kind: fc.constantFrom("service", "personal", "x"),
        }),
        ({ name, role, day, kind }) => {
          const values = {
            name: { [inputActionId]: { type: "plain_text_input", value: name } },
            role: { [inputActionId]: { type: "static_select", selected_option: { value: role } } },
            expires_on: { [inputActionId]: { type: "datepicker", selected_date: day } },
            kind: { [inputActionId]: { type: "radio_buttons", selected_option: { value: kind } } },
          };
          const parsed = parseCreateKeyModal(asState(values), "UTC");
          if (parsed.ok) {
            ok++;
            expect(createKeyInputSchema.safeParse(parsed.input).success).toBe(true);
          }
          expectErrorsOnlyFor(forms.createKey, parsed);
        },
      ),
      // One well-formed submission always among the runs: by chance alone a run could draw none and fail.
      { numRuns: 100, examples: [[{ name: "ci-deploy", role: "Viewer", day: "2030-01-01", kind: "service" }]] },
    );
    expect(ok).toBeGreaterThan(0);

    let added = 0;
    fc.assert(
      fc.property(
        fc.record({
          integration: fc.constantFrom("github", "GitHub", "-x", ""),
          alias: fc.constantFrom("main", "Main", ""),
          secret: fc.oneof(text, fc.constant("ghp_0123456789")),
          day: fc.constantFrom("2030-01-01", "", "x"),
          channel: fc.constantFrom("C0KEYWARD1", "D0DM", ""),
        }),
        ({ integration, alias, secret, day, channel }) => {
          const values = {
            integration: { [inputActionId]: { type: "plain_text_input", value: integration } },
            alias: { [inputActionId]: { type: "plain_text_input", value: alias } },
            secret: { [inputActionId]: { type: "plain_text_input", value: secret } },
            expires_on: { [inputActionId]: { type: "datepicker", selected_date: day || null } },
            is_default: { [inputActionId]: { type: "checkboxes", selected_options: [{ value: "default" }] } },
            channel: { [inputActionId]: { type: "conversations_select", selected_conversation: channel || null } },
          };
          const parsed = parseAddIntegrationModal(asState(values), "UTC");
          if (parsed.ok) {
            added++;
            expect(addConfigInputSchema.safeParse(parsed.input).success).toBe(true);
          }
          expectErrorsOnlyFor(forms.addIntegration, parsed);
        },
      ),
      { numRuns: 100, examples: [[{ integration: "github", alias: "main", secret: "ghp_0123456789", day: "2030-01-01", channel: "C0KEYWARD1" }]] },
    );
    expect(added).toBeGreaterThan(0);
  });

  it("decodeFormKeyId never throws and yields a string of at most 64 characters or null", () => {
    const metadata = fc.oneof(
      text,
      fc.json(),
      fc.anything({ maxDepth: 2 }).map((v) => JSON.stringify({ keyId: v }) ?? "undefined"),
      fc.constantFrom("null", "[]", '"x"', "1", '{"__proto__":{"keyId":"x"}}', '{"keyId":null}', `{"keyId":"${"k".repeat(65)}"}`, "{"),
    );
    fc.assert(
      fc.property(metadata, (privateMetadata) => {
        const id = decodeFormKeyId(privateMetadata);
        if (id !== null) {
          expect(typeof id).toBe("string");
          expect(id.length).toBeLessThanOrEqual(64);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("decodeIntegrationMetadata never throws and yields only well-formed ids and places", () => {
    const metadata = fc.oneof(
      text,
      fc.json(),
      fc
        .record(
          { id: fc.anything({ maxDepth: 1 }), ch: fc.anything({ maxDepth: 1 }), ts: fc.anything({ maxDepth: 1 }), home: fc.anything({ maxDepth: 1 }) },
          { requiredKeys: [] },
        )
        .map((m) => JSON.stringify(m) ?? "{}"),
      fc.constantFrom("[]", '"x"', "1", "true", '{"__proto__":{"id":"x"}}', '{"id":"../x"}', '{"ch":"D123"}', '{"ts":"1.2"}', "{"),
    );
    fc.assert(
      fc.property(metadata, (privateMetadata) => {
        // Known crash, kept as a BUG test below.
        fc.pre(privateMetadata.trim() !== "null");
        const m = decodeIntegrationMetadata(privateMetadata);
        if (m.id !== undefined) expect(m.id).toMatch(/^[0-9A-Za-z-]{1,64}$/);
        if (m.channel !== undefined) expect(m.channel).toMatch(/^[CG][A-Z0-9]{2,}$/);
        if (m.threadTs !== undefined) expect(m.threadTs).toMatch(/^\d{1,12}\.\d{1,8}$/);
        expect(typeof m.home === "boolean" || m.home === undefined).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  // Regression (found by fuzzing): decodeIntegrationMetadata (then in src/slack/views/integration-inputs.ts, now src/slack/wire/form-metadata.ts) caught only JSON.parse;
  // private_metadata "null" parses to null and `raw.id` then throws "Cannot read properties of null"
  // outside the try, so the rotate/channel submission listener throws instead of answering.
  it("decodeIntegrationMetadata answers {} for the JSON text null", () => {
    expect(() => decodeIntegrationMetadata("null")).not.toThrow();
  });

  // Regression (found by fuzzing): readValues (src/slack/views/modal-state.ts, the `selected_options?.map` line) throws
  // "v.selected_options?.map is not a function" when selected_options is present but not an array
  // (a string, an object), and "Cannot read properties of null" when it holds null. Every parser
  // calls it before any check, so the view_submission listener throws and Bolt never acks
  // (see slack-interactions.fuzz.test.ts): the person sees Slack's connection error, not a field error.
  it("readValues does not throw on a non-array selected_options or a null option", () => {
    expect(() => readValues(asState({ permissions: { [inputActionId]: { type: "checkboxes", selected_options: "api_keys.view" } } }))).not.toThrow();
    expect(() => readValues(asState({ permissions: { [inputActionId]: { type: "checkboxes", selected_options: [null] } } }))).not.toThrow();
    expect(() => parseCreateRoleModal(asState({ permissions: { [inputActionId]: { type: "checkboxes", selected_options: {} } } }))).not.toThrow();
  });

  // Regression (found by fuzzing): parseCreateKeyModal (src/slack/views/create-key-modal.ts, the `String(raw[…] ?? "")` lines)
  // turns each answer into text with String(); an answer that is an object with a non-callable
  // own `toString` (JSON such as {"toString":null}) makes it throw "Cannot convert object to
  // primitive value" instead of answering with a field error.
  it("parseCreateKeyModal answers an object-valued field with an error instead of throwing", () => {
    const values = JSON.parse('{"name":{"value":{"type":"plain_text_input","value":{"toString":null}}}}') as StateValues;
    expect(() => parseCreateKeyModal(values, "UTC")).not.toThrow();
  });

  // Regression (found by fuzzing): readValues (src/slack/views/modal-state.ts) builds its result in a plain `{}` and assigns
  // `out[blockId] = …`; for the block id "__proto__" that assignment sets the result's prototype, so
  // an object-valued answer in a "__proto__" block answers for every other block. Here the edit
  // form has no name block at all, yet parses as a rename to "injected".
  it("a __proto__ block cannot answer for the name block", () => {
    const values = JSON.parse('{"__proto__":{"value":{"type":"static_select","selected_option":{"value":{"name":"injected"}}}}}') as StateValues;
    expect(readValues(values).name).toBeUndefined();
    expect(parseEditKeyModal(values)).toMatchObject({ ok: false });
  });
});

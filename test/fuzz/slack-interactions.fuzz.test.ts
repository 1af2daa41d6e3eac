// Property-based tests of the Slack surface through the real, signed receiver: generated `/keys`
// texts, block_actions with generated values and view_submissions with generated callback ids,
// private_metadata and state values. Slack always gets its 200 within 3 s, nothing unexpected is
// logged at error level, and a person without a role changes nothing, whatever they send.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actionIds, callbackIds, inputActionId, inputBlockIds } from "../../src/slack/ids.ts";
import { channelId, startTestApp, type TestApp } from "../support/app-harness.ts";
import { FORM_CONTENT_TYPE, type DriverResponse, type StateValues } from "../support/slack-driver.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Error-level (50) and fatal (60) log lines, which no generated request may cause. */
const errorLines = (lines: string[]) => lines.filter((line) => /"level":(50|60)\b/.test(line));

// ---------------------------------------------------------------------------------------------
// Generators

const subcommands = [
  "help",
  "create",
  "new",
  "list",
  "ls",
  "edit",
  "rename",
  "delete",
  "rm",
  "roll",
  "rotate",
  "roles",
  "audit",
  "integrations",
  "integration",
];
const integrationOps = ["list", "ls", "add", "new", "rotate", "default", "delete", "channel"];
const interesting = [
  "",
  " ",
  "github",
  "main",
  "cortex-github",
  "victim-0",
  "Viewer",
  "1",
  "0",
  "1000",
  "1001",
  "100",
  "`",
  "*bold*",
  "<!channel>",
  "<@U123>",
  "&amp;",
  "😀",
  "e\u0301",
  "\u202e",
  "\ud800",
  "\t",
  "\n",
  "__proto__",
  "key:",
  "2:",
  "1:github:",
  "kw_",
];

function textArb(allowNul: boolean): fc.Arbitrary<string> {
  const keep = (s: string) => allowNul || !s.includes("\u0000");
  return fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 40 }).filter(keep) },
    { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 30 }).filter(keep) },
    { weight: 4, arbitrary: fc.constantFrom(...interesting, ...(allowNul ? ["\u0000", "a\u0000b"] : [])) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom("a", "😀", " "), fc.integer({ min: 100, max: 2_000 })).map(([c, n]) => c.repeat(n)) },
  );
}

function commandText(text: fc.Arbitrary<string>, ids: () => string[]): fc.Arbitrary<string> {
  const word = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...subcommands) },
    { weight: 2, arbitrary: fc.constantFrom(...integrationOps) },
    { weight: 1, arbitrary: fc.constant(null).map(() => ids()[0] ?? "none") },
    { weight: 3, arbitrary: text },
  );
  return fc.array(word, { maxLength: 5 }).map((words) => words.join(" "));
}

/** Days as a datepicker sends them, valid or not; years past 9998 are left out (REST BUG: year 10000). */
const day = fc.oneof(
  fc
    .tuple(fc.integer({ min: 2000, max: 9998 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }))
    .map(([y, m, d]) => `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`),
  fc.constantFrom("2030-01-01", "2020-01-01", "2030-02-30", "x"),
);

/**
 * state.values shaped as Slack sends them (SLACK-NOTES §3): per block one element of a real type,
 * with a generated answer. Shapes Slack never sends (non-array selected_options, …) make the parsers
 * throw; they are kept as BUG tests in modal-parsers.fuzz.test.ts and below.
 */
function stateValuesArb(text: fc.Arbitrary<string>, users: fc.Arbitrary<string>): fc.Arbitrary<StateValues> {
  const option = text.map((value) => ({ text: { type: "plain_text", text: value.slice(0, 75) || "x", emoji: true }, value }));
  const element = fc.oneof(
    fc.option(text, { nil: null }).map((value) => ({ type: "plain_text_input", value })),
    fc
      .option(
        fc.oneof(
          option,
          fc
            .constantFrom("Viewer", "Admin", "service", "personal", "0", "24", "168", "default")
            .map((value) => ({ text: { type: "plain_text", text: value, emoji: true }, value })),
        ),
        { nil: null },
      )
      .map((selected_option) => ({ type: "static_select", selected_option })),
    fc.option(option, { nil: null }).map((selected_option) => ({ type: "radio_buttons", selected_option })),
    fc
      .array(
        fc.oneof(
          option,
          fc.constantFrom("api_keys.view", "roles.edit", "default").map((value) => ({ text: { type: "plain_text", text: value, emoji: true }, value })),
        ),
        { maxLength: 4 },
      )
      .map((selected_options) => ({ type: "checkboxes", selected_options })),
    fc.option(day, { nil: null }).map((selected_date) => ({ type: "datepicker", selected_date })),
    fc.option(users, { nil: null }).map((selected_user) => ({ type: "users_select", selected_user })),
    fc
      .option(fc.oneof(fc.constantFrom(channelId, "G0PRIVATE1", "D0DM00001"), text), { nil: null })
      .map((selected_conversation) => ({ type: "conversations_select", selected_conversation })),
  );
  const blockId = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...Object.values(inputBlockIds)) },
    { weight: 1, arbitrary: text.filter((t) => t !== "__proto__") },
  );
  const actionId = fc.oneof({ weight: 8, arbitrary: fc.constant(inputActionId) }, { weight: 1, arbitrary: text });
  return fc.array(fc.tuple(blockId, actionId, element), { maxLength: 8 }).map((entries) => {
    const values: StateValues = {};
    for (const [b, a, e] of entries) {
      values[b] ??= {};
      values[b][a] = e;
    }
    return values;
  });
}

function metadataArb(text: fc.Arbitrary<string>, ids: () => string[]): fc.Arbitrary<string> {
  const id = fc.oneof(
    fc.constant(null).map(() => ids()[0] ?? "none"),
    fc.uuid(),
    text,
  );
  return fc.oneof(
    { weight: 2, arbitrary: text },
    {
      weight: 4,
      arbitrary: fc
        .record(
          {
            keyId: id,
            id,
            ch: fc.oneof(fc.constantFrom(channelId, "D0DM00001", "G0PRIVATE1"), text),
            ru: fc.oneof(fc.constantFrom("https://hooks.slack.com/commands/T1/1/x", "http://127.0.0.1:1/x"), text),
            ts: fc.constantFrom("1700000000.000100", "x"),
            home: fc.constantFrom(1, 0, true),
          },
          { requiredKeys: [] },
        )
        .map((m) => JSON.stringify(m)),
    },
    // "null" itself makes the integration submissions throw before they ack (BUG test below).
    { weight: 1, arbitrary: fc.constantFrom("", "{}", "[]", "1", '"x"', "{") },
  );
}

/**
 * Buttons the app puts only in messages (they answer through the message's response_url). Slack
 * never sends them from a view, so they are pressed where they live; the others from both places.
 */
const messageOnly = new Set<string>([
  actionIds.cancelDelete,
  actionIds.askDeleteKey,
  actionIds.listNextPage,
  actionIds.listFirstPage,
  actionIds.integrationsNextPage,
  actionIds.integrationsFirstPage,
  actionIds.rotateFromReminder,
  actionIds.snoozeReminder,
  actionIds.secretStored,
]);
const placeFor = (actionId: string, home: boolean) => (home && !messageOnly.has(actionId) ? "home" : "message");

// ---------------------------------------------------------------------------------------------

describe("Slack interactions under fuzzing", () => {
  let app: TestApp;
  let nobody: string;
  let admin: string;
  const victimIds: string[] = [];
  const ids = () => victimIds;
  let sent = 0;

  /** Waits until the app has stopped calling Slack and logging for a moment (its after-ack work). */
  async function settle(): Promise<void> {
    const activity = () => app.fake.calls.length + app.logs.length + app.driver.responses.length;
    const deadline = Date.now() + 3000;
    let seen = activity();
    for (;;) {
      await sleep(25);
      const now = activity();
      if (now === seen || Date.now() > deadline) return;
      seen = now;
    }
  }

  /** Sends one request; Slack must get 200 within its 3 s and no error may be logged because of it. */
  async function expectAcked(what: string, request: () => Promise<DriverResponse>): Promise<DriverResponse> {
    const logsBefore = app.logs.length;
    sent++;
    const response = await request();
    expect(response.status, `${what} → ${response.status} ${response.body.slice(0, 200)}`).toBe(200);
    expect(response.elapsedMs, what).toBeLessThan(3000);
    await settle();
    expect(
      errorLines(app.logs.slice(logsBefore)).map((l) => l.slice(0, 400)),
      what,
    ).toEqual([]);
    return response;
  }

  const dump = () => app.dump();

  beforeAll(async () => {
    app = await startTestApp();
    nobody = app.addUser({ id: "UNOROLE01" });
    admin = app.addUser({ id: "UFUZZADM1", isAdmin: true });
    // First contact records the person (their Slack facts): a write that happens once, before the properties.
    await expectAcked("warm-up", () => app.driver.command({ userId: nobody, text: "help", channelId }));
    const adminActor = await app.keyward.services.access.actorForUser(app.fake.teamId, admin, { isWorkspaceAdmin: true }, "slack");
    for (let i = 0; i < 2; i++) {
      const created = await app.keyward.services.keys.create(adminActor, { name: `victim-${i}`, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
      victimIds.push(created.key.id);
    }
    const config = await app.keyward.services.integrations.add(adminActor, "github", { alias: "main", secret: "ghp_fuzzsecret1" });
    victimIds.push(config.id);
  });
  afterAll(async () => {
    await app?.close();
  });

  describe("a person without a role", () => {
    const text = textArb(true);
    let before: string;
    beforeAll(async () => {
      await settle();
      before = await dump();
    });

    it("gets a 200 for any /keys text, and nothing is written", async () => {
      await fc.assert(
        fc.asyncProperty(commandText(text, ids), async (t) => {
          await expectAcked(`/keys ${JSON.stringify(t).slice(0, 120)}`, () => app.driver.command({ userId: nobody, text: t, channelId }));
          expect(await dump()).toBe(before);
        }),
        { numRuns: 30 },
      );
    });

    it("gets a 200 for any of the app's buttons with any value, and nothing is written", async () => {
      const action = fc.record({
        actionId: fc.constantFrom(...Object.values(actionIds)),
        blockId: fc.oneof(fc.constantFrom("delete_actions", "key_0", "nav", "integrations_nav", "delete_integration_question"), text),
        value: fc.oneof(
          text,
          fc.constant(null).map(() => ids()[0] ?? ""),
          fc.constantFrom("2:", "1:github:", "key:", "0:x", "9999:zzz"),
        ),
        home: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(action, async ({ actionId, blockId, value, home }) => {
          const place = placeFor(actionId, home);
          await expectAcked(`${actionId} ${JSON.stringify(value).slice(0, 80)} (${place})`, () =>
            app.driver.blockAction(
              place === "home"
                ? { userId: nobody, actionId, blockId, value, view: { type: "home", blocks: [] } }
                : { userId: nobody, actionId, blockId, value, channelId, messageTs: "1700000000.000100" },
            ),
          );
          expect(await dump()).toBe(before);
        }),
        { numRuns: 30 },
      );
    });

    it("gets a 200 for any submission of the app's forms, and nothing is written", async () => {
      const users = fc.oneof(fc.constantFrom(nobody, admin, "UOTHER001", "W12345", "B123"), text);
      const submission = fc.record({
        callbackId: fc.constantFrom(...Object.values(callbackIds).filter((id) => id !== callbackIds.notice)),
        metadata: metadataArb(text, ids),
        values: stateValuesArb(text, users),
      });
      await fc.assert(
        fc.asyncProperty(submission, async ({ callbackId, metadata, values }) => {
          const response = await expectAcked(`${callbackId} ${metadata.slice(0, 80)}`, () =>
            app.driver.viewSubmission({ userId: nobody, view: { type: "modal", callback_id: callbackId, private_metadata: metadata, blocks: [] }, values }),
          );
          // An answer with a body is a response_action Slack understands.
          if (response.body) expect(response.json).toMatchObject({ response_action: expect.stringMatching(/^(errors|update|clear|push)$/) });
          expect(await dump()).toBe(before);
        }),
        { numRuns: 30 },
      );
    });

    it("wrote nothing at all, even after the app's after-ack work finished", async () => {
      await sleep(300);
      await settle();
      expect(await dump()).toBe(before);
    });
  });

  describe("an Admin", () => {
    // NUL characters reach database look-ups by name for an Admin (BUG test below): left out here.
    const text = textArb(false);

    it("gets a 200 within 3 s for any /keys text, button or form submission, with nothing logged as an error", async () => {
      const users = fc.oneof(fc.constantFrom("UOTHER001", "W12345", "B123", admin), text);
      const request = fc.oneof(
        commandText(text, ids).map((t) => ({ kind: "command" as const, t })),
        fc.record({
          kind: fc.constant("action" as const),
          actionId: fc.constantFrom(...Object.values(actionIds)),
          value: fc.oneof(
            text,
            fc.constant(null).map(() => ids()[0] ?? ""),
          ),
          home: fc.boolean(),
        }),
        fc.record({
          kind: fc.constant("view" as const),
          callbackId: fc.constantFrom(...Object.values(callbackIds).filter((id) => id !== callbackIds.notice)),
          metadata: metadataArb(text, ids),
          values: stateValuesArb(text, users),
        }),
      );
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          if (r.kind === "command") {
            await expectAcked(`admin /keys ${JSON.stringify(r.t).slice(0, 120)}`, () => app.driver.command({ userId: admin, text: r.t, channelId }));
          } else if (r.kind === "action") {
            await expectAcked(`admin ${r.actionId} ${JSON.stringify(r.value).slice(0, 80)}`, () =>
              app.driver.blockAction(
                placeFor(r.actionId, r.home) === "home"
                  ? { userId: admin, actionId: r.actionId, blockId: "b", value: r.value, view: { type: "home", blocks: [] } }
                  : { userId: admin, actionId: r.actionId, blockId: "b", value: r.value, channelId, messageTs: "1700000000.000100" },
              ),
            );
          } else {
            await expectAcked(`admin ${r.callbackId} ${r.metadata.slice(0, 80)}`, () =>
              app.driver.viewSubmission({
                userId: admin,
                view: { type: "modal", callback_id: r.callbackId, private_metadata: r.metadata, blocks: [] },
                values: r.values,
              }),
            );
          }
        }),
        { numRuns: 40 },
      );
      // The generated requests reach the app's real work: forms opened, answers posted.
      expect(app.fake.callsTo("views.open").length).toBeGreaterThan(0);
      expect(app.driver.responses.length).toBeGreaterThan(0);
    });
  });

  it("answers 401, and does nothing, when the signature is wrong", async () => {
    const calls = app.fake.calls.length;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `v0=${h}`),
          fc.string({ maxLength: 80 }),
          fc.constantFrom("v0=", "v1=abc", ""),
        ),
        async (signature) => {
          sent++;
          const body = new URLSearchParams({
            team_id: app.fake.teamId,
            user_id: admin,
            command: "/keys",
            text: "create",
            channel_id: channelId,
            trigger_id: app.fake.issueTrigger(),
            response_url: app.driver.responseUrl(),
          }).toString();
          const response = await app.driver.send(body, { contentType: FORM_CONTENT_TYPE, ...(signature ? { signature } : { signature: null }) });
          expect(response.status).toBe(401);
        },
      ),
      { numRuns: 20 },
    );
    await sleep(100);
    expect(app.fake.calls.length).toBe(calls);
    expect(sent).toBeLessThan(400);
  });
});

// ---------------------------------------------------------------------------------------------
// Bugs the fuzzer found. Each starts its own app (some wait out Bolt's 3 s timeout).

async function withFreshApp(run: (app: TestApp, userId: string) => Promise<void>): Promise<void> {
  const app = await startTestApp();
  try {
    await run(app, app.addUser({ id: "UFUZZBUG1", isAdmin: true }));
  } finally {
    await app.close();
  }
}

const errorsIn = (app: TestApp, from: number) => errorLines(app.logs.slice(from));

describe("Slack bugs found by fuzzing", () => {
  // Regression (found by fuzzing): block_actions whose action id has no listener (a button of an older release still in
  // someone's history, a renamed id) are never acknowledged: Bolt's HTTPReceiver answers 404 after
  // unhandledRequestTimeoutMillis (3001 ms, src/slack/slack-app.ts) and logs "An incoming event was
  // not acknowledged within 3 seconds" at error level; the same for a view_submission with an
  // unknown callback_id (including keyward.notice, which has no listener). SPEC rule 12 wants every
  // request acknowledged within 3 s. A catch-all (app.action(/.*/) / app.view(/.*/) that only acks,
  // registered last) would do.
  it("a button or form with an unknown id is acknowledged with 200 within 3 s", async () => {
    await withFreshApp(async (app, userId) => {
      const logs = app.logs.length;
      const action = await app.driver.blockAction({
        userId,
        actionId: "keyward.key.retired_button",
        blockId: "b",
        value: "x",
        channelId,
        messageTs: "1700000000.000100",
      });
      expect(action.status).toBe(200);
      expect(action.elapsedMs).toBeLessThan(3000);
      const view = await app.driver.viewSubmission({ userId, view: { type: "modal", callback_id: "keyward.retired_form", blocks: [] }, values: {} });
      expect(view.status).toBe(200);
      await sleep(200);
      expect(errorsIn(app, logs)).toEqual([]);
    });
  }, 30_000);

  // Regression (found by fuzzing): `/keys edit <ref>` (and delete, roll, and the integration buttons' ids for
  // IntegrationService.findById) with a U+0000 in the reference reaches PostgreSQL:
  // PrismaApiKeyRepository.findByName (src/db/prisma-api-key-repository.ts, findByName) fails with
  // 22021 "invalid byte sequence for encoding UTF8: 0x00"; tellFailure logs "Slack listener failed"
  // at error level and the person reads "Something went wrong on our side" instead of "no key named …".
  it("/keys edit with a NUL in the name answers not-found without an error log", async () => {
    await withFreshApp(async (app, userId) => {
      const logs = app.logs.length;
      const ack = await app.driver.command({ userId, text: "edit a\u0000b", channelId });
      expect(ack.status).toBe(200);
      await sleep(500);
      expect(errorsIn(app, logs)).toEqual([]);
    });
  }, 30_000);

  // Regression (found by fuzzing): a rotate (or channel) form submitted with private_metadata "null" makes
  // decodeIntegrationMetadata (then in src/slack/views/integration-inputs.ts, now src/slack/wire/form-metadata.ts) throw before the listener
  // acks (then submitRotation, now rotateIntegrationSubmission, src/slack/listeners/integration-listeners.ts): Bolt answers 404 after 3 s
  // and logs the error. Even a person without a role hits it (the parse comes before any check).
  it("a rotate submission with private_metadata null is answered within 3 s", async () => {
    await withFreshApp(async (app, userId) => {
      const logs = app.logs.length;
      const response = await app.driver.viewSubmission({
        userId,
        view: { type: "modal", callback_id: callbackIds.rotateIntegration, private_metadata: "null", blocks: [] },
        values: { [inputBlockIds.secret]: { [inputActionId]: { type: "plain_text_input", value: "ghp_newsecret" } } },
      });
      expect(response.status).toBe(200);
      await sleep(200);
      expect(errorsIn(app, logs)).toEqual([]);
    });
  }, 30_000);

  // Regression (found by fuzzing): a view_submission whose state.values hold a non-array selected_options makes readValues
  // (src/slack/views/modal-state.ts) throw inside the listener before it acks: 404 after 3 s and an
  // error log, instead of an inline field error. Slack itself sends arrays; the listener still
  // should not depend on that for its ack.
  it("a create-role submission with a non-array selected_options is answered within 3 s", async () => {
    await withFreshApp(async (app, userId) => {
      const response = await app.driver.viewSubmission({
        userId,
        view: { type: "modal", callback_id: callbackIds.createRole, blocks: [] },
        values: { [inputBlockIds.permissions]: { [inputActionId]: { type: "checkboxes", selected_options: "api_keys.view" } } },
      });
      expect(response.status).toBe(200);
      expect(response.elapsedMs).toBeLessThan(3000);
    });
  }, 30_000);
});

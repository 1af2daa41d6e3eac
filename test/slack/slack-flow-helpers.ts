import { expect } from "vitest";
import type { RecordedCall } from "../support/fake-slack.ts";
import type { TestApp } from "../support/app-harness.ts";
import { channelId } from "../support/app-harness.ts";

type Json = Record<string, unknown>;

/** The modal the app finally shows after a command or button: the last views.update (or open) for it. */
export async function modalAfter(app: TestApp, opened: number): Promise<Json> {
  await app.fake.waitForCalls("views.open", opened);
  const open = app.fake.callsTo("views.open")[opened - 1]!;
  if (!open.response.view) throw new Error(`views.open failed: ${JSON.stringify(open.response)}`);
  const viewId = (open.response.view as Json).id as string;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const view = app.fake.getView(viewId);
    if (view && (view as Json).callback_id !== "keyward.notice") return view as Json;
    const updates = app.fake.callsTo("views.update").filter((c) => c.args.view_id === viewId);
    if (updates.length > 0) return app.fake.getView(viewId) as Json;
    if (Date.now() > deadline) throw new Error("the modal was never filled in");
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function textOf(value: unknown): string {
  return JSON.stringify(value);
}

/** Runs /keys create and submits the form; returns the secret delivered and the submission's answer. */
export async function createKeyThroughSlack(
  app: TestApp,
  userId: string,
  answers: { name: string; role: string; description?: string; expiresOn?: string; kind?: string },
  where: { channelId?: string } = { channelId },
) {
  const opened = app.fake.callsTo("views.open").length + 1;
  const ack = await app.driver.command({ userId, text: "create", channelId: where.channelId });
  expect(ack.status).toBe(200);
  const view = await modalAfter(app, opened);
  expect(view.callback_id).toBe("keyward.key.create");
  const roleOption = (findBlock(view, "role").element as { options: Array<{ text: { text: string }; value: string }> }).options.find(
    (o) => o.text.text === answers.role,
  );
  const before = app.fake.callsTo("chat.postEphemeral").length;
  const submitted = await app.driver.viewSubmission({
    userId,
    view,
    answers: {
      name: { value: answers.name },
      role: { value: roleOption?.value ?? "no-such-role" },
      ...(answers.description !== undefined ? { description: { value: answers.description } } : {}),
      ...(answers.expiresOn ? { expires_on: { value: answers.expiresOn } } : {}),
      ...(answers.kind ? { kind: { value: answers.kind } } : {}),
    },
  });
  return { submitted, view, ephemeralBefore: before };
}

export function findBlock(view: Json, blockId: string): Json {
  const block = (view.blocks as Json[]).find((b) => b.block_id === blockId);
  if (!block) throw new Error(`no block ${blockId}`);
  return block;
}

export function secretIn(call: RecordedCall): string | undefined {
  return /kw_[0-9A-Za-z]{40}/.exec(JSON.stringify(call.args))?.[0];
}

/** Every place a secret must never be: recorded Slack calls except its one delivery, logs, database. */
export async function expectSecretOnlyDeliveredOnce(app: TestApp, secret: string): Promise<void> {
  const carrying = app.fake.calls.filter((c) => JSON.stringify(c.args).includes(secret));
  expect(carrying).toHaveLength(1);
  expect(carrying[0]!.method).toBe("chat.postEphemeral");
  const responses = app.driver.responses.filter((r) => JSON.stringify(r.body).includes(secret));
  expect(responses).toHaveLength(0);
  expect(app.logs.join("\n")).not.toContain(secret);
  expect(app.logs.join("\n")).not.toContain(secret.slice(3, 33));
  const dump = await app.dump();
  expect(dump).not.toContain(secret);
  expect(dump).not.toContain(secret.slice(3, 33));
}

/** Keys from Slack start working once their delivery succeeded (just after the ephemeral message): wait for that. */
export async function verifyWhenActive(app: TestApp, secret: string) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const result = await app.keyward.services.keys.verify(secret);
    if (result.valid || Date.now() > deadline) return result;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `key:` and the start of a UUID: how an API key acting over REST is stored as an actor, never to be shown. */
export const rawKeyId = /key:[0-9a-f]{8}-[0-9a-f]{4}/;

/**
 * Issue 10's Done-when, for any e2e test to end with: no call the app made to Slack (Web API
 * calls and response_url posts) carries an API key's actor id; people read a key's name instead.
 */
export function expectNoRawKeyIds(app: TestApp): void {
  expect(app.fake.calls.length + app.driver.responses.length).toBeGreaterThan(0);
  const sent = [
    ...app.fake.calls.map((c) => ({ where: c.method, json: JSON.stringify(c.args) })),
    ...app.driver.responses.map((r) => ({ where: "response_url", json: JSON.stringify(r.body) })),
  ];
  expect(sent.filter((s) => rawKeyId.test(s.json)).map((s) => `${s.where}: ${rawKeyId.exec(s.json)![0]}`)).toEqual([]);
}

/** Every message the app sent (posted, updated or through response_url) has a top-level text: what notifications show. */
export function expectEveryMessageHasText(app: TestApp): void {
  const messages = [
    ...app.fake.calls.filter((c) => /^chat\.(postMessage|postEphemeral|update)$/.test(c.method)).map((c) => ({ where: c.method, body: c.args })),
    ...app.driver.responses.map((r) => ({ where: "response_url", body: r.body as Record<string, unknown> })),
  ];
  expect(messages.length).toBeGreaterThan(0);
  expect(messages.filter((m) => typeof m.body.text !== "string" || m.body.text.trim() === "").map((m) => m.where)).toEqual([]);
}

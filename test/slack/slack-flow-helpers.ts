import { expect } from "vitest";
import type { RecordedCall } from "../support/fake-slack.ts";
import type { TestApp } from "../support/app-harness.ts";
import { channelId } from "../support/app-harness.ts";
import type { CollectedResponse, DriverResponse } from "../support/slack-driver.ts";

type Json = Record<string, unknown>;

/**
 * The modal a command or button opened (the views.open of its trigger), as it stands once the app
 * has finished that request: the "One moment…" view it opens at once has been replaced by then.
 */
export async function modalFor(app: TestApp, ack: DriverResponse): Promise<Json> {
  await app.idle();
  const open = app.fake.history.find((c) => c.method === "views.open" && c.args.trigger_id === ack.sent.trigger_id);
  if (!open)
    throw new Error(
      `the app opened no modal for that request; its latest calls: ${app.fake.history
        .slice(-20)
        .map((c) => c.method)
        .join(", ")}`,
    );
  if (!open.response.view) throw new Error(`views.open failed: ${JSON.stringify(open.response)}`);
  const view = app.fake.getView((open.response.view as Json).id as string);
  if (!view) throw new Error("the modal is gone from the fake (a reset() since?)");
  return view;
}

/** What the app posted first to that request's own response_url: a command's answer, a message button's. */
export async function answerTo(app: TestApp, request: Promise<DriverResponse>): Promise<CollectedResponse> {
  return app.driver.waitForResponse(await request);
}

/** Presses Delete on the question `/keys delete <name>` answered with; the app's answer to the press. */
export async function confirmDelete(app: TestApp, userId: string, keyId: string, question: Json): Promise<Json> {
  const pressed = app.driver.blockAction({
    userId,
    actionId: "keyward.key.ask_delete",
    blockId: "delete_actions",
    value: keyId,
    messageTs: "1790000000.000100",
    message: { blocks: question.blocks } as never,
    channelId,
  });
  return (await answerTo(app, pressed)).body as Json;
}

export function textOf(value: unknown): string {
  return JSON.stringify(value);
}

/** Runs /keys create and submits the form; returns the command's ack, the form, the submission's answer and a fake Slack mark from before it. */
export async function createKeyThroughSlack(
  app: TestApp,
  userId: string,
  answers: { name: string; role: string; description?: string; expiresOn?: string; kind?: string },
  where: { channelId?: string } = { channelId },
) {
  const ack = await app.driver.command({ userId, text: "create", channelId: where.channelId });
  expect(ack.status).toBe(200);
  const view = await modalFor(app, ack);
  expect(view.callback_id).toBe("keyward.key.create");
  const roleOption = (findBlock(view, "role").element as { options: Array<{ text: { text: string }; value: string }> }).options.find(
    (o) => o.text.text === answers.role,
  );
  const mark = app.fake.mark();
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
  return { ack, submitted, view, mark };
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

/** Keys from Slack start working once their delivery succeeded, in the request that delivered them: verified once that is done. */
export async function verifyWhenActive(app: TestApp, secret: string) {
  await app.idle();
  return app.keyward.services.keys.verify(secret);
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

// WIRE FORMAT, echoed back by Slack: the private_metadata of every form keyward opens. Slack hands
// it back as written with the submission, which comes whenever the person presses Submit, so
// renaming a field strands every form open at the time: add fields, keep decoding the old ones. A
// forged submission sets it too: each field is checked here and a malformed one is dropped, ids
// are looked up again in the submitter's workspace, a response_url is checked against Slack's
// hosts before use. Never a secret. JSON, one shape per form (every field optional unless said):
//
//   create key          {"ch":<channel typed in>,"ru":<response_url>,"home":1}
//   roll key            {"keyId":<key id>,"ch":…,"ru":…,"home":1}
//   rename key          {"keyId":<key id>} or, opened from a list, {"keyId":…,"ru":<list's response_url>,"home":1,"pg":<page>,"cur":<cursor>}
//   add, rotate, channel of an integration  {"id":<configuration id>,"ch":<reminder's channel>,"ts":<reminder's thread>,"home":1}
//   request a key       {"ch":<channel typed in>}
//   deny a request      {"rid":<request id>}
//   workspace policy    {"at":<the policy's updatedAt when the form opened, ISO 8601, or null: never set>}
import { z } from "zod";
import { slackChannelIdPattern } from "../../domain/schemas.ts";
import type { ListPosition } from "./paging-values.ts";

/** Slack's limit for private_metadata. */
const metadataMax = 3000;

/** A field that is dropped (undefined) rather than refusing the whole form when it is malformed. */
const lenient = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);
const homeFlag = lenient(z.literal(1));

/** The JSON the form carried, in `schema`'s shape; null when it is not JSON or not that shape. */
function readJson<T>(text: string, schema: z.ZodType<T>): T | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  const result = schema.safeParse(parsed);
  return result.success ? result.data : null;
}

/** Where a create or roll form was opened from: where its new secret is delivered. */
export const formOriginSchema = z.object({ channelId: z.string().optional(), responseUrl: z.string().optional(), home: z.boolean().optional() });
export type FormOrigin = z.infer<typeof formOriginSchema>;

const secretFormWire = z.object({
  // A DM (D…) too: the secret is delivered where the person typed.
  ch: lenient(z.string().regex(/^[CDG][A-Z0-9]+$/)),
  ru: lenient(z.string()),
  home: homeFlag,
});

/** The forms whose submission hands over a new secret: create (no key yet) and roll (the key rolled). */
export function encodeSecretFormMetadata(origin: FormOrigin, key?: { keyId: string }): string {
  return JSON.stringify({ ...key, ch: origin.channelId, ru: origin.responseUrl, home: origin.home ? 1 : undefined });
}

export function decodeSecretFormOrigin(text: string): FormOrigin & { home: boolean } {
  const m = readJson(text, secretFormWire);
  if (!m) return { home: false };
  return { channelId: m.ch, responseUrl: m.ru, home: m.home === 1 };
}

/** The key a roll or rename form is about; re-checked against the submitter's workspace on submit. */
export function decodeFormKeyId(text: string): string | null {
  return readJson(text, z.object({ keyId: z.string().max(64) }))?.keyId ?? null;
}

/**
 * Where a rename form came from, so that its submission can replace the list it was opened from:
 * the list message's response_url (or the Home tab) and the page.
 */
export interface ListOrigin {
  /** The list message's response_url; checked against the allowed hosts before use. */
  responseUrl?: string;
  /** The form was opened from the Home tab: republish it. */
  home?: boolean;
  list: ListPosition;
}

const editFormWire = z.object({
  pg: z.number().int().min(1).max(9999),
  ru: lenient(z.string().max(2000)),
  home: homeFlag,
  cur: lenient(z.string().regex(/^[A-Za-z0-9_-]{1,100}$/)),
});

export function encodeEditFormMetadata(keyId: string, origin?: ListOrigin): string {
  const base = { keyId };
  if (!origin) return JSON.stringify(base);
  const full = {
    ...base,
    ...(origin.responseUrl ? { ru: origin.responseUrl } : {}),
    ...(origin.home ? { home: 1 } : {}),
    pg: origin.list.page,
    ...(origin.list.cursor ? { cur: origin.list.cursor } : {}),
  };
  const text = JSON.stringify(full);
  // A response_url is short; one that is not is dropped rather than the form refused by Slack.
  return text.length <= metadataMax ? text : JSON.stringify(base);
}

/** The origin a rename form carried, if any; anything malformed counts as none. */
export function decodeEditFormOrigin(text: string): ListOrigin | null {
  const m = readJson(text, editFormWire);
  if (!m || (!m.ru && m.home !== 1)) return null;
  return { ...(m.ru ? { responseUrl: m.ru } : {}), ...(m.home === 1 ? { home: true } : {}), list: { page: m.pg, ...(m.cur ? { cursor: m.cur } : {}) } };
}

/** What an integration form carries between opening and submission: ids and places, never a secret. */
export interface IntegrationMetadata {
  /** The configuration, for rotate and channel (looked up again, in the submitter's workspace). */
  id?: string;
  /** The reminder message a "Rotate now" came from: its channel and thread. */
  channel?: string;
  threadTs?: string;
  /** Opened from the Home tab: republish it after the change. */
  home?: boolean;
}

const integrationFormWire = z.object({
  id: lenient(z.string().regex(/^[0-9A-Za-z-]{1,64}$/)),
  ch: lenient(z.string().regex(slackChannelIdPattern)),
  ts: lenient(z.string().regex(/^\d{1,12}\.\d{1,8}$/)),
  home: homeFlag,
});

export function encodeIntegrationMetadata(m: IntegrationMetadata): string {
  return JSON.stringify({ id: m.id, ch: m.channel, ts: m.threadTs, home: m.home ? 1 : undefined });
}

export function decodeIntegrationMetadata(text: string): IntegrationMetadata {
  // A forged submission can carry any JSON: only an object is read.
  const m = readJson(text, integrationFormWire);
  if (!m) return {};
  return { id: m.id, channel: m.ch, threadTs: m.ts, home: m.home === 1 };
}

/** The request form: where `/keys request` was typed (the secret goes there once approved). */
export function encodeRequestFormMetadata(origin: { channelId?: string }): string {
  return JSON.stringify({ ch: origin.channelId });
}

export function decodeRequestFormOrigin(text: string): { channelId?: string } {
  const m = readJson(text, z.object({ ch: lenient(z.string().regex(/^[CDG][A-Z0-9]+$/)) }));
  return m?.ch ? { channelId: m.ch } : {};
}

/** The deny form: the request it decides (looked up again, in the submitter's workspace). */
export function encodeDenyFormMetadata(requestId: string): string {
  return JSON.stringify({ rid: requestId });
}

export function decodeDenyFormRequestId(text: string): string | null {
  return readJson(text, z.object({ rid: z.string().regex(/^[0-9a-f-]{36}$/) }))?.rid ?? null;
}

/** The policy form: the version of the policy it shows, so that saving over a change made meanwhile is refused (a lost update otherwise). */
export function encodePolicyFormMetadata(updatedAt: Date | null): string {
  return JSON.stringify({ at: updatedAt ? updatedAt.toISOString() : null });
}

/**
 * The version the policy form was opened on: a Date, null (no policy was set then), or undefined
 * when the form carries none (opened before forms carried it, or forged): then nothing is compared.
 */
export function decodePolicyFormVersion(text: string): Date | null | undefined {
  const m = readJson(text, z.object({ at: z.iso.datetime().nullable() }));
  if (!m) return undefined;
  return m.at === null ? null : new Date(m.at);
}

// Who runs `npm run keys` (issue 11, review item 3): the OS user name goes to the audit only when it
// is a name the audit shows (a login name, ≤ 32 characters); anything else (`alice@corp.example.com`,
// `DOMAIN\alice`, non-ASCII) is left out and the operator is recorded as `cli`, instead of the whole
// request being refused. A request the channel refuses is refused in the same clean words whether
// the running keyward or the command itself checks it, never as a raw ZodError.
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { operatorName } from "../../src/cli/operator-name.ts";
import { openOwnerOrHere } from "../../src/cli/owner-or-here.ts";
import { loadConfig } from "../../src/config/config.ts";
import { createLogger } from "../../src/logger.ts";
import { ControlError, controlRequestSchema, sendControlRequest, startControlChannel, type ControlHandlers } from "../../src/server/control-channel.ts";
import type { KeyCommand } from "../../src/server/key-commands.ts";
import { useTempDirs } from "../support/temp-dirs.ts";

const tempDir = useTempDirs("kw-osuser-");

const unusable = ["alice@corp.example.com", "DOMAIN\\alice", "x".repeat(33), "zoë", "has space", ""];

describe("the operator's name", () => {
  it("is the OS user name when it is a login name, and absent otherwise (the audit then says cli)", () => {
    for (const name of ["alice", "svc-keyward", "a.b_c", "x".repeat(32)]) expect(operatorName(() => ({ username: name }))).toBe(name);
    for (const name of unusable) expect(operatorName(() => ({ username: name }))).toBeUndefined();
    // A uid with no passwd entry: os.userInfo() throws.
    expect(
      operatorName(() => {
        throw new Error("ENOENT: no such user");
      }),
    ).toBeUndefined();
    // What the command sends is then always a request the channel takes.
    for (const name of unusable) {
      const request = { command: "keys.list", osUser: operatorName(() => ({ username: name })) };
      expect(controlRequestSchema.safeParse(request).success).toBe(true);
    }
  });

  it("that the channel would refuse is refused in the same clean line by the command's own check and by the running keyward", async () => {
    const calls: string[] = [];
    const list = async () => {
      calls.push("keys.list");
      return { workspaceId: "T0LOCAL", keys: [], nextCursor: null };
    };
    const bad = { command: "keys.list" as const, osUser: "alice@corp.example.com" };
    const expected = { code: "malformed_request", message: "Unknown or malformed control request (osUser: Invalid input)." };

    // No server: the command opens DATA_DIR itself and checks the request as the channel would.
    const dataDir = await tempDir();
    const sink = new Writable({ write: (_c, _e, done) => done() });
    const session = await openOwnerOrHere<KeyCommand>(
      loadConfig({ DATA_DIR: dataDir }),
      createLogger("warn", sink),
      async () =>
        ({
          "keys.list": list,
        }) as unknown as Pick<ControlHandlers, KeyCommand>,
    );
    try {
      const here = await session.send(bad).catch((e: unknown) => e);
      expect(here).toBeInstanceOf(ControlError);
      expect(here).toMatchObject(expected);
      expect(await session.send({ command: "keys.list", osUser: undefined })).toEqual({ workspaceId: "T0LOCAL", keys: [], nextCursor: null });
    } finally {
      await session.close();
    }

    // Through a running keyward's control channel: the same code and words.
    const logs = { info: () => {}, warn: () => {}, error: () => {} };
    const channel = (await startControlChannel(await tempDir(), { "keys.list": list } as unknown as ControlHandlers, logs))!;
    try {
      const there = await sendControlRequest(channel.path, bad).catch((e: unknown) => e);
      expect(there).toBeInstanceOf(ControlError);
      expect(there).toMatchObject(expected);
    } finally {
      await channel.close();
    }
    expect(calls).toEqual(["keys.list"]);
  });
});

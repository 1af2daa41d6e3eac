// Property-based tests of `/keys …` parsing: whatever Slack sends as the command text, the parser
// answers with one of its documented kinds, and a usage problem is short and echoes at most a
// clipped word of what was typed.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { maxAuditCount, maxListPage, parseKeysCommand, type KeysCommand } from "../../src/slack/command-parser.ts";

const kinds = new Set<KeysCommand["kind"]>([
  "help",
  "create",
  "list",
  "edit",
  "delete",
  "roll",
  "roles",
  "policy",
  "audit",
  "integrations",
  "request",
  "approvals",
  "digest",
  "security",
  "usage",
]);
const subcommands = [
  "",
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
  "policy",
  "audit",
  "integrations",
  "integration",
  "request",
  "approvals",
  "approval",
  "digest",
  "security",
];
const integrationOps = ["list", "ls", "add", "new", "rotate", "default", "delete", "channel"];
const maxEcho = 30;

/** Problems that do not depend on what was typed, found through the parser itself. */
const staticProblems = [
  "request x",
  "approvals x",
  "digest x",
  "security x",
  "create x",
  "list x",
  "list 1 2",
  "edit",
  "delete",
  "roll",
  "audit x",
  "audit 1 2",
  "policy x",
  "integrations x y z w",
].map((text) => {
  const parsed = parseKeysCommand(text);
  if (parsed.kind !== "usage") throw new Error(`expected a usage problem for ${text}`);
  return parsed.problem;
});
const staticText = [...staticProblems, "There is no `", "` command."].join("\n");

/**
 * Whether the problem repeats more than `maxEcho` consecutive characters of the input: some window
 * of `maxEcho + 1` characters of the problem occurs in the input and is not text the parser always writes.
 */
function echoesTooMuch(problem: string, input: string): string | null {
  const width = maxEcho + 1;
  for (let start = 0; start + width <= problem.length; start++) {
    const piece = problem.slice(start, start + width);
    if (input.includes(piece) && !staticText.includes(piece)) return piece;
  }
  return null;
}

function checkParsed(input: string, parsed: KeysCommand): void {
  expect(kinds.has(parsed.kind)).toBe(true);
  switch (parsed.kind) {
    case "list":
      expect(Number.isInteger(parsed.page) && parsed.page >= 1 && parsed.page <= maxListPage).toBe(true);
      break;
    case "audit":
      expect(Number.isInteger(parsed.count) && parsed.count >= 1 && parsed.count <= maxAuditCount).toBe(true);
      break;
    case "edit":
    case "delete":
    case "roll":
      expect(parsed.ref.length).toBeGreaterThan(0);
      expect(parsed.ref).toBe(parsed.ref.trim());
      break;
    case "integrations": {
      const c = parsed.command;
      expect(["list", "add", "rotate", "default", "delete", "channel"]).toContain(c.op);
      if (c.op === "list") expect(c.integration === undefined || c.integration.length > 0).toBe(true);
      if (c.op !== "list" && c.op !== "add") {
        expect(c.integration.length * c.alias.length).toBeGreaterThan(0);
        expect(/\s/.test(c.integration + c.alias)).toBe(false);
      }
      break;
    }
    case "approvals": {
      const set = parsed.set;
      if (set && "channel" in set) expect(set.channel).toMatch(/^[CG][A-Z0-9]{2,39}$/);
      if (set && "channelName" in set) expect(set.channelName).toMatch(/^[a-z0-9][a-z0-9._-]{0,79}$/);
      break;
    }
    case "digest": {
      const set = parsed.set;
      if (set && "where" in set) {
        const where = set.where;
        if ("channel" in where) expect(where.channel).toMatch(/^[CG][A-Z0-9]{2,39}$/);
        if ("channelName" in where) expect(where.channelName).toMatch(/^[a-z0-9][a-z0-9._-]{0,79}$/);
        expect(Number.isInteger(set.weekday) && set.weekday >= 1 && set.weekday <= 7).toBe(true);
        expect(Number.isInteger(set.hour) && set.hour >= 0 && set.hour <= 23).toBe(true);
      }
      break;
    }
    case "security": {
      const set = parsed.set;
      if (set && "channel" in set) expect(set.channel).toMatch(/^[CG][A-Z0-9]{2,39}$/);
      if (set && "channelName" in set) expect(set.channelName).toMatch(/^[a-z0-9][a-z0-9._-]{0,79}$/);
      if (set && "mode" in set) expect(["revoke", "alert_only"]).toContain(set.mode);
      break;
    }
    case "usage":
      expect(parsed.problem.length).toBeGreaterThan(0);
      expect(parsed.problem.length).toBeLessThan(200);
      expect(echoesTooMuch(parsed.problem, input)).toBeNull();
      break;
    default:
      break;
  }
}

// Every whitespace JavaScript's \s knows, and a few look-alikes it does not.
const whitespace = fc.constantFrom(
  " ",
  "\t",
  "\n",
  "\r",
  "\v",
  "\f",
  "\u00a0",
  "\u1680",
  "\u2000",
  "\u2028",
  "\u2029",
  "\u202f",
  "\u3000",
  "\ufeff",
  "\u200b",
  "\u0085",
);
const hostileChar = fc.constantFrom(
  "`",
  "```",
  "*",
  "_",
  "~",
  "<!channel>",
  "<@U123>",
  "&",
  "\u0000",
  "\ud800",
  "\udc00",
  "😀",
  "e\u0301",
  "٣",
  "１",
  "İ",
  "ß",
  "-1",
  "0",
  "1e3",
  "0x10",
  "+1",
);
const token = fc.oneof(
  fc.constantFrom(...subcommands),
  fc.constantFrom(...integrationOps),
  fc.constantFrom(...subcommands).map((s) => s.toUpperCase()),
  fc.integer({ min: -5, max: 2_000_000 }).map(String),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  hostileChar,
  fc.constantFrom("monday", "Mon", "sunday", "FRI", "funday", "9", "09", "23", "24", "9:00", "9h", "9:30", "-1", "007"),
  fc.constantFrom("<#C0APPROVE|approvals>", "<#C0APPROVE>", "C0APPROVE", "<#D0NOPE>", "#approvals", "here", "off", "<#C0X|a>b>", "alert-only", "revoke"),
);
/** Command texts built like a person (or a fuzzer) would type them: words, odd spacing, odd characters. */
const commandText = fc
  .array(fc.tuple(token, fc.array(whitespace, { minLength: 0, maxLength: 3 })), { maxLength: 8 })
  .map((parts) => parts.map(([word, spaces]) => word + spaces.join("")).join(""));

/** Huge inputs, made by repetition so generation stays cheap. */
const hugeText = fc
  .tuple(
    fc.constantFrom(...subcommands, "x", "`", "😀"),
    fc.string({ unit: "binary", minLength: 1, maxLength: 20 }),
    fc.integer({ min: 10_000, max: 200_000 }),
    fc.boolean(),
  )
  .map(([sub, chunk, size, spaced]) => `${sub}${spaced ? " " : ""}${chunk.repeat(Math.ceil(size / chunk.length))}`);

describe("/keys security", () => {
  it("takes a channel as approvals does, or what to do with a leaked key, and nothing else", () => {
    expect(parseKeysCommand("security")).toEqual({ kind: "security" });
    expect(parseKeysCommand("security <#C0SECURE|security>")).toEqual({ kind: "security", set: { channel: "C0SECURE" } });
    expect(parseKeysCommand("SECURITY here")).toEqual({ kind: "security", set: { here: true } });
    expect(parseKeysCommand("security off")).toEqual({ kind: "security", set: { off: true } });
    expect(parseKeysCommand("security #sec")).toEqual({ kind: "security", set: { channelName: "sec" } });
    expect(parseKeysCommand("security alert-only")).toEqual({ kind: "security", set: { mode: "alert_only" } });
    expect(parseKeysCommand("security Alert_Only")).toEqual({ kind: "security", set: { mode: "alert_only" } });
    expect(parseKeysCommand("security revoke")).toEqual({ kind: "security", set: { mode: "revoke" } });
    for (const bad of ["security revoke now", "security <#D0DM>", "security alert only", "security c0secure", "security #"]) {
      expect(parseKeysCommand(bad).kind).toBe("usage");
    }
  });

  it("never yields anything but a channel, here, off or a leak mode for arbitrary text after security", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 80 }), commandText), (rest) => {
        const text = `security ${rest}`;
        checkParsed(text, parseKeysCommand(text));
      }),
      { numRuns: 300 },
    );
  });
});

describe("/keys approvals", () => {
  it("takes a channel link, a channel id, here or off, and nothing else", () => {
    expect(parseKeysCommand("approvals")).toEqual({ kind: "approvals" });
    expect(parseKeysCommand("approvals <#C0APPROVE|approvals>")).toEqual({ kind: "approvals", set: { channel: "C0APPROVE" } });
    expect(parseKeysCommand("approvals <#G0PRIVATE>")).toEqual({ kind: "approvals", set: { channel: "G0PRIVATE" } });
    expect(parseKeysCommand("APPROVALS C0APPROVE")).toEqual({ kind: "approvals", set: { channel: "C0APPROVE" } });
    expect(parseKeysCommand("approvals here")).toEqual({ kind: "approvals", set: { here: true } });
    expect(parseKeysCommand("approvals off")).toEqual({ kind: "approvals", set: { off: true } });
    expect(parseKeysCommand("approvals #Approvals")).toEqual({ kind: "approvals", set: { channelName: "approvals" } });
    for (const bad of ["approvals #", "approvals <#D0DM>", "approvals <@U123>", "approvals C0A C0B", "approvals c0approve"]) {
      expect(parseKeysCommand(bad).kind).toBe("usage");
    }
    expect(parseKeysCommand("request")).toEqual({ kind: "request" });
    expect(parseKeysCommand("request now").kind).toBe("usage");
  });

  it("never yields anything but a channel id, here or off for arbitrary text after approvals", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 80 }), commandText), (rest) => {
        const text = `approvals ${rest}`;
        checkParsed(text, parseKeysCommand(text));
      }),
      { numRuns: 300 },
    );
  });
});

describe("/keys digest", () => {
  it("takes a channel, then a weekday and an hour in either order (Monday 9 by default), or off", () => {
    expect(parseKeysCommand("digest")).toEqual({ kind: "digest" });
    expect(parseKeysCommand("digest <#C0OPS|ops>")).toEqual({ kind: "digest", set: { where: { channel: "C0OPS" }, weekday: 1, hour: 9 } });
    expect(parseKeysCommand("digest <#C0OPS|ops> friday 17")).toEqual({ kind: "digest", set: { where: { channel: "C0OPS" }, weekday: 5, hour: 17 } });
    expect(parseKeysCommand("DIGEST here 8:00 Sun")).toEqual({ kind: "digest", set: { where: { here: true }, weekday: 7, hour: 8 } });
    expect(parseKeysCommand("digest #ops tue 0")).toEqual({ kind: "digest", set: { where: { channelName: "ops" }, weekday: 2, hour: 0 } });
    expect(parseKeysCommand("digest off")).toEqual({ kind: "digest", set: { off: true } });
    for (const bad of [
      "digest monday",
      "digest #ops 24",
      "digest #ops 9:30",
      "digest #ops mon tue",
      "digest #ops 9 10",
      "digest off monday",
      "digest <#D0DM>",
      "digest #ops funday",
    ]) {
      expect(parseKeysCommand(bad).kind).toBe("usage");
    }
  });

  it("never yields a channel, weekday or hour out of range for arbitrary text after digest", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 80 }), commandText), (rest) => {
        const text = `digest ${rest}`;
        checkParsed(text, parseKeysCommand(text));
      }),
      { numRuns: 300 },
    );
  });
});

describe("parseKeysCommand under fuzzing", () => {
  it("never throws and returns a documented kind for arbitrary unicode text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), fc.string({ unit: "grapheme", maxLength: 200 }), commandText), (text) => {
        checkParsed(text, parseKeysCommand(text));
      }),
      { numRuns: 200 },
    );
  });

  it("keeps usage problems short and echoes at most 30 characters of a huge input, quickly", () => {
    fc.assert(
      fc.property(hugeText, (text) => {
        const started = performance.now();
        const parsed = parseKeysCommand(text);
        expect(performance.now() - started).toBeLessThan(250);
        checkParsed(text, parsed);
      }),
      { numRuns: 40 },
    );
  });

  it("echoes a long unknown word only clipped to 30 characters", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme-ascii", minLength: 31, maxLength: 300 }).filter((w) => !/\s/.test(w)),
        commandText,
        (word, rest) => {
          fc.pre(!subcommands.includes(word.toLowerCase()));
          const text = `${word} ${rest}`;
          const parsed = parseKeysCommand(text);
          expect(parsed.kind).toBe("usage");
          checkParsed(text, parsed);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("treats whitespace-only text as help, and the subcommand case-insensitively whatever the spacing", () => {
    fc.assert(
      fc.property(
        fc.array(
          whitespace.filter((w) => /^\s$/.test(w)),
          { maxLength: 20 },
        ),
        fc.constantFrom(...subcommands.filter(Boolean)),
        (spaces, sub) => {
          const pad = spaces.join("");
          expect(parseKeysCommand(pad)).toEqual({ kind: "help" });
          const mixed = [...sub].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join("");
          expect(parseKeysCommand(`${pad}${mixed}${pad}`)).toEqual(parseKeysCommand(sub));
        },
      ),
      { numRuns: 100 },
    );
  });

  it("accepts page and event counts only inside their bounds", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("list", "audit"),
        fc.oneof(fc.integer({ min: -10, max: 2_000_000 }).map(String), fc.string({ unit: "binary", maxLength: 8 })),
        (sub, arg) => {
          const parsed = parseKeysCommand(`${sub} ${arg}`);
          checkParsed(`${sub} ${arg}`, parsed);
          const n = /^\d{1,6}$/.test(arg.trim()) ? Number(arg.trim()) : NaN;
          const max = sub === "list" ? maxListPage : maxAuditCount;
          if (arg.trim() === "") expect(parsed.kind).toBe(sub);
          else if (n >= 1 && n <= max) expect(parsed).toEqual(sub === "list" ? { kind: "list", page: n } : { kind: "audit", count: n });
          else if (/^\S+$/.test(arg.trim())) expect(parsed.kind).toBe("usage");
        },
      ),
      { numRuns: 200 },
    );
  });

  it("passes a key reference through trimmed, with inner spacing collapsed, for edit, delete and roll", () => {
    fc.assert(
      fc.property(fc.constantFrom("edit", "rename", "delete", "rm", "roll", "rotate"), commandText, (sub, ref) => {
        const text = `${sub} ${ref}`;
        const parsed = parseKeysCommand(text);
        checkParsed(text, parsed);
        const expected = ref.trim().replace(/\s+/g, " ");
        if (expected === "") expect(parsed.kind).toBe("usage");
        else expect(parsed).toMatchObject({ ref: expected });
      }),
      { numRuns: 200 },
    );
  });

  it("parses `integrations <op> …` into the documented operations, anything else into the usage line", () => {
    const word = fc
      .oneof(fc.constantFrom("github", "cortex-github", "GitHub", "😀", "`"), fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }))
      .filter((w) => /^\S+$/.test(w));
    fc.assert(
      fc.property(
        fc.constantFrom("integrations", "Integration"),
        fc.oneof(
          fc.constantFrom(...integrationOps),
          fc.constantFrom(...integrationOps).map((o) => o.toUpperCase()),
          word,
        ),
        fc.array(word, { maxLength: 3 }),
        (sub, op, args) => {
          const text = `${sub} ${op} ${args.join("  ")}`;
          const parsed = parseKeysCommand(text);
          checkParsed(text, parsed);
          const lower = op.toLowerCase();
          if ((lower === "list" || lower === "ls") && args.length <= 1)
            expect(parsed).toEqual({ kind: "integrations", command: { op: "list", integration: args[0] } });
          else if ((lower === "add" || lower === "new") && args.length === 0) expect(parsed).toEqual({ kind: "integrations", command: { op: "add" } });
          else if (["rotate", "default", "delete", "channel"].includes(lower) && args.length === 2) {
            expect(parsed).toEqual({ kind: "integrations", command: { op: lower, integration: args[0], alias: args[1] } });
          } else expect(parsed.kind).toBe("usage");
        },
      ),
      { numRuns: 200 },
    );
  });

  // Regression (found by fuzzing): clipWord (src/slack/command-parser.ts, clipWord) replaces backticks only in words of 30
  // characters or fewer; a longer unknown word keeps its backticks, so the echoed word breaks out of
  // the problem's `code` span (the problem then has more than the two backticks the parser writes).
  it("a long unknown word with backticks stays inside one code span", () => {
    const parsed = parseKeysCommand(`${"`".repeat(31)} x`);
    expect(parsed.kind).toBe("usage");
    expect(parsed.kind === "usage" && parsed.problem.split("`").length - 1).toBe(2);
  });

  // Regression (found by fuzzing): clipWord (src/slack/command-parser.ts) cuts a long word at 30 UTF-16 code units, which can
  // split a surrogate pair: the problem then ends the echo with a lone high surrogate (shown by
  // Slack as U+FFFD), although the typed text was well-formed.
  it("clipping a long word never splits a surrogate pair", () => {
    const text = `${"a".repeat(29)}😀tail`;
    const parsed = parseKeysCommand(text);
    expect(parsed.kind).toBe("usage");
    // A lone surrogate is a code point of category Cs once the regex reads code points (u flag).
    expect(parsed.kind === "usage" && /\p{Cs}/u.test(parsed.problem)).toBe(false);
  });
});

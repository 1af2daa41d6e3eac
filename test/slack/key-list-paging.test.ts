// `/keys list <n>` (and the Home tab) ask loadKeyPage for page n: it must cost the same small number
// of SQL queries for page 1, a deep page and a page past the end (issue 9, item 15). Queries are
// counted on the Prisma client itself, so every SQL statement a repository sends is seen.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaStore } from "../../src/db/prisma-store.ts";
import type { PrismaClient } from "../../src/db/generated/client.ts";
import { createDomainServices, type DomainServices } from "../../src/domain/index.ts";
import type { Actor, ApiKey } from "../../src/domain/types.ts";
import { loadKeyPage } from "../../src/slack/listeners/listener-support.ts";
import type { SlackDeps } from "../../src/slack/slack-deps.ts";
import { keysPerPage } from "../../src/slack/views/key-list-blocks.ts";
import { createDomainFixture, type DomainFixture } from "../support/domain-fixture.ts";
import { databaseKinds } from "../support/test-database.ts";

describe.each(databaseKinds())("key list pages on %s", (kind) => {
  let f: DomainFixture;
  let services: DomainServices;
  let deps: SlackDeps;
  let admin: Actor;
  let ids: string[];
  let queries = 0;
  const pages = 60;

  beforeAll(async () => {
    f = await createDomainFixture(kind);
    const counted = f.db.prisma.$extends({
      query: {
        async $allOperations({ args, query }) {
          queries++;
          return query(args);
        },
      },
    }) as unknown as PrismaClient;
    services = createDomainServices({ ...f.ctx, store: createPrismaStore(counted) });
    // loadKeyPage reads nothing from its deps but the domain services.
    deps = { services } as unknown as SlackDeps;
    const ws = f.workspace();
    admin = await f.actor(ws, "admin");
    const viewer = await f.ctx.store.roles.findBuiltIn(ws, "viewer");
    // Ids in creation order, as newId makes them (UUIDv7-shaped), so the list's order is known.
    ids = Array.from({ length: pages * keysPerPage }, (_, i) => `01900000-0000-7000-8000-${String(i).padStart(12, "0")}`);
    await f.db.prisma.apiKey.createMany({
      data: ids.map((id, i) => ({
        id,
        workspaceId: ws,
        name: `bulk-${i}`,
        kind: "service" as const,
        roleId: viewer!.id,
        hash: `hash-${ws}-${i}`,
        last4: "abcd",
        createdBy: admin.userId,
        createdAt: f.clock.now(),
        expiresAt: new Date("2030-01-01T00:00:00Z"),
      })),
    });
  });
  afterAll(async () => {
    await f?.close();
  });

  async function queriesFor(page: number): Promise<{ count: number; result: { data: ApiKey[]; nextCursor: string | null } }> {
    const before = queries;
    const result = await loadKeyPage(deps, admin, page);
    return { count: queries - before, result };
  }

  it("costs one query for the first page, a deep page, the last page and a page past the end", async () => {
    const counts = [];
    for (const page of [1, 2, pages / 2, pages, pages + 1, 1000]) counts.push((await queriesFor(page)).count);
    expect(counts).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it("shows by page number exactly the keys that paging by cursor reaches", async () => {
    expect((await queriesFor(1)).result.data.map((k) => k.id)).toEqual(ids.slice(0, keysPerPage));
    const deep = (await queriesFor(37)).result;
    expect(deep.data.map((k) => k.id)).toEqual(ids.slice(36 * keysPerPage, 37 * keysPerPage));
    // Its Next button continues by key from there.
    const next = await loadKeyPage(deps, admin, 38, deep.nextCursor!);
    expect(next.data.map((k) => k.id)).toEqual(ids.slice(37 * keysPerPage, 38 * keysPerPage));
    const last = (await queriesFor(pages)).result;
    expect(last.data).toHaveLength(keysPerPage);
    expect(last.nextCursor).toBeNull();
    expect((await queriesFor(pages + 1)).result).toEqual({ data: [], nextCursor: null });
  });

  it("refuses a page number out of range as a validation error", async () => {
    await expect(services.keys.listAt(admin, { page: 0, limit: keysPerPage })).rejects.toMatchObject({ code: "validation_failed" });
    await expect(services.keys.listAt(admin, { page: 10_001, limit: keysPerPage })).rejects.toMatchObject({ code: "validation_failed" });
  });
});

import { describe, expect, it } from "vitest";
import { z } from "zod";
import { authenticatedRoute, domainChecked, openRoute, parsed, type ParamNames } from "../../src/api/route-types.ts";
import type { Actor } from "../../src/domain/types.ts";

const actor = { workspaceId: "T1", userId: "U1" } as Actor;
const raw = (body: unknown, query: Record<string, string> = {}) => ({ params: { integration: "github", alias: "a" }, query, body });

describe("typed route definitions", () => {
  it("parse a router-checked input before the handler, refusing it as validation_failed without calling the handler", async () => {
    let calls = 0;
    const route = openRoute({
      method: "POST",
      path: "/echo",
      summary: "echo",
      body: parsed(z.object({ n: z.number() }).strict()),
      responses: {},
      async handle(req) {
        calls++;
        return { status: 200, body: req.body.n + 1 };
      },
    });
    expect(await route.serve(raw({ n: 1 }))).toEqual({ status: 200, body: 2 });
    await expect(route.serve(raw({ n: "1" }))).rejects.toMatchObject({ code: "validation_failed", details: { fields: { n: expect.any(String) } } });
    expect(calls).toBe(1);
  });

  it("pass a domain-checked input as it came (the service validates it, after its own permission check)", async () => {
    const route = authenticatedRoute({
      method: "PATCH",
      path: "/integrations/{integration}/configurations/{alias}",
      summary: "patch",
      query: domainChecked(z.object({ limit: z.coerce.number() })),
      body: domainChecked(z.object({ n: z.number() })),
      responses: {},
      handle: async (req) => ({ status: 200, body: [req.actor.userId, req.params.integration, req.params.alias, req.query, req.body] }),
    });
    const answer = await route.serve(raw({ n: "not a number" }, { limit: "x" }), actor);
    expect(answer.body).toEqual(["U1", "github", "a", { limit: "x" }, { n: "not a number" }]);
    expect(route.authenticated).toBe(true);
    expect(route.body).toBeInstanceOf(z.ZodObject);
  });

  it("type params from the path, and keep the actor out of open routes", () => {
    const names: ParamNames<"/a/{id}/b/{alias}">[] = ["id", "alias"];
    // @ts-expect-error a name the path does not have
    const wrong: ParamNames<"/a/{id}"> = "alias";
    openRoute({
      method: "GET",
      path: "/open/{id}",
      summary: "open",
      responses: {},
      async handle(req) {
        // @ts-expect-error an open route has no actor
        void req.actor;
        // @ts-expect-error nor a param its path lacks
        void req.params.alias;
        return { status: 200, body: req.params.id };
      },
    });
    expect([names, wrong]).toHaveLength(2);
  });
});

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { apiRoutes } from "../../src/api/api-routes.ts";
import { openApiDocument } from "../../src/api/openapi.ts";

/**
 * The document as it was before the route definitions became typed (test/fixtures/openapi.json,
 * generated from that code): a change to the routes' shape must not change what clients read.
 * Compared as the served bytes (JSON.stringify keeps key order), so the fixture's formatting is free.
 */
describe("the OpenAPI document", () => {
  it("is byte-identical to the recorded snapshot", () => {
    const recorded = JSON.stringify(JSON.parse(readFileSync(new URL("../fixtures/openapi.json", import.meta.url), "utf8")));
    const generated = JSON.stringify(openApiDocument(apiRoutes({} as never)));
    expect(generated).toBe(recorded);
  });
});

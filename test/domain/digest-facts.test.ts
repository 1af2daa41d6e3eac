// The digest counts "out of policy" in SQL: it must say what policy-rules.ts's outOfPolicy says of
// the same keys (the lifetime bound at the end of a day in the expiry's zone, descriptions, roles).
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDomainServices, type DomainServices } from "../../src/domain/index.ts";
import { outOfPolicy } from "../../src/domain/policy-rules.ts";
import type { Actor } from "../../src/domain/types.ts";
import { ManualClock } from "../support/fixed-runtime.ts";
import { instanceContext } from "../support/instance-context.ts";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../support/test-database.ts";

for (const kind of databaseKinds()) {
  describe(`the digest's facts (${kind})`, () => {
    let db: TestDatabase;
    let domain: DomainServices;
    let admin: Actor;
    const clock = new ManualClock(new Date("2026-10-30T22:30:00Z")); // evening in New York, already the 31st in Paris

    beforeAll(async () => {
      db = await createTestDatabase(kind);
      domain = createDomainServices(instanceContext(db, { clock, pepper: randomBytes(32), seed: "digest-facts" }));
      admin = await domain.access.actorForUser("TFACTS", "UFACTSADM", { isWorkspaceAdmin: true }, "slack");
    });
    afterAll(async () => db?.close());

    it("counts out of policy what outOfPolicy finds, key by key, across zones and a daylight-saving change", async () => {
      const keys = [];
      // 30 days from the creation day, in each zone: the last allowed day and the day after (DST ends on 1 Nov in New York, 25 Oct in Paris).
      for (const timeZone of ["America/New_York", "Europe/Paris", "UTC"]) {
        for (const expiresOn of ["2026-11-28", "2026-11-29", "2026-11-30", "2026-12-01"]) {
          keys.push(await domain.keys.create(admin, { name: `svc-${timeZone}-${expiresOn}`, role: "Viewer", expiresOn, timeZone, description: "d" }));
        }
      }
      keys.push(await domain.keys.create(admin, { name: "instant", role: "Viewer", expiresAt: "2026-11-29T22:30:00.000Z", description: "d" }));
      keys.push(await domain.keys.create(admin, { name: "instant-over", role: "Viewer", expiresAt: "2026-11-29T22:30:00.001Z", description: "d" }));
      keys.push(await domain.keys.create(admin, { name: "no-description", role: "Viewer", expiresOn: "2026-11-05", timeZone: "UTC", description: "  " }));
      keys.push(
        await domain.keys.create(admin, {
          name: "personal-member",
          role: "Member",
          kind: "personal",
          expiresOn: "2026-11-05",
          timeZone: "UTC",
          description: "d",
        }),
      );
      keys.push(
        await domain.keys.create(admin, {
          name: "personal-viewer",
          role: "Viewer",
          kind: "personal",
          expiresOn: "2026-11-05",
          timeZone: "UTC",
          description: "d",
        }),
      );
      await domain.policies.update(admin, { maxLifetimeDays: { service: 30 }, requireDescription: true, personalMaxRole: "Viewer" });
      const policy = await domain.policies.get(admin);
      const roles = new Map((await domain.roles.list(admin)).map((r) => [r.id, r.permissions]));
      const expected = keys.filter(({ key }) => outOfPolicy(policy, { ...key, rolePermissions: roles.get(key.roleId) }).length > 0).map(({ key }) => key.name);
      const facts = await domain.digests.view({
        workspaceId: admin.workspaceId,
        week: "2026-W44",
        settings: { channel: "C0X", weekday: 1, hour: 9, timeZone: "UTC", appId: null },
      });
      expect(expected.length).toBeGreaterThan(3);
      expect(facts.counts.outOfPolicy).toBe(expected.length);
    });
  });
}

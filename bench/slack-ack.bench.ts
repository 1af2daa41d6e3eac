import { channelId, startTestApp } from "../test/support/app-harness.ts";
import { summarize } from "./stats.ts";

type Json = Record<string, unknown>;

/**
 * Acknowledgement latency of `/keys list` and of a create-form submission through the real Bolt
 * receiver over HTTP (signed requests from the test driver, fake Slack on loopback), at a given
 * concurrency. The baseline is `GET /healthz` on the same server in the same run.
 */
export async function benchSlackAck(options: { requests?: number; concurrency?: number; databaseUrl?: string } = {}) {
  const requests = options.requests ?? 300;
  const concurrency = options.concurrency ?? 1;
  const app = await startTestApp({ databaseUrl: options.databaseUrl, env: { LOG_LEVEL: "warn" } });
  try {
    const admin = app.addUser({ id: "UBENCH001", isAdmin: true });
    for (let i = 0; i < 30; i++) {
      const actor = await app.keyward.services.access.actorForUser(app.fake.teamId, admin, { isWorkspaceAdmin: true }, "slack");
      await app.keyward.services.keys.create(actor, { name: `listed-${i}`, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    }
    // Open one create form, to submit many times.
    await app.driver.command({ userId: admin, text: "create", channelId });
    await app.fake.waitForCalls("views.update", 1, 5000);
    const viewId = (app.fake.callsTo("views.open")[0]!.response.view as Json).id as string;
    const view = app.fake.getView(viewId) as Json;
    const viewer = (
      (view.blocks as Json[]).find((b) => b.block_id === "role")!.element as { options: Array<{ value: string; text: { text: string } }> }
    ).options.find((o) => o.text.text === "Viewer")!.value;

    const run = async (n: number, op: (i: number) => Promise<number>) => {
      const samples: number[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < n) samples.push(await op(next++));
        }),
      );
      return summarize(samples);
    };
    const health = async () => {
      const start = performance.now();
      const res = await fetch(`${app.keyward.url}/healthz`);
      await res.arrayBuffer();
      return performance.now() - start;
    };
    await run(50, health); // warm-up
    const list = await run(requests, async () => (await app.driver.command({ userId: admin, text: "list", channelId })).elapsedMs);
    const create = await run(requests, async (i) => {
      const r = await app.driver.viewSubmission({ userId: admin, view, answers: { name: { value: `bench-${concurrency}-${i}` }, role: { value: viewer } } });
      if (r.status !== 200) throw new Error(`submission answered ${r.status}`);
      return r.elapsedMs;
    });
    const baseline = await run(requests, health);
    await app.driver.waitForResponses(requests, 30_000).catch(() => undefined);
    return { database: options.databaseUrl ? "postgres" : "pglite", concurrency, listAck: list, createSubmitAck: create, healthzBaseline: baseline };
  } finally {
    await app.close();
  }
}

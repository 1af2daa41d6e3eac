import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { WebClient } from "@slack/web-api";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.ts";
import { deliverEphemeral } from "../../src/slack/secret-delivery.ts";

/** A server on loopback that records what it was sent and answers with `status` (and a Location). */
async function listen(answer: (url: string) => { status: number; location?: string }): Promise<{ url: string; bodies: string[]; server: Server }> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += String(d)));
    req.on("end", () => {
      bodies.push(body);
      const { status, location } = answer(req.url ?? "");
      res.writeHead(status, location ? { location } : {});
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, server };
}

describe("the one-time delivery through a response_url", () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  it("does not follow a redirect with the secret: the message goes to the DM instead", async () => {
    const elsewhere = await listen(() => ({ status: 200 }));
    const slack = await listen(() => ({ status: 307, location: `${elsewhere.url}/collect` }));
    servers.push(elsewhere.server, slack.server);
    const dms: unknown[] = [];
    const client = {
      chat: {
        postEphemeral: async (args: { channel: string }) => {
          if (args.channel.startsWith("C")) throw Object.assign(new Error("refused"), { data: { error: "channel_not_found" } });
          dms.push(args);
          return { ok: true };
        },
      },
      conversations: { open: async () => ({ ok: true, channel: { id: "D0DM00001" } }) },
    } as unknown as WebClient;
    const message = { text: "Your new key: kw_secret", blocks: [] };
    const delivered = await deliverEphemeral(client, { userId: "U1", channelId: "C1", responseUrl: `${slack.url}/commands/1` }, message, {
      logger: createLogger("silent"),
      isAllowedResponseUrl: () => true,
    });
    expect(slack.bodies).toHaveLength(1); // tried once, at Slack's URL
    expect(elsewhere.bodies).toEqual([]); // never followed to where the redirect pointed
    expect(delivered).toEqual({ route: "dm", channelId: "D0DM00001" });
    expect(dms).toHaveLength(1);
  });
});

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../logger.ts";
import type { AppMetrics } from "./app-metrics.ts";

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * GET /metrics on METRICS_PORT, a server of its own: the port a load balancer or Slack reaches
 * never serves metrics, and this one serves nothing else.
 */
export async function startMetricsServer(port: number, host: string | undefined, metrics: Pick<AppMetrics, "render">, logger: Logger): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Only GET /metrics is served here.\n");
      return;
    }
    metrics.render().then(
      ({ contentType, body }) => {
        res.writeHead(200, { "content-type": contentType, "content-length": Buffer.byteLength(body), "cache-control": "no-store" });
        res.end(req.method === "HEAD" ? undefined : body);
      },
      (error: unknown) => {
        logger.error({ err: error }, "could not render metrics");
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end("Metrics could not be rendered; see the log.\n");
      },
    );
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  logger.info({ port: bound, host: host ?? "all interfaces" }, "metrics are served on this port at GET /metrics");
  const reachAt = host === undefined || host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${reachAt}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

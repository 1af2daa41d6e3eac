import type { ServerResponse } from "node:http";

/**
 * The one JSON answer on the main port: the REST API, /healthz, /readyz and the catch-all 404. `extraHeaders`
 * come after content-type and content-length (the API and /readyz add cache-control: no-store).
 */
export function sendJson(res: ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}): void {
  sendJsonText(res, status, JSON.stringify(body), extraHeaders);
}

/** For a body serialised once ahead of time (the OpenAPI document). */
export function sendJsonText(res: ServerResponse, status: number, text: string, extraHeaders: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...extraHeaders });
  res.end(text);
}

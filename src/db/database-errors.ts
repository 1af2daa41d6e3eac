/** Connection-level failures (server down, restarted, unreachable), as pg, Prisma's adapter and Node report them. */
const unreachable =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|EPIPE|Connection terminated|terminating connection|connection.*(closed|lost|ended)|Can't reach database|server closed the connection|DatabaseNotReachable|ConnectionClosed|the database system is (starting up|shutting down)|57P0[123]/i;

export function isDatabaseUnreachable(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  // Walk the cause chain: adapters wrap the driver's error.
  while (current && typeof current === "object" && !seen.has(current)) {
    seen.add(current);
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (unreachable.test(`${String(code ?? "")} ${String(message ?? "")}`)) return true;
    current = cause;
  }
  return false;
}

/** The server's address, for messages: never the password. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || "5432"}${u.pathname}`;
  } catch {
    return "(unparsable DATABASE_URL)";
  }
}

const blocks = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"] as const;

/**
 * Counts as a line of block characters, scaled to their own maximum. The lowest block is kept for
 * days without any use, so a single use still shows (▂ at least) and a quiet day reads as a floor,
 * not a gap (a space would also be trimmed or collapsed in Slack's code spans).
 */
export function sparkline(counts: readonly number[]): string {
  const max = Math.max(0, ...counts);
  return counts.map((n) => (n <= 0 || max === 0 ? blocks[0] : blocks[Math.max(1, Math.ceil((n / max) * 7))])).join("");
}

/** "1 use in 7 days", "1,204 uses in 7 days". */
export function usesText(n: number, days: number): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? "use" : "uses"} in ${days} days`;
}

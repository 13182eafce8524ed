/** Order statistics of a sample, nearest-rank percentiles (p99 of fewer than 100 samples is the max). */
export type Summary = {
  readonly count: number;
  readonly min: number | null;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly max: number | null;
  readonly mean: number | null;
};

/** Nearest-rank percentile of an ascending array (p in 0..100]. */
function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? null;
}

/** Summarises a sample of milliseconds (or any numbers); empty samples give nulls. */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  return {
    count: n,
    min: sorted[0] ?? null,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[n - 1] ?? null,
    mean: n === 0 ? null : sorted.reduce((s, v) => s + v, 0) / n,
  };
}

/**
 * Counts per block gap: `{ "N+1": 200, "N+2": 0 }`. `N+1` and `N+2` are always present (zero counts
 * included) so a clean run still shows what it was measured against; larger gaps appear when seen.
 */
export function countGaps(gaps: readonly number[]): Record<string, number> {
  const counts = new Map<number, number>([
    [1, 0],
    [2, 0],
  ]);
  for (const g of gaps) counts.set(g, (counts.get(g) ?? 0) + 1);
  const label = (g: number) => (g >= 0 ? `N+${g}` : `N${g}`);
  return Object.fromEntries([...counts.entries()].sort(([a], [b]) => a - b).map(([g, c]) => [label(g), c]));
}

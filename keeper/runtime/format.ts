import { CANONICAL_DECIMALS } from "../engine/index.ts";
import type { Decision } from "../engine/types.ts";

const SCALE = 10 ** CANONICAL_DECIMALS;

/** A canonical-scale (18 decimals) amount as a float of whole tokens, for gauges and human output only. */
export function toWholeTokens(amount: bigint): number {
  return Number(amount) / SCALE;
}

/** One line a human reads in logs and the demo timeline. */
export function describeDecision(d: Decision): string {
  if (d.ratioBps === undefined) return `${d.type} (${d.reasons.map((r) => r.type).join(", ") || "no data"})`;
  const pct = (Number(d.ratioBps) / 100).toFixed(2);
  const fmt = (v: bigint) => toWholeTokens(v).toLocaleString("en-US", { maximumFractionDigits: 2 });
  const inFlight = d.inFlight === 0n ? "" : ` incl. ${fmt(d.inFlight)} in flight`;
  return `${d.type}: reserves ${fmt(d.reserves)} vs supply ${fmt(d.supply)}${inFlight} (ratio ${pct}%, delta ${fmt(d.delta)})${d.shouldPause ? ", PAUSE" : ""}`;
}

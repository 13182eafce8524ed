import { formatUnits } from "viem";
import { CANONICAL_DECIMALS } from "../engine/normalize.ts";
import type { Decision, DecisionReason } from "../engine/types.ts";
import type { JsonValue } from "./types.ts";

/** Text helpers for alert summaries and details (bigint-exact; no floats for money). */

/** 9_750n → "97.50%". */
export function formatBps(bps: bigint | number): string {
  const v = BigInt(bps);
  const sign = v < 0n ? "-" : "";
  const a = v < 0n ? -v : v;
  return `${sign}${a / 100n}.${(a % 100n).toString().padStart(2, "0")}%`;
}

/** A canonical (18-decimal) amount as whole tokens with thousands separators and at most 2 decimals (truncated). */
export function formatTokens(amount: bigint): string {
  const exact = formatUnits(amount, CANONICAL_DECIMALS);
  const negative = exact.startsWith("-");
  const [whole = "0", fraction = ""] = (negative ? exact.slice(1) : exact).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const cents = fraction.slice(0, 2).replace(/0+$/, "");
  return `${negative ? "-" : ""}${grouped}${cents ? `.${cents}` : ""}`;
}

/** 7_500n → "2h 5m"; 45n → "45s"; 90_061n → "1d 1h 1m". */
export function formatDuration(seconds: bigint | number): string {
  let s = BigInt(seconds);
  if (s < 60n) return `${s}s`;
  const d = s / 86_400n;
  s %= 86_400n;
  const h = s / 3_600n;
  s %= 3_600n;
  const m = s / 60n;
  const parts: string[] = [];
  if (d > 0n) parts.push(`${d}d`);
  if (h > 0n) parts.push(`${h}h`);
  if (m > 0n) parts.push(`${m}m`);
  return parts.join(" ");
}

/** Any value with bigints → JSON-safe (bigints as decimal strings, undefined dropped). */
export function toJson(value: unknown): JsonValue {
  if (typeof value === "bigint") return value.toString();
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === "object") {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v);
    return out;
  }
  return String(value);
}

/** A decision reason as a JSON object with snake_case keys. */
export function reasonJson(reason: DecisionReason): JsonValue {
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(reason)) out[snake(k)] = toJson(v);
  return out;
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * The facts of a decision every decision-driven alert carries (sinks put them in custom_details /
 * the webhook body): ratio, delta, amounts as exact decimal token strings, reasons, chains.
 */
export function decisionDetails(d: Decision): Record<string, JsonValue> {
  const reserve = d.inputs.reserve;
  const out: Record<string, JsonValue> = {
    decision: d.type,
    decided_at: Number(d.decidedAt),
    should_pause: d.shouldPause,
    ratio_bps: d.ratioBps === undefined ? null : Number(d.ratioBps),
    ratio: d.ratioBps === undefined ? null : formatBps(d.ratioBps),
    delta: d.delta === undefined ? null : formatUnits(d.delta, CANONICAL_DECIMALS),
    reserves: d.reserves === undefined ? null : formatUnits(d.reserves, CANONICAL_DECIMALS),
    supply: d.supply === undefined ? null : formatUnits(d.supply, CANONICAL_DECIMALS),
    required_reserves:
      d.requiredReserves === undefined ? null : formatUnits(d.requiredReserves, CANONICAL_DECIMALS),
    per_chain:
      d.perChain === undefined
        ? []
        : d.perChain.map((c) => ({ chain_id: c.chainId, supply: formatUnits(c.supply, CANONICAL_DECIMALS) })),
    reasons: d.reasons.map(reasonJson),
    feed_chain_id: reserve?.chainId ?? null,
    feed: reserve?.feed ?? null,
    round_id: reserve === undefined ? null : reserve.roundId.toString(),
    updated_at: reserve === undefined ? null : Number(reserve.updatedAt),
    supply_chain_ids: d.inputs.supplies.map((s) => s.chainId),
  };
  if (d.type === "stale") {
    out.age_seconds = Number(d.ageSeconds);
    out.max_age_seconds = Number(d.maxAgeSeconds);
  }
  return out;
}

/** Cuts a summary to PagerDuty's 1024-character limit. */
export function clip(text: string, max = 1024): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

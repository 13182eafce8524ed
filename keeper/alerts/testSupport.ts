/** Builders and recorders shared by the alerts tests (unit and integration). Not exported from index.ts. */
import { Writable } from "node:stream";
import type { PauseEvent } from "../actions/pauseExecutor.ts";
import type { Address, Decision, DecisionReason, Hex } from "../engine/types.ts";
import { createLogger, type Logger } from "../telemetry/logger.ts";
import type { AlertMetrics } from "./metrics.ts";
import type { AlertNotification, AlertSeverity, AlertSink, DeliveryOptions } from "./types.ts";

export const ASSET = "dusd";
export const FEED_CHAIN = 31337;
export const REMOTE_CHAIN = 31338;
const FEED = "0x00000000000000000000000000000000000000fe" as Address;
const TOKEN = "0x00000000000000000000000000000000000000c0" as Address;
export const BREAKER = "0x00000000000000000000000000000000000000b0" as Address;
const HASH = `0x${"ab".repeat(32)}` as Hex;
const E18 = 10n ** 18n;
/** Supply of every built decision: 1,000,000 tokens. */
export const SUPPLY = 1_000_000n * E18;

export type Thresholds = { warnRatioBps: bigint; pauseRatioBps: bigint };
export const THRESHOLDS: Thresholds = { warnRatioBps: 10_100n, pauseRatioBps: 10_000n };

function inputs(ratioBps: bigint, updatedAt: bigint) {
  return {
    reserve: {
      chainId: FEED_CHAIN,
      feed: FEED,
      aggregator: FEED,
      roundId: 1n,
      answer: (SUPPLY * ratioBps) / 10_000n,
      feedDecimals: 18,
      updatedAt,
      block: { number: 100n, hash: HASH },
    },
    supplies: [
      {
        chainId: FEED_CHAIN,
        token: TOKEN,
        totalSupply: SUPPLY,
        tokenDecimals: 18,
        block: { number: 100n, hash: HASH },
      },
    ],
  };
}

function figures(ratioBps: bigint) {
  const reserves = (SUPPLY * ratioBps) / 10_000n;
  return {
    reserves,
    supply: SUPPLY,
    delta: reserves - SUPPLY,
    ratioBps,
    requiredReserves: SUPPLY,
    perChain: [{ chainId: FEED_CHAIN, supply: SUPPLY }],
    inFlight: 0n,
  };
}

function ratioReasons(ratioBps: bigint, t: Thresholds): DecisionReason[] {
  if (ratioBps < t.pauseRatioBps)
    return [{ type: "ratio.below_pause", ratioBps, pauseRatioBps: t.pauseRatioBps }];
  if (ratioBps < t.warnRatioBps)
    return [{ type: "ratio.below_warn", ratioBps, warnRatioBps: t.warnRatioBps }];
  return [];
}

const T0 = 1_700_000_000n;

/** A healthy/warning/breach decision at `ratioBps` (the level from the plain thresholds, no hysteresis). */
export function ratioDecision(
  ratioBps: bigint,
  opts: { assetId?: string; now?: bigint; t?: Thresholds } = {},
): Decision {
  const t = opts.t ?? THRESHOLDS;
  const now = opts.now ?? T0;
  const common = {
    assetId: opts.assetId ?? ASSET,
    decidedAt: now,
    reasons: ratioReasons(ratioBps, t),
    inputs: inputs(ratioBps, now - 60n),
    previousType: undefined,
    changed: true,
    ...figures(ratioBps),
  };
  if (ratioBps < t.pauseRatioBps) return { ...common, type: "breach", shouldPause: true };
  if (ratioBps < t.warnRatioBps) return { ...common, type: "warning", shouldPause: false };
  return { ...common, type: "healthy", shouldPause: false };
}

export const healthy = (ratioBps = 10_500n, assetId?: string) => ratioDecision(ratioBps, { assetId });
export const warning = (ratioBps = 10_050n, assetId?: string) => ratioDecision(ratioBps, { assetId });
export const breach = (ratioBps = 9_900n, assetId?: string) => ratioDecision(ratioBps, { assetId });

/** A stale decision: the answer is `ageSeconds` old (max 3660), its old ratio `ratioBps`. */
export function stale(ageSeconds: bigint, ratioBps = 10_500n, assetId = ASSET): Decision {
  const now = T0;
  return {
    assetId,
    decidedAt: now,
    reasons: [
      { type: "reserve.stale", ageSeconds, maxAgeSeconds: 3_660n },
      ...ratioReasons(ratioBps, THRESHOLDS),
    ],
    inputs: inputs(ratioBps, now - ageSeconds),
    previousType: undefined,
    changed: true,
    ...figures(ratioBps),
    type: "stale",
    shouldPause: ratioBps < THRESHOLDS.pauseRatioBps,
    ageSeconds,
    maxAgeSeconds: 3_660n,
  };
}

/** An unknown decision: an unusable answer ("invalid") or missing data ("missing"). */
export function unknown(kind: "invalid" | "missing", assetId = ASSET): Decision {
  const reasons: DecisionReason[] =
    kind === "invalid"
      ? [{ type: "reserve.answer_not_positive", answer: -5n, roundId: 7n }]
      : [{ type: "supply.missing", chainId: REMOTE_CHAIN }];
  return {
    assetId,
    decidedAt: T0,
    reasons,
    inputs: { reserve: undefined, supplies: [] },
    previousType: undefined,
    changed: true,
    type: "unknown",
    shouldPause: false,
    reserves: undefined,
    supply: undefined,
    delta: undefined,
    ratioBps: undefined,
    requiredReserves: undefined,
    perChain: undefined,
    inFlight: undefined,
  };
}

const pauseBase = (chainId: number, assetId = ASSET) => ({
  assetId,
  decisionId: "decision-1",
  chainId,
  breaker: BREAKER,
});

export const pauseFailed = (chainId = FEED_CHAIN, assetId?: string): PauseEvent => ({
  ...pauseBase(chainId, assetId),
  type: "pause.failed",
  reason: "Account 0x1 may not pause breaker 0xb0 on chain 31337: it lacks KEEPER_ROLE.",
  code: "PAUSE_UNAUTHORIZED",
});
export const pauseMined = (chainId = FEED_CHAIN, assetId?: string): PauseEvent => ({
  ...pauseBase(chainId, assetId),
  type: "pause.mined",
  txHash: HASH,
  blockNumber: 123n,
  nonce: 4,
  attempts: 1,
});
export const alreadyPaused = (chainId = FEED_CHAIN, assetId?: string): PauseEvent => ({
  ...pauseBase(chainId, assetId),
  type: "pause.already_paused",
  via: "simulation",
});
export const pauseRequested = (chainId = FEED_CHAIN): PauseEvent => ({
  ...pauseBase(chainId),
  type: "pause.requested",
});

/** AlertMetrics that remember every call: `count(name, labels)`, `gauge(name, labels)`. */
export function recordingMetrics() {
  const counters = new Map<string, number>();
  const gauges = new Map<string, number>();
  const key = (name: string, labels: Record<string, string> = {}) =>
    `${name}${JSON.stringify(Object.fromEntries(Object.entries(labels).sort()))}`;
  const counter = (name: string) => ({
    inc: (labels?: Record<string, string>) =>
      counters.set(key(name, labels), (counters.get(key(name, labels)) ?? 0) + 1),
  });
  const gauge = (name: string) => ({
    set: (labels: Record<string, string>, value: number) => gauges.set(key(name, labels), value),
  });
  const metrics: AlertMetrics = {
    alertsSentTotal: counter("sent"),
    alertsFailedTotal: counter("failed"),
    alertDeliveryErrorsTotal: counter("errors"),
    alertQueueDepth: gauge("depth"),
    alertNotificationsTotal: counter("notifications"),
    alertOpen: gauge("open"),
    alertHandlerErrorsTotal: { inc: () => counter("handler_errors").inc() },
  };
  return {
    metrics,
    count: (name: string, labels?: Record<string, string>) => counters.get(key(name, labels)) ?? 0,
    gauge: (name: string, labels: Record<string, string>) => gauges.get(key(name, labels)),
    /** Sum of a counter over every label set. */
    total: (name: string) =>
      [...counters.entries()].filter(([k]) => k.startsWith(`${name}{`)).reduce((s, [, v]) => s + v, 0),
  };
}

/** The keeper's real logger (redaction included), writing JSON lines into memory. */
export function captureLogger(): {
  logger: Logger;
  text: () => string;
  records: () => Record<string, unknown>[];
} {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ level: "debug", destination });
  return {
    logger,
    text: () => lines.join(""),
    records: () =>
      lines
        .join("")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** What a scripted sink does on one attempt. */
export type SinkStep = "ok" | "hang" | Error | ((n: AlertNotification, signal: AbortSignal) => Promise<void>);

/** A sink that records attempts and follows a script (then "ok" once the script runs out). */
export function scriptedSink(
  opts: {
    name?: string;
    minSeverity?: AlertSeverity;
    supportsResolve?: boolean;
    delivery?: Partial<DeliveryOptions>;
    script?: SinkStep[];
  } = {},
) {
  const script = [...(opts.script ?? [])];
  const attempts: AlertNotification[] = [];
  const delivered: AlertNotification[] = [];
  const sink: AlertSink = {
    name: opts.name ?? "fake",
    minSeverity: opts.minSeverity ?? "info",
    supportsResolve: opts.supportsResolve ?? true,
    delivery: opts.delivery,
    secrets: [],
    send: async (n, { signal }) => {
      attempts.push(n);
      const step = script.shift() ?? "ok";
      if (step === "ok") {
        delivered.push(n);
        return;
      }
      if (step === "hang") return new Promise<void>(() => {});
      if (step instanceof Error) throw step;
      await step(n, signal);
      delivered.push(n);
    },
  };
  return { sink, attempts, delivered, script };
}

// Shared by the chain sources (reserveFeed, supply, breaker, backfill): the clients and arguments they
// take, log positions and ids, bounded eth_getLogs, chain reads that fail as SourceReadError, the
// counting emit and the log subscription.
import { type AbiEvent, type Address, BaseError, type Hex, type PublicClient, toHex } from "viem";
import { LogRangeTooLargeError, SourceReadError } from "../internal/errors.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { KeeperMetrics } from "../telemetry/metrics.ts";
import type { Emit, SourceEvent } from "./types.ts";

/**
 * The viem clients a source reads one chain through. `http` serves every eth_call / eth_getLogs (the
 * truth); `ws`, when present, carries the log subscriptions (else they poll over `http`).
 * `ChainClients` from ./clients.ts satisfies this type.
 */
export type SourceClients = {
  readonly http: PublicClient;
  readonly ws?: PublicClient | undefined;
};

/** Injectable timers, so unit tests drive reconcile and heartbeat scheduling with fake timers. */
export type Scheduler = {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
};

/** The process timers (looked up at call time, so vitest fake timers apply too). */
export const systemScheduler: Scheduler = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

/** Longest delay setTimeout accepts (~24.8 days); longer timers re-arm when they fire. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Default block span of one eth_getLogs request (halved on "range too large" replies). */
export const DEFAULT_MAX_LOG_RANGE = 2_000n;

/** The log fields sources use; viem's formatted `Log` satisfies it. */
export type SourceLog = {
  readonly address: Address;
  readonly topics: readonly Hex[];
  readonly data: Hex;
  readonly blockNumber: bigint | null;
  readonly blockHash: Hex | null;
  readonly logIndex: number | null;
  readonly transactionHash: Hex | null;
  readonly removed?: boolean | undefined;
};

/** A mined log's place in its chain. */
export type LogPosition = { readonly block: bigint; readonly logIndex: number };

/** A log of a mined block (pending logs carry null block fields). */
export type MinedLog = SourceLog & {
  readonly blockNumber: bigint;
  readonly blockHash: Hex;
  readonly logIndex: number;
};

export function isMined(log: SourceLog): log is MinedLog {
  return log.blockNumber !== null && log.blockHash !== null && log.logIndex !== null;
}

export function comparePositions(a: LogPosition, b: LogPosition): number {
  if (a.block !== b.block) return a.block < b.block ? -1 : 1;
  return a.logIndex - b.logIndex;
}

export function positionOf(log: MinedLog): LogPosition {
  return { block: log.blockNumber, logIndex: log.logIndex };
}

/** Sorts logs by (block, logIndex), in place; returns the array. */
export function sortLogs<T extends MinedLog>(logs: T[]): T[] {
  return logs.sort((a, b) => comparePositions(positionOf(a), positionOf(b)));
}

/** The id eventId() gives a log-derived event: chain + block hash + log index. */
export function logEventId(chainId: number, log: MinedLog): string {
  return `${chainId}:${log.blockHash}:${log.logIndex}`;
}

const RATE_LIMITED = /rate.?limit|too many requests|\b429\b|throttl/i;
const RANGE_TOO_LARGE =
  /block range|range (is )?too (large|wide|big)|too many (logs|results|blocks)|more than \d+ (results|logs)|exceed(s|ed)? .*(range|limit|results|size)|response size|limit exceeded|query timeout|result set too large/i;

/**
 * True when an eth_getLogs failure says the range or its result is too large, so halving the range may
 * help (JSON-RPC -32005 "limit exceeded", Alchemy/Infura/Geth/Erigon range and result-size messages).
 * Rate limits and transport failures are not range errors.
 */
export function isLogRangeError(error: unknown): boolean {
  const texts: string[] = [];
  let code: number | undefined;
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth += 1) {
    if (current instanceof BaseError) texts.push(current.shortMessage, current.details ?? "");
    if (current instanceof Error) texts.push(current.message);
    else if (typeof current === "string") texts.push(current);
    const c = (current as { code?: unknown }).code;
    if (typeof c === "number" && code === undefined) code = c;
    current = (current as { cause?: unknown }).cause;
  }
  const text = texts.join(" | ");
  if (RATE_LIMITED.test(text) || code === 429) return false;
  return code === -32005 || RANGE_TOO_LARGE.test(text);
}

/** An eth_getLogs filter: addresses and topics (null = any; an array = any of). */
export type LogFilter = {
  readonly address: Address | readonly Address[];
  readonly topics: readonly (Hex | readonly Hex[] | null)[];
};

type RpcLog = {
  address: Address;
  topics: Hex[];
  data: Hex;
  blockNumber: Hex | null;
  blockHash: Hex | null;
  logIndex: Hex | null;
  transactionHash: Hex | null;
  removed?: boolean;
};

function formatRpcLog(raw: RpcLog): SourceLog {
  return {
    address: raw.address,
    topics: raw.topics,
    data: raw.data,
    blockNumber: raw.blockNumber === null ? null : BigInt(raw.blockNumber),
    blockHash: raw.blockHash,
    logIndex: raw.logIndex === null ? null : Number(raw.logIndex),
    transactionHash: raw.transactionHash,
    removed: raw.removed ?? false,
  };
}

/**
 * eth_getLogs over [fromBlock, toBlock] in requests of at most `maxLogRange` blocks; a request the node
 * refuses as too large (isLogRangeError) is split in half and retried, down to single blocks.
 * Returns the mined logs in (block, logIndex) order.
 * Throws SourceReadError (retryable) on other failures, LogRangeTooLargeError for an unsplittable block.
 */
export async function getLogsSplitting(args: {
  client: PublicClient;
  chainId: number;
  filter: LogFilter;
  fromBlock: bigint;
  toBlock: bigint;
  maxLogRange?: bigint | undefined;
}): Promise<MinedLog[]> {
  const { client, chainId, filter, fromBlock, toBlock } = args;
  const maxLogRange = args.maxLogRange ?? DEFAULT_MAX_LOG_RANGE;
  if (maxLogRange < 1n) throw new RangeError(`maxLogRange must be at least 1, got ${maxLogRange}.`);
  const out: MinedLog[] = [];
  const fetchRange = async (a: bigint, b: bigint): Promise<void> => {
    let raw: RpcLog[];
    try {
      raw = (await client.request({
        method: "eth_getLogs",
        params: [
          {
            address: filter.address as Address | Address[],
            topics: filter.topics as (Hex | Hex[] | null)[],
            fromBlock: toHex(a),
            toBlock: toHex(b),
          },
        ],
      })) as unknown as RpcLog[];
    } catch (cause) {
      if (!isLogRangeError(cause)) {
        throw new SourceReadError({ chainId, operation: `eth_getLogs ${a}..${b}`, cause });
      }
      if (a === b) throw new LogRangeTooLargeError({ chainId, blockNumber: a, cause });
      const mid = a + (b - a) / 2n;
      await fetchRange(a, mid);
      await fetchRange(mid + 1n, b);
      return;
    }
    for (const r of raw) {
      const log = formatRpcLog(r);
      if (isMined(log) && !log.removed) out.push(log);
    }
  };
  for (let a = fromBlock; a <= toBlock; ) {
    const b = a + maxLogRange - 1n < toBlock ? a + maxLogRange - 1n : toBlock;
    await fetchRange(a, b);
    a = b + 1n;
  }
  return sortLogs(out);
}

/** The block a reconcile reads at, and its hash. */
export async function readBlockRef(
  client: PublicClient,
  chainId: number,
  blockNumber?: bigint,
): Promise<{ number: bigint; hash: Hex; timestamp: bigint }> {
  try {
    const block =
      blockNumber === undefined
        ? await client.getBlock({ blockTag: "latest" })
        : await client.getBlock({ blockNumber });
    if (block.number === null || block.hash === null) throw new Error("the node returned a pending block");
    return { number: block.number, hash: block.hash, timestamp: block.timestamp };
  } catch (cause) {
    throw new SourceReadError({
      chainId,
      operation: blockNumber === undefined ? "eth_getBlockByNumber latest" : "eth_getBlockByNumber",
      blockNumber,
      cause,
    });
  }
}

/** Runs a contract read, wrapping any failure in SourceReadError naming the call. */
export async function readOrThrow<T>(
  chainId: number,
  what: { operation: string; address: Address; blockNumber?: bigint },
  read: () => Promise<T>,
): Promise<T> {
  try {
    return await read();
  } catch (cause) {
    throw new SourceReadError({ chainId, ...what, cause });
  }
}

/** A logger that drops everything (default when a source is given none). */
export const silentLogger: Logger = {
  child: () => silentLogger,
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  fatal: () => {},
} as unknown as Logger;

/** The metrics the sources touch (a subset of KeeperMetrics, so tests can pass a fresh registry). */
export type SourceMetrics = Pick<
  KeeperMetrics,
  "observationsTotal" | "rpcErrorsTotal" | "feedAgeSeconds" | "breakerPaused"
>;

/**
 * Wraps the runtime's Emit: counts keeper_observations_total{chain,type,source} and never lets an
 * exception from the callback escape into a subscription or timer.
 */
export function createCountingEmit(args: {
  emit: Emit;
  chainId: number;
  metrics?: SourceMetrics | undefined;
  logger: Logger;
}): (event: SourceEvent, receivedAtMs: number) => void {
  const chain = String(args.chainId);
  return (event, receivedAtMs) => {
    // feed.heartbeat_missed carries no source: it comes from the reconcile/deadline path.
    const source = "source" in event ? event.source : "reconcile";
    args.metrics?.observationsTotal.inc({ chain, type: event.type, source });
    try {
      args.emit(event, { receivedAtMs });
    } catch (err) {
      args.logger.error({ err, type: event.type }, "emit callback threw");
    }
  };
}

/** Arguments every chain source (reserve feed, supply, breaker) takes besides what it watches. */
export type SourceArgs = {
  assetId: string;
  /** The chain the source reads. */
  chainId: number;
  clients: SourceClients;
  emit: Emit;
  logger?: Logger | undefined;
  metrics?: SourceMetrics | undefined;
  scheduler?: Scheduler | undefined;
  /**
   * Block the source takes over from (e.g. where backfill stopped): the first reconcile sweeps logs
   * after it. Default: the latest block at start.
   */
  startBlock?: bigint | undefined;
  /** eth_getLogs span of the reconcile sweep (default 2000 blocks). */
  maxLogRange?: bigint | undefined;
  /** Polling interval of the HTTP log watch when there is no ws client (default: the client's). */
  pollingIntervalMs?: number | undefined;
};

/**
 * What every source and backfill sets up from its arguments: the timers (default: the process's), a
 * child logger with `bindings`, the metrics and the counting emit.
 */
export function createSourceContext(
  args: Pick<SourceArgs, "chainId" | "emit" | "logger" | "metrics" | "scheduler">,
  bindings: Record<string, unknown>,
): {
  scheduler: Scheduler;
  logger: Logger;
  metrics: SourceMetrics | undefined;
  send: (event: SourceEvent, receivedAtMs: number) => void;
} {
  const logger = (args.logger ?? silentLogger).child(bindings);
  const metrics = args.metrics;
  return {
    scheduler: args.scheduler ?? systemScheduler,
    logger,
    metrics,
    send: createCountingEmit({ emit: args.emit, chainId: args.chainId, metrics, logger }),
  };
}

/** Backoff of WebSocket re-subscription after a failure, and how long it must stay healthy. */
export const WS_RETRY = { firstMs: 1_000, maxMs: 30_000, stableMs: 30_000 } as const;

/**
 * Watches logs through viem's watchEvent: an eth_subscribe("logs") on the ws client when there is one,
 * else eth_newFilter / eth_getFilterChanges polling over HTTP. `onLogs` gets viem-formatted logs (each
 * with `removed`), `onError` subscription/poll failures.
 *
 * Self-healing: when the WebSocket subscription fails (socket closed, node restarted, stalled
 * provider), it switches at once to HTTP polling, calls `onFallback` (sources sweep the gap with
 * eth_getLogs right away), and retries the subscription with backoff (WS_RETRY); polling stops only
 * after the new subscription has stayed healthy for WS_RETRY.stableMs. While both run, a log can be
 * delivered twice: every consumer filters by log id. Returns the unwatch function and the transport
 * in use at start; `transport()` says what is in use now.
 */
export function watchLogs(args: {
  clients: SourceClients;
  address: Address | readonly Address[];
  /** ABI events whose topic0 the filter matches (any of). */
  events: readonly AbiEvent[];
  /** Indexed-argument filter (only with a single event). */
  eventArgs?: Record<string, unknown> | undefined;
  pollingIntervalMs?: number | undefined;
  onLogs: (logs: readonly SourceLog[], receivedAtMs: number) => void;
  onError: (error: Error, transport: "ws" | "http_poll") => void;
  /** Called when the watch falls back to polling after a WebSocket failure (sweep the gap now). */
  onFallback?: (() => void) | undefined;
  scheduler?: Scheduler | undefined;
}): { unwatch: () => void; transport: "ws" | "http_poll"; current: () => "ws" | "http_poll" } {
  const scheduler = args.scheduler ?? systemScheduler;
  const single = args.events.length === 1 && args.eventArgs !== undefined;
  let stopped = false;
  let wsUnwatch: (() => void) | undefined;
  let pollUnwatch: (() => void) | undefined;
  let retryTimer: unknown;
  let stableTimer: unknown;
  let retryMs: number = WS_RETRY.firstMs;

  const start = (client: PublicClient, poll: boolean, onError: (e: Error) => void) => {
    const params: Record<string, unknown> = {
      address: args.address,
      ...(single ? { event: args.events[0], args: args.eventArgs } : { events: args.events }),
      poll,
      ...(poll && args.pollingIntervalMs !== undefined ? { pollingInterval: args.pollingIntervalMs } : {}),
      onLogs: (logs: readonly SourceLog[]) => args.onLogs(logs, performance.now()),
      onError,
    };
    return (client.watchEvent as unknown as (p: Record<string, unknown>) => () => void)(params);
  };
  const startPolling = () => {
    if (pollUnwatch || stopped) return;
    pollUnwatch = start(args.clients.http, true, (e) => args.onError(e, "http_poll"));
  };
  const startWs = (ws: PublicClient) => {
    if (stopped) return;
    let failed = false;
    wsUnwatch = start(ws, false, (e) => {
      if (failed || stopped) return;
      failed = true;
      args.onError(e, "ws");
      wsUnwatch?.();
      wsUnwatch = undefined;
      if (stableTimer !== undefined) scheduler.clearTimeout(stableTimer);
      stableTimer = undefined;
      const wasPolling = pollUnwatch !== undefined;
      startPolling();
      if (!wasPolling) args.onFallback?.();
      retryTimer = scheduler.setTimeout(() => startWs(ws), retryMs);
      retryMs = Math.min(retryMs * 2, WS_RETRY.maxMs);
    });
    if (pollUnwatch) {
      // Healthy for a while: the subscription is back, polling can stop.
      stableTimer = scheduler.setTimeout(() => {
        if (failed || stopped) return;
        pollUnwatch?.();
        pollUnwatch = undefined;
        retryMs = WS_RETRY.firstMs;
      }, WS_RETRY.stableMs);
    }
  };

  const ws = args.clients.ws;
  if (ws) startWs(ws);
  else startPolling();
  return {
    transport: ws ? "ws" : "http_poll",
    current: () => (wsUnwatch && !pollUnwatch ? "ws" : "http_poll"),
    unwatch: () => {
      stopped = true;
      if (retryTimer !== undefined) scheduler.clearTimeout(retryTimer);
      if (stableTimer !== undefined) scheduler.clearTimeout(stableTimer);
      wsUnwatch?.();
      pollUnwatch?.();
      wsUnwatch = undefined;
      pollUnwatch = undefined;
    },
  };
}

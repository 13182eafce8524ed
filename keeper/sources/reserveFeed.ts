import {
  type AbiEvent,
  type Address,
  BaseError,
  decodeEventLog,
  encodeEventTopics,
  getAbiItem,
  getAddress,
  type Hex,
  type PublicClient,
  toHex,
} from "viem";
import { devAggregatorProxyAbi, devPorAggregatorAbi } from "../abi/index.ts";
import type { FeedHeartbeatMissed, ObservationSource, ReserveObserved } from "../engine/types.ts";
import { NonRetryableError, RetryableError } from "../internal/errors.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { KeeperMetrics } from "../telemetry/metrics.ts";
import type { Emit, Source, SourceEvent } from "./types.ts";

// =============================================================================================
// Shared by the chain sources (reserveFeed, supply, breaker, backfill).
// =============================================================================================

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

/** A chain read a source needs failed (transport error, timeout, node error). Retry later. */
export class SourceReadError extends RetryableError {
  declare readonly code: "SOURCE_READ_FAILED";
  constructor({
    chainId,
    operation,
    address,
    blockNumber,
    cause,
  }: {
    chainId: number;
    operation: string;
    address?: string;
    blockNumber?: bigint;
    cause?: unknown;
  }) {
    super({
      shortMessage: `Source read ${operation} on chain ${chainId} failed.`,
      code: "SOURCE_READ_FAILED",
      details: { chainId, operation, address, blockNumber },
      cause,
    });
  }
}

/** The node refuses eth_getLogs even for a single block (too many logs in one block for its limits). */
export class LogRangeTooLargeError extends NonRetryableError {
  declare readonly code: "LOG_RANGE_TOO_LARGE";
  constructor({ chainId, blockNumber, cause }: { chainId: number; blockNumber: bigint; cause?: unknown }) {
    super({
      shortMessage: `Logs of block ${blockNumber} on chain ${chainId} exceed the node's eth_getLogs limits.`,
      code: "LOG_RANGE_TOO_LARGE",
      details: { chainId, blockNumber },
      cause,
    });
  }
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

/** Chooses the subscription client: ws when configured, else http polling. */
export function watchClient(clients: SourceClients): { client: PublicClient; poll: boolean } {
  return clients.ws ? { client: clients.ws, poll: false } : { client: clients.http, poll: true };
}

/**
 * Watches logs through viem's watchEvent: an eth_subscribe("logs") on the ws client when there is one,
 * else eth_newFilter / eth_getFilterChanges polling over HTTP. `onLogs` gets viem-formatted logs (each
 * with `removed`), `onError` subscription/poll failures. Returns the unwatch function.
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
}): { unwatch: () => void; transport: "ws" | "http_poll" } {
  const { client, poll } = watchClient(args.clients);
  const transport = poll ? "http_poll" : "ws";
  const single = args.events.length === 1 && args.eventArgs !== undefined;
  const params: Record<string, unknown> = {
    address: args.address,
    ...(single ? { event: args.events[0], args: args.eventArgs } : { events: args.events }),
    poll,
    ...(poll && args.pollingIntervalMs !== undefined ? { pollingInterval: args.pollingIntervalMs } : {}),
    onLogs: (logs: readonly SourceLog[]) => args.onLogs(logs, performance.now()),
    onError: (error: Error) => args.onError(error, transport),
  };
  const unwatch = (client.watchEvent as unknown as (p: Record<string, unknown>) => () => void)(params);
  return { unwatch, transport };
}

// =============================================================================================
// Reserve feed
// =============================================================================================

const ANSWER_UPDATED = getAbiItem({ abi: devPorAggregatorAbi, name: "AnswerUpdated" });
const AGGREGATOR_CONFIRMED = getAbiItem({ abi: devAggregatorProxyAbi, name: "AggregatorConfirmed" });
const FEED_EVENTS = [ANSWER_UPDATED, AGGREGATOR_CONFIRMED] as const;
const ANSWER_UPDATED_TOPIC = encodeEventTopics({ abi: [ANSWER_UPDATED], eventName: "AnswerUpdated" })[0];
const AGGREGATOR_CONFIRMED_TOPIC = encodeEventTopics({
  abi: [AGGREGATOR_CONFIRMED],
  eventName: "AggregatorConfirmed",
})[0];
/** topic0 filter matching the feed's two events. */
export const FEED_TOPICS: readonly (readonly Hex[])[] = [[ANSWER_UPDATED_TOPIC, AGGREGATOR_CONFIRMED_TOPIC]];

const PHASE_OFFSET = 64n;
const AGGREGATOR_ROUND_MASK = (1n << PHASE_OFFSET) - 1n;

/** `(phaseId << 64) | aggregatorRoundId`, exactly as the proxy encodes round ids. */
export function encodeRoundId(phaseId: number, aggregatorRoundId: bigint): bigint {
  return (BigInt(phaseId) << PHASE_OFFSET) | (aggregatorRoundId & AGGREGATOR_ROUND_MASK);
}

/** One proxy phase: the aggregator that was `proxy.aggregator()` from `since` (undefined = from before we looked). */
export type FeedPhase = {
  readonly phaseId: number;
  readonly aggregator: Address;
  readonly since: LogPosition | undefined;
};

export type FeedLogResult =
  | { readonly type: "reserve"; readonly observation: ReserveObserved }
  | { readonly type: "phase"; readonly phase: FeedPhase; readonly isNew: boolean }
  | { readonly type: "decimals_unknown"; readonly aggregator: Address }
  | { readonly type: "ignored"; readonly reason: string };

export type FeedLogProcessor = ReturnType<typeof createFeedLogProcessor>;

/**
 * Turns the feed's logs (the aggregators' AnswerUpdated and the proxy's AggregatorConfirmed) into
 * ReserveObserved, with no RPC: the log carries answer, aggregator round id, updatedAt, block and log
 * index; the phase comes from the phase history. An AnswerUpdated counts only if its aggregator was
 * the proxy's aggregator at that log's position, so live delivery, reconcile sweeps and backfill agree
 * on which logs are observations (an old aggregator's answers after a swap, or a new one's constructor
 * round before it, are not). Shared by the live source and backfill.
 */
export function createFeedLogProcessor(args: {
  assetId: string;
  chainId: number;
  proxy: Address;
  initialPhase: { phaseId: number; aggregator: Address };
}) {
  const proxy = getAddress(args.proxy);
  const phases: FeedPhase[] = [
    {
      phaseId: args.initialPhase.phaseId,
      aggregator: getAddress(args.initialPhase.aggregator),
      since: undefined,
    },
  ];
  const decimals = new Map<string, number>();

  const phaseAt = (pos: LogPosition): FeedPhase => {
    let found = phases[0]!;
    for (const p of phases) {
      if (p.since === undefined || comparePositions(p.since, pos) < 0) found = p;
      else break;
    }
    return found;
  };

  return {
    proxy,
    phases: (): readonly FeedPhase[] => phases,
    currentPhase: (): FeedPhase => phases.at(-1)!,
    phaseAt,
    setDecimals(aggregator: Address, value: number): void {
      decimals.set(aggregator.toLowerCase(), value);
    },
    decimalsOf(aggregator: Address): number | undefined {
      return decimals.get(aggregator.toLowerCase());
    },
    /**
     * Records a phase found by reading the proxy (a proxy that emits no AggregatorConfirmed, like
     * Chainlink's v0.6 EACAggregatorProxy): `since` is the start of the first block it was current in.
     */
    adoptPhase(phase: FeedPhase): void {
      if (phases.some((p) => p.phaseId === phase.phaseId)) return;
      const at = phases.findIndex(
        (p) =>
          p.since !== undefined && phase.since !== undefined && comparePositions(p.since, phase.since) > 0,
      );
      const adopted = { ...phase, aggregator: getAddress(phase.aggregator) };
      if (at === -1) phases.push(adopted);
      else phases.splice(at, 0, adopted);
    },
    apply(log: MinedLog, source: ObservationSource): FeedLogResult {
      const topic0 = log.topics[0];
      const pos = positionOf(log);
      if (topic0 === AGGREGATOR_CONFIRMED_TOPIC) {
        if (getAddress(log.address) !== proxy) return { type: "ignored", reason: "confirm_not_from_proxy" };
        const existing = phases.find((p) => p.since !== undefined && comparePositions(p.since, pos) === 0);
        if (existing) return { type: "phase", phase: existing, isNew: false };
        let latest: Address;
        try {
          const decoded = decodeEventLog({
            abi: [AGGREGATOR_CONFIRMED],
            data: log.data,
            topics: log.topics as [Hex, ...Hex[]],
          });
          latest = getAddress(decoded.args.latest);
        } catch {
          return { type: "ignored", reason: "undecodable" };
        }
        const before = phaseAt(pos);
        const phase: FeedPhase = { phaseId: before.phaseId + 1, aggregator: latest, since: pos };
        const at = phases.findIndex((p) => p.since !== undefined && comparePositions(p.since, pos) > 0);
        if (at === -1) phases.push(phase);
        else phases.splice(at, 0, phase);
        return { type: "phase", phase, isNew: true };
      }
      if (topic0 !== ANSWER_UPDATED_TOPIC) return { type: "ignored", reason: "other_event" };
      const aggregator = getAddress(log.address);
      const phase = phaseAt(pos);
      if (phase.aggregator !== aggregator) return { type: "ignored", reason: "not_current_aggregator" };
      const feedDecimals = decimals.get(aggregator.toLowerCase());
      if (feedDecimals === undefined) return { type: "decimals_unknown", aggregator };
      let decoded: { current: bigint; roundId: bigint; updatedAt: bigint };
      try {
        decoded = decodeEventLog({
          abi: [ANSWER_UPDATED],
          data: log.data,
          topics: log.topics as [Hex, ...Hex[]],
        }).args as typeof decoded;
      } catch {
        return { type: "ignored", reason: "undecodable" };
      }
      return {
        type: "reserve",
        observation: {
          type: "reserve.observed",
          assetId: args.assetId,
          chainId: args.chainId,
          feed: proxy,
          aggregator,
          roundId: encodeRoundId(phase.phaseId, decoded.roundId),
          answer: decoded.current,
          feedDecimals,
          updatedAt: decoded.updatedAt,
          block: { number: log.blockNumber, hash: log.blockHash },
          logIndex: log.logIndex,
          source,
        },
      };
    },
  };
}

/** True for the proxy's AggregatorConfirmed log. */
export function isAggregatorConfirmed(log: SourceLog, proxy: Address): boolean {
  return log.topics[0] === AGGREGATOR_CONFIRMED_TOPIC && getAddress(log.address) === getAddress(proxy);
}

/**
 * First block in [lo, hi] at which proxy.phaseId() >= phaseId (binary search over historical eth_calls).
 * The caller guarantees the phase is reached by `hi`.
 */
export async function findPhaseStartBlock(
  client: PublicClient,
  chainId: number,
  proxy: Address,
  phaseId: number,
  lo: bigint,
  hi: bigint,
): Promise<bigint> {
  while (lo < hi) {
    const mid = lo + (hi - lo) / 2n;
    if ((await readProxyPhaseId(client, chainId, proxy, mid)) >= phaseId) hi = mid;
    else lo = mid + 1n;
  }
  return lo;
}

/** proxy.phaseId() at one block. */
export async function readProxyPhaseId(
  client: PublicClient,
  chainId: number,
  proxy: Address,
  blockNumber: bigint,
): Promise<number> {
  const p = await readOrThrow(chainId, { operation: "phaseId", address: proxy, blockNumber }, () =>
    client.readContract({ address: proxy, abi: devAggregatorProxyAbi, functionName: "phaseId", blockNumber }),
  );
  return Number(p);
}

/**
 * Before a range of feed logs is processed: phases the proxy reached by `toBlock` (`targetPhaseId`) that
 * no AggregatorConfirmed log in `logs` (or already in the processor) announces are located by binary
 * search over proxy.phaseId() and adopted, so their aggregator's answers count from that block on.
 * Live reconcile and backfill both call it, so they agree on proxies that emit no confirm events.
 */
export async function adoptUnannouncedPhases(args: {
  client: PublicClient;
  chainId: number;
  processor: FeedLogProcessor;
  logs: readonly MinedLog[];
  targetPhaseId: number;
  aggregatorOf: (phaseId: number) => Address;
  fromBlock: bigint;
  toBlock: bigint;
  logger: Logger;
}): Promise<void> {
  const { processor } = args;
  const known = processor.phases();
  const announced = args.logs.filter(
    (l) =>
      isAggregatorConfirmed(l, processor.proxy) &&
      !known.some((p) => p.since !== undefined && comparePositions(p.since, positionOf(l)) === 0),
  ).length;
  const reached = processor.currentPhase().phaseId + announced;
  for (let q = reached + 1; q <= args.targetPhaseId; q += 1) {
    const block = await findPhaseStartBlock(
      args.client,
      args.chainId,
      processor.proxy,
      q,
      args.fromBlock,
      args.toBlock,
    );
    const aggregator = args.aggregatorOf(q);
    args.logger.warn(
      { phase_id: q, aggregator, block },
      "feed phase changed without an AggregatorConfirmed log; adopted from proxy reads",
    );
    processor.adoptPhase({ phaseId: q, aggregator, since: { block, logIndex: -1 } });
  }
}

/** Reads `decimals()` of an aggregator (raw uint8; the engine judges absurd values). */
export async function readFeedDecimals(
  client: PublicClient,
  chainId: number,
  aggregator: Address,
  blockNumber: bigint,
): Promise<number> {
  return readOrThrow(chainId, { operation: "decimals", address: aggregator, blockNumber }, () =>
    client.readContract({
      address: aggregator,
      abi: devPorAggregatorAbi,
      functionName: "decimals",
      blockNumber,
    }),
  );
}

/** proxy.aggregator(), proxy.phaseId() and proxy.latestRoundData() at one block. */
export async function readProxyState(
  client: PublicClient,
  chainId: number,
  proxy: Address,
  blockNumber: bigint,
): Promise<{
  aggregator: Address;
  phaseId: number;
  roundId: bigint;
  answer: bigint;
  startedAt: bigint;
  updatedAt: bigint;
  answeredInRound: bigint;
}> {
  const read = <T>(operation: string, fn: () => Promise<T>) =>
    readOrThrow(chainId, { operation, address: proxy, blockNumber }, fn);
  const [aggregator, phaseId, round] = await Promise.all([
    read("aggregator", () =>
      client.readContract({
        address: proxy,
        abi: devAggregatorProxyAbi,
        functionName: "aggregator",
        blockNumber,
      }),
    ),
    read("phaseId", () =>
      client.readContract({
        address: proxy,
        abi: devAggregatorProxyAbi,
        functionName: "phaseId",
        blockNumber,
      }),
    ),
    read("latestRoundData", () =>
      client.readContract({
        address: proxy,
        abi: devAggregatorProxyAbi,
        functionName: "latestRoundData",
        blockNumber,
      }),
    ),
  ]);
  const [roundId, answer, startedAt, updatedAt, answeredInRound] = round;
  return {
    aggregator: getAddress(aggregator),
    phaseId: Number(phaseId),
    roundId,
    answer,
    startedAt,
    updatedAt,
    answeredInRound,
  };
}

/** proxy.phaseAggregators(phase) at one block. */
export async function readPhaseAggregator(
  client: PublicClient,
  chainId: number,
  proxy: Address,
  phaseId: number,
  blockNumber: bigint,
): Promise<Address> {
  const a = await readOrThrow(
    chainId,
    { operation: `phaseAggregators(${phaseId})`, address: proxy, blockNumber },
    () =>
      client.readContract({
        address: proxy,
        abi: devAggregatorProxyAbi,
        functionName: "phaseAggregators",
        args: [phaseId],
        blockNumber,
      }),
  );
  return getAddress(a);
}

/** Live logs held while an aggregator upgrade is being resolved (beyond this, the sweep recovers them). */
const MAX_PENDING_LOGS = 10_000;
/** Retry delay of a failed reconcile while an aggregator upgrade is being resolved. */
const RESYNC_RETRY_MS = 1_000;

export type CreateReserveFeedSourceArgs = {
  assetId: string;
  /** Chain the PoR feed lives on. */
  chainId: number;
  /** The feed proxy consumers read (stable across aggregator upgrades). */
  proxy: Address;
  clients: SourceClients;
  /** The feed's heartbeat: a new round at least this often. */
  heartbeatSeconds: bigint;
  /** Extra tolerance past the heartbeat before the feed counts as stale. */
  graceSeconds: bigint;
  /** Period of the latestRoundData reconciliation (also re-resolves aggregator and phase). */
  reconcileIntervalMs: number;
  /** Wall clock, unix seconds. */
  now: () => bigint;
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

export type ReserveFeedSource = Source & {
  /** Reconciles now (latestRoundData, aggregator/phase, log sweep, heartbeat check); resolves when done. */
  reconcile(): Promise<void>;
  /** The aggregator currently watched (undefined before start). */
  aggregator(): Address | undefined;
  /** The proxy's current phase id as known to the source. */
  phaseId(): number | undefined;
  /** Highest block the reconcile sweep has covered (every answer log up to it was emitted). */
  coveredTo(): bigint | undefined;
};

/**
 * Watches a Chainlink(-style) Proof-of-Reserve feed.
 *
 * - Start: resolves proxy → aggregator, phaseId and the aggregator's decimals at one block, subscribes
 *   to the AGGREGATOR's AnswerUpdated (and the proxy's AggregatorConfirmed) logs — ws when available,
 *   else HTTP polling — then reconciles once.
 * - Hot path: each AnswerUpdated log becomes a `reserve.observed` (source "event") straight from the log
 *   (answer = current, roundId = (phaseId << 64) | aggregator round, updatedAt, block, logIndex); no RPC.
 * - Upgrades: an AggregatorConfirmed log, or a reconcile that sees another aggregator/phase, re-resolves
 *   (decimals of the new aggregator), resubscribes, and sweeps the missed range, so the round ids
 *   jump phase without losing an answer.
 * - Reconcile (every reconcileIntervalMs and at each heartbeat deadline): reads proxy.latestRoundData()
 *   at a known block → `reserve.observed` (source "reconcile", no logIndex); sweeps eth_getLogs since the
 *   last reconcile and emits answers live delivery missed; then, if now > updatedAt + heartbeat + grace,
 *   emits `feed.heartbeat_missed`. The heartbeat deadline is a timer: a stale feed emits nothing, so
 *   staleness is found by time alone, even while the RPC is down.
 * - Answers <= 0, incomplete rounds and absurd decimals are emitted raw (the engine judges); read
 *   failures are logged and retried at the next reconcile; nothing throws after start().
 */
export function createReserveFeedSource(args: CreateReserveFeedSourceArgs): ReserveFeedSource {
  const { assetId, chainId, clients, now, heartbeatSeconds, graceSeconds } = args;
  const proxy = getAddress(args.proxy);
  const scheduler = args.scheduler ?? systemScheduler;
  const logger = (args.logger ?? silentLogger).child({
    component: "reserve_feed_source",
    asset: assetId,
    chain_id: chainId,
    feed: proxy,
  });
  const metrics = args.metrics;
  const send = createCountingEmit({ emit: args.emit, chainId, metrics, logger });
  const http = clients.http;

  let running = false;
  let processor: FeedLogProcessor | undefined;
  let coveredTo: bigint | undefined;
  /** Log ids emitted for blocks above coveredTo (older ones are settled by the sweep). */
  const emitted = new Map<string, bigint>();
  /** Aggregators of phases learnt from proxy reads (phaseAggregators / aggregator()), by phase id. */
  const aggregatorByPhase = new Map<number, Address>();
  let latestUpdatedAt: bigint | undefined;
  let lastReconciledHash: Hex | undefined;
  let unwatch: (() => void) | undefined;
  let subscribedAggregator: Address | undefined;
  let periodicTimer: unknown;
  let heartbeatTimer: unknown;
  let retryTimer: unknown;
  let reconciling: Promise<void> | undefined;
  let reconcileAgain = false;
  /** An upgrade is being resolved: live logs wait in `pending` until the reconcile has run. */
  let resyncing = false;
  const pending: { log: MinedLog; receivedAtMs: number }[] = [];

  const maxAge = heartbeatSeconds + graceSeconds;

  function noteUpdatedAt(updatedAt: bigint): void {
    if (latestUpdatedAt !== undefined && updatedAt <= latestUpdatedAt) return;
    latestUpdatedAt = updatedAt;
    armHeartbeat();
  }

  function armHeartbeat(): void {
    if (heartbeatTimer !== undefined) scheduler.clearTimeout(heartbeatTimer);
    heartbeatTimer = undefined;
    if (!running || latestUpdatedAt === undefined) return;
    // Stale once now > updatedAt + heartbeat + grace: the first whole second past the deadline.
    const waitS = latestUpdatedAt + maxAge + 1n - now();
    if (waitS <= 0n) return; // already stale: the periodic reconcile keeps reporting it
    const ms = Math.min(Number(waitS) * 1000, MAX_TIMER_MS);
    heartbeatTimer = scheduler.setTimeout(onHeartbeatDeadline, ms);
  }

  function onHeartbeatDeadline(): void {
    heartbeatTimer = undefined;
    if (!running) return;
    void reconcile().then(() => {
      // Not stale yet (clock granularity, a newer round, or a long timer split): wait again.
      if (
        heartbeatTimer === undefined &&
        latestUpdatedAt !== undefined &&
        now() <= latestUpdatedAt + maxAge
      ) {
        armHeartbeat();
      }
    });
  }

  function checkHeartbeat(): void {
    if (latestUpdatedAt === undefined) return;
    const t = now();
    metrics?.feedAgeSeconds.set({ asset: assetId }, Number(t - latestUpdatedAt));
    if (t - latestUpdatedAt > maxAge) {
      const missed: FeedHeartbeatMissed = {
        type: "feed.heartbeat_missed",
        assetId,
        chainId,
        feed: proxy,
        now: t,
      };
      logger.warn({ updated_at: latestUpdatedAt, now: t, max_age_seconds: maxAge }, "feed heartbeat missed");
      send(missed, performance.now());
    }
  }

  function emitReserve(observation: ReserveObserved, receivedAtMs: number): void {
    send(observation, receivedAtMs);
    noteUpdatedAt(observation.updatedAt);
  }

  /** Applies one log; returns true when it needs a resync (upgrade seen / decimals unknown). */
  function processLog(log: MinedLog, receivedAtMs: number, source: ObservationSource): boolean {
    if (!processor) return false;
    const id = logEventId(chainId, log);
    if (emitted.has(id)) return false;
    const r = processor.apply(log, source);
    switch (r.type) {
      case "reserve":
        emitted.set(id, log.blockNumber);
        emitReserve(r.observation, receivedAtMs);
        return false;
      case "phase":
        if (r.isNew) {
          logger.info(
            { phase_id: r.phase.phaseId, aggregator: r.phase.aggregator, block: log.blockNumber },
            "feed aggregator confirmed",
          );
        }
        return r.isNew && processor.decimalsOf(r.phase.aggregator) === undefined;
      case "decimals_unknown":
        return true;
      case "ignored":
        return false;
      default: {
        const never: never = r;
        return never;
      }
    }
  }

  function onLiveLog(log: SourceLog, receivedAtMs: number): void {
    if (!running || !isMined(log)) return;
    if (log.removed) {
      // A reorg took the block away; the engine retracts via block.reorged, the sweep re-reads.
      requestReconcile();
      return;
    }
    if (resyncing || !processor || coveredTo === undefined) {
      if (pending.length >= MAX_PENDING_LOGS) {
        // The resync keeps failing (RPC down): drop the oldest; the next successful sweep re-reads them.
        pending.shift();
      }
      pending.push({ log, receivedAtMs });
      return;
    }
    if (log.blockNumber <= coveredTo) return; // settled by the sweep
    if (processLog(log, receivedAtMs, "event")) {
      resyncing = true;
      pending.push({ log, receivedAtMs });
      requestReconcile();
    } else if (processor.currentPhase().aggregator !== subscribedAggregator) {
      // An AggregatorConfirmed whose decimals are known already: resubscribe via reconcile.
      requestReconcile();
    }
  }

  function flushPending(): void {
    const queued = pending.splice(0);
    for (const { log, receivedAtMs } of queued) {
      if (coveredTo !== undefined && log.blockNumber <= coveredTo) continue;
      if (processLog(log, receivedAtMs, "event")) {
        // Still unknown decimals (a read failed): keep it for the next reconcile.
        resyncing = true;
        pending.push({ log, receivedAtMs });
      }
    }
  }

  function subscribe(aggregator: Address): void {
    const previous = unwatch;
    // Subscribe to the new address set before dropping the old one; duplicates are filtered by id.
    const watch = watchLogs({
      clients,
      address: [proxy, aggregator],
      events: FEED_EVENTS,
      pollingIntervalMs: args.pollingIntervalMs,
      onLogs: (logs, receivedAtMs) => {
        for (const log of logs) onLiveLog(log, receivedAtMs);
      },
      onError: (err, transport) => {
        if (transport === "ws") metrics?.rpcErrorsTotal.inc({ chain: String(chainId) });
        logger.warn({ err, transport }, "feed log subscription failed");
      },
    });
    unwatch = watch.unwatch;
    subscribedAggregator = aggregator;
    previous?.();
    logger.info({ aggregator, transport: watch.transport }, "subscribed to feed logs");
  }

  async function ensureDecimals(aggregator: Address, blockNumber: bigint): Promise<void> {
    if (!processor || processor.decimalsOf(aggregator) !== undefined) return;
    const d = await readFeedDecimals(http, chainId, aggregator, blockNumber);
    if (d > 36) logger.warn({ aggregator, decimals: d }, "feed reports absurd decimals");
    processor.setDecimals(aggregator, d);
  }

  async function reconcileOnce(): Promise<void> {
    if (!processor || coveredTo === undefined) return;
    try {
      const head = await readBlockRef(http, chainId);
      const state = await readProxyState(http, chainId, proxy, head.number);
      const receivedAtMs = performance.now();
      aggregatorByPhase.set(state.phaseId, state.aggregator);

      // Every aggregator that may have been current in (coveredTo, head]: from the phase active right
      // after coveredTo up to the proxy's phase now (intermediate swaps read from phaseAggregators).
      const fromPhase = processor.phaseAt({ block: coveredTo + 1n, logIndex: -1 });
      const involved = new Map<number, Address>();
      for (const p of processor.phases())
        if (p.phaseId >= fromPhase.phaseId) involved.set(p.phaseId, p.aggregator);
      for (let id = fromPhase.phaseId + 1; id < state.phaseId; id += 1) {
        if (involved.has(id)) continue;
        const known =
          aggregatorByPhase.get(id) ?? (await readPhaseAggregator(http, chainId, proxy, id, head.number));
        aggregatorByPhase.set(id, known);
        involved.set(id, known);
      }
      involved.set(state.phaseId, state.aggregator);
      for (const a of new Set(involved.values())) await ensureDecimals(a, head.number);

      if (head.number > coveredTo) {
        const logs = await getLogsSplitting({
          client: http,
          chainId,
          filter: { address: [proxy, ...new Set(involved.values())], topics: FEED_TOPICS },
          fromBlock: coveredTo + 1n,
          toBlock: head.number,
          maxLogRange: args.maxLogRange,
        });
        await adoptUnannouncedPhases({
          client: http,
          chainId,
          processor,
          logs,
          targetPhaseId: state.phaseId,
          aggregatorOf: (id) => involved.get(id) ?? state.aggregator,
          fromBlock: coveredTo + 1n,
          toBlock: head.number,
          logger,
        });
        const sweptAtMs = performance.now();
        for (const log of logs) processLog(log, sweptAtMs, "reconcile");
        coveredTo = head.number;
        for (const [id, block] of emitted) if (block <= coveredTo) emitted.delete(id);
      }

      const current = processor.currentPhase();
      if (current.phaseId !== state.phaseId || current.aggregator !== state.aggregator) {
        logger.error(
          { known_phase: current.phaseId, proxy_phase: state.phaseId, aggregator: state.aggregator },
          "feed phase history disagrees with the proxy",
        );
      }
      if (subscribedAggregator !== state.aggregator) subscribe(state.aggregator);
      resyncing = false;
      flushPending();

      const observation: ReserveObserved = {
        type: "reserve.observed",
        assetId,
        chainId,
        feed: proxy,
        aggregator: state.aggregator,
        roundId: state.roundId,
        answer: state.answer,
        feedDecimals: processor.decimalsOf(state.aggregator) ?? 0,
        updatedAt: state.updatedAt,
        block: { number: head.number, hash: head.hash },
        source: "reconcile",
      };
      if (state.answer <= 0n || state.answeredInRound < state.roundId) {
        logger.warn(
          { round_id: state.roundId, answer: state.answer, answered_in_round: state.answeredInRound },
          "feed round is invalid or incomplete",
        );
      }
      // One reconcile reading per block: a second reconcile at the same head says nothing new.
      if (head.hash !== lastReconciledHash) {
        lastReconciledHash = head.hash;
        emitReserve(observation, receivedAtMs);
      }
    } catch (err) {
      logger.warn({ err, resyncing }, "feed reconcile failed");
      // An upgrade is half-resolved (live logs are queued): retry soon rather than at the next period.
      if (resyncing && retryTimer === undefined && running) {
        retryTimer = scheduler.setTimeout(
          () => {
            retryTimer = undefined;
            requestReconcile();
          },
          Math.min(RESYNC_RETRY_MS, args.reconcileIntervalMs),
        );
      }
    } finally {
      checkHeartbeat();
    }
  }

  function reconcile(): Promise<void> {
    if (!running) return Promise.resolve();
    if (reconciling) {
      reconcileAgain = true;
      return reconciling;
    }
    reconciling = (async () => {
      do {
        reconcileAgain = false;
        await reconcileOnce();
      } while (reconcileAgain && running);
    })().finally(() => {
      reconciling = undefined;
    });
    return reconciling;
  }

  function requestReconcile(): void {
    void reconcile();
  }

  function schedulePeriodic(): void {
    if (!running) return;
    periodicTimer = scheduler.setTimeout(() => {
      periodicTimer = undefined;
      void reconcile().then(schedulePeriodic);
    }, args.reconcileIntervalMs);
  }

  return {
    async start() {
      if (running) return;
      const block = await readBlockRef(http, chainId, args.startBlock);
      const state = await readProxyState(http, chainId, proxy, block.number);
      processor = createFeedLogProcessor({
        assetId,
        chainId,
        proxy,
        initialPhase: { phaseId: state.phaseId, aggregator: state.aggregator },
      });
      aggregatorByPhase.set(state.phaseId, state.aggregator);
      processor.setDecimals(
        state.aggregator,
        await readFeedDecimals(http, chainId, state.aggregator, block.number),
      );
      coveredTo = block.number;
      running = true;
      subscribe(state.aggregator);
      logger.info(
        { aggregator: state.aggregator, phase_id: state.phaseId, block: block.number },
        "feed source started",
      );
      await reconcile();
      schedulePeriodic();
    },
    async stop() {
      running = false;
      for (const t of [periodicTimer, heartbeatTimer, retryTimer])
        if (t !== undefined) scheduler.clearTimeout(t);
      periodicTimer = undefined;
      heartbeatTimer = undefined;
      retryTimer = undefined;
      unwatch?.();
      unwatch = undefined;
      subscribedAggregator = undefined;
      await reconciling?.catch(() => {});
    },
    reconcile,
    aggregator: () => processor?.currentPhase().aggregator,
    phaseId: () => processor?.currentPhase().phaseId,
    coveredTo: () => coveredTo,
  };
}

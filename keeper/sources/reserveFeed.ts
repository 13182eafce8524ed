import {
  type Address,
  decodeEventLog,
  encodeEventTopics,
  getAbiItem,
  getAddress,
  type Hex,
  type PublicClient,
} from "viem";
import { devAggregatorProxyAbi, devPorAggregatorAbi } from "../abi/index.ts";
import type { FeedHeartbeatMissed, ObservationSource, ReserveObserved } from "../engine/types.ts";
import type { Logger } from "../telemetry/logger.ts";
import {
  comparePositions,
  createSourceContext,
  getLogsSplitting,
  isMined,
  type LogPosition,
  logEventId,
  MAX_TIMER_MS,
  type MinedLog,
  positionOf,
  readBlockRef,
  readOrThrow,
  type SourceArgs,
  type SourceLog,
  watchLogs,
} from "./logs.ts";
import type { Source } from "./types.ts";

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

/** The source's arguments; `chainId` is the chain the PoR feed lives on. */
export type CreateReserveFeedSourceArgs = SourceArgs & {
  /** The feed proxy consumers read (stable across aggregator upgrades). */
  proxy: Address;
  /** The feed's heartbeat: a new round at least this often. */
  heartbeatSeconds: bigint;
  /** Extra tolerance past the heartbeat before the feed counts as stale. */
  graceSeconds: bigint;
  /** Period of the latestRoundData reconciliation (also re-resolves aggregator and phase). */
  reconcileIntervalMs: number;
  /** Wall clock, unix seconds. */
  now: () => bigint;
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
  const { scheduler, logger, metrics, send } = createSourceContext(args, {
    component: "reserve_feed_source",
    asset: assetId,
    chain_id: chainId,
    feed: proxy,
  });
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
      scheduler,
      onFallback: () => void reconcile(),
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

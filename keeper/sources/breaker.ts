import {
  type Address,
  decodeEventLog,
  encodeEventTopics,
  getAbiItem,
  getAddress,
  type Hex,
  zeroAddress,
} from "viem";
import { reserveCircuitBreakerAbi } from "../abi/index.ts";
import {
  comparePositions,
  createSourceContext,
  getLogsSplitting,
  isMined,
  type LogPosition,
  logEventId,
  type MinedLog,
  positionOf,
  readBlockRef,
  readOrThrow,
  type SourceArgs,
  type SourceClients,
  type SourceLog,
  watchLogs,
} from "./logs.ts";
import type { BreakerEventKind, BreakerObserved, Source } from "./types.ts";

const BREAKER_EVENTS = [
  getAbiItem({ abi: reserveCircuitBreakerAbi, name: "BreakerPaused" }),
  getAbiItem({ abi: reserveCircuitBreakerAbi, name: "BreakerTripped" }),
  getAbiItem({ abi: reserveCircuitBreakerAbi, name: "BreakerUnpaused" }),
  getAbiItem({ abi: reserveCircuitBreakerAbi, name: "SignerSetChanged" }),
  getAbiItem({ abi: reserveCircuitBreakerAbi, name: "Paused" }),
  getAbiItem({ abi: reserveCircuitBreakerAbi, name: "Unpaused" }),
] as const;

/** topic0 filter matching every breaker event the source decodes. */
export const BREAKER_TOPICS: readonly (readonly Hex[])[] = [
  BREAKER_EVENTS.map((e) => encodeEventTopics({ abi: [e], eventName: e.name } as never)[0] as Hex),
];

const KIND: Readonly<Record<string, BreakerEventKind>> = {
  BreakerPaused: "paused",
  BreakerTripped: "tripped",
  BreakerUnpaused: "unpaused",
  SignerSetChanged: "signers_changed",
};

/** What a breaker log says: an observation (for the four breaker events) and/or the paused state after it. */
export type BreakerLogEffect = {
  readonly observation: BreakerObserved | undefined;
  /** true/false when the log sets the paused state (Breaker*, OZ Paused/Unpaused), else undefined. */
  readonly paused: boolean | undefined;
};

/**
 * Decodes a ReserveCircuitBreaker log. BreakerPaused / BreakerTripped / BreakerUnpaused /
 * SignerSetChanged become `breaker.observed` (by = the event's `by` / `submittedBy`; SignerSetChanged
 * names no sender, so by = the zero address); OZ Paused / Unpaused only move the paused state.
 * No RPC; shared by the live source and backfill.
 */
export function decodeBreakerLog(args: {
  assetId: string;
  chainId: number;
  breaker: Address;
  log: MinedLog;
  source: BreakerObserved["source"];
}): BreakerLogEffect {
  const { log } = args;
  let decoded: { eventName: string; args: Record<string, unknown> };
  try {
    decoded = decodeEventLog({
      abi: BREAKER_EVENTS,
      data: log.data,
      topics: log.topics as [Hex, ...Hex[]],
      strict: true,
    }) as unknown as typeof decoded;
  } catch {
    return { observation: undefined, paused: undefined };
  }
  const kind = KIND[decoded.eventName];
  const paused =
    decoded.eventName === "Paused" || kind === "paused" || kind === "tripped"
      ? true
      : decoded.eventName === "Unpaused" || kind === "unpaused"
        ? false
        : undefined;
  if (kind === undefined) return { observation: undefined, paused };
  const byValue = decoded.args.by ?? decoded.args.submittedBy;
  const by = typeof byValue === "string" ? getAddress(byValue) : zeroAddress;
  return {
    paused,
    observation: {
      type: "breaker.observed",
      assetId: args.assetId,
      chainId: args.chainId,
      breaker: getAddress(args.breaker),
      kind,
      by,
      txHash: log.transactionHash ?? `0x${"00".repeat(32)}`,
      block: { number: log.blockNumber, hash: log.blockHash },
      logIndex: log.logIndex,
      args: { ...decoded.args },
      source: args.source,
    },
  };
}

/** Breaker logs in [fromBlock, toBlock], in order. */
export async function getBreakerLogs(args: {
  clients: SourceClients;
  chainId: number;
  breaker: Address;
  fromBlock: bigint;
  toBlock: bigint;
  maxLogRange?: bigint | undefined;
}): Promise<MinedLog[]> {
  return getLogsSplitting({
    client: args.clients.http,
    chainId: args.chainId,
    filter: { address: args.breaker, topics: BREAKER_TOPICS },
    fromBlock: args.fromBlock,
    toBlock: args.toBlock,
    maxLogRange: args.maxLogRange,
  });
}

/** breaker.paused() at one block. */
export async function readBreakerPaused(
  clients: SourceClients,
  chainId: number,
  breaker: Address,
  blockNumber: bigint,
): Promise<boolean> {
  return readOrThrow(chainId, { operation: "paused", address: breaker, blockNumber }, () =>
    clients.http.readContract({
      address: breaker,
      abi: reserveCircuitBreakerAbi,
      functionName: "paused",
      blockNumber,
    }),
  );
}

export type CreateBreakerSourceArgs = SourceArgs & {
  breaker: Address;
  /** Period of the paused() read and log sweep (default 60 s). */
  reconcileIntervalMs?: number | undefined;
};

export type BreakerSource = Source & {
  /** The breaker's paused state: latest of the paused() reads and the pause/unpause logs; undefined before start. */
  paused(): boolean | undefined;
  /** Reads paused() at the latest block and sweeps missed logs; resolves when done. */
  reconcile(): Promise<void>;
  /** Highest block the sweep has covered: every breaker log up to it was emitted. */
  coveredTo(): bigint | undefined;
};

const END_OF_BLOCK = Number.MAX_SAFE_INTEGER;

/**
 * Watches one ReserveCircuitBreaker: decodes its logs into `breaker.observed` (source "event"; logs
 * found by the reconcile sweep: "backfill") and tracks `paused()` — read at start and every
 * reconcileIntervalMs, moved by pause/trip/unpause logs in between (whichever is later in the chain wins).
 */
export function createBreakerSource(args: CreateBreakerSourceArgs): BreakerSource {
  const { assetId, chainId, clients } = args;
  const breaker = getAddress(args.breaker);
  const reconcileIntervalMs = args.reconcileIntervalMs ?? 60_000;
  const { scheduler, logger, metrics, send } = createSourceContext(args, {
    component: "breaker_source",
    asset: assetId,
    chain_id: chainId,
    breaker,
  });

  let running = false;
  let state: { paused: boolean; at: LogPosition } | undefined;
  let coveredTo: bigint | undefined;
  const emitted = new Map<string, bigint>();
  let unwatch: (() => void) | undefined;
  let periodicTimer: unknown;
  let reconciling: Promise<void> | undefined;

  function setPaused(paused: boolean, at: LogPosition): void {
    if (state !== undefined && comparePositions(at, state.at) <= 0) return;
    if (state?.paused !== paused) logger.info({ paused, block: at.block }, "breaker paused state changed");
    state = { paused, at };
    metrics?.breakerPaused.set({ asset: assetId, chain: String(chainId) }, paused ? 1 : 0);
  }

  function processLog(log: MinedLog, receivedAtMs: number, source: BreakerObserved["source"]): void {
    const id = logEventId(chainId, log);
    if (emitted.has(id)) return;
    const effect = decodeBreakerLog({ assetId, chainId, breaker, log, source });
    if (effect.paused !== undefined) setPaused(effect.paused, positionOf(log));
    if (effect.observation) {
      emitted.set(id, log.blockNumber);
      send(effect.observation, receivedAtMs);
    }
  }

  function onLiveLog(log: SourceLog, receivedAtMs: number): void {
    if (!running || !isMined(log)) return;
    if (log.removed) {
      void reconcile();
      return;
    }
    if (coveredTo !== undefined && log.blockNumber <= coveredTo) return;
    processLog(log, receivedAtMs, "event");
  }

  async function reconcileOnce(): Promise<void> {
    try {
      const head = await readBlockRef(clients.http, chainId);
      if (coveredTo !== undefined && head.number < coveredTo) return;
      const paused = await readBreakerPaused(clients, chainId, breaker, head.number);
      if (coveredTo !== undefined && head.number > coveredTo) {
        const logs = await getBreakerLogs({
          clients,
          chainId,
          breaker,
          fromBlock: coveredTo + 1n,
          toBlock: head.number,
          maxLogRange: args.maxLogRange,
        });
        const at = performance.now();
        for (const log of logs) processLog(log, at, "backfill");
      }
      coveredTo = head.number;
      for (const [id, block] of emitted) if (block <= head.number) emitted.delete(id);
      setPaused(paused, { block: head.number, logIndex: END_OF_BLOCK });
    } catch (err) {
      logger.warn({ err }, "breaker reconcile failed");
    }
  }

  function reconcile(): Promise<void> {
    if (!running) return Promise.resolve();
    reconciling ??= reconcileOnce().finally(() => {
      reconciling = undefined;
    });
    return reconciling;
  }

  function schedulePeriodic(): void {
    if (!running) return;
    periodicTimer = scheduler.setTimeout(() => {
      periodicTimer = undefined;
      void reconcile().then(schedulePeriodic);
    }, reconcileIntervalMs);
  }

  return {
    async start() {
      if (running) return;
      const block = await readBlockRef(clients.http, chainId, args.startBlock);
      const paused = await readBreakerPaused(clients, chainId, breaker, block.number);
      setPaused(paused, { block: block.number, logIndex: END_OF_BLOCK });
      coveredTo = block.number;
      running = true;
      const watch = watchLogs({
        clients,
        address: breaker,
        events: BREAKER_EVENTS,
        pollingIntervalMs: args.pollingIntervalMs,
        scheduler,
        onFallback: () => void reconcile(),
        onLogs: (logs, receivedAtMs) => {
          for (const log of logs) onLiveLog(log, receivedAtMs);
        },
        onError: (err, transport) => {
          if (transport === "ws") metrics?.rpcErrorsTotal.inc({ chain: String(chainId) });
          logger.warn({ err, transport }, "breaker log subscription failed");
        },
      });
      unwatch = watch.unwatch;
      logger.info({ block: block.number, paused }, "breaker source started");
      await reconcile();
      schedulePeriodic();
    },
    async stop() {
      running = false;
      if (periodicTimer !== undefined) scheduler.clearTimeout(periodicTimer);
      periodicTimer = undefined;
      unwatch?.();
      unwatch = undefined;
      await reconciling?.catch(() => {});
    },
    paused: () => state?.paused,
    reconcile,
    coveredTo: () => coveredTo,
  };
}

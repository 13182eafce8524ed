import { type Address, getAddress, type Hex, zeroAddress } from "viem";
import { reserveBackedStablecoinAbi } from "../abi/index.ts";
import type { ObservationSource, SupplyObserved } from "../engine/types.ts";
import { bridgedFlowOf, bridgeTxsOf, getBridgeLogs } from "./bridge.ts";
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
  sortLogs,
  watchLogs,
} from "./logs.ts";
import { BURN_TOPICS, MINT_TOPICS, supplyDeltaOf, TRANSFER_EVENT } from "./transferLog.ts";
import type { Source } from "./types.ts";

export { BURN_TOPICS, MINT_TOPICS, supplyDeltaOf } from "./transferLog.ts";

/** The `supply.observed` a mint/burn log yields, given the total supply right after it. */
export function supplyObservedFromLog(args: {
  assetId: string;
  chainId: number;
  token: Address;
  tokenDecimals: number;
  log: MinedLog;
  totalSupply: bigint;
  source: ObservationSource;
  /** Signed bridge flow of this log (bridgedFlowOf), if it belongs to a cross-chain transfer. */
  bridged?: bigint | undefined;
}): SupplyObserved {
  return {
    type: "supply.observed",
    assetId: args.assetId,
    chainId: args.chainId,
    token: getAddress(args.token),
    totalSupply: args.totalSupply,
    tokenDecimals: args.tokenDecimals,
    block: { number: args.log.blockNumber, hash: args.log.blockHash },
    logIndex: args.log.logIndex,
    ...(args.bridged === undefined ? {} : { bridged: args.bridged }),
    source: args.source,
  };
}

/** Mint and burn logs of `token` in [fromBlock, toBlock], merged in (block, logIndex) order. */
export async function getSupplyLogs(args: {
  clients: SourceClients;
  chainId: number;
  token: Address;
  fromBlock: bigint;
  toBlock: bigint;
  maxLogRange?: bigint | undefined;
}): Promise<MinedLog[]> {
  const common = {
    client: args.clients.http,
    chainId: args.chainId,
    fromBlock: args.fromBlock,
    toBlock: args.toBlock,
    maxLogRange: args.maxLogRange,
  };
  const [mints, burns] = await Promise.all([
    getLogsSplitting({ ...common, filter: { address: args.token, topics: MINT_TOPICS } }),
    getLogsSplitting({ ...common, filter: { address: args.token, topics: BURN_TOPICS } }),
  ]);
  const seen = new Set<string>();
  const merged: MinedLog[] = [];
  for (const log of [...mints, ...burns]) {
    const id = logEventId(args.chainId, log);
    if (seen.has(id)) continue; // mint to 0 matches both filters
    seen.add(id);
    merged.push(log);
  }
  return sortLogs(merged);
}

/** token.decimals() at one block. */
export async function readTokenDecimals(
  clients: SourceClients,
  chainId: number,
  token: Address,
  blockNumber: bigint,
): Promise<number> {
  return readOrThrow(chainId, { operation: "decimals", address: token, blockNumber }, () =>
    clients.http.readContract({
      address: token,
      abi: reserveBackedStablecoinAbi,
      functionName: "decimals",
      blockNumber,
    }),
  );
}

/** token.totalSupply() at one block. */
export async function readTotalSupply(
  clients: SourceClients,
  chainId: number,
  token: Address,
  blockNumber: bigint,
): Promise<bigint> {
  return readOrThrow(chainId, { operation: "totalSupply", address: token, blockNumber }, () =>
    clients.http.readContract({
      address: token,
      abi: reserveBackedStablecoinAbi,
      functionName: "totalSupply",
      blockNumber,
    }),
  );
}

export type CreateSupplySourceArgs = SourceArgs & {
  token: Address;
  /** Period of the totalSupply() reconciliation. */
  reconcileIntervalMs: number;
  /**
   * The chain's CCTP TokenMessengers (V1/V2) that burn and mint this token. With any, each mint/burn
   * log is checked against the messenger logs of its block and carries its bridge flow (`bridged`).
   */
  bridgeMessengers?: readonly Address[] | undefined;
};

export type SupplySource = Source & {
  /** Reconciles now (totalSupply at the latest block + log sweep); resolves when done. */
  reconcile(): Promise<void>;
  /** The running total after the last log seen (undefined before start). */
  totalSupply(): bigint | undefined;
  /** How many reconciles found the running total different from totalSupply(). */
  mismatches(): number;
  /** Highest block reconciled: every mint/burn up to it was emitted. */
  coveredTo(): bigint | undefined;
};

type LedgerEntry = { readonly id: string; readonly pos: LogPosition; readonly delta: bigint };

/**
 * Watches one chain's supply of a token.
 *
 * - Hot path: Transfer logs with from = 0 (mint) or to = 0 (burn), selected by topic filters (two
 *   subscriptions; ws when available, else HTTP polling). Each becomes a `supply.observed` (source
 *   "event") carrying the total right after that log: the last reconciled totalSupply() plus the
 *   deltas of the mint/burn logs after it, up to this one. No RPC per log.
 * - Reconcile (at start and every reconcileIntervalMs): totalSupply() at a known block, plus an
 *   eth_getLogs sweep of the mints/burns since the previous reconcile; logs live delivery missed are
 *   emitted (source "reconcile"), the swept running total is compared with totalSupply(), a mismatch is
 *   logged and counted, and the reconciled value always wins (emitted as `supply.observed`, source
 *   "reconcile", no logIndex = the state at the end of that block).
 * - The two subscriptions can deliver one block's mints and burns out of order; a log that arrives
 *   behind an already emitted one gets its own correct total and triggers an immediate reconcile, so
 *   the end-of-block value follows at once.
 */
export function createSupplySource(args: CreateSupplySourceArgs): SupplySource {
  const { assetId, chainId, clients } = args;
  const token = getAddress(args.token);
  const { scheduler, logger, metrics, send } = createSourceContext(args, {
    component: "supply_source",
    asset: assetId,
    chain_id: chainId,
    token,
  });

  let running = false;
  let tokenDecimals: number | undefined;
  /** totalSupply() at the end of baseBlock. */
  let base: bigint | undefined;
  let baseBlock: bigint | undefined;
  /** Mint/burn deltas after baseBlock seen live, in (block, logIndex) order. */
  let ledger: LedgerEntry[] = [];
  /** Live logs that arrived before the first reconcile. */
  const pending: { log: MinedLog; receivedAtMs: number; bridged: bigint | undefined }[] = [];
  let lastEmitted: LogPosition | undefined;
  let lastReconciledHash: Hex | undefined;
  let mismatchCount = 0;
  const unwatchers: (() => void)[] = [];
  let periodicTimer: unknown;
  let soonTimer: unknown;
  let reconciling: Promise<void> | undefined;
  let reconcileAgain = false;

  const runningTotal = (): bigint | undefined =>
    base === undefined ? undefined : ledger.reduce((sum, e) => sum + e.delta, base);

  const messengers = (args.bridgeMessengers ?? []).map((m) => getAddress(m));
  /** Live batches, classified in arrival order (one messenger eth_getLogs per batch with bridges). */
  let liveChain: Promise<void> = Promise.resolve();

  /** The bridged transactions among the messenger logs of [fromBlock, toBlock] (empty without bridges). */
  async function bridgeTxs(fromBlock: bigint, toBlock: bigint): Promise<Set<string>> {
    if (messengers.length === 0) return new Set();
    const logs = await getBridgeLogs({
      client: clients.http,
      chainId,
      messengers,
      token,
      fromBlock,
      toBlock,
      maxLogRange: args.maxLogRange,
    });
    return bridgeTxsOf(logs);
  }

  function onLiveLogs(logs: readonly SourceLog[], receivedAtMs: number): void {
    if (messengers.length === 0) {
      for (const log of logs) onLiveLog(log, receivedAtMs, undefined);
      return;
    }
    // A mint/burn log's bridge flow must travel with the reading (never a supply jump without it):
    // read the messenger logs of the batch's blocks first, keeping batches in arrival order.
    liveChain = liveChain.then(async () => {
      const mined = logs.filter(isMined).filter((l) => !l.removed);
      let txs = new Set<string>();
      if (mined.length > 0) {
        const blocks = mined.map((l) => l.blockNumber);
        const from = blocks.reduce((a, b) => (b < a ? b : a));
        const to = blocks.reduce((a, b) => (b > a ? b : a));
        txs = await bridgeTxs(from, to).catch((err: unknown) => {
          logger.warn({ err, from_block: from, to_block: to }, "bridge log read failed; reconciling");
          requestReconcileSoon();
          return new Set<string>();
        });
      }
      for (const log of logs)
        onLiveLog(log, receivedAtMs, isMined(log) ? bridgedFlowOf(log, txs) : undefined);
    });
  }

  function onLiveLog(log: SourceLog, receivedAtMs: number, bridged: bigint | undefined): void {
    if (!running || !isMined(log)) return;
    const id = logEventId(chainId, log);
    if (log.removed) {
      ledger = ledger.filter((e) => e.id !== id);
      requestReconcileSoon();
      return;
    }
    if (base === undefined || baseBlock === undefined || tokenDecimals === undefined) {
      pending.push({ log, receivedAtMs, bridged });
      return;
    }
    if (log.blockNumber <= baseBlock) return; // settled by the reconcile sweep
    if (ledger.some((e) => e.id === id)) return; // duplicate delivery
    const delta = supplyDeltaOf(log);
    if (delta === undefined) return;
    const pos = positionOf(log);
    const entry: LedgerEntry = { id, pos, delta };
    const at = ledger.findIndex((e) => comparePositions(e.pos, pos) > 0);
    if (at === -1) ledger.push(entry);
    else ledger.splice(at, 0, entry);
    let total = base;
    for (const e of ledger) {
      if (comparePositions(e.pos, pos) > 0) break;
      total += e.delta;
    }
    send(
      supplyObservedFromLog({
        assetId,
        chainId,
        token,
        tokenDecimals,
        log,
        totalSupply: total,
        source: "event",
        bridged,
      }),
      receivedAtMs,
    );
    if (lastEmitted !== undefined && comparePositions(pos, lastEmitted) < 0) {
      logger.info({ block: log.blockNumber, log_index: log.logIndex }, "supply log arrived out of order");
      requestReconcileSoon();
    } else {
      lastEmitted = pos;
    }
  }

  async function reconcileOnce(): Promise<void> {
    try {
      const head = await readBlockRef(clients.http, chainId);
      if (tokenDecimals === undefined) {
        tokenDecimals = await readTokenDecimals(clients, chainId, token, head.number);
      }
      if (baseBlock !== undefined && head.number < baseBlock) {
        logger.debug({ head: head.number, covered_to: baseBlock }, "supply reconcile skipped: node behind");
        return;
      }
      const reconciled = await readTotalSupply(clients, chainId, token, head.number);
      const receivedAtMs = performance.now();
      if (base !== undefined && baseBlock !== undefined) {
        const logs =
          head.number > baseBlock
            ? await getSupplyLogs({
                clients,
                chainId,
                token,
                fromBlock: baseBlock + 1n,
                toBlock: head.number,
                maxLogRange: args.maxLogRange,
              })
            : [];
        const txs = logs.length > 0 ? await bridgeTxs(baseBlock + 1n, head.number) : new Set<string>();
        const sweptAtMs = performance.now();
        const liveIds = new Set(ledger.map((e) => e.id));
        let swept = base;
        for (const log of logs) {
          const delta = supplyDeltaOf(log);
          if (delta === undefined) continue;
          swept += delta;
          if (liveIds.has(logEventId(chainId, log))) continue;
          send(
            supplyObservedFromLog({
              assetId,
              chainId,
              token,
              tokenDecimals,
              log,
              totalSupply: swept,
              source: "reconcile",
              bridged: bridgedFlowOf(log, txs),
            }),
            sweptAtMs,
          );
        }
        if (swept !== reconciled) {
          mismatchCount += 1;
          logger.warn(
            { block: head.number, running_total: swept, total_supply: reconciled, from_block: baseBlock },
            "supply running total disagreed with totalSupply(); trusting totalSupply()",
          );
        }
      }
      base = reconciled;
      baseBlock = head.number;
      ledger = ledger.filter((e) => e.pos.block > head.number);
      if (head.hash !== lastReconciledHash) {
        // One reconcile reading per block: a second reconcile at the same head says nothing new.
        lastReconciledHash = head.hash;
        send(
          {
            type: "supply.observed",
            assetId,
            chainId,
            token,
            totalSupply: reconciled,
            tokenDecimals,
            block: { number: head.number, hash: head.hash },
            source: "reconcile",
          },
          receivedAtMs,
        );
      }
      const queued = pending.splice(0);
      for (const { log, receivedAtMs: at, bridged } of queued) onLiveLog(log, at, bridged);
    } catch (err) {
      logger.warn({ err }, "supply reconcile failed");
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

  function requestReconcileSoon(): void {
    if (soonTimer !== undefined || !running) return;
    soonTimer = scheduler.setTimeout(() => {
      soonTimer = undefined;
      void reconcile();
    }, 0);
  }

  function schedulePeriodic(): void {
    if (!running) return;
    periodicTimer = scheduler.setTimeout(() => {
      periodicTimer = undefined;
      void reconcile().then(schedulePeriodic);
    }, args.reconcileIntervalMs);
  }

  function subscribe(): void {
    const transfer = [TRANSFER_EVENT];
    for (const eventArgs of [{ from: zeroAddress }, { to: zeroAddress }]) {
      const watch = watchLogs({
        clients,
        address: token,
        events: transfer,
        eventArgs,
        pollingIntervalMs: args.pollingIntervalMs,
        scheduler,
        onFallback: () => void reconcile(),
        onLogs: (logs, receivedAtMs) => onLiveLogs(logs, receivedAtMs),
        onError: (err, transport) => {
          if (transport === "ws") metrics?.rpcErrorsTotal.inc({ chain: String(chainId) });
          logger.warn({ err, transport }, "supply log subscription failed");
        },
      });
      unwatchers.push(watch.unwatch);
    }
  }

  return {
    async start() {
      if (running) return;
      const block = await readBlockRef(clients.http, chainId, args.startBlock);
      tokenDecimals = await readTokenDecimals(clients, chainId, token, block.number);
      running = true;
      subscribe();
      base = await readTotalSupply(clients, chainId, token, block.number).catch((err: unknown) => {
        running = false;
        for (const u of unwatchers.splice(0)) u();
        throw err;
      });
      baseBlock = block.number;
      logger.info(
        { block: block.number, total_supply: base, decimals: tokenDecimals },
        "supply source started",
      );
      await reconcile();
      schedulePeriodic();
    },
    async stop() {
      running = false;
      for (const t of [periodicTimer, soonTimer]) if (t !== undefined) scheduler.clearTimeout(t);
      periodicTimer = undefined;
      soonTimer = undefined;
      for (const u of unwatchers.splice(0)) u();
      await liveChain.catch(() => {});
      await reconciling?.catch(() => {});
    },
    reconcile,
    totalSupply: runningTotal,
    mismatches: () => mismatchCount,
    coveredTo: () => baseBlock,
  };
}

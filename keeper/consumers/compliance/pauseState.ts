/**
 * Which assets are paused, as the compliance service sees it.
 *
 * Scope: PER ASSET. While the asset's breaker is paused on ANY of its chains, every gated operation on
 * the asset is refused (BREAKER_PAUSED), on every chain: a shortfall is an asset-wide fact (the keeper
 * pauses every chain of the asset), and an operator expects "dusd is paused" to mean dusd.
 *
 * Sources, newest block wins per (asset, chain):
 * 1. at start, `paused()` of every breaker, read on chain BEFORE the API serves (a pause that happened
 *    while the service was down is not missed);
 * 2. the bus topic breakerEvents: `breaker.observed` (paused | tripped → paused, unpaused → not),
 *    `pause.mined` and `pause.already_paused` (→ paused);
 * 3. a periodic re-read of `paused()` (pause.reconcileIntervalMs), which repairs anything missed.
 * An update older (by block number) than the state it would replace is ignored, so a late event or a
 * slow read never resurrects an old state. Updates without a block number (pause.already_paused
 * without blockNumber) are applied as they come (they can only pause: the safe direction).
 */
import type { Address } from "viem";
import { reserveCircuitBreakerAbi } from "../../abi/index.ts";
import type { Bus, Subscription } from "../../bus/port.ts";
import type { Envelope } from "../../bus/types.ts";
import type { Logger } from "../../telemetry/logger.ts";
import type { KeeperMetrics } from "../../telemetry/metrics.ts";
import type { PausedAssets } from "./types.ts";

export type BreakerTarget = { readonly assetId: string; readonly chainId: number; readonly breaker: Address };

export type PauseUpdate = {
  readonly assetId: string;
  readonly chainId: number;
  readonly paused: boolean;
  /** Block the state holds at; undefined = unknown (applied as it comes). */
  readonly block: bigint | undefined;
  readonly source: "chain" | "bus";
};

export type PauseTracker = {
  /** Applies an update; returns true when it changed the paused state of (asset, chain). */
  apply(update: PauseUpdate): boolean;
  /** Paused chain ids per asset (assets with none are absent). A fresh snapshot. */
  snapshot(): PausedAssets;
  isPaused(assetId: string): boolean;
  /** Whether every target has been read from the chain at least once. */
  readonly initialized: boolean;
  readonly targets: readonly BreakerTarget[];
};

const keyOf = (assetId: string, chainId: number) => `${assetId}@${chainId}`;

export function createPauseTracker({
  targets,
  onChange,
}: {
  targets: readonly BreakerTarget[];
  /** Called after a change of an asset's paused state (any chain). */
  onChange?: (assetId: string, pausedChainIds: readonly number[]) => void;
}): PauseTracker {
  const state = new Map<string, { paused: boolean; block: bigint | undefined; read: boolean }>();
  for (const t of targets)
    state.set(keyOf(t.assetId, t.chainId), { paused: false, block: undefined, read: false });
  let snapshot: Map<string, number[]> = new Map();

  const rebuild = () => {
    const next = new Map<string, number[]>();
    for (const t of targets) {
      if (state.get(keyOf(t.assetId, t.chainId))?.paused) {
        const list = next.get(t.assetId) ?? [];
        list.push(t.chainId);
        next.set(t.assetId, list);
      }
    }
    snapshot = next;
  };

  return {
    targets,
    apply(update) {
      const key = keyOf(update.assetId, update.chainId);
      const current = state.get(key);
      if (!current) return false;
      if (update.block !== undefined && current.block !== undefined && update.block < current.block)
        return false;
      const changed = current.paused !== update.paused;
      state.set(key, {
        paused: update.paused,
        block: update.block ?? current.block,
        read: current.read || update.source === "chain",
      });
      if (changed) {
        rebuild();
        onChange?.(update.assetId, snapshot.get(update.assetId) ?? []);
      }
      return changed;
    },
    snapshot: () => new Map(snapshot),
    isPaused: (assetId) => (snapshot.get(assetId)?.length ?? 0) > 0,
    get initialized() {
      return [...state.values()].every((s) => s.read);
    },
  };
}

/** The pause state an envelope on breakerEvents reports, if any. */
export function pauseUpdateOf(envelope: Envelope): PauseUpdate | undefined {
  switch (envelope.type) {
    case "breaker.observed": {
      const p = envelope.payload;
      if (p.kind === "signers_changed") return undefined;
      return {
        assetId: p.assetId,
        chainId: p.chainId,
        paused: p.kind !== "unpaused",
        block: p.block.number,
        source: "bus",
      };
    }
    case "pause.mined":
      return {
        assetId: envelope.payload.assetId,
        chainId: envelope.payload.chainId,
        paused: true,
        block: envelope.payload.blockNumber,
        source: "bus",
      };
    case "pause.already_paused":
      return {
        assetId: envelope.payload.assetId,
        chainId: envelope.payload.chainId,
        paused: true,
        block: envelope.payload.blockNumber,
        source: "bus",
      };
    default:
      return undefined;
  }
}

/** The reads the follower needs from a chain (a viem PublicClient fits). */
export type BreakerReader = {
  getBlockNumber(): Promise<bigint>;
  readContract(args: {
    address: Address;
    abi: typeof reserveCircuitBreakerAbi;
    functionName: "paused";
    blockNumber: bigint;
  }): Promise<boolean>;
};

export type PauseFollower = {
  /** Subscribes to breakerEvents, then reads every breaker on chain (throws if a read fails), then reconciles periodically. */
  start(): Promise<void>;
  /** Re-reads every breaker now; resolves with the number of failed reads. */
  reconcile(): Promise<number>;
  stop(): Promise<void>;
};

export function createPauseFollower({
  tracker,
  bus,
  groupId,
  readers,
  reconcileIntervalMs,
  logger,
  metrics,
}: {
  tracker: PauseTracker;
  bus: Bus;
  /** Consumer group: unique per service instance (every instance must see every event). */
  groupId: string;
  /** Per chain id. */
  readers: ReadonlyMap<number, BreakerReader>;
  reconcileIntervalMs: number;
  logger: Logger;
  metrics?: Pick<KeeperMetrics, "complianceAssetPaused">;
}): PauseFollower {
  const log = logger.child({ component: "compliance_pause" });
  let subscription: Subscription | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  for (const t of tracker.targets) metrics?.complianceAssetPaused.set({ asset: t.assetId }, 0);

  async function readOne(target: BreakerTarget): Promise<void> {
    const reader = readers.get(target.chainId);
    if (!reader) throw new Error(`No chain client for chain ${target.chainId}.`);
    const blockNumber = await reader.getBlockNumber();
    const paused = await reader.readContract({
      address: target.breaker,
      abi: reserveCircuitBreakerAbi,
      functionName: "paused",
      blockNumber,
    });
    if (
      tracker.apply({
        assetId: target.assetId,
        chainId: target.chainId,
        paused,
        block: blockNumber,
        source: "chain",
      })
    ) {
      log.warn(
        { asset: target.assetId, chain_id: target.chainId, paused, block_number: blockNumber },
        "breaker state corrected from chain",
      );
    }
  }

  async function reconcile(): Promise<number> {
    const results = await Promise.allSettled(tracker.targets.map(readOne));
    const failures = results.filter((r) => r.status === "rejected");
    for (const f of failures) log.warn({ err: (f as PromiseRejectedResult).reason }, "breaker read failed");
    return failures.length;
  }

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      reconcile()
        .catch(() => 0)
        .finally(schedule);
    }, reconcileIntervalMs);
    timer.unref?.();
  };

  return {
    async start() {
      subscription = await bus.subscribe({
        topics: ["breakerEvents"],
        groupId,
        fromBeginning: false,
        onMessage: (envelope) => {
          const update = pauseUpdateOf(envelope);
          if (!update) return;
          if (tracker.apply(update)) {
            log.info(
              {
                asset: update.assetId,
                chain_id: update.chainId,
                paused: update.paused,
                message_type: envelope.type,
              },
              update.paused ? "asset pause followed from bus" : "asset unpause followed from bus",
            );
          }
        },
      });
      // Every breaker must be read once before the API serves.
      const results = await Promise.allSettled(tracker.targets.map(readOne));
      const failed = results.find((r) => r.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;
      const paused = tracker.snapshot();
      log.info(
        { breakers: tracker.targets.length, paused_assets: [...paused.keys()] },
        "breaker states read from chain",
      );
      schedule();
    },
    reconcile,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await subscription?.close();
    },
  };
}

/**
 * The pause-aware CCTP transfer service: a queue of transfers that never moves a paused asset.
 *
 * - At start it subscribes to breakerEvents (breaker.observed paused | tripped | unpaused, pause.mined,
 *   pause.already_paused) and reads `paused()` of every configured asset breaker (pauseState.ts: the
 *   later fact in the chain wins).
 * - While an asset is paused on any chain, a transfer of it waits before its burn, and an attested
 *   transfer waits before its receive: each is `held` (event + keeper_cctp_transfers_held). A burn or
 *   receive that reverts TokenPaused (the event is not here yet) is held the same way.
 * - When the asset is unpaused everywhere, the held transfers go on in the order they were held, one
 *   step at a time (`resumed`), before any newer transfer of the asset.
 * - USDC has no breaker and is never held.
 * - With `reconcileIntervalMs`, every breaker is re-read that often after start (repairs a missed or
 *   undelivered event; on a bus that carries no breakerEvents, e.g. a devnet's in-process bus, the reads
 *   and TokenPaused reverts are the only way the service learns of a pause or an unpause).
 *
 *   const service = createCctpTransferService({ setup, createClient, bus, logger, metrics });
 *   await service.start();
 *   const handle = service.submit({ token: { type: "asset", assetId: "dusd" }, from: "home", to: "remote",
 *                                   amount: 1_000_000n, speed: "standard" });
 *   handle.onEvent((e) => …);   const result = await handle.done;
 *
 * Every lifecycle event is published on the bus (topic cctpTransfers, envelope type cctp.transfer).
 */
import { parseAbi } from "viem";
import type { Bus, Subscription } from "../../bus/port.ts";
import type { CctpTransferEvent, CctpTransferStage } from "../../bus/types.ts";
import { CctpTokenPausedError } from "../../cctp/transfer/errors.ts";
import type { CctpSetup, ResolvedCctpChain } from "../../cctp/transfer/setup.ts";
import {
  type AnyTransfer,
  type AttestedTransfer,
  type BurnedTransfer,
  type CctpChainClients,
  type PlannedTransfer,
  type TransferClient,
  type TransferRequest,
  type TransferResult,
  transferEventCommon,
} from "../../cctp/transfer/transferClient.ts";
import { isRetryable } from "../../internal/errors.ts";
import type { Logger } from "../../telemetry/logger.ts";
import type { KeeperMetrics } from "../../telemetry/metrics.ts";
import { CctpServiceStoppedError } from "./errors.ts";
import { type BreakerRef, createPauseState, type PauseState } from "./pauseState.ts";

const breakerAbi = parseAbi(["function paused() view returns (bool)"]);

/** A submitted transfer. */
export type TransferHandle = {
  readonly transferId: string;
  /** Every event so far, in order. */
  readonly events: readonly CctpTransferEvent[];
  /** Calls `listener` for every later event; returns an unsubscribe function. */
  onEvent(listener: (event: CctpTransferEvent) => void): () => void;
  /** Resolves with the result (received / already_received); rejects with the error (after `failed`). */
  readonly done: Promise<TransferResult>;
};

/** Reads one breaker's paused() at the latest block. */
export type BreakerReader = (
  ref: BreakerRef & { chain: string },
) => Promise<{ paused: boolean; blockNumber: bigint }>;

export type CreateCctpTransferServiceArgs = {
  readonly setup: CctpSetup;
  /** Builds the transfer client with the service's event sink (createTransferClient({ …, onEvent })). */
  readonly createClient: (onEvent: (event: CctpTransferEvent) => Promise<void>) => TransferClient;
  /** Where lifecycle events are published and breakerEvents come from (none: events stay local). */
  readonly bus?: Bus | undefined;
  /** Consumer group of the breakerEvents subscription (default "cctp-transfer-service"). */
  readonly groupId?: string;
  /** paused() reads; default through the client's chain clients. */
  readonly readBreaker?: BreakerReader;
  /** Chain clients for the default breaker reads (createCctpChainClients). */
  readonly chainClients?: ((chain: ResolvedCctpChain) => CctpChainClients) | undefined;
  /** Re-read every breaker this often after start, ms (default: never; only at start). */
  readonly reconcileIntervalMs?: number | undefined;
  readonly logger: Logger;
  readonly metrics?: Pick<KeeperMetrics, "cctpTransfersHeld" | "cctpAssetPaused"> | undefined;
};

export type CctpTransferService = {
  /** Subscribes to breakerEvents and reads every asset breaker. */
  start(): Promise<void>;
  submit(request: TransferRequest): TransferHandle;
  /** Continues a transfer from its burn transaction (attestation, then a gated receive). */
  resume(args: { chain: string; burnTxHash: `0x${string}`; transferId?: string }): TransferHandle;
  isPaused(assetId: string): boolean;
  /** Transfers currently held, per asset. */
  held(assetId: string): number;
  /** Re-reads every breaker now; resolves with the number of failed reads (each is logged). */
  reconcile(): Promise<number>;
  /** Resolves once the start reads and every delivered breaker event have been applied. */
  readonly pauseState: PauseState;
  /** Stops: unsubscribes; transfers still waiting reject with CctpServiceStoppedError (resume them later). */
  stop(): Promise<void>;
};

type Waiting = {
  readonly transfer: AnyTransfer;
  readonly stage: CctpTransferStage;
  /** Held (paused when it queued, or paused while it waited): resumed is reported on release. */
  held: boolean;
  heldAt: number;
  hold: number;
  /** Let go by drain (its step is running). */
  released: boolean;
  release: () => void;
  reject: (error: unknown) => void;
  /** Resolves when the released step finished (the next one may go). */
  finished: Promise<void>;
  finish: () => void;
};

type Lane = {
  readonly assetId: string;
  readonly waiting: Waiting[];
  draining: boolean;
};

type Tracked = {
  readonly events: CctpTransferEvent[];
  readonly listeners: Set<(event: CctpTransferEvent) => void>;
  holds: number;
};

export function createCctpTransferService(args: CreateCctpTransferServiceArgs): CctpTransferService {
  const { setup, bus, metrics } = args;
  const logger = args.logger.child({ component: "cctp_transfer_service" });
  const breakers: (BreakerRef & { chain: string })[] = setup.assets.flatMap((a) =>
    a.deployments.map((d) => ({ assetId: a.id, chainId: d.chainId, breaker: d.breaker, chain: d.chain })),
  );
  const state = createPauseState(breakers);
  const lanes = new Map<string, Lane>();
  const tracked = new Map<string, Tracked>();
  let subscription: Subscription | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const abort = new AbortController();

  const client = args.createClient(dispatch);

  const readBreaker: BreakerReader =
    args.readBreaker ??
    (async (ref) => {
      const chain = setup.chainByName(ref.chain);
      if (chain === undefined || args.chainClients === undefined) {
        throw new Error(`Cannot read breaker ${ref.breaker}: no chain clients for ${ref.chain}.`);
      }
      const pc = args.chainClients(chain).public;
      const blockNumber = await pc.getBlockNumber({ cacheTime: 0 });
      const paused = await pc.readContract({
        address: ref.breaker,
        abi: breakerAbi,
        functionName: "paused",
        blockNumber,
      });
      return { paused, blockNumber };
    });

  async function readOne(b: BreakerRef & { chain: string }): Promise<void> {
    const { paused, blockNumber } = await readBreaker(b);
    const change = state.applyRead(b, paused, blockNumber);
    if (change) onPauseChange(change.assetId);
  }

  async function reconcile(): Promise<number> {
    const results = await Promise.allSettled(breakers.map(readOne));
    let failed = 0;
    results.forEach((r, i) => {
      if (r.status === "fulfilled") return;
      failed++;
      const b = breakers[i]!;
      logger.warn({ asset: b.assetId, chain: b.chain, err: r.reason }, "cctp breaker read failed");
    });
    return failed;
  }

  function schedule(): void {
    const every = args.reconcileIntervalMs;
    if (every === undefined || stopped) return;
    timer = setTimeout(() => {
      reconcile()
        .catch(() => 0)
        .finally(schedule);
    }, every);
    timer.unref?.();
  }

  function laneOf(assetId: string): Lane {
    let lane = lanes.get(assetId);
    if (lane === undefined) {
      lane = { assetId, waiting: [], draining: false };
      lanes.set(assetId, lane);
    }
    return lane;
  }

  function heldCount(assetId: string, stage?: CctpTransferStage): number {
    return (lanes.get(assetId)?.waiting ?? []).filter(
      (w) => w.held && (stage === undefined || w.stage === stage),
    ).length;
  }

  function updateGauges(assetId: string): void {
    if (assetId === "usdc") return;
    for (const stage of ["burn", "receive"] as const) {
      metrics?.cctpTransfersHeld.set({ asset: assetId, stage }, heldCount(assetId, stage));
    }
    metrics?.cctpAssetPaused.set({ asset: assetId }, state.isPaused(assetId) ? 1 : 0);
  }

  async function publish(event: CctpTransferEvent): Promise<void> {
    if (bus === undefined) return;
    for (let attempt = 1; ; attempt++) {
      try {
        await bus.publish([{ payload: event }]);
        return;
      } catch (err) {
        if (!isRetryable(err) || attempt >= 5) {
          logger.error(
            { transfer_id: event.transferId, event: event.event, err },
            "cctp transfer event not published",
          );
          return;
        }
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      }
    }
  }

  async function dispatch(event: CctpTransferEvent): Promise<void> {
    const t = tracked.get(event.transferId);
    if (t !== undefined) {
      t.events.push(event);
      for (const l of t.listeners) {
        try {
          l(event);
        } catch (err) {
          logger.error({ err }, "cctp transfer listener threw");
        }
      }
    }
    await publish(event);
  }

  /** Releases held transfers of an unpaused asset in order, one step at a time. */
  async function drain(lane: Lane): Promise<void> {
    if (lane.draining) return;
    lane.draining = true;
    try {
      while (lane.waiting.length > 0 && !state.isPaused(lane.assetId) && !stopped) {
        const next = lane.waiting[0]!;
        next.released = true;
        next.release();
        await next.finished;
        lane.waiting.shift();
        updateGauges(lane.assetId);
      }
    } finally {
      lane.draining = false;
    }
  }

  /** Reports `held` for a waiting entry (the asset is paused). */
  async function hold(entry: Waiting, lane: Lane): Promise<void> {
    const t = tracked.get(entry.transfer.transferId);
    entry.held = true;
    entry.heldAt = Date.now();
    entry.hold = t ? ++t.holds : 1;
    updateGauges(lane.assetId);
    const { transfer, stage } = entry;
    logger.info(
      {
        transfer_id: transfer.transferId,
        asset: transfer.assetId,
        stage,
        paused_chains: state.pausedChains(lane.assetId),
      },
      "cctp transfer held: the asset is paused",
    );
    await dispatch({
      ...transferEventCommon(transfer),
      event: "held",
      stage,
      pausedChainIds: state.pausedChains(lane.assetId),
      hold: entry.hold,
      burnTxHash: "burnTxHash" in transfer ? transfer.burnTxHash : undefined,
    });
  }

  /**
   * Waits until `transfer` may do `stage`: at once when the asset is not paused and nothing of it is
   * queued; else it queues (held while paused; `front` puts a transfer refused by TokenPaused back first).
   * Returns `finish`, to call when the step is done.
   */
  async function gate(transfer: AnyTransfer, stage: CctpTransferStage, front = false): Promise<() => void> {
    if (transfer.assetId === "usdc") return () => {};
    const lane = laneOf(transfer.assetId);
    if (!state.isPaused(lane.assetId) && lane.waiting.length === 0) return () => {};
    let release!: () => void;
    let reject!: (e: unknown) => void;
    let finish!: () => void;
    const released = new Promise<void>((res, rej) => {
      release = res;
      reject = rej;
    });
    const finished = new Promise<void>((res) => {
      finish = res;
    });
    const entry: Waiting = {
      transfer,
      stage,
      held: false,
      heldAt: 0,
      hold: 0,
      released: false,
      release,
      reject,
      finished,
      finish,
    };
    if (front) lane.waiting.unshift(entry);
    else lane.waiting.push(entry);
    if (state.isPaused(lane.assetId)) await hold(entry, lane);
    else void drain(lane); // not paused: only queued behind earlier transfers
    await released;
    if (entry.held) {
      const heldMs = Date.now() - entry.heldAt;
      logger.info({ transfer_id: transfer.transferId, stage, held_ms: heldMs }, "cctp transfer resumed");
      await dispatch({
        ...transferEventCommon(transfer),
        event: "resumed",
        stage,
        hold: entry.hold,
        heldMs,
        burnTxHash: "burnTxHash" in transfer ? transfer.burnTxHash : undefined,
      });
    }
    return finish;
  }

  /** Runs one gated step; a TokenPaused revert marks the chain paused and holds the transfer again. */
  async function step<T>(transfer: AnyTransfer, stage: CctpTransferStage, run: () => Promise<T>): Promise<T> {
    let refused = false;
    for (;;) {
      if (stopped) throw new CctpServiceStoppedError({ transferId: transfer.transferId });
      const finish = await gate(transfer, stage, refused);
      try {
        return await run();
      } catch (error) {
        if (!(error instanceof CctpTokenPausedError)) throw error;
        refused = true;
        const change = state.markPaused(error.chainId, transfer.assetId);
        if (change) onPauseChange(change.assetId);
        // No breaker of the asset on that chain to wait for: holding would retry forever.
        if (!state.isPaused(transfer.assetId)) throw error;
        logger.warn(
          { transfer_id: transfer.transferId, stage, chain_id: error.chainId },
          "cctp step refused: token paused; holding",
        );
      } finally {
        finish();
      }
    }
  }

  function onPauseChange(assetId: string): void {
    const paused = state.isPaused(assetId);
    logger.info(
      { asset: assetId, paused, paused_chains: state.pausedChains(assetId) },
      paused ? "cctp asset paused" : "cctp asset unpaused",
    );
    updateGauges(assetId);
    const lane = laneOf(assetId);
    if (!paused) {
      void drain(lane);
      return;
    }
    // Paused: transfers queued behind earlier ones (and not yet released) are held now.
    for (const w of lane.waiting) if (!w.held && !w.released) void hold(w, lane);
  }

  function track(transferId: string): { handle: Omit<TransferHandle, "done">; t: Tracked } {
    const t: Tracked = { events: [], listeners: new Set(), holds: 0 };
    tracked.set(transferId, t);
    return {
      t,
      handle: {
        transferId,
        get events() {
          return t.events;
        },
        onEvent(listener) {
          t.listeners.add(listener);
          return () => t.listeners.delete(listener);
        },
      },
    };
  }

  async function attestAndReceive(burned: BurnedTransfer): Promise<TransferResult> {
    let attested: AttestedTransfer;
    try {
      attested = await client.awaitAttestation(burned, { signal: abort.signal });
    } catch (error) {
      if (stopped) throw new CctpServiceStoppedError({ transferId: burned.transferId });
      throw await client.fail(burned, "attestation", error);
    }
    try {
      return await step(attested, "receive", () => client.receive(attested));
    } catch (error) {
      if (error instanceof CctpServiceStoppedError) throw error;
      throw await client.fail(attested, "receive", error);
    }
  }

  async function runTransfer(planned: PlannedTransfer): Promise<TransferResult> {
    let burned: BurnedTransfer;
    try {
      burned = await step(planned, "burn", () => client.burn(planned));
    } catch (error) {
      if (error instanceof CctpServiceStoppedError) throw error;
      throw await client.fail(planned, "burn", error);
    }
    return attestAndReceive(burned);
  }

  return {
    pauseState: state,
    isPaused: (assetId) => state.isPaused(assetId),
    held: (assetId) => heldCount(assetId),
    reconcile,

    async start() {
      if (bus !== undefined) {
        subscription = await bus.subscribe({
          topics: ["breakerEvents"],
          groupId: args.groupId ?? "cctp-transfer-service",
          fromBeginning: false,
          onMessage: (envelope) => {
            const change = state.applyMessage(envelope);
            if (change) onPauseChange(change.assetId);
          },
        });
      }
      await Promise.all(breakers.map(readOne));
      for (const a of setup.assets) updateGauges(a.id);
      schedule();
      logger.info(
        {
          breakers: breakers.length,
          paused: setup.assets.filter((a) => state.isPaused(a.id)).map((a) => a.id),
        },
        "cctp transfer service started",
      );
    },

    submit(request) {
      const planned = client.plan(request);
      const { handle } = track(planned.transferId);
      const done = runTransfer(planned);
      done.catch(() => {}); // the caller observes `done`; never an unhandled rejection
      return { ...handle, events: handle.events, done } as TransferHandle;
    },

    resume({ chain, burnTxHash, transferId }) {
      const id = transferId ?? `resume:${chain}:${burnTxHash}`;
      const { handle } = track(id);
      const done = (async () => {
        const burned = await client.findBurn({ chain, burnTxHash, transferId: id });
        return attestAndReceive(burned);
      })();
      done.catch(() => {});
      return { ...handle, done } as TransferHandle;
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      abort.abort(new CctpServiceStoppedError({ transferId: "(all)" }));
      await subscription?.close();
      for (const lane of lanes.values()) {
        for (const w of lane.waiting)
          w.reject(new CctpServiceStoppedError({ transferId: w.transfer.transferId }));
        lane.waiting.length = 0;
        updateGauges(lane.assetId);
      }
      logger.info({}, "cctp transfer service stopped");
    },
  };
}

import type { LocalAccount } from "viem";
import { createPauseExecutor, type PauseEvent, type PauseExecutor } from "../actions/pauseExecutor.ts";
import type { Bus, OutgoingMessage } from "../bus/port.ts";
import { checkpointIdOf, messageIdOf } from "../bus/routing.ts";
import { createTopicNames } from "../bus/topics.ts";
import type { Checkpoint } from "../bus/types.ts";
import { type AssetConfig, feeConfigFor, type KeeperConfig, policyFor } from "../config/schema.ts";
import type { Address, Decision, Hex } from "../engine/types.ts";
import { InvalidArgumentError, isRetryable, UnhandledVariantError } from "../internal/errors.ts";
import { backfill } from "../sources/backfill.ts";
import { type BreakerSource, createBreakerSource } from "../sources/breaker.ts";
import { assertChainId, type ChainClients, createChainClients } from "../sources/clients.ts";
import { createDedup } from "../sources/dedup.ts";
import { createHeadTracker, type HeadTracker } from "../sources/heads.ts";
import { createReserveFeedSource, type ReserveFeedSource } from "../sources/reserveFeed.ts";
import { createSupplySource, type SupplySource } from "../sources/supply.ts";
import { eventId, type SourceEvent, type SourceMeta } from "../sources/types.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { KeeperMetrics } from "../telemetry/metrics.ts";
import { type AssetWatch, type ChainView, createAssetWatch } from "./assetWatch.ts";
import { createEventQueue, type QueuedEvent } from "./eventQueue.ts";
import { describeDecision, toWholeTokens } from "./format.ts";

export type KeeperHooks = {
  /** Every decision taken (after it is published). */
  onDecision?: (
    decision: Decision,
    context: { trigger: SourceEvent; detectionMs: number | undefined },
  ) => void;
  /** Every source event handled (after dedup). */
  onEvent?: (event: SourceEvent, meta: SourceMeta) => void;
  /** Every pause step. */
  onPauseEvent?: (event: PauseEvent) => void;
};

export type CreateKeeperArgs = {
  readonly config: KeeperConfig;
  readonly bus: Bus;
  /** The keeper's signer; undefined = watch-only (decisions are published, nothing is sent). */
  readonly account: LocalAccount | undefined;
  readonly logger: Logger;
  readonly metrics: KeeperMetrics;
  /** Wall clock, unix seconds (tests inject one). */
  readonly now?: () => bigint;
  /** Period of the clock tick that finds stale feeds without chain events (default 1000 ms). */
  readonly tickIntervalMs?: number;
  readonly hooks?: KeeperHooks;
};

type ChainRuntime = {
  readonly config: KeeperConfig["chains"][number];
  readonly clients: ChainClients;
  readonly heads: HeadTracker;
};

type AssetRuntime = {
  readonly config: AssetConfig;
  readonly watch: AssetWatch;
  readonly feed: ReserveFeedSource;
  readonly supplies: { chainId: number; source: SupplySource }[];
  readonly breakers: { chainId: number; breaker: Address; source: BreakerSource }[];
  /** The decision id of the pause in progress, if any. */
  pausing: string | undefined;
  /** A pausing decision waiting for confirmations. */
  pending: Decision | undefined;
  /** The last pause ended with a failure on some chain: retry on the next decision, even a tick's. */
  retryPause: boolean;
};

const systemNow = () => BigInt(Math.floor(Date.now() / 1000));

/**
 * The keeper: sources → engine → bus + actions. Starts from the last checkpoint (backfill), then
 * follows the chains live; every observation and decision is published; a pausing decision pauses the
 * asset's breaker on every chain it lives on.
 */
export function createKeeper(args: CreateKeeperArgs) {
  const { config, bus, logger, metrics } = args;
  const now = args.now ?? systemNow;
  const hooks = args.hooks ?? {};
  const log = logger.child({ component: "keeper" });
  const chains = new Map<number, ChainRuntime>();
  const assets: AssetRuntime[] = [];
  const dedup = createDedup({ capacity: 200_000 });
  const chainByName = new Map(config.chains.map((c) => [c.name, c]));
  let executor: PauseExecutor | undefined;
  let tick: ReturnType<typeof setInterval> | undefined;
  let started = false;
  let stopping = false;
  let ready = false;
  const inflightPauses = new Set<Promise<unknown>>();
  /** Ids of chain-derived messages published above the checkpointed block, per chain (restart dedup). */
  const publishedAbove = new Map<number, Map<string, bigint>>();
  /** Ids a previous run published after its checkpoint: replayed into the engine, not published again. */
  let alreadyPublished = new Set<string>();
  /**
   * Chains whose position moved in this run. Until it moves, a chain's not-yet-replayed ids from the
   * previous run stay in every checkpoint: a crash during the restart's backfill must not forget them.
   */
  const advanced = new Set<number>();
  /** Id of the last decision published per asset: an identical one (same content, same second) is not sent again. */
  const lastDecisionIds = new Map<string, string>();
  let lastCheckpoint: Checkpoint | undefined;
  /** Checkpointed position per chain (advanced by maybeCheckpoint). */
  const positions: Record<number, { blockNumber: bigint; blockHash: Hex }> = {};

  const chainView: ChainView = {
    confirmations: (chainId, n) => chains.get(chainId)?.heads.confirmations(n) ?? 0n,
    isCanonical: (chainId, ref) => chains.get(chainId)?.heads.isCanonical(ref),
  };

  const queue = createEventQueue({
    handle: (item) => handle(item),
    onError: (error, item) =>
      log.error(
        { err: error, event_type: item.event.type, event_id: eventId(item.event) },
        "failed to handle event",
      ),
  });
  const emit = (event: SourceEvent, meta: SourceMeta) => queue.push(event, meta);

  // ---------------------------------------------------------------------------------------------
  // Event handling (serialised by the queue)
  // ---------------------------------------------------------------------------------------------

  async function handle({ event, meta }: QueuedEvent, opts: { publish?: boolean } = {}): Promise<void> {
    if (event.type !== "clock.tick" && event.type !== "block.head" && dedup.isDuplicate(event)) return;
    hooks.onEvent?.(event, meta);
    const out: OutgoingMessage[] = [];
    // Published by a previous run after its checkpoint: rebuild the state, keep it in the next
    // checkpoint's list, but do not publish it again.
    const republish = alreadyPublished.delete(eventId(event));
    if (republish) rememberPublished(event);
    const publish = (opts.publish ?? true) && !republish;
    switch (event.type) {
      case "block.head": {
        executor?.onHead(event.chainId, undefined);
        for (const a of assets) if (a.pending) considerPause(a, a.pending);
        await maybeCheckpoint(event.chainId);
        return;
      }
      case "block.reorged": {
        dedup.forgetBlocks(event);
        out.push({ payload: event });
        for (const a of assets) {
          if (!a.watch.observe(event)) continue;
          const d = decideAndAct(a, event, meta);
          if (d) out.push({ payload: d });
        }
        for (const ids of publishedAbove.values()) {
          for (const [id] of ids) if (event.dropped.some((b) => id.includes(b.hash))) ids.delete(id);
        }
        break;
      }
      case "reserve.observed":
      case "supply.observed":
      case "bridge.baseline": {
        const a = assets.find((x) => x.config.id === event.assetId);
        if (!a) return;
        if (publish) out.push({ payload: event });
        a.watch.observe(event);
        const d = decideAndAct(a, event, meta);
        if (d) out.push({ payload: d });
        break;
      }
      case "feed.heartbeat_missed": {
        if (publish) out.push({ payload: event });
        const a = assets.find((x) => x.config.id === event.assetId);
        if (a) {
          const d = decideAndAct(a, event, meta);
          if (d) out.push({ payload: d });
        }
        break;
      }
      case "clock.tick": {
        for (const a of assets) {
          const before = a.watch.lastDecision()?.type;
          const d = decideAndAct(a, event, meta);
          if (d && d.type !== before) out.push({ payload: d });
        }
        break;
      }
      case "breaker.observed": {
        if (publish) out.push({ payload: event });
        const paused = event.kind === "paused" || event.kind === "tripped";
        if (event.kind !== "signers_changed") {
          metrics.breakerPaused.set({ asset: event.assetId, chain: String(event.chainId) }, paused ? 1 : 0);
        }
        break;
      }
      default: {
        const never: never = event;
        throw new UnhandledVariantError({ subject: "source event", value: (never as { type: string }).type });
      }
    }
    if (out.length > 0) await publishBatch(out);
  }

  /** Runs the engine for one asset, updates metrics, starts a pause when the decision asks for one. */
  function decideAndAct(a: AssetRuntime, trigger: SourceEvent, meta: SourceMeta): Decision | undefined {
    const decision = a.watch.decide(now());
    const asset = a.config.id;
    const detectionMs = trigger.type === "clock.tick" ? undefined : performance.now() - meta.receivedAtMs;
    if (detectionMs !== undefined) metrics.detectionLatencySeconds.observe({ asset }, detectionMs / 1000);
    metrics.decisionsTotal.inc({ asset, decision: decision.type });
    for (const kind of ["healthy", "warning", "breach", "stale", "unknown"] as const) {
      metrics.decisionState.set({ asset, decision: kind }, kind === decision.type ? 1 : 0);
    }
    if (decision.ratioBps !== undefined) {
      metrics.reserveRatioBps.set({ asset }, Number(decision.ratioBps));
      metrics.reserveDelta.set({ asset }, toWholeTokens(decision.delta));
      metrics.reserves.set({ asset }, toWholeTokens(decision.reserves));
      for (const c of decision.perChain)
        metrics.supply.set({ asset, chain: String(c.chainId) }, toWholeTokens(c.supply));
      metrics.supplyInFlight.set({ asset }, toWholeTokens(decision.inFlight));
    }
    const reserve = decision.inputs.reserve;
    if (reserve) metrics.feedAgeSeconds.set({ asset }, Number(now() - reserve.updatedAt));
    if (decision.changed) {
      log.info(
        {
          asset,
          decision: decision.type,
          previous: decision.previousType,
          summary: describeDecision(decision),
        },
        "decision changed",
      );
    }
    if (decision.shouldPause) {
      // Act on news (an observation, or entering a pausing state) and after a failed attempt; a clock
      // tick repeating an unchanged breach does not re-pause a breaker the signers chose to unpause.
      const news = trigger.type !== "clock.tick" && trigger.type !== "block.head";
      if (news || decision.changed || a.retryPause || a.pending) considerPause(a, decision);
    } else {
      a.pending = undefined;
    }
    hooks.onDecision?.(decision, { trigger, detectionMs });
    return decision;
  }

  /** Pauses now, or remembers the decision until its inputs have enough confirmations. */
  function considerPause(a: AssetRuntime, decision: Decision): void {
    const gate = a.watch.pauseGate(decision, chainView);
    if (gate.type === "none") {
      a.pending = undefined;
      return;
    }
    if (gate.type === "wait") {
      if (!a.pending)
        log.info(
          { asset: a.config.id, chain: gate.chainId, have: gate.have, need: gate.need },
          "pause waits for confirmations",
        );
      a.pending = decision;
      return;
    }
    a.pending = undefined;
    if (!executor || !config.actions.enabled) return;
    if (a.pausing) return;
    // Every chain, whatever the cached state says: the executor reads paused() on chain first.
    const targets = a.breakers.map(({ chainId, breaker }) => ({ chainId, breaker }));
    const decisionId = messageIdOf(decision);
    a.pausing = decisionId;
    const reason = pauseReason(decision);
    const p = executor
      .pause({
        assetId: a.config.id,
        decisionId,
        reason,
        observedReserves: decision.reserves ?? 0n,
        observedSupply: decision.supply ?? 0n,
        targets,
        decidedAtMs: performance.now(),
      })
      .then((results) => {
        a.retryPause = results.some((r) => r.outcome === "failed");
        for (const r of results) {
          log.info(
            {
              asset: a.config.id,
              chain: r.chainId,
              outcome: r.outcome,
              tx_hash: r.txHash,
              block: r.blockNumber,
              attempts: r.attempts,
            },
            "pause finished",
          );
        }
      })
      .catch((err) => {
        a.retryPause = true;
        log.error({ err, asset: a.config.id }, "pause failed");
      })
      .finally(() => {
        a.pausing = undefined;
        inflightPauses.delete(p);
      });
    inflightPauses.add(p);
  }

  // ---------------------------------------------------------------------------------------------
  // Publishing and checkpoints
  // ---------------------------------------------------------------------------------------------

  /**
   * Publishes one batch together with the checkpoint that covers it (one Kafka transaction): chain
   * positions every source has swept to, plus the ids of chain-derived messages published above them.
   * A crash can never leave a published message out of the checkpoint, so a restart republishes nothing.
   */
  async function publishBatch(batch: OutgoingMessage[]): Promise<void> {
    const isRepeat = (p: OutgoingMessage["payload"]) =>
      "shouldPause" in p && lastDecisionIds.get(p.assetId) === messageIdOf(p);
    const messages = batch.filter((m) => !isRepeat(m.payload));
    if (messages.length === 0) return;
    for (const m of messages) rememberPublished(m.payload);
    const checkpoint = buildCheckpoint();
    // The same checkpoint as the last one saved (e.g. a decision-only batch) is not written again.
    const changed =
      lastCheckpoint === undefined || checkpointIdOf(checkpoint) !== checkpointIdOf(lastCheckpoint);
    await withRetry("publish", () => bus.publish(messages, changed ? { checkpoint } : {}));
    if (changed) lastCheckpoint = checkpoint;
    for (const m of messages)
      if ("shouldPause" in m.payload) lastDecisionIds.set(m.payload.assetId, messageIdOf(m.payload));
  }

  function rememberPublished(p: OutgoingMessage["payload"] | SourceEvent): void {
    if (p.type === "reserve.observed" || p.type === "supply.observed" || p.type === "breaker.observed") {
      const ids = publishedAbove.get(p.chainId) ?? new Map<string, bigint>();
      ids.set(eventId(p), p.block.number);
      publishedAbove.set(p.chainId, ids);
    }
  }

  function buildCheckpoint(): Checkpoint {
    return {
      keeperId: config.keeperId,
      chains: { ...positions },
      savedAt: new Date().toISOString(),
      publishedAbove: [
        ...[...alreadyPublished].filter((id) => !advanced.has(Number(id.slice(0, id.indexOf(":"))))),
        ...[...publishedAbove.values()].flatMap((m) => [...m.keys()]),
      ].sort(),
    };
  }

  /** Where every source of a chain has swept to: all logs up to it were emitted (and so handled). */
  function coveredTo(chainId: number): bigint | undefined {
    const marks: (bigint | undefined)[] = [];
    for (const a of assets) {
      if (chainByName.get(a.config.feed.chain)?.id === chainId) marks.push(a.feed.coveredTo());
      for (const s of a.supplies) if (s.chainId === chainId) marks.push(s.source.coveredTo());
      for (const b of a.breakers) if (b.chainId === chainId) marks.push(b.source.coveredTo());
    }
    if (marks.length === 0 || marks.some((m) => m === undefined)) return undefined;
    return (marks as bigint[]).reduce((x, y) => (y < x ? y : x));
  }

  /** On a new head: advance the chain's position to what the sources have covered, and save it. */
  async function maybeCheckpoint(chainId: number): Promise<void> {
    const rt = chains.get(chainId);
    const head = rt?.heads.head();
    if (!rt || !head) return;
    // Only with nothing queued: a sweep may have marked a block covered while a log it found still
    // waits in the queue behind this head; advancing now could checkpoint past an unpublished log.
    const covered = queue.size() === 0 ? coveredTo(chainId) : undefined;
    const previous = positions[chainId]?.blockNumber;
    if (covered !== undefined && (previous === undefined || covered > previous)) {
      const block = await rt.clients.http.getBlock({ blockNumber: covered }).catch(() => undefined);
      if (block?.hash) {
        positions[chainId] = { blockNumber: covered, blockHash: block.hash };
        advanced.add(chainId); // covered >= the head at start: the previous run published nothing above it
        const ids = publishedAbove.get(chainId);
        if (ids) for (const [id, n] of ids) if (n <= covered) ids.delete(id);
        const checkpoint = buildCheckpoint();
        await withRetry("checkpoint", () => bus.publish([], { checkpoint }));
        lastCheckpoint = checkpoint;
      }
    }
    const at = positions[chainId]?.blockNumber;
    metrics.checkpointLagBlocks.set(
      { chain: String(chainId) },
      at === undefined ? 0 : Number(head.number - at),
    );
  }

  async function withRetry(what: string, fn: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!isRetryable(err) || attempt >= 5 || stopping) throw err;
        log.warn({ err, attempt, what }, "bus operation failed; retrying");
        await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 5_000)));
      }
    }
  }

  /** Pause steps go to breaker.events as they happen (their shapes are the bus's pause lifecycle types). */
  function publishPauseEvent(e: PauseEvent): void {
    hooks.onPauseEvent?.(e);
    bus
      .publish([{ payload: e }])
      .catch((err) => log.error({ err, type: e.type }, "failed to publish pause event"));
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle
  // ---------------------------------------------------------------------------------------------

  async function start(): Promise<void> {
    if (started) throw new InvalidArgumentError({ name: "keeper", reason: "is already started" });
    started = true;
    for (const c of config.chains) {
      const clients = createChainClients({
        chainId: c.id,
        httpUrl: c.rpc.http,
        wsUrl: c.rpc.ws,
        logger,
        metrics,
      });
      await assertChainId(clients.http, c.id);
      const heads = createHeadTracker({
        chainId: c.id,
        clients,
        pollIntervalMs: c.pollIntervalMs,
        reorgWindow: Number(c.reorgWindow),
        emit,
        logger,
        metrics,
        onError: (err) => log.error({ err, chain: c.id }, "head tracker error"),
      });
      chains.set(c.id, { config: c, clients, heads });
    }

    const checkpoint = await bus.checkpoints.load();
    lastCheckpoint = checkpoint;
    alreadyPublished = new Set(checkpoint?.publishedAbove ?? []);
    for (const [id, cp] of Object.entries(checkpoint?.chains ?? {})) positions[Number(id)] = { ...cp };

    // Where each chain resumes: the checkpoint (if its block is still canonical) or the deployment block.
    const heads = new Map<number, bigint>();
    for (const [id, c] of chains) heads.set(id, await c.clients.http.getBlockNumber());
    const startFrom = new Map<number, bigint>();
    for (const [id, c] of chains) {
      const cp = checkpoint?.chains[id];
      let from: bigint | undefined;
      if (cp) {
        const block = await c.clients.http.getBlock({ blockNumber: cp.blockNumber }).catch(() => undefined);
        from = block?.hash === cp.blockHash ? cp.blockNumber : cp.blockNumber - c.config.reorgWindow;
        if (from < 0n) from = 0n;
      } else {
        const deployed = config.assets.flatMap((a) =>
          a.deployments.filter((d) => chainByName.get(d.chain)?.id === id).map((d) => d.deployedAtBlock),
        );
        const known = deployed.filter((n): n is bigint => n !== undefined);
        from = known.length > 0 ? known.reduce((x, y) => (y < x ? y : x)) : heads.get(id)!;
      }
      startFrom.set(id, from);
    }

    // Failure counters exist from the start at 0, so increase() in alert rules sees the first failure.
    for (const c of config.chains) {
      const chain = String(c.id);
      metrics.rpcErrorsTotal.inc({ chain }, 0);
      metrics.reorgsTotal.inc({ chain }, 0);
      for (const a of config.assets) {
        for (const result of ["failed", "reverted"])
          metrics.pauseTxTotal.inc({ asset: a.id, chain, result }, 0);
      }
    }
    const topicNames = createTopicNames({
      prefix: config.bus.type === "kafka" ? config.bus.topicPrefix : "",
    });
    for (const id of ["observations", "decisions", "breakerEvents"] as const) {
      metrics.busPublishErrorsTotal.inc({ topic: topicNames[id] }, 0);
    }
    for (const asset of config.assets) {
      metrics.feedHeartbeatSeconds.set({ asset: asset.id }, Number(asset.heartbeatSeconds));
      metrics.feedGraceSeconds.set({ asset: asset.id }, Number(asset.graceSeconds));
      metrics.ratioThresholdBps.set(
        { asset: asset.id, threshold: "warn" },
        Number(asset.thresholds.warnRatioBps),
      );
      metrics.ratioThresholdBps.set(
        { asset: asset.id, threshold: "pause" },
        Number(asset.thresholds.pauseRatioBps),
      );
      const feedChain = chainByName.get(asset.feed.chain)!;
      const deployments = asset.deployments.map((d) => ({ d, chain: chainByName.get(d.chain)! }));
      const confirmations = new Map<number, bigint>(config.chains.map((c) => [c.id, c.confirmations]));
      const watch = createAssetWatch({
        assetId: asset.id,
        feed: { chainId: feedChain.id, address: asset.feed.proxy },
        supplyChainIds: deployments.map(({ chain }) => chain.id),
        reorgDepth: config.chains.reduce((m, c) => (c.reorgWindow > m ? c.reorgWindow : m), 0n),
        policy: policyFor(asset),
        confirmations,
      });
      const feedRt = chains.get(feedChain.id)!;
      const feed = createReserveFeedSource({
        assetId: asset.id,
        chainId: feedChain.id,
        proxy: asset.feed.proxy,
        clients: feedRt.clients,
        heartbeatSeconds: asset.heartbeatSeconds,
        graceSeconds: asset.graceSeconds,
        reconcileIntervalMs: feedChain.reconcileIntervalMs,
        now,
        emit,
        logger,
        metrics,
        startBlock: heads.get(feedChain.id),
        maxLogRange: feedChain.maxLogRange,
      });
      const supplies = deployments.map(({ d, chain }) => ({
        chainId: chain.id,
        source: createSupplySource({
          assetId: asset.id,
          chainId: chain.id,
          token: d.token,
          clients: chains.get(chain.id)!.clients,
          reconcileIntervalMs: chain.reconcileIntervalMs,
          emit,
          logger,
          metrics,
          startBlock: heads.get(chain.id),
          maxLogRange: chain.maxLogRange,
          bridgeMessengers: d.cctpMessengers,
        }),
      }));
      const breakers = deployments.map(({ d, chain }) => ({
        chainId: chain.id,
        breaker: d.breaker,
        source: createBreakerSource({
          assetId: asset.id,
          chainId: chain.id,
          breaker: d.breaker,
          clients: chains.get(chain.id)!.clients,
          emit,
          reconcileIntervalMs: chain.reconcileIntervalMs,
          logger,
          metrics,
          startBlock: heads.get(chain.id),
          maxLogRange: chain.maxLogRange,
        }),
      }));
      assets.push({
        config: asset,
        watch,
        feed,
        supplies,
        breakers,
        pausing: undefined,
        pending: undefined,
        retryPause: false,
      });
    }

    if (args.account && config.actions.enabled) {
      executor = createPauseExecutor({
        account: args.account,
        chains: [...chains.values()].map((c) => ({
          chainId: c.config.id,
          publicClient: c.clients.http,
        })),
        fees: feeConfigFor(config.actions),
        metrics,
        logger,
        onEvent: publishPauseEvent,
      });
    }

    // Live first (held), then backfill up to the heads, then the held live events.
    queue.hold();
    await Promise.all([...chains.values()].map((c) => c.heads.start()));
    for (const a of assets) {
      await a.feed.start();
      for (const s of a.supplies) await s.source.start();
      for (const b of a.breakers) await b.source.start();
    }
    await queue.idle();
    const backfillEmit = (event: SourceEvent, meta: SourceMeta) => backfillEvents.push({ event, meta });
    const backfillEvents: QueuedEvent[] = [];
    for (const a of assets) {
      const feedChainId = chainByName.get(a.config.feed.chain)!.id;
      for (const d of a.config.deployments) {
        const chainId = chainByName.get(d.chain)!.id;
        const c = chains.get(chainId)!;
        await backfill({
          assetId: a.config.id,
          chainId,
          from: startFrom.get(chainId)!,
          to: heads.get(chainId)!,
          maxLogRange: c.config.maxLogRange,
          clients: c.clients,
          feed: chainId === feedChainId ? { proxy: a.config.feed.proxy } : undefined,
          token: d.token,
          breaker: d.breaker,
          bridge: { messengers: d.cctpMessengers, fromBlock: d.deployedAtBlock ?? startFrom.get(chainId)! },
          emit: backfillEmit,
          logger,
          metrics,
        });
      }
    }
    for (const item of backfillEvents) {
      // The baseline read at the checkpoint block is state, not news: publish it only on a first start.
      const e = item.event;
      const baseline =
        e.type === "bridge.baseline" ||
        ((e.type === "reserve.observed" || e.type === "supply.observed") &&
          e.logIndex === undefined &&
          e.source === "backfill");
      await handle(item, { publish: !(baseline && checkpoint) });
    }
    queue.release();
    await executor?.warm(
      assets.flatMap((a) => a.breakers.map(({ chainId, breaker }) => ({ chainId, breaker }))),
    );
    tick = setInterval(
      () => emit({ type: "clock.tick", now: now() }, { receivedAtMs: performance.now() }),
      args.tickIntervalMs ?? 1_000,
    );
    ready = true;
    metrics.up.set(1);
    log.info(
      { chains: config.chains.map((c) => c.id), assets: config.assets.map((a) => a.id) },
      "keeper started",
    );
  }

  async function stop(): Promise<void> {
    if (stopping) return;
    stopping = true;
    ready = false;
    metrics.up.set(0);
    if (tick) clearInterval(tick);
    for (const a of assets) {
      await a.feed.stop().catch(() => {});
      for (const s of a.supplies) await s.source.stop().catch(() => {});
      for (const b of a.breakers) await b.source.stop().catch(() => {});
    }
    for (const c of chains.values()) await c.heads.stop().catch(() => {});
    await queue.idle();
    await Promise.allSettled([...inflightPauses]);
    executor?.close();
    for (const c of chains.values()) await c.clients.close().catch(() => {});
    log.info("keeper stopped");
  }

  return {
    start,
    stop,
    /** Resolves when every queued event has been handled. */
    idle: () => queue.idle(),
    isReady: () => ready,
    health: () => ({ ok: started && !stopping, details: { queued: queue.size() } }),
    decisions: () => Object.fromEntries(assets.map((a) => [a.config.id, a.watch.lastDecision()])),
  };
}

export type Keeper = ReturnType<typeof createKeeper>;

function pauseReason(decision: Decision): string {
  const r = decision.reasons.map((x) => x.type).join(",");
  return `reserve-keeper ${decision.type}: ${r}`.slice(0, 200);
}

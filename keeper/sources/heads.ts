import { BlockNotFoundError } from "viem";
import type { BlockRef, Hex } from "../engine/types.ts";
import {
  InvalidArgumentError,
  type KeeperError,
  NonRetryableError,
  RetryableError,
} from "../internal/errors.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { KeeperMetrics } from "../telemetry/metrics.ts";
import { assertChainId, type ChainClients, ChainIdMismatchError, RpcRequestFailedError } from "./clients.ts";
import type { Emit, Source } from "./types.ts";

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** The fork point of a reorg lies below the tracker's window: observations older than the window may be void. */
export class ReorgTooDeepError extends NonRetryableError {
  declare readonly code: "REORG_TOO_DEEP";
  constructor({
    chainId,
    reorgWindow,
    droppedFrom,
    droppedTo,
    newHead,
  }: {
    chainId: number;
    reorgWindow: number;
    droppedFrom: bigint;
    droppedTo: bigint;
    newHead: bigint;
  }) {
    super({
      shortMessage: `Reorg on chain ${chainId} is deeper than the reorg window of ${reorgWindow} blocks.`,
      code: "REORG_TOO_DEEP",
      details: { chainId, reorgWindow, droppedFrom, droppedTo, newHead },
    });
  }
}

/** A block the chain should have (a parent, or a number below the head) could not be fetched. */
export class BlockUnavailableError extends RetryableError {
  declare readonly code: "BLOCK_UNAVAILABLE";
  constructor({ chainId, block }: { chainId: number; block: bigint | string }) {
    super({
      shortMessage: `Block ${block} on chain ${chainId} is not available from the node.`,
      code: "BLOCK_UNAVAILABLE",
      details: { chainId, block },
    });
  }
}

/** The WebSocket subscription stayed silent while the chain advanced over HTTP. */
export class SubscriptionStalledError extends RetryableError {
  declare readonly code: "SUBSCRIPTION_STALLED";
  constructor({ chainId, silentMs, httpHead }: { chainId: number; silentMs: number; httpHead: bigint }) {
    super({
      shortMessage: `newHeads subscription on chain ${chainId} was silent for ${silentMs} ms while the chain advanced.`,
      code: "SUBSCRIPTION_STALLED",
      details: { chainId, silentMs, httpHead },
    });
  }
}

/** eth_subscribe newHeads got no answer in time. */
export class SubscribeTimeoutError extends RetryableError {
  declare readonly code: "SUBSCRIBE_TIMEOUT";
  constructor({ chainId, timeoutMs }: { chainId: number; timeoutMs: number }) {
    super({
      shortMessage: `eth_subscribe newHeads on chain ${chainId} got no answer within ${timeoutMs} ms.`,
      code: "SUBSCRIBE_TIMEOUT",
      details: { chainId, timeoutMs },
    });
  }
}

// ---------------------------------------------------------------------------------------------
// The follower: window + gap filling + reorg detection over an abstract block source (pure logic)
// ---------------------------------------------------------------------------------------------

/** The header fields the tracker keeps, plus when the process received them (performance.now() ms). */
export type ChainBlock = {
  readonly number: bigint;
  readonly hash: Hex;
  readonly parentHash: Hex;
  /** Unix seconds. */
  readonly timestamp: bigint;
  readonly receivedAtMs: number;
};

/** Where the follower reads blocks. `undefined` = the node does not have that block. */
export type BlockFetcher = {
  latest(): Promise<ChainBlock>;
  byNumber(number: bigint): Promise<ChainBlock | undefined>;
  byHash(hash: Hex): Promise<ChainBlock | undefined>;
};

export type CreateHeadFollowerArgs = {
  chainId: number;
  fetcher: BlockFetcher;
  /** How many recent blocks are kept (number → hash, parentHash); reorgs up to this depth are resolved exactly. */
  reorgWindow: number;
  emit: Emit;
  /** Called with ReorgTooDeepError after the block.reorged of a reorg deeper than the window. */
  onError?: ((error: KeeperError) => void) | undefined;
  logger?: Logger | undefined;
  metrics?: Pick<KeeperMetrics, "headBlock" | "reorgsTotal"> | undefined;
  /** Parallel block fetches while filling a gap (default 10). */
  fillConcurrency?: number;
};

export type HeadFollower = {
  /**
   * Brings the window to `target` (a head announced by a subscription) or, without it, to the node's
   * latest block: fills gaps by number, resolves reorgs by walking parent hashes back to the fork point,
   * emits `block.reorged` then `block.head` for each new canonical block, in order, exactly once.
   * Calls are serialised. Rejects (RetryableError) when the node cannot serve a needed block; the window
   * stays consistent and the next call resumes.
   */
  sync(target?: ChainBlock): Promise<void>;
  head(): BlockRef | undefined;
  isCanonical(ref: BlockRef): boolean | undefined;
  confirmations(blockNumber: bigint): bigint;
  /** The window, oldest first (for tests and diagnostics). */
  window(): readonly ChainBlock[];
};

const ref = (b: ChainBlock): BlockRef => ({ number: b.number, hash: b.hash });

/**
 * The head-following logic without any transport: a window of the last `reorgWindow` blocks, each
 * linked to its parent. Every emitted `block.head` extends the previous one (parentHash = previous
 * hash) unless a `block.reorged` came in between, which lists the dropped blocks oldest first.
 */
export function createHeadFollower(args: CreateHeadFollowerArgs): HeadFollower {
  const { chainId, fetcher, emit, onError, logger, metrics } = args;
  const size = args.reorgWindow;
  if (!Number.isSafeInteger(size) || size < 1) {
    throw new InvalidArgumentError({
      name: "reorgWindow",
      reason: "must be a positive integer",
      value: size,
    });
  }
  const concurrency = Math.max(1, args.fillConcurrency ?? 10);
  const label = { chain: String(chainId) };
  /** Contiguous, ascending, each block's parentHash = the previous block's hash. */
  let blocks: ChainBlock[] = [];
  let queue: Promise<void> = Promise.resolve();

  const tip = () => blocks.at(-1);
  const at = (n: bigint): ChainBlock | undefined => {
    const first = blocks[0];
    if (!first) return undefined;
    const i = n - first.number;
    return i < 0n || i >= BigInt(blocks.length) ? undefined : blocks[Number(i)];
  };

  const safeEmit = (event: Parameters<Emit>[0], receivedAtMs: number) => {
    try {
      emit(event, { receivedAtMs });
    } catch (err) {
      logger?.error({ err, event_type: event.type }, "emit threw; event handed over anyway");
    }
  };

  const emitHead = (b: ChainBlock) => {
    safeEmit(
      { type: "block.head", chainId, block: ref(b), parentHash: b.parentHash, timestamp: b.timestamp },
      b.receivedAtMs,
    );
    metrics?.headBlock.set(label, Number(b.number));
  };

  const append = (b: ChainBlock) => {
    blocks.push(b);
    if (blocks.length > size) blocks.splice(0, blocks.length - size);
    emitHead(b);
  };

  const byNumber = async (n: bigint) => {
    const b = await fetcher.byNumber(n);
    if (!b) throw new BlockUnavailableError({ chainId, block: n });
    return b;
  };
  const byHash = async (h: Hex) => {
    const b = await fetcher.byHash(h);
    if (!b) throw new BlockUnavailableError({ chainId, block: h });
    return b;
  };

  /** `head` and up to size-1 ancestors, oldest first, linked by parent hash (fetched by number, checked, repaired by hash). */
  const loadWithAncestors = async (head: ChainBlock): Promise<ChainBlock[]> => {
    const from = head.number - BigInt(size - 1) > 0n ? head.number - BigInt(size - 1) : 0n;
    const numbers: bigint[] = [];
    for (let n = from; n < head.number; n++) numbers.push(n);
    const fetched: (ChainBlock | undefined)[] = [];
    for (let i = 0; i < numbers.length; i += concurrency) {
      fetched.push(...(await Promise.all(numbers.slice(i, i + concurrency).map((n) => fetcher.byNumber(n)))));
    }
    const chain = [head];
    for (let i = fetched.length - 1; i >= 0; i--) {
      const child = chain[0]!;
      let b = fetched[i];
      if (!b || b.hash !== child.parentHash) b = await byHash(child.parentHash);
      chain.unshift(b);
    }
    return chain;
  };

  const init = async (head: ChainBlock) => {
    blocks = await loadWithAncestors(head);
    logger?.info(
      { block_number: head.number, hash: head.hash, window: blocks.length },
      "started following heads",
    );
    emitHead(head);
  };

  /** After a reorg replaced blocks with fewer ones the window is short: refill it below (best effort). */
  const topUp = async () => {
    try {
      for (let first = blocks[0]; first && blocks.length < size && first.number > 0n; first = blocks[0]) {
        const parent = await fetcher.byHash(first.parentHash);
        if (!parent || blocks[0] !== first) return;
        blocks.unshift(parent);
      }
    } catch (err) {
      logger?.debug({ err }, "window top-up failed");
    }
  };

  const reportReorg = (dropped: readonly ChainBlock[], newHead: ChainBlock) => {
    safeEmit(
      { type: "block.reorged", chainId, dropped: dropped.map(ref), newHead: ref(newHead) },
      newHead.receivedAtMs,
    );
    metrics?.reorgsTotal.inc(label);
    metrics?.headBlock.set(label, Number(newHead.number));
  };

  /** `b` does not extend the tip: walk back to the fork point, report the dropped blocks, adopt the new branch. */
  const reorg = async (b: ChainBlock) => {
    const branch = [b];
    let cur = b;
    let fork: bigint | undefined;
    for (;;) {
      const first = blocks[0]!;
      const pn = cur.number - 1n;
      if (pn < 0n || pn < first.number - 1n) break;
      if (pn === first.number - 1n) {
        // The oldest entry's parentHash is the hash of the block just below the window.
        if (cur.parentHash === first.parentHash) fork = pn;
        break;
      }
      const known = at(pn);
      if (known && known.hash === cur.parentHash) {
        fork = pn;
        break;
      }
      cur = await byHash(cur.parentHash);
      branch.unshift(cur);
    }

    const oldTip = tip()!;
    if (fork !== undefined) {
      const forkAt = fork;
      const dropped = blocks.filter((x) => x.number > forkAt);
      blocks = blocks.filter((x) => x.number <= forkAt);
      logger?.warn(
        {
          depth: dropped.length,
          fork_number: forkAt,
          old_head: oldTip.number,
          new_head: b.number,
          hash: b.hash,
        },
        "detected reorg",
      );
      reportReorg(dropped, b);
      for (const x of branch) append(x);
      await topUp();
      return;
    }

    // Deeper than the window: every block we hold is gone. Resync on the new branch.
    const dropped = blocks;
    const oldFirst = dropped[0]!;
    const fresh = branch.length >= size ? branch.slice(-size) : await loadWithAncestors(b);
    const error = new ReorgTooDeepError({
      chainId,
      reorgWindow: size,
      droppedFrom: oldFirst.number,
      droppedTo: oldTip.number,
      newHead: b.number,
    });
    logger?.error({ err: error, new_head: b.number, hash: b.hash }, "detected reorg deeper than the window");
    reportReorg(dropped, b);
    onError?.(error);
    blocks = fresh;
    // Re-emit the new branch over the heights we had (or just the new head if the chain got shorter).
    let emitFrom = oldFirst.number;
    if (b.number < emitFrom) emitFrom = b.number;
    for (const x of fresh) if (x.number >= emitFrom) emitHead(x);
  };

  const step = async (b: ChainBlock) => {
    const last = tip()!;
    if (at(b.number)?.hash === b.hash) return;
    if (b.number === last.number + 1n && b.parentHash === last.hash) {
      append(b);
      return;
    }
    await reorg(b);
  };

  const doSync = async (hint: ChainBlock | undefined) => {
    let target = hint ?? (await fetcher.latest());
    const last = tip();
    if (!last) return init(target);
    await topUp();

    if (target.number < last.number) {
      // Head went backwards (node restart, rollback) or a lagging view: confirm our tip is gone.
      const atTip = await fetcher.byNumber(last.number);
      if (atTip?.hash === last.hash) return;
      target = await fetcher.latest();
      const known = at(target.number);
      if (known?.hash === target.hash && target.number < last.number) {
        const dropped = blocks.filter((x) => x.number > target.number);
        blocks = blocks.filter((x) => x.number <= target.number);
        logger?.warn(
          { depth: dropped.length, fork_number: target.number, old_head: last.number },
          "detected rollback",
        );
        reportReorg(dropped, target);
        return;
      }
    }

    if (at(target.number)?.hash === target.hash) return;
    const first = tip()!.number + 1n;
    for (let n = first; n < target.number; n += BigInt(concurrency)) {
      const count = target.number - n < BigInt(concurrency) ? Number(target.number - n) : concurrency;
      const batch = await Promise.all(Array.from({ length: count }, (_, i) => byNumber(n + BigInt(i))));
      for (const b of batch) await step(b);
    }
    await step(target);
  };

  return {
    sync(target) {
      const run = queue.then(() => doSync(target));
      queue = run.catch(() => {});
      return run;
    },
    head: () => {
      const t = tip();
      return t && ref(t);
    },
    isCanonical: (r) => {
      const b = at(r.number);
      return b === undefined ? undefined : b.hash === r.hash;
    },
    confirmations: (n) => {
      const t = tip();
      return t === undefined || n > t.number ? 0n : t.number - n + 1n;
    },
    window: () => blocks.slice(),
  };
}

// ---------------------------------------------------------------------------------------------
// The tracker: WebSocket newHeads with HTTP polling fallback, over a follower
// ---------------------------------------------------------------------------------------------

export type CreateHeadTrackerArgs = {
  chainId: number;
  clients: ChainClients;
  /** HTTP polling interval while the WebSocket is down (or absent). */
  pollIntervalMs: number;
  /** Recent blocks kept for reorg detection; reorgs up to this depth are resolved exactly. */
  reorgWindow: number;
  emit: Emit;
  logger: Logger;
  metrics: Pick<KeeperMetrics, "headBlock" | "reorgsTotal" | "wsConnected" | "rpcErrorsTotal">;
  /** Receives ReorgTooDeepError (resync older state, e.g. backfill from a checkpoint). */
  onError?: ((error: KeeperError) => void) | undefined;
  /** While subscribed, an HTTP check runs after this much silence; a newer HTTP head means a stalled socket (default max(10 × poll, 10 s)). */
  wsStallTimeoutMs?: number;
  /** First delay before re-subscribing while on the polling fallback; doubles per failure up to 30 s (default 2 s). */
  wsRetryMs?: number;
  /** Deadline for eth_subscribe to answer (default 10 s). */
  wsSubscribeTimeoutMs?: number;
};

export type HeadTracker = Source & {
  head(): BlockRef | undefined;
  /** true/false for blocks inside the window; undefined when the number is outside it (older, or above the head). */
  isCanonical(ref: BlockRef): boolean | undefined;
  /** head − n + 1 for n ≤ head (the head itself has 1), else 0. */
  confirmations(blockNumber: bigint): bigint;
  /** "ws" while the subscription delivers heads, "polling" on the HTTP fallback. */
  mode(): "ws" | "polling";
};

type ViemBlock = { number: bigint | null; hash: Hex | null; parentHash: Hex; timestamp: bigint };

function toChainBlock(b: ViemBlock, chainId: number): ChainBlock {
  if (b.number === null || b.hash === null) throw new BlockUnavailableError({ chainId, block: "pending" });
  return {
    number: b.number,
    hash: b.hash,
    parentHash: b.parentHash,
    timestamp: b.timestamp,
    receivedAtMs: performance.now(),
  };
}

/** A BlockFetcher over a viem public client (HTTP): missing blocks are `undefined`, other errors throw. */
export function createViemBlockFetcher({
  chainId,
  client,
}: {
  chainId: number;
  client: ChainClients["http"];
}): BlockFetcher {
  const wrap = async <T>(method: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (cause) {
      if (cause instanceof BlockNotFoundError) return undefined;
      throw new RpcRequestFailedError({ chainId, method, transport: "http", cause });
    }
  };
  return {
    async latest() {
      const b = await wrap("eth_getBlockByNumber", () => client.getBlock({ blockTag: "latest" }));
      if (!b) throw new BlockUnavailableError({ chainId, block: "latest" });
      return toChainBlock(b, chainId);
    },
    async byNumber(blockNumber) {
      const b = await wrap("eth_getBlockByNumber", () => client.getBlock({ blockNumber }));
      return b && toChainBlock(b, chainId);
    },
    async byHash(blockHash) {
      const b = await wrap("eth_getBlockByHash", () => client.getBlock({ blockHash }));
      return b && toChainBlock(b, chainId);
    },
  };
}

type NewHeadsHeader = { number?: Hex; hash?: Hex; parentHash?: Hex; timestamp?: Hex };

function parseHeader(data: unknown, receivedAtMs: number): ChainBlock | undefined {
  const h = (data as { result?: NewHeadsHeader } | undefined)?.result;
  if (!h?.number || !h.hash || !h.parentHash || !h.timestamp) return undefined;
  return {
    number: BigInt(h.number),
    hash: h.hash,
    parentHash: h.parentHash,
    timestamp: BigInt(h.timestamp),
    receivedAtMs,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(onTimeout()), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Follows one chain's head. Heads arrive over WebSocket (`eth_subscribe newHeads`); when the socket
 * drops, errors or stalls, the tracker polls `latest` over HTTP every `pollIntervalMs` and keeps trying
 * to re-subscribe, switching back once heads flow again (`keeper_ws_connected{chain}` is 1 while on the
 * subscription). Every block is emitted once, in order, as `block.head` — gaps are filled by number — and
 * a reorg is emitted as ONE `block.reorged` (every dropped block, oldest first) before the new branch's
 * heads. Reorgs deeper than `reorgWindow` are emitted the same way (dropping the whole window), counted,
 * logged and passed to `onError` as ReorgTooDeepError; the window restarts on the new branch.
 *
 * The WebSocket is used directly through the transport's `subscribe` (the same `eth_subscribe newHeads`
 * `watchBlocks` uses): `watchBlocks` re-fetches each announced head by number (another block during a
 * reorg), fetches concurrently so heads can arrive out of order, hands `undefined` to onBlock when that
 * fetch fails, and does not say when the subscription is live.
 */
export function createHeadTracker(args: CreateHeadTrackerArgs): HeadTracker {
  const { chainId, clients, pollIntervalMs, logger, metrics } = args;
  if (!Number.isFinite(pollIntervalMs) || pollIntervalMs <= 0) {
    throw new InvalidArgumentError({
      name: "pollIntervalMs",
      reason: "must be a positive number",
      value: pollIntervalMs,
    });
  }
  if (clients.chainId !== chainId) {
    throw new InvalidArgumentError({
      name: "clients",
      reason: `are for chain ${clients.chainId}, not chain ${chainId}`,
      value: clients.chainId,
    });
  }
  const ws = clients.ws;
  const wsStallTimeoutMs = args.wsStallTimeoutMs ?? Math.max(10 * pollIntervalMs, 10_000);
  const wsRetryMs = args.wsRetryMs ?? 2_000;
  const wsSubscribeTimeoutMs = args.wsSubscribeTimeoutMs ?? 10_000;
  const log = logger.child({ component: "heads", chain_id: chainId });
  const label = { chain: String(chainId) };
  const fetcher = createViemBlockFetcher({ chainId, client: clients.http });
  const follower = createHeadFollower({
    chainId,
    fetcher,
    reorgWindow: args.reorgWindow,
    emit: args.emit,
    onError: args.onError,
    logger: log,
    metrics,
  });

  let stopped = true;
  let mode: "ws" | "polling" = "polling";
  let generation = 0;
  let subscription: { generation: number; unsubscribe: () => Promise<unknown> } | undefined;
  let lastWsHeadAtMs = 0;
  let lastWsHeadNumber = -1n;
  let stallSuspected = false;
  let subscribeFailures = 0;
  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let stallTimer: ReturnType<typeof setTimeout> | undefined;

  // --- serialised syncing, coalescing requests that arrive while one runs -----------------------
  let pending: { target: ChainBlock | undefined } | undefined;
  let draining: Promise<void> | undefined;
  let failedSyncs = 0;

  const request = (target: ChainBlock | undefined) => {
    pending = { target };
    if (!draining) draining = drain().finally(() => (draining = undefined));
  };

  const drain = async () => {
    while (pending && !stopped) {
      const { target } = pending;
      pending = undefined;
      try {
        await follower.sync(target);
        if (failedSyncs > 0) log.info({ failed_syncs: failedSyncs }, "recovered head sync");
        failedSyncs = 0;
      } catch (err) {
        // RPC failures are counted by the clients; a block that vanished mid-walk is a race, not an RPC fault.
        failedSyncs++;
        if (failedSyncs === 1) log.warn({ err }, "head sync failed");
        else log.debug({ err, failed_syncs: failedSyncs }, "head sync failed");
        // On the subscription nothing may come for a while: retry from HTTP after one poll interval.
        if (mode === "ws") schedulePoll();
      }
    }
  };

  // --- mode -------------------------------------------------------------------------------------
  const setMode = (next: "ws" | "polling", reason: string) => {
    metrics.wsConnected.set(label, next === "ws" ? 1 : 0);
    if (mode === next) return;
    mode = next;
    if (next === "ws") {
      log.info({ reason }, "switched to websocket heads");
      clearTimeout(pollTimer);
      pollTimer = undefined;
      armStallTimer();
    } else {
      log.warn({ reason }, "fell back to http polling");
      clearTimeout(stallTimer);
      stallTimer = undefined;
      schedulePoll();
    }
  };

  const schedulePoll = () => {
    if (stopped || pollTimer) return;
    pollTimer = setTimeout(() => {
      pollTimer = undefined;
      if (stopped) return;
      request(undefined);
      if (mode === "polling") schedulePoll();
    }, pollIntervalMs);
  };

  // --- subscription -----------------------------------------------------------------------------
  /** Re-subscribe after wsRetryMs, doubling per consecutive failure up to 30 s (or wsRetryMs if larger). */
  const scheduleResubscribe = () => {
    if (stopped || !ws || retryTimer) return;
    const delay = Math.min(wsRetryMs * 2 ** Math.min(subscribeFailures, 16), Math.max(wsRetryMs, 30_000));
    subscribeFailures++;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void subscribe();
    }, delay);
  };

  const dropSubscription = () => {
    const old = subscription;
    subscription = undefined;
    generation++;
    // On a dead socket the unsubscribe never answers; it still stops viem from re-subscribing it.
    if (old) void old.unsubscribe().catch(() => {});
  };

  const onWsError = (gen: number, error: unknown) => {
    if (gen !== generation || stopped) return;
    metrics.rpcErrorsTotal.inc(label);
    const err =
      error instanceof RetryableError
        ? error
        : new RpcRequestFailedError({ chainId, method: "eth_subscribe", transport: "ws", cause: error });
    if (mode === "ws") log.warn({ err }, "newHeads subscription failed");
    else log.debug({ err }, "newHeads subscription failed");
    dropSubscription();
    // A silent socket can look open forever: replace it so the next subscribe gets a fresh connection.
    if (error instanceof SubscriptionStalledError || error instanceof SubscribeTimeoutError)
      void resetSocket();
    setMode("polling", "subscription failed");
    request(undefined);
    scheduleResubscribe();
  };

  const resetSocket = async () => {
    try {
      (await ws?.transport.getRpcClient())?.close();
    } catch {
      // no socket to close
    }
  };

  const onWsData = (gen: number, data: unknown) => {
    if (gen !== generation || stopped) return;
    const block = parseHeader(data, performance.now());
    lastWsHeadAtMs = performance.now();
    if (block && block.number > lastWsHeadNumber) lastWsHeadNumber = block.number;
    stallSuspected = false;
    // viem re-subscribed by itself after a reconnect: heads flow again.
    if (mode !== "ws") setMode("ws", "heads resumed");
    armStallTimer();
    request(block);
  };

  const subscribe = async () => {
    if (stopped || !ws) return;
    dropSubscription();
    const gen = generation;
    try {
      const sub = await withTimeout(
        ws.transport.subscribe({
          params: ["newHeads"],
          onData: (data) => onWsData(gen, data),
          onError: (error) => onWsError(gen, error),
        }),
        wsSubscribeTimeoutMs,
        () => new SubscribeTimeoutError({ chainId, timeoutMs: wsSubscribeTimeoutMs }),
      );
      if (gen !== generation || stopped) {
        void sub.unsubscribe().catch(() => {});
        return;
      }
      subscription = { generation: gen, unsubscribe: sub.unsubscribe };
      subscribeFailures = 0;
      lastWsHeadAtMs = performance.now();
      lastWsHeadNumber = follower.head()?.number ?? -1n;
      setMode("ws", "subscribed");
      // Blocks mined between the last poll and the subscription: catch up over HTTP now.
      request(undefined);
    } catch (error) {
      onWsError(gen, error);
    }
  };

  const armStallTimer = () => {
    clearTimeout(stallTimer);
    stallTimer = undefined;
    if (stopped || mode !== "ws") return;
    stallTimer = setTimeout(() => void checkStall(), wsStallTimeoutMs);
  };

  const checkStall = async () => {
    stallTimer = undefined;
    if (stopped || mode !== "ws") return;
    const gen = generation;
    try {
      const latest = await fetcher.latest();
      if (gen !== generation || mode !== "ws") return;
      if (latest.number > lastWsHeadNumber) {
        // Never lose the block; call it a stall when 2+ blocks were missed or it happens twice running
        // (one block may just be racing its notification, or came from the catch-up after subscribing).
        const missed = latest.number - lastWsHeadNumber;
        lastWsHeadNumber = latest.number;
        request(latest);
        if (missed < 2n && !stallSuspected) {
          stallSuspected = true;
          armStallTimer();
          return;
        }
        onWsError(
          gen,
          new SubscriptionStalledError({
            chainId,
            silentMs: Math.round(performance.now() - lastWsHeadAtMs),
            httpHead: latest.number,
          }),
        );
        return;
      }
    } catch (err) {
      log.debug({ err }, "stall check failed");
    }
    stallSuspected = false;
    armStallTimer();
  };

  return {
    async start() {
      if (!stopped) return;
      stopped = false;
      metrics.wsConnected.set(label, 0);
      try {
        await assertChainId(clients.http, chainId);
        await follower.sync();
      } catch (err) {
        stopped = true;
        throw err;
      }
      if (ws) {
        try {
          await assertChainId(ws, chainId);
        } catch (err) {
          if (err instanceof ChainIdMismatchError) {
            stopped = true;
            throw err;
          }
          // Unreachable socket: start on polling, keep trying.
        }
        await subscribe();
      }
      if (mode === "polling") schedulePoll();
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      for (const t of [pollTimer, retryTimer, stallTimer]) clearTimeout(t);
      pollTimer = retryTimer = stallTimer = undefined;
      dropSubscription();
      pending = undefined;
      await draining;
      mode = "polling";
      metrics.wsConnected.set(label, 0);
    },

    head: () => follower.head(),
    isCanonical: (r) => follower.isCanonical(r),
    confirmations: (n) => follower.confirmations(n),
    mode: () => mode,
  };
}

import fc from "fast-check";
import { keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import type { BlockRef, Hex } from "../engine/types.ts";
import { InvalidArgumentError, type KeeperError } from "../internal/errors.ts";
import { createLogger } from "../telemetry/logger.ts";
import { createMetrics } from "../telemetry/metrics.ts";
import { createChainClients } from "./clients.ts";
import {
  type BlockFetcher,
  type ChainBlock,
  createHeadFollower,
  createHeadTracker,
  ReorgTooDeepError,
} from "./heads.ts";
import type { SourceEvent } from "./types.ts";

// ---------------------------------------------------------------------------------------------
// A scripted chain: canonical blocks by number, lookups by number/hash, failures on demand.
// ---------------------------------------------------------------------------------------------

const GENESIS_PARENT = `0x${"00".repeat(32)}` as Hex;

function createFakeChain(height = 0, seed = "a") {
  let salt = 0;
  const canonical: ChainBlock[] = [];
  const failures: ("latest" | "byNumber" | "byHash")[] = [];
  const calls = { latest: 0, byNumber: 0, byHash: 0 };
  const make = (number: bigint, parentHash: Hex, tag: string): ChainBlock => ({
    number,
    hash: keccak256(toHex(`${seed}:${tag}:${number}:${parentHash}`)),
    parentHash,
    timestamp: 1_700_000_000n + number,
    receivedAtMs: 0,
  });
  const chain = {
    canonical,
    calls,
    /** Appends `count` blocks (a new `tag` makes different hashes than before). */
    mine(count = 1, tag = `s${salt}`) {
      for (let i = 0; i < count; i++) {
        const parent = canonical.at(-1);
        canonical.push(make(parent ? parent.number + 1n : 0n, parent ? parent.hash : GENESIS_PARENT, tag));
      }
      return chain.tip();
    },
    /** Drops the last `depth` blocks and mines `count` different ones. */
    reorg(depth: number, count: number) {
      canonical.splice(canonical.length - depth, depth);
      salt++;
      return chain.mine(count, `r${salt}`);
    },
    /** Drops every block above `number` (a rollback, like evm_revert). */
    rollback(number: bigint) {
      canonical.splice(Number(number) + 1);
    },
    tip: () => canonical.at(-1)!,
    at: (n: bigint) => canonical[Number(n)]!,
    failNext(method: "latest" | "byNumber" | "byHash") {
      failures.push(method);
    },
    fetcher: {
      async latest() {
        calls.latest++;
        if (failures[0] === "latest") throw new Error(`scripted ${failures.shift()} failure`);
        return canonical.at(-1)!;
      },
      async byNumber(n: bigint) {
        calls.byNumber++;
        if (failures[0] === "byNumber") throw new Error(`scripted ${failures.shift()} failure`);
        return canonical[Number(n)];
      },
      async byHash(h: Hex) {
        calls.byHash++;
        if (failures[0] === "byHash") throw new Error(`scripted ${failures.shift()} failure`);
        return canonical.find((b) => b.hash === h);
      },
    } satisfies BlockFetcher,
  };
  chain.mine(height + 1, "g");
  return chain;
}

type FakeChain = ReturnType<typeof createFakeChain>;

function follow(chain: FakeChain, reorgWindow = 8) {
  const events: SourceEvent[] = [];
  const errors: KeeperError[] = [];
  const follower = createHeadFollower({
    chainId: 31337,
    fetcher: chain.fetcher,
    reorgWindow,
    emit: (e) => events.push(e),
    onError: (e) => errors.push(e),
  });
  return { follower, events, errors };
}

const refOf = (b: ChainBlock): BlockRef => ({ number: b.number, hash: b.hash });
const heads = (events: SourceEvent[]) =>
  events.filter((e) => e.type === "block.head").map((e) => (e.type === "block.head" ? e.block.number : -1n));
const shape = (events: SourceEvent[]) =>
  events.map((e) =>
    e.type === "block.head"
      ? `head ${e.block.number}`
      : e.type === "block.reorged"
        ? `reorg [${e.dropped.map((d) => d.number).join(",")}] -> ${e.newHead.number}`
        : e.type,
  );

/** The emitted stream must replay to `chain`'s canonical tail: heads link, reorgs pop exactly what they list. */
function replay(events: SourceEvent[]): ChainBlock[] {
  const seen: { number: bigint; hash: Hex; parentHash: Hex }[] = [];
  for (const e of events) {
    if (e.type === "block.reorged") {
      for (const d of [...e.dropped].reverse()) {
        const top = seen.at(-1);
        if (top && top.hash === d.hash) seen.pop();
      }
      // A reorg's dropped list is contiguous and oldest first.
      e.dropped.forEach((d, i) => {
        if (i > 0) expect(d.number).toBe(e.dropped[i - 1]!.number + 1n);
      });
    } else if (e.type === "block.head") {
      const top = seen.at(-1);
      if (top && top.number + 1n === e.block.number) expect(e.parentHash).toBe(top.hash);
      seen.push({ number: e.block.number, hash: e.block.hash, parentHash: e.parentHash });
    }
  }
  return seen as ChainBlock[];
}

describe("createHeadFollower (window, gaps, reorgs) against a scripted chain", () => {
  it("emits only the current head on start and loads the window with its ancestors", async () => {
    const chain = createFakeChain(10);
    const { follower, events } = follow(chain, 4);
    await follower.sync();
    expect(shape(events)).toEqual(["head 10"]);
    expect(follower.window().map((b) => b.number)).toEqual([7n, 8n, 9n, 10n]);
    expect(follower.head()).toEqual(refOf(chain.at(10n)));
    expect(follower.isCanonical(refOf(chain.at(7n)))).toBe(true);
    expect(follower.isCanonical(refOf(chain.at(6n)))).toBeUndefined();
  });

  it("emits each new block once and in order as the head advances one block at a time", async () => {
    const chain = createFakeChain(3);
    const { follower, events } = follow(chain);
    await follower.sync();
    for (let i = 0; i < 5; i++) await follower.sync(chain.mine());
    expect(heads(events)).toEqual([3n, 4n, 5n, 6n, 7n, 8n]);
    const first = events[1]!;
    expect(first.type === "block.head" && first.parentHash).toBe(chain.at(3n).hash);
  });

  it("fills a gap by number when the subscription skips blocks", async () => {
    const chain = createFakeChain(3);
    const { follower, events } = follow(chain);
    await follower.sync();
    const tip = chain.mine(6);
    await follower.sync(tip);
    expect(heads(events)).toEqual([3n, 4n, 5n, 6n, 7n, 8n, 9n]);
  });

  it("ignores a repeated head and an already-known lower head", async () => {
    const chain = createFakeChain(5);
    const { follower, events } = follow(chain);
    await follower.sync();
    const six = chain.mine();
    await follower.sync(six);
    await follower.sync(six);
    await follower.sync(chain.at(4n));
    await follower.sync();
    expect(shape(events)).toEqual(["head 5", "head 6"]);
  });

  it("reports one block.reorged with every dropped block, oldest first, before the new branch's heads", async () => {
    const chain = createFakeChain(10);
    const { follower, events } = follow(chain);
    await follower.sync();
    const dropped = [chain.at(8n), chain.at(9n), chain.at(10n)].map(refOf);
    const newTip = chain.reorg(3, 4);
    await follower.sync(newTip);
    expect(shape(events)).toEqual([
      "head 10",
      "reorg [8,9,10] -> 11",
      "head 8",
      "head 9",
      "head 10",
      "head 11",
    ]);
    const reorg = events[1]!;
    expect(reorg).toEqual({ type: "block.reorged", chainId: 31337, dropped, newHead: refOf(newTip) });
    expect(follower.isCanonical(dropped[0]!)).toBe(false);
    expect(follower.window().map((b) => b.hash)).toEqual(chain.canonical.slice(-8).map((b) => b.hash));
  });

  it("detects a reorg at the same height (one block replaced)", async () => {
    const chain = createFakeChain(6);
    const { follower, events } = follow(chain);
    await follower.sync();
    const replaced = chain.reorg(1, 1);
    await follower.sync(replaced);
    expect(shape(events)).toEqual(["head 6", "reorg [6] -> 6", "head 6"]);
  });

  it("resolves a reorg announced by a lower block of the new branch up to the node's latest head", async () => {
    const chain = createFakeChain(10);
    const { follower, events } = follow(chain);
    await follower.sync();
    chain.reorg(3, 4);
    await follower.sync(chain.at(8n));
    expect(shape(events)).toEqual([
      "head 10",
      "reorg [8,9,10] -> 11",
      "head 8",
      "head 9",
      "head 10",
      "head 11",
    ]);
    await follower.sync(chain.at(9n));
    await follower.sync(chain.at(11n));
    expect(events).toHaveLength(6);
  });

  it("refills the window below after a reorg that replaced blocks with fewer ones", async () => {
    const chain = createFakeChain(12);
    const { follower, events, errors } = follow(chain, 6);
    await follower.sync();
    await follower.sync(chain.reorg(3, 1));
    expect(follower.window().map((b) => b.number)).toEqual([5n, 6n, 7n, 8n, 9n, 10n]);
    await follower.sync(chain.reorg(5, 1));
    expect(errors).toEqual([]);
    expect(shape(events)).toEqual([
      "head 12",
      "reorg [10,11,12] -> 10",
      "head 10",
      "reorg [6,7,8,9,10] -> 6",
      "head 6",
    ]);
    expect(follower.window().map((b) => b.number)).toEqual([1n, 2n, 3n, 4n, 5n, 6n]);
  });

  it("resolves a reorg found while filling a gap with one block.reorged", async () => {
    const chain = createFakeChain(10);
    const { follower, events } = follow(chain);
    await follower.sync();
    const tip = chain.reorg(2, 7);
    await follower.sync(tip);
    expect(shape(events)).toEqual([
      "head 10",
      "reorg [9,10] -> 11",
      "head 9",
      "head 10",
      "head 11",
      "head 12",
      "head 13",
      "head 14",
      "head 15",
    ]);
  });

  it("resolves a reorg exactly as deep as the window using the oldest block's parent hash", async () => {
    const chain = createFakeChain(10);
    const { follower, events, errors } = follow(chain, 4);
    await follower.sync();
    await follower.sync(chain.reorg(4, 5));
    expect(errors).toEqual([]);
    expect(shape(events)).toEqual([
      "head 10",
      "reorg [7,8,9,10] -> 11",
      "head 7",
      "head 8",
      "head 9",
      "head 10",
      "head 11",
    ]);
  });

  it("reports a reorg deeper than the window as ReorgTooDeepError and resyncs on the new branch", async () => {
    const chain = createFakeChain(10);
    const { follower, events, errors } = follow(chain, 4);
    await follower.sync();
    const tip = chain.reorg(6, 7);
    await follower.sync(tip);
    expect(shape(events)).toEqual([
      "head 10",
      "reorg [7,8,9,10] -> 11",
      "head 8",
      "head 9",
      "head 10",
      "head 11",
    ]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ReorgTooDeepError);
    expect(errors[0]!.code).toBe("REORG_TOO_DEEP");
    expect(errors[0]!.details).toMatchObject({
      reorgWindow: 4,
      droppedFrom: 7n,
      droppedTo: 10n,
      newHead: 11n,
    });
    expect(follower.window().map((b) => b.hash)).toEqual(chain.canonical.slice(-4).map((b) => b.hash));
    await follower.sync(chain.mine());
    expect(shape(events).at(-1)).toBe("head 12");
  });

  it("treats the head going backwards to a known block (rollback) as a reorg of the blocks above it", async () => {
    const chain = createFakeChain(10);
    const { follower, events } = follow(chain);
    await follower.sync();
    chain.rollback(7n);
    await follower.sync();
    expect(shape(events)).toEqual(["head 10", "reorg [8,9,10] -> 7"]);
    expect(follower.head()).toEqual(refOf(chain.at(7n)));
    await follower.sync(chain.reorg(0, 2));
    expect(shape(events).slice(2)).toEqual(["head 8", "head 9"]);
  });

  it("treats a node restart on a fresh, shorter chain as a reorg deeper than the window", async () => {
    const chain = createFakeChain(20);
    const { follower, events, errors } = follow(chain, 4);
    await follower.sync();
    // A restarted dev node: new genesis, 3 blocks.
    const restarted = createFakeChain(2, "b");
    chain.canonical.splice(0, chain.canonical.length, ...restarted.canonical);
    await follower.sync();
    expect(shape(events)).toEqual(["head 20", "reorg [17,18,19,20] -> 2", "head 2"]);
    expect(errors.map((e) => e.code)).toEqual(["REORG_TOO_DEEP"]);
    expect(follower.window().map((b) => b.number)).toEqual([0n, 1n, 2n]);
  });

  it("ignores a lower head from a lagging view while the current tip is still canonical", async () => {
    const chain = createFakeChain(10);
    const { follower, events } = follow(chain);
    await follower.sync();
    await follower.sync(chain.at(6n));
    expect(shape(events)).toEqual(["head 10"]);
  });

  it("resumes after an RPC failure mid-gap without losing or repeating a block", async () => {
    const chain = createFakeChain(3);
    const { follower, events } = follow(chain);
    await follower.sync();
    const tip = chain.mine(25);
    chain.failNext("byNumber");
    await expect(follower.sync(tip)).rejects.toThrow(/scripted/);
    await follower.sync(tip);
    expect(heads(events)).toEqual(Array.from({ length: 26 }, (_, i) => BigInt(i + 3)));
  });

  it("leaves the window untouched when a reorg walk fails and resolves the reorg on the next sync", async () => {
    const chain = createFakeChain(10);
    const { follower, events } = follow(chain);
    await follower.sync();
    const before = follower.window();
    const tip = chain.reorg(3, 3);
    chain.failNext("byHash");
    await expect(follower.sync(tip)).rejects.toThrow(/scripted/);
    expect(follower.window()).toEqual(before);
    expect(shape(events)).toEqual(["head 10"]);
    await follower.sync(tip);
    expect(shape(events)).toEqual(["head 10", "reorg [8,9,10] -> 10", "head 8", "head 9", "head 10"]);
  });

  it("counts confirmations from the head (the head has one) and none above it", async () => {
    const chain = createFakeChain(10);
    const { follower } = follow(chain);
    expect(follower.confirmations(10n)).toBe(0n);
    await follower.sync();
    expect(follower.confirmations(10n)).toBe(1n);
    expect(follower.confirmations(4n)).toBe(7n);
    expect(follower.confirmations(11n)).toBe(0n);
  });

  it("answers isCanonical undefined outside the window (older, or above the head)", async () => {
    const chain = createFakeChain(10);
    const { follower } = follow(chain, 3);
    await follower.sync();
    expect(follower.isCanonical(refOf(chain.at(8n)))).toBe(true);
    expect(follower.isCanonical({ number: 8n, hash: chain.at(9n).hash })).toBe(false);
    expect(follower.isCanonical(refOf(chain.at(7n)))).toBeUndefined();
    expect(follower.isCanonical({ number: 11n, hash: chain.at(10n).hash })).toBeUndefined();
  });

  it("serialises concurrent syncs so each block is emitted once", async () => {
    const chain = createFakeChain(2);
    const { follower, events } = follow(chain);
    await follower.sync();
    const hints = Array.from({ length: 6 }, () => chain.mine());
    await Promise.all([...hints].reverse().map((h) => follower.sync(h)));
    expect(heads(events)).toEqual([2n, 3n, 4n, 5n, 6n, 7n, 8n]);
  });

  it("keeps the emitted stream a replayable copy of the chain under random mining, skips and reorgs", async () => {
    type Op =
      | { kind: "mine"; n: number; notify: "tip" | "none" | "first" }
      | { kind: "reorg"; depth: number; n: number };
    const op = fc.oneof(
      fc.record({
        kind: fc.constant("mine" as const),
        n: fc.integer({ min: 1, max: 4 }),
        notify: fc.constantFrom("tip" as const, "none" as const, "first" as const),
      }),
      fc.record({
        kind: fc.constant("reorg" as const),
        depth: fc.integer({ min: 1, max: 5 }),
        n: fc.integer({ min: 1, max: 6 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops: Op[]) => {
        const chain = createFakeChain(12);
        const { follower, events, errors } = follow(chain, 6);
        await follower.sync();
        for (const o of ops) {
          if (o.kind === "mine") {
            const start = chain.tip().number + 1n;
            const tip = chain.mine(o.n);
            if (o.notify === "tip") await follower.sync(tip);
            else if (o.notify === "first") await follower.sync(chain.at(start));
          } else {
            // Genesis never reorgs: successive reorgs that shrink the chain stop above block 0.
            const depth = Math.min(o.depth, Number(chain.tip().number));
            await follower.sync(chain.reorg(depth, o.n));
          }
        }
        await follower.sync();
        expect(errors).toEqual([]);
        const replayed = replay(events);
        const tail = replayed.slice(-6).map((b) => b.hash);
        expect(tail).toEqual(chain.canonical.slice(-tail.length).map((b) => b.hash));
        expect(follower.head()).toEqual(refOf(chain.tip()));
        const reorgs = events.filter((e) => e.type === "block.reorged").length;
        expect(reorgs).toBeLessThanOrEqual(ops.filter((o) => o.kind === "reorg").length);
      }),
      { numRuns: 200 },
    );
  });
});

describe("createHeadTracker arguments", () => {
  const logger = createLogger({ level: "silent" });
  const metrics = createMetrics();
  // Creating clients opens no connection.
  const clients = createChainClients({ chainId: 31337, httpUrl: "http://127.0.0.1:9", logger, metrics });
  const base = { clients, pollIntervalMs: 1_000, reorgWindow: 16, emit: () => {}, logger, metrics };

  it("rejects clients built for another chain", () => {
    expect(() => createHeadTracker({ ...base, chainId: 1 })).toThrow(InvalidArgumentError);
  });

  it("rejects a reorg window or poll interval that is not positive", () => {
    expect(() => createHeadTracker({ ...base, chainId: 31337, reorgWindow: 0 })).toThrow(/reorgWindow/);
    expect(() => createHeadTracker({ ...base, chainId: 31337, pollIntervalMs: 0 })).toThrow(/pollIntervalMs/);
  });

  it("reports no head and polling mode before start", () => {
    const tracker = createHeadTracker({ ...base, chainId: 31337 });
    expect(tracker.mode()).toBe("polling");
    expect(tracker.head()).toBeUndefined();
    expect(tracker.confirmations(0n)).toBe(0n);
  });
});

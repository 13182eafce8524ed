import { type Address, getAbiItem, getAddress, zeroAddress } from "viem";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { reserveBackedStablecoinAbi } from "../abi/index.ts";
import { createSupplySource, supplyDeltaOf } from "./supply.ts";
import { FakeChain } from "./testFakeChain.ts";
import { eventId, type SourceEvent } from "./types.ts";

const TRANSFER = getAbiItem({ abi: reserveBackedStablecoinAbi, name: "Transfer" });
const TOKEN = getAddress("0x4000000000000000000000000000000000000004");
const ALICE = getAddress("0x000000000000000000000000000000000000a11c");
const BOB = getAddress("0x0000000000000000000000000000000000000b0b");

describe("createSupplySource", () => {
  let chain: FakeChain;
  let events: SourceEvent[];
  const supplies = () => events.filter((e) => e.type === "supply.observed");
  const transfer = (from: Address, to: Address, value: bigint, block: bigint, logIndex: number) =>
    chain.log({ address: TOKEN, event: TRANSFER, values: { from, to, value }, block, logIndex });
  const make = (over: Partial<Parameters<typeof createSupplySource>[0]> = {}) =>
    createSupplySource({
      assetId: "dusd",
      chainId: 31338,
      token: TOKEN,
      clients: chain.clients(),
      reconcileIntervalMs: 10_000,
      emit: (event) => events.push(event),
      ...over,
    });

  beforeEach(() => {
    vi.useFakeTimers();
    chain = new FakeChain();
    events = [];
    chain.set(TOKEN, "decimals", 6);
    chain.set(TOKEN, "totalSupply", 1_000n);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("subscribes with topic filters for mints (from = 0) and burns (to = 0) and reconciles at start", async () => {
    const source = make();
    await source.start();
    const topics = [...chain.watchers].map((w) => w.topics);
    const zero = `0x${"00".repeat(32)}`;
    expect(topics).toHaveLength(2);
    expect(topics[0]?.[1]).toBe(zero);
    expect(topics[1]?.[1]).toBeNull();
    expect(topics[1]?.[2]).toBe(zero);
    expect(supplies()).toEqual([
      {
        type: "supply.observed",
        assetId: "dusd",
        chainId: 31338,
        token: TOKEN,
        totalSupply: 1_000n,
        tokenDecimals: 6,
        block: { number: 100n, hash: chain.hash(100n) },
        source: "reconcile",
      },
    ]);
    await source.stop();
  });

  it("emits the post-log total for each mint and burn log, with no RPC per log", async () => {
    const source = make();
    await source.start();
    const calls = chain.calls.length;
    chain.deliver(transfer(zeroAddress, ALICE, 500n, 101n, 0));
    chain.deliver(transfer(ALICE, BOB, 77n, 101n, 1)); // a plain transfer: filtered out by the topics
    chain.deliver(transfer(BOB, zeroAddress, 200n, 101n, 2));
    chain.deliver(transfer(zeroAddress, BOB, 1n, 102n, 0));
    expect(chain.calls.length).toBe(calls);
    const live = supplies().filter((e) => e.source === "event");
    expect(live.map((e) => [e.block.number, e.logIndex, e.totalSupply])).toEqual([
      [101n, 0, 1_500n],
      [101n, 2, 1_300n],
      [102n, 0, 1_301n],
    ]);
    expect(eventId(live[0]!)).toBe(`31338:${chain.hash(101n)}:0`);
    expect(source.totalSupply()).toBe(1_301n);
    await source.stop();
  });

  it("reconciles every interval: sweeps missed logs, then trusts totalSupply()", async () => {
    const source = make();
    await source.start();
    chain.head = 103n;
    chain.deliver(transfer(zeroAddress, ALICE, 500n, 101n, 0));
    transfer(ALICE, zeroAddress, 100n, 102n, 3); // never delivered live
    chain.set(TOKEN, "totalSupply", 1_400n, 102n);
    await vi.advanceTimersByTimeAsync(10_000);
    const after = supplies().slice(1);
    expect(after.map((e) => [e.source, e.block.number, e.logIndex, e.totalSupply])).toEqual([
      ["event", 101n, 0, 1_500n],
      ["reconcile", 102n, 3, 1_400n],
      ["reconcile", 103n, undefined, 1_400n],
    ]);
    expect(source.mismatches()).toBe(0);
    expect(source.coveredTo()).toBe(103n);
    const ids = events.map(eventId);
    expect(new Set(ids).size).toBe(ids.length);
    await source.stop();
  });

  it("logs and counts a running total that disagrees with totalSupply(), and keeps the reconciled value", async () => {
    const source = make();
    await source.start();
    chain.head = 101n;
    chain.set(TOKEN, "totalSupply", 999n, 101n); // supply moved without a Transfer log
    await source.reconcile();
    expect(source.mismatches()).toBe(1);
    expect(source.totalSupply()).toBe(999n);
    expect(supplies().at(-1)).toMatchObject({ source: "reconcile", totalSupply: 999n });
    chain.deliver(transfer(zeroAddress, ALICE, 1n, 102n, 0));
    expect(supplies().at(-1)).toMatchObject({ source: "event", totalSupply: 1_000n });
    await source.stop();
  });

  it("gives a log that arrives behind an emitted one its own total, and reconciles at once", async () => {
    const source = make();
    await source.start();
    chain.head = 101n;
    chain.set(TOKEN, "totalSupply", 1_400n, 101n);
    const burn = transfer(ALICE, zeroAddress, 100n, 101n, 1);
    const mint = transfer(zeroAddress, ALICE, 500n, 101n, 2);
    chain.deliver(mint); // the mint subscription was faster than the burn one
    chain.deliver(burn);
    const live = supplies().filter((e) => e.source === "event");
    expect(live.map((e) => [e.logIndex, e.totalSupply])).toEqual([
      [2, 1_500n],
      [1, 900n],
    ]);
    await vi.advanceTimersByTimeAsync(0);
    expect(supplies().at(-1)).toMatchObject({
      source: "reconcile",
      block: { number: 101n },
      totalSupply: 1_400n,
    });
    expect(source.mismatches()).toBe(0);
    await source.stop();
  });

  it("drops a removed (reorged) log from the running total", async () => {
    const source = make();
    await source.start();
    const mint = transfer(zeroAddress, ALICE, 500n, 101n, 0);
    chain.deliver(mint);
    expect(source.totalSupply()).toBe(1_500n);
    chain.deliver({ ...mint, removed: true });
    expect(source.totalSupply()).toBe(1_000n);
    await source.stop();
  });

  it("takes over from startBlock: the first reconcile emits the logs after it", async () => {
    chain.head = 110n;
    chain.set(TOKEN, "totalSupply", 1_250n, 105n);
    transfer(zeroAddress, BOB, 250n, 105n, 7);
    const source = make({ startBlock: 100n });
    await source.start();
    expect(supplies().map((e) => [e.source, e.block.number, e.logIndex, e.totalSupply])).toEqual([
      ["reconcile", 105n, 7, 1_250n],
      ["reconcile", 110n, undefined, 1_250n],
    ]);
    await source.stop();
  });

  it("decodes supply deltas: +mint, -burn, nothing for transfers", () => {
    expect(supplyDeltaOf(transfer(zeroAddress, ALICE, 5n, 1n, 0))).toBe(5n);
    expect(supplyDeltaOf(transfer(ALICE, zeroAddress, 5n, 1n, 1))).toBe(-5n);
    expect(supplyDeltaOf(transfer(ALICE, BOB, 5n, 1n, 2))).toBeUndefined();
  });
});

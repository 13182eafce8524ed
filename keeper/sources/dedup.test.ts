import { describe, expect, it } from "vitest";
import type { BlockRef, BlockReorged, Hex, SupplyObserved } from "../engine/types.ts";
import { InvalidArgumentError } from "../internal/errors.ts";
import { createDedup } from "./dedup.ts";
import type { BlockHead } from "./types.ts";

const hash = (n: number): Hex => `0x${n.toString(16).padStart(64, "0")}`;
const block = (number: number, h = number): BlockRef => ({ number: BigInt(number), hash: hash(h) });

function supplyLog(b: BlockRef, logIndex: number, chainId = 31337): SupplyObserved {
  return {
    type: "supply.observed",
    assetId: "dusd",
    chainId,
    token: "0x00000000000000000000000000000000000000aa",
    totalSupply: 1_000n,
    tokenDecimals: 6,
    block: b,
    logIndex,
    source: "event",
  };
}

function head(b: BlockRef, chainId = 31337): BlockHead {
  return { type: "block.head", chainId, block: b, parentHash: hash(0), timestamp: 1n };
}

describe("createDedup", () => {
  it("reports the same block hash and log index twice as a duplicate", () => {
    const dedup = createDedup({ capacity: 10 });
    expect(dedup.isDuplicate(supplyLog(block(5), 0))).toBe(false);
    expect(dedup.isDuplicate(supplyLog(block(5), 0))).toBe(true);
    expect(dedup.isDuplicate(supplyLog(block(5), 1))).toBe(false);
    expect(dedup.size).toBe(2);
  });

  it("does not treat a log re-included in a block with a new hash as a duplicate", () => {
    const dedup = createDedup({ capacity: 10 });
    expect(dedup.isDuplicate(supplyLog(block(5, 5), 0))).toBe(false);
    dedup.forgetBlocks({ chainId: 31337, dropped: [block(5, 5)] });
    expect(dedup.isDuplicate(supplyLog(block(5, 55), 0))).toBe(false);
    expect(dedup.isDuplicate(supplyLog(block(5, 55), 0))).toBe(true);
  });

  it("accepts events from a dropped block again once forgotten (the chain returned to that block)", () => {
    const dedup = createDedup({ capacity: 10 });
    const b = block(7);
    dedup.isDuplicate(head(b));
    dedup.isDuplicate(supplyLog(b, 0));
    dedup.isDuplicate(supplyLog(b, 3));
    dedup.isDuplicate(supplyLog(block(6), 0));
    expect(dedup.forgetBlocks({ chainId: 31337, dropped: [b] })).toBe(3);
    expect(dedup.isDuplicate(supplyLog(b, 0))).toBe(false);
    expect(dedup.isDuplicate(head(b))).toBe(false);
    expect(dedup.isDuplicate(supplyLog(block(6), 0))).toBe(true);
  });

  it("forgets dropped blocks of the reorged chain only", () => {
    const dedup = createDedup({ capacity: 10 });
    const b = block(9);
    dedup.isDuplicate(supplyLog(b, 0, 31337));
    dedup.isDuplicate(supplyLog(b, 0, 31338));
    expect(dedup.forgetBlocks({ chainId: 31338, dropped: [b] })).toBe(1);
    expect(dedup.has(supplyLog(b, 0, 31337))).toBe(true);
    expect(dedup.has(supplyLog(b, 0, 31338))).toBe(false);
  });

  it("accepts a block.reorged event as the argument of forgetBlocks", () => {
    const dedup = createDedup({ capacity: 10 });
    dedup.isDuplicate(supplyLog(block(3), 0));
    const reorg: BlockReorged = {
      type: "block.reorged",
      chainId: 31337,
      dropped: [block(3), block(4)],
      newHead: block(4, 44),
    };
    const forgotten = dedup.forgetBlocks(reorg);
    expect(forgotten).toBe(1);
    expect(dedup.size).toBe(0);
  });

  it("keeps at most capacity ids and forgets the least recently seen first", () => {
    const dedup = createDedup({ capacity: 3 });
    for (const i of [1, 2, 3]) dedup.isDuplicate(supplyLog(block(i), 0));
    expect(dedup.isDuplicate(supplyLog(block(1), 0))).toBe(true); // refreshes 1
    dedup.isDuplicate(supplyLog(block(4), 0)); // evicts 2
    expect(dedup.size).toBe(3);
    expect(dedup.has(supplyLog(block(2), 0))).toBe(false);
    expect(dedup.has(supplyLog(block(1), 0))).toBe(true);
    expect(dedup.has(supplyLog(block(3), 0))).toBe(true);
    // The block index shrinks with evictions: nothing left to forget for block 2.
    expect(dedup.forgetBlocks({ chainId: 31337, dropped: [block(2)] })).toBe(0);
  });

  it("bounds memory under a long stream", () => {
    const dedup = createDedup({ capacity: 100 });
    for (let i = 0; i < 10_000; i++) dedup.isDuplicate(supplyLog(block(i), i % 4));
    expect(dedup.size).toBe(100);
  });

  it("dedups events not tied to a block (clock ticks) by id", () => {
    const dedup = createDedup({ capacity: 10 });
    expect(dedup.isDuplicate({ type: "clock.tick", now: 5n })).toBe(false);
    expect(dedup.isDuplicate({ type: "clock.tick", now: 5n })).toBe(true);
  });

  it("rejects a capacity that is not a positive integer", () => {
    expect(() => createDedup({ capacity: 0 })).toThrow(InvalidArgumentError);
    expect(() => createDedup({ capacity: 1.5 })).toThrow(InvalidArgumentError);
  });
});

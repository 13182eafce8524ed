import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError, InvalidDecimalsError, InvalidObservationError } from "../internal/errors.ts";
import { applyObservation } from "./applyObservation.ts";
import { type AssetState, createAssetState, readAssetSnapshot } from "./assetState.ts";
import { decide } from "./decide.ts";
import {
  AGGREGATOR,
  ASSET,
  BASE,
  blockRef,
  FEED,
  MAINNET,
  POLICY,
  reserveObserved,
  supplyObserved,
} from "./testFixtures.ts";
import type { Observation } from "./types.ts";

const PHASE1 = 1n << 64n;
const PHASE2 = 2n << 64n;

function newState(reorgDepth = 10n, maxHistory?: number): AssetState {
  return createAssetState({
    assetId: ASSET,
    feed: { chainId: MAINNET, address: FEED },
    supplyChainIds: [MAINNET, BASE],
    reorgDepth,
    ...(maxHistory === undefined ? {} : { maxHistory }),
  });
}

function fold(state: AssetState, observations: readonly Observation[]): AssetState {
  return observations.reduce(applyObservation, state);
}

const latestReserve = (state: AssetState) => readAssetSnapshot(state).reserve;
const latestSupply = (state: AssetState, chainId: number) =>
  readAssetSnapshot(state).supplies.find((s) => s.chainId === chainId)?.observation;

describe("createAssetState", () => {
  it("starts empty: no reserve, every configured chain's supply missing", () => {
    expect(readAssetSnapshot(newState())).toEqual({
      assetId: ASSET,
      reserve: undefined,
      supplies: [
        { chainId: MAINNET, observation: undefined },
        { chainId: BASE, observation: undefined },
      ],
      inFlight: 0n,
    });
  });

  it.each([
    [{ assetId: "" }, "assetId"],
    [{ supplyChainIds: [] }, "supplyChainIds"],
    [{ supplyChainIds: [1, 1] }, "supplyChainIds"],
    [{ reorgDepth: -1n }, "reorgDepth"],
    [{ maxHistory: 0 }, "maxHistory"],
  ])("rejects %o naming %s", (override, name) => {
    const args = { assetId: ASSET, feed: { chainId: 1, address: FEED }, supplyChainIds: [1], reorgDepth: 1n };
    expect(() => createAssetState({ ...args, ...override })).toThrow(InvalidArgumentError);
    expect(() => createAssetState({ ...args, ...override })).toThrow(`Argument ${name} is invalid`);
  });
});

describe("applyObservation: reserves", () => {
  it("accepts the first round", () => {
    const observation = reserveObserved();
    expect(latestReserve(applyObservation(newState(), observation))).toBe(observation);
  });

  it("accepts a newer round", () => {
    const next = reserveObserved({ roundId: PHASE1 | 2n, block: blockRef(101n) });
    const state = fold(newState(), [reserveObserved({ roundId: PHASE1 | 1n }), next]);
    expect(latestReserve(state)).toBe(next);
  });

  it("ignores a duplicate round (event and reconcile of the same round) and returns the same state", () => {
    const state = applyObservation(newState(), reserveObserved({ roundId: PHASE1 | 5n }));
    const again = reserveObserved({ roundId: PHASE1 | 5n, block: blockRef(105n), source: "reconcile" });
    expect(applyObservation(state, again)).toBe(state);
  });

  it("ignores an older round (late backfill)", () => {
    const state = applyObservation(newState(), reserveObserved({ roundId: PHASE1 | 5n }));
    const older = reserveObserved({ roundId: PHASE1 | 4n, block: blockRef(90n), source: "backfill" });
    expect(applyObservation(state, older)).toBe(state);
  });

  it("accepts a gap in rounds (skipped round ids)", () => {
    const jump = reserveObserved({ roundId: PHASE1 | 9n, block: blockRef(110n) });
    expect(latestReserve(fold(newState(), [reserveObserved({ roundId: PHASE1 | 1n }), jump]))).toBe(jump);
  });

  it("accepts the first round of a new phase after an aggregator upgrade (phase-encoded ids grow)", () => {
    const upgraded = reserveObserved({
      roundId: PHASE2 | 1n,
      aggregator: "0x00000000000000000000000000000000000000b1",
      block: blockRef(200n),
    });
    const state = fold(newState(), [reserveObserved({ roundId: PHASE1 | 999n }), upgraded]);
    expect(latestReserve(state)).toBe(upgraded);
  });

  it("matches the feed address case-insensitively", () => {
    const upper = reserveObserved({ feed: FEED.toUpperCase().replace("0X", "0x") as typeof FEED });
    expect(latestReserve(applyObservation(newState(), upper))).toBe(upper);
  });

  it("keeps an answer <= 0 as the latest round (decide reports it as unknown)", () => {
    const bad = reserveObserved({ roundId: PHASE1 | 2n, answer: 0n, block: blockRef(101n) });
    const state = fold(newState(), [reserveObserved(), bad]);
    expect(latestReserve(state)).toBe(bad);
  });

  it.each([
    [{ assetId: "OTHER" }, /asset OTHER does not match/],
    [{ feed: AGGREGATOR }, /is not the asset's feed/],
    [{ chainId: BASE }, /is not the asset's feed/],
    [{ roundId: -1n }, /roundId -1 is negative/],
    [{ updatedAt: -1n }, /updatedAt -1 is negative/],
    [{ block: blockRef(-1n) }, /block number -1 is negative/],
  ])("rejects %o with InvalidObservationError", (override, message) => {
    const run = () => applyObservation(newState(), reserveObserved(override));
    expect(run).toThrow(InvalidObservationError);
    expect(run).toThrow(message);
  });

  it("rejects feed decimals outside 0..36", () => {
    expect(() => applyObservation(newState(), reserveObserved({ feedDecimals: 40 }))).toThrow(
      InvalidDecimalsError,
    );
  });
});

describe("applyObservation: supply", () => {
  it("keeps the latest supply per chain independently", () => {
    const main = supplyObserved({ chainId: MAINNET, block: blockRef(100n) });
    const base = supplyObserved({ chainId: BASE, block: blockRef(5_000n) });
    const state = fold(newState(), [main, base]);
    expect(latestSupply(state, MAINNET)).toBe(main);
    expect(latestSupply(state, BASE)).toBe(base);
  });

  it("accepts a reading from a newer block", () => {
    const newer = supplyObserved({ block: blockRef(101n), totalSupply: 1n });
    expect(latestSupply(fold(newState(), [supplyObserved(), newer]), MAINNET)).toBe(newer);
  });

  it("ignores a reading from an older block", () => {
    const state = applyObservation(newState(), supplyObserved({ block: blockRef(100n) }));
    expect(applyObservation(state, supplyObserved({ block: blockRef(99n), totalSupply: 1n }))).toBe(state);
  });

  it("ignores a duplicate (same block, same log index)", () => {
    const state = applyObservation(newState(), supplyObserved({ logIndex: 3, source: "event" }));
    expect(applyObservation(state, supplyObserved({ logIndex: 3, source: "backfill" }))).toBe(state);
  });

  it("orders by log index within a block, and puts the end-of-block reading last", () => {
    const log3 = supplyObserved({ logIndex: 3, totalSupply: 3n });
    const endOfBlock = supplyObserved({ totalSupply: 4n });
    const state = fold(newState(), [log3, supplyObserved({ logIndex: 1, totalSupply: 1n }), endOfBlock]);
    expect(latestSupply(state, MAINNET)).toBe(endOfBlock);
    expect(applyObservation(state, supplyObserved({ logIndex: 7, totalSupply: 7n }))).toBe(state);
  });

  it.each([
    [{ assetId: "OTHER" }, /asset OTHER does not match/],
    [{ chainId: 10 }, /chain 10 is not a supply chain/],
    [{ totalSupply: -1n }, /totalSupply -1 is negative/],
  ])("rejects %o with InvalidObservationError", (override, message) => {
    const run = () => applyObservation(newState(), supplyObserved(override));
    expect(run).toThrow(InvalidObservationError);
    expect(run).toThrow(message);
  });

  it("rejects token decimals outside 0..36", () => {
    expect(() => applyObservation(newState(), supplyObserved({ tokenDecimals: 1.5 }))).toThrow(
      InvalidDecimalsError,
    );
  });
});

describe("applyObservation: triggers", () => {
  it("returns the same state for clock.tick and feed.heartbeat_missed", () => {
    const state = applyObservation(newState(), reserveObserved());
    expect(applyObservation(state, { type: "clock.tick", now: 1n })).toBe(state);
    expect(
      applyObservation(state, {
        type: "feed.heartbeat_missed",
        assetId: ASSET,
        chainId: MAINNET,
        feed: FEED,
        now: 1n,
      }),
    ).toBe(state);
  });
});

describe("applyObservation: reorgs", () => {
  it("retracts a reserve round from a dropped block and falls back to the previous round", () => {
    const r1 = reserveObserved({ roundId: PHASE1 | 1n, block: blockRef(100n) });
    const r2 = reserveObserved({ roundId: PHASE1 | 2n, block: blockRef(105n) });
    const state = fold(newState(), [
      r1,
      r2,
      { type: "block.reorged", chainId: MAINNET, dropped: [blockRef(105n)], newHead: blockRef(106n, 1) },
    ]);
    expect(latestReserve(state)).toBe(r1);
  });

  it("re-accepts the same round when it is re-observed on the new fork", () => {
    const r2 = reserveObserved({ roundId: PHASE1 | 2n, block: blockRef(105n) });
    const r2OnFork = { ...r2, block: blockRef(106n, 1) };
    const state = fold(newState(), [
      reserveObserved({ roundId: PHASE1 | 1n }),
      r2,
      { type: "block.reorged", chainId: MAINNET, dropped: [blockRef(105n)], newHead: blockRef(106n, 1) },
      r2OnFork,
    ]);
    expect(latestReserve(state)).toBe(r2OnFork);
  });

  it("retracts supply readings from dropped blocks on that chain only", () => {
    const main100 = supplyObserved({ block: blockRef(100n), totalSupply: 1n });
    const main101 = supplyObserved({ block: blockRef(101n), totalSupply: 2n });
    const base = supplyObserved({ chainId: BASE, block: blockRef(101n), totalSupply: 9n });
    const state = fold(newState(), [
      main100,
      main101,
      base,
      { type: "block.reorged", chainId: MAINNET, dropped: [blockRef(101n)], newHead: blockRef(102n, 1) },
    ]);
    expect(latestSupply(state, MAINNET)).toBe(main100);
    expect(latestSupply(state, BASE)).toBe(base);
  });

  it("matches dropped blocks by hash: an observation of the same height on the surviving fork stays", () => {
    const onFork = supplyObserved({ block: blockRef(101n, 1) });
    const state = fold(newState(), [
      onFork,
      { type: "block.reorged", chainId: MAINNET, dropped: [blockRef(101n, 0)], newHead: blockRef(103n, 1) },
    ]);
    expect(latestSupply(state, MAINNET)).toBe(onFork);
  });

  it("retracts observations above the new head even if their block was not listed", () => {
    const low = supplyObserved({ block: blockRef(100n) });
    const state = fold(newState(), [
      low,
      supplyObserved({ block: blockRef(104n) }),
      { type: "block.reorged", chainId: MAINNET, dropped: [], newHead: blockRef(102n, 1) },
    ]);
    expect(latestSupply(state, MAINNET)).toBe(low);
  });

  it("ignores a reorg on a chain the asset does not track", () => {
    const state = applyObservation(newState(), supplyObserved());
    expect(
      applyObservation(state, {
        type: "block.reorged",
        chainId: 10,
        dropped: [blockRef(100n)],
        newHead: blockRef(101n),
      }),
    ).toBe(state);
  });

  it("falls back to unknown when a reorg retracts the only observation", () => {
    let state = fold(newState(), [
      reserveObserved({ block: blockRef(100n), updatedAt: 1_000n }),
      supplyObserved({ block: blockRef(100n) }),
      supplyObserved({ chainId: BASE, block: blockRef(7n), totalSupply: 1n }),
    ]);
    const asset = () => readAssetSnapshot(state);
    expect(decide({ state: undefined, asset: asset(), policy: POLICY, now: 1_000n }).decision.type).toBe(
      "healthy",
    );
    state = applyObservation(state, {
      type: "block.reorged",
      chainId: MAINNET,
      dropped: [blockRef(100n)],
      newHead: blockRef(100n, 1),
    });
    const { decision } = decide({ state: undefined, asset: asset(), policy: POLICY, now: 1_000n });
    expect(decision.type).toBe("unknown");
    expect(decision.reasons).toEqual([
      { type: "reserve.missing" },
      { type: "supply.missing", chainId: MAINNET },
    ]);
  });
});

describe("applyObservation: bounded history", () => {
  it("keeps only non-final readings plus the newest final one", () => {
    const depth = 3n;
    let state = newState(depth);
    for (let n = 1n; n <= 50n; n++) state = applyObservation(state, supplyObserved({ block: blockRef(n) }));
    const kept = state.chains.get(MAINNET)?.supplies.map((s) => s.block.number);
    expect(kept).toEqual([47n, 48n, 49n, 50n]);
  });

  it("undoes a reorg of exactly reorgDepth blocks", () => {
    const depth = 3n;
    let state = newState(depth);
    for (let n = 1n; n <= 50n; n++) state = applyObservation(state, supplyObserved({ block: blockRef(n) }));
    state = applyObservation(state, {
      type: "block.reorged",
      chainId: MAINNET,
      dropped: [blockRef(48n), blockRef(49n), blockRef(50n)],
      newHead: blockRef(51n, 1),
    });
    expect(latestSupply(state, MAINNET)?.block).toEqual(blockRef(47n));
  });

  it("caps each list at maxHistory entries", () => {
    let state = newState(1_000n, 5);
    for (let n = 1n; n <= 20n; n++) {
      state = applyObservation(state, reserveObserved({ roundId: PHASE1 | n, block: blockRef(n) }));
    }
    expect(state.chains.get(MAINNET)?.reserves.map((r) => r.roundId & 0xffffn)).toEqual([
      16n,
      17n,
      18n,
      19n,
      20n,
    ]);
  });

  it("property: after a reorg of at most reorgDepth blocks, the latest supply is the last one below the fork", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 20n }),
        fc.uniqueArray(fc.bigInt({ min: 1n, max: 300n }), { minLength: 1, maxLength: 80 }),
        fc.bigInt({ min: 0n, max: 20n }),
        (depth, rawBlocks, reorgSize) => {
          const blocks = [...rawBlocks].sort((a, b) => (a < b ? -1 : 1));
          const head = blocks.at(-1) ?? 0n;
          // biome-ignore lint/complexity/useMathMinMax: bigint operands (Math.min does not take bigint)
          const size = reorgSize > depth ? depth : reorgSize;
          const forkAt = head - size + 1n; // blocks >= forkAt are dropped
          let state = newState(depth);
          for (const n of blocks) state = applyObservation(state, supplyObserved({ block: blockRef(n) }));
          const dropped = blocks.filter((n) => n >= forkAt).map((n) => blockRef(n));
          state = applyObservation(state, {
            type: "block.reorged",
            chainId: MAINNET,
            dropped,
            newHead: blockRef(head + 1n, 1),
          });
          const expected = blocks.filter((n) => n < forkAt).at(-1);
          expect(latestSupply(state, MAINNET)?.block.number).toBe(expected);
        },
      ),
    );
  });
});

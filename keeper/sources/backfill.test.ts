import { type Address, getAbiItem, getAddress, type Hex, zeroAddress } from "viem";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  devAggregatorProxyAbi,
  devPorAggregatorAbi,
  reserveBackedStablecoinAbi,
  reserveCircuitBreakerAbi,
} from "../abi/index.ts";
import { InvalidArgumentError } from "../internal/errors.ts";
import { backfill } from "./backfill.ts";
import { createBreakerSource } from "./breaker.ts";
import { createReserveFeedSource, encodeRoundId } from "./reserveFeed.ts";
import { createSupplySource } from "./supply.ts";
import { FakeChain } from "./testFakeChain.ts";
import { eventId, type SourceEvent } from "./types.ts";

const ANSWER_UPDATED = getAbiItem({ abi: devPorAggregatorAbi, name: "AnswerUpdated" });
const CONFIRMED = getAbiItem({ abi: devAggregatorProxyAbi, name: "AggregatorConfirmed" });
const TRANSFER = getAbiItem({ abi: reserveBackedStablecoinAbi, name: "Transfer" });
const TRIPPED = getAbiItem({ abi: reserveCircuitBreakerAbi, name: "BreakerTripped" });
const PROXY = getAddress("0x1000000000000000000000000000000000000001");
const AGG1 = getAddress("0x2000000000000000000000000000000000000002");
const AGG2 = getAddress("0x3000000000000000000000000000000000000003");
const TOKEN = getAddress("0x4000000000000000000000000000000000000004");
const BREAKER = getAddress("0x5000000000000000000000000000000000000005");
const ALICE = getAddress("0x000000000000000000000000000000000000a11c");

/** A chain with a feed swapped from AGG1 (phase 1) to AGG2 (phase 2) at block 105, mints/burns and a trip. */
function scenario(opts: { emitConfirm: boolean }) {
  const chain = new FakeChain();
  chain.head = 110n;
  chain.set(PROXY, "aggregator", AGG1);
  chain.set(PROXY, "phaseId", 1);
  chain.set(PROXY, "latestRoundData", [encodeRoundId(1, 4n), 100n, 1n, 1n, encodeRoundId(1, 4n)]);
  chain.set(PROXY, "aggregator", AGG2, 105n);
  chain.set(PROXY, "phaseId", 2, 105n);
  chain.set(PROXY, "latestRoundData", [encodeRoundId(2, 1n), 90n, 5n, 5n, encodeRoundId(2, 1n)], 105n);
  chain.set(
    PROXY,
    "phaseAggregators",
    (a: readonly unknown[]) => [zeroAddress, AGG1, AGG2][Number(a[0])] ?? zeroAddress,
  );
  chain.set(AGG1, "decimals", 8);
  chain.set(AGG2, "decimals", 18);
  chain.set(TOKEN, "decimals", 6);
  chain.set(TOKEN, "totalSupply", 1_000n);
  chain.set(TOKEN, "totalSupply", 1_500n, 102n);
  chain.set(TOKEN, "totalSupply", 1_200n, 107n);
  chain.set(BREAKER, "paused", false);
  chain.set(BREAKER, "paused", true, 108n);
  const answer = (address: Address, roundId: bigint, block: bigint, logIndex: number) =>
    chain.log({
      address,
      event: ANSWER_UPDATED,
      values: { current: roundId * 10n, roundId, updatedAt: block },
      block,
      logIndex,
    });
  answer(AGG1, 5n, 101n, 0);
  chain.log({
    address: TOKEN,
    event: TRANSFER,
    values: { from: zeroAddress, to: ALICE, value: 500n },
    block: 102n,
    logIndex: 1,
  });
  answer(AGG2, 1n, 104n, 0); // the new aggregator's constructor round: before the swap
  if (opts.emitConfirm) {
    chain.log({
      address: PROXY,
      event: CONFIRMED,
      values: { previous: AGG1, latest: AGG2 },
      block: 105n,
      logIndex: 0,
    });
  }
  answer(AGG1, 6n, 106n, 0); // the old aggregator after the swap: no longer the proxy's
  answer(AGG2, 2n, 106n, 1);
  chain.log({
    address: TOKEN,
    event: TRANSFER,
    values: { from: ALICE, to: zeroAddress, value: 300n },
    block: 107n,
    logIndex: 0,
  });
  chain.log({
    address: BREAKER,
    event: TRIPPED,
    values: { by: ALICE, status: 1, reserves: 1n, supply: 2n, roundId: 3n, updatedAt: 4n },
    block: 108n,
    logIndex: 2,
  });
  return chain;
}

describe("backfill", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const run = async (chain: FakeChain, over: Partial<Parameters<typeof backfill>[0]> = {}) => {
    const events: SourceEvent[] = [];
    const last = await backfill({
      assetId: "dusd",
      chainId: 31337,
      from: 100n,
      to: 110n,
      maxLogRange: 4n,
      clients: chain.clients(),
      feed: { proxy: PROXY },
      token: TOKEN,
      breaker: BREAKER,
      emit: (e) => events.push(e),
      ...over,
    });
    return { events, last };
  };

  it("emits the baseline at `from`, then every log of (from, to] in block/log order, across an aggregator upgrade", async () => {
    const chain = scenario({ emitConfirm: true });
    const { events, last } = await run(chain);
    expect(last).toBe(110n);
    const summary = events.map((e) => {
      switch (e.type) {
        case "reserve.observed":
          return [e.type, e.block.number, e.logIndex, e.aggregator, e.roundId, e.feedDecimals, e.source];
        case "supply.observed":
          return [e.type, e.block.number, e.logIndex, e.totalSupply, e.source];
        case "breaker.observed":
          return [e.type, e.block.number, e.logIndex, e.kind, e.source];
        default:
          return [e.type];
      }
    });
    expect(summary).toEqual([
      ["reserve.observed", 100n, undefined, AGG1, encodeRoundId(1, 4n), 8, "backfill"],
      ["supply.observed", 100n, undefined, 1_000n, "backfill"],
      ["reserve.observed", 101n, 0, AGG1, encodeRoundId(1, 5n), 8, "backfill"],
      ["supply.observed", 102n, 1, 1_500n, "backfill"],
      ["reserve.observed", 106n, 1, AGG2, encodeRoundId(2, 2n), 18, "backfill"],
      ["supply.observed", 107n, 0, 1_200n, "backfill"],
      ["breaker.observed", 108n, 2, "tripped", "backfill"],
    ]);
  });

  it("follows a proxy that emits no AggregatorConfirmed by locating the phase change with proxy reads", async () => {
    const chain = scenario({ emitConfirm: false });
    const { events } = await run(chain);
    const reserves = events.filter((e) => e.type === "reserve.observed");
    expect(reserves.map((e) => [e.block.number, e.roundId])).toEqual([
      [100n, encodeRoundId(1, 4n)],
      [101n, encodeRoundId(1, 5n)],
      [106n, encodeRoundId(2, 2n)],
    ]);
  });

  it("covers the range in batches of maxLogRange and splits a batch the node refuses", async () => {
    const chain = scenario({ emitConfirm: true });
    const ranges: string[] = [];
    const request = chain.client.request;
    chain.client.request = async (a) => {
      const from = BigInt(a.params[0].fromBlock as Hex);
      const to = BigInt(a.params[0].toBlock as Hex);
      const address = ([] as Address[]).concat(a.params[0].address as Address);
      if (address.includes(TOKEN)) ranges.push(`${from}-${to}`);
      if (to - from + 1n > 2n) throw new Error("eth_getLogs is limited to a 2 block range");
      return request(a);
    };
    const { events } = await run(chain, { maxLogRange: 4n });
    // two mint/burn queries per batch; batches 101-104, 105-108, 109-110; each 4-block batch halves once
    expect([...new Set(ranges)]).toEqual([
      "101-104",
      "101-102",
      "103-104",
      "105-108",
      "105-106",
      "107-108",
      "109-110",
    ]);
    expect(events.filter((e) => e.type === "supply.observed").map((e) => e.totalSupply)).toEqual([
      1_000n,
      1_500n,
      1_200n,
    ]);
  });

  it("yields the same ids as live delivery for the same logs", async () => {
    const chain = scenario({ emitConfirm: true });
    const { events: backfilled } = await run(chain);
    // Live sources starting at block 100, catching up through their reconcile sweep.
    const live: SourceEvent[] = [];
    const clients = chain.clients();
    const emit = (e: SourceEvent) => live.push(e);
    const common = { assetId: "dusd", chainId: 31337, clients, emit, startBlock: 100n };
    const sources = [
      createReserveFeedSource({
        ...common,
        proxy: PROXY,
        heartbeatSeconds: 3600n,
        graceSeconds: 0n,
        reconcileIntervalMs: 60_000,
        now: () => 0n,
      }),
      createSupplySource({ ...common, token: TOKEN, reconcileIntervalMs: 60_000 }),
      createBreakerSource({ ...common, breaker: BREAKER }),
    ];
    for (const s of sources) await s.start();
    for (const s of sources) await s.stop();
    const logIds = (events: SourceEvent[]) =>
      events
        .filter((e) => "logIndex" in e && e.logIndex !== undefined)
        .map(eventId)
        .sort();
    expect(logIds(live)).toEqual(logIds(backfilled));
    expect(logIds(live)).toHaveLength(5);
    const supplyTotals = (events: SourceEvent[]) =>
      events
        .filter((e) => e.type === "supply.observed" && e.logIndex !== undefined)
        .map((e) => (e.type === "supply.observed" ? e.totalSupply : 0n));
    expect(supplyTotals(live)).toEqual(supplyTotals(backfilled));
  });

  it("emits only the baseline when from == to, and rejects bad ranges", async () => {
    const chain = scenario({ emitConfirm: true });
    const { events, last } = await run(chain, { from: 110n, to: 110n });
    expect(last).toBe(110n);
    expect(events.map((e) => e.type)).toEqual(["reserve.observed", "supply.observed"]);
    await expect(run(chain, { from: 5n, to: 4n })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(run(chain, { maxLogRange: 0n })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

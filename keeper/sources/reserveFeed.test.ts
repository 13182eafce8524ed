import { type Address, getAbiItem, getAddress, type Hex, type PublicClient } from "viem";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { devAggregatorProxyAbi, devPorAggregatorAbi } from "../abi/index.ts";
import { isRetryable, LogRangeTooLargeError, SourceReadError } from "../internal/errors.ts";
import { createMetrics } from "../telemetry/metrics.ts";
import type { ChainClients } from "./clients.ts";
import { getLogsSplitting, isLogRangeError, type SourceClients } from "./logs.ts";
import { createFeedLogProcessor, createReserveFeedSource, encodeRoundId } from "./reserveFeed.ts";
import { FakeChain } from "./testFakeChain.ts";
import { eventId, type SourceEvent } from "./types.ts";

const ANSWER_UPDATED = getAbiItem({ abi: devPorAggregatorAbi, name: "AnswerUpdated" });
const NEW_ROUND = getAbiItem({ abi: devPorAggregatorAbi, name: "NewRound" });
const CONFIRMED = getAbiItem({ abi: devAggregatorProxyAbi, name: "AggregatorConfirmed" });
const PROXY = getAddress("0x1000000000000000000000000000000000000001");
const AGG1 = getAddress("0x2000000000000000000000000000000000000002");
const AGG2 = getAddress("0x3000000000000000000000000000000000000003");
const T0 = 1_700_000_000;

function round(phase: number, id: bigint, answer: bigint, updatedAt: bigint, answeredInRound = id) {
  return [
    encodeRoundId(phase, id),
    answer,
    updatedAt,
    updatedAt,
    encodeRoundId(phase, answeredInRound),
  ] as const;
}

function setupFeed(chain: FakeChain, updatedAt: bigint) {
  chain.set(PROXY, "aggregator", AGG1);
  chain.set(PROXY, "phaseId", 1);
  chain.set(PROXY, "phaseAggregators", (a: readonly unknown[]) =>
    a[0] === 1 ? AGG1 : "0x0000000000000000000000000000000000000000",
  );
  chain.set(PROXY, "latestRoundData", round(1, 7n, 10_000_000_00000000n, updatedAt));
  chain.set(AGG1, "decimals", 8);
  chain.set(AGG2, "decimals", 18);
}

describe("createReserveFeedSource", () => {
  let chain: FakeChain;
  let events: { event: SourceEvent; receivedAtMs: number }[];
  const now = () => BigInt(Math.floor(Date.now() / 1000));
  const of = <T extends SourceEvent["type"]>(type: T) =>
    events.map((e) => e.event).filter((e): e is Extract<SourceEvent, { type: T }> => e.type === type);
  const make = (over: Partial<Parameters<typeof createReserveFeedSource>[0]> = {}) =>
    createReserveFeedSource({
      assetId: "dusd",
      chainId: 31337,
      proxy: PROXY,
      clients: chain.clients(),
      heartbeatSeconds: 60n,
      graceSeconds: 10n,
      reconcileIntervalMs: 3_600_000,
      now,
      emit: (event, meta) => events.push({ event, receivedAtMs: meta.receivedAtMs }),
      ...over,
    });

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 * 1000 });
    chain = new FakeChain();
    events = [];
    setupFeed(chain, BigInt(T0));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("resolves proxy → aggregator, phase and decimals, subscribes to the aggregator and reconciles once", async () => {
    const source = make();
    await source.start();
    expect(source.aggregator()).toBe(AGG1);
    expect(source.phaseId()).toBe(1);
    const [w] = [...chain.watchers];
    expect(w?.address).toEqual([PROXY, AGG1]);
    const reserves = of("reserve.observed");
    expect(reserves).toHaveLength(1);
    expect(reserves[0]).toMatchObject({
      source: "reconcile",
      feed: PROXY,
      aggregator: AGG1,
      roundId: (1n << 64n) | 7n,
      answer: 10_000_000_00000000n,
      feedDecimals: 8,
      updatedAt: BigInt(T0),
      block: { number: 100n, hash: chain.hash(100n) },
    });
    expect(reserves[0]?.logIndex).toBeUndefined();
    await source.stop();
  });

  it("emits reserve.observed straight from an AnswerUpdated log: phase-encoded round id, no RPC", async () => {
    const source = make();
    await source.start();
    chain.head = 101n;
    chain.log({
      address: AGG1,
      event: NEW_ROUND,
      values: { roundId: 8n, startedBy: AGG1, startedAt: 5n },
      block: 101n,
      logIndex: 0,
    });
    const log = chain.log({
      address: AGG1,
      event: ANSWER_UPDATED,
      values: { current: 3_000_000_00000000n, roundId: 8n, updatedAt: BigInt(T0 + 12) },
      block: 101n,
      logIndex: 1,
    });
    const callsBefore = chain.calls.length;
    const t = performance.now();
    chain.deliver(log);
    expect(chain.calls.length).toBe(callsBefore); // hot path: no RPC at all
    const live = of("reserve.observed").filter((e) => e.source === "event");
    expect(live).toEqual([
      {
        type: "reserve.observed",
        assetId: "dusd",
        chainId: 31337,
        feed: PROXY,
        aggregator: AGG1,
        roundId: (1n << 64n) | 8n,
        answer: 3_000_000_00000000n,
        feedDecimals: 8,
        updatedAt: BigInt(T0 + 12),
        block: { number: 101n, hash: chain.hash(101n) },
        logIndex: 1,
        source: "event",
      },
    ]);
    expect(eventId(live[0]!)).toBe(`31337:${chain.hash(101n)}:1`);
    expect(events.at(-1)!.receivedAtMs).toBeGreaterThanOrEqual(t);
    // The same log again (ws redelivery, or found again by the reconcile sweep): not emitted twice.
    chain.deliver(log);
    await source.reconcile();
    const ids = events.map((e) => eventId(e.event));
    expect(new Set(ids).size).toBe(ids.length);
    expect(of("reserve.observed").filter((e) => e.logIndex === 1)).toHaveLength(1);
    await source.stop();
  });

  it("reconciles every reconcileIntervalMs at a known block, and counts observations by source", async () => {
    const metrics = createMetrics();
    const source = make({ reconcileIntervalMs: 5_000, heartbeatSeconds: 3600n, metrics });
    await source.start();
    expect(of("reserve.observed")).toHaveLength(1);
    chain.head = 105n;
    await vi.advanceTimersByTimeAsync(4_999);
    expect(of("reserve.observed")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(of("reserve.observed")).toHaveLength(2);
    expect(of("reserve.observed")[1]?.block.number).toBe(105n);
    chain.head = 110n;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(of("reserve.observed")).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(5_000); // same head: one reconcile reading per block
    expect(of("reserve.observed")).toHaveLength(3);
    chain.head = 111n;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(of("reserve.observed")).toHaveLength(4);
    expect(chain.calls.filter((c) => c === "read:latestRoundData")).toHaveLength(6);
    const counted = await metrics.observationsTotal.get();
    expect(
      counted.values.find((v) => v.labels.type === "reserve.observed" && v.labels.source === "reconcile")
        ?.value,
    ).toBe(4);
    await source.stop();
  });

  it("detects a stale feed by time alone: heartbeat_missed at updatedAt + heartbeat + grace, no new data", async () => {
    const metrics = createMetrics();
    const source = make({ metrics }); // heartbeat 60 s, grace 10 s, reconcile hourly
    await source.start();
    const readsAtStart = chain.calls.length;
    chain.head = 130n;
    await vi.advanceTimersByTimeAsync(70_000); // age 70 s = heartbeat + grace: not yet stale
    expect(of("feed.heartbeat_missed")).toHaveLength(0);
    expect(chain.calls.length).toBe(readsAtStart);
    await vi.advanceTimersByTimeAsync(1_000); // age 71 s
    const missed = of("feed.heartbeat_missed");
    expect(missed).toEqual([
      { type: "feed.heartbeat_missed", assetId: "dusd", chainId: 31337, feed: PROXY, now: BigInt(T0 + 71) },
    ]);
    // The deadline triggered a reconcile (latestRoundData re-read) as well.
    expect(of("reserve.observed")).toHaveLength(2);
    expect((await metrics.feedAgeSeconds.get()).values[0]?.value).toBe(71);
    await source.stop();
  });

  it("a new round pushes the heartbeat deadline out", async () => {
    const source = make();
    await source.start();
    await vi.advanceTimersByTimeAsync(50_000);
    chain.head = 110n;
    chain.deliver(
      chain.log({
        address: AGG1,
        event: ANSWER_UPDATED,
        values: { current: 5n, roundId: 8n, updatedAt: BigInt(T0 + 50) },
        block: 110n,
        logIndex: 0,
      }),
    );
    await vi.advanceTimersByTimeAsync(30_000); // T0+80: old deadline passed, new one (T0+121) not
    expect(of("feed.heartbeat_missed")).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(41_000); // T0+121
    expect(of("feed.heartbeat_missed").map((e) => e.now)).toEqual([BigInt(T0 + 121)]);
    await source.stop();
  });

  it("reports heartbeat_missed while the RPC is down, and keeps reporting it on every reconcile", async () => {
    const source = make({ reconcileIntervalMs: 30_000 });
    await source.start();
    chain.failReads = true;
    await vi.advanceTimersByTimeAsync(71_000);
    // reconciles at 30 s and 60 s (not stale yet), the deadline at 71 s → missed although reads fail
    expect(of("feed.heartbeat_missed").map((e) => e.now)).toEqual([BigInt(T0 + 71)]);
    await vi.advanceTimersByTimeAsync(19_000); // periodic reconcile at 90 s
    expect(of("feed.heartbeat_missed").map((e) => e.now)).toEqual([BigInt(T0 + 71), BigInt(T0 + 90)]);
    expect(of("reserve.observed")).toHaveLength(1);
    await source.stop();
  });

  it("follows an AggregatorConfirmed: re-reads decimals, resubscribes, round ids jump phase", async () => {
    const source = make();
    await source.start();
    // The swap lands in block 102; the new aggregator's constructor round sits before the confirm.
    chain.head = 102n;
    chain.set(PROXY, "aggregator", AGG2, 102n);
    chain.set(PROXY, "phaseId", 2, 102n);
    chain.set(PROXY, "latestRoundData", round(2, 1n, 4n * 10n ** 24n, BigInt(T0 + 2)), 102n);
    const ctor = chain.log({
      address: AGG2,
      event: ANSWER_UPDATED,
      values: { current: 4n * 10n ** 24n, roundId: 1n, updatedAt: BigInt(T0 + 2) },
      block: 102n,
      logIndex: 0,
    });
    const confirm = chain.log({
      address: PROXY,
      event: CONFIRMED,
      values: { previous: AGG1, latest: AGG2 },
      block: 102n,
      logIndex: 1,
    });
    const lateOld = chain.log({
      address: AGG1,
      event: ANSWER_UPDATED,
      values: { current: 1n, roundId: 9n, updatedAt: BigInt(T0 + 2) },
      block: 102n,
      logIndex: 2,
    });
    chain.deliver(ctor); // not subscribed yet: no-op
    chain.deliver(confirm);
    chain.deliver(lateOld); // old aggregator after the swap: not an observation
    await vi.advanceTimersByTimeAsync(0);
    expect(source.aggregator()).toBe(AGG2);
    expect(source.phaseId()).toBe(2);
    expect([...chain.watchers].map((w) => w.address)).toEqual([[PROXY, AGG2]]);
    expect(chain.calls).toContain("read:decimals");

    chain.head = 103n;
    chain.deliver(
      chain.log({
        address: AGG2,
        event: ANSWER_UPDATED,
        values: { current: 5n * 10n ** 24n, roundId: 2n, updatedAt: BigInt(T0 + 3) },
        block: 103n,
        logIndex: 0,
      }),
    );
    const live = of("reserve.observed").filter((e) => e.source === "event");
    expect(live.map((e) => [e.aggregator, e.roundId, e.feedDecimals])).toEqual([
      [AGG2, (2n << 64n) | 2n, 18],
    ]);
    const reconciled = of("reserve.observed")
      .filter((e) => e.source === "reconcile")
      .at(-1);
    expect(reconciled).toMatchObject({ aggregator: AGG2, roundId: (2n << 64n) | 1n, feedDecimals: 18 });
    await source.stop();
  });

  it("queues live logs while an upgrade cannot be resolved (RPC down) and retries within a second", async () => {
    const source = make();
    await source.start();
    chain.head = 102n;
    chain.set(PROXY, "aggregator", AGG2, 102n);
    chain.set(PROXY, "phaseId", 2, 102n);
    chain.failReads = true;
    chain.deliver(
      chain.log({
        address: PROXY,
        event: CONFIRMED,
        values: { previous: AGG1, latest: AGG2 },
        block: 102n,
        logIndex: 0,
      }),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(source.aggregator()).toBe(AGG2); // the phase history knows, but decimals are unknown
    expect([...chain.watchers].map((w) => w.address)).toEqual([[PROXY, AGG1]]);
    chain.failReads = false;
    chain.head = 103n;
    chain.log({
      address: AGG2,
      event: ANSWER_UPDATED,
      values: { current: 7n, roundId: 2n, updatedAt: BigInt(T0 + 1) },
      block: 103n,
      logIndex: 0,
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect([...chain.watchers].map((w) => w.address)).toEqual([[PROXY, AGG2]]);
    const answers = of("reserve.observed").filter((e) => e.logIndex !== undefined);
    expect(answers.map((e) => [e.roundId, e.feedDecimals])).toEqual([[(2n << 64n) | 2n, 18]]);
    await source.stop();
  });

  it("detects an aggregator swap on reconcile when the proxy emits no AggregatorConfirmed (v0.6 proxies)", async () => {
    const source = make();
    await source.start();
    chain.head = 110n;
    chain.set(PROXY, "aggregator", AGG2, 105n);
    chain.set(PROXY, "phaseId", 2, 105n);
    chain.set(PROXY, "latestRoundData", round(2, 3n, 42n, BigInt(T0 + 9)), 107n);
    chain.log({
      address: AGG2,
      event: ANSWER_UPDATED,
      values: { current: 41n, roundId: 2n, updatedAt: BigInt(T0 + 1) },
      block: 104n, // before the swap: not the proxy's answer
      logIndex: 0,
    });
    chain.log({
      address: AGG2,
      event: ANSWER_UPDATED,
      values: { current: 42n, roundId: 3n, updatedAt: BigInt(T0 + 9) },
      block: 107n,
      logIndex: 0,
    });
    await source.reconcile();
    expect(source.aggregator()).toBe(AGG2);
    expect(source.phaseId()).toBe(2);
    const swept = of("reserve.observed").filter((e) => e.logIndex !== undefined);
    expect(swept.map((e) => [e.block.number, e.roundId, e.source])).toEqual([
      [107n, (2n << 64n) | 3n, "reconcile"],
    ]);
    expect([...chain.watchers].map((w) => w.address)).toEqual([[PROXY, AGG2]]);
    await source.stop();
  });

  it("finds answers live delivery missed in the reconcile sweep, with the same ids", async () => {
    const source = make();
    await source.start();
    chain.head = 104n;
    const missed = chain.log({
      address: AGG1,
      event: ANSWER_UPDATED,
      values: { current: 9n, roundId: 8n, updatedAt: BigInt(T0 + 3) },
      block: 103n,
      logIndex: 4,
    });
    await source.reconcile();
    const swept = of("reserve.observed").filter((e) => e.logIndex !== undefined);
    expect(swept).toHaveLength(1);
    expect(swept[0]?.source).toBe("reconcile");
    expect(eventId(swept[0]!)).toBe(`31337:${missed.blockHash}:4`);
    expect(source.coveredTo()).toBe(104n);
    chain.deliver(missed); // late ws delivery of a settled block: ignored
    expect(of("reserve.observed").filter((e) => e.logIndex !== undefined)).toHaveLength(1);
    await source.stop();
  });

  it("emits non-positive answers, incomplete rounds and absurd decimals raw, without crashing", async () => {
    chain.set(AGG1, "decimals", 77);
    chain.set(PROXY, "latestRoundData", round(1, 9n, -5n, BigInt(T0), 8n));
    const source = make();
    await source.start();
    chain.head = 101n;
    chain.deliver(
      chain.log({
        address: AGG1,
        event: ANSWER_UPDATED,
        values: { current: 0n, roundId: 10n, updatedAt: BigInt(T0) },
        block: 101n,
        logIndex: 0,
      }),
    );
    expect(of("reserve.observed").map((e) => [e.answer, e.feedDecimals, e.roundId])).toEqual([
      [-5n, 77, (1n << 64n) | 9n],
      [0n, 77, (1n << 64n) | 10n],
    ]);
    await source.stop();
  });

  it("start() fails with a retryable SourceReadError when the node is down; stop() ends all timers", async () => {
    chain.failReads = true;
    const failing = make();
    const err = await failing.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceReadError);
    expect(isRetryable(err)).toBe(true);

    chain.failReads = false;
    const source = make({ reconcileIntervalMs: 1_000 });
    await source.start();
    await source.stop();
    const n = events.length;
    await vi.advanceTimersByTimeAsync(120_000);
    expect(events.length).toBe(n);
    expect(chain.watchers.size).toBe(0);
  });

  it("accepts ChainClients from clients.ts", () => {
    const clients = {} as ChainClients;
    const asSource: SourceClients = clients;
    expect(asSource).toBeDefined();
  });
});

describe("createFeedLogProcessor", () => {
  it("counts an answer only while its aggregator is the proxy's (position rule)", () => {
    const chain = new FakeChain();
    const p = createFeedLogProcessor({
      assetId: "a",
      chainId: 1,
      proxy: PROXY,
      initialPhase: { phaseId: 3, aggregator: AGG1 },
    });
    p.setDecimals(AGG1, 8);
    p.setDecimals(AGG2, 8);
    const answer = (address: Address, block: bigint, logIndex: number) =>
      chain.log({
        address,
        event: ANSWER_UPDATED,
        values: { current: 1n, roundId: 5n, updatedAt: 1n },
        block,
        logIndex,
      });
    const confirm = chain.log({
      address: PROXY,
      event: CONFIRMED,
      values: { previous: AGG1, latest: AGG2 },
      block: 10n,
      logIndex: 3,
    });
    expect(p.apply(answer(AGG1, 10n, 2), "backfill").type).toBe("reserve");
    expect(p.apply(confirm, "backfill")).toMatchObject({ type: "phase", isNew: true, phase: { phaseId: 4 } });
    expect(p.apply(confirm, "backfill")).toMatchObject({ type: "phase", isNew: false });
    expect(p.apply(answer(AGG1, 10n, 4), "backfill").type).toBe("ignored");
    expect(p.apply(answer(AGG2, 10n, 1), "backfill").type).toBe("ignored");
    const r = p.apply(answer(AGG2, 10n, 5), "backfill");
    expect(r.type === "reserve" && r.observation.roundId).toBe((4n << 64n) | 5n);
  });
});

describe("getLogsSplitting", () => {
  const filter = { address: AGG1, topics: [] };
  function limited(limit: bigint, message = "query exceeds max block range 3") {
    const chain = new FakeChain();
    for (let b = 1n; b <= 10n; b += 1n) {
      chain.log({
        address: AGG1,
        event: ANSWER_UPDATED,
        values: { current: b, roundId: b, updatedAt: b },
        block: b,
        logIndex: 0,
      });
    }
    const ranges: [bigint, bigint][] = [];
    const request = chain.client.request;
    chain.client.request = async (a) => {
      const from = BigInt(a.params[0].fromBlock as Hex);
      const to = BigInt(a.params[0].toBlock as Hex);
      ranges.push([from, to]);
      if (to - from + 1n > limit) throw Object.assign(new Error(message), { code: -32602 });
      return request(a);
    };
    return { client: chain.client as unknown as PublicClient, ranges };
  }

  it("requests at most maxLogRange blocks at a time and halves ranges the node refuses", async () => {
    const { client, ranges } = limited(3n);
    const logs = await getLogsSplitting({
      client,
      chainId: 1,
      filter,
      fromBlock: 1n,
      toBlock: 10n,
      maxLogRange: 8n,
    });
    expect(logs.map((l) => l.blockNumber)).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n]);
    expect(ranges).toEqual([
      [1n, 8n],
      [1n, 4n],
      [1n, 2n],
      [3n, 4n],
      [5n, 8n],
      [5n, 6n],
      [7n, 8n],
      [9n, 10n],
    ]);
  });

  it("gives up on a single block the node still refuses, and does not split on other errors", async () => {
    const tooBig = limited(0n, "query returned more than 10000 results");
    await expect(
      getLogsSplitting({ client: tooBig.client, chainId: 1, filter, fromBlock: 1n, toBlock: 2n }),
    ).rejects.toBeInstanceOf(LogRangeTooLargeError);
    const down = limited(0n, "fetch failed: connection refused");
    const err = await getLogsSplitting({
      client: down.client,
      chainId: 1,
      filter,
      fromBlock: 1n,
      toBlock: 4n,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceReadError);
    expect(down.ranges).toHaveLength(1);
  });

  it("classifies range errors, not rate limits", () => {
    expect(isLogRangeError(Object.assign(new Error("limit exceeded"), { code: -32005 }))).toBe(true);
    expect(
      isLogRangeError(
        new Error(
          "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range",
        ),
      ),
    ).toBe(true);
    expect(isLogRangeError(new Error("block range is too wide"))).toBe(true);
    expect(isLogRangeError(new Error("429 Too Many Requests: rate limit exceeded"))).toBe(false);
    expect(isLogRangeError(new Error("socket hang up"))).toBe(false);
  });
});

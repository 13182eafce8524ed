import { type AbiEvent, getAbiItem, getAddress, zeroAddress } from "viem";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { reserveCircuitBreakerAbi } from "../abi/index.ts";
import { createMetrics } from "../telemetry/metrics.ts";
import { createBreakerSource } from "./breaker.ts";
import { FakeChain } from "./testFakeChain.ts";
import { eventId, type SourceEvent } from "./types.ts";

const ev = <N extends string>(name: N) =>
  getAbiItem({ abi: reserveCircuitBreakerAbi, name: name as never }) as AbiEvent;
const BREAKER = getAddress("0x5000000000000000000000000000000000000005");
const KEEPER = getAddress("0x000000000000000000000000000000000000cee9");
const OUTSIDER = getAddress("0x0000000000000000000000000000000000000bad");
const S1 = getAddress("0x0000000000000000000000000000000000000051");
const S2 = getAddress("0x0000000000000000000000000000000000000052");

describe("createBreakerSource", () => {
  let chain: FakeChain;
  let events: SourceEvent[];
  const observed = () => events.filter((e) => e.type === "breaker.observed");
  const make = (over: Partial<Parameters<typeof createBreakerSource>[0]> = {}) =>
    createBreakerSource({
      assetId: "dusd",
      chainId: 31337,
      breaker: BREAKER,
      clients: chain.clients(),
      emit: (event) => events.push(event),
      reconcileIntervalMs: 5_000,
      ...over,
    });

  beforeEach(() => {
    vi.useFakeTimers();
    chain = new FakeChain();
    events = [];
    chain.set(BREAKER, "paused", false);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("reads paused() at start and decodes pause, trip, unpause and signer-set logs", async () => {
    const metrics = createMetrics();
    const source = make({ metrics });
    expect(source.paused()).toBeUndefined();
    await source.start();
    expect(source.paused()).toBe(false);

    chain.deliver(
      chain.log({
        address: BREAKER,
        event: ev("Paused"),
        values: { account: OUTSIDER },
        block: 101n,
        logIndex: 0,
      }),
    );
    expect(source.paused()).toBe(true); // OZ Paused moves the state but is not an observation
    expect(observed()).toHaveLength(0);
    const tripped = chain.log({
      address: BREAKER,
      event: ev("BreakerTripped"),
      values: { by: OUTSIDER, status: 1, reserves: 3n, supply: 6n, roundId: (1n << 64n) | 2n, updatedAt: 9n },
      block: 101n,
      logIndex: 1,
    });
    chain.deliver(tripped);
    chain.deliver(
      chain.log({
        address: BREAKER,
        event: ev("BreakerUnpaused"),
        values: { submittedBy: KEEPER, nonce: 0n, reasonHash: `0x${"ab".repeat(32)}`, signers: [S1, S2] },
        block: 105n,
        logIndex: 0,
      }),
    );
    expect(source.paused()).toBe(false);
    chain.deliver(
      chain.log({
        address: BREAKER,
        event: ev("BreakerPaused"),
        values: { by: KEEPER, reason: "shortfall", observedReserves: 3n, observedSupply: 6n },
        block: 106n,
        logIndex: 2,
      }),
    );
    chain.deliver(
      chain.log({
        address: BREAKER,
        event: ev("SignerSetChanged"),
        values: { nonce: 1n, signers: [S1], threshold: 1n },
        block: 107n,
        logIndex: 0,
      }),
    );
    expect(observed().map((e) => [e.kind, e.by, e.block.number, e.logIndex, e.source])).toEqual([
      ["tripped", OUTSIDER, 101n, 1, "event"],
      ["unpaused", KEEPER, 105n, 0, "event"],
      ["paused", KEEPER, 106n, 2, "event"],
      ["signers_changed", zeroAddress, 107n, 0, "event"],
    ]);
    expect(observed()[0]).toMatchObject({
      breaker: BREAKER,
      txHash: tripped.transactionHash,
      args: { status: 1, reserves: 3n, supply: 6n, roundId: (1n << 64n) | 2n, updatedAt: 9n },
    });
    expect(observed()[3]?.args).toMatchObject({ signers: [S1], threshold: 1n });
    expect(eventId(observed()[0]!)).toBe(`31337:${chain.hash(101n)}:1`);
    expect(source.paused()).toBe(true);
    expect((await metrics.breakerPaused.get()).values[0]?.value).toBe(1);
    await source.stop();
  });

  it("reconciles paused() periodically and sweeps logs live delivery missed", async () => {
    const source = make();
    await source.start();
    chain.head = 103n;
    chain.set(BREAKER, "paused", true, 102n);
    chain.log({
      address: BREAKER,
      event: ev("BreakerTripped"),
      values: { by: OUTSIDER, status: 1, reserves: 3n, supply: 6n, roundId: 5n, updatedAt: 9n },
      block: 102n,
      logIndex: 4,
    });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(source.paused()).toBe(true);
    expect(observed().map((e) => [e.kind, e.source])).toEqual([["tripped", "backfill"]]);
    // An older log delivered late does not move the state back.
    chain.deliver(
      chain.log({
        address: BREAKER,
        event: ev("Unpaused"),
        values: { account: KEEPER },
        block: 99n,
        logIndex: 0,
      }),
    );
    expect(source.paused()).toBe(true);
    await source.stop();
  });

  it("keeps the last known state when a reconcile read fails", async () => {
    const source = make();
    await source.start();
    chain.failReads = true;
    await vi.advanceTimersByTimeAsync(15_000);
    expect(source.paused()).toBe(false);
    await source.stop();
  });
});

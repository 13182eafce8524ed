import {
  type AbiEvent,
  type Address,
  encodeAbiParameters,
  encodeEventTopics,
  getAbiItem,
  getAddress,
  type Hex,
  keccak256,
  type PublicClient,
  toHex,
  zeroAddress,
} from "viem";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { reserveCircuitBreakerAbi } from "../abi/index.ts";
import { createMetrics } from "../telemetry/metrics.ts";
import { createBreakerSource } from "./breaker.ts";
import type { SourceClients } from "./reserveFeed.ts";
import { eventId, type SourceEvent } from "./types.ts";

// ---------------------------------------------------------------------------------------------
// A fake chain behind the four client methods the sources use (getBlock, readContract,
// request eth_getLogs, watchEvent); every call is recorded so tests can prove the hot path makes none.
// ---------------------------------------------------------------------------------------------

type StoredLog = {
  address: Address;
  topics: Hex[];
  data: Hex;
  blockNumber: bigint;
  blockHash: Hex;
  logIndex: number;
  transactionHash: Hex;
  removed: boolean;
};
type Watcher = { address: Address[]; topics: (Hex | Hex[] | null)[]; onLogs: (l: StoredLog[]) => void };

class FakeChain {
  head = 100n;
  calls: string[] = [];
  logs: StoredLog[] = [];
  failReads = false;
  watchers = new Set<Watcher>();
  private timeline = new Map<string, { from: bigint; value: (args: readonly unknown[]) => unknown }[]>();

  hash(n: bigint): Hex {
    return keccak256(toHex(`block:${n}`));
  }
  /** Sets what `address.fn(args)` returns from block `from` on. */
  set(address: Address, fn: string, value: unknown, from = 0n): void {
    const key = `${address.toLowerCase()}:${fn}`;
    const list = this.timeline.get(key) ?? [];
    list.push({ from, value: typeof value === "function" ? (value as () => unknown) : () => value });
    list.sort((a, b) => (a.from < b.from ? -1 : 1));
    this.timeline.set(key, list);
  }
  log(args: {
    address: Address;
    event: AbiEvent;
    values: Record<string, unknown>;
    block: bigint;
    logIndex: number;
  }): StoredLog {
    const topics = encodeEventTopics({
      abi: [args.event],
      eventName: args.event.name,
      args: Object.fromEntries(
        args.event.inputs.filter((i) => i.indexed).map((i) => [i.name, args.values[i.name!]]),
      ),
    } as never) as Hex[];
    const data = encodeAbiParameters(
      args.event.inputs.filter((i) => !i.indexed),
      args.event.inputs.filter((i) => !i.indexed).map((i) => args.values[i.name!]),
    );
    const log: StoredLog = {
      address: args.address,
      topics,
      data,
      blockNumber: args.block,
      blockHash: this.hash(args.block),
      logIndex: args.logIndex,
      transactionHash: keccak256(toHex(`tx:${args.block}:${args.logIndex}`)),
      removed: false,
    };
    this.logs.push(log);
    return log;
  }
  /** Delivers a stored log to every matching subscription, like eth_subscribe would. */
  deliver(log: StoredLog): void {
    for (const w of this.watchers) if (matches(log, w.address, w.topics)) w.onLogs([log]);
  }

  readonly client = {
    getBlock: async (p: { blockTag?: string; blockNumber?: bigint }) => {
      this.calls.push("getBlock");
      if (this.failReads) throw new Error("connection refused");
      const n = p.blockNumber ?? this.head;
      return { number: n, hash: this.hash(n), timestamp: n };
    },
    readContract: async (p: {
      address: Address;
      functionName: string;
      args?: readonly unknown[];
      blockNumber: bigint;
    }) => {
      this.calls.push(`read:${p.functionName}`);
      if (this.failReads) throw new Error("connection refused");
      const list = this.timeline.get(`${p.address.toLowerCase()}:${p.functionName}`) ?? [];
      const entry = list.filter((e) => e.from <= p.blockNumber).at(-1);
      if (!entry) throw new Error(`execution reverted: ${p.functionName} at ${p.blockNumber}`);
      return entry.value(p.args ?? []);
    },
    request: async ({ method, params }: { method: string; params: [Record<string, unknown>] }) => {
      this.calls.push(method);
      if (method !== "eth_getLogs") throw new Error(`unsupported ${method}`);
      const [f] = params;
      const from = BigInt(f.fromBlock as Hex);
      const to = BigInt(f.toBlock as Hex);
      const address = ([] as Address[]).concat(f.address as Address | Address[]);
      return this.logs
        .filter((l) => l.blockNumber >= from && l.blockNumber <= to)
        .filter((l) => matches(l, address, f.topics as (Hex | Hex[] | null)[]))
        .map((l) => ({ ...l, blockNumber: toHex(l.blockNumber), logIndex: toHex(l.logIndex) }));
    },
    watchEvent: (p: {
      address: Address | Address[];
      event?: AbiEvent;
      events?: AbiEvent[];
      args?: Record<string, unknown>;
      onLogs: (l: StoredLog[]) => void;
    }) => {
      this.calls.push("watchEvent");
      const topics: (Hex | Hex[] | null)[] = p.event
        ? (encodeEventTopics({ abi: [p.event], eventName: p.event.name, args: p.args } as never) as Hex[])
        : [p.events!.map((e) => encodeEventTopics({ abi: [e], eventName: e.name } as never)[0] as Hex)];
      const w: Watcher = { address: ([] as Address[]).concat(p.address), topics, onLogs: p.onLogs };
      this.watchers.add(w);
      return () => this.watchers.delete(w);
    },
  };
  clients(): SourceClients {
    const c = this.client as unknown as PublicClient;
    return { http: c, ws: c };
  }
}

function matches(log: StoredLog, address: Address[], topics: (Hex | Hex[] | null)[] | undefined): boolean {
  if (!address.some((a) => a.toLowerCase() === log.address.toLowerCase())) return false;
  return (topics ?? []).every(
    (t, i) => t === null || (Array.isArray(t) ? t.includes(log.topics[i]!) : t === log.topics[i]),
  );
}

// ---------------------------------------------------------------------------------------------

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

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
import { reserveBackedStablecoinAbi } from "../abi/index.ts";
import type { SourceClients } from "./reserveFeed.ts";
import { createSupplySource, supplyDeltaOf } from "./supply.ts";
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

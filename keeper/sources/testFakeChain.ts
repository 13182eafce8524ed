// Test-only: a scripted fake chain behind the four client methods the chain sources use (getBlock,
// readContract, request eth_getLogs, watchEvent); every call is recorded so tests can prove the hot path
// makes none. Shared by the reserveFeed, supply, breaker and backfill tests. Not imported by runtime code.
import {
  type AbiEvent,
  type Address,
  encodeAbiParameters,
  encodeEventTopics,
  type Hex,
  keccak256,
  type PublicClient,
  toHex,
} from "viem";
import type { SourceClients } from "./logs.ts";

export type StoredLog = {
  address: Address;
  topics: Hex[];
  data: Hex;
  blockNumber: bigint;
  blockHash: Hex;
  logIndex: number;
  transactionHash: Hex;
  removed: boolean;
};
export type FakeWatcher = {
  address: Address[];
  topics: (Hex | Hex[] | null)[];
  onLogs: (l: StoredLog[]) => void;
};

export class FakeChain {
  head = 100n;
  calls: string[] = [];
  logs: StoredLog[] = [];
  failReads = false;
  watchers = new Set<FakeWatcher>();
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
      const w: FakeWatcher = { address: ([] as Address[]).concat(p.address), topics, onLogs: p.onLogs };
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

import type { KeeperConfig } from "../config/schema.ts";
import { policyFor } from "../config/schema.ts";
import type { Decision, ReserveObserved, SupplyObserved } from "../engine/types.ts";
import { InvalidArgumentError } from "../internal/errors.ts";
import { backfill } from "../sources/backfill.ts";
import { assertChainId, type ChainClients, createChainClients } from "../sources/clients.ts";
import { eventId, type SourceEvent } from "../sources/types.ts";
import type { Logger } from "../telemetry/logger.ts";
import { createMetrics } from "../telemetry/metrics.ts";
import { createAssetWatch } from "./assetWatch.ts";

export type ReplayLine = {
  readonly assetId: string;
  /** The observation that triggered the decision. */
  readonly trigger: {
    readonly id: string;
    readonly type: string;
    readonly chainId: number;
    readonly block: bigint;
  };
  /** The decision time: the trigger block's timestamp (never the wall clock). */
  readonly at: bigint;
  readonly decision: Decision;
};

type Timed = { readonly event: ReserveObserved | SupplyObserved; readonly ts: bigint };

/**
 * Re-runs the engine over a historical range and returns every decision, deterministically: the same
 * range gives the same lines on every run (time = block timestamps; events ordered by timestamp, chain,
 * block, log index). The range is in blocks of `chain` (default: the first asset's feed chain); other
 * chains are replayed over the blocks whose timestamps fall inside the range.
 */
export async function replay(args: {
  config: KeeperConfig;
  from: bigint;
  to: bigint;
  chain?: string;
  logger: Logger;
}): Promise<ReplayLine[]> {
  const { config, from, to, logger } = args;
  if (from > to) throw new InvalidArgumentError({ name: "from", reason: "must be <= to", value: from });
  const metrics = createMetrics();
  const anchorName = args.chain ?? config.assets[0]?.feed.chain;
  const anchor = config.chains.find((c) => c.name === anchorName);
  if (!anchor)
    throw new InvalidArgumentError({ name: "chain", reason: "is not a configured chain", value: anchorName });
  const clients = new Map<number, ChainClients>();
  try {
    for (const c of config.chains) {
      const cl = createChainClients({ chainId: c.id, httpUrl: c.rpc.http, logger, metrics });
      await assertChainId(cl.http, c.id);
      clients.set(c.id, cl);
    }
    const ts = new Map<string, bigint>();
    const timestampOf = async (chainId: number, n: bigint) => {
      const key = `${chainId}:${n}`;
      let t = ts.get(key);
      if (t === undefined) {
        t = (await clients.get(chainId)!.http.getBlock({ blockNumber: n })).timestamp;
        ts.set(key, t);
      }
      return t;
    };
    const fromTs = await timestampOf(anchor.id, from);
    const toTs = await timestampOf(anchor.id, to);
    /** Last block of `chainId` with timestamp <= t (binary search), or -1n when none. */
    const blockAt = async (chainId: number, t: bigint): Promise<bigint> => {
      let lo = 0n;
      let hi = await clients.get(chainId)!.http.getBlockNumber();
      if ((await timestampOf(chainId, lo)) > t) return -1n;
      while (lo < hi) {
        const mid = (lo + hi + 1n) / 2n;
        if ((await timestampOf(chainId, mid)) <= t) lo = mid;
        else hi = mid - 1n;
      }
      return lo;
    };

    const lines: ReplayLine[] = [];
    for (const asset of config.assets) {
      const byName = new Map(config.chains.map((c) => [c.name, c]));
      const feedChain = byName.get(asset.feed.chain)!;
      const events: Timed[] = [];
      for (const d of asset.deployments) {
        const chain = byName.get(d.chain)!;
        const rangeFrom = chain.id === anchor.id ? from : await blockAt(chain.id, fromTs);
        const rangeTo = chain.id === anchor.id ? to : await blockAt(chain.id, toTs);
        if (rangeFrom < 0n || rangeTo < rangeFrom) continue;
        const collected: SourceEvent[] = [];
        await backfill({
          assetId: asset.id,
          chainId: chain.id,
          from: rangeFrom,
          to: rangeTo,
          maxLogRange: chain.maxLogRange,
          clients: clients.get(chain.id)!,
          feed: chain.id === feedChain.id ? { proxy: asset.feed.proxy } : undefined,
          token: d.token,
          bridge: { messengers: d.cctpMessengers, fromBlock: d.deployedAtBlock ?? rangeFrom },
          emit: (e) => collected.push(e),
          logger,
          metrics,
        });
        for (const e of collected) {
          if (e.type !== "reserve.observed" && e.type !== "supply.observed" && e.type !== "bridge.baseline")
            continue;
          events.push({ event: e as Timed["event"], ts: await timestampOf(e.chainId, e.block.number) });
        }
      }
      events.sort((a, b) => {
        if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
        if (a.event.chainId !== b.event.chainId) return a.event.chainId - b.event.chainId;
        if (a.event.block.number !== b.event.block.number)
          return a.event.block.number < b.event.block.number ? -1 : 1;
        const li = (e: SourceEvent) => ("logIndex" in e && e.logIndex !== undefined ? e.logIndex : -1);
        return li(a.event) - li(b.event);
      });
      const watch = createAssetWatch({
        assetId: asset.id,
        feed: { chainId: feedChain.id, address: asset.feed.proxy },
        supplyChainIds: asset.deployments.map((d) => byName.get(d.chain)!.id),
        reorgDepth: 0n,
        policy: policyFor(asset),
        confirmations: new Map(),
      });
      for (const { event, ts: at } of events) {
        watch.observe(event);
        lines.push({
          assetId: asset.id,
          trigger: {
            id: eventId(event),
            type: event.type,
            chainId: event.chainId,
            block: event.block.number,
          },
          at,
          decision: watch.decide(at),
        });
      }
    }
    return lines;
  } finally {
    for (const c of clients.values()) await c.close().catch(() => {});
  }
}

/** NDJSON with bigints as decimal strings; keys in a fixed order so runs compare byte for byte. */
export function toNdjson(lines: readonly ReplayLine[]): string {
  return lines
    .map((l) => JSON.stringify(l, (_k, v) => (typeof v === "bigint" ? v.toString() : v)))
    .join("\n");
}

import { type Address, getAddress } from "viem";
import type { ReserveObserved, SupplyObserved } from "../engine/types.ts";
import { InvalidArgumentError } from "../internal/errors.ts";
import { decodeBreakerLog, getBreakerLogs } from "./breaker.ts";
import { bridgedFlowOf, bridgeTxsOf, getBridgeLogs, sumBridgeFlows } from "./bridge.ts";
import {
  createSourceContext,
  getLogsSplitting,
  logEventId,
  type MinedLog,
  readBlockRef,
  type SourceArgs,
  sortLogs,
} from "./logs.ts";
import {
  adoptUnannouncedPhases,
  createFeedLogProcessor,
  FEED_TOPICS,
  readFeedDecimals,
  readPhaseAggregator,
  readProxyPhaseId,
  readProxyState,
} from "./reserveFeed.ts";
import {
  getSupplyLogs,
  readTokenDecimals,
  readTotalSupply,
  supplyDeltaOf,
  supplyObservedFromLog,
} from "./supply.ts";

export type BackfillArgs = Pick<
  SourceArgs,
  "assetId" | "chainId" | "clients" | "emit" | "logger" | "metrics"
> & {
  /** The last checkpointed block: the baseline is read at its end, logs are scanned after it. */
  from: bigint;
  /** Last block to cover (usually the head at start). */
  to: bigint;
  /** Most blocks per eth_getLogs request (halved while the node says the range/result is too large). */
  maxLogRange: bigint;
  /** The chain's PoR feed proxy, if the feed lives on this chain. */
  feed?: { readonly proxy: Address } | undefined;
  /** The asset's token on this chain. */
  token?: Address | undefined;
  /** The asset's breaker on this chain. */
  breaker?: Address | undefined;
  /**
   * The chain's CCTP TokenMessengers for the token, and the first block their flows are summed from
   * (the deployment block). Adds a `bridge.baseline` (flows of [fromBlock, from]) and the `bridged`
   * flow of each mint/burn log after it.
   */
  bridge?: { readonly messengers: readonly Address[]; readonly fromBlock: bigint } | undefined;
};

/**
 * Catches one chain up from the last checkpoint `from` to `to`, emitting exactly what live delivery
 * would (same event ids for the same logs; source "backfill"):
 *
 * 1. a baseline at the end of block `from`: proxy.latestRoundData() → `reserve.observed` and
 *    totalSupply() → `supply.observed` (no logIndex), so the state is known even if nothing happened;
 * 2. the feed, mint/burn and breaker logs of (from, to] in bounded eth_getLogs batches of maxLogRange
 *    blocks (split in half and retried when the node refuses a range as too large), emitted in
 *    (block, logIndex) order: AnswerUpdated of whichever aggregator the proxy pointed at at that log
 *    (the phases of (from, to] come from proxy.phaseAggregators and the proxy's AggregatorConfirmed
 *    logs, so an upgrade inside the range is followed and round ids jump phase), mints/burns with the
 *    running total after each log, breaker events.
 *
 * Returns the last block covered (`to`). Throws SourceReadError (retryable) when a read fails,
 * InvalidArgumentError for a bad range; nothing is skipped silently.
 */
export async function backfill(args: BackfillArgs): Promise<bigint> {
  const { assetId, chainId, from, to, maxLogRange, clients } = args;
  if (from < 0n) throw new InvalidArgumentError({ name: "from", reason: "must be >= 0", value: from });
  if (to < from)
    throw new InvalidArgumentError({ name: "to", reason: `must be >= from (${from})`, value: to });
  if (maxLogRange < 1n) {
    throw new InvalidArgumentError({ name: "maxLogRange", reason: "must be >= 1", value: maxLogRange });
  }
  const { logger, send } = createSourceContext(args, {
    component: "backfill",
    asset: assetId,
    chain_id: chainId,
  });
  const http = clients.http;
  const base = await readBlockRef(http, chainId, from);

  // ---- feed: baseline at `from`, phases up to `to` -------------------------------------------
  let feed:
    | {
        processor: ReturnType<typeof createFeedLogProcessor>;
        addresses: Address[];
        aggregatorOf: Map<number, Address>;
        targetPhaseId: number;
      }
    | undefined;
  if (args.feed) {
    const proxy = getAddress(args.feed.proxy);
    const atFrom = await readProxyState(http, chainId, proxy, from);
    const processor = createFeedLogProcessor({
      assetId,
      chainId,
      proxy,
      initialPhase: { phaseId: atFrom.phaseId, aggregator: atFrom.aggregator },
    });
    processor.setDecimals(atFrom.aggregator, await readFeedDecimals(http, chainId, atFrom.aggregator, from));
    const baseline: ReserveObserved = {
      type: "reserve.observed",
      assetId,
      chainId,
      feed: proxy,
      aggregator: atFrom.aggregator,
      roundId: atFrom.roundId,
      answer: atFrom.answer,
      feedDecimals: processor.decimalsOf(atFrom.aggregator)!,
      updatedAt: atFrom.updatedAt,
      block: { number: base.number, hash: base.hash },
      source: "backfill",
    };
    send(baseline, performance.now());

    const atTo = to === from ? atFrom : await readProxyState(http, chainId, proxy, to);
    const aggregatorOf = new Map<number, Address>([[atFrom.phaseId, atFrom.aggregator]]);
    for (let p = atFrom.phaseId + 1; p <= atTo.phaseId; p += 1) {
      const aggregator =
        p === atTo.phaseId ? atTo.aggregator : await readPhaseAggregator(http, chainId, proxy, p, to);
      aggregatorOf.set(p, aggregator);
      if (processor.decimalsOf(aggregator) === undefined) {
        processor.setDecimals(aggregator, await readFeedDecimals(http, chainId, aggregator, to));
      }
    }
    feed = {
      processor,
      addresses: [proxy, ...new Set(aggregatorOf.values())],
      aggregatorOf,
      targetPhaseId: atTo.phaseId,
    };
  }

  // ---- supply: baseline at `from` ----------------------------------------------------------
  let supply: { token: Address; decimals: number; total: bigint } | undefined;
  if (args.token) {
    const token = getAddress(args.token);
    const decimals = await readTokenDecimals(clients, chainId, token, from);
    const total = await readTotalSupply(clients, chainId, token, from);
    supply = { token, decimals, total };
  }
  const bridge =
    supply && args.bridge && args.bridge.messengers.length > 0
      ? { messengers: args.bridge.messengers.map((m) => getAddress(m)), fromBlock: args.bridge.fromBlock }
      : undefined;
  if (supply && bridge) {
    // Before the supply baseline: the first decision that sees this chain's supply must also see the
    // transfers in flight up to the same block, or a transfer would count twice (or not at all).
    const fromBlock = bridge.fromBlock < from ? bridge.fromBlock : from;
    const before = await getBridgeLogs({
      client: http,
      chainId,
      messengers: bridge.messengers,
      token: supply.token,
      fromBlock,
      toBlock: from,
      maxLogRange,
    });
    send(
      {
        type: "bridge.baseline",
        assetId,
        chainId,
        token: supply.token,
        tokenDecimals: supply.decimals,
        flow: sumBridgeFlows(before),
        fromBlock,
        block: { number: base.number, hash: base.hash },
      },
      performance.now(),
    );
  }
  if (supply) {
    const baseline: SupplyObserved = {
      type: "supply.observed",
      assetId,
      chainId,
      token: supply.token,
      totalSupply: supply.total,
      tokenDecimals: supply.decimals,
      block: { number: base.number, hash: base.hash },
      source: "backfill",
    };
    send(baseline, performance.now());
  }
  const breaker = args.breaker === undefined ? undefined : getAddress(args.breaker);

  // ---- logs of (from, to] in batches --------------------------------------------------------
  let emittedLogs = 0;
  for (let a = from + 1n; a <= to; ) {
    const b = a + maxLogRange - 1n < to ? a + maxLogRange - 1n : to;
    const [feedLogs, supplyLogs, breakerLogs, bridgeLogs] = await Promise.all([
      feed
        ? getLogsSplitting({
            client: http,
            chainId,
            filter: { address: feed.addresses, topics: FEED_TOPICS },
            fromBlock: a,
            toBlock: b,
            maxLogRange,
          })
        : [],
      supply
        ? getSupplyLogs({ clients, chainId, token: supply.token, fromBlock: a, toBlock: b, maxLogRange })
        : [],
      breaker ? getBreakerLogs({ clients, chainId, breaker, fromBlock: a, toBlock: b, maxLogRange }) : [],
      supply && bridge
        ? getBridgeLogs({
            client: http,
            chainId,
            messengers: bridge.messengers,
            token: supply.token,
            fromBlock: a,
            toBlock: b,
            maxLogRange,
          })
        : [],
    ]);
    const bridgeTxs = bridgeTxsOf(bridgeLogs);
    const receivedAtMs = performance.now();
    if (feed) {
      // Phases reached by the end of this batch that no AggregatorConfirmed announces (v0.6 proxies).
      const known = feed.processor.currentPhase().phaseId;
      const targetPhaseId =
        b === to || known >= feed.targetPhaseId
          ? feed.targetPhaseId
          : await readProxyPhaseId(http, chainId, feed.processor.proxy, b);
      await adoptUnannouncedPhases({
        client: http,
        chainId,
        processor: feed.processor,
        logs: feedLogs,
        targetPhaseId,
        aggregatorOf: (p) => feed.aggregatorOf.get(p)!,
        fromBlock: a,
        toBlock: b,
        logger,
      });
    }
    const kinds = new Map<MinedLog, "feed" | "supply" | "breaker">();
    for (const l of feedLogs) kinds.set(l, "feed");
    for (const l of supplyLogs) kinds.set(l, "supply");
    for (const l of breakerLogs) kinds.set(l, "breaker");
    const seen = new Set<string>();
    for (const log of sortLogs([...kinds.keys()])) {
      const id = logEventId(chainId, log);
      if (seen.has(id)) continue;
      seen.add(id);
      switch (kinds.get(log)) {
        case "feed": {
          const r = feed!.processor.apply(log, "backfill");
          if (r.type === "reserve") {
            send(r.observation, receivedAtMs);
            emittedLogs += 1;
          } else if (r.type === "decimals_unknown") {
            logger.error(
              { aggregator: r.aggregator, block: log.blockNumber },
              "feed answer of an unknown aggregator",
            );
          }
          break;
        }
        case "supply": {
          const delta = supplyDeltaOf(log);
          if (delta === undefined || !supply) break;
          supply.total += delta;
          send(
            supplyObservedFromLog({
              assetId,
              chainId,
              token: supply.token,
              tokenDecimals: supply.decimals,
              log,
              totalSupply: supply.total,
              source: "backfill",
              bridged: bridgedFlowOf(log, bridgeTxs),
            }),
            receivedAtMs,
          );
          emittedLogs += 1;
          break;
        }
        case "breaker": {
          const effect = decodeBreakerLog({ assetId, chainId, breaker: breaker!, log, source: "backfill" });
          if (effect.observation) {
            send(effect.observation, receivedAtMs);
            emittedLogs += 1;
          }
          break;
        }
        default:
          break;
      }
    }
    a = b + 1n;
  }

  if (supply && to > from) {
    const reconciled = await readTotalSupply(clients, chainId, supply.token, to);
    if (reconciled !== supply.total) {
      logger.warn(
        { block: to, running_total: supply.total, total_supply: reconciled },
        "backfill running total disagreed with totalSupply()",
      );
    }
  }
  logger.info({ from, to, observations: emittedLogs }, "backfill covered range");
  return to;
}

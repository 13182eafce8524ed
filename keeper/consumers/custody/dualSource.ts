/**
 * The custody service's dual-source check: keeps each asset's latest PoR answer (reserve.observed from the
 * bus, forgotten on block.reorged), compares it with the custodian's report, publishes
 * reserve.sources_agree / _disagree / _not_comparable when the state changes, and pauses the asset's
 * breakers on a disagreement with custody.dualSource.onDisagree: pause.
 */
import type { PauseResult } from "../../actions/pauseExecutor.ts";
import { messageIdOf } from "../../bus/routing.ts";
import type {
  BusPayload,
  Envelope,
  ReserveSourcesAgree,
  ReserveSourcesDisagree,
  ReserveSourcesNotComparable,
} from "../../bus/types.ts";
import { CANONICAL_DECIMALS, normalizeAmount } from "../../engine/normalize.ts";
import { UnhandledVariantError } from "../../internal/errors.ts";
import { compareReserves } from "./compare.ts";
import type { CustodyPauser } from "./pauser.ts";
import type { AssetState, CustodyServiceContext } from "./serviceContext.ts";

export type DualSource = {
  /** Compares the asset's report with its PoR answer; returns a message when the state changed. */
  compareAsset(a: AssetState): BusPayload | undefined;
  /** Applies one observations envelope (run it inside the context's `serial`). */
  onEnvelope(e: Envelope): Promise<void>;
};

export type CreateDualSourceArgs = {
  readonly ctx: CustodyServiceContext;
  /** Required with custody.dualSource.onDisagree: pause. */
  readonly pauser?: CustodyPauser | undefined;
};

/** Creates the dual-source comparison of one custody service. */
export function createDualSource(args: CreateDualSourceArgs): DualSource {
  const { ctx } = args;
  const { custody, metrics, log, now, assets } = ctx;

  function compareAsset(a: AssetState): BusPayload | undefined {
    const report = a.report;
    const por = a.por;
    if (!report || !por) return undefined;
    const { toleranceBps, maxAsOfSkewSeconds, onDisagree } = custody.dualSource;
    const c = compareReserves({
      custodian: { amount: report.balance.amount, decimals: report.balance.decimals, asOf: report.asOf },
      por: { amount: por.answer, decimals: por.feedDecimals, asOf: por.updatedAt },
      toleranceBps,
      maxAsOfSkewSeconds,
    });
    const comparedAt = now();
    a.comparison = {
      ...c,
      comparedAt,
      custodianAsOf: report.asOf,
      porUpdatedAt: por.updatedAt,
      porRoundId: por.roundId,
    };
    let payload: ReserveSourcesAgree | ReserveSourcesDisagree | ReserveSourcesNotComparable;
    let state: string;
    switch (c.type) {
      case "agree":
      case "disagree": {
        metrics.reserveSourcesComparable.set({ asset: a.id }, 1);
        metrics.reserveSourcesDiffBps.set({ asset: a.id }, Number(c.diffBps));
        metrics.reserveSourcesDisagree.set({ asset: a.id }, c.type === "disagree" ? 1 : 0);
        const figures = {
          assetId: a.id,
          custodian: report.custodian,
          decimals: c.decimals,
          custodianAmount: c.custodianAmount,
          porAmount: c.porAmount,
          difference: c.difference,
          diffBps: c.diffBps,
          toleranceBps: c.toleranceBps,
          direction: c.direction,
          custodianAsOf: report.asOf,
          porUpdatedAt: por.updatedAt,
          porRoundId: por.roundId,
          porChainId: por.chainId,
          comparedAt,
        };
        payload =
          c.type === "agree"
            ? { type: "reserve.sources_agree", ...figures }
            : { type: "reserve.sources_disagree", ...figures, action: onDisagree };
        state = c.type === "agree" ? "agree" : `disagree/${c.direction}`;
        break;
      }
      case "not_comparable":
        metrics.reserveSourcesComparable.set({ asset: a.id }, 0);
        payload = {
          type: "reserve.sources_not_comparable",
          assetId: a.id,
          reason: c.reason,
          custodianAsOf: report.asOf,
          porUpdatedAt: por.updatedAt,
          porRoundId: por.roundId,
          skewSeconds: c.skewSeconds,
          maxAsOfSkewSeconds: c.maxAsOfSkewSeconds,
          comparedAt,
        };
        state = `not_comparable/${c.reason}`;
        break;
      default:
        throw new UnhandledVariantError({ subject: "reserve comparison", value: c satisfies never });
    }
    if (c.type === "agree") {
      a.pausedThisEpisode = false;
      a.retryPause = false;
    }
    if (payload.type === "reserve.sources_disagree") maybePause(a, payload);
    if (state === a.publishedComparison) return undefined;
    const previous = a.publishedComparison;
    a.publishedComparison = state;
    const fields = {
      asset: a.id,
      state,
      previous,
      ...(c.type === "not_comparable"
        ? { reason: c.reason, skew_seconds: c.skewSeconds, max_skew_seconds: c.maxAsOfSkewSeconds }
        : {
            diff_bps: c.diffBps,
            tolerance_bps: c.toleranceBps,
            custodian_amount: c.custodianAmount,
            por_amount: c.porAmount,
            decimals: c.decimals,
          }),
      custodian_as_of: report.asOf,
      por_updated_at: por.updatedAt,
    };
    if (c.type === "disagree") log.error(fields, "reserve sources disagreed");
    else if (c.type === "agree") log.info(fields, "reserve sources agreed");
    else log.warn(fields, "reserve sources were not comparable");
    return payload;
  }

  function maybePause(a: AssetState, payload: ReserveSourcesDisagree): void {
    const { onDisagree, pauseOn } = custody.dualSource;
    if (onDisagree !== "pause" || !args.pauser || ctx.stopping) return;
    if (pauseOn === "custodian_below" && payload.direction !== "custodian_below") return;
    if (a.pausing || (a.pausedThisEpisode && !a.retryPause)) return;
    const pauser = args.pauser;
    const decisionId = messageIdOf(payload);
    const lower = payload.direction === "custodian_below" ? payload.custodianAmount : payload.porAmount;
    a.pausing = true;
    a.pausedThisEpisode = true;
    a.retryPause = false;
    a.pause = { state: "pausing", decisionId, at: now() };
    log.warn({ asset: a.id, decision_id: decisionId, diff_bps: payload.diffBps }, "custody pause requested");
    ctx.track(
      pauser
        .pause({
          assetId: a.id,
          decisionId,
          reason: `custody sources_disagree: custodian ${payload.direction.replace("custodian_", "")} PoR by ${payload.diffBps} bps (tolerance ${payload.toleranceBps})`,
          observedReserves: normalizeAmount(lower, payload.decimals, CANONICAL_DECIMALS),
        })
        .then((results: PauseResult[]) => {
          const failed = results.some((r) => r.outcome === "failed");
          a.retryPause = failed;
          a.pause = { state: failed ? "failed" : "paused", decisionId, at: now() };
          for (const r of results) {
            log[r.outcome === "failed" ? "error" : "info"](
              {
                asset: a.id,
                chain: r.chainId,
                outcome: r.outcome,
                tx_hash: r.txHash,
                block: r.blockNumber,
                err: r.error,
              },
              "custody pause finished",
            );
          }
        })
        .catch((err: unknown) => {
          a.retryPause = true;
          a.pause = { state: "failed", decisionId, at: now() };
          log.error({ err, asset: a.id }, "custody pause failed");
        })
        .finally(() => {
          a.pausing = false;
        }),
    );
  }

  async function onEnvelope(e: Envelope): Promise<void> {
    switch (e.type) {
      case "reserve.observed": {
        const p = e.payload;
        const a = assets.get(p.assetId);
        if (!a) return;
        const cur = a.por;
        const newer =
          cur === undefined ||
          p.roundId > cur.roundId ||
          (p.roundId === cur.roundId && p.updatedAt > cur.updatedAt);
        if (!newer) return;
        a.por = {
          answer: p.answer,
          feedDecimals: p.feedDecimals,
          updatedAt: p.updatedAt,
          roundId: p.roundId,
          chainId: p.chainId,
          blockHash: p.block.hash,
        };
        const out = compareAsset(a);
        if (out) await ctx.publish([out]);
        return;
      }
      case "block.reorged": {
        const dropped = new Set(e.payload.dropped.map((b) => b.hash));
        for (const a of assets.values()) {
          if (a.por && a.por.chainId === e.payload.chainId && dropped.has(a.por.blockHash as `0x${string}`)) {
            log.info({ asset: a.id, chain: a.por.chainId }, "custody forgot a reorged PoR answer");
            a.por = undefined;
          }
        }
        return;
      }
      default:
        return;
    }
  }

  return { compareAsset, onEnvelope };
}

/**
 * The state the custody service's parts share: the per-asset state, the lifecycle flags, the one queue
 * that serialises state changes, the set of background work in flight and bus publishing.
 *
 * State changes are serialised (one queue): bus messages, poll results and verification results are
 * applied one at a time, so a comparison always sees one consistent (report, PoR answer) pair.
 */
import type { Bus } from "../../bus/port.ts";
import type { BusPayload, CustodyAttestationChecked } from "../../bus/types.ts";
import { isRetryable } from "../../internal/errors.ts";
import type { Logger } from "../../telemetry/logger.ts";
import type { KeeperMetrics } from "../../telemetry/metrics.ts";
import type { CustodyConfig } from "./config.ts";
import { SECONDS_PER_DAY } from "./health.ts";
import type { CustodyHealthView, CustodyReport, ReserveComparison } from "./types.ts";

/** The latest PoR answer of an asset, from reserve.observed. */
export type PorAnswer = {
  readonly answer: bigint;
  readonly feedDecimals: number;
  readonly updatedAt: bigint;
  readonly roundId: bigint;
  readonly chainId: number;
  readonly blockHash: string;
};

/** The last comparison of an asset, with the inputs it used. */
export type ComparisonView = ReserveComparison & {
  readonly comparedAt: bigint;
  readonly custodianAsOf: bigint;
  readonly porUpdatedAt: bigint;
  readonly porRoundId: bigint;
};

/** What /v1/custody shows about one asset. */
export type CustodyAssetView = {
  readonly assetId: string;
  readonly report: CustodyReport | undefined;
  readonly health: CustodyHealthView;
  readonly lastError: { readonly code: string; readonly message: string; readonly at: bigint } | undefined;
  readonly por: PorAnswer | undefined;
  readonly comparison: ComparisonView | undefined;
  readonly pause:
    | { readonly state: "pausing" | "paused" | "failed"; readonly decisionId: string; readonly at: bigint }
    | undefined;
};

/** One verification (what verifyAttestationsNow returns and publishes). */
export type AttestationCheckResult = CustodyAttestationChecked;

/** The mutable state of one asset (changed only inside `serial`, or by its pause in flight). */
export type AssetState = {
  readonly id: string;
  report: CustodyReport | undefined;
  lastFetch: "ok" | "unavailable" | "rejected" | "invalid" | undefined;
  lastError: CustodyAssetView["lastError"];
  health: CustodyHealthView | undefined;
  /** provider/report/soc of the last published custody.health. */
  publishedHealth: string | undefined;
  por: PorAnswer | undefined;
  comparison: ComparisonView | undefined;
  /** State of the last published reserve.sources_* message. */
  publishedComparison: string | undefined;
  /** A pause was done (or is running) for the current disagreement. */
  pausedThisEpisode: boolean;
  retryPause: boolean;
  pausing: boolean;
  pause: CustodyAssetView["pause"];
};

export type CustodyServiceContext = {
  /** The validated `custody` config section. */
  readonly custody: CustodyConfig;
  readonly metrics: KeeperMetrics;
  /** The service's logger (component: custody). */
  readonly log: Logger;
  /** Wall clock, unix seconds. */
  readonly now: () => bigint;
  /** custody.socWarnDays in seconds. */
  readonly socWarnSeconds: bigint;
  /** One entry per configured asset, in config order. */
  readonly assets: ReadonlyMap<string, AssetState>;
  /** start() was called (stays true until stop() finished). */
  running: boolean;
  /** stop() was called. */
  stopping: boolean;
  /** Runs `fn` after every state change queued before it. */
  serial<T>(fn: () => T | Promise<T>): Promise<T>;
  /** Keeps `p` in the set of background work that stop() and idle() wait for. */
  track<T>(p: Promise<T>): Promise<T>;
  /** Publishes the payloads in one batch, retrying retryable failures; logs (never throws) on failure. */
  publish(payloads: readonly BusPayload[]): Promise<void>;
  /** The end of the state-change queue as of now. */
  queueTail(): Promise<void>;
  /** The tracked background work still in flight. */
  inflight(): Promise<unknown>[];
};

export type CreateCustodyServiceContextArgs = {
  readonly custody: CustodyConfig;
  readonly bus: Bus;
  readonly logger: Logger;
  readonly metrics: KeeperMetrics;
  readonly now?: (() => bigint) | undefined;
};

const systemNow = () => BigInt(Math.floor(Date.now() / 1000));

/** Creates the shared state of one custody service. */
export function createCustodyServiceContext(args: CreateCustodyServiceContextArgs): CustodyServiceContext {
  const { custody, bus, metrics } = args;
  const log = args.logger.child({ component: "custody" });
  const assets = new Map<string, AssetState>(
    custody.assets.map((a) => [
      a.id,
      {
        id: a.id,
        report: undefined,
        lastFetch: undefined,
        lastError: undefined,
        health: undefined,
        publishedHealth: undefined,
        por: undefined,
        comparison: undefined,
        publishedComparison: undefined,
        pausedThisEpisode: false,
        retryPause: false,
        pausing: false,
        pause: undefined,
      },
    ]),
  );
  const inflight = new Set<Promise<unknown>>();
  let chain: Promise<void> = Promise.resolve();

  const ctx: CustodyServiceContext = {
    custody,
    metrics,
    log,
    now: args.now ?? systemNow,
    socWarnSeconds: BigInt(custody.socWarnDays) * SECONDS_PER_DAY,
    assets,
    running: false,
    stopping: false,
    serial<T>(fn: () => T | Promise<T>): Promise<T> {
      const next = chain.then(fn);
      chain = next.then(
        () => {},
        () => {},
      );
      return next;
    },
    track<T>(p: Promise<T>): Promise<T> {
      inflight.add(p);
      p.finally(() => inflight.delete(p)).catch(() => {});
      return p;
    },
    async publish(payloads: readonly BusPayload[]): Promise<void> {
      if (payloads.length === 0) return;
      for (let attempt = 1; ; attempt++) {
        try {
          await bus.publish(payloads.map((payload) => ({ payload })));
          return;
        } catch (err) {
          if (!isRetryable(err) || attempt >= 5 || ctx.stopping) {
            log.error({ err, types: payloads.map((p) => p.type) }, "custody publish failed");
            return;
          }
          await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 5_000)));
        }
      }
    },
    queueTail: () => chain,
    inflight: () => [...inflight],
  };
  return ctx;
}

/**
 * Pause-latency bench: a private two-chain devnet, the keeper in-process, N shortfall trials.
 *
 *   node bench/latency.ts [--trials 200] [--block-time 1000] [--json]
 *
 * Figures go to stdout (text, or one JSON object with --json); progress goes to stderr.
 * Exit codes: 0 every trial measured (however slow), 1 harness failure or a trial that could not be
 * measured (no pause mined on the home chain), 2 bad command line. See bench/README.md.
 */
import { parseArgs } from "node:util";
import {
  type Address,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hash,
  http,
  type PublicClient,
} from "viem";
import { devnetPrivateKey } from "../deploy/devnet/accounts.ts";
import type { DevnetManifest } from "../deploy/devnet/manifest.ts";
import { unpause } from "../deploy/devnet/scenario.ts";
import {
  devPorAggregatorAbi,
  reserveBackedStablecoinAbi,
  reserveCircuitBreakerAbi,
} from "../keeper/abi/index.ts";
import type { PauseEvent } from "../keeper/actions/pauseExecutor.ts";
import { messageIdOf } from "../keeper/bus/routing.ts";
import { configFromDevnetManifest } from "../keeper/config/fromDevnet.ts";
import { waitFor } from "../keeper/internal/waitFor.ts";
import { type RunningKeeper, startKeeper } from "../keeper/main.ts";
import type { KeeperHooks } from "../keeper/runtime/keeper.ts";
import { eventId } from "../keeper/sources/types.ts";
import { createLogger } from "../keeper/telemetry/logger.ts";
import { type BenchDevnet, startBenchDevnet } from "./lib/benchDevnet.ts";
import { type MachineFacts, machineFacts } from "./lib/machineFacts.ts";
import { countGaps, type Summary, summarize } from "./lib/stats.ts";

// -------------------------------------------------------------------------------------------------
// Command line
// -------------------------------------------------------------------------------------------------

type Options = { trials: number; blockTimeMs: number; json: boolean };

const USAGE = `Usage: node bench/latency.ts [--trials n] [--block-time ms] [--json]

  --trials n        shortfall trials to run (default 200)
  --block-time ms   interval mining on both devnet chains, ms (default 1000)
  --json            print the figures as one JSON object
  Keeper logs: BENCH_KEEPER_LOG=info (default silent), to stderr.`;

class UsageError extends Error {}

function parseOptions(argv: string[]): Options | "help" {
  let values: { trials?: string; "block-time"?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        trials: { type: "string" },
        "block-time": { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return "help";
  const int = (name: string, raw: string | undefined, fallback: number, min: number, max: number) => {
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      throw new UsageError(`--${name} "${raw}" is not an integer in ${min}..${max}.`);
    }
    return Number(raw);
  };
  return {
    trials: int("trials", values.trials, 200, 1, 100_000),
    blockTimeMs: int("block-time", values["block-time"], 1000, 50, 60_000),
    json: values.json ?? false,
  };
}

// -------------------------------------------------------------------------------------------------
// What the keeper hooks record
// -------------------------------------------------------------------------------------------------

type ReserveSeen = {
  receivedAtMs: number;
  blockNumber: bigint;
  source: string;
  logIndex: number | undefined;
};
type DecisionSeen = {
  triggerType: string;
  triggerId: string;
  /** Trigger received → decision, ms (the keeper's detectionMs). */
  detectionMs: number | undefined;
  /** performance.now() when the decision was taken. */
  atMs: number;
  /** Last block.head the keeper had handled per chain when it decided. */
  heads: Map<number, bigint>;
};
/** A block.head as the head tracker received it (receivedAtMs), whenever the keeper handled it. */
type HeadSeen = { number: bigint; receivedAtMs: number };
type PauseSeen = { event: PauseEvent; atMs: number };

function createRecorder(assetId: string, feedChainId: number) {
  const heads = new Map<number, bigint>();
  const reserves = new Map<string, ReserveSeen>();
  const decisions = new Map<string, DecisionSeen>();
  const pauses: PauseSeen[] = [];
  const headLog = new Map<number, HeadSeen[]>();
  let tracking = false;
  const hooks: KeeperHooks = {
    onEvent(event, meta) {
      if (event.type === "block.head") {
        const prev = heads.get(event.chainId);
        if (prev === undefined || event.block.number > prev) heads.set(event.chainId, event.block.number);
        const log = headLog.get(event.chainId) ?? [];
        log.push({ number: event.block.number, receivedAtMs: meta.receivedAtMs });
        if (log.length > 256) log.splice(0, log.length - 256);
        headLog.set(event.chainId, log);
        return;
      }
      if (!tracking) return;
      if (event.type === "reserve.observed" && event.assetId === assetId && event.chainId === feedChainId) {
        reserves.set(eventId(event), {
          receivedAtMs: meta.receivedAtMs,
          blockNumber: event.block.number,
          source: event.source,
          logIndex: event.logIndex,
        });
      }
    },
    onDecision(decision, { trigger, detectionMs }) {
      if (!tracking || !decision.shouldPause || decision.assetId !== assetId) return;
      const id = messageIdOf(decision);
      if (decisions.has(id)) return;
      decisions.set(id, {
        triggerType: trigger.type,
        triggerId: eventId(trigger),
        detectionMs,
        atMs: performance.now(),
        heads: new Map(heads),
      });
    },
    onPauseEvent(event) {
      const atMs = performance.now();
      if (tracking && event.assetId === assetId) pauses.push({ event, atMs });
    },
  };
  return {
    hooks,
    heads,
    /** The highest head of `chainId` the process had received by `atMs` (handled or still queued). */
    headReceivedBy(chainId: number, atMs: number): bigint | undefined {
      let best: bigint | undefined;
      for (const h of headLog.get(chainId) ?? []) {
        if (h.receivedAtMs <= atMs && (best === undefined || h.number > best)) best = h.number;
      }
      return best;
    },
    /** When the process received head `number` of `chainId` (undefined: not received, or rolled out of the log). */
    headReceivedAt(chainId: number, number: bigint): number | undefined {
      return headLog.get(chainId)?.find((h) => h.number === number)?.receivedAtMs;
    },
    reserves,
    decisions,
    pauses,
    /** Forgets the previous trial and starts recording. */
    begin() {
      reserves.clear();
      decisions.clear();
      pauses.length = 0;
      tracking = true;
    },
    end() {
      tracking = false;
    },
  };
}
type Recorder = ReturnType<typeof createRecorder>;

type Terminal = Extract<PauseEvent, { type: "pause.mined" | "pause.already_paused" | "pause.failed" }>;
type Sent = Extract<PauseEvent, { type: "pause.sent" }>;

/** The first pause the keeper started on `chainId` in this trial: its broadcast and its outcome. */
function pauseOn(rec: Recorder, chainId: number) {
  const first = rec.pauses.find((p) => p.event.chainId === chainId && p.event.type === "pause.requested");
  if (!first) return undefined;
  const decisionId = first.event.decisionId;
  const same = rec.pauses.filter((p) => p.event.chainId === chainId && p.event.decisionId === decisionId);
  const sent = same.find((p) => p.event.type === "pause.sent") as { event: Sent; atMs: number } | undefined;
  const terminal = same.find(
    (p) =>
      p.event.type === "pause.mined" ||
      p.event.type === "pause.already_paused" ||
      p.event.type === "pause.failed",
  ) as { event: Terminal; atMs: number } | undefined;
  return { decisionId, sent, terminal };
}

// -------------------------------------------------------------------------------------------------
// The bench
// -------------------------------------------------------------------------------------------------

type TrialRecord = {
  trial: number;
  answerBlock: number;
  /** (a) reserve.observed receivedAtMs → home pause.sent, ms. */
  receivedToBroadcastMs: number;
  /** (b) home pause.sent sinceDecisionMs. */
  decisionToBroadcastMs: number;
  /** Trigger received → decision (keeper detectionMs), ms. */
  receivedToDecisionMs: number | null;
  homePauseBlock: number;
  /** (c) home pause block − AnswerUpdated block. */
  homeGap: number;
  remoteDecisionToBroadcastMs: number | null;
  remotePauseBlock: number | null;
  /** Remote pause block − the highest remote head this process had received when the keeper decided. */
  remoteGap: number | null;
  /** The same head, as far as the keeper had handled it (block.head events queue behind the reserve log). */
  remoteHeadReceivedAtDecision: number | null;
  remoteHeadHandledAtDecision: number | null;
  /** Remote pause block − the highest remote head this process had received when the remote pause was broadcast. */
  remoteGapAtBroadcast: number | null;
  /** When the next remote head (after the one at decision) arrived, relative to the decision, ms. */
  remoteNextHeadAfterDecisionMs: number | null;
  remoteOutcome: string;
  trigger: string;
  reserveSource: string;
  simulation: { home: string; remote: string | null };
};

type Report = {
  bench: "latency";
  machine: MachineFacts & { loadAverageAtEnd: readonly [number, number, number] };
  notes: string[];
  config: {
    trials: number;
    blockTimeMs: number;
    asset: string;
    homeChainId: number;
    remoteChainId: number;
    keeper: string;
    shortfallAnswer: string;
    healthyAnswer: string;
  };
  results: {
    measured: number;
    failed: { trial: number; reason: string }[];
    receivedToBroadcastMs: Summary;
    decisionToBroadcastMs: Summary;
    receivedToDecisionMs: Summary;
    homePauseBlockGap: Record<string, number>;
    remoteDecisionToBroadcastMs: Summary;
    remotePauseBlockGapFromHeadAtDecision: Record<string, number>;
    remotePauseBlockGapFromHeadAtBroadcast: Record<string, number>;
    triggers: Record<string, number>;
    simulation: Record<string, number>;
  };
  runTimeMs: { total: number; setup: number; trials: number };
  trials: TrialRecord[];
};

const progress = (line: string) => process.stderr.write(`${line}\n`);

async function runBench(opts: Options, cleanups: (() => Promise<void>)[]): Promise<Report> {
  const tStart = performance.now();
  const machineAtStart = machineFacts();
  progress(
    `bench: ${opts.trials} trials, block time ${opts.blockTimeMs} ms; starting a private devnet (deploys take a while)`,
  );

  const devnet: BenchDevnet = await startBenchDevnet({
    blockTimeMs: opts.blockTimeMs,
    log: (l) => progress(`  devnet: ${l}`),
  });
  cleanups.push(() => devnet.stop());
  const manifest: DevnetManifest = devnet.manifest;
  const asset = manifest.assets[0]!;
  const home = manifest.chains.find((c) => c.role === "home")!;
  const remote = manifest.chains.find((c) => c.role === "remote")!;
  const feedChain = manifest.chains.find((c) => c.name === asset.feedChain)!;
  if (feedChain.chainId !== home.chainId)
    throw new Error("The bench expects the PoR feed on the home chain.");
  const entryOf = (name: string) => asset.chains.find((c) => c.chain === name)!;
  const aggregator = entryOf(home.name).aggregator;
  if (!aggregator) throw new Error(`Asset ${asset.id} has no devnet aggregator on ${home.name}.`);

  const viemChain = (c: typeof home) =>
    defineChain({
      id: c.chainId,
      name: c.name,
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [c.rpcHttpUrl] } },
    });
  const pollingInterval = Math.max(20, Math.min(100, Math.floor(opts.blockTimeMs / 10)));
  const publicOf = (c: typeof home): PublicClient =>
    createPublicClient({
      chain: viemChain(c),
      transport: http(c.rpcHttpUrl),
      pollingInterval,
    }) as PublicClient;
  const clients = { [home.chainId]: publicOf(home), [remote.chainId]: publicOf(remote) };
  const homeClient = clients[home.chainId]!;
  const feedWallet = createWalletClient({ chain: viemChain(home), transport: http(home.rpcHttpUrl) });
  const feedOperator = manifest.accounts.feedOperator as Address;

  // Answers in feed units: healthy = 2× total supply, shortfall = ½× (plus the trial number, so each differs).
  let totalSupply = 0n;
  for (const c of [home, remote]) {
    totalSupply += await clients[c.chainId]!.readContract({
      address: entryOf(c.name).token,
      abi: reserveBackedStablecoinAbi,
      functionName: "totalSupply",
    });
  }
  const toFeed = (tokenUnits: bigint) =>
    (tokenUnits * 10n ** BigInt(asset.feedDecimals)) / 10n ** BigInt(asset.tokenDecimals);
  const supplyInFeed = toFeed(totalSupply);
  if (supplyInFeed <= 0n)
    throw new Error(`Asset ${asset.id} has no supply on the devnet; nothing to fall short of.`);
  const healthyAnswer = supplyInFeed * 2n;
  const shortfallAnswer = supplyInFeed / 2n;

  const submitAnswer = (answer: bigint): Promise<Hash> =>
    feedWallet.writeContract({
      address: aggregator,
      abi: devPorAggregatorAbi,
      functionName: "submit",
      args: [answer],
      account: feedOperator,
    });
  const paused = (c: typeof home) =>
    clients[c.chainId]!.readContract({
      address: entryOf(c.name).breaker,
      abi: reserveCircuitBreakerAbi,
      functionName: "paused",
    });

  // Keeper: in-process, in-process bus (file checkpoint in the bench folder), no metrics server.
  const rec = createRecorder(asset.id, home.chainId);
  const config = configFromDevnetManifest(manifest, {
    checkpoint: { path: `${devnet.dir}/keeper-checkpoint.json` },
    telemetry: { logLevel: (process.env.BENCH_KEEPER_LOG ?? "silent") as "silent" },
  });
  const logger = createLogger({
    level: config.telemetry.logLevel,
    destination: process.stderr as never,
  });
  progress("bench: starting the keeper in-process");
  const running: RunningKeeper = await startKeeper({
    config,
    env: { RESERVE_KEEPER_SIGNER_KEY: devnetPrivateKey("keeper") },
    metricsPort: null,
    logger,
    hooks: rec.hooks,
  });
  cleanups.unshift(() => running.stop());

  const trialTimeoutMs = Math.max(30_000, 30 * opts.blockTimeMs);

  /** Reserves healthy, 2-of-3 unpause on every paused chain, keeper healthy, one head past it all. */
  async function restore(): Promise<void> {
    rec.end();
    const hash = await submitAnswer(healthyAnswer);
    const answered = await homeClient.waitForTransactionReceipt({ hash, timeout: trialTimeoutMs });
    const after = await Promise.all(
      [home, remote].map(async (c) => {
        if (!(await paused(c))) return c.chainId === home.chainId ? answered.blockNumber : 0n;
        const r = await unpause(manifest, {
          asset: asset.id,
          chain: c.name,
          reason: "bench: reserves restored",
        });
        return r.blockNumber;
      }),
    );
    await waitFor(
      "the keeper to report healthy",
      () => running.keeper.decisions()[asset.id]?.type === "healthy",
      trialTimeoutMs,
    );
    // One head past the restore on each chain: the executor's per-head simulation sees the unpaused breaker.
    await waitFor(
      "the keeper to see a head past the restore",
      () => [home, remote].every((c, i) => (rec.heads.get(c.chainId) ?? -1n) > after[i]!),
      trialTimeoutMs,
    );
  }

  progress("bench: waiting for the keeper's first healthy decision");
  await restore();
  const tTrials = performance.now();
  const setupMs = tTrials - tStart;

  const records: TrialRecord[] = [];
  const failed: { trial: number; reason: string }[] = [];
  for (let trial = 1; trial <= opts.trials; trial++) {
    rec.begin();
    let hash: Hash;
    try {
      hash = await submitAnswer(shortfallAnswer + BigInt(trial));
      await waitFor(
        `trial ${trial}: the pause outcome on both chains`,
        () => pauseOn(rec, home.chainId)?.terminal && pauseOn(rec, remote.chainId)?.terminal,
        trialTimeoutMs,
      );
    } catch (err) {
      failed.push({ trial, reason: (err as Error).message });
      progress(`trial ${trial}/${opts.trials}: FAILED: ${(err as Error).message}`);
      await restore();
      continue;
    }
    const receipt = await homeClient.getTransactionReceipt({ hash });
    const homeP = pauseOn(rec, home.chainId)!;
    const remoteP = pauseOn(rec, remote.chainId)!;
    const problem =
      receipt.status !== "success"
        ? `the shortfall answer reverted in block ${receipt.blockNumber}`
        : homeP.terminal?.event.type !== "pause.mined"
          ? `home pause ended as ${homeP.terminal?.event.type}`
          : !homeP.sent
            ? "no pause.sent on the home chain"
            : undefined;
    if (problem) {
      failed.push({ trial, reason: problem });
      progress(`trial ${trial}/${opts.trials}: FAILED: ${problem}`);
      await restore();
      continue;
    }
    const homeSent = homeP.sent!;
    const homeMined = homeP.terminal!.event as Extract<PauseEvent, { type: "pause.mined" }>;
    const decision = rec.decisions.get(homeP.decisionId);
    // The triggering reserve.observed; if the decision came from something else (a head releasing a
    // pause that waited for confirmations), the first observation of the AnswerUpdated block.
    const byTrigger = decision ? rec.reserves.get(decision.triggerId) : undefined;
    const reserve =
      byTrigger ??
      [...rec.reserves.values()]
        .filter((r) => r.blockNumber === receipt.blockNumber)
        .sort((x, y) => x.receivedAtMs - y.receivedAtMs)[0];
    if (!reserve) {
      const reason = `no reserve.observed for block ${receipt.blockNumber} reached the keeper's hooks`;
      failed.push({ trial, reason });
      progress(`trial ${trial}/${opts.trials}: FAILED: ${reason}`);
      await restore();
      continue;
    }
    const remoteTerminal = remoteP.terminal!.event;
    const remoteBlock =
      remoteTerminal.type === "pause.mined" || remoteTerminal.type === "pause.already_paused"
        ? remoteTerminal.blockNumber
        : undefined;
    const remoteHead = decision ? rec.headReceivedBy(remote.chainId, decision.atMs) : undefined;
    const remoteHandled = decision?.heads.get(remote.chainId);
    const remoteHeadAtSend = remoteP.sent ? rec.headReceivedBy(remote.chainId, remoteP.sent.atMs) : undefined;
    const nextRemoteAt =
      decision && remoteHead !== undefined ? rec.headReceivedAt(remote.chainId, remoteHead + 1n) : undefined;
    const r: TrialRecord = {
      trial,
      answerBlock: Number(receipt.blockNumber),
      receivedToBroadcastMs: homeSent.atMs - reserve.receivedAtMs,
      decisionToBroadcastMs: homeSent.event.sinceDecisionMs,
      receivedToDecisionMs: byTrigger ? (decision?.detectionMs ?? null) : null,
      homePauseBlock: Number(homeMined.blockNumber),
      homeGap: Number(homeMined.blockNumber - receipt.blockNumber),
      remoteDecisionToBroadcastMs: remoteP.sent?.event.sinceDecisionMs ?? null,
      remotePauseBlock: remoteBlock === undefined ? null : Number(remoteBlock),
      remoteGap:
        remoteTerminal.type === "pause.mined" && remoteHead !== undefined
          ? Number(remoteTerminal.blockNumber - remoteHead)
          : null,
      remoteHeadReceivedAtDecision: remoteHead === undefined ? null : Number(remoteHead),
      remoteHeadHandledAtDecision: remoteHandled === undefined ? null : Number(remoteHandled),
      remoteGapAtBroadcast:
        remoteTerminal.type === "pause.mined" && remoteHeadAtSend !== undefined
          ? Number(remoteTerminal.blockNumber - remoteHeadAtSend)
          : null,
      remoteNextHeadAfterDecisionMs:
        nextRemoteAt === undefined || !decision ? null : nextRemoteAt - decision.atMs,
      remoteOutcome: remoteTerminal.type,
      trigger: byTrigger ? `${decision!.triggerType} (${reserve.source})` : `${decision?.triggerType ?? "?"}`,
      reserveSource: reserve.source,
      simulation: { home: homeSent.event.simulation, remote: remoteP.sent?.event.simulation ?? null },
    };
    records.push(r);
    progress(
      `trial ${trial}/${opts.trials}: received→broadcast ${r.receivedToBroadcastMs.toFixed(1)} ms, ` +
        `decision→broadcast ${r.decisionToBroadcastMs.toFixed(1)} ms, home N+${r.homeGap}, ` +
        `remote ${r.remoteGap === null ? r.remoteOutcome : `head+${r.remoteGap}`}` +
        `${r.remoteNextHeadAfterDecisionMs === null ? "" : ` (next remote head ${r.remoteNextHeadAfterDecisionMs.toFixed(0)} ms after the decision)`}` +
        `, simulation ${r.simulation.home}`,
    );
    await restore();
  }
  const tEnd = performance.now();

  const tally = (keys: string[]) => {
    const out: Record<string, number> = {};
    for (const k of keys) out[k] = (out[k] ?? 0) + 1;
    return out;
  };
  const headGaps = (gaps: (number | null)[]) => {
    const out: Record<string, number> = Object.fromEntries(
      Object.entries(countGaps(gaps.flatMap((g) => (g === null ? [] : [g])))).map(([k, v]) => [
        k.replace("N", "head"),
        v,
      ]),
    );
    const none = gaps.filter((g) => g === null).length;
    if (none > 0) out["not mined by this pause"] = none;
    return out;
  };
  return {
    bench: "latency",
    machine: { ...machineAtStart, loadAverageAtEnd: machineFacts().loadAverage },
    notes: [
      "Shared machine: the two hardhat nodes, the keeper and this load generator share the CPUs, and other work may run on them too (load average above); figures are indicative, not a lab measurement.",
      "Times are performance.now() in this one process; percentiles are nearest-rank (p99 of fewer than 100 trials is the max).",
    ],
    config: {
      trials: opts.trials,
      blockTimeMs: opts.blockTimeMs,
      asset: asset.id,
      homeChainId: home.chainId,
      remoteChainId: remote.chainId,
      keeper: "in-process (startKeeper), in-process bus, no metrics server, logs silent",
      shortfallAnswer: shortfallAnswer.toString(),
      healthyAnswer: healthyAnswer.toString(),
    },
    results: {
      measured: records.length,
      failed,
      receivedToBroadcastMs: summarize(records.map((r) => r.receivedToBroadcastMs)),
      decisionToBroadcastMs: summarize(records.map((r) => r.decisionToBroadcastMs)),
      receivedToDecisionMs: summarize(
        records.flatMap((r) => (r.receivedToDecisionMs === null ? [] : [r.receivedToDecisionMs])),
      ),
      homePauseBlockGap: countGaps(records.map((r) => r.homeGap)),
      remoteDecisionToBroadcastMs: summarize(
        records.flatMap((r) =>
          r.remoteDecisionToBroadcastMs === null ? [] : [r.remoteDecisionToBroadcastMs],
        ),
      ),
      remotePauseBlockGapFromHeadAtDecision: headGaps(records.map((r) => r.remoteGap)),
      remotePauseBlockGapFromHeadAtBroadcast: headGaps(records.map((r) => r.remoteGapAtBroadcast)),
      triggers: tally(records.map((r) => r.trigger)),
      simulation: tally(
        records.flatMap((r) => [`home ${r.simulation.home}`, `remote ${r.simulation.remote ?? "none"}`]),
      ),
    },
    runTimeMs: { total: tEnd - tStart, setup: setupMs, trials: tEnd - tTrials },
    trials: records,
  };
}

// -------------------------------------------------------------------------------------------------
// Output
// -------------------------------------------------------------------------------------------------

const ms = (v: number | null) => (v === null ? "-" : v < 10 ? v.toFixed(2) : v.toFixed(1));
const line = (s: Summary) =>
  `p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  p99 ${ms(s.p99)}  max ${ms(s.max)} ms  (n=${s.count})`;
const counts = (c: Record<string, number>) =>
  Object.entries(c)
    .map(([k, v]) => `${k}: ${v}`)
    .join(", ");
const duration = (v: number) => {
  const s = Math.round(v / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
};

function formatText(r: Report): string {
  const m = r.machine;
  const res = r.results;
  return [
    "reserve-keeper pause-latency bench",
    `machine   node ${m.node}, ${m.platform}, ${m.cpus} CPUs (${m.cpuModel}), ${m.totalMemoryMiB} MiB`,
    `          load average ${m.loadAverage.join(" ")} at start, ${m.loadAverageAtEnd.join(" ")} at end (1/5/15 min)`,
    ...r.notes.map((n) => `          note: ${n}`),
    `config    trials ${r.config.trials}, block time ${r.config.blockTimeMs} ms on both chains (evm_setIntervalMining), asset ${r.config.asset}, home ${r.config.homeChainId}, remote ${r.config.remoteChainId}`,
    `          keeper ${r.config.keeper}`,
    "",
    `(a) log received → pause broadcast, home    ${line(res.receivedToBroadcastMs)}`,
    `(b) decision → pause broadcast, home        ${line(res.decisionToBroadcastMs)}`,
    `    log received → decision, home           ${line(res.receivedToDecisionMs)}`,
    `    decision → pause broadcast, remote      ${line(res.remoteDecisionToBroadcastMs)}`,
    `(c) home pause block − AnswerUpdated (N)    ${counts(res.homePauseBlockGap)}`,
    `    remote pause block − remote head at decision    ${counts(res.remotePauseBlockGapFromHeadAtDecision)}`,
    `    remote pause block − remote head at broadcast   ${counts(res.remotePauseBlockGapFromHeadAtBroadcast)}`,
    `    triggers                                ${counts(res.triggers)}`,
    `    simulation before send                  ${counts(res.simulation)}`,
    `trials    ${res.measured} measured, ${res.failed.length} failed${res.failed.map((f) => `\n          trial ${f.trial}: ${f.reason}`).join("")}`,
    `run time  ${duration(r.runTimeMs.total)} (setup ${duration(r.runTimeMs.setup)}, trials ${duration(r.runTimeMs.trials)})`,
  ].join("\n");
}

// -------------------------------------------------------------------------------------------------
// Main
// -------------------------------------------------------------------------------------------------

async function exit(code: number): Promise<never> {
  await new Promise<void>((r) => process.stdout.write("", () => r()));
  await new Promise<void>((r) => process.stderr.write("", () => r()));
  process.exit(code);
}

async function main(): Promise<void> {
  let opts: Options | "help";
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return exit(2);
  }
  if (opts === "help") {
    process.stdout.write(`${USAGE}\n`);
    return exit(0);
  }
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.splice(0)) await c().catch(() => {});
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      progress(`bench: ${sig}, stopping the keeper and the devnet`);
      void cleanup().then(() => exit(130));
    });
  }
  let report: Report;
  try {
    report = await runBench(opts, cleanups);
  } catch (err) {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    await cleanup();
    return exit(1);
  }
  await cleanup();
  // Microsecond resolution is plenty for figures in ms.
  const json = JSON.stringify(
    report,
    (_k, v) =>
      typeof v === "bigint"
        ? v.toString()
        : typeof v === "number" && !Number.isInteger(v)
          ? Math.round(v * 1000) / 1000
          : v,
    2,
  );
  process.stdout.write(opts.json ? `${json}\n` : `${formatText(report)}\n`);
  if (report.results.failed.length > 0) {
    process.stderr.write(`bench: ${report.results.failed.length} trial(s) could not be measured\n`);
    return exit(1);
  }
  return exit(0);
}

await main();

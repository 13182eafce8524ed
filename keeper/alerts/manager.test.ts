import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Decision } from "../engine/types.ts";
import { createAlertManager } from "./manager.ts";
import {
  alreadyPaused,
  breach,
  captureLogger,
  FEED_CHAIN,
  healthy,
  pauseFailed,
  pauseMined,
  pauseRequested,
  REMOTE_CHAIN,
  recordingMetrics,
  scriptedSink,
  stale,
  unknown,
  warning,
} from "./testSupport.ts";
import type { AlertNotification, AlertPolicy } from "./types.ts";

const POLICY: AlertPolicy = {
  cooldownMs: 600_000,
  worsenBps: 50,
  staleWorsenSeconds: 3_600,
  resolveAfterMs: 120_000,
};
const SECOND = 1_000;
const MINUTE = 60_000;

function setup(policy: Partial<AlertPolicy> = {}) {
  const pager = scriptedSink({ name: "pager", minSeverity: "warning" });
  const chat = scriptedSink({ name: "chat", minSeverity: "info" });
  const recorder = recordingMetrics();
  const log = captureLogger();
  let seq = 0;
  const manager = createAlertManager({
    sinks: [pager.sink, chat.sink],
    policy: { ...POLICY, ...policy },
    now: () => Date.now(),
    logger: log.logger,
    metrics: recorder.metrics,
    newId: () => `n${++seq}`,
  });
  /** One decision, then `afterMs` of time passes (decisions arrive every tick in the runtime). */
  const decide = (d: Decision, afterMs = SECOND) => {
    manager.onDecision(d);
    vi.advanceTimersByTime(afterMs);
  };
  /** The same decision every second for `ms`. */
  const hold = (d: Decision, ms: number) => {
    for (let t = 0; t < ms; t += SECOND) decide(d);
  };
  const sent = async (): Promise<AlertNotification[]> => {
    await manager.flush();
    return chat.delivered;
  };
  const summary = (ns: AlertNotification[]) => ns.map((n) => `${n.action}:${n.kind}:${n.condition}`);
  return { manager, pager, chat, recorder, log, decide, hold, sent, summary };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("alert lifecycle: trigger once", () => {
  it("pages ONCE for a breach that lasts 100 decisions, with the stable dedup key", async () => {
    const t = setup();
    for (let i = 0; i < 100; i++) t.decide(breach(9_900n - BigInt(i % 40)), 30 * SECOND); // jitter < worsenBps
    const sent = await t.sent();
    expect(t.summary(sent)).toEqual(["trigger:new:shortfall"]);
    expect(t.pager.delivered).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      dedupKey: "reserve-keeper/dusd/shortfall",
      severity: "critical",
      assetId: "dusd",
    });
    expect(sent[0]?.summary).toContain("Reserve shortfall: ratio 99.00% (pause threshold 100.00%)");
    expect(sent[0]?.details).toMatchObject({ ratio_bps: 9_900, delta: "-10000", feed_chain_id: FEED_CHAIN });
    expect(t.recorder.count("notifications", { asset: "dusd", condition: "shortfall", kind: "new" })).toBe(1);
    expect(t.recorder.gauge("open", { asset: "dusd", condition: "shortfall" })).toBe(1);
  });

  it("keeps alerts of different assets apart", async () => {
    const t = setup();
    t.decide(breach(9_900n, "dusd"));
    t.decide(breach(9_900n, "deur"));
    t.decide(breach(9_900n, "dusd"));
    const keys = (await t.sent()).map((n) => n.dedupKey);
    expect(keys).toEqual(["reserve-keeper/dusd/shortfall", "reserve-keeper/deur/shortfall"]);
  });

  it("sends nothing while everything is healthy or data is still missing", async () => {
    const t = setup();
    t.hold(unknown("missing"), 10 * SECOND);
    t.hold(healthy(), 10 * MINUTE);
    expect(await t.sent()).toEqual([]);
  });
});

describe("alert lifecycle: re-alert only on worsening, after the cooldown", () => {
  it("re-alerts once the ratio fell by worsenBps AND the cooldown passed", async () => {
    const t = setup();
    t.decide(breach(9_900n), MINUTE); // trigger at t0
    t.hold(breach(9_800n), 8 * MINUTE); // worse by 100 bps, but inside the 10-minute cooldown
    expect(t.summary(await t.sent())).toEqual(["trigger:new:shortfall"]);
    t.hold(breach(9_800n), 2 * MINUTE); // the cooldown ends while it is still worse
    const sent = await t.sent();
    expect(t.summary(sent)).toEqual(["trigger:new:shortfall", "trigger:worsened:shortfall"]);
    expect(sent[1]?.dedupKey).toBe(sent[0]?.dedupKey);
    expect(sent[1]?.summary).toBe(
      "[dusd] Worse: Reserve shortfall: ratio 98.00% (pause threshold 100.00%), reserves 980,000 vs supply 1,000,000 (delta -20,000); the breaker is being paused (was 99.00% at the last alert).",
    );
    expect(sent[1]?.details).toMatchObject({ previous_metric: 9_900, metric: 9_800 });
    // Measured against the LAST alert (98.00%): 97.60% is only 40 bps worse.
    t.hold(breach(9_760n), 30 * MINUTE);
    expect(t.summary(await t.sent())).toHaveLength(2);
    t.hold(breach(9_750n), MINUTE);
    expect(t.summary(await t.sent())).toEqual([
      "trigger:new:shortfall",
      "trigger:worsened:shortfall",
      "trigger:worsened:shortfall",
    ]);
  });

  it("does not re-alert on improvement, nor when it falls back to the level already alerted", async () => {
    const t = setup();
    t.decide(breach(9_500n));
    t.hold(breach(9_800n), 20 * MINUTE); // better
    t.hold(breach(9_500n), 20 * MINUTE); // back to where the last alert was: not worse than that
    t.hold(breach(9_460n), 20 * MINUTE); // 40 bps below: still under worsenBps
    expect(t.summary(await t.sent())).toEqual(["trigger:new:shortfall"]);
  });

  it("a worsening that recovers inside the cooldown is not reported late", async () => {
    const t = setup();
    t.decide(breach(9_900n));
    t.hold(breach(9_500n), 5 * MINUTE);
    t.hold(breach(9_900n), 10 * MINUTE);
    expect(t.summary(await t.sent())).toEqual(["trigger:new:shortfall"]);
  });

  it("re-alerts a stale feed when it aged by staleWorsenSeconds more, after the cooldown", async () => {
    const t = setup();
    t.decide(stale(4_000n), MINUTE);
    t.decide(stale(6_000n), 20 * MINUTE); // +2000 s: not enough
    t.decide(stale(7_600n), MINUTE); // +3600 s since the alert
    t.decide(stale(7_700n), MINUTE);
    const sent = await t.sent();
    expect(t.summary(sent)).toEqual(["trigger:new:feed_stale", "trigger:worsened:feed_stale"]);
    expect(sent[0]).toMatchObject({ severity: "error", dedupKey: "reserve-keeper/dusd/feed_stale" });
    expect(sent[0]?.summary).toContain("PoR feed stale: last update 1h 6m ago (max 1h 1m)");
    expect(sent[1]?.summary).toBe(
      "[dusd] Worse: PoR feed stale: last update 2h 6m ago (max 1h 1m) (was 1h 6m old at the last alert).",
    );
  });
});

describe("alert lifecycle: resolve", () => {
  it("resolves once, after the condition stayed clear for resolveAfterMs", async () => {
    const t = setup();
    t.hold(breach(9_900n), 5 * MINUTE);
    t.hold(healthy(), 119 * SECOND);
    expect(t.summary(await t.sent())).toEqual(["trigger:new:shortfall"]);
    t.hold(healthy(), 10 * MINUTE);
    const sent = await t.sent();
    expect(t.summary(sent)).toEqual(["trigger:new:shortfall", "resolve:resolved:shortfall"]);
    expect(sent[1]?.dedupKey).toBe("reserve-keeper/dusd/shortfall");
    expect(sent[1]?.summary).toBe("[dusd] Resolved: reserve shortfall (ratio now 105.00%).");
    expect(t.pager.delivered.map((n) => n.action)).toEqual(["trigger", "resolve"]);
    expect(t.manager.openAlerts()).toEqual([]);
    expect(t.recorder.gauge("open", { asset: "dusd", condition: "shortfall" })).toBe(0);
  });

  it("resolves at once with resolveAfterMs = 0", async () => {
    const t = setup({ resolveAfterMs: 0 });
    t.decide(breach());
    t.decide(healthy());
    expect(t.summary(await t.sent())).toEqual(["trigger:new:shortfall", "resolve:resolved:shortfall"]);
  });

  it("a condition that comes back after resolving is a new alert (new trigger, same key)", async () => {
    const t = setup();
    t.decide(breach());
    t.hold(healthy(), 3 * MINUTE);
    t.decide(breach());
    const sent = await t.sent();
    expect(t.summary(sent)).toEqual([
      "trigger:new:shortfall",
      "resolve:resolved:shortfall",
      "trigger:new:shortfall",
    ]);
    expect(new Set(sent.map((n) => n.dedupKey)).size).toBe(1);
  });

  it("decisions that cannot tell (stale feed, missing data) neither resolve nor re-trigger", async () => {
    const t = setup();
    t.decide(breach(9_900n));
    t.hold(stale(4_000n, 10_500n), 10 * MINUTE); // the old answer is fine, but it is old
    t.hold(unknown("missing"), 10 * MINUTE);
    const sent = await t.sent();
    expect(t.summary(sent)).toEqual(["trigger:new:shortfall", "trigger:new:feed_stale"]);
    const open = t.manager.openAlerts();
    expect(open.map((a) => [a.condition, a.notified])).toEqual([
      ["shortfall", true],
      ["ratio_low", false], // covered by the shortfall: opened silently
      ["feed_stale", true],
    ]);
    expect(t.manager.openAlerts()[0]?.clearSinceMs).toBeUndefined();
  });
});

describe("alert lifecycle: flapping", () => {
  it("a ratio flapping around the pause threshold every few seconds pages once", async () => {
    const t = setup();
    for (let i = 0; i < 600; i++) t.decide(i % 3 === 0 ? breach(9_990n) : healthy(10_010n), 5 * SECOND);
    expect(t.summary(await t.sent())).toEqual(["trigger:new:shortfall"]);
    t.hold(healthy(10_200n), 2 * MINUTE);
    expect(t.summary(await t.sent())).toEqual(["trigger:new:shortfall", "resolve:resolved:shortfall"]);
  });

  it("a feed flapping between stale and fresh pages once", async () => {
    const t = setup();
    for (let i = 0; i < 100; i++) t.decide(i % 2 === 0 ? stale(3_700n) : healthy(), 30 * SECOND);
    expect(t.summary(await t.sent())).toEqual(["trigger:new:feed_stale"]);
  });
});

describe("alert lifecycle: shortfall covers ratio_low", () => {
  it("a direct breach opens the shortfall only; recovering into warning then opens ratio_low", async () => {
    const t = setup();
    t.decide(healthy());
    t.hold(breach(9_900n), MINUTE);
    expect(t.summary(await t.sent())).toEqual(["trigger:new:shortfall"]);
    t.hold(warning(10_050n), 2 * MINUTE + SECOND);
    const sent = await t.sent();
    expect(t.summary(sent)).toEqual([
      "trigger:new:shortfall",
      "resolve:resolved:shortfall",
      "trigger:new:ratio_low",
    ]);
    expect(sent[2]).toMatchObject({ severity: "warning", dedupKey: "reserve-keeper/dusd/ratio_low" });
    t.hold(healthy(), 3 * MINUTE);
    expect(t.summary(await t.sent()).at(-1)).toBe("resolve:resolved:ratio_low");
  });

  it("warning → breach: ratio_low stays open without re-alerting; the shortfall pages", async () => {
    const t = setup();
    t.hold(warning(10_050n), 20 * MINUTE);
    t.hold(breach(9_000n), 20 * MINUTE);
    expect(t.summary(await t.sent())).toEqual(["trigger:new:ratio_low", "trigger:new:shortfall"]);
    t.hold(healthy(), 3 * MINUTE);
    expect(
      t
        .summary(await t.sent())
        .slice(2)
        .sort(),
    ).toEqual(["resolve:resolved:ratio_low", "resolve:resolved:shortfall"]);
  });

  it("breach → healthy resolves the shortfall and never sends the covered ratio_low", async () => {
    const t = setup();
    t.hold(breach(9_900n), MINUTE);
    t.hold(healthy(), 3 * MINUTE);
    expect(t.summary(await t.sent())).toEqual(["trigger:new:shortfall", "resolve:resolved:shortfall"]);
  });

  it("a stale feed whose last answer shows a shortfall pages the shortfall too", async () => {
    const t = setup();
    t.decide(stale(4_000n, 9_800n));
    expect(t.summary(await t.sent())).toEqual(["trigger:new:shortfall", "trigger:new:feed_stale"]);
  });
});

describe("alert lifecycle: feed invalid", () => {
  it("an unusable answer triggers feed_invalid; a usable one resolves it", async () => {
    const t = setup();
    t.hold(unknown("invalid"), MINUTE);
    t.hold(healthy(), 3 * MINUTE);
    const sent = await t.sent();
    expect(t.summary(sent)).toEqual(["trigger:new:feed_invalid", "resolve:resolved:feed_invalid"]);
    expect(sent[0]).toMatchObject({ severity: "error" });
    expect(sent[0]?.summary).toBe("[dusd] PoR feed answer unusable: answer -5 in round 7 (must be > 0).");
  });
});

describe("alert lifecycle: pause events", () => {
  it("pause failed pages once per new failing chain, re-alerts after the cooldown and resolves when paused", async () => {
    const t = setup();
    t.manager.onPauseEvent(pauseRequested());
    t.manager.onPauseEvent(pauseFailed(FEED_CHAIN));
    t.manager.onPauseEvent(pauseFailed(FEED_CHAIN)); // the runtime retries: same failure, no page
    vi.advanceTimersByTime(MINUTE);
    t.manager.onPauseEvent(pauseFailed(REMOTE_CHAIN)); // worse, but inside the cooldown
    expect(t.summary(await t.sent())).toEqual(["trigger:new:pause_failed"]);
    t.hold(breach(), 10 * MINUTE); // decisions keep coming: the re-alert goes out once the cooldown ends
    let sent = await t.sent();
    expect(t.summary(sent).filter((s) => s.endsWith("pause_failed"))).toEqual([
      "trigger:new:pause_failed",
      "trigger:worsened:pause_failed",
    ]);
    expect(sent.find((n) => n.kind === "worsened")?.details.failing_chain_ids).toEqual([
      FEED_CHAIN,
      REMOTE_CHAIN,
    ]);
    t.manager.onPauseEvent(pauseMined(FEED_CHAIN));
    t.manager.onPauseEvent(alreadyPaused(REMOTE_CHAIN));
    sent = await t.sent();
    expect(t.summary(sent).filter((s) => s.endsWith("pause_failed"))).toEqual([
      "trigger:new:pause_failed",
      "trigger:worsened:pause_failed",
      "resolve:resolved:pause_failed",
    ]);
    expect(sent[0]).toMatchObject({ severity: "critical", dedupKey: "reserve-keeper/dusd/pause_failed" });
    expect(sent[0]?.summary).toContain("Breaker pause FAILED on chain 31337");
  });

  it("breaker paused is an info notice: once, Slack only, resolved when the asset is healthy again", async () => {
    const t = setup();
    t.decide(breach());
    t.manager.onPauseEvent(pauseMined(FEED_CHAIN));
    t.manager.onPauseEvent(alreadyPaused(REMOTE_CHAIN));
    t.manager.onPauseEvent(alreadyPaused(FEED_CHAIN));
    t.hold(breach(), 30 * MINUTE);
    t.hold(healthy(), 3 * MINUTE);
    const sent = await t.sent();
    expect(t.summary(sent)).toEqual([
      "trigger:new:shortfall",
      "trigger:new:breaker_paused",
      "resolve:resolved:shortfall",
      "resolve:resolved:breaker_paused",
    ]);
    expect(sent[1]).toMatchObject({ severity: "info", dedupKey: "reserve-keeper/dusd/breaker_paused" });
    expect(sent[3]?.summary).toContain("the breaker stays paused until the signers unpause it");
    // PagerDuty (minSeverity warning) never hears about the info notice.
    expect(t.pager.delivered.map((n) => n.condition)).toEqual(["shortfall", "shortfall"]);
  });
});

describe("alert manager: routing and safety", () => {
  it("does not send resolves to sinks that cannot resolve", async () => {
    const oneWay = scriptedSink({ name: "one-way", supportsResolve: false });
    const log = captureLogger();
    const manager = createAlertManager({
      sinks: [oneWay.sink],
      policy: { resolveAfterMs: 0 },
      logger: log.logger,
    });
    manager.onDecision(breach());
    manager.onDecision(healthy());
    await manager.flush();
    expect(oneWay.delivered.map((n) => n.action)).toEqual(["trigger"]);
  });

  it("onDecision returns before any sink is called (the work is queued)", async () => {
    const t = setup();
    const result = t.manager.onDecision(breach()) as unknown;
    expect(result).toBeUndefined();
    expect(t.pager.attempts).toHaveLength(0);
    expect(t.manager.queueDepths()).toEqual({ pager: 1, chat: 1 });
    await t.manager.flush();
    expect(t.pager.attempts).toHaveLength(1);
  });

  it("never throws into the caller: bad input and a sink that throws synchronously are contained", async () => {
    const log = captureLogger();
    const recorder = recordingMetrics();
    const throwing = {
      ...scriptedSink().sink,
      name: "throws",
      send: () => {
        throw new Error("boom");
      },
    };
    const manager = createAlertManager({
      sinks: [throwing],
      logger: log.logger,
      metrics: recorder.metrics,
      policy: { resolveAfterMs: 0 },
    });
    expect(() => manager.onDecision(undefined as unknown as Decision)).not.toThrow();
    expect(() => manager.onDecision({ type: "nonsense", assetId: "x" } as unknown as Decision)).not.toThrow();
    expect(() => manager.onPauseEvent(null as never)).not.toThrow();
    expect(() => manager.onPauseEvent(pauseFailed())).not.toThrow();
    await manager.flush();
    expect(recorder.count("handler_errors")).toBe(3);
    expect(recorder.count("failed", { sink: "throws", reason: "rejected" })).toBe(1);
    expect(log.text()).toContain("alert handling failed");
  });

  it("rejects duplicate sink names and a bad policy at creation", () => {
    const { logger } = captureLogger();
    const a = scriptedSink({ name: "same" }).sink;
    expect(() => createAlertManager({ sinks: [a, a], logger })).toThrow(/sink name same is used twice/);
    expect(() => createAlertManager({ sinks: [], logger, policy: { cooldownMs: -1 } })).toThrow(
      /policy.cooldownMs/,
    );
    expect(() => createAlertManager({ sinks: [], logger, policy: { worsenBps: 0 } })).toThrow(
      /policy.worsenBps/,
    );
  });

  it("accepts a whole alerts config section as the policy", () => {
    const { logger } = captureLogger();
    const section = { ...POLICY, sinks: [] };
    expect(() => createAlertManager({ sinks: [], logger, policy: section })).not.toThrow();
  });

  it("close(drainMs) waits for deliveries, then gives up on the rest and ignores new input", async () => {
    const slow = scriptedSink({ name: "slow", script: ["hang"] });
    const recorder = recordingMetrics();
    const manager = createAlertManager({
      sinks: [slow.sink],
      logger: captureLogger().logger,
      metrics: recorder.metrics,
    });
    manager.onDecision(breach());
    manager.onDecision(stale(4_000n));
    const closing = manager.close({ drainMs: 5_000 });
    await vi.advanceTimersByTimeAsync(5_000);
    await closing;
    expect(recorder.count("failed", { sink: "slow", reason: "closed" })).toBe(2);
    manager.onDecision(breach(1n));
    expect(manager.queueDepths()).toEqual({ slow: 0 });
  });
});

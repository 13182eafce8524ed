import { afterEach, describe, expect, it } from "vitest";
import type { PauseResult } from "../../actions/pauseExecutor.ts";
import { createInProcessBus, type InProcessBus } from "../../bus/inprocess.ts";
import { messageIdOf } from "../../bus/routing.ts";
import type { BusPayload, Envelope, ReserveSourcesDisagree } from "../../bus/types.ts";
import { parseConfig } from "../../config/load.ts";
import { ADDR, configWith, validConfigInput } from "../../config/testFixtures.ts";
import type { ReserveObserved } from "../../engine/types.ts";
import { ConfigError, InvalidArgumentError } from "../../internal/errors.ts";
import { createLogger } from "../../telemetry/logger.ts";
import { createMetrics, type KeeperMetrics } from "../../telemetry/metrics.ts";
import type { FetchLike } from "./attestations.ts";
import { CustodyProviderUnavailableError } from "./errors.ts";
import type { CustodyPauseRequest, CustodyPauser } from "./pauser.ts";
import { parseCustodyReport } from "./report.ts";
import { type CustodyService, createCustodyService } from "./service.ts";
import { reportDocument, sha256Of, unix } from "./testSupport.ts";
import type { CustodyProvider, CustodyReport } from "./types.ts";

const T0 = unix("2025-06-30T12:00:00Z");
const PINNED_URL = "https://attest.example.com/pinned.pdf";
const REPORT_URL = "https://attest.example.com/dusd/2025-06.pdf";
const logger = createLogger({ level: "silent" });

/** A report with balance `whole` tokens (2 decimals) taken at `asOf`. */
function report(whole: bigint, asOf = T0, over: Partial<CustodyReport> = {}): CustodyReport {
  const base = parseCustodyReport("dusd", reportDocument("dusd", { accounts: undefined }));
  return { ...base, asOf, balance: { amount: whole * 100n, decimals: 2 }, ...over };
}

/** A reserve.observed of `whole` tokens (8 decimals). */
function reserve(whole: bigint, roundId: bigint, updatedAt = T0, n = 1): ReserveObserved {
  return {
    type: "reserve.observed",
    assetId: "dusd",
    chainId: 31337,
    feed: ADDR.proxy,
    aggregator: ADDR.proxy,
    roundId,
    answer: whole * 10n ** 8n,
    feedDecimals: 8,
    updatedAt,
    block: { number: roundId, hash: `0x${String(n).padStart(64, "0")}` },
    source: "event",
  };
}

type Harness = {
  bus: InProcessBus;
  metrics: KeeperMetrics;
  service: CustodyService;
  messages: Envelope[];
  payloads: (type: BusPayload["type"]) => BusPayload[];
  setReport: (r: CustodyReport | Error) => void;
  docs: Map<string, { status: number; body: string }>;
  clock: { now: bigint };
  pauses: CustodyPauseRequest[];
  pauseResult: { outcome: PauseResult["outcome"] };
  settle: () => Promise<void>;
};

const running: Harness[] = [];
afterEach(async () => {
  for (const h of running.splice(0)) {
    await h.service.stop();
    await h.bus.close();
  }
});

async function harness(
  custody: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Promise<Harness> {
  const config = parseConfig({
    ...configWith(extra),
    custody: {
      provider: { type: "file", path: "unused.json" },
      pollIntervalMs: 3_600_000,
      maxReportAgeSeconds: 86_400,
      socWarnDays: 30,
      attestations: { verifyIntervalSeconds: 3_600 },
      dualSource: { toleranceBps: 50, maxAsOfSkewSeconds: 3_600 },
      assets: [
        {
          id: "dusd",
          attestations: [
            {
              url: PINNED_URL,
              auditor: "Pinned Audit LLP",
              period: { start: "2025-05-01", end: "2025-05-31" },
              sha256: sha256Of("pinned v1"),
            },
          ],
        },
      ],
      ...custody,
    },
  }).config;
  const bus = createInProcessBus({ keeperId: "k1" });
  const metrics = createMetrics();
  const messages: Envelope[] = [];
  await bus.subscribe({
    topics: ["decisions", "custodyEvents"],
    groupId: "test",
    onMessage: (e) => {
      messages.push(e);
    },
  });
  let next: CustodyReport | Error = report(10_000_000n);
  const provider: CustodyProvider = {
    kind: "file",
    getReport: async () => {
      if (next instanceof Error) throw next;
      return next;
    },
  };
  const docs = new Map<string, { status: number; body: string }>([
    [PINNED_URL, { status: 200, body: "pinned v1" }],
    [REPORT_URL, { status: 200, body: "june attestation" }],
  ]);
  const fetch: FetchLike = async (url) => {
    const d = docs.get(url);
    if (!d) throw new TypeError("fetch failed");
    return new Response(d.body, { status: d.status });
  };
  const clock = { now: T0 + 60n };
  const pauses: CustodyPauseRequest[] = [];
  const pauseResult = { outcome: "mined" as PauseResult["outcome"] };
  const pauser: CustodyPauser = {
    pause: async (request) => {
      pauses.push(request);
      return [{ chainId: 31337, breaker: ADDR.homeBreaker, outcome: pauseResult.outcome, attempts: 1 }];
    },
    close: async () => {},
  };
  const service = createCustodyService({
    config,
    bus,
    provider,
    logger,
    metrics,
    pauser,
    fetch,
    now: () => clock.now,
  });
  const h: Harness = {
    bus,
    metrics,
    service,
    messages,
    payloads: (type) => messages.map((m) => m.payload as BusPayload).filter((p) => p.type === type),
    setReport: (r) => {
      next = r;
    },
    docs,
    clock,
    pauses,
    pauseResult,
    settle: async () => {
      await bus.idle();
      await service.idle();
      await bus.idle();
    },
  };
  running.push(h);
  return h;
}

const gauge = async (m: KeeperMetrics, name: string, labels: Record<string, string>) => {
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name);
  return metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value;
};

describe("custody service: reports, health and attestations", () => {
  it("on start polls the provider, publishes health and verifies config and report links", async () => {
    const h = await harness();
    await h.service.start();
    await h.settle();
    expect(h.payloads("custody.health")).toEqual([
      expect.objectContaining({
        status: "healthy",
        provider: "up",
        report: "fresh",
        soc: "valid",
        custodian: "Example Trust Co.",
        reportAsOf: T0,
        reportAgeSeconds: 60n,
        checkedAt: T0 + 60n,
      }),
    ]);
    const checks = h.payloads("custody.attestation_checked");
    expect(
      checks.map((c) => c.type === "custody.attestation_checked" && [c.url, c.source, c.outcome]),
    ).toEqual([
      [PINNED_URL, "config", "verified"],
      [REPORT_URL, "report", "verified"],
    ]);
    expect(
      checks.every((c) => c.type === "custody.attestation_checked" && c.bucket === (T0 + 60n) / 3_600n),
    ).toBe(true);
    expect(await gauge(h.metrics, "keeper_custody_up", {})).toBe(1);
    expect(await gauge(h.metrics, "keeper_custody_provider_up", { asset: "dusd" })).toBe(1);
    expect(await gauge(h.metrics, "keeper_custody_report_age_seconds", { asset: "dusd" })).toBe(60);
    expect(await gauge(h.metrics, "keeper_custody_reported_balance", { asset: "dusd" })).toBe(10_000_000);
    expect(await gauge(h.metrics, "keeper_custody_report_max_age_seconds", { asset: "dusd" })).toBe(86_400);
    expect(await gauge(h.metrics, "keeper_custody_soc_warn_seconds", { asset: "dusd" })).toBe(30 * 86_400);
    expect(
      await gauge(h.metrics, "keeper_custody_attestation_state", { url: PINNED_URL, outcome: "verified" }),
    ).toBe(1);
    expect(h.service.attestations().map((l) => l.lastCheck?.outcome)).toEqual(["verified", "verified"]);
  });

  it("publishes custody.health only when provider, report or SOC state changes", async () => {
    const h = await harness();
    await h.service.start();
    h.setReport(
      new CustodyProviderUnavailableError({ provider: "file", assetId: "dusd", reason: "file_unreadable" }),
    );
    await h.service.pollNow();
    await h.service.pollNow();
    h.setReport(report(10_000_000n));
    await h.service.pollNow();
    h.clock.now = T0 + 86_401n; // the same report is now too old
    await h.service.pollNow();
    await h.settle();
    expect(
      h
        .payloads("custody.health")
        .map((p) => p.type === "custody.health" && `${p.provider}/${p.report}/${p.soc}`),
    ).toEqual(["up/fresh/valid", "down/fresh/valid", "up/fresh/valid", "up/stale/valid"]);
    expect(
      await gauge(h.metrics, "keeper_custody_provider_errors_total", { reason: "file_unreadable" }),
    ).toBe(2);
    expect(h.service.assets()[0]!.health.reasons).toEqual(["The custody report is 1d old (max 1d)."]);
  });

  it("rejects a report dated in the future (invalid), keeps the last valid one, and warns before SOC expiry", async () => {
    const h = await harness();
    await h.service.start();
    h.setReport(report(1n, h.clock.now + 301n));
    await h.service.pollNow();
    const view = h.service.assets()[0]!;
    expect(view.health).toMatchObject({ provider: "up", report: "invalid" });
    expect(view.report?.balance.amount).toBe(1_000_000_000n); // the previous valid report
    expect(view.lastError).toMatchObject({ code: "CUSTODY_REPORT_INVALID" });
    expect(view.lastError?.message).toMatch(/field asOf is invalid: is 301 s in the future/);
    expect(await gauge(h.metrics, "keeper_custody_report_valid", { asset: "dusd" })).toBe(0);
    const expiring = report(10_000_000n, h.clock.now, {
      soc: { type: "SOC1", period: { start: 0n, end: 1n }, expiresAt: h.clock.now + 10n * 86_400n },
    });
    h.setReport(expiring);
    await h.service.pollNow();
    await h.settle();
    expect(h.payloads("custody.health").at(-1)).toMatchObject({ status: "warning", soc: "expiring" });
    expect(await gauge(h.metrics, "keeper_custody_soc_expiry_seconds", { asset: "dusd" })).toBe(10 * 86_400);
  });

  it("reports a changed document as hash_mismatch and an unreachable one, with per-link metrics", async () => {
    const h = await harness();
    await h.service.start();
    h.docs.set(PINNED_URL, { status: 200, body: "pinned v2 (edited)" });
    h.docs.set(REPORT_URL, { status: 404, body: "gone" });
    h.clock.now += 3_600n;
    const results = await h.service.verifyAttestationsNow();
    await h.settle();
    expect(results.map((r) => [r.url, r.outcome])).toEqual([
      [PINNED_URL, "hash_mismatch"],
      [REPORT_URL, "unreachable"],
    ]);
    const mismatch = h
      .payloads("custody.attestation_checked")
      .find((p) => p.type === "custody.attestation_checked" && p.outcome === "hash_mismatch");
    expect(mismatch).toMatchObject({
      expectedSha256: sha256Of("pinned v1"),
      actualSha256: sha256Of("pinned v2 (edited)"),
      auditor: "Pinned Audit LLP",
      bucket: (T0 + 60n + 3_600n) / 3_600n,
    });
    expect(h.payloads("custody.attestation_checked").at(-1)).toMatchObject({
      outcome: "unreachable",
      httpStatus: 404,
    });
    const state = (url: string, outcome: string) =>
      gauge(h.metrics, "keeper_custody_attestation_state", { url, outcome });
    expect(await state(PINNED_URL, "hash_mismatch")).toBe(1);
    expect(await state(PINNED_URL, "verified")).toBe(0);
    expect(await state(REPORT_URL, "unreachable")).toBe(1);
    // A report that stops listing its link drops the link and its series.
    h.setReport(report(10_000_000n, h.clock.now, { attestations: [] }));
    await h.service.pollNow();
    expect(h.service.attestations().map((l) => l.url)).toEqual([PINNED_URL]);
    expect(await state(REPORT_URL, "unreachable")).toBeUndefined();
  });
});

describe("custody service: links from new reports", () => {
  it("verifies a document a new report lists right after that poll, without waiting for the round", async () => {
    const h = await harness();
    await h.service.start();
    const NEW_URL = "https://attest.example.com/dusd/2025-07.pdf";
    h.docs.set(NEW_URL, { status: 200, body: "july attestation" });
    const july = {
      url: NEW_URL,
      period: { start: 1n, end: 2n },
      auditor: "Example Audit LLP",
      sha256: sha256Of("july"),
    };
    h.setReport(report(10_000_000n, T0, { attestations: [july] }));
    await h.service.pollNow();
    await h.settle();
    const checks = h
      .payloads("custody.attestation_checked")
      .filter((p) => p.type === "custody.attestation_checked" && p.url === NEW_URL);
    expect(checks).toEqual([expect.objectContaining({ outcome: "hash_mismatch", source: "report" })]);
    // The next poll with the same links verifies nothing more.
    await h.service.pollNow();
    await h.settle();
    expect(h.payloads("custody.attestation_checked")).toHaveLength(2 + 2);
  });
});

describe("custody service: dual-source comparison", () => {
  it("publishes agree, disagree and agree again on state changes only, with figures and metrics", async () => {
    const h = await harness();
    await h.service.start();
    await h.bus.publish([{ payload: reserve(10_000_000n, 1n) }]);
    await h.settle();
    expect(h.payloads("reserve.sources_agree")).toEqual([
      expect.objectContaining({
        custodianAmount: 10_000_000n * 10n ** 8n,
        porAmount: 10_000_000n * 10n ** 8n,
        decimals: 8,
        diffBps: 0n,
        direction: "equal",
        custodianAsOf: T0,
        porUpdatedAt: T0,
        porRoundId: 1n,
        porChainId: 31337,
      }),
    ]);
    h.setReport(report(9_000_000n, T0 + 30n));
    await h.service.pollNow();
    await h.service.pollNow(); // same state: nothing new
    await h.bus.publish([{ payload: { ...reserve(10_000_000n, 1n, T0, 2), source: "reconcile" } }]); // same round
    await h.settle();
    const disagree = h.payloads("reserve.sources_disagree");
    expect(disagree).toEqual([
      expect.objectContaining({
        action: "alert",
        diffBps: 1_000n,
        toleranceBps: 50n,
        direction: "custodian_below",
        difference: 1_000_000n * 10n ** 8n,
        custodianAsOf: T0 + 30n,
      }),
    ]);
    expect(await gauge(h.metrics, "keeper_reserve_sources_disagree", { asset: "dusd" })).toBe(1);
    expect(await gauge(h.metrics, "keeper_reserve_sources_diff_bps", { asset: "dusd" })).toBe(1_000);
    expect(h.pauses).toEqual([]); // onDisagree: alert
    await h.bus.publish([{ payload: reserve(9_000_000n, 2n, T0 + 40n, 3) }]);
    await h.settle();
    expect(h.payloads("reserve.sources_agree")).toHaveLength(2);
    expect(await gauge(h.metrics, "keeper_reserve_sources_disagree", { asset: "dusd" })).toBe(0);
    expect(h.service.assets()[0]!.comparison).toMatchObject({ type: "agree", porRoundId: 2n });
  });

  it("ignores older rounds, reports not_comparable on as-of skew, and forgets a reorged answer", async () => {
    const h = await harness();
    await h.service.start();
    await h.bus.publish([{ payload: reserve(10_000_000n, 5n, T0) }]);
    await h.bus.publish([{ payload: reserve(1n, 4n, T0) }]); // older round: ignored
    await h.settle();
    expect(h.payloads("reserve.sources_disagree")).toEqual([]);
    await h.bus.publish([{ payload: reserve(10_000_000n, 6n, T0 + 3_601n, 7) }]);
    await h.settle();
    expect(h.payloads("reserve.sources_not_comparable")).toEqual([
      expect.objectContaining({ reason: "as_of_skew", skewSeconds: 3_601n, maxAsOfSkewSeconds: 3_600n }),
    ]);
    expect(await gauge(h.metrics, "keeper_reserve_sources_comparable", { asset: "dusd" })).toBe(0);
    await h.bus.publish([
      {
        payload: {
          type: "block.reorged",
          chainId: 31337,
          dropped: [{ number: 6n, hash: reserve(0n, 6n, 0n, 7).block.hash }],
          newHead: { number: 6n, hash: `0x${"ab".repeat(32)}` },
        },
      },
    ]);
    await h.settle();
    expect(h.service.assets()[0]!.por).toBeUndefined();
    await h.bus.publish([{ payload: reserve(10_000_000n, 5n, T0, 8) }]); // the re-read answer is taken again
    await h.settle();
    expect(h.payloads("reserve.sources_agree")).toHaveLength(2);
  });
});

describe("custody service: onDisagree pause", () => {
  const pauseConfig = { dualSource: { toleranceBps: 50, maxAsOfSkewSeconds: 3_600, onDisagree: "pause" } };

  it("pauses once per disagreement (custodian below), with the message id as decision id", async () => {
    const h = await harness(pauseConfig);
    await h.service.start();
    h.setReport(report(9_000_000n));
    await h.service.pollNow();
    await h.bus.publish([{ payload: reserve(10_000_000n, 1n) }]);
    await h.settle();
    const [msg] = h.payloads("reserve.sources_disagree") as ReserveSourcesDisagree[];
    expect(msg).toMatchObject({ action: "pause", direction: "custodian_below" });
    expect(h.pauses).toEqual([
      {
        assetId: "dusd",
        decisionId: messageIdOf(msg!),
        reason: "custody sources_disagree: custodian below PoR by 1000 bps (tolerance 50)",
        observedReserves: 9_000_000n * 10n ** 18n,
      },
    ]);
    // Still disagreeing (a new round): no second pause.
    await h.bus.publish([{ payload: reserve(10_000_001n, 2n, T0, 2) }]);
    await h.settle();
    expect(h.pauses).toHaveLength(1);
    expect(h.service.assets()[0]!.pause).toMatchObject({ state: "paused", decisionId: messageIdOf(msg!) });
    // Agreement ends the episode; the next disagreement pauses again.
    await h.bus.publish([{ payload: reserve(9_000_000n, 3n, T0, 3) }]);
    await h.bus.publish([{ payload: reserve(10_000_000n, 4n, T0, 4) }]);
    await h.settle();
    expect(h.pauses).toHaveLength(2);
  });

  it("does not pause when the custodian reports more (pauseOn custodian_below), and retries a failed pause", async () => {
    const h = await harness(pauseConfig);
    await h.service.start();
    h.setReport(report(11_000_000n));
    await h.service.pollNow();
    await h.bus.publish([{ payload: reserve(10_000_000n, 1n) }]);
    await h.settle();
    expect(h.payloads("reserve.sources_disagree")).toHaveLength(1);
    expect(h.pauses).toEqual([]);
    h.pauseResult.outcome = "failed";
    h.setReport(report(9_000_000n));
    await h.service.pollNow();
    await h.settle();
    expect(h.pauses).toHaveLength(1);
    expect(h.service.assets()[0]!.pause?.state).toBe("failed");
    h.pauseResult.outcome = "mined";
    await h.bus.publish([{ payload: reserve(10_000_000n, 2n, T0, 2) }]);
    await h.settle();
    expect(h.pauses).toHaveLength(2);
    expect(h.service.assets()[0]!.pause?.state).toBe("paused");
  });

  it("pauses on any disagreement with pauseOn any", async () => {
    const h = await harness({ dualSource: { ...pauseConfig.dualSource, pauseOn: "any" } });
    await h.service.start();
    h.setReport(report(11_000_000n));
    await h.service.pollNow();
    await h.bus.publish([{ payload: reserve(10_000_000n, 1n) }]);
    await h.settle();
    expect(h.pauses).toHaveLength(1);
  });
});

describe("createCustodyService: arguments", () => {
  it("refuses a config without custody, unknown assets, and pause without a pauser", async () => {
    const base = {
      bus: createInProcessBus({ keeperId: "k" }),
      provider: { kind: "file", getReport: async () => report(1n) } as CustodyProvider,
      logger,
      metrics: createMetrics(),
    };
    expect(() => createCustodyService({ ...base, config: parseConfig(validConfigInput()).config })).toThrow(
      InvalidArgumentError,
    );
    const custody = { provider: { type: "file", path: "x" }, assets: [{ id: "eurc" }] };
    expect(() =>
      createCustodyService({ ...base, config: parseConfig({ ...validConfigInput(), custody }).config }),
    ).toThrow(ConfigError);
    const pause = { ...custody, assets: [{ id: "dusd" }], dualSource: { onDisagree: "pause" } };
    expect(() =>
      createCustodyService({
        ...base,
        config: parseConfig({ ...validConfigInput(), custody: pause }).config,
      }),
    ).toThrow(/pauser/);
  });
});

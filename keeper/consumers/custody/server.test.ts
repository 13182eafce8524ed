import { afterEach, describe, expect, it } from "vitest";
import { createMetrics } from "../../telemetry/metrics.ts";
import { evaluateCustodyHealth } from "./health.ts";
import { parseCustodyReport } from "./report.ts";
import { type CustodyServer, createCustodyServer } from "./server.ts";
import type { CustodyAssetView } from "./service.ts";
import { reportDocument, sha256Of, unix } from "./testSupport.ts";

const report = parseCustodyReport("dusd", reportDocument());
const health = evaluateCustodyHealth({
  report,
  lastFetch: "ok",
  now: report.asOf + 60n,
  maxReportAgeSeconds: 86_400n,
  socWarnSeconds: 0n,
});
const asset: CustodyAssetView = {
  assetId: "dusd",
  report,
  health,
  lastError: undefined,
  por: {
    answer: 10n ** 15n,
    feedDecimals: 8,
    updatedAt: report.asOf,
    roundId: 7n,
    chainId: 31337,
    blockHash: "0x01",
  },
  comparison: {
    type: "agree",
    decimals: 8,
    custodianAmount: 10n ** 15n,
    porAmount: 10n ** 15n,
    difference: 0n,
    diffBps: 0n,
    toleranceBps: 50n,
    direction: "equal",
    skewSeconds: 0n,
    comparedAt: report.asOf + 60n,
    custodianAsOf: report.asOf,
    porUpdatedAt: report.asOf,
    porRoundId: 7n,
  },
  pause: undefined,
};

let server: CustodyServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function start(isRunning = true) {
  const metrics = createMetrics();
  metrics.custodyUp.set(1);
  server = createCustodyServer({
    host: "127.0.0.1",
    port: 0,
    registry: metrics.registry,
    service: {
      isRunning: () => isRunning,
      assets: () => [asset],
      attestations: () => [
        {
          ...report.attestations[0]!,
          assetId: "dusd",
          source: "report",
          lastCheck: {
            outcome: "hash_mismatch",
            actualSha256: sha256Of("other"),
            checkedAt: unix("2025-07-01T00:00:00Z"),
            httpStatus: 200,
            bytes: 5,
          },
        },
      ],
    },
  });
  const port = await server.start();
  return (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${port}${path}`, init);
}

describe("the custody HTTP server", () => {
  it("GET /v1/attestations lists every link with its last outcome and both digests", async () => {
    const get = await start();
    const res = await get("/v1/attestations");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    expect(await res.json()).toEqual({
      attestations: [
        {
          assetId: "dusd",
          url: "https://attest.example.com/dusd/2025-06.pdf",
          auditor: "Example Audit LLP",
          source: "report",
          period: {
            start: String(unix("2025-06-01T00:00:00Z")),
            end: String(unix("2025-06-30T00:00:00Z")),
            startIso: "2025-06-01T00:00:00Z",
            endIso: "2025-06-30T00:00:00Z",
          },
          sha256Expected: sha256Of("june attestation"),
          sha256Actual: sha256Of("other"),
          outcome: "hash_mismatch",
          checkedAt: String(unix("2025-07-01T00:00:00Z")),
          checkedAtIso: "2025-07-01T00:00:00Z",
          httpStatus: 200,
          bytes: 5,
          detail: null,
        },
      ],
    });
  });

  it("GET /v1/custody shows custodian, balance, asOf, SOC report, health and the last comparison", async () => {
    const get = await start();
    const body = (await (await get("/v1/custody")).json()) as { assets: Record<string, unknown>[] };
    expect(body.assets[0]).toMatchObject({
      assetId: "dusd",
      custodian: "Example Trust Co.",
      balance: { amount: "1000000000", decimals: 2 },
      asOf: String(report.asOf),
      asOfIso: "2025-06-30T12:00:00Z",
      socReport: { type: "SOC2", typeII: true, expiresAtIso: "2026-03-31T00:00:00Z", state: "valid" },
      health: { status: "healthy", provider: "up", report: "fresh", soc: "valid", reportAgeSeconds: "60" },
      por: { answer: "1000000000000000", decimals: 8, roundId: "7", chainId: 31337 },
      comparison: { type: "agree", diffBps: "0", toleranceBps: "50", porRoundId: "7" },
      pause: null,
      lastError: null,
    });
  });

  it("GET /healthz follows the service; /metrics serves the registry; 404 and 405 elsewhere", async () => {
    const get = await start();
    expect((await get("/healthz")).status).toBe(200);
    expect(await (await get("/metrics")).text()).toMatch(/^keeper_custody_up 1$/m);
    const missing = await get("/v2/nothing");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({
      paths: ["/v1/attestations", "/v1/custody", "/healthz", "/metrics"],
    });
    const post = await get("/v1/custody", { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    await server!.stop();
    const down = await start(false);
    expect((await down("/healthz")).status).toBe(503);
  });
});

import { describe, expect, it } from "vitest";
import { evaluateCustodyHealth } from "./health.ts";
import { parseCustodyReport } from "./report.ts";
import { reportDocument, unix } from "./testSupport.ts";

const report = parseCustodyReport("dusd", reportDocument()); // asOf 2025-06-30T12:00Z, SOC expires 2026-03-31
const base = { maxReportAgeSeconds: 86_400n, socWarnSeconds: 30n * 86_400n };
const at = (iso: string) => unix(iso);

describe("evaluateCustodyHealth", () => {
  it("is healthy with a fresh report, a valid SOC report and the provider up", () => {
    const h = evaluateCustodyHealth({ ...base, report, lastFetch: "ok", now: at("2025-06-30T18:00:00Z") });
    expect(h).toEqual({
      status: "healthy",
      provider: "up",
      report: "fresh",
      soc: "valid",
      reportAgeSeconds: 6n * 3_600n,
      socExpiresInSeconds: unix("2026-03-31T00:00:00Z") - at("2025-06-30T18:00:00Z"),
      reasons: [],
    });
  });

  it("is stale one second after maxReportAgeSeconds, not at it", () => {
    const edge = report.asOf + 86_400n;
    expect(evaluateCustodyHealth({ ...base, report, lastFetch: "ok", now: edge }).report).toBe("fresh");
    const stale = evaluateCustodyHealth({ ...base, report, lastFetch: "ok", now: edge + 1n });
    expect(stale).toMatchObject({ status: "unhealthy", report: "stale", reportAgeSeconds: 86_401n });
    expect(stale.reasons).toEqual(["The custody report is 1d old (max 1d)."]);
  });

  it("warns within socWarnSeconds of expiry and is unhealthy once expired", () => {
    const expires = report.soc.expiresAt;
    const fresh = { ...report, asOf: expires - 3_600n };
    const warn = evaluateCustodyHealth({
      ...base,
      report: fresh,
      lastFetch: "ok",
      now: expires - 30n * 86_400n,
    });
    expect(warn).toMatchObject({ status: "warning", soc: "expiring" });
    expect(warn.reasons).toEqual(["The SOC2 report expires in 30d."]);
    const before = evaluateCustodyHealth({
      ...base,
      report: fresh,
      lastFetch: "ok",
      now: expires - 30n * 86_400n - 1n,
    });
    expect(before.soc).toBe("valid");
    const expired = evaluateCustodyHealth({
      ...base,
      report: { ...fresh, asOf: expires },
      lastFetch: "ok",
      now: expires,
    });
    expect(expired).toMatchObject({ status: "unhealthy", soc: "expired", socExpiresInSeconds: 0n });
  });

  it("reports the provider down after a failed call, keeping the last report's states", () => {
    const h = evaluateCustodyHealth({ ...base, report, lastFetch: "unavailable", now: report.asOf + 60n });
    expect(h).toMatchObject({ status: "unhealthy", provider: "down", report: "fresh", soc: "valid" });
    const refused = evaluateCustodyHealth({ ...base, report: undefined, lastFetch: "rejected", now: 0n });
    expect(refused).toMatchObject({ provider: "down", report: "missing", soc: "missing" });
  });

  it("marks a rejected (malformed) report invalid while the provider counts as up", () => {
    const h = evaluateCustodyHealth({ ...base, report, lastFetch: "invalid", now: report.asOf });
    expect(h).toMatchObject({ status: "unhealthy", provider: "up", report: "invalid", soc: "valid" });
  });

  it("is missing before any report", () => {
    expect(evaluateCustodyHealth({ ...base, report: undefined, lastFetch: undefined, now: 1n })).toEqual({
      status: "unhealthy",
      provider: "up",
      report: "missing",
      soc: "missing",
      reasons: ["No valid custody report has been received yet."],
    });
  });
});

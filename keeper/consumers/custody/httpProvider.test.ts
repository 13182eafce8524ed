import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../internal/errors.ts";
import {
  CustodyProviderRejectedError,
  CustodyProviderUnavailableError,
  CustodyReportInvalidError,
} from "./errors.ts";
import { createHttpCustodyProvider } from "./httpProvider.ts";
import { createCustodyProvider } from "./provider.ts";
import { reportDocument } from "./testSupport.ts";

type Reply = { status: number; body?: string; headers?: Record<string, string>; hang?: boolean };

describe("the HTTP custody provider against a local server", () => {
  let server: Server;
  let base: string;
  let replies: Reply[] = [];
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  const sleeps: number[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url ?? "", headers: req.headers });
      const reply = replies.shift() ?? { status: 500 };
      if (reply.hang) return;
      res
        .writeHead(reply.status, { "content-type": "application/json", ...reply.headers })
        .end(reply.body ?? "");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/custody/`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  beforeEach(() => {
    replies = [];
    seen.length = 0;
    sleeps.length = 0;
  });

  const provider = (over: Partial<Parameters<typeof createHttpCustodyProvider>[0]> = {}) =>
    createHttpCustodyProvider({
      url: base,
      token: "planted-token-123",
      timeoutMs: 2_000,
      maxAttempts: 3,
      backoffBaseMs: 100,
      backoffMaxMs: 1_000,
      maxResponseBytes: 64 * 1024,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...over,
    });
  const ok = (doc: unknown = reportDocument()): Reply => ({ status: 200, body: JSON.stringify(doc) });

  it("GETs <url>/v1/reports/<asset> with the bearer token and returns the validated report", async () => {
    replies = [ok()];
    const report = await provider().getReport("dusd");
    expect(report.balance).toEqual({ amount: 1_000_000_000n, decimals: 2 });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe("/custody/v1/reports/dusd");
    expect(seen[0]!.headers.authorization).toBe("Bearer planted-token-123");
    expect(seen[0]!.headers.accept).toBe("application/json");
  });

  it("retries 5xx, 429 (honouring Retry-After) and network-level failures, then succeeds", async () => {
    replies = [{ status: 503 }, { status: 429, headers: { "retry-after": "3" } }, ok()];
    await expect(provider().getReport("dusd")).resolves.toMatchObject({ assetId: "dusd" });
    expect(seen).toHaveLength(3);
    // attempt 1: 100 ms · 2^0 with equal jitter 0.5 → 75; attempt 2: Retry-After 3 s capped at backoffMaxMs
    expect(sleeps).toEqual([75, 1_000]);
  });

  it("gives up after maxAttempts with a retryable error naming the attempts (never the token)", async () => {
    replies = [{ status: 500 }, { status: 502 }, { status: 504 }];
    const err = await provider()
      .getReport("dusd")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CustodyProviderUnavailableError);
    expect((err as CustodyProviderUnavailableError).retryable).toBe(true);
    expect((err as Error).message).toMatch(/Custody provider http is unavailable for dusd \(HTTP 504\)/);
    expect((err as Error).message).toMatch(/attempts: 3/);
    expect((err as Error).message).not.toContain("planted-token-123");
    expect((err as Error).message).not.toContain("127.0.0.1");
  });

  it("times out a request that never answers", async () => {
    replies = [{ status: 200, hang: true }];
    const err = await provider({ timeoutMs: 200, maxAttempts: 1 })
      .getReport("dusd")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CustodyProviderUnavailableError);
    expect((err as CustodyProviderUnavailableError).reason).toBe("timeout");
  });

  it("does not retry 404, 401 or a redirect", async () => {
    replies = [{ status: 404 }];
    await expect(provider().getReport("dusd")).rejects.toThrow(/no report for this asset \(HTTP 404\)/);
    replies = [{ status: 401 }];
    await expect(provider().getReport("dusd")).rejects.toThrow(/not authorised \(HTTP 401\)/);
    replies = [{ status: 302, headers: { location: "http://elsewhere.example/" } }];
    await expect(provider().getReport("dusd")).rejects.toBeInstanceOf(CustodyProviderRejectedError);
    expect(seen).toHaveLength(3);
  });

  it("rejects a malformed report, a non-JSON body and an oversized body, naming the field, without retrying", async () => {
    replies = [ok(reportDocument("dusd", { balance: { amount: "12x", decimals: 2 } }))];
    await expect(provider().getReport("dusd")).rejects.toMatchObject({ field: "balance.amount" });
    replies = [{ status: 200, body: "<html>" }];
    await expect(provider().getReport("dusd")).rejects.toMatchObject({ field: "(json)" });
    replies = [ok({ ...reportDocument(), custodian: "x".repeat(5_000) })];
    const err = await provider({ maxResponseBytes: 1_024 })
      .getReport("dusd")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CustodyReportInvalidError);
    expect((err as CustodyReportInvalidError).field).toBe("(body)");
    expect(seen).toHaveLength(3);
  });

  it("refuses a URL with credentials or another scheme", () => {
    expect(() => provider({ url: "https://user:pw@custodian.example" })).toThrow(InvalidArgumentError);
    expect(() => provider({ url: "ftp://custodian.example" })).toThrow(/http or https/);
  });

  it("createCustodyProvider reads the token from the named variable and refuses an unset one", async () => {
    const config = {
      type: "http" as const,
      url: base,
      tokenEnv: "CUSTODY_TOKEN",
      timeoutMs: 1_000,
      maxAttempts: 1,
      backoffBaseMs: 0,
      backoffMaxMs: 0,
      maxResponseBytes: 65_536,
    };
    expect(() => createCustodyProvider(config, {})).toThrow(/CUSTODY_TOKEN is not set or empty/);
    replies = [ok()];
    await createCustodyProvider(config, { CUSTODY_TOKEN: "from-env" }).getReport("dusd");
    expect(seen[0]!.headers.authorization).toBe("Bearer from-env");
    replies = [ok()];
    await createCustodyProvider({ ...config, tokenEnv: undefined }, {}).getReport("dusd");
    expect(seen[1]!.headers.authorization).toBeUndefined();
  });
});

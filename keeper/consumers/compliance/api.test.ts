import { pino } from "pino";
import type { Hash } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComplianceApi, createComplianceApi } from "./api.ts";
import { ComplianceAuditUnavailableError } from "./decider.ts";
import { createDevnetOnRamp } from "./onRamp.ts";
import { ALICE, deciderFixture, MALLORY } from "./testSupport.ts";

describe("compliance HTTP API", () => {
  let api: ComplianceApi;
  let base: string;
  let healthy = true;
  let auditDown = false;
  let f: Awaited<ReturnType<typeof deciderFixture>>;

  beforeAll(async () => {
    f = await deciderFixture();
    let sends = 0;
    const decider = {
      decide: (input: Parameters<typeof f.decider.decide>[0]) =>
        auditDown
          ? Promise.reject(new ComplianceAuditUnavailableError({ decisionId: "x" }))
          : f.decider.decide(input),
    };
    const onRamp = createDevnetOnRamp({
      rules: f.rules,
      mintTargets: new Map([
        ["dusd", { chainId: 31337, minter: "0x00000000000000000000000000000000000000f1" }],
      ]),
      decider,
      minter: {
        issuer: "0x00000000000000000000000000000000000000c2",
        send: async () => ({ txHash: `0x${String(++sends).padStart(64, "0")}` as Hash, nonce: sends }),
        wait: async (_r, txHash) => ({ txHash, blockNumber: 7n }),
      },
      fiatCurrency: "USD",
      feeBps: 0,
      quoteTtlSeconds: 300,
      metrics: f.metrics,
      logger: pino({ level: "silent" }),
    });
    api = createComplianceApi({
      host: "127.0.0.1",
      port: 0,
      maxBodyBytes: 1_024,
      rules: f.rules,
      decider,
      onRamp,
      devnetSettlement: true,
      health: () => ({ ok: healthy, details: { pausedAssets: {} } }),
      logger: pino({ level: "silent" }),
    });
    base = `http://127.0.0.1:${await api.start()}`;
  });
  afterAll(async () => {
    await api.stop();
  });

  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const check = (over: Record<string, unknown> = {}) =>
    post("/v1/compliance/check", {
      account: ALICE,
      asset: "dusd",
      operation: "mint",
      amount: "1000000",
      ...over,
    });

  it("answers a check with allowed, reasons, decisionId, asset and operation", async () => {
    const ok = await check();
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({
      allowed: true,
      reasons: [],
      decisionId: expect.any(String),
      asset: "dusd",
      operation: "mint",
    });
    const refused = await check({ account: MALLORY.toLowerCase(), operation: "redeem" });
    expect(refused.body).toMatchObject({
      allowed: false,
      reasons: ["JURISDICTION_BLOCKED"],
      operation: "redeem",
    });
  });

  it.each([
    ["asset", { asset: "eurx" }, /not a configured asset/],
    ["account", { account: "0x1234" }, /address/],
    ["account", { account: "0x00000000000000000000000000000000000a11CE" }, /checksum/],
    ["amount", { amount: "-1" }, /non-negative integer/],
    ["amount", { amount: "1.5" }, /non-negative integer/],
    ["amount", { amount: 5 }, /string/],
    ["amount", { amount: "1".padEnd(80, "0") }, /./],
    ["operation", { operation: "burn" }, /mint, redeem, transfer/],
    ["name", { name: "Alice Example" }, /not allowed/],
    ["ip", { ip: "999.1.1.1" }, /IPv4 or IPv6/],
  ])("400 naming the field %s", async (field, over, message) => {
    const r = await check(over);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: "invalid_request", field });
    expect(String(r.body.message)).toMatch(message);
  });

  it("400 for a missing field, a non-JSON body and a non-object body; 413 for a large body", async () => {
    const missing = await post("/v1/compliance/check", { account: ALICE, asset: "dusd", operation: "mint" });
    expect(missing.body).toMatchObject({ field: "amount", message: "Field amount is required." });
    expect((await post("/v1/compliance/check", "{oops")).body).toMatchObject({ field: "(body)" });
    expect((await post("/v1/compliance/check", [1])).body).toMatchObject({ field: "(body)" });
    expect((await post("/v1/compliance/check", { pad: "x".repeat(2_000) })).status).toBe(413);
  });

  it("404 for unknown paths, 405 with Allow for wrong methods", async () => {
    expect((await fetch(`${base}/v1/nope`)).status).toBe(404);
    const res = await fetch(`${base}/v1/compliance/check`);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
  });

  it("503 when the decision cannot be audited", async () => {
    auditDown = true;
    try {
      const r = await check();
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({ error: "unavailable", code: "COMPLIANCE_AUDIT_UNAVAILABLE" });
    } finally {
      auditDown = false;
    }
  });

  it("GET /healthz: 200 when serving, 503 otherwise", async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    healthy = false;
    const res = await fetch(`${base}/healthz`);
    healthy = true;
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: "unavailable", ok: false });
  });

  it("on-ramp: quote (201) → order (201, then 200 for the same key) → settle (minted) → get", async () => {
    const quote = await post("/v1/onramp/quotes", { asset: "dusd", recipient: ALICE, fiatAmount: "25.00" });
    expect(quote.status).toBe(201);
    expect(quote.body).toMatchObject({
      asset: "dusd",
      fiatAmount: "25.00",
      fee: "0.00",
      tokenAmount: "25000000",
    });
    const order = { quoteId: quote.body.quoteId, idempotencyKey: "order-key-1" };
    const created = await post("/v1/onramp/orders", order);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: "awaiting_payment" });
    const again = await post("/v1/onramp/orders", order);
    expect(again.status).toBe(200);
    expect(again.body.orderId).toBe(created.body.orderId);
    const settled = await post(`/v1/onramp/orders/${String(created.body.orderId)}/settle`, {});
    expect(settled.body).toMatchObject({
      status: "minted",
      txHash: `0x${"1".padStart(64, "0")}`,
      blockNumber: "7",
    });
    const got = await fetch(`${base}/v1/onramp/orders/${String(created.body.orderId)}`);
    expect(await got.json()).toMatchObject({ status: "minted" });
    expect((await fetch(`${base}/v1/onramp/orders/unknown`)).status).toBe(404);
    expect((await post("/v1/onramp/orders", { quoteId: "nope", idempotencyKey: "order-key-2" })).status).toBe(
      404,
    );
    expect(
      (await post("/v1/onramp/quotes", { asset: "dusd", recipient: ALICE, fiatAmount: "1.001" })).body,
    ).toMatchObject({
      field: "fiatAmount",
    });
  });
});

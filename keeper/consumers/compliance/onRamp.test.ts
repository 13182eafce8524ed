import { pino } from "pino";
import type { Hash } from "viem";
import { describe, expect, it } from "vitest";
import { ContractWriteFailedError, ContractWriteRevertedError } from "../../actions/contractWriteErrors.ts";
import type { SecureMinter } from "../../actions/secureMint.ts";
import { ComplianceInputError, OnRampConflictError, OnRampNotFoundError } from "./errors.ts";
import { createDevnetOnRamp } from "./onRamp.ts";
import { ALICE, deciderFixture, MALLORY, metricValue, NOW_MS } from "./testSupport.ts";

const MINTER = "0x00000000000000000000000000000000000000m1".replace("m1", "f1") as `0x${string}`;

function fakeMinter() {
  const state = {
    sends: 0,
    waits: 0,
    sendFailure: undefined as Error | undefined,
    waitFailures: [] as Error[],
  };
  const minter: SecureMinter = {
    issuer: "0x00000000000000000000000000000000000000c2",
    async send() {
      if (state.sendFailure) throw state.sendFailure;
      state.sends++;
      return { txHash: `0x${String(state.sends).padStart(64, "0")}` as Hash, nonce: state.sends };
    },
    async wait(_request, txHash) {
      state.waits++;
      const failure = state.waitFailures.shift();
      if (failure) throw failure;
      return { txHash, blockNumber: 42n };
    },
  };
  return { minter, state };
}

async function setup() {
  const f = await deciderFixture();
  const m = fakeMinter();
  let clock = NOW_MS;
  let n = 0;
  const onRamp = createDevnetOnRamp({
    rules: f.rules,
    mintTargets: new Map([["dusd", { chainId: 31337, minter: MINTER }]]),
    decider: f.decider,
    minter: m.minter,
    fiatCurrency: "USD",
    feeBps: 50,
    quoteTtlSeconds: 300,
    metrics: f.metrics,
    logger: pino({ level: "silent" }),
    now: () => clock,
    newId: () => `id-${++n}`,
  });
  return { ...f, m, onRamp, advance: (ms: number) => (clock += ms) };
}

describe("createDevnetOnRamp", () => {
  it("quotes fiat → tokens with the fee (ceil, cents) and an expiry", async () => {
    const { onRamp } = await setup();
    const q = await onRamp.quote({ assetId: "dusd", recipient: ALICE, fiatAmount: "100.01" });
    // fee = ceil(10001 * 50 / 10000) = 51 cents; tokens = 99.50 → 6 decimals
    expect(q).toMatchObject({
      fiatAmountMinor: 10_001n,
      feeMinor: 51n,
      tokenAmount: 99_500_000n,
      fiatCurrency: "USD",
    });
    expect(q.expiresAt).toBe(BigInt(NOW_MS / 1000 + 300));
    await expect(onRamp.quote({ assetId: "dusd", recipient: ALICE, fiatAmount: "1.234" })).rejects.toThrow(
      ComplianceInputError,
    );
    await expect(onRamp.quote({ assetId: "dusd", recipient: ALICE, fiatAmount: "0.01" })).rejects.toThrow(
      /no tokens/,
    );
    await expect(onRamp.quote({ assetId: "eurx", recipient: ALICE, fiatAmount: "1" })).rejects.toThrow(
      /asset/,
    );
  });

  it("orders idempotently by key; another key on the same quote or another quote on the same key conflicts", async () => {
    const { onRamp, advance } = await setup();
    const q = await onRamp.quote({ assetId: "dusd", recipient: ALICE, fiatAmount: "10" });
    const o1 = await onRamp.order({ quoteId: q.quoteId, idempotencyKey: "key-00000001" });
    expect(await onRamp.order({ quoteId: q.quoteId, idempotencyKey: "key-00000001" })).toBe(o1);
    await expect(onRamp.order({ quoteId: q.quoteId, idempotencyKey: "key-00000002" })).rejects.toThrow(
      OnRampConflictError,
    );
    const q2 = await onRamp.quote({ assetId: "dusd", recipient: ALICE, fiatAmount: "10" });
    await expect(onRamp.order({ quoteId: q2.quoteId, idempotencyKey: "key-00000001" })).rejects.toThrow(
      /another quote/,
    );
    await expect(onRamp.order({ quoteId: "nope", idempotencyKey: "key-00000003" })).rejects.toThrow(
      OnRampNotFoundError,
    );
    await expect(onRamp.order({ quoteId: q2.quoteId, idempotencyKey: "short" })).rejects.toThrow(
      /idempotencyKey/,
    );
    advance(301_000);
    await expect(onRamp.order({ quoteId: q2.quoteId, idempotencyKey: "key-00000004" })).rejects.toThrow(
      /expired/,
    );
  });

  it("settles with an allowed decision, mints once, records the tx hash; settling again returns the same order", async () => {
    const { onRamp, m, messages, bus, metrics } = await setup();
    const q = await onRamp.quote({ assetId: "dusd", recipient: ALICE, fiatAmount: "10" });
    const o = await onRamp.order({ quoteId: q.quoteId, idempotencyKey: "key-00000001" });
    const [a, b] = await Promise.all([onRamp.settle(o.orderId), onRamp.settle(o.orderId)]);
    expect(a).toBe(b);
    expect(a).toMatchObject({
      status: "minted",
      txHash: `0x${"1".padStart(64, "0")}`,
      blockNumber: 42n,
      chainId: 31337,
    });
    expect(await onRamp.settle(o.orderId)).toBe(a);
    expect(m.state.sends).toBe(1);
    await bus.idle();
    expect(messages.map((e) => e.payload)).toMatchObject([
      {
        type: "compliance.decision",
        origin: "onramp",
        operation: "mint",
        amount: q.tokenAmount,
        allowed: true,
      },
    ]);
    expect(await metricValue(metrics, "keeper_compliance_onramp_orders_total", { status: "minted" })).toBe(1);
  });

  it("fails the order with the decision's reasons and mints nothing when compliance refuses", async () => {
    const { onRamp, m, pauses } = await setup();
    const q = await onRamp.quote({ assetId: "dusd", recipient: MALLORY, fiatAmount: "10" });
    const o = await onRamp.order({ quoteId: q.quoteId, idempotencyKey: "key-00000001" });
    expect(await onRamp.settle(o.orderId)).toMatchObject({
      status: "failed",
      failure: { type: "refused", reasons: ["JURISDICTION_BLOCKED"] },
    });
    pauses.apply({ assetId: "dusd", chainId: 31337, paused: true, block: 1n, source: "bus" });
    const q2 = await onRamp.quote({ assetId: "dusd", recipient: ALICE, fiatAmount: "10" });
    const o2 = await onRamp.order({ quoteId: q2.quoteId, idempotencyKey: "key-00000002" });
    expect(await onRamp.settle(o2.orderId)).toMatchObject({
      status: "failed",
      failure: { type: "refused", reasons: ["BREAKER_PAUSED"] },
    });
    expect(m.state.sends).toBe(0);
  });

  it("maps a minter revert (breaker paused after the decision) to BREAKER_PAUSED", async () => {
    const { onRamp, m } = await setup();
    m.state.sendFailure = new ContractWriteRevertedError({
      chainId: 31337,
      contract: MINTER,
      functionName: "mint",
      revert: "BreakerIsPaused(0x…)",
      errorName: "BreakerIsPaused",
      errorArgs: ["0x"],
    });
    const q = await onRamp.quote({ assetId: "dusd", recipient: ALICE, fiatAmount: "10" });
    const o = await onRamp.order({ quoteId: q.quoteId, idempotencyKey: "key-00000001" });
    expect(await onRamp.settle(o.orderId)).toMatchObject({
      status: "failed",
      failure: { type: "refused", reasons: ["BREAKER_PAUSED"] },
    });
  });

  it("a failed broadcast leaves the order settleable; a failed receipt wait never re-sends", async () => {
    const { onRamp, m } = await setup();
    const q = await onRamp.quote({ assetId: "dusd", recipient: ALICE, fiatAmount: "10" });
    const o = await onRamp.order({ quoteId: q.quoteId, idempotencyKey: "key-00000001" });
    m.state.sendFailure = new ContractWriteFailedError({
      chainId: 1,
      contract: MINTER,
      functionName: "mint",
      step: "broadcasting",
    });
    await expect(onRamp.settle(o.orderId)).rejects.toThrow(ContractWriteFailedError);
    expect(onRamp.get(o.orderId)?.status).toBe("awaiting_payment");
    m.state.sendFailure = undefined;
    m.state.waitFailures.push(
      new ContractWriteFailedError({
        chainId: 1,
        contract: MINTER,
        functionName: "mint",
        step: "waiting for the receipt",
      }),
    );
    await expect(onRamp.settle(o.orderId)).rejects.toThrow(/receipt/);
    expect(onRamp.get(o.orderId)).toMatchObject({ status: "minting", txHash: `0x${"1".padStart(64, "0")}` });
    expect(await onRamp.settle(o.orderId)).toMatchObject({ status: "minted" });
    expect(m.state.sends).toBe(1);
    expect(m.state.waits).toBe(2);
  });
});

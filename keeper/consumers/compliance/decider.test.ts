import { describe, expect, it } from "vitest";
import { encodeEnvelope } from "../../bus/envelope.ts";
import type { Bus } from "../../bus/port.ts";
import { BusUnavailableError } from "../../internal/errors.ts";
import { ComplianceAuditUnavailableError } from "./decider.ts";
import { ALICE, deciderFixture, MALLORY, metricValue, OUTSIDER } from "./testSupport.ts";

describe("createComplianceDecider", () => {
  it("allows and publishes the audit message with the decision's inputs (record id, tier, rules hash)", async () => {
    const f = await deciderFixture();
    const d = await f.decider.decide({
      account: ALICE,
      assetId: "dusd",
      operation: "mint",
      amount: 5n,
      origin: "api",
    });
    expect(d).toMatchObject({
      decisionId: "decision-1",
      allowed: true,
      reasons: [],
      assetId: "dusd",
      operation: "mint",
    });
    await f.bus.idle();
    expect(f.messages).toHaveLength(1);
    const message = f.messages[0]!;
    expect(message).toMatchObject({
      type: "compliance.decision",
      key: "dusd",
      id: "dusd:compliance.decision:decision-1",
    });
    expect(message.payload).toEqual({
      type: "compliance.decision",
      decisionId: "decision-1",
      assetId: "dusd",
      account: ALICE,
      operation: "mint",
      amount: 5n,
      allowed: true,
      reasons: [],
      recordId: "kyc-alice",
      kycTier: 2,
      jurisdiction: "US",
      qualifiedParty: true,
      rulesHash: f.rules.get("dusd")!.hash,
      pausedChainIds: [],
      origin: "api",
      decidedAt: "2025-06-15T15:06:40.000Z",
    });
    expect(
      await metricValue(f.metrics, "keeper_compliance_decisions_total", {
        asset: "dusd",
        outcome: "allowed",
      }),
    ).toBe(1);
  });

  it("publishes the country an ip resolved to, never the ip, and refuses a blocked country", async () => {
    const f = await deciderFixture();
    const d = await f.decider.decide({
      account: ALICE,
      assetId: "dusd",
      operation: "mint",
      amount: 5n,
      ip: "10.20.30.40",
      origin: "api",
    });
    expect(d.reasons).toEqual(["IP_JURISDICTION_BLOCKED"]);
    await f.bus.idle();
    const bytes = new TextDecoder().decode(encodeEnvelope(f.messages[0]!));
    expect(bytes).not.toContain("10.20.30.40");
    expect(f.messages[0]!.payload).toMatchObject({ ipCountry: "KP", allowed: false });
  });

  it("refuses without a record, with a blocked jurisdiction, and counts each reason", async () => {
    const f = await deciderFixture();
    expect(
      (
        await f.decider.decide({
          account: OUTSIDER,
          assetId: "dusd",
          operation: "redeem",
          amount: 1n,
          origin: "api",
        })
      ).reasons,
    ).toEqual(["NO_RECORD"]);
    const big = 2_000_000n * 10n ** 6n;
    expect(
      (
        await f.decider.decide({
          account: MALLORY,
          assetId: "dusd",
          operation: "mint",
          amount: big,
          origin: "api",
        })
      ).reasons,
    ).toEqual(["JURISDICTION_BLOCKED", "QUALIFIED_PARTY_REQUIRED"]);
    await f.bus.idle();
    expect(f.messages[0]!.payload).not.toHaveProperty("recordId");
    expect(
      await metricValue(f.metrics, "keeper_compliance_refusal_reasons_total", {
        asset: "dusd",
        operation: "mint",
        reason: "QUALIFIED_PARTY_REQUIRED",
      }),
    ).toBe(1);
    expect(f.decider.seenAccounts.has(MALLORY)).toBe(true);
  });

  it("fails closed when the provider is unavailable (PROVIDER_UNAVAILABLE, provider error counted)", async () => {
    const f = await deciderFixture();
    f.providerState.failing = true;
    const d = await f.decider.decide({
      account: ALICE,
      assetId: "dusd",
      operation: "mint",
      amount: 1n,
      origin: "api",
    });
    expect(d).toMatchObject({ allowed: false, reasons: ["PROVIDER_UNAVAILABLE"] });
    expect(
      await metricValue(f.metrics, "keeper_compliance_provider_errors_total", {
        provider: "map",
        kind: "http_5xx",
      }),
    ).toBe(1);
  });

  it("refuses every operation while the asset is paused, and lists the paused chains in the audit", async () => {
    const f = await deciderFixture();
    f.pauses.apply({ assetId: "dusd", chainId: 31337, paused: true, block: 1n, source: "bus" });
    const d = await f.decider.decide({
      account: ALICE,
      assetId: "dusd",
      operation: "transfer",
      amount: 1n,
      origin: "api",
    });
    expect(d.reasons).toEqual(["BREAKER_PAUSED"]);
    await f.bus.idle();
    expect(f.messages[0]!.payload).toMatchObject({ pausedChainIds: [31337] });
  });

  it("withholds the decision when the audit message cannot be published", async () => {
    const failingBus = {
      publish: async () => {
        throw new BusUnavailableError({
          operation: "publish",
          topics: ["compliance.decisions"],
          attempts: 3,
        });
      },
    } as unknown as Bus;
    const f = await deciderFixture(failingBus);
    const err = await f.decider
      .decide({ account: ALICE, assetId: "dusd", operation: "mint", amount: 1n, origin: "api" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ComplianceAuditUnavailableError);
    expect(await metricValue(f.metrics, "keeper_compliance_decisions_total", { asset: "dusd" })).toBe(0);
  });
});

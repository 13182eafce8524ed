import { pino } from "pino";
import { type Address, type Hex, hexToString } from "viem";
import { describe, expect, it } from "vitest";
import type { ComplianceGateWriter, GateChange, GateRecordValue } from "../../actions/complianceGateSync.ts";
import { ContractWriteFailedError } from "../../actions/contractWriteErrors.ts";
import { createMetrics } from "../../telemetry/metrics.ts";
import { KycProviderUnavailableError } from "./errors.ts";
import { UINT256_MAX } from "./gatePlan.ts";
import { createGateSync, type GateReader } from "./gateSync.ts";
import { createRecordQualifiedPartyVerifier } from "./qualifiedPartyVerifier.ts";
import { assetRulesFrom } from "./rules.ts";
import type { KycProvider, KycRecord } from "./types.ts";

const A = "0x00000000000000000000000000000000000000A1".toLowerCase() as Address;
const B = "0x00000000000000000000000000000000000000B2".toLowerCase() as Address;
const GATE = "0x0000000000000000000000000000000000000Ga7".replace("Ga7", "ga7") as Address;

/** An in-memory ComplianceGate: the reader sees what the writer applied. */
function fakeGate() {
  const records = new Map<string, GateRecordValue>();
  const blocked = new Set<string>();
  const tiers = [1, 1, 1];
  let threshold = UINT256_MAX;
  let failNext = 0;
  const applied: GateChange[][] = [];
  const reader: GateReader = {
    async getBlockNumber() {
      return 1n;
    },
    async readContract({ functionName, args }) {
      switch (functionName) {
        case "recordOf": {
          const r = records.get(String(args?.[0]).toLowerCase());
          return r
            ? { ...r, jurisdiction: `0x${Buffer.from(r.jurisdiction).toString("hex")}` }
            : { kycTier: 0, jurisdiction: "0x0000", qualifiedParty: false, expiresAt: 0n };
        }
        case "isJurisdictionBlocked":
          return blocked.has(hexToString(args?.[0] as Hex));
        case "minKycTier":
          return tiers[Number(args?.[0])];
        case "qualifiedPartyThreshold":
          return threshold;
        default:
          throw new Error(`unexpected ${functionName}`);
      }
    },
  };
  const writer: ComplianceGateWriter = {
    async apply({ changes }) {
      if (failNext > 0) {
        failNext--;
        throw new ContractWriteFailedError({
          chainId: 1,
          contract: GATE,
          functionName: "setRecords",
          step: "broadcasting",
        });
      }
      applied.push([...changes]);
      for (const c of changes) {
        if (c.type === "records") for (const [a, r] of c.entries) records.set(a.toLowerCase(), r);
        if (c.type === "clear_records") for (const a of c.accounts) records.delete(a.toLowerCase());
        if (c.type === "jurisdictions")
          for (const code of c.codes) c.blocked ? blocked.add(code) : blocked.delete(code);
        if (c.type === "min_tier") tiers[["mint", "redeem", "transfer"].indexOf(c.operation)] = c.tier;
        if (c.type === "qp_threshold") threshold = c.amount;
      }
      return changes.map((c, i) => ({
        change: c.type,
        items: 1,
        txHash: `0x${String(i).padStart(64, "0")}` as Hex,
        blockNumber: 2n,
      }));
    },
  };
  return {
    reader,
    writer,
    records,
    blocked,
    applied,
    failTimes(n: number) {
      failNext = n;
    },
  };
}

function fakeProvider(initial: Record<string, KycRecord>) {
  const records = new Map(Object.entries(initial).map(([a, r]) => [a.toLowerCase(), r]));
  let failing = false;
  const provider: KycProvider = {
    name: "fake",
    async getRecord(account) {
      if (failing) throw new KycProviderUnavailableError({ provider: "fake", kind: "timeout", attempts: 1 });
      return records.get(account.toLowerCase());
    },
    async listAccounts() {
      return [...records.keys()] as Address[];
    },
  };
  return {
    provider,
    records,
    fail(on: boolean) {
      failing = on;
    },
  };
}

const record = (over: Partial<KycRecord> = {}): KycRecord => ({
  recordId: "r",
  tier: 2,
  jurisdiction: "US",
  qualifiedParty: true,
  expiresAt: 2_000_000_000n,
  ...over,
});

function setup(records: Record<string, KycRecord>) {
  const gate = fakeGate();
  const kyc = fakeProvider(records);
  const metrics = createMetrics();
  const sync = createGateSync({
    targets: [{ assetId: "dusd", chainId: 1, gate: GATE }],
    rules: new Map([
      [
        "dusd",
        assetRulesFrom({
          id: "dusd",
          tokenDecimals: 6,
          blockedJurisdictions: ["IR"],
          minKycTier: { mint: 1, redeem: 1, transfer: 1 },
          qualifiedPartyThreshold: "1000",
        }),
      ],
    ]),
    readers: new Map([[1, gate.reader]]),
    provider: kyc.provider,
    qualifiedParty: createRecordQualifiedPartyVerifier(),
    writer: gate.writer,
    intervalMs: 60_000,
    retry: { maxAttempts: 3, backoffBaseMs: 1, backoffMaxMs: 2 },
    metrics,
    logger: pino({ level: "silent" }),
    now: () => 1_700_000_000_000,
    sleep: async () => {},
  });
  return { gate, kyc, metrics, sync };
}

const gauge = async (metrics: ReturnType<typeof createMetrics>, name: string) =>
  (await metrics.registry.getSingleMetric(name)?.get())?.values.map((v) => v.value);

describe("createGateSync", () => {
  it("writes the differences once; a second pass sends nothing", async () => {
    const { gate, metrics, sync } = setup({ [A]: record(), [B]: record({ jurisdiction: "IR" }) });
    const first = await sync.runOnce();
    expect(first[0]).toMatchObject({ outcome: "synced", differences: 4 }); // 2 records, IR, QP threshold
    expect(gate.applied).toHaveLength(1);
    expect(gate.records.get(A)?.expiresAt).toBe(2_000_000_000n);
    expect(gate.blocked.has("IR")).toBe(true);
    const second = await sync.runOnce();
    expect(second[0]).toMatchObject({ outcome: "in_sync", differences: 0, writes: [] });
    expect(gate.applied).toHaveLength(1);
    expect(await gauge(metrics, "keeper_compliance_gate_sync_pending_differences")).toEqual([0]);
    expect(await gauge(metrics, "keeper_compliance_gate_sync_last_success_timestamp_seconds")).toEqual([
      1_700_000_000,
    ]);
  });

  it("clears the record of an account the provider dropped", async () => {
    const { gate, kyc, sync } = setup({ [A]: record(), [B]: record() });
    await sync.runOnce();
    kyc.records.delete(B);
    const report = await sync.runOnce();
    expect(report[0]?.changes).toEqual([{ type: "clear_records", accounts: [B] }]);
    expect(gate.records.has(B)).toBe(false);
  });

  it("retries a retryable write failure with backoff and then succeeds", async () => {
    const { gate, metrics, sync } = setup({ [A]: record() });
    gate.failTimes(2);
    const report = await sync.runOnce();
    expect(report[0]?.outcome).toBe("synced");
    expect(gate.applied).toHaveLength(1);
    expect(await gauge(metrics, "keeper_compliance_gate_sync_failures_total")).toEqual([]);
  });

  it("gives up after maxAttempts, counting one failure and keeping the pending differences", async () => {
    const { gate, metrics, sync } = setup({ [A]: record() });
    gate.failTimes(5);
    const report = await sync.runOnce();
    expect(report[0]).toMatchObject({ outcome: "failed" });
    expect(report[0]?.error).toMatch(/failed while broadcasting/);
    expect(gate.applied).toHaveLength(0);
    expect(await gauge(metrics, "keeper_compliance_gate_sync_failures_total")).toEqual([1]);
    expect(await gauge(metrics, "keeper_compliance_gate_sync_pending_differences")).toEqual([3]);
  });

  it("never writes (or clears) while the provider cannot answer", async () => {
    const { gate, kyc, sync } = setup({ [A]: record() });
    await sync.runOnce();
    kyc.fail(true);
    const report = await sync.runOnce();
    expect(report[0]?.outcome).toBe("failed");
    expect(gate.applied).toHaveLength(1);
    expect(gate.records.has(A)).toBe(true);
  });

  it("a dry run plans without writing", async () => {
    const { gate, sync } = setup({ [A]: record() });
    const report = await sync.runOnce({ dryRun: true });
    expect(report[0]).toMatchObject({ outcome: "dry_run", differences: 3 });
    expect(gate.applied).toHaveLength(0);
  });
});

/** Test helpers of the compliance module (not used by production code). */
import { pino } from "pino";
import type { Address } from "viem";
import { createInProcessBus } from "../../bus/inprocess.ts";
import type { Bus } from "../../bus/port.ts";
import type { Envelope } from "../../bus/types.ts";
import { createMetrics } from "../../telemetry/metrics.ts";
import { createComplianceDecider } from "./decider.ts";
import { KycProviderUnavailableError } from "./errors.ts";
import { createGeoResolver, parseCidrTable } from "./geoResolver.ts";
import { createPauseTracker } from "./pauseState.ts";
import { createRecordQualifiedPartyVerifier } from "./qualifiedPartyVerifier.ts";
import { assetRulesFrom } from "./rules.ts";
import type { KycProvider, KycRecord } from "./types.ts";

export const NOW_MS = 1_750_000_000_000;
export const ALICE = "0x00000000000000000000000000000000000A11cE" as Address;
export const MALLORY = "0x000000000000000000000000000000000000BAd0" as Address;
export const OUTSIDER = "0x0000000000000000000000000000000000000123" as Address;

export const testRecord = (over: Partial<KycRecord> = {}): KycRecord => ({
  recordId: "kyc-alice",
  tier: 2,
  jurisdiction: "US",
  qualifiedParty: true,
  expiresAt: BigInt(NOW_MS / 1000 + 3600),
  ...over,
});

/** A provider over a map; `failing` makes every lookup throw a retryable provider error. */
export function mapProvider(records: Map<Address, KycRecord>) {
  const state = { failing: false };
  const provider: KycProvider = {
    name: "map",
    async getRecord(account) {
      if (state.failing)
        throw new KycProviderUnavailableError({ provider: "map", kind: "http_5xx", attempts: 3 });
      return records.get(account);
    },
  };
  return { provider, state };
}

/** A decider on an in-process bus with dusd rules, a CIDR table (10.0.0.0/8 → KP) and recorded messages. */
export async function deciderFixture(bus?: Bus) {
  const inProcess = createInProcessBus({ keeperId: "test" });
  const theBus = bus ?? inProcess;
  const messages: Envelope[] = [];
  await inProcess.subscribe({
    topics: ["complianceDecisions"],
    groupId: "audit",
    onMessage: (e) => {
      messages.push(e);
    },
  });
  const records = new Map<Address, KycRecord>([
    [ALICE, testRecord()],
    [MALLORY, testRecord({ recordId: "kyc-mallory", jurisdiction: "IR", qualifiedParty: false })],
  ]);
  const { provider, state } = mapProvider(records);
  const metrics = createMetrics();
  const pauses = createPauseTracker({
    targets: [{ assetId: "dusd", chainId: 31337, breaker: "0x00000000000000000000000000000000000000b1" }],
  });
  const rules = new Map([
    [
      "dusd",
      assetRulesFrom({
        id: "dusd",
        tokenDecimals: 6,
        blockedJurisdictions: ["IR", "KP"],
        minKycTier: { mint: 1, redeem: 2, transfer: 1 },
        qualifiedPartyThreshold: "1000000",
      }),
    ],
  ]);
  let n = 0;
  const decider = createComplianceDecider({
    rules,
    provider,
    qualifiedParty: createRecordQualifiedPartyVerifier(),
    geo: createGeoResolver({ cidrTable: parseCidrTable("10.0.0.0/8,KP\n192.0.2.0/24,US") }),
    pauses,
    bus: theBus,
    metrics,
    logger: pino({ level: "silent" }),
    now: () => NOW_MS,
    newId: () => `decision-${++n}`,
  });
  return { bus: inProcess, messages, records, providerState: state, metrics, pauses, rules, decider };
}

/** The value of a counter/gauge series with exactly these labels (0 when absent). */
export async function metricValue(
  metrics: ReturnType<typeof createMetrics>,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const values = (await metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
  const hit = values.find((v) =>
    Object.entries(labels).every(([k, val]) => (v.labels as Record<string, unknown>)[k] === val),
  );
  return hit?.value ?? 0;
}

/**
 * Takes one compliance decision end to end: KYC lookup (fail closed on error), qualified-party check,
 * geo resolution, the pure rules (decideCompliance), the audit message on the bus, metrics. The audit
 * message is published BEFORE the answer is returned: a decision that cannot be audited is not given
 * (ComplianceAuditUnavailableError → HTTP 503).
 */
import { randomUUID } from "node:crypto";
import { type Address, getAddress } from "viem";
import type { Bus } from "../../bus/port.ts";
import type { ComplianceDecisionMade } from "../../bus/types.ts";
import { KeeperError, RetryableError } from "../../internal/errors.ts";
import type { Logger } from "../../telemetry/logger.ts";
import type { KeeperMetrics } from "../../telemetry/metrics.ts";
import { decideCompliance } from "./decideCompliance.ts";
import type { ProviderFailureKind } from "./errors.ts";
import type { PauseTracker } from "./pauseState.ts";
import type {
  AssetRules,
  ComplianceOperation,
  ComplianceReasonCode,
  GeoResolver,
  KycProvider,
  KycRecord,
  QualifiedPartyVerifier,
  RecordLookup,
} from "./types.ts";

/** The audit message could not be published: the decision is withheld (fail closed). */
export class ComplianceAuditUnavailableError extends RetryableError {
  declare readonly code: "COMPLIANCE_AUDIT_UNAVAILABLE";
  constructor({ decisionId, cause }: { decisionId: string; cause?: unknown }) {
    super({
      shortMessage: `Compliance decision ${decisionId} could not be published to the audit trail.`,
      code: "COMPLIANCE_AUDIT_UNAVAILABLE",
      details: { decisionId },
      cause,
    });
  }
}

export type DecisionInput = {
  readonly account: Address;
  readonly assetId: string;
  readonly operation: ComplianceOperation;
  /** Token base units. */
  readonly amount: bigint;
  /** Used to resolve a country only; never stored, logged or published. */
  readonly ip?: string | undefined;
  readonly origin: ComplianceDecisionMade["origin"];
};

export type Decision = {
  readonly decisionId: string;
  readonly allowed: boolean;
  readonly reasons: readonly ComplianceReasonCode[];
  readonly assetId: string;
  readonly operation: ComplianceOperation;
  /** The audit message as published. */
  readonly audit: ComplianceDecisionMade;
};

export type ComplianceDecider = {
  decide(input: DecisionInput): Promise<Decision>;
  /** Accounts decided on so far (gate sync covers them when the provider cannot list accounts). */
  readonly seenAccounts: ReadonlySet<Address>;
};

/** Accounts remembered for gate sync (bounded: a flood of random addresses must not grow memory). */
const MAX_SEEN_ACCOUNTS = 100_000;

function failureKind(err: unknown): ProviderFailureKind {
  const kind = (err as { kind?: unknown }).kind;
  return typeof kind === "string" ? (kind as ProviderFailureKind) : "error";
}

export function createComplianceDecider({
  rules,
  provider,
  qualifiedParty,
  geo,
  pauses,
  bus,
  metrics,
  logger,
  now = () => Date.now(),
  newId = () => randomUUID(),
}: {
  rules: ReadonlyMap<string, AssetRules>;
  provider: KycProvider;
  qualifiedParty: QualifiedPartyVerifier;
  geo: GeoResolver;
  pauses: Pick<PauseTracker, "snapshot">;
  bus: Bus;
  metrics: KeeperMetrics;
  logger: Logger;
  /** Unix ms. */
  now?: () => number;
  newId?: () => string;
}): ComplianceDecider {
  const log = logger.child({ component: "compliance_decider" });
  const seen = new Set<Address>();

  async function lookup(account: Address): Promise<{ lookup: RecordLookup; record: KycRecord | undefined }> {
    let record: KycRecord | undefined;
    try {
      record = await provider.getRecord(account);
    } catch (err) {
      metrics.complianceProviderErrorsTotal.inc({ provider: provider.name, kind: failureKind(err) });
      log.warn({ err, provider: provider.name }, "kyc lookup failed; decision fails closed");
      return {
        lookup: { type: "unavailable", code: err instanceof KeeperError ? err.code : "ERROR" },
        record: undefined,
      };
    }
    if (!record) return { lookup: { type: "not_found" }, record: undefined };
    try {
      const qp = await qualifiedParty.isQualifiedParty({ account, record });
      const effective = qp === record.qualifiedParty ? record : { ...record, qualifiedParty: qp };
      return { lookup: { type: "found", record: effective }, record: effective };
    } catch (err) {
      metrics.complianceProviderErrorsTotal.inc({ provider: qualifiedParty.name, kind: failureKind(err) });
      log.warn(
        { err, provider: qualifiedParty.name },
        "qualified-party lookup failed; decision fails closed",
      );
      return {
        lookup: { type: "unavailable", code: err instanceof KeeperError ? err.code : "ERROR" },
        record,
      };
    }
  }

  return {
    seenAccounts: seen,
    async decide(input) {
      const started = performance.now();
      const account = getAddress(input.account);
      if (seen.size < MAX_SEEN_ACCOUNTS) seen.add(account);
      const assetRules = rules.get(input.assetId);
      const { lookup: found, record } = await lookup(account);
      const { ipCountry } = geo.resolve({ record, ip: input.ip });
      const paused = pauses.snapshot();
      const nowMs = now();
      const verdict = decideCompliance(
        { account, assetId: input.assetId, operation: input.operation, amount: input.amount, ipCountry },
        found,
        assetRules,
        paused,
        BigInt(Math.floor(nowMs / 1000)),
      );
      const decisionId = newId();
      const audit: ComplianceDecisionMade = {
        type: "compliance.decision",
        decisionId,
        assetId: input.assetId,
        account,
        operation: input.operation,
        amount: input.amount,
        allowed: verdict.allowed,
        reasons: verdict.reasons,
        ...(record
          ? {
              recordId: record.recordId,
              kycTier: record.tier,
              jurisdiction: record.jurisdiction,
              qualifiedParty: record.qualifiedParty,
            }
          : {}),
        ...(ipCountry === undefined ? {} : { ipCountry }),
        rulesHash: assetRules?.hash ?? "0000000000000000",
        pausedChainIds: [...(paused.get(input.assetId) ?? [])],
        origin: input.origin,
        decidedAt: new Date(nowMs).toISOString(),
      };
      try {
        await bus.publish([{ payload: audit }]);
      } catch (cause) {
        log.error(
          { err: cause, decision_id: decisionId, asset: input.assetId },
          "compliance decision not published; withheld",
        );
        throw new ComplianceAuditUnavailableError({ decisionId, cause });
      }
      const labels = { asset: input.assetId, operation: input.operation };
      metrics.complianceDecisionsTotal.inc({ ...labels, outcome: verdict.allowed ? "allowed" : "refused" });
      for (const reason of verdict.reasons) metrics.complianceRefusalReasonsTotal.inc({ ...labels, reason });
      metrics.complianceDecisionLatencySeconds.observe(
        { operation: input.operation },
        (performance.now() - started) / 1000,
      );
      log.info(
        {
          decision_id: decisionId,
          asset: input.assetId,
          operation: input.operation,
          allowed: verdict.allowed,
          reasons: verdict.reasons,
          origin: input.origin,
        },
        "compliance decision taken",
      );
      return {
        decisionId,
        allowed: verdict.allowed,
        reasons: verdict.reasons,
        assetId: input.assetId,
        operation: input.operation,
        audit,
      };
    },
  };
}

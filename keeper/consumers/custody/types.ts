/**
 * Values inside the custody service (keeper/consumers/custody): what a custodian reports, the public
 * attestation links and their verification outcomes, the custody health of an asset and the dual-source
 * reserve comparison. Amounts are bigint with their decimals; times are unix seconds (bigint).
 */

/** An inclusive time range, unix seconds. */
export type Period = { readonly start: bigint; readonly end: bigint };

/** The custodian's SOC report (AICPA System and Organization Controls). */
export type SocReport = {
  readonly type: "SOC1" | "SOC2";
  /** true: Type II (controls tested over the period); false/absent: Type I (a point in time). */
  readonly typeII?: boolean | undefined;
  readonly period: Period;
  /** When the report stops being acceptable (the bridge letter / next report is due), unix seconds. */
  readonly expiresAt: bigint;
};

/** A public attestation or audit document and the SHA-256 its publisher committed to. */
export type AttestationDocument = {
  /** http or https. */
  readonly url: string;
  readonly period: Period;
  readonly auditor: string;
  /** Lowercase hex SHA-256 (64 characters) of the document's bytes. */
  readonly sha256: string;
};

/** What an account holds, for humans and the /v1/custody endpoint (the balance is what is compared). */
export type HoldingKind = "cash" | "treasury_bills" | "repo" | "money_market_fund" | "other";

/** One custody account; its amount is in the report balance's decimals. */
export type CustodyAccount = {
  readonly id: string;
  readonly kind: HoldingKind;
  readonly amount: bigint;
};

/** An integer amount in units of 10^-decimals. */
export type ScaledAmount = { readonly amount: bigint; readonly decimals: number };

/** One custodian report of one asset, validated (see report.ts): never half-used. */
export type CustodyReport = {
  readonly assetId: string;
  /** The custodian's name. */
  readonly custodian: string;
  /** When the balance was taken, unix seconds. */
  readonly asOf: bigint;
  /** Reported reserve balance. */
  readonly balance: ScaledAmount;
  /** Optional breakdown; when present its amounts sum to balance.amount exactly. */
  readonly accounts?: readonly CustodyAccount[] | undefined;
  readonly soc: SocReport;
  readonly attestations: readonly AttestationDocument[];
};

/**
 * The custodian port. Adapters: http (httpProvider.ts, the documented JSON contract) and file
 * (fileProvider.ts, devnet). `getReport` resolves with a validated report or rejects with
 * CustodyProviderUnavailableError (retryable: network, timeout, 429, 5xx, unreadable file),
 * CustodyProviderRejectedError (the custodian refused: 4xx, unknown asset) or CustodyReportInvalidError
 * (malformed report, naming the field).
 */
export type CustodyProvider = {
  /** "http" or "file": the only thing logs and metric labels show about the provider. */
  readonly kind: "http" | "file";
  getReport(assetId: string, options?: { readonly signal?: AbortSignal }): Promise<CustodyReport>;
};

// ---------------------------------------------------------------------------------------------
// Attestations
// ---------------------------------------------------------------------------------------------

/** Outcome of one verification of one attestation link. */
export type AttestationOutcome = "verified" | "hash_mismatch" | "unreachable" | "too_large";

export const ATTESTATION_OUTCOMES: readonly AttestationOutcome[] = [
  "verified",
  "hash_mismatch",
  "unreachable",
  "too_large",
];

/** Where a link came from: the config (pinned by operators) or the custodian's latest report. */
export type AttestationSource = "config" | "report";

/** A registered link: one (asset, url, expected sha256). */
export type AttestationLink = AttestationDocument & {
  readonly assetId: string;
  readonly source: AttestationSource;
};

/** What one fetch of a document found. */
export type AttestationVerification = {
  readonly outcome: AttestationOutcome;
  /** SHA-256 of the bytes received (verified, hash_mismatch). */
  readonly actualSha256?: string | undefined;
  /** Bytes received (verified, hash_mismatch; too_large: how far it got or the announced length). */
  readonly bytes?: number | undefined;
  readonly httpStatus?: number | undefined;
  /** One sentence for humans (unreachable, too_large). */
  readonly detail?: string | undefined;
};

// ---------------------------------------------------------------------------------------------
// Health
// ---------------------------------------------------------------------------------------------

/** The last call to the provider succeeded (up) or failed after its retries (down). */
export type ProviderState = "up" | "down";
/** fresh: asOf within maxReportAgeSeconds; stale: older; invalid: the latest report was rejected; missing: none yet. */
export type ReportState = "fresh" | "stale" | "invalid" | "missing";
/** valid; expiring: within socWarnDays of expiresAt; expired; missing: no report yet. */
export type SocState = "valid" | "expiring" | "expired" | "missing";
/** healthy: everything fine; warning: SOC expiring; unhealthy: anything that makes custody unverifiable. */
export type CustodyStatus = "healthy" | "warning" | "unhealthy";

export type CustodyHealthView = {
  readonly status: CustodyStatus;
  readonly provider: ProviderState;
  readonly report: ReportState;
  readonly soc: SocState;
  /** now − asOf of the last valid report. */
  readonly reportAgeSeconds?: bigint | undefined;
  /** expiresAt − now of the last valid report's SOC report (negative once expired). */
  readonly socExpiresInSeconds?: bigint | undefined;
  /** One sentence per problem (empty when healthy). */
  readonly reasons: readonly string[];
};

// ---------------------------------------------------------------------------------------------
// Dual-source comparison
// ---------------------------------------------------------------------------------------------

/** One reserve figure with its decimals and as-of time (unix seconds). */
export type ReserveSide = { readonly amount: bigint; readonly decimals: number; readonly asOf: bigint };

/** Which way the custodian differs from the PoR answer. */
export type DisagreementDirection = "custodian_below" | "custodian_above" | "equal";

/** Why two figures were not compared. */
export type NotComparableReason = "as_of_skew" | "por_answer_not_positive";

/** Both figures in one unit, and how far apart they are. */
export type ComparedFigures = {
  /** Unit of the amounts: max(custodian decimals, feed decimals), so both scale up exactly. */
  readonly decimals: number;
  readonly custodianAmount: bigint;
  readonly porAmount: bigint;
  /** |custodian − por|, in `decimals`. */
  readonly difference: bigint;
  /** ceil(difference · 10000 / max(custodian, por)); 0 when both are 0. */
  readonly diffBps: bigint;
  readonly toleranceBps: bigint;
  readonly direction: DisagreementDirection;
  /** |custodian asOf − PoR updatedAt|. */
  readonly skewSeconds: bigint;
};

export type ReserveComparison =
  | ({ readonly type: "agree" } & ComparedFigures)
  | ({ readonly type: "disagree" } & ComparedFigures)
  | {
      readonly type: "not_comparable";
      readonly reason: NotComparableReason;
      readonly skewSeconds: bigint;
      readonly maxAsOfSkewSeconds: bigint;
    };

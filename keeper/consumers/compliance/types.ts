/**
 * Types of the compliance service: the ports (KycProvider, GeoResolver, QualifiedPartyVerifier,
 * OnRampProvider), the facts a decision is taken on, and its result. Amounts are token base units
 * (bigint), times are unix seconds (bigint) unless named …Ms.
 */
import type { Address } from "viem";
import type { ComplianceOperation, ComplianceReasonCode } from "../../bus/types.ts";

export type { ComplianceOperation, ComplianceReasonCode } from "../../bus/types.ts";

// ---------------------------------------------------------------------------------------------
// KYC records and the provider port
// ---------------------------------------------------------------------------------------------

/** What a KYC provider knows about one account. No personal data: `recordId` is opaque. */
export type KycRecord = {
  /** The provider's opaque id of the record (never a name or a document number). */
  readonly recordId: string;
  /** KYC tier, 0–255 (0 = none). */
  readonly tier: number;
  /** ISO 3166-1 alpha-2, upper case. */
  readonly jurisdiction: string;
  readonly qualifiedParty: boolean;
  /** Unix seconds; the record is invalid at and after this time (as ComplianceGate.check). */
  readonly expiresAt: bigint;
  /** Unix seconds of the last verification, when the provider reports it. */
  readonly verifiedAt?: bigint | undefined;
};

/** The port every KYC source implements (file registry, HTTP provider). */
export interface KycProvider {
  /** Short name (metrics label `provider`, logs). */
  readonly name: string;
  /**
   * The record of `account`, or undefined when the provider has none. Throws a RetryableError
   * (KycProviderUnavailableError) when the provider cannot answer now, a NonRetryableError when its
   * answer is unusable; the service then refuses with PROVIDER_UNAVAILABLE (never allows on error).
   */
  getRecord(account: Address): Promise<KycRecord | undefined>;
  /** Every account with a record, when the provider can enumerate them (the file registry can). */
  listAccounts?(): Promise<readonly Address[]>;
  /** Re-reads the source now (file registry); resolves with the number of records. */
  reload?(): Promise<number>;
  /** Called after the provider's records changed (file registry: after a reload). */
  onChange?(listener: () => void): () => void;
  close?(): Promise<void>;
}

/** A record lookup as the decision sees it. */
export type RecordLookup =
  | { readonly type: "found"; readonly record: KycRecord }
  | { readonly type: "not_found" }
  | { readonly type: "unavailable"; readonly code: string };

// ---------------------------------------------------------------------------------------------
// Geo and qualified-party ports
// ---------------------------------------------------------------------------------------------

/** Where a request comes from, as far as the rules care. */
export type GeoResolution = {
  /** The record's jurisdiction (absent without a record). */
  readonly jurisdiction: string | undefined;
  /** The country the request's ip resolved to; undefined without an ip or when the table has no match. */
  readonly ipCountry: string | undefined;
};

export interface GeoResolver {
  resolve(args: { readonly record: KycRecord | undefined; readonly ip?: string | undefined }): GeoResolution;
}

/** Whether an account is a qualified party (a real QP attestation service plugs in here). */
export interface QualifiedPartyVerifier {
  readonly name: string;
  /** Throws like KycProvider.getRecord when the source cannot answer (→ PROVIDER_UNAVAILABLE). */
  isQualifiedParty(args: { readonly account: Address; readonly record: KycRecord }): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------
// Rules and decisions
// ---------------------------------------------------------------------------------------------

/** The compliance rules of one asset, resolved from the config (amounts in base units). */
export type AssetRules = {
  readonly assetId: string;
  readonly tokenDecimals: number;
  /** Absent: every jurisdiction that is not blocked is allowed. Sorted, upper case. */
  readonly allowedJurisdictions: readonly string[] | undefined;
  /** Sorted, upper case. */
  readonly blockedJurisdictions: readonly string[];
  readonly minKycTier: Readonly<Record<ComplianceOperation, number>>;
  /** Base units at or above which a qualified party is required; undefined = never. */
  readonly qualifiedPartyThreshold: bigint | undefined;
  /** Off-chain only: refuse records verified longer ago than this (seconds). */
  readonly maxRecordAgeSeconds: bigint | undefined;
  /** 16 hex digits over everything above (published with every decision). */
  readonly hash: string;
};

/** One request to decide. */
export type ComplianceRequest = {
  readonly account: Address;
  readonly assetId: string;
  readonly operation: ComplianceOperation;
  /** Token base units. */
  readonly amount: bigint;
  /** Country of the request's ip (GeoResolver), if any. */
  readonly ipCountry?: string | undefined;
};

/** Paused chains per asset id, as the service sees them (an asset absent or empty = not paused). */
export type PausedAssets = ReadonlyMap<string, readonly number[]>;

/** The outcome of decideCompliance. */
export type ComplianceVerdict = {
  readonly allowed: boolean;
  /** Every reason that applies, in the stable order of COMPLIANCE_REASON_CODES; empty iff allowed. */
  readonly reasons: readonly ComplianceReasonCode[];
};

// ---------------------------------------------------------------------------------------------
// On-ramp
// ---------------------------------------------------------------------------------------------

/** A price for turning fiat into tokens, valid until `expiresAt`. */
export type OnRampQuote = {
  readonly quoteId: string;
  readonly assetId: string;
  readonly recipient: Address;
  readonly fiatCurrency: string;
  /** Fiat minor units (cents). */
  readonly fiatAmountMinor: bigint;
  /** Fee in fiat minor units. */
  readonly feeMinor: bigint;
  /** Tokens the recipient receives, base units. */
  readonly tokenAmount: bigint;
  /** Unix seconds. */
  readonly expiresAt: bigint;
};

type OrderBase = {
  readonly orderId: string;
  readonly idempotencyKey: string;
  readonly quote: OnRampQuote;
  /** Unix ms. */
  readonly createdAtMs: number;
};

/** Why an order failed. */
export type OrderFailure =
  | {
      readonly type: "refused";
      readonly decisionId: string;
      readonly reasons: readonly ComplianceReasonCode[];
    }
  | { readonly type: "mint_reverted"; readonly error: string; readonly txHash?: string | undefined };

/** An on-ramp order: created → (settle) → minting → minted | failed. */
export type OnRampOrder =
  | (OrderBase & { readonly status: "awaiting_payment" })
  | (OrderBase & {
      readonly status: "minting";
      readonly decisionId: string;
      readonly txHash?: string | undefined;
    })
  | (OrderBase & {
      readonly status: "minted";
      readonly decisionId: string;
      readonly txHash: string;
      readonly blockNumber: bigint;
      readonly chainId: number;
    })
  | (OrderBase & { readonly status: "failed"; readonly failure: OrderFailure });

/** The on-ramp port: quote → order (idempotency key) → settlement. */
export interface OnRampProvider {
  quote(args: {
    readonly assetId: string;
    readonly recipient: Address;
    /** Fiat amount as a decimal string with at most 2 decimals, e.g. "100.00". */
    readonly fiatAmount: string;
  }): Promise<OnRampQuote>;
  /** Same key and quote → the same order; same key, other quote → OnRampConflictError. */
  order(args: { readonly quoteId: string; readonly idempotencyKey: string }): Promise<OnRampOrder>;
  /**
   * The fiat payment arrived (devnet: on demand): decide Mint for the recipient and amount, then mint
   * through Secure Mint. Idempotent: settling a minting/minted/failed order returns it as it is (a
   * second call while the first is running waits for the same result). Mints at most once.
   */
  settle(orderId: string): Promise<OnRampOrder>;
  get(orderId: string): OnRampOrder | undefined;
}

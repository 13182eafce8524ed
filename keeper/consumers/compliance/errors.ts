import { type ErrorDetailValue, NonRetryableError, RetryableError } from "../../internal/errors.ts";

/**
 * Errors of the compliance service (keeper/consumers/compliance). Messages never carry personal data
 * (names, IPs), tokens or keys: accounts are named by address, providers by name.
 *
 * ```
 * RetryableError    KycProviderUnavailableError     KYC_PROVIDER_UNAVAILABLE     timeout, network, 429, 5xx
 * NonRetryableError KycProviderRejectedError        KYC_PROVIDER_REJECTED        other 4xx (auth, bad request)
 * NonRetryableError KycProviderInvalidResponseError KYC_PROVIDER_INVALID_RESPONSE a body or file that fails its schema
 * NonRetryableError ComplianceSetupError            COMPLIANCE_SETUP_INVALID     config cross-references, chain mismatch
 * NonRetryableError ComplianceInputError            COMPLIANCE_INPUT_INVALID     an API request field (HTTP 400)
 * NonRetryableError OnRampNotFoundError             ONRAMP_NOT_FOUND             unknown quote or order (HTTP 404)
 * NonRetryableError OnRampConflictError             ONRAMP_CONFLICT              expired quote, reused key (HTTP 409)
 * RetryableError    GateSyncError                   GATE_SYNC_FAILED             a sync pass could not finish
 * ```
 */

/** Why a provider lookup failed (metric label `kind`). */
export type ProviderFailureKind =
  | "timeout"
  | "network"
  | "http_5xx"
  | "http_4xx"
  | "invalid_response"
  | "error";

/** The KYC (or QP) provider could not answer now: the decision fails closed (PROVIDER_UNAVAILABLE). */
export class KycProviderUnavailableError extends RetryableError {
  declare readonly code: "KYC_PROVIDER_UNAVAILABLE";
  readonly kind: ProviderFailureKind;
  constructor({
    provider,
    kind,
    status,
    attempts,
    cause,
  }: {
    provider: string;
    kind: ProviderFailureKind;
    status?: number;
    attempts: number;
    cause?: unknown;
  }) {
    const what = status === undefined ? kind : `HTTP ${status}`;
    super({
      shortMessage: `KYC provider ${provider} is unavailable (${what} after ${attempts} attempts).`,
      code: "KYC_PROVIDER_UNAVAILABLE",
      details: { provider, kind, status, attempts },
      cause,
    });
    this.kind = kind;
  }
}

/** The provider refused the lookup (401, 403, 400, …): retrying cannot help. */
export class KycProviderRejectedError extends NonRetryableError {
  declare readonly code: "KYC_PROVIDER_REJECTED";
  readonly kind: ProviderFailureKind = "http_4xx";
  constructor({ provider, status }: { provider: string; status: number }) {
    super({
      shortMessage: `KYC provider ${provider} rejected the lookup with HTTP ${status}.`,
      code: "KYC_PROVIDER_REJECTED",
      details: { provider, status },
    });
  }
}

/** A provider answer (HTTP body or registry file) that does not match the documented contract. */
export class KycProviderInvalidResponseError extends NonRetryableError {
  declare readonly code: "KYC_PROVIDER_INVALID_RESPONSE";
  readonly kind: ProviderFailureKind = "invalid_response";
  constructor({ provider, field, reason }: { provider: string; field: string; reason: string }) {
    super({
      shortMessage: `KYC provider ${provider} answered with an invalid ${field}: ${reason}.`,
      code: "KYC_PROVIDER_INVALID_RESPONSE",
      details: { provider, field, reason },
    });
  }
}

/** The compliance section does not fit the rest of the config or the chain; lists every problem. */
export class ComplianceSetupError extends NonRetryableError {
  declare readonly code: "COMPLIANCE_SETUP_INVALID";
  readonly problems: readonly string[];
  constructor({ problems }: { problems: readonly string[] }) {
    super({
      shortMessage: `Compliance setup is invalid: ${problems.length} problem${problems.length === 1 ? "" : "s"}.`,
      code: "COMPLIANCE_SETUP_INVALID",
      details: Object.fromEntries(problems.map((p, i) => [`problem${i + 1}`, p])),
    });
    this.problems = problems;
  }
}

/** A field of an API request that is missing, unknown or out of range (HTTP 400 naming the field). */
export class ComplianceInputError extends NonRetryableError {
  declare readonly code: "COMPLIANCE_INPUT_INVALID";
  readonly field: string;
  readonly reason: string;
  constructor({ field, reason, value }: { field: string; reason: string; value?: ErrorDetailValue }) {
    super({
      shortMessage: `Field ${field} is invalid: ${reason}.`,
      code: "COMPLIANCE_INPUT_INVALID",
      details: { field, value },
    });
    this.field = field;
    this.reason = reason;
  }
}

/** An on-ramp quote or order that does not exist (HTTP 404). */
export class OnRampNotFoundError extends NonRetryableError {
  declare readonly code: "ONRAMP_NOT_FOUND";
  constructor({ what, id }: { what: "quote" | "order"; id: string }) {
    super({
      shortMessage: `On-ramp ${what} ${id} does not exist.`,
      code: "ONRAMP_NOT_FOUND",
      details: { what, id },
    });
  }
}

/** An on-ramp request that contradicts the state (expired quote, idempotency key reused; HTTP 409). */
export class OnRampConflictError extends NonRetryableError {
  declare readonly code: "ONRAMP_CONFLICT";
  readonly reason: string;
  constructor({ reason, id }: { reason: string; id: string }) {
    super({
      shortMessage: `On-ramp request for ${id} conflicts: ${reason}.`,
      code: "ONRAMP_CONFLICT",
      details: { id, reason },
    });
    this.reason = reason;
  }
}

/** A gate sync pass on one chain could not finish (reads or writes failed); retried with backoff. */
export class GateSyncError extends RetryableError {
  declare readonly code: "GATE_SYNC_FAILED";
  constructor({
    assetId,
    chainId,
    gate,
    step,
    cause,
  }: {
    assetId: string;
    chainId: number;
    gate: string;
    step: string;
    cause?: unknown;
  }) {
    super({
      shortMessage: `Gate sync of ${assetId} on chain ${chainId} failed while ${step}.`,
      code: "GATE_SYNC_FAILED",
      details: { assetId, chainId, gate, step },
      cause,
    });
  }
}

import { NonRetryableError, RetryableError } from "../../internal/errors.ts";

/**
 * CCTP transfer errors (keeper/cctp/transfer, keeper/consumers/cctp). Messages name the field, route,
 * chain or transaction; never a key, and never the attestation API's URL path beyond its origin.
 *
 * ```
 * RetryableError    AttestationApiUnavailableError ATTESTATION_API_UNAVAILABLE network, timeout, 429, 5xx, other non-2xx
 * RetryableError    AttestationTimeoutError        ATTESTATION_TIMEOUT         not complete by the deadline (resume later)
 * RetryableError    CctpTokenPausedError           CCTP_TOKEN_PAUSED           burn/receive reverted TokenPaused (breaker paused)
 * RetryableError    CctpReceiptTimeoutError        CCTP_RECEIPT_TIMEOUT        a transaction's receipt did not arrive in time
 * NonRetryableError AttestationResponseInvalidError ATTESTATION_RESPONSE_INVALID a response that is not Iris's shape (names the field)
 * NonRetryableError AttestationMismatchError       ATTESTATION_MISMATCH        the attested message differs from the burn (names the field)
 * NonRetryableError AttestationInvalidError        ATTESTATION_INVALID         the signatures do not verify against the configured attesters
 * NonRetryableError CctpRouteUnsupportedError      CCTP_ROUTE_UNSUPPORTED      no CCTP version both chains support, or an asset/hook the route lacks
 * NonRetryableError TransferRequestInvalidError    CCTP_REQUEST_INVALID        a request field out of its domain (names the field)
 * NonRetryableError CctpFeeAboveCapError           CCTP_FEE_ABOVE_CAP          the fast fee exceeds the caller's or the config's cap
 * NonRetryableError CctpTxRevertedError            CCTP_TX_REVERTED            approve/burn/receive reverted (names the step and the revert)
 * NonRetryableError CctpBurnNotFoundError          CCTP_BURN_NOT_FOUND         resume: the transaction holds no burn of a configured transmitter
 * ```
 */

/** The attestation API could not answer now: retry with backoff. */
export class AttestationApiUnavailableError extends RetryableError {
  declare readonly code: "ATTESTATION_API_UNAVAILABLE";
  readonly status: number | undefined;
  constructor({
    endpoint,
    status,
    reason,
  }: {
    /** The endpoint's path pattern, e.g. "/v2/messages/{sourceDomain}". */
    endpoint: string;
    status?: number;
    /** "timeout", "network" or "http" (with status). */
    reason: "timeout" | "network" | "http";
  }) {
    const what = status === undefined ? reason : `HTTP ${status}`;
    super({
      shortMessage: `Attestation API ${endpoint} is unavailable (${what}).`,
      code: "ATTESTATION_API_UNAVAILABLE",
      details: { endpoint, status, reason },
    });
    this.status = status;
  }
}

/** A response that is not the shape Iris documents; `field` names the first offending field. */
export class AttestationResponseInvalidError extends NonRetryableError {
  declare readonly code: "ATTESTATION_RESPONSE_INVALID";
  readonly field: string;
  constructor({ endpoint, field, reason }: { endpoint: string; field: string; reason: string }) {
    super({
      shortMessage: `Attestation API ${endpoint} returned an invalid ${field}: ${reason}.`,
      code: "ATTESTATION_RESPONSE_INVALID",
      details: { endpoint, field, reason },
    });
    this.field = field;
  }
}

/** No complete attestation before the deadline; the transfer can be resumed from its burn later. */
export class AttestationTimeoutError extends RetryableError {
  declare readonly code: "ATTESTATION_TIMEOUT";
  constructor({
    burnTxHash,
    timeoutMs,
    polls,
    lastStatus,
  }: {
    burnTxHash: string;
    timeoutMs: number;
    polls: number;
    lastStatus: string;
  }) {
    super({
      shortMessage: `Attestation of burn ${burnTxHash} was not complete after ${timeoutMs} ms (last status ${lastStatus}).`,
      code: "ATTESTATION_TIMEOUT",
      details: { burnTxHash, timeoutMs, polls, lastStatus },
    });
  }
}

/** The attested message does not match the burn: a field that must be stable differs. */
export class AttestationMismatchError extends NonRetryableError {
  declare readonly code: "ATTESTATION_MISMATCH";
  readonly field: string;
  constructor({
    burnTxHash,
    field,
    expected,
    actual,
  }: {
    burnTxHash: string;
    field: string;
    expected: string;
    actual: string;
  }) {
    super({
      shortMessage: `Attested message for burn ${burnTxHash} differs from the burn in ${field}: expected ${expected}, got ${actual}.`,
      code: "ATTESTATION_MISMATCH",
      details: { burnTxHash, field, expected, actual },
    });
    this.field = field;
  }
}

/** The attestation's signatures do not verify against the configured attesters. */
export class AttestationInvalidError extends NonRetryableError {
  declare readonly code: "ATTESTATION_INVALID";
  readonly reason: string;
  constructor({ burnTxHash, reason, detail }: { burnTxHash: string; reason: string; detail: string }) {
    super({
      shortMessage: `Attestation for burn ${burnTxHash} does not verify (${reason}): ${detail.replace(/\.$/, "")}.`,
      code: "ATTESTATION_INVALID",
      details: { burnTxHash, reason },
    });
    this.reason = reason;
  }
}

/** The route (or the asset / hook on it) is not supported by the configuration. */
export class CctpRouteUnsupportedError extends NonRetryableError {
  declare readonly code: "CCTP_ROUTE_UNSUPPORTED";
  constructor({ route, reason }: { route: string; reason: string }) {
    super({
      shortMessage: `CCTP route ${route} is not supported: ${reason}.`,
      code: "CCTP_ROUTE_UNSUPPORTED",
      details: { route, reason },
    });
  }
}

/** A transfer request field outside its domain. */
export class TransferRequestInvalidError extends NonRetryableError {
  declare readonly code: "CCTP_REQUEST_INVALID";
  readonly field: string;
  constructor({ field, reason, value }: { field: string; reason: string; value?: string | bigint | number }) {
    super({
      shortMessage: `Transfer request field ${field} is invalid: ${reason}.`,
      code: "CCTP_REQUEST_INVALID",
      details: { field, value },
    });
    this.field = field;
  }
}

/** The fast-transfer fee is above what the caller (or the config) accepts. */
export class CctpFeeAboveCapError extends NonRetryableError {
  declare readonly code: "CCTP_FEE_ABOVE_CAP";
  constructor({
    route,
    fee,
    cap,
    capSource,
  }: { route: string; fee: string; cap: string; capSource: string }) {
    super({
      shortMessage: `Fast-transfer fee ${fee} on route ${route} is above the ${capSource} ${cap}.`,
      code: "CCTP_FEE_ABOVE_CAP",
      details: { route, fee, cap, capSource },
    });
  }
}

/** An approve, burn or receive transaction reverted (in simulation or on chain). */
export class CctpTxRevertedError extends NonRetryableError {
  declare readonly code: "CCTP_TX_REVERTED";
  readonly revert: string;
  constructor({
    step,
    chainId,
    revert,
    txHash,
    cause,
  }: {
    step: string;
    chainId: number;
    revert: string;
    txHash?: string;
    cause?: unknown;
  }) {
    super({
      shortMessage: `CCTP ${step} on chain ${chainId} reverted with ${revert}.`,
      code: "CCTP_TX_REVERTED",
      details: { step, chainId, revert, txHash },
      cause,
    });
    this.revert = revert;
  }
}

/** A burn or receive reverted TokenPaused: the asset's breaker is paused on that chain. */
export class CctpTokenPausedError extends RetryableError {
  declare readonly code: "CCTP_TOKEN_PAUSED";
  readonly chainId: number;
  readonly step: string;
  constructor({ step, chainId, token }: { step: string; chainId: number; token: string }) {
    super({
      shortMessage: `CCTP ${step} on chain ${chainId} refused: token ${token} is paused by its breaker.`,
      code: "CCTP_TOKEN_PAUSED",
      details: { step, chainId, token },
    });
    this.chainId = chainId;
    this.step = step;
  }
}

/** A transaction's receipt did not arrive in time (it may still be mined: resume from the burn). */
export class CctpReceiptTimeoutError extends RetryableError {
  declare readonly code: "CCTP_RECEIPT_TIMEOUT";
  constructor({
    step,
    chainId,
    txHash,
    timeoutMs,
  }: { step: string; chainId: number; txHash: string; timeoutMs: number }) {
    super({
      shortMessage: `CCTP ${step} transaction ${txHash} on chain ${chainId} had no receipt after ${timeoutMs} ms.`,
      code: "CCTP_RECEIPT_TIMEOUT",
      details: { step, chainId, txHash, timeoutMs },
    });
  }
}

/** resume: the transaction is not a CCTP burn of a configured transmitter (or not mined). */
export class CctpBurnNotFoundError extends NonRetryableError {
  declare readonly code: "CCTP_BURN_NOT_FOUND";
  constructor({ chainId, txHash, reason }: { chainId: number; txHash: string; reason: string }) {
    super({
      shortMessage: `Transaction ${txHash} on chain ${chainId} is not a CCTP burn: ${reason}.`,
      code: "CCTP_BURN_NOT_FOUND",
      details: { chainId, txHash, reason },
    });
  }
}

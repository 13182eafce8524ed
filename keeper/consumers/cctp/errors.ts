import { NonRetryableError, RetryableError } from "../../internal/errors.ts";

/**
 * CCTP transfer service errors (keeper/consumers/cctp). Transfer errors themselves live in
 * keeper/cctp/transfer/errors.ts.
 *
 * ```
 * RetryableError    CctpServiceStoppedError   CCTP_SERVICE_STOPPED    the service stopped before the transfer ended
 * NonRetryableError CctpRequestConflictError  CCTP_REQUEST_CONFLICT   a requestId reused with a different request
 * ```
 */

/** The service stopped while the transfer waited or polled: resume it from its burn later. */
export class CctpServiceStoppedError extends RetryableError {
  declare readonly code: "CCTP_SERVICE_STOPPED";
  constructor({ transferId }: { transferId: string }) {
    super({
      shortMessage: `CCTP transfer ${transferId} stopped with the service before it ended.`,
      code: "CCTP_SERVICE_STOPPED",
      details: { transferId },
    });
  }
}

/** A requestId already names a transfer with a different request (HTTP 409). */
export class CctpRequestConflictError extends NonRetryableError {
  declare readonly code: "CCTP_REQUEST_CONFLICT";
  constructor({ requestId }: { requestId: string }) {
    super({
      shortMessage: `Field requestId ${requestId} already names a transfer with a different request.`,
      code: "CCTP_REQUEST_CONFLICT",
      details: { requestId },
    });
  }
}

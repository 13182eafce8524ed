import { RetryableError } from "../../internal/errors.ts";

/**
 * CCTP transfer service errors (keeper/consumers/cctp). Transfer errors themselves live in
 * keeper/cctp/transfer/errors.ts.
 *
 * ```
 * RetryableError CctpServiceStoppedError CCTP_SERVICE_STOPPED  the service stopped before the transfer ended
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

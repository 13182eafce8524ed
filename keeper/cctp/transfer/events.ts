/**
 * Shared pieces of the `cctp.transfer` events and metrics of the transfer client: the common event
 * fields, the metrics' route label, and the one-sentence reason of an error.
 */
import { KeeperError } from "../../internal/errors.ts";
import type { TransferInfo } from "./types.ts";

/** Route label of metrics: `<source chain id>-<destination chain id>`. */
export function routeLabel(info: TransferInfo): string {
  return `${info.route.source.chainId}-${info.route.destination.chainId}`;
}

/** The common event fields of a transfer (every step's event, and the service's held/resumed events). */
export function transferEventCommon(info: TransferInfo) {
  return {
    type: "cctp.transfer" as const,
    transferId: info.transferId,
    assetId: info.assetId,
    version: info.route.version,
    speed: info.speed,
    sourceChainId: info.route.source.chainId,
    destinationChainId: info.route.destination.chainId,
    sourceDomain: info.route.source.domain,
    destinationDomain: info.route.destination.domain,
    amount: info.amount,
  };
}

/** One-sentence reason of any error (shortMessage of KeeperErrors). */
export function reasonOf(error: unknown): string {
  if (error instanceof KeeperError) return error.shortMessage;
  if (error instanceof Error)
    return (
      (error as Error & { shortMessage?: string }).shortMessage ?? error.message.split("\n")[0] ?? "error"
    );
  return String(error);
}

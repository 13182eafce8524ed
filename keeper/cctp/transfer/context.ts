/**
 * What every step of the transfer client shares, built once by createTransferClient
 * (keeper/cctp/transfer/transferClient.ts) and passed to plan, burn, awaitAttestation, receive, findBurn.
 */
import type { Address } from "viem";
import type { CctpTransferEvent } from "../../bus/types.ts";
import type { Logger } from "../../telemetry/logger.ts";
import type { IrisClient } from "./irisClient.ts";
import type { PollClock } from "./poll.ts";
import type { Send } from "./send.ts";
import type { CctpSetup, ResolvedCctpChain } from "./setup.ts";
import type { CctpChainClients, CreateTransferClientArgs } from "./types.ts";

export type TransferContext = {
  readonly setup: CctpSetup;
  readonly clients: (chain: ResolvedCctpChain) => CctpChainClients;
  readonly iris: IrisClient;
  /** The client's logger (component cctp_transfer). */
  readonly logger: Logger;
  readonly metrics: CreateTransferClientArgs["metrics"];
  /** The sending account. */
  readonly sender: Address;
  /** Sends a transaction as the account (one at a time per chain). */
  readonly send: Send;
  /** Reports a lifecycle event (awaits onEvent). */
  readonly emit: (event: CctpTransferEvent) => Promise<void>;
  readonly onPoll: CreateTransferClientArgs["onPoll"];
  readonly pollClock: PollClock | undefined;
};

/**
 * Types of the CCTP transfer client (keeper/cctp/transfer/transferClient.ts): the request, a transfer at
 * each step (planned → burned → attested → received | already_received), the client's arguments and
 * its interface.
 */
import type { Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from "viem";
import type { CctpTransferEvent, CctpTransferStage } from "../../bus/types.ts";
import type { Logger } from "../../telemetry/logger.ts";
import type { KeeperMetrics } from "../../telemetry/metrics.ts";
import type { TransferHook } from "./hooks.ts";
import type { IrisClient } from "./irisClient.ts";
import type { PollClock } from "./poll.ts";
import type { CctpRoute, CctpSetup, CctpTokenRef, CctpVersion, ResolvedCctpChain } from "./setup.ts";

export type TransferSpeed = "fast" | "standard";

/** What to transfer. Amounts are token base units. */
export type TransferRequest = {
  /** Idempotency / correlation id (event ids derive from it). Default: a random UUID. */
  readonly requestId?: string | undefined;
  readonly token: CctpTokenRef;
  /** cctp.chains[].chain of the source and destination. */
  readonly from: string;
  readonly to: string;
  readonly amount: bigint;
  readonly speed: TransferSpeed;
  /** Largest fee the caller accepts for a fast transfer (base units); above it the transfer is refused. */
  readonly maxFee?: bigint | undefined;
  /** Who receives on the destination (default: the sender). Ignored with a hook (the executor receives). */
  readonly recipient?: Address | undefined;
  readonly hook?: TransferHook | undefined;
  /**
   * Only this address may receive on the destination (V1: depositForBurnWithCaller; V2: the burn's
   * destinationCaller). Default: anyone. This client receives only when it is the sender (or a hook's
   * executor). Not with a hook (the hook executor is the caller).
   */
  readonly destinationCaller?: Address | undefined;
  /** Force a CCTP version (default: V2 when both ends support it, else V1). */
  readonly version?: CctpVersion | undefined;
};

/** The fields every step (and event) shares. */
export type TransferInfo = {
  readonly transferId: string;
  readonly assetId: string;
  readonly token: CctpTokenRef;
  readonly route: CctpRoute;
  readonly speed: TransferSpeed;
  readonly amount: bigint;
};

export type PlannedTransfer = TransferInfo & {
  readonly type: "planned";
  readonly burnToken: Address;
  readonly destinationToken: Address;
  readonly mintRecipient: Hex;
  readonly destinationCaller: Hex;
  readonly hookData: Hex | undefined;
  readonly callerMaxFee: bigint | undefined;
};

export type BurnedTransfer = TransferInfo & {
  readonly type: "burned";
  readonly burnTxHash: Hex;
  readonly blockNumber: bigint;
  readonly logIndex: number;
  /** Position of this burn among the transaction's MessageSent logs (API order). */
  readonly position: number;
  readonly sourceMessage: Hex;
  readonly maxFee: bigint;
  readonly hook: boolean;
};

export type AttestedTransfer = Omit<BurnedTransfer, "type"> & {
  readonly type: "attested";
  readonly message: Hex;
  readonly attestation: Hex;
  /** V2: the bytes32 nonce; V1: the uint64 nonce in decimal. */
  readonly nonce: string;
  /** The destination's usedNonces key (V2: the nonce; V1: keccak256(sourceDomain, nonce)). */
  readonly nonceKey: Hex;
  readonly feeExecuted: bigint;
  readonly finalityThresholdExecuted: number;
  readonly polls: number;
  readonly waitMs: number;
};

export type TransferResult =
  | (Omit<AttestedTransfer, "type"> & {
      readonly type: "received";
      readonly receiveTxHash: Hex;
      readonly receiveBlockNumber: bigint;
      readonly received: bigint;
      readonly fee: bigint;
      readonly via: "transmitter" | "hook_executor";
    })
  | (Omit<AttestedTransfer, "type"> & { readonly type: "already_received" });

/** A transfer at any step (what `fail` reports). */
export type AnyTransfer = PlannedTransfer | BurnedTransfer | AttestedTransfer | TransferResult;

/** The viem clients of one chain: reads, and writes as the transfer account. */
export type CctpChainClients = {
  readonly public: PublicClient;
  readonly wallet: WalletClient<Transport, Chain, Account>;
};

export type CreateTransferClientArgs = {
  readonly setup: CctpSetup;
  /** Clients of a CCTP chain (keeper/cctp/transfer/clients.ts createCctpChainClients). */
  readonly clients: (chain: ResolvedCctpChain) => CctpChainClients;
  readonly iris: IrisClient;
  readonly logger: Logger;
  readonly metrics?: Pick<KeeperMetrics, "cctpTransfersTotal" | "cctpAttestationWaitSeconds"> | undefined;
  /** Every lifecycle event (burned, attested, received, already_received, failed). Awaited. */
  readonly onEvent?: ((event: CctpTransferEvent) => void | Promise<void>) | undefined;
  /** Each attestation poll (for progress output). */
  readonly onPoll?: ((info: { transferId: string; polls: number; status: string }) => void) | undefined;
  readonly pollClock?: PollClock | undefined;
};

export interface TransferClient {
  readonly setup: CctpSetup;
  /** The sending account. */
  readonly sender: Address;
  plan(request: TransferRequest): PlannedTransfer;
  burn(planned: PlannedTransfer, opts?: { signal?: AbortSignal }): Promise<BurnedTransfer>;
  awaitAttestation(burned: BurnedTransfer, opts?: { signal?: AbortSignal }): Promise<AttestedTransfer>;
  /** Whether the destination already used the transfer's nonce. */
  isReceived(attested: AttestedTransfer): Promise<boolean>;
  receive(attested: AttestedTransfer): Promise<TransferResult>;
  /** Reads the burn back from its transaction (resume). */
  findBurn(args: { chain: string; burnTxHash: Hex; transferId?: string }): Promise<BurnedTransfer>;
  run(request: TransferRequest, opts?: { signal?: AbortSignal }): Promise<TransferResult>;
  resume(args: {
    chain: string;
    burnTxHash: Hex;
    transferId?: string;
    signal?: AbortSignal;
  }): Promise<TransferResult>;
  /** Reports `failed` for a transfer at `stage` (event, metric, log) and returns the error. */
  fail(transfer: AnyTransfer, stage: CctpTransferStage, error: unknown): Promise<unknown>;
}

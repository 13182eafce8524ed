/**
 * The CCTP transfer client: burn on the source chain, wait for the attestation, receive on the
 * destination — for V2 (standard, fast, with hooks) and V1 — as separate steps, so a caller (the
 * pause-aware service in keeper/consumers/cctp) can hold a transfer between them.
 *
 *   plan(request)            route (V2 when both ends support it, else V1), tokens, recipient, hook   (sync)
 *   burn(planned)            fast fee from the fees endpoint → maxFee; approve (exact) → deposit → MessageSent
 *   awaitAttestation(burned) poll the attestation API (404/pending are normal; errors back off; deadline),
 *                            check the message against the burn (stable fields, codec) and verify the
 *                            signatures against the configured attesters
 *   receive(attested)        usedNonces != 0 → already_received; else receiveMessage (or relay on the hook
 *                            executor when the burn names it) → MintAndWithdraw → received, fee
 *   run(request)             all of the above;  resume({ chain, burnTxHash })  from a burn on chain
 *
 * Every step reports a `cctp.transfer` event (burned, attested, received, already_received) through
 * `onEvent`; `fail(transfer, stage, error)` reports `failed`. Transactions of one chain are sent one at a
 * time (one account, one nonce sequence). Keys never leave the account object.
 *
 * This file is the composition root: it builds the context every step shares (context.ts) and wires the
 * steps (plan.ts, burn.ts, attest.ts, receive.ts, findBurn.ts) into the client. The types live in
 * types.ts; every name this module exported before the split is re-exported here.
 */
import { getAddress } from "viem";
import type { CctpTransferEvent, CctpTransferStage } from "../../bus/types.ts";
import { InvalidArgumentError, KeeperError } from "../../internal/errors.ts";
import { awaitAttestation } from "./attest.ts";
import { burn } from "./burn.ts";
import type { TransferContext } from "./context.ts";
import { reasonOf, routeLabel, transferEventCommon } from "./events.ts";
import { findBurn } from "./findBurn.ts";
import { plan } from "./plan.ts";
import { isReceived, receive } from "./receive.ts";
import { createSend } from "./send.ts";
import type {
  AnyTransfer,
  AttestedTransfer,
  BurnedTransfer,
  CreateTransferClientArgs,
  TransferClient,
  TransferResult,
} from "./types.ts";

export { firstStableDifference } from "./attest.ts";
export { reasonOf, transferEventCommon } from "./events.ts";
export { v1NonceKey } from "./receive.ts";
export type {
  AnyTransfer,
  AttestedTransfer,
  BurnedTransfer,
  CctpChainClients,
  CreateTransferClientArgs,
  PlannedTransfer,
  TransferClient,
  TransferInfo,
  TransferRequest,
  TransferResult,
  TransferSpeed,
} from "./types.ts";

/** Creates the transfer client. */
export function createTransferClient(args: CreateTransferClientArgs): TransferClient {
  const { setup, iris, metrics, onEvent } = args;
  const logger = args.logger.child({ component: "cctp_transfer" });
  const send = createSend({ setup, clients: args.clients, logger });
  const firstChain = setup.chains[0];
  if (firstChain === undefined)
    throw new InvalidArgumentError({ name: "setup.chains", reason: "must not be empty" });
  const sender = getAddress(args.clients(firstChain).wallet.account.address);

  async function emit(event: CctpTransferEvent): Promise<void> {
    await onEvent?.(event);
  }

  const ctx: TransferContext = {
    setup,
    clients: args.clients,
    iris,
    logger,
    metrics,
    sender,
    send,
    emit,
    onPoll: args.onPoll,
    pollClock: args.pollClock,
  };

  async function fail(transfer: AnyTransfer, stage: CctpTransferStage, error: unknown): Promise<unknown> {
    const burnTxHash = "burnTxHash" in transfer ? transfer.burnTxHash : undefined;
    metrics?.cctpTransfersTotal.inc({
      asset: transfer.assetId,
      route: routeLabel(transfer),
      version: String(transfer.route.version),
      speed: transfer.speed,
      outcome: "failed",
    });
    logger.error(
      { transfer_id: transfer.transferId, stage, tx_hash: burnTxHash, err: error },
      "cctp transfer failed",
    );
    await emit({
      ...transferEventCommon(transfer),
      event: "failed",
      stage,
      reason: reasonOf(error).slice(0, 4_000),
      code: error instanceof KeeperError ? error.code : undefined,
      burnTxHash,
    });
    return error;
  }

  async function finish(attested: AttestedTransfer): Promise<TransferResult> {
    try {
      return await receive(ctx, attested);
    } catch (error) {
      throw await fail(attested, "receive", error);
    }
  }

  async function attest(burned: BurnedTransfer, signal?: AbortSignal): Promise<AttestedTransfer> {
    try {
      return await awaitAttestation(ctx, burned, signal ? { signal } : {});
    } catch (error) {
      throw await fail(burned, "attestation", error);
    }
  }

  return {
    setup,
    sender,
    plan: (request) => plan(ctx, request),
    burn: (planned) => burn(ctx, planned),
    awaitAttestation: (burned, opts) => awaitAttestation(ctx, burned, opts),
    isReceived: (attested) => isReceived(ctx, attested),
    receive: (attested) => receive(ctx, attested),
    findBurn: (a) => findBurn(ctx, a),
    fail,
    async run(request, opts = {}) {
      const planned = plan(ctx, request);
      let burned: BurnedTransfer;
      try {
        burned = await burn(ctx, planned);
      } catch (error) {
        throw await fail(planned, "burn", error);
      }
      return finish(await attest(burned, opts.signal));
    },
    async resume({ chain, burnTxHash, transferId, signal }) {
      const burned = await findBurn(ctx, { chain, burnTxHash, ...(transferId ? { transferId } : {}) });
      return finish(await attest(burned, signal));
    },
  };
}

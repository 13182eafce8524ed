/**
 * The receive step on the destination chain: whether the nonce is used, receiveMessage (or the hook
 * executor's relay), the minted amount and fee from MintAndWithdraw; and the V1 usedNonces key.
 */
import { type Address, decodeEventLog, encodePacked, type Hex, keccak256 } from "viem";
import { decodeMessage } from "../decode.ts";
import { addressToBytes32, bytes32AsAddress, ZERO_BYTES32 } from "../hex.ts";
import { hookExecutorAbi, messageTransmitterAbi, tokenMessengerV1Abi, tokenMessengerV2Abi } from "./abi.ts";
import { eq, messengerOf, transmitterOf } from "./chains.ts";
import type { TransferContext } from "./context.ts";
import { CctpRouteUnsupportedError, CctpTxRevertedError } from "./errors.ts";
import { routeLabel, transferEventCommon } from "./events.ts";
import type { MinedTx } from "./send.ts";
import { routeName } from "./setup.ts";
import type { AttestedTransfer, TransferResult } from "./types.ts";

/** usedNonces key of a V1 message: keccak256(abi.encodePacked(uint32 sourceDomain, uint64 nonce)). */
export function v1NonceKey(sourceDomain: number, nonce: bigint): Hex {
  return keccak256(encodePacked(["uint32", "uint64"], [sourceDomain, nonce]));
}

/** Whether the destination already used the transfer's nonce. */
export async function isReceived(ctx: TransferContext, attested: AttestedTransfer): Promise<boolean> {
  const destination = attested.route.destination;
  const used = await ctx.clients(destination).public.readContract({
    address: transmitterOf(destination, attested.route.version),
    abi: messageTransmitterAbi,
    functionName: "usedNonces",
    args: [attested.nonceKey],
  });
  return used !== 0n;
}

/** Reports a transfer whose nonce the destination already used (log, metric, event). */
export async function alreadyReceived(
  ctx: TransferContext,
  attested: AttestedTransfer,
): Promise<TransferResult> {
  const { logger, metrics, emit } = ctx;
  logger.info(
    { transfer_id: attested.transferId, tx_hash: attested.burnTxHash },
    "cctp transfer was already received",
  );
  metrics?.cctpTransfersTotal.inc({
    asset: attested.assetId,
    route: routeLabel(attested),
    version: String(attested.route.version),
    speed: attested.speed,
    outcome: "already_received",
  });
  await emit({
    ...transferEventCommon(attested),
    event: "already_received",
    burnTxHash: attested.burnTxHash,
    nonce: attested.nonce,
  });
  return { ...attested, type: "already_received" };
}

/**
 * Receives on the destination: usedNonces != 0 → already_received; else receiveMessage (or relay on the
 * hook executor when the burn names it) → MintAndWithdraw → received, fee.
 */
export async function receive(ctx: TransferContext, attested: AttestedTransfer): Promise<TransferResult> {
  const { sender, send, logger, metrics, emit } = ctx;
  if (await isReceived(ctx, attested)) return alreadyReceived(ctx, attested);
  const { route } = attested;
  const destination = route.destination;
  const decoded = decodeMessage(attested.message, { body: "burn" });
  const destinationCaller = decoded.message.destinationCaller;
  const executor = destination.v2?.hookExecutor;
  const viaExecutor =
    route.version === 2 && executor !== undefined && eq(destinationCaller, addressToBytes32(executor));
  if (
    !viaExecutor &&
    destinationCaller !== ZERO_BYTES32 &&
    !eq(destinationCaller, addressToBytes32(sender))
  ) {
    throw new CctpRouteUnsupportedError({
      route: routeName(route.source.chain, destination.chain),
      reason: `the burn names destinationCaller ${bytes32AsAddress(destinationCaller) ?? destinationCaller}, which is neither this account nor the hook executor`,
    });
  }
  const call = viaExecutor
    ? {
        address: executor as Address,
        abi: hookExecutorAbi,
        functionName: "relay",
        args: [attested.message, attested.attestation],
      }
    : {
        address: transmitterOf(destination, route.version),
        abi: messageTransmitterAbi,
        functionName: "receiveMessage",
        args: [attested.message, attested.attestation],
      };
  let mined: MinedTx;
  try {
    mined = await send(destination, "receive", call);
  } catch (error) {
    // Someone else may have received it between the check and the send.
    if (error instanceof CctpTxRevertedError && (await isReceived(ctx, attested).catch(() => false)))
      return alreadyReceived(ctx, attested);
    throw error;
  }
  const messenger = messengerOf(destination, route.version);
  let received = 0n;
  let fee = 0n;
  for (const l of mined.logs) {
    if (!eq(l.address, messenger)) continue;
    try {
      if (route.version === 2) {
        const e = decodeEventLog({
          abi: tokenMessengerV2Abi,
          eventName: "MintAndWithdraw",
          topics: l.topics as [Hex],
          data: l.data,
        });
        received += e.args?.amount ?? 0n;
        fee += e.args?.feeCollected ?? 0n;
      } else {
        const e = decodeEventLog({
          abi: tokenMessengerV1Abi,
          eventName: "MintAndWithdraw",
          topics: l.topics as [Hex],
          data: l.data,
        });
        received += e.args?.amount ?? 0n;
      }
    } catch {
      // another event of the messenger
    }
  }
  const via = viaExecutor ? "hook_executor" : "transmitter";
  metrics?.cctpTransfersTotal.inc({
    asset: attested.assetId,
    route: routeLabel(attested),
    version: String(route.version),
    speed: attested.speed,
    outcome: "received",
  });
  logger.info(
    {
      transfer_id: attested.transferId,
      chain_id: destination.chainId,
      tx_hash: mined.hash,
      received: received.toString(),
      fee: fee.toString(),
      via,
    },
    "cctp transfer received",
  );
  await emit({
    ...transferEventCommon(attested),
    event: "received",
    burnTxHash: attested.burnTxHash,
    nonce: attested.nonce,
    receiveTxHash: mined.hash,
    blockNumber: mined.blockNumber,
    received,
    fee,
    via,
  });
  return {
    ...attested,
    type: "received",
    receiveTxHash: mined.hash,
    receiveBlockNumber: mined.blockNumber,
    received,
    fee,
    via,
  };
}

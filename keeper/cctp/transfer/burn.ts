/**
 * The burn on the source chain (approve → depositForBurn[WithHook|WithCaller] → MessageSent), and reading
 * a burn back from a receipt's logs.
 */
import { type Address, decodeAbiParameters, type Hex, keccak256 } from "viem";
import { decodeMessage, messageHash } from "../decode.ts";
import { ZERO_BYTES32 } from "../hex.ts";
import { erc20Abi, tokenMessengerV1Abi, tokenMessengerV2Abi } from "./abi.ts";
import { eq, messengerOf, transmitterOf } from "./chains.ts";
import type { TransferContext } from "./context.ts";
import { CctpBurnNotFoundError } from "./errors.ts";
import { transferEventCommon } from "./events.ts";
import { FINALITY_FAST, FINALITY_STANDARD } from "./fees.ts";
import { maxFeeFor } from "./plan.ts";
import type { TxLog } from "./send.ts";
import type { ResolvedCctpChain } from "./setup.ts";
import type { BurnedTransfer, PlannedTransfer, TransferInfo } from "./types.ts";

/** topic0 of MessageTransmitter's MessageSent(bytes). */
export const MESSAGE_SENT_TOPIC = keccak256(new TextEncoder().encode("MessageSent(bytes)"));

/** The `bytes message` of a MessageSent log's data. */
export function messageSentBytes(data: Hex): Hex {
  return decodeAbiParameters([{ type: "bytes" }], data)[0];
}

/** Burns on the source chain: maxFee from the fees endpoint; approve (exact) → deposit → MessageSent. */
export async function burn(ctx: TransferContext, planned: PlannedTransfer): Promise<BurnedTransfer> {
  const { sender, send, logger, emit } = ctx;
  const { route, amount } = planned;
  const source = route.source;
  const messenger = messengerOf(source, route.version);
  const maxFee = await maxFeeFor(ctx, planned);
  const { public: pc } = ctx.clients(source);
  const allowance = await pc.readContract({
    address: planned.burnToken,
    abi: erc20Abi,
    functionName: "allowance",
    args: [sender, messenger],
  });
  if (allowance !== amount) {
    await send(source, "approve", {
      address: planned.burnToken,
      abi: erc20Abi,
      functionName: "approve",
      args: [messenger, amount],
    });
  }
  const call =
    route.version === 2
      ? planned.hookData !== undefined
        ? {
            address: messenger,
            abi: tokenMessengerV2Abi,
            functionName: "depositForBurnWithHook",
            args: [
              amount,
              route.destination.domain,
              planned.mintRecipient,
              planned.burnToken,
              planned.destinationCaller,
              maxFee,
              planned.speed === "fast" ? FINALITY_FAST : FINALITY_STANDARD,
              planned.hookData,
            ],
          }
        : {
            address: messenger,
            abi: tokenMessengerV2Abi,
            functionName: "depositForBurn",
            args: [
              amount,
              route.destination.domain,
              planned.mintRecipient,
              planned.burnToken,
              planned.destinationCaller,
              maxFee,
              planned.speed === "fast" ? FINALITY_FAST : FINALITY_STANDARD,
            ],
          }
      : planned.destinationCaller !== ZERO_BYTES32
        ? {
            address: messenger,
            abi: tokenMessengerV1Abi,
            functionName: "depositForBurnWithCaller",
            args: [
              amount,
              route.destination.domain,
              planned.mintRecipient,
              planned.burnToken,
              planned.destinationCaller,
            ],
          }
        : {
            address: messenger,
            abi: tokenMessengerV1Abi,
            functionName: "depositForBurn",
            args: [amount, route.destination.domain, planned.mintRecipient, planned.burnToken],
          };
  const mined = await send(source, "burn", call, planned.burnToken);
  const burned = burnFromLogs({
    info: planned,
    chain: source,
    txHash: mined.hash,
    blockNumber: mined.blockNumber,
    logs: mined.logs,
  });
  if (burned === undefined) {
    throw new CctpBurnNotFoundError({
      chainId: source.chainId,
      txHash: mined.hash,
      reason: "the receipt has no MessageSent of the transmitter",
    });
  }
  logger.info(
    {
      transfer_id: planned.transferId,
      asset: planned.assetId,
      chain_id: source.chainId,
      tx_hash: mined.hash,
      amount: amount.toString(),
      max_fee: maxFee.toString(),
      version: route.version,
      speed: planned.speed,
    },
    "cctp burn mined",
  );
  await emit({
    ...transferEventCommon(burned),
    event: "burned",
    burnTxHash: burned.burnTxHash,
    blockNumber: burned.blockNumber,
    logIndex: burned.logIndex,
    sourceMessageHash: messageHash(burned.sourceMessage),
    maxFee: burned.maxFee,
    hook: burned.hook,
  });
  return burned;
}

/** The burn of `info` in a receipt's logs: the first MessageSent of the route's source transmitter. */
export function burnFromLogs(a: {
  info: TransferInfo;
  chain: ResolvedCctpChain;
  txHash: Hex;
  blockNumber: bigint;
  logs: readonly TxLog[];
  logIndex?: number;
}): BurnedTransfer | undefined {
  const transmitters = [a.chain.v2?.messageTransmitter, a.chain.v1?.messageTransmitter].filter(
    (t): t is Address => t !== undefined,
  );
  const sent = a.logs
    .filter((l) => l.topics[0] === MESSAGE_SENT_TOPIC && transmitters.some((t) => eq(t, l.address)))
    .sort((x, y) => x.logIndex - y.logIndex);
  const own = transmitterOf(a.chain, a.info.route.version);
  const position = sent.findIndex(
    (l) => eq(l.address, own) && (a.logIndex === undefined || l.logIndex === a.logIndex),
  );
  const log = sent[position];
  if (log === undefined) return undefined;
  const sourceMessage = messageSentBytes(log.data);
  const m = decodeMessage(sourceMessage, { body: "burn" });
  const maxFee = m.type === "v2" ? (m.burn?.maxFee ?? 0n) : 0n;
  const hook = m.type === "v2" && (m.burn?.hookData ?? "0x") !== "0x";
  return {
    ...a.info,
    type: "burned",
    burnTxHash: a.txHash,
    blockNumber: a.blockNumber,
    logIndex: log.logIndex,
    position,
    sourceMessage,
    maxFee,
    hook,
  };
}

/**
 * Resuming from a burn: read the burn back from its transaction (the first MessageSent of a configured
 * transmitter), with its route, token, speed and amount taken from the message.
 */
import type { Hex, PublicClient } from "viem";
import { decodeMessage } from "../decode.ts";
import { bytes32AsAddress } from "../hex.ts";
import { burnFromLogs, MESSAGE_SENT_TOPIC, messageSentBytes } from "./burn.ts";
import { chainOf, eq } from "./chains.ts";
import type { TransferContext } from "./context.ts";
import { CctpBurnNotFoundError, CctpRouteUnsupportedError } from "./errors.ts";
import { isFastThreshold } from "./fees.ts";
import { assetIdOf, tokenRefOf } from "./setup.ts";
import type { BurnedTransfer, TransferInfo } from "./types.ts";

/** Reads the burn back from its transaction on `chain` (resume). */
export async function findBurn(
  ctx: TransferContext,
  {
    chain: chainName,
    burnTxHash,
    transferId,
  }: {
    chain: string;
    burnTxHash: Hex;
    transferId?: string;
  },
): Promise<BurnedTransfer> {
  const { setup } = ctx;
  const source = chainOf(setup, chainName);
  const { public: pc } = ctx.clients(source);
  let receipt: Awaited<ReturnType<PublicClient["getTransactionReceipt"]>>;
  try {
    receipt = await pc.getTransactionReceipt({ hash: burnTxHash });
  } catch {
    throw new CctpBurnNotFoundError({
      chainId: source.chainId,
      txHash: burnTxHash,
      reason: "no receipt (not mined, or another chain)",
    });
  }
  if (receipt.status !== "success")
    throw new CctpBurnNotFoundError({
      chainId: source.chainId,
      txHash: burnTxHash,
      reason: "the transaction reverted",
    });
  const logs = receipt.logs.map((l) => ({
    address: l.address,
    topics: l.topics as Hex[],
    data: l.data,
    logIndex: l.logIndex,
  }));
  const transmitters = [
    { version: 2 as const, address: source.v2?.messageTransmitter },
    { version: 1 as const, address: source.v1?.messageTransmitter },
  ];
  const log = logs
    .filter(
      (l) =>
        l.topics[0] === MESSAGE_SENT_TOPIC &&
        transmitters.some((t) => t.address !== undefined && eq(t.address, l.address)),
    )
    .sort((x, y) => x.logIndex - y.logIndex)[0];
  if (log === undefined)
    throw new CctpBurnNotFoundError({
      chainId: source.chainId,
      txHash: burnTxHash,
      reason: "it has no MessageSent of a configured transmitter",
    });
  const version = transmitters.find((t) => t.address !== undefined && eq(t.address, log.address))!.version;
  const sourceMessage = messageSentBytes(log.data);
  const m = decodeMessage(sourceMessage, { body: "burn" });
  const destination = setup.chainByDomain(m.message.destinationDomain);
  if (destination === undefined) {
    throw new CctpRouteUnsupportedError({
      route: `${chainName} -> domain ${m.message.destinationDomain}`,
      reason: "no cctp.chains entry has that domain",
    });
  }
  const burnToken = bytes32AsAddress(m.burn!.burnToken);
  const token = burnToken === undefined ? undefined : tokenRefOf(setup, source, burnToken);
  if (token === undefined)
    throw new CctpBurnNotFoundError({
      chainId: source.chainId,
      txHash: burnTxHash,
      reason: `its burn token ${m.burn!.burnToken} is neither USDC nor a configured asset`,
    });
  const info: TransferInfo = {
    transferId: transferId ?? `burn:${source.chainId}:${burnTxHash}:${log.logIndex}`,
    assetId: assetIdOf(token),
    token,
    route: { version, source, destination },
    speed: m.type === "v2" && isFastThreshold(m.message.minFinalityThreshold) ? "fast" : "standard",
    amount: m.burn!.amount,
  };
  const burned = burnFromLogs({
    info,
    chain: source,
    txHash: burnTxHash,
    blockNumber: receipt.blockNumber,
    logs,
    logIndex: log.logIndex,
  });
  if (burned === undefined)
    throw new CctpBurnNotFoundError({
      chainId: source.chainId,
      txHash: burnTxHash,
      reason: "its MessageSent could not be read",
    });
  return burned;
}

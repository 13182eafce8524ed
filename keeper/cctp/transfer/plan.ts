/**
 * Planning a transfer (synchronous, no chain calls): the route, the tokens on both ends, the recipient
 * and destination caller, the hook; and the maxFee of a V2 burn from the fees endpoint.
 */
import { randomUUID } from "node:crypto";
import { getAddress, type Hex, isAddress } from "viem";
import { toMilliBps } from "../config.ts";
import { addressToBytes32, ZERO_BYTES32 } from "../hex.ts";
import type { TransferContext } from "./context.ts";
import { CctpFeeAboveCapError, CctpRouteUnsupportedError, TransferRequestInvalidError } from "./errors.ts";
import { bpsToMilliBps, FINALITY_FAST, FINALITY_STANDARD, feeAtRate, formatMilliBps } from "./fees.ts";
import { treasuryHookData } from "./hooks.ts";
import { assetIdOf, chooseRoute, routeName, tokenOn } from "./setup.ts";
import type { PlannedTransfer, TransferRequest } from "./types.ts";

/** Plans a transfer: route (V2 when both ends support it, else V1), tokens, recipient, hook. */
export function plan(ctx: TransferContext, request: TransferRequest): PlannedTransfer {
  const { setup, sender } = ctx;
  if (typeof request.amount !== "bigint" || request.amount <= 0n) {
    throw new TransferRequestInvalidError({
      field: "amount",
      reason: "must be a positive number of base units",
      value: String(request.amount),
    });
  }
  if (request.maxFee !== undefined && request.maxFee < 0n) {
    throw new TransferRequestInvalidError({
      field: "maxFee",
      reason: "must be >= 0",
      value: request.maxFee,
    });
  }
  if (request.recipient !== undefined && !isAddress(request.recipient, { strict: false })) {
    throw new TransferRequestInvalidError({
      field: "recipient",
      reason: "must be an address",
      value: String(request.recipient),
    });
  }
  const route = chooseRoute(setup, { from: request.from, to: request.to, version: request.version });
  const name = routeName(request.from, request.to);
  if (request.speed === "fast" && route.version === 1) {
    throw new CctpRouteUnsupportedError({
      route: name,
      reason: "fast transfers need CCTP V2 on both ends (this route is V1)",
    });
  }
  const burnToken = tokenOn(setup, request.token, route.source);
  const destinationToken = tokenOn(setup, request.token, route.destination);
  const recipient = getAddress(request.recipient ?? sender);
  let mintRecipient = addressToBytes32(recipient);
  if (request.destinationCaller !== undefined && !isAddress(request.destinationCaller, { strict: false })) {
    throw new TransferRequestInvalidError({
      field: "destinationCaller",
      reason: "must be an address",
      value: String(request.destinationCaller),
    });
  }
  let destinationCaller: Hex =
    request.destinationCaller === undefined ? ZERO_BYTES32 : addressToBytes32(request.destinationCaller);
  let hookData: Hex | undefined;
  if (request.hook !== undefined) {
    if (request.destinationCaller !== undefined) {
      throw new TransferRequestInvalidError({
        field: "destinationCaller",
        reason: "cannot be set with a hook (the hook executor is the destination caller)",
      });
    }
    if (route.version !== 2)
      throw new CctpRouteUnsupportedError({
        route: name,
        reason: "hooks need CCTP V2 on both ends (this route is V1)",
      });
    const executor = route.destination.v2?.hookExecutor;
    if (executor === undefined)
      throw new CctpRouteUnsupportedError({
        route: name,
        reason: `no hook executor on ${route.destination.chain} (cctp.chains[].v2.hookExecutor)`,
      });
    const treasury = route.destination.treasury;
    if (treasury === undefined)
      throw new CctpRouteUnsupportedError({
        route: name,
        reason: `no treasury on ${route.destination.chain} (cctp.chains[].treasury)`,
      });
    mintRecipient = addressToBytes32(executor);
    destinationCaller = addressToBytes32(executor);
    // The executor pays the treasury what was minted (amount - feeExecuted) and tells it the amount, so
    // the hook data names only the account: fast transfers (fee fixed at attestation) work too.
    hookData = treasuryHookData({ treasury, account: request.hook.account });
  }
  return {
    type: "planned",
    transferId: request.requestId ?? `req:${randomUUID()}`,
    assetId: assetIdOf(request.token),
    token: request.token,
    route,
    speed: request.speed,
    amount: request.amount,
    burnToken,
    destinationToken,
    mintRecipient,
    destinationCaller,
    hookData,
    callerMaxFee: request.maxFee,
  };
}

/** maxFee of a V2 burn: the fee at the fees endpoint's rate for the transfer's finality. */
export async function maxFeeFor(ctx: TransferContext, planned: PlannedTransfer): Promise<bigint> {
  const { setup, iris } = ctx;
  const { route, speed, amount } = planned;
  if (route.version === 1) return 0n;
  const name = routeName(route.source.chain, route.destination.chain);
  const threshold = speed === "fast" ? FINALITY_FAST : FINALITY_STANDARD;
  const fees = await iris.getFees({
    sourceDomain: route.source.domain,
    destinationDomain: route.destination.domain,
  });
  const entry = fees.find((f) => f.finalityThreshold === threshold);
  if (entry === undefined) {
    if (speed === "fast")
      throw new CctpRouteUnsupportedError({
        route: name,
        reason: "the fees endpoint lists no fast (finality 1000) fee",
      });
    return 0n;
  }
  const rate = bpsToMilliBps(entry.minimumFeeBps);
  if (rate === undefined) {
    throw new CctpRouteUnsupportedError({
      route: name,
      reason: `the fees endpoint's minimumFee ${entry.minimumFeeBps} is not a bps value with at most 3 decimals`,
    });
  }
  const cap = toMilliBps(setup.config.maxFastFeeBps);
  if (speed === "fast" && rate > cap) {
    throw new CctpFeeAboveCapError({
      route: name,
      fee: `${formatMilliBps(rate)} bps`,
      cap: `${formatMilliBps(cap)} bps`,
      capSource: "configured cctp.maxFastFeeBps",
    });
  }
  const maxFee = feeAtRate(amount, rate);
  if (planned.callerMaxFee !== undefined && maxFee > planned.callerMaxFee) {
    throw new CctpFeeAboveCapError({
      route: name,
      fee: maxFee.toString(),
      cap: planned.callerMaxFee.toString(),
      capSource: "caller's maxFee",
    });
  }
  if (maxFee >= amount) {
    throw new TransferRequestInvalidError({
      field: "amount",
      reason: `must be above the fee ${maxFee}`,
      value: amount,
    });
  }
  return maxFee;
}

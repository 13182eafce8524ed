/**
 * The devnet OnRampProvider: quote (fiat → tokens, fee, expiry) → order (idempotency key) → settlement
 * on demand (the devnet stands in for the fiat payment arriving). Settlement takes a compliance
 * decision for Mint (origin "onramp") and, only when it allows, mints through Secure Mint
 * (StablecoinMinter.mint by the issuer); the order records the mint's transaction hash.
 *
 * At most one mint per order: the order moves to `minting` before the transaction is sent and keeps
 * its hash as soon as it is broadcast; a second settle (concurrent or later) returns the same result,
 * or waits for that same transaction, and never sends another. State is in memory: a restart forgets
 * orders (a production adapter keeps them in the issuer's order book).
 *
 * Pricing: 1 fiat unit = 1 token; fee = ceil(fiat · feeBps / 10 000) in fiat minor units (cents).
 */
import { randomUUID } from "node:crypto";
import { type Address, getAddress, parseUnits } from "viem";
import { ContractWriteRevertedError } from "../../actions/contractWriteErrors.ts";
import type { SecureMinter } from "../../actions/secureMint.ts";
import type { Logger } from "../../telemetry/logger.ts";
import type { KeeperMetrics } from "../../telemetry/metrics.ts";
import type { ComplianceDecider } from "./decider.ts";
import { ComplianceInputError, OnRampConflictError, OnRampNotFoundError } from "./errors.ts";
import { gateReasonCode } from "./gateReason.ts";
import type { AssetRules, OnRampOrder, OnRampProvider, OnRampQuote, OrderFailure } from "./types.ts";

export type OnRampMintTarget = { readonly chainId: number; readonly minter: Address };

export type CreateDevnetOnRampArgs = {
  readonly rules: ReadonlyMap<string, AssetRules>;
  /** Where each asset is minted (the deployment with a minter). */
  readonly mintTargets: ReadonlyMap<string, OnRampMintTarget>;
  readonly decider: Pick<ComplianceDecider, "decide">;
  readonly minter: SecureMinter;
  readonly fiatCurrency: string;
  readonly feeBps: number;
  readonly quoteTtlSeconds: number;
  readonly metrics: KeeperMetrics;
  readonly logger: Logger;
  /** Unix ms. */
  readonly now?: () => number;
  readonly newId?: () => string;
};

const FIAT = /^(0|[1-9][0-9]{0,17})(\.[0-9]{1,2})?$/;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,128}$/;

/** Fiat minor units → token base units at 1:1 (fiat has 2 decimals). */
function minorToTokens(minor: bigint, decimals: number): bigint {
  return decimals >= 2 ? minor * 10n ** BigInt(decimals - 2) : minor / 10n ** BigInt(2 - decimals);
}

/** Why a reverted mint failed, as reason codes where the revert says (breaker, gate). */
function failureOfRevert(err: ContractWriteRevertedError, decisionId: string): OrderFailure {
  if (err.errorName === "BreakerIsPaused")
    return { type: "refused", decisionId, reasons: ["BREAKER_PAUSED"] };
  if (err.errorName === "ComplianceCheckFailed") {
    const code = gateReasonCode(Number(err.errorArgs[3]));
    if (code) return { type: "refused", decisionId, reasons: [code] };
  }
  return { type: "mint_reverted", error: err.shortMessage, txHash: err.txHash };
}

export type DevnetOnRamp = OnRampProvider & { readonly size: number };

export function createDevnetOnRamp(args: CreateDevnetOnRampArgs): DevnetOnRamp {
  const log = args.logger.child({ component: "onramp" });
  const now = args.now ?? (() => Date.now());
  const newId = args.newId ?? (() => randomUUID());
  const quotes = new Map<string, OnRampQuote>();
  const orders = new Map<string, OnRampOrder>();
  const byKey = new Map<string, string>();
  const byQuote = new Map<string, string>();
  const settling = new Map<string, Promise<OnRampOrder>>();

  function finish(order: OnRampOrder): OnRampOrder {
    orders.set(order.orderId, order);
    if (order.status === "minted" || order.status === "failed") {
      args.metrics.complianceOnrampOrdersTotal.inc({ asset: order.quote.assetId, status: order.status });
      log.info(
        {
          order_id: order.orderId,
          asset: order.quote.assetId,
          status: order.status,
          ...(order.status === "minted" ? { tx_hash: order.txHash, block_number: order.blockNumber } : {}),
          ...(order.status === "failed" ? { failure: order.failure } : {}),
        },
        order.status === "minted" ? "onramp order minted" : "onramp order failed",
      );
    }
    return order;
  }

  async function waitForMint(
    order: OnRampOrder & { status: "minting" },
    txHash: string,
  ): Promise<OnRampOrder> {
    const target = args.mintTargets.get(order.quote.assetId)!;
    const request = { ...target, to: order.quote.recipient, amount: order.quote.tokenAmount };
    try {
      const mined = await args.minter.wait(request, txHash as `0x${string}`);
      return finish({
        ...order,
        status: "minted",
        txHash: mined.txHash,
        blockNumber: mined.blockNumber,
        chainId: target.chainId,
      });
    } catch (err) {
      if (err instanceof ContractWriteRevertedError) {
        return finish({ ...order, status: "failed", failure: failureOfRevert(err, order.decisionId) });
      }
      throw err; // still minting with its hash: a later settle waits for the same transaction
    }
  }

  async function settleNow(order: OnRampOrder): Promise<OnRampOrder> {
    if (order.status === "minting") {
      if (order.txHash !== undefined) return waitForMint(order, order.txHash);
      // A send that never reached the chain (the process restarted mid-way is not possible: in memory).
      return order;
    }
    if (order.status !== "awaiting_payment") return order;
    const { quote } = order;
    const decision = await args.decider.decide({
      account: quote.recipient,
      assetId: quote.assetId,
      operation: "mint",
      amount: quote.tokenAmount,
      origin: "onramp",
    });
    if (!decision.allowed) {
      return finish({
        ...order,
        status: "failed",
        failure: { type: "refused", decisionId: decision.decisionId, reasons: decision.reasons },
      });
    }
    const target = args.mintTargets.get(quote.assetId)!;
    const minting: OnRampOrder & { status: "minting" } = {
      ...order,
      status: "minting",
      decisionId: decision.decisionId,
    };
    orders.set(order.orderId, minting);
    let txHash: string;
    try {
      txHash = (await args.minter.send({ ...target, to: quote.recipient, amount: quote.tokenAmount })).txHash;
    } catch (err) {
      if (err instanceof ContractWriteRevertedError) {
        return finish({ ...order, status: "failed", failure: failureOfRevert(err, decision.decisionId) });
      }
      // Nothing was broadcast: the order can be settled again.
      orders.set(order.orderId, order);
      throw err;
    }
    const sent = { ...minting, txHash };
    orders.set(order.orderId, sent);
    log.info({ order_id: order.orderId, asset: quote.assetId, tx_hash: txHash }, "onramp mint broadcast");
    return waitForMint(sent, txHash);
  }

  return {
    get size() {
      return orders.size;
    },
    async quote({ assetId, recipient, fiatAmount }) {
      const rules = args.rules.get(assetId);
      if (!rules || !args.mintTargets.has(assetId)) {
        throw new ComplianceInputError({
          field: "asset",
          reason: `unknown asset or no minter for "${assetId}"`,
        });
      }
      if (!FIAT.test(fiatAmount)) {
        throw new ComplianceInputError({
          field: "fiatAmount",
          reason: "must be a positive decimal string with at most 2 decimals",
        });
      }
      const fiatMinor = parseUnits(fiatAmount, 2);
      const feeMinor = (fiatMinor * BigInt(args.feeBps) + 9_999n) / 10_000n;
      const tokenAmount = minorToTokens(fiatMinor - feeMinor, rules.tokenDecimals);
      if (tokenAmount <= 0n) {
        throw new ComplianceInputError({ field: "fiatAmount", reason: "buys no tokens after the fee" });
      }
      const quote: OnRampQuote = {
        quoteId: newId(),
        assetId,
        recipient: getAddress(recipient),
        fiatCurrency: args.fiatCurrency,
        fiatAmountMinor: fiatMinor,
        feeMinor,
        tokenAmount,
        expiresAt: BigInt(Math.floor(now() / 1000) + args.quoteTtlSeconds),
      };
      quotes.set(quote.quoteId, quote);
      return quote;
    },
    async order({ quoteId, idempotencyKey }) {
      if (!IDEMPOTENCY_KEY.test(idempotencyKey)) {
        throw new ComplianceInputError({
          field: "idempotencyKey",
          reason: "must be 8-128 characters: letters, digits, '.', '_', ':', '-'",
        });
      }
      const existing = byKey.get(idempotencyKey);
      if (existing !== undefined) {
        const order = orders.get(existing)!;
        if (order.quote.quoteId !== quoteId) {
          throw new OnRampConflictError({
            id: idempotencyKey,
            reason: "the idempotency key was used for another quote",
          });
        }
        return order;
      }
      const quote = quotes.get(quoteId);
      if (!quote) throw new OnRampNotFoundError({ what: "quote", id: quoteId });
      if (byQuote.has(quoteId)) {
        throw new OnRampConflictError({
          id: quoteId,
          reason: "the quote was already ordered with another idempotency key",
        });
      }
      if (BigInt(Math.floor(now() / 1000)) >= quote.expiresAt) {
        throw new OnRampConflictError({ id: quoteId, reason: "the quote expired" });
      }
      const order: OnRampOrder = {
        orderId: newId(),
        idempotencyKey,
        quote,
        createdAtMs: now(),
        status: "awaiting_payment",
      };
      orders.set(order.orderId, order);
      byKey.set(idempotencyKey, order.orderId);
      byQuote.set(quoteId, order.orderId);
      log.info({ order_id: order.orderId, asset: quote.assetId }, "onramp order created");
      return order;
    },
    settle(orderId) {
      const order = orders.get(orderId);
      if (!order) return Promise.reject(new OnRampNotFoundError({ what: "order", id: orderId }));
      const inFlight = settling.get(orderId);
      if (inFlight) return inFlight;
      const run = settleNow(order).finally(() => settling.delete(orderId));
      settling.set(orderId, run);
      return run;
    },
    get: (orderId) => orders.get(orderId),
  };
}

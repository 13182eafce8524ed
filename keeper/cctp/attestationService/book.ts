/**
 * The devnet attestation service's memory: every MessageSent it has seen, what it decided for each (as
 * Iris does) and the attestations it signed. No I/O besides signing.
 *
 * On first sight of a V2 message the book assigns its nonce (keccak256(uint32 sourceDomain, bytes32
 * txHash, uint32 logIndex): unique, and the same if the burn is re-included after a reorg) and decides
 * its speed: a fast request (minFinalityThreshold ≤ 1000) stays fast when its maxFee covers the route's
 * fee (else `insufficient_fee`) and the fast allowance covers its amount (else
 * `insufficient_allowance_available`; the amount is reserved, and given back if the burn is reorged
 * out); a delayed fast message falls back to standard. At signing (the watcher decides when):
 * - V2 fast: finalityThresholdExecuted 1000, feeExecuted = the route fee (≤ maxFee), expirationBlock =
 *   destination head + expirationBlocks (or 0);
 * - V2 standard: 2000, feeExecuted 0, expirationBlock 0;
 * - V1: the source bytes as emitted.
 */
import { encodePacked, formatUnits, type Hex, keccak256, parseUnits } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { Logger } from "../../telemetry/logger.ts";
import type { KeeperMetrics } from "../../telemetry/metrics.ts";
import { signAttestation } from "../attestation.ts";
import type { AttestationServiceConfig } from "../config.ts";
import { toMilliBps } from "../config.ts";
import { decodeMessage, messageHash } from "../decode.ts";
import { withIrisFields } from "../iris.ts";
import { FINALITY_FAST, FINALITY_STANDARD, feeAtRate, isFastThreshold } from "../transfer/fees.ts";

/** Fast-transfer delay reasons Iris reports (amount_above_max is not modelled here). */
export type DelayReason = "insufficient_fee" | "insufficient_allowance_available";

/** A MessageSent log of a watched transmitter. */
export type SeenLog = {
  readonly chain: string;
  readonly version: 1 | 2;
  readonly txHash: Hex;
  readonly blockNumber: bigint;
  readonly blockHash: Hex;
  readonly logIndex: number;
  readonly message: Hex;
};

export type AttestationRecord = SeenLog & {
  readonly key: string;
  readonly sourceDomain: number;
  readonly destinationDomain: number;
  /** V2: the assigned bytes32 nonce; V1: the message's uint64 nonce in decimal. */
  readonly eventNonce: string;
  /** keccak256 of the source bytes (V1's /v1/attestations key). */
  readonly sourceHash: Hex;
  readonly requestedSpeed: "fast" | "standard";
  speed: "fast" | "standard";
  delayReason: DelayReason | null;
  /** Fast allowance reserved for this message (given back when it is dropped). */
  reserved: bigint;
  status: "pending_confirmations" | "complete";
  /** The attested bytes and signatures, once complete. */
  attested: { readonly message: Hex; readonly attestation: Hex } | undefined;
};

export type AttestationBook = {
  /** Records a log (idempotent by chain, transaction and log index); returns its record. */
  add(log: SeenLog): AttestationRecord;
  /** Forgets the pending records of `chain` above `block` (reorged out); returns how many. */
  dropAbove(chain: string, block: bigint): number;
  /** Forgets one pending record (its block is no longer canonical). */
  drop(record: AttestationRecord): void;
  /** Signs a pending record. `destinationHead` sets a fast message's expirationBlock. */
  sign(record: AttestationRecord, destinationHead: bigint | undefined): Promise<void>;
  pending(chain: string): readonly AttestationRecord[];
  /** Records of one transaction on a source domain, ordered by log index. */
  byTransaction(sourceDomain: number, txHash: string): readonly AttestationRecord[];
  byNonce(sourceDomain: number, nonce: string): readonly AttestationRecord[];
  /** The V1 record whose source bytes hash to `hash`. */
  byV1Hash(hash: string): AttestationRecord | undefined;
  /** `[{ finalityThreshold: 1000, minimumFee }, { finalityThreshold: 2000, minimumFee: 0 }]` (bps). */
  fees(sourceDomain: number, destinationDomain: number): { finalityThreshold: number; minimumFee: number }[];
  allowance(): { allowance: number; lastUpdated: string };
  /** The attesters' addresses (ascending) and uncompressed public keys. */
  readonly attesters: readonly { address: Hex; publicKey: Hex }[];
};

export type CreateAttestationBookArgs = {
  readonly settings: AttestationServiceConfig;
  /** Chain name → CCTP domain. */
  readonly domains: ReadonlyMap<string, number>;
  /** The attester keys (never logged). */
  readonly attesterKeys: readonly Hex[];
  readonly logger: Logger;
  readonly metrics?: Pick<
    KeeperMetrics,
    | "cctpAttestationMessagesSeenTotal"
    | "cctpAttestationMessagesSignedTotal"
    | "cctpAttestationMessagesPending"
  >;
  readonly now?: () => Date;
};

/** Allowance and fee amounts use USDC's 6 decimals. */
const ALLOWANCE_DECIMALS = 6;

/** The nonce the book assigns to a V2 message. */
export function assignedNonce(sourceDomain: number, txHash: Hex, logIndex: number): Hex {
  return keccak256(encodePacked(["uint32", "bytes32", "uint32"], [sourceDomain, txHash, logIndex]));
}

export function createAttestationBook(args: CreateAttestationBookArgs): AttestationBook {
  const { settings, domains, attesterKeys, metrics } = args;
  const logger = args.logger.child({ component: "cctp_attestation_book" });
  const now = args.now ?? (() => new Date());
  const records = new Map<string, AttestationRecord>();
  let allowance = parseUnits(settings.fastAllowance, ALLOWANCE_DECIMALS);
  let allowanceUpdated = now();
  const attesters = attesterKeys
    .map((k) => {
      const account = privateKeyToAccount(k);
      return { address: account.address as Hex, publicKey: account.publicKey };
    })
    .sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));

  const rateOf = (src: number, dst: number): bigint => {
    const route = settings.routeFees.find((r) => r.sourceDomain === src && r.destinationDomain === dst);
    return toMilliBps(route?.fastFeeBps ?? settings.fastFeeBps);
  };
  const bpsOf = (src: number, dst: number): number => {
    const route = settings.routeFees.find((r) => r.sourceDomain === src && r.destinationDomain === dst);
    return route?.fastFeeBps ?? settings.fastFeeBps;
  };

  function updatePending(chain: string): void {
    const domain = domains.get(chain);
    if (domain === undefined) return;
    const n = [...records.values()].filter((r) => r.chain === chain && r.status !== "complete").length;
    metrics?.cctpAttestationMessagesPending.set({ domain: String(domain) }, n);
  }

  function release(record: AttestationRecord): void {
    if (record.reserved > 0n) {
      allowance += record.reserved;
      allowanceUpdated = now();
      record.reserved = 0n;
    }
  }

  function remove(record: AttestationRecord): void {
    release(record);
    records.delete(record.key);
    logger.warn(
      { chain: record.chain, tx_hash: record.txHash, block: record.blockNumber, log_index: record.logIndex },
      "cctp message dropped: its block was reorged out",
    );
  }

  return {
    attesters,

    add(log) {
      const key = `${log.chain}:${log.txHash.toLowerCase()}:${log.logIndex}`;
      const existing = records.get(key);
      if (existing !== undefined) return existing;
      const decoded = decodeMessage(log.message, { body: "raw" });
      const sourceDomain = decoded.message.sourceDomain;
      const destinationDomain = decoded.message.destinationDomain;
      const burn = decoded.type === "v2" ? decodeMessage(log.message).burn : null;
      const requestedSpeed =
        decoded.type === "v2" && isFastThreshold(decoded.message.minFinalityThreshold) ? "fast" : "standard";
      let speed: "fast" | "standard" = requestedSpeed;
      let delayReason: DelayReason | null = null;
      let reserved = 0n;
      if (requestedSpeed === "fast" && burn !== null && "maxFee" in burn) {
        const { amount, maxFee } = burn;
        const fee = feeAtRate(amount, rateOf(sourceDomain, destinationDomain));
        if (maxFee < fee) {
          speed = "standard";
          delayReason = "insufficient_fee";
        } else if (allowance < amount) {
          speed = "standard";
          delayReason = "insufficient_allowance_available";
        } else {
          allowance -= amount;
          allowanceUpdated = now();
          reserved = amount;
        }
      }
      const record: AttestationRecord = {
        ...log,
        key,
        sourceDomain,
        destinationDomain,
        eventNonce:
          decoded.type === "v2"
            ? assignedNonce(sourceDomain, log.txHash, log.logIndex)
            : decoded.message.nonce.toString(),
        sourceHash: messageHash(log.message),
        requestedSpeed,
        speed,
        delayReason,
        reserved,
        status: "pending_confirmations",
        attested: undefined,
      };
      records.set(key, record);
      metrics?.cctpAttestationMessagesSeenTotal.inc({
        domain: String(sourceDomain),
        version: String(log.version),
      });
      updatePending(log.chain);
      logger.info(
        {
          chain: log.chain,
          tx_hash: log.txHash,
          block: log.blockNumber,
          log_index: log.logIndex,
          version: log.version,
          speed,
          delay_reason: delayReason,
        },
        "cctp message seen",
      );
      return record;
    },

    dropAbove(chain, block) {
      let n = 0;
      for (const r of [...records.values()]) {
        if (r.chain === chain && r.blockNumber > block && r.status !== "complete") {
          remove(r);
          n++;
        }
      }
      updatePending(chain);
      return n;
    },

    drop(record) {
      if (record.status === "complete") return;
      remove(record);
      updatePending(record.chain);
    },

    async sign(record, destinationHead) {
      if (record.status === "complete") return;
      let message: Hex;
      if (record.version === 1) {
        message = record.message;
      } else {
        const fast = record.speed === "fast";
        const decoded = decodeMessage(record.message);
        const amount = decoded.type === "v2" && decoded.burn ? decoded.burn.amount : 0n;
        const fields =
          decoded.burn === null
            ? {
                nonce: record.eventNonce as Hex,
                finalityThresholdExecuted: fast ? FINALITY_FAST : FINALITY_STANDARD,
              }
            : {
                nonce: record.eventNonce as Hex,
                finalityThresholdExecuted: fast ? FINALITY_FAST : FINALITY_STANDARD,
                feeExecuted: fast
                  ? feeAtRate(amount, rateOf(record.sourceDomain, record.destinationDomain))
                  : 0n,
                expirationBlock:
                  fast && settings.expirationBlocks > 0n && destinationHead !== undefined
                    ? destinationHead + settings.expirationBlocks
                    : 0n,
              };
        message = withIrisFields(record.message, fields);
      }
      const attestation = await signAttestation(message, attesterKeys);
      record.attested = { message, attestation };
      record.status = "complete";
      record.reserved = 0n; // consumed
      record.delayReason = null;
      metrics?.cctpAttestationMessagesSignedTotal.inc({
        domain: String(record.sourceDomain),
        version: String(record.version),
        speed: record.speed,
      });
      updatePending(record.chain);
      logger.info(
        {
          chain: record.chain,
          tx_hash: record.txHash,
          log_index: record.logIndex,
          version: record.version,
          speed: record.speed,
        },
        "cctp message attested",
      );
    },

    pending(chain) {
      return [...records.values()]
        .filter((r) => r.chain === chain && r.status !== "complete")
        .sort((a, b) =>
          a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1,
        );
    },

    byTransaction(sourceDomain, txHash) {
      const tx = txHash.toLowerCase();
      return [...records.values()]
        .filter((r) => r.sourceDomain === sourceDomain && r.txHash.toLowerCase() === tx)
        .sort((a, b) => a.logIndex - b.logIndex);
    },

    byNonce(sourceDomain, nonce) {
      const n = nonce.toLowerCase();
      return [...records.values()]
        .filter((r) => r.sourceDomain === sourceDomain && r.eventNonce.toLowerCase() === n)
        .sort((a, b) => a.logIndex - b.logIndex);
    },

    byV1Hash(hash) {
      const h = hash.toLowerCase();
      return [...records.values()].find((r) => r.version === 1 && r.sourceHash.toLowerCase() === h);
    },

    fees(sourceDomain, destinationDomain) {
      return [
        { finalityThreshold: FINALITY_FAST, minimumFee: bpsOf(sourceDomain, destinationDomain) },
        { finalityThreshold: FINALITY_STANDARD, minimumFee: 0 },
      ];
    },

    allowance() {
      return {
        allowance: Number(formatUnits(allowance, ALLOWANCE_DECIMALS)),
        lastUpdated: allowanceUpdated.toISOString(),
      };
    },
  };
}

/**
 * Writes ComplianceGate changes (actions/ is the only code that writes chains): batched setRecords /
 * clearRecords / setJurisdictionsBlocked, setMinKycTier and setQualifiedPartyThreshold, signed by the
 * compliance officer (COMPLIANCE_ROLE). What to change is decided elsewhere
 * (keeper/consumers/compliance/gatePlan.ts); this file only turns changes into transactions.
 */
import { type Address, type Hash, toHex } from "viem";
import { complianceGateAbi } from "../abi/index.ts";
import { UnhandledVariantError } from "../internal/errors.ts";
import type { ContractCall, ContractWriter, MinedTransaction } from "./contractWriter.ts";

/** A record as the gate stores it. */
export type GateRecordValue = {
  readonly kycTier: number;
  /** ISO 3166-1 alpha-2, upper case. */
  readonly jurisdiction: string;
  readonly qualifiedParty: boolean;
  /** Unix seconds (uint64). */
  readonly expiresAt: bigint;
};

export type GateOperationName = "mint" | "redeem" | "transfer";

/** The gate's Operation enum values. */
export const GATE_OPERATION: Readonly<Record<GateOperationName, number>> = {
  mint: 0,
  redeem: 1,
  transfer: 2,
};

/** One kind of change; the writer batches records, clears and jurisdictions by `batchSize`. */
export type GateChange =
  | {
      readonly type: "records";
      readonly entries: readonly (readonly [Address, GateRecordValue])[];
    }
  | { readonly type: "clear_records"; readonly accounts: readonly Address[] }
  | { readonly type: "jurisdictions"; readonly codes: readonly string[]; readonly blocked: boolean }
  | { readonly type: "min_tier"; readonly operation: GateOperationName; readonly tier: number }
  | { readonly type: "qp_threshold"; readonly amount: bigint };

export type GateChangeKind = GateChange["type"];

/** One mined transaction of a sync. */
export type GateWrite = MinedTransaction & { readonly change: GateChangeKind; readonly items: number };

export type ComplianceGateWriter = {
  /**
   * Sends every change to `gate` on `chainId` (batches broadcast back to back, then awaited) and
   * resolves with the mined transactions. Rejects with the first failure (ContractWriteRevertedError,
   * ContractWriteRejectedError, or the retryable ContractWriteFailedError) after the transactions
   * already broadcast were awaited, so a retry starts from a settled nonce and re-reads the gate.
   */
  apply(args: {
    readonly chainId: number;
    readonly gate: Address;
    readonly changes: readonly GateChange[];
  }): Promise<GateWrite[]>;
};

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The gate's bytes2 for an ISO code ("US" → 0x5553). */
export function jurisdictionBytes(code: string): `0x${string}` {
  return toHex(code, { size: 2 });
}

type Batch = { readonly change: GateChangeKind; readonly items: number; readonly call: ContractCall };

function batchesOf(
  chainId: number,
  gate: Address,
  changes: readonly GateChange[],
  batchSize: number,
): Batch[] {
  const call = (functionName: string, args: readonly unknown[]): ContractCall => ({
    chainId,
    address: gate,
    abi: complianceGateAbi,
    functionName,
    args,
  });
  const out: Batch[] = [];
  for (const change of changes) {
    switch (change.type) {
      case "records":
        for (const batch of chunks(change.entries, batchSize)) {
          out.push({
            change: change.type,
            items: batch.length,
            call: call("setRecords", [
              batch.map(([a]) => a),
              batch.map(([, r]) => ({
                kycTier: r.kycTier,
                jurisdiction: jurisdictionBytes(r.jurisdiction),
                qualifiedParty: r.qualifiedParty,
                expiresAt: r.expiresAt,
              })),
            ]),
          });
        }
        break;
      case "clear_records":
        for (const batch of chunks(change.accounts, batchSize)) {
          out.push({ change: change.type, items: batch.length, call: call("clearRecords", [batch]) });
        }
        break;
      case "jurisdictions":
        for (const batch of chunks(change.codes, batchSize)) {
          out.push({
            change: change.type,
            items: batch.length,
            call: call("setJurisdictionsBlocked", [batch.map(jurisdictionBytes), change.blocked]),
          });
        }
        break;
      case "min_tier":
        out.push({
          change: change.type,
          items: 1,
          call: call("setMinKycTier", [GATE_OPERATION[change.operation], change.tier]),
        });
        break;
      case "qp_threshold":
        out.push({
          change: change.type,
          items: 1,
          call: call("setQualifiedPartyThreshold", [change.amount]),
        });
        break;
      default:
        throw new UnhandledVariantError({ subject: "gate change", value: change satisfies never });
    }
  }
  return out;
}

export function createComplianceGateWriter({
  writer,
  batchSize,
  receiptTimeoutMs,
}: {
  /** Signs as the compliance officer. */
  readonly writer: ContractWriter;
  readonly batchSize: number;
  readonly receiptTimeoutMs: number;
}): ComplianceGateWriter {
  return {
    async apply({ chainId, gate, changes }) {
      const batches = batchesOf(chainId, gate, changes, batchSize);
      const sent: { batch: Batch; txHash: Hash }[] = [];
      let sendError: unknown;
      for (const batch of batches) {
        try {
          sent.push({ batch, txHash: (await writer.send(batch.call)).txHash });
        } catch (err) {
          sendError = err;
          break;
        }
      }
      const settled = await Promise.allSettled(
        sent.map(async ({ batch, txHash }) => {
          const mined = await writer.wait(batch.call, txHash, receiptTimeoutMs);
          return { ...mined, change: batch.change, items: batch.items };
        }),
      );
      const firstFailure = settled.find((s) => s.status === "rejected");
      if (firstFailure) throw firstFailure.reason;
      if (sendError !== undefined) throw sendError;
      return settled.map((s) => (s as PromiseFulfilledResult<GateWrite>).value);
    },
  };
}

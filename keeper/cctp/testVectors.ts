/** The real CCTP vectors of test/fixtures/cctp/vectors.json, typed (tests only; not exported from index.ts). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Address, Hex } from "viem";
import type { BurnMessageV1 } from "./burnMessageV1.ts";
import type { BurnMessageV2 } from "./burnMessageV2.ts";
import type { IrisFields } from "./iris.ts";
import type { MessageV1 } from "./messageV1.ts";
import type { MessageV2 } from "./messageV2.ts";

export const VECTORS_FILE = join(import.meta.dirname, "../../test/fixtures/cctp/vectors.json");

/** JSON fields: uint32 as numbers, uint64/uint256 as decimal strings, bytes as hex. */
type RawFields = {
  sourceDomain: number;
  destinationDomain: number;
  nonce: string;
  sender: Hex;
  recipient: Hex;
  destinationCaller: Hex;
  minFinalityThreshold: number;
  finalityThresholdExecuted: number;
  messageBody: Hex;
  burnToken: Hex;
  mintRecipient: Hex;
  amount: string;
  messageSender: Hex;
  maxFee: string;
  feeExecuted: string;
  expirationBlock: string;
  hookData: Hex;
};

type RawVector = {
  id: string;
  source: string;
  cctpVersion: 1 | 2;
  length: number;
  hex: Hex;
  keccak256: Hex;
  header: RawFields;
  burn: RawFields;
  addresses: Record<string, Address | null>;
};

type RawFile = {
  vectors: RawVector[];
  attestations: { id: string; message: string; attestation: Hex; threshold: number; signers: Address[] }[];
  attesterSets: Record<"circleV1" | "circleV2", { attesters: Address[]; threshold: number }>;
  pairs: {
    id: string;
    sourceMessage: string;
    attestedMessage: string;
    irisFields: {
      nonce: Hex;
      finalityThresholdExecuted: number;
      feeExecuted: string;
      expirationBlock: string;
    };
  }[];
};

export type Vector =
  | {
      readonly type: "v1";
      readonly id: string;
      readonly hex: Hex;
      readonly length: number;
      readonly keccak256: Hex;
      readonly message: MessageV1;
      readonly burn: BurnMessageV1;
      readonly addresses: Readonly<Record<string, Address | null>>;
    }
  | {
      readonly type: "v2";
      readonly id: string;
      readonly hex: Hex;
      readonly length: number;
      readonly keccak256: Hex;
      readonly message: MessageV2;
      readonly burn: BurnMessageV2;
      readonly addresses: Readonly<Record<string, Address | null>>;
    };

const raw = JSON.parse(readFileSync(VECTORS_FILE, "utf8")) as RawFile;

function toVector(v: RawVector): Vector {
  const h = v.header;
  const b = v.burn;
  const common = { id: v.id, hex: v.hex, length: v.length, keccak256: v.keccak256, addresses: v.addresses };
  if (v.cctpVersion === 1) {
    return {
      ...common,
      type: "v1",
      message: {
        version: 0,
        sourceDomain: h.sourceDomain,
        destinationDomain: h.destinationDomain,
        nonce: BigInt(h.nonce),
        sender: h.sender,
        recipient: h.recipient,
        destinationCaller: h.destinationCaller,
        messageBody: h.messageBody,
      },
      burn: {
        version: 0,
        burnToken: b.burnToken,
        mintRecipient: b.mintRecipient,
        amount: BigInt(b.amount),
        messageSender: b.messageSender,
      },
    };
  }
  return {
    ...common,
    type: "v2",
    message: {
      version: 1,
      sourceDomain: h.sourceDomain,
      destinationDomain: h.destinationDomain,
      nonce: h.nonce as Hex,
      sender: h.sender,
      recipient: h.recipient,
      destinationCaller: h.destinationCaller,
      minFinalityThreshold: h.minFinalityThreshold,
      finalityThresholdExecuted: h.finalityThresholdExecuted,
      messageBody: h.messageBody,
    },
    burn: {
      version: 1,
      burnToken: b.burnToken,
      mintRecipient: b.mintRecipient,
      amount: BigInt(b.amount),
      messageSender: b.messageSender,
      maxFee: BigInt(b.maxFee),
      feeExecuted: BigInt(b.feeExecuted),
      expirationBlock: BigInt(b.expirationBlock),
      hookData: b.hookData,
    },
  };
}

export const VECTORS: readonly Vector[] = raw.vectors.map(toVector);

export function vector(id: string): Vector {
  const found = VECTORS.find((v) => v.id === id);
  if (found === undefined) throw new Error(`no CCTP vector ${id}`);
  return found;
}

/** A V2 vector by id (throws when it is V1). */
export function v2Vector(id: string): Extract<Vector, { type: "v2" }> {
  const v = vector(id);
  if (v.type !== "v2") throw new Error(`CCTP vector ${id} is not V2`);
  return v;
}

/** V1-A's real attestation, with the attester set and the signers it recovers to. */
export const V1A_ATTESTATION = (() => {
  const a = raw.attestations.find((x) => x.id === "V1-A");
  if (a === undefined) throw new Error("no V1-A attestation");
  return {
    message: vector(a.message).hex,
    attestation: a.attestation,
    threshold: a.threshold,
    signers: a.signers,
  };
})();

export const ATTESTER_SETS = raw.attesterSets;

/** The V2-C source/attested pair and the Iris fields that turn one into the other. */
export const V2C_PAIR = (() => {
  const p = raw.pairs.find((x) => x.id === "V2-C");
  if (p === undefined) throw new Error("no V2-C pair");
  const fields: IrisFields = {
    nonce: p.irisFields.nonce,
    finalityThresholdExecuted: p.irisFields.finalityThresholdExecuted,
    feeExecuted: BigInt(p.irisFields.feeExecuted),
    expirationBlock: BigInt(p.irisFields.expirationBlock),
  };
  return { source: v2Vector(p.sourceMessage), attested: v2Vector(p.attestedMessage), fields };
})();

/**
 * CCTP attestations: verification exactly as Circle's `Attestable._verifyAttestationSignatures`
 * (shared by MessageTransmitter V1 and V2), and signing as Iris does, for a local attestation service.
 *
 * An attestation is `threshold` 65-byte signatures `r(32) || s(32) || v(1)` concatenated, over the
 * digest `keccak256(message)` (raw: no EIP-191 prefix, no EIP-712), ordered by strictly ascending
 * signer address. Verification, in Circle's order:
 * 1. `attestation.length == 65 * threshold`                              else INVALID_LENGTH
 * 2. per signature, OpenZeppelin 3.x `ECDSA.recover`: s ≤ secp256k1n/2, v ∈ {27, 28}, and a
 *    recoverable non-zero signer                                         else INVALID_SIGNATURE
 * 3. signer strictly greater than the previous one (starting at address 0) else SIGNER_ORDER
 * 4. signer is an enabled attester                                       else NOT_ATTESTER
 */
import { type Address, getAddress, type Hex, isAddress, keccak256, recoverAddress } from "viem";
import { privateKeyToAddress, sign } from "viem/accounts";
import { InvalidArgumentError } from "../internal/errors.ts";
import { parseHex, readHex, readUint } from "./hex.ts";

/** Bytes per attester signature (`Attestable.signatureLength`). */
export const ATTESTATION_SIGNATURE_LENGTH = 65;

/** secp256k1 n / 2: OpenZeppelin's ECDSA rejects a larger s (signature malleability). */
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/**
 * Circle's production attester sets, recovered from real attestations (V1: the V1-A vector in
 * test/fixtures/cctp/vectors.json; V2: a Base → Ethereum mainnet attestation). Circle can rotate
 * attesters: read `getEnabledAttester` / `signatureThreshold` on chain before relying on these.
 */
export const CIRCLE_ATTESTERS = {
  v1: {
    attesters: ["0xb0Ea8E1bE37F346C7EA7ec708834D0db18A17361", "0xE2fEfe09E74b921CbbFF229E7cD40009231501CA"],
    threshold: 2,
  },
  v2: {
    attesters: ["0x52Ed4cBff8DcE6A19748043F3240ec03c834bCeF", "0x725b06F73ff761eF5390e39315e2BfbF60d33F96"],
    threshold: 2,
  },
} as const satisfies Record<string, { attesters: readonly Address[]; threshold: number }>;

/** Why an attestation is invalid; the first failing check wins, as on chain. */
export type AttestationFailureReason =
  | "INVALID_LENGTH"
  | "INVALID_SIGNATURE"
  | "SIGNER_ORDER"
  | "NOT_ATTESTER";

/** What each reason means (and the revert string Circle's contract gives for it). */
export const ATTESTATION_FAILURE_REASONS: Readonly<Record<AttestationFailureReason, string>> = {
  INVALID_LENGTH: 'the attestation is not exactly 65 × threshold bytes ("Invalid attestation length")',
  INVALID_SIGNATURE:
    'a signature has v other than 27/28, a high s, or recovers no signer ("ECDSA: invalid signature …")',
  SIGNER_ORDER:
    'a signer is not above the previous one: out of order or duplicated ("Invalid signature order or dupe")',
  NOT_ATTESTER: 'a signer is not an enabled attester ("Invalid signature: not attester")',
};

export type AttestationVerification =
  | {
      readonly valid: true;
      /** keccak256(message), the signed digest. */
      readonly digest: Hex;
      /** The recovered signers, strictly ascending. */
      readonly signers: readonly Address[];
    }
  | {
      readonly valid: false;
      readonly digest: Hex;
      readonly reason: AttestationFailureReason;
      /** One sentence naming the failing signature and value. */
      readonly detail: string;
      /** The signers accepted before the failure, ascending. */
      readonly signers: readonly Address[];
      /** Index of the failing signature; undefined for INVALID_LENGTH. */
      readonly index: number | undefined;
      /** The signer the failing signature recovered to (SIGNER_ORDER, NOT_ATTESTER). */
      readonly recovered: Address | undefined;
    };

export type VerifyAttestationArgs = {
  /** The attested message bytes (0x hex). For V2: Iris's message, not the source log's. */
  readonly message: string;
  /** The concatenated signatures (0x hex). */
  readonly attestation: string;
  /** The enabled attesters of the destination MessageTransmitter. */
  readonly attesters: readonly string[];
  /** The destination MessageTransmitter's signatureThreshold (≥ 1, ≤ number of attesters). */
  readonly threshold: number;
};

/**
 * Verifies an attestation as the destination MessageTransmitter would. Malformed hex throws a
 * CctpDecodeError and bad attesters / threshold an InvalidArgumentError; everything the contract
 * would revert on is a `{ valid: false, reason }` result.
 */
export async function verifyAttestation({
  message,
  attestation,
  attesters,
  threshold,
}: VerifyAttestationArgs): Promise<AttestationVerification> {
  const enabled = attesterSet(attesters);
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > enabled.size) {
    throw new InvalidArgumentError({
      name: "threshold",
      reason: `must be an integer from 1 to the number of attesters (${enabled.size})`,
      value: threshold,
    });
  }
  const digest = keccak256(parseHex(message, "message"));
  const sigs = parseHex(attestation, "attestation");
  const signers: Address[] = [];
  const fail = (
    reason: AttestationFailureReason,
    detail: string,
    index?: number,
    recovered?: Address,
  ): AttestationVerification => ({ valid: false, digest, reason, detail, signers, index, recovered });

  const expected = ATTESTATION_SIGNATURE_LENGTH * threshold;
  if (sigs.length !== expected) {
    return fail(
      "INVALID_LENGTH",
      `The attestation is ${sigs.length} bytes, expected ${expected} (65 bytes × threshold ${threshold}).`,
    );
  }
  let latest = 0n;
  for (let i = 0; i < threshold; i++) {
    const at = i * ATTESTATION_SIGNATURE_LENGTH;
    const s = readUint(sigs, at + 32, 32);
    const v = sigs[at + 64] ?? 0;
    if (s > HALF_N) {
      return fail(
        "INVALID_SIGNATURE",
        `Signature ${i} has a high s value, which ECDSA rejects as malleable.`,
        i,
      );
    }
    if (v !== 27 && v !== 28) {
      return fail("INVALID_SIGNATURE", `Signature ${i} has v = ${v}, expected 27 or 28.`, i);
    }
    let recovered: Address;
    try {
      recovered = getAddress(await recoverAddress({ hash: digest, signature: readHex(sigs, at, 65) }));
    } catch {
      return fail("INVALID_SIGNATURE", `Signature ${i} recovers no signer.`, i);
    }
    const value = BigInt(recovered);
    if (value === 0n) return fail("INVALID_SIGNATURE", `Signature ${i} recovers no signer.`, i);
    if (value <= latest) {
      const previous = signers[signers.length - 1];
      const detail =
        value === latest
          ? `Signature ${i} repeats signer ${recovered}; each attester may sign once.`
          : `Signature ${i} recovers ${recovered}, below the previous signer ${previous}; signatures must be sorted by ascending signer address.`;
      return fail("SIGNER_ORDER", detail, i, recovered);
    }
    if (!enabled.has(recovered)) {
      return fail(
        "NOT_ATTESTER",
        `Signature ${i} recovers ${recovered}, which is not an enabled attester.`,
        i,
        recovered,
      );
    }
    signers.push(recovered);
    latest = value;
  }
  return { valid: true, digest, signers };
}

function attesterSet(attesters: readonly string[]): Set<Address> {
  const set = new Set<Address>();
  attesters.forEach((a, i) => {
    if (typeof a !== "string" || !isAddress(a, { strict: true })) {
      throw new InvalidArgumentError({
        name: `attesters[${i}]`,
        reason: "is not an EVM address (mixed case must be a valid checksum)",
        value: String(a),
      });
    }
    set.add(getAddress(a));
  });
  return set;
}

/**
 * Signs `message` as an attester set would: each key signs keccak256(message) raw (low-s, v 27/28),
 * the signatures are sorted by ascending signer address and concatenated. For the local devnet
 * attestation service and tests; keys never appear in errors. Throws an InvalidArgumentError for no
 * keys, a malformed key, or the same key twice (the contract rejects duplicate signers).
 */
export async function signAttestation(message: string, privateKeys: readonly Hex[]): Promise<Hex> {
  if (privateKeys.length === 0) {
    throw new InvalidArgumentError({ name: "privateKeys", reason: "must hold at least one key" });
  }
  const digest = keccak256(parseHex(message, "message"));
  const signed: { signer: bigint; signature: Hex }[] = [];
  for (const [i, privateKey] of privateKeys.entries()) {
    const name = `privateKeys[${i}]`;
    let signer: Address;
    let signature: Hex;
    try {
      if (typeof privateKey !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(privateKey)) throw new Error("shape");
      signer = privateKeyToAddress(privateKey);
      signature = await sign({ hash: digest, privateKey, to: "hex" });
    } catch {
      // Never chain the cause: a library error may quote the key.
      throw new InvalidArgumentError({
        name,
        reason: "is not a 32-byte secp256k1 private key (0x + 64 hex digits)",
      });
    }
    const value = BigInt(signer);
    const twin = signed.findIndex((s) => s.signer === value);
    if (twin !== -1) {
      throw new InvalidArgumentError({
        name,
        reason: `signs as ${signer}, like an earlier key; each attester may sign once`,
      });
    }
    signed.push({ signer: value, signature });
  }
  signed.sort((a, b) => (a.signer < b.signer ? -1 : 1));
  return `0x${signed.map((s) => s.signature.slice(2)).join("")}`;
}

import fc from "fast-check";
import { getAddress, type Hex, keccak256, recoverAddress } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../internal/errors.ts";
import {
  type AttestationVerification,
  CIRCLE_ATTESTERS,
  signAttestation,
  verifyAttestation,
} from "./attestation.ts";
import { CctpDecodeError } from "./errors.ts";
import { arbDynamicBytes } from "./testArbitraries.ts";
import { ATTESTER_SETS, V1A_ATTESTATION, V2C_PAIR } from "./testVectors.ts";

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const { message, attestation, signers: V1_SIGNERS } = V1A_ATTESTATION;
const V1 = ATTESTER_SETS.circleV1;
const sig = (i: number, att: Hex = attestation): string => att.slice(2 + 130 * i, 2 + 130 * (i + 1));
const join = (...parts: string[]): Hex => `0x${parts.join("")}`;

/** Local test keys (never used anywhere real). */
const KEYS: Hex[] = [`0x${"11".repeat(32)}`, `0x${"22".repeat(32)}`, `0x${"33".repeat(32)}`];
const LOCAL = KEYS.map((k) => privateKeyToAddress(k));

function failure(result: AttestationVerification) {
  if (result.valid) throw new Error("expected an invalid attestation");
  return result;
}

async function rejected(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

describe("verifyAttestation: the real V1-A attestation", () => {
  it("verifies with Circle's two V1 attesters and recovers them in ascending order", async () => {
    const result = await verifyAttestation({ message, attestation, attesters: V1.attesters, threshold: 2 });
    expect(result).toEqual({
      valid: true,
      digest: "0xfb4cba08f747381ec1577376786ff22454a04d83601082807f38024f6591655c",
      signers: V1_SIGNERS,
    });
    expect(CIRCLE_ATTESTERS.v1.attesters).toEqual(V1.attesters);
    expect(CIRCLE_ATTESTERS.v2.attesters).toEqual(ATTESTER_SETS.circleV2.attesters);
  });

  it("accepts lowercase attester addresses", async () => {
    const attesters = V1.attesters.map((a) => a.toLowerCase());
    expect((await verifyAttestation({ message, attestation, attesters, threshold: 2 })).valid).toBe(true);
  });

  it("INVALID_LENGTH: a truncated attestation", async () => {
    const r = failure(
      await verifyAttestation({
        message,
        attestation: attestation.slice(0, -2) as Hex,
        attesters: V1.attesters,
        threshold: 2,
      }),
    );
    expect(r).toMatchObject({ reason: "INVALID_LENGTH", signers: [], index: undefined });
    expect(r.detail).toBe("The attestation is 129 bytes, expected 130 (65 bytes × threshold 2).");
  });

  it("INVALID_LENGTH: threshold 1 with 2 signatures", async () => {
    const r = failure(
      await verifyAttestation({ message, attestation, attesters: V1.attesters, threshold: 1 }),
    );
    expect(r).toMatchObject({ reason: "INVALID_LENGTH" });
    expect(r.detail).toContain("expected 65");
  });

  it("SIGNER_ORDER: signatures swapped", async () => {
    const swapped = join(sig(1), sig(0));
    const r = failure(
      await verifyAttestation({ message, attestation: swapped, attesters: V1.attesters, threshold: 2 }),
    );
    expect(r).toMatchObject({
      reason: "SIGNER_ORDER",
      index: 1,
      signers: [V1_SIGNERS[1]],
      recovered: V1_SIGNERS[0],
    });
    expect(r.detail).toContain("ascending");
  });

  it("SIGNER_ORDER: the same signature twice", async () => {
    const dupe = join(sig(0), sig(0));
    const r = failure(
      await verifyAttestation({ message, attestation: dupe, attesters: V1.attesters, threshold: 2 }),
    );
    expect(r).toMatchObject({
      reason: "SIGNER_ORDER",
      index: 1,
      signers: [V1_SIGNERS[0]],
      recovered: V1_SIGNERS[0],
    });
    expect(r.detail).toContain("repeats");
  });

  it("NOT_ATTESTER: the wrong attester set (Circle's V2 attesters)", async () => {
    const r = failure(
      await verifyAttestation({
        message,
        attestation,
        attesters: ATTESTER_SETS.circleV2.attesters,
        threshold: 2,
      }),
    );
    expect(r).toMatchObject({ reason: "NOT_ATTESTER", index: 0, signers: [], recovered: V1_SIGNERS[0] });
  });

  it("NOT_ATTESTER: one flipped byte of the message", async () => {
    const tampered = `${message.slice(0, -2)}${message.endsWith("00") ? "01" : "00"}` as Hex;
    const r = failure(
      await verifyAttestation({ message: tampered, attestation, attesters: V1.attesters, threshold: 2 }),
    );
    expect(r).toMatchObject({ reason: "NOT_ATTESTER", index: 0, signers: [] });
    expect(r.recovered).not.toBe(V1_SIGNERS[0]);
  });

  it("INVALID_SIGNATURE: the high-s twin of a valid signature (same signer, malleable)", async () => {
    const s = BigInt(`0x${sig(0).slice(64, 128)}`);
    const v = Number.parseInt(sig(0).slice(128), 16);
    const twin = `${sig(0).slice(0, 64)}${(N - s).toString(16).padStart(64, "0")}${(v === 27 ? 28 : 27).toString(16)}`;
    // The twin does recover the same attester: only the low-s rule rejects it.
    const recovered = await recoverAddress({ hash: keccak256(message), signature: `0x${twin}` });
    expect(getAddress(recovered)).toBe(V1_SIGNERS[0]);
    const r = failure(
      await verifyAttestation({
        message,
        attestation: join(twin, sig(1)),
        attesters: V1.attesters,
        threshold: 2,
      }),
    );
    expect(r).toMatchObject({ reason: "INVALID_SIGNATURE", index: 0, signers: [] });
    expect(r.detail).toContain("high s");
  });

  it("INVALID_SIGNATURE: v other than 27 or 28 (29, and the 0/1 form OZ 3.x rejects)", async () => {
    for (const v of ["1d", "00", "01"]) {
      const bad = join(sig(0), `${sig(1).slice(0, 128)}${v}`);
      const r = failure(
        await verifyAttestation({ message, attestation: bad, attesters: V1.attesters, threshold: 2 }),
      );
      expect(r).toMatchObject({ reason: "INVALID_SIGNATURE", index: 1, signers: [V1_SIGNERS[0]] });
      expect(r.detail).toBe(`Signature 1 has v = ${Number.parseInt(v, 16)}, expected 27 or 28.`);
    }
  });

  it("INVALID_SIGNATURE: an unrecoverable signature (r = 0)", async () => {
    const bad = join(`${"00".repeat(32)}${sig(0).slice(64)}`, sig(1));
    const r = failure(
      await verifyAttestation({ message, attestation: bad, attesters: V1.attesters, threshold: 2 }),
    );
    expect(r).toMatchObject({
      reason: "INVALID_SIGNATURE",
      index: 0,
      detail: "Signature 0 recovers no signer.",
    });
  });

  it("throws on malformed hex and impossible arguments instead of answering", async () => {
    expect(
      await rejected(
        verifyAttestation({ message, attestation: "0x123", attesters: V1.attesters, threshold: 2 }),
      ),
    ).toBeInstanceOf(CctpDecodeError);
    expect(
      await rejected(
        verifyAttestation({ message: "zz", attestation, attesters: V1.attesters, threshold: 2 }),
      ),
    ).toMatchObject({ field: "message" });
    for (const threshold of [0, 1.5, 3]) {
      expect(
        await rejected(verifyAttestation({ message, attestation, attesters: V1.attesters, threshold })),
      ).toBeInstanceOf(InvalidArgumentError);
    }
    const e = await rejected(
      verifyAttestation({
        message,
        attestation,
        attesters: [V1.attesters[0] as string, "0x1234"],
        threshold: 2,
      }),
    );
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toContain("attesters[1]");
  });
});

describe("signAttestation", () => {
  it("signs keccak256(message) raw with each key, sorted by ascending signer, and verifies", async () => {
    const attested = V2C_PAIR.attested.hex;
    const att = await signAttestation(attested, KEYS);
    expect((att.length - 2) / 2).toBe(3 * 65);
    for (let i = 0; i < 3; i++)
      expect(["1b", "1c"]).toContain(att.slice(2 + 130 * i + 128, 2 + 130 * (i + 1)));
    const sorted = [...LOCAL].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    expect(
      await verifyAttestation({ message: attested, attestation: att, attesters: LOCAL, threshold: 3 }),
    ).toMatchObject({ valid: true, signers: sorted });
    // Key order does not matter.
    expect(await signAttestation(attested, [...KEYS].reverse())).toBe(att);
  });

  it("round-trips for any message and any 2 of 3 local attesters", async () => {
    await fc.assert(
      fc.asyncProperty(
        arbDynamicBytes(0, 400),
        fc.subarray([0, 1, 2], { minLength: 2, maxLength: 2 }),
        async (msg, pick) => {
          const att = await signAttestation(
            msg,
            pick.map((i) => KEYS[i] as Hex),
          );
          const result = await verifyAttestation({
            message: msg,
            attestation: att,
            attesters: LOCAL,
            threshold: 2,
          });
          expect(result.valid).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("a signature over the source bytes does not verify the attested bytes (V2 must relay Iris's message)", async () => {
    const att = await signAttestation(V2C_PAIR.source.hex, KEYS.slice(0, 2));
    const r = failure(
      await verifyAttestation({
        message: V2C_PAIR.attested.hex,
        attestation: att,
        attesters: LOCAL,
        threshold: 2,
      }),
    );
    expect(r.reason).toBe("NOT_ATTESTER");
  });

  it("refuses no keys, duplicate keys and malformed keys without quoting them", async () => {
    expect(await rejected(signAttestation(message, []))).toBeInstanceOf(InvalidArgumentError);
    const dupe = await rejected(signAttestation(message, [KEYS[0] as Hex, KEYS[0] as Hex]));
    expect((dupe as Error).message).toContain("privateKeys[1]");
    const secret = `0x${"ab".repeat(31)}` as Hex;
    const bad = (await rejected(signAttestation(message, [KEYS[0] as Hex, secret]))) as InvalidArgumentError;
    expect(bad).toBeInstanceOf(InvalidArgumentError);
    expect(bad.message).toContain("privateKeys[1]");
    expect(bad.message).not.toContain("abab");
    expect(bad.cause).toBeUndefined();
    const zero = (await rejected(signAttestation(message, [`0x${"00".repeat(32)}`]))) as Error;
    expect(zero).toBeInstanceOf(InvalidArgumentError);
  });
});

import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Address, type Hex, hashTypedData, recoverTypedDataAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashReason, hashUnpause, hashUpdateSigners } from "../internal/breakerTypedData.ts";
import { AdminFileError } from "./errors.ts";
import {
  type BreakerRequest,
  digestOf,
  parseDuration,
  parseRequestDocument,
  parseSignatureDocument,
  readRequestFile,
  requestDocument,
  signatureDocument,
  signerSetProblems,
  signRequest,
  writeNewFile,
} from "./requests.ts";

const breaker = "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707" as Address;
const s1 = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65" as Address;
const s2 = "0x976EA74026E726554dB657fA54763abd0C3a0aa9" as Address;
const s3 = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc" as Address;

const unpause: BreakerRequest = {
  kind: "unpause",
  asset: "dusd",
  chain: "home",
  chainId: 31337,
  breaker,
  nonce: 7n,
  deadline: 1_800_000_000n,
  reason: "reserves restored — attested by auditor ✓",
  preparedAt: "2025-06-01T00:00:00.000Z",
  current: { signers: [s1, s2, s3], threshold: 2 },
};
const rotate: BreakerRequest = {
  ...unpause,
  kind: "updateSigners",
  newSigners: [s1, s3],
  newThreshold: 2,
  reason: "retire signer 2",
};

const roundTrip = (r: BreakerRequest) =>
  parseRequestDocument(JSON.parse(JSON.stringify(requestDocument(r))), "r.json");

function expectFileError(fn: () => unknown, reason: RegExp) {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(AdminFileError);
  expect((caught as AdminFileError).shortMessage).toMatch(reason);
}

describe("request documents", () => {
  it("round-trip both kinds, with the digests of breakerTypedData", () => {
    expect(roundTrip(unpause)).toEqual(unpause);
    expect(roundTrip(rotate)).toEqual(rotate);
    expect(digestOf(unpause)).toBe(
      hashUnpause({
        breaker,
        chainId: 31337,
        nonce: 7n,
        deadline: 1_800_000_000n,
        reasonHash: hashReason(unpause.reason),
      }),
    );
    expect(digestOf(rotate)).toBe(
      hashUpdateSigners({
        breaker,
        chainId: 31337,
        nonce: 7n,
        deadline: 1_800_000_000n,
        signers: [s1, s3],
        threshold: 2n,
      }),
    );
  });

  it("carries domain, types, message and digest in eth_signTypedData_v4 form: other signers get the same digest", async () => {
    for (const r of [unpause, rotate]) {
      const doc = requestDocument(r);
      expect(doc.typedData.domain).toEqual({
        name: "ReserveCircuitBreaker",
        version: "1",
        chainId: 31337,
        verifyingContract: breaker,
      });
      expect(doc).toMatchObject({ chainId: 31337, breaker, reason: r.reason, digest: digestOf(r) });
      const { EIP712Domain: _domain, ...types } = doc.typedData.types;
      const message = JSON.parse(JSON.stringify(doc.typedData.message));
      const external = {
        domain: doc.typedData.domain,
        types,
        primaryType: doc.typedData.primaryType,
        message,
      };
      expect(hashTypedData(external as never)).toBe(doc.digest);
      const account = privateKeyToAccount(`0x${"11".repeat(32)}` as Hex);
      const signed = await signRequest(account, r);
      const recovered = await recoverTypedDataAddress({
        ...(external as Parameters<typeof hashTypedData>[0]),
        signature: signed.signature,
      });
      expect(recovered).toBe(account.address);
    }
  });

  it("refuses an edited file: reason, nonce, typed data, digest, reasonHash", () => {
    const doc = () => JSON.parse(JSON.stringify(requestDocument(unpause)));
    const reason = doc();
    reason.reason = "something else";
    expectFileError(
      () => parseRequestDocument(reason, "r.json"),
      /reasonHash is not the keccak256 of reason/,
    );
    const reason2 = doc();
    reason2.reason = "something else";
    delete reason2.reasonHash;
    expectFileError(() => parseRequestDocument(reason2, "r.json"), /typedData does not match/);
    const nonce = doc();
    nonce.nonce = "8";
    expectFileError(() => parseRequestDocument(nonce, "r.json"), /typedData does not match/);
    const typed = doc();
    typed.typedData.domain.chainId = 1;
    expectFileError(() => parseRequestDocument(typed, "r.json"), /typedData does not match/);
    const digest = doc();
    digest.digest = `0x${"00".repeat(32)}`;
    expectFileError(() => parseRequestDocument(digest, "r.json"), /digest 0x0+ is not the EIP-712 digest/);
    const extra = doc();
    extra.newSigners = [s1];
    expectFileError(() => parseRequestDocument(extra, "r.json"), /must not carry newSigners/);
  });

  it("refuses malformed documents naming the field, and a signature file given as a request", () => {
    expectFileError(() => parseRequestDocument({ format: "x" }, "r.json"), /field format is invalid/);
    const bad = JSON.parse(JSON.stringify(requestDocument(unpause)));
    bad.breaker = "0x1234";
    expectFileError(() => parseRequestDocument(bad, "r.json"), /field breaker is invalid/);
    const sigDoc = signatureDocument({
      kind: "unpause",
      asset: "dusd",
      chainId: 31337,
      breaker,
      nonce: 7n,
      digest: digestOf(unpause),
      signer: s1,
      signature: "0x00",
      signedAt: "2025-06-01T00:00:00Z",
    });
    expectFileError(() => parseRequestDocument(sigDoc, "s.json"), /is a signature file, not a request file/);
    expectFileError(() => parseSignatureDocument(requestDocument(unpause), "r.json"), /is a request file/);
    expect(parseSignatureDocument(JSON.parse(JSON.stringify(sigDoc)), "s.json")).toMatchObject({
      nonce: 7n,
      signer: s1,
      digest: digestOf(unpause),
    });
  });

  it("refuses an invalid new signer set", () => {
    const doc = JSON.parse(JSON.stringify(requestDocument(rotate)));
    doc.newSigners = [s3, s1];
    expectFileError(() => parseRequestDocument(doc, "r.json"), /has .* twice|invalid/);
    expect(signerSetProblems([s1, s3], 3)).toEqual([
      "the threshold must be from 1 to 2 (the set size), got 3",
    ]);
    expect(signerSetProblems([], 1)[0]).toMatch(/1 to 16 addresses, got 0/);
    expect(signerSetProblems([s1, s1], 1)).toEqual([`the signer set has ${s1} twice`]);
    expect(signerSetProblems(["0x0000000000000000000000000000000000000000"], 1)[0]).toMatch(/zero address/);
    expect(signerSetProblems([s1, s2, s3], 2)).toEqual([]);
  });
});

describe("parseDuration", () => {
  it("reads seconds, minutes, hours and days", () => {
    expect(parseDuration("90")).toBe(90n);
    expect(parseDuration("90s")).toBe(90n);
    expect(parseDuration("15m")).toBe(900n);
    expect(parseDuration("24h")).toBe(86_400n);
    expect(parseDuration("7d")).toBe(604_800n);
    for (const bad of ["", "1.5h", "-1", "1w", "h"]) expect(parseDuration(bad)).toBeUndefined();
  });
});

describe("files", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "rk-admin-files-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("never overwrites without force, and reads requests back", async () => {
    const path = join(dir, "r.json");
    await writeNewFile(path, JSON.stringify(requestDocument(unpause)));
    await expect(writeNewFile(path, "{}")).rejects.toThrow(/already exists \(pass --force/);
    expect(await readRequestFile(path)).toEqual(unpause);
    await writeNewFile(path, "not json", { force: true });
    await expect(readRequestFile(path)).rejects.toThrow(/is not valid JSON/);
    await expect(readRequestFile(join(dir, "missing.json"))).rejects.toThrow(/cannot be read \(ENOENT\)/);
    await writeNewFile(join(dir, "secret.json"), "{}", { mode: 0o600 });
    expect((await stat(join(dir, "secret.json"))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, "secret.json"), "utf8")).toBe("{}");
  });
});

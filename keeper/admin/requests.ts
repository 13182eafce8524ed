/**
 * The files M-of-N admins pass around: a signed-request file (`prepare`/`propose` write it, every
 * signer reads it offline) and a signature file per signer (`sign` writes it, `submit` reads them).
 *
 * The request's top-level fields (kind, breaker, chainId, nonce, deadline, reason, new signer set) are
 * the source of truth and what the signer is shown. The file also carries the full EIP-712 typed data
 * (eth_signTypedData_v4 form, usable by other signers) and its digest; both are recomputed from the
 * top-level fields on every read, and a file whose typed data or digest differs is refused as
 * tampered. Nothing here touches the network.
 */
import { readFile, writeFile } from "node:fs/promises";
import { isDeepStrictEqual } from "node:util";
import { type Address, getAddress, type Hex, isAddress, type LocalAccount } from "viem";
import { z } from "zod";
import {
  hashReason,
  hashUnpause,
  hashUpdateSigners,
  type SignedRequest,
  signUnpause,
  signUpdateSigners,
  unpauseTypedData,
  updateSignersTypedData,
} from "../internal/breakerTypedData.ts";
import { AdminFileError } from "./errors.ts";

export const REQUEST_FORMAT = "reserve-keeper/breaker-request";
export const SIGNATURE_FORMAT = "reserve-keeper/breaker-signature";
export const FILE_VERSION = 1;

/** Largest signer set the breaker accepts (ReserveCircuitBreaker.MAX_SIGNERS). */
export const MAX_SIGNERS = 16;
/** Longest operator reason accepted (bytes of UTF-8). */
export const MAX_REASON_BYTES = 1_000;

export type RequestKind = "unpause" | "updateSigners";

type RequestCommon = {
  readonly asset: string;
  /** Config chain name (for humans and to find the RPC). */
  readonly chain: string;
  readonly chainId: number;
  readonly breaker: Address;
  readonly nonce: bigint;
  /** Last block timestamp (unix seconds) at which the request is valid. */
  readonly deadline: bigint;
  /** Human-readable reason; for unpause its keccak256 is signed, for updateSigners it is a note. */
  readonly reason: string;
  /** ISO time of `prepare`. */
  readonly preparedAt: string;
  /** The breaker's signer set and threshold when the request was prepared (informational). */
  readonly current: { readonly signers: readonly Address[]; readonly threshold: number };
};

export type UnpauseBreakerRequest = RequestCommon & { readonly kind: "unpause" };
export type UpdateSignersBreakerRequest = RequestCommon & {
  readonly kind: "updateSigners";
  /** The new set, strictly ascending. */
  readonly newSigners: readonly Address[];
  readonly newThreshold: number;
};
export type BreakerRequest = UnpauseBreakerRequest | UpdateSignersBreakerRequest;

/** One signer's signature over a request's digest. */
export type BreakerSignature = {
  readonly kind: RequestKind;
  readonly asset: string;
  readonly chainId: number;
  readonly breaker: Address;
  readonly nonce: bigint;
  readonly digest: Hex;
  readonly signer: Address;
  readonly signature: Hex;
  readonly signedAt: string;
};

// ---------------------------------------------------------------------------------------------
// Typed data and digests (keeper/internal/breakerTypedData.ts)
// ---------------------------------------------------------------------------------------------

function unpauseInput(r: UnpauseBreakerRequest) {
  return {
    breaker: r.breaker,
    chainId: r.chainId,
    nonce: r.nonce,
    deadline: r.deadline,
    reasonHash: hashReason(r.reason),
  };
}

function updateSignersInput(r: UpdateSignersBreakerRequest) {
  return {
    breaker: r.breaker,
    chainId: r.chainId,
    nonce: r.nonce,
    deadline: r.deadline,
    signers: r.newSigners,
    threshold: BigInt(r.newThreshold),
  };
}

/** The viem typed data of a request (bigints). */
export function typedDataOf(r: BreakerRequest) {
  return r.kind === "unpause"
    ? unpauseTypedData(unpauseInput(r))
    : updateSignersTypedData(updateSignersInput(r));
}

/** The EIP-712 digest the breaker's unpauseDigest / updateSignersDigest returns for the request. */
export function digestOf(r: BreakerRequest): Hex {
  return r.kind === "unpause" ? hashUnpause(unpauseInput(r)) : hashUpdateSigners(updateSignersInput(r));
}

/** Signs the request with one (local, offline) account. */
export function signRequest(account: LocalAccount, r: BreakerRequest): Promise<SignedRequest> {
  return r.kind === "unpause"
    ? signUnpause(account, unpauseInput(r))
    : signUpdateSigners(account, updateSignersInput(r));
}

const EIP712_DOMAIN_TYPE = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
];

/** JSON form of the typed data (eth_signTypedData_v4: EIP712Domain in types, uint256 as decimal strings). */
export function typedDataJson(r: BreakerRequest) {
  const td = typedDataOf(r);
  const message = Object.fromEntries(
    Object.entries(td.message).map(([k, v]) => [k, typeof v === "bigint" ? v.toString(10) : v]),
  );
  return {
    domain: {
      name: td.domain.name,
      version: td.domain.version,
      chainId: Number(td.domain.chainId),
      verifyingContract: td.domain.verifyingContract,
    },
    types: { EIP712Domain: EIP712_DOMAIN_TYPE, ...td.types },
    primaryType: td.primaryType,
    message,
  };
}

// ---------------------------------------------------------------------------------------------
// Validation helpers
// ---------------------------------------------------------------------------------------------

/** Problems of a new signer set + threshold (empty when valid); the set must already be sorted. */
export function signerSetProblems(signers: readonly Address[], threshold: number): string[] {
  const problems: string[] = [];
  if (signers.length === 0 || signers.length > MAX_SIGNERS) {
    problems.push(`the signer set must have 1 to ${MAX_SIGNERS} addresses, got ${signers.length}`);
  }
  let previous = 0n;
  for (const s of signers) {
    const value = BigInt(s);
    if (value === 0n) problems.push("the signer set must not contain the zero address");
    else if (value <= previous) problems.push(`the signer set has ${s} twice`);
    previous = value;
  }
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > signers.length) {
    problems.push(`the threshold must be from 1 to ${signers.length} (the set size), got ${threshold}`);
  }
  return problems;
}

/** Duration like `90s`, `15m`, `24h`, `7d` or plain seconds → seconds; undefined when malformed. */
export function parseDuration(text: string): bigint | undefined {
  const m = /^([0-9]{1,9})(s|m|h|d)?$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { s: 1n, m: 60n, h: 3_600n, d: 86_400n }[(m[2] ?? "s") as "s" | "m" | "h" | "d"];
  return BigInt(m[1]!) * unit;
}

/** `2025-01-02T03:04:05Z` of a unix-seconds timestamp. */
export function isoOf(seconds: bigint): string {
  const ms = Number(seconds) * 1_000;
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15
    ? new Date(ms).toISOString().replace(/\.000Z$/, "Z")
    : "(out of range)";
}

// ---------------------------------------------------------------------------------------------
// Documents (JSON)
// ---------------------------------------------------------------------------------------------

const addressField = z
  .string()
  .refine((v) => isAddress(v, { strict: false }), { error: "expected a 20-byte 0x-prefixed hex address" })
  .transform((v) => getAddress(v));
const uintField = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,77})$/, { error: "expected a non-negative decimal integer string" })
  .transform((v) => BigInt(v));
const hexField = (bytes: number) =>
  z
    .string()
    .regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`), {
      error: `expected ${bytes} bytes of 0x-prefixed hex`,
    })
    .transform((v) => v.toLowerCase() as Hex);

const requestDocSchema = z.strictObject({
  format: z.literal(REQUEST_FORMAT),
  version: z.literal(FILE_VERSION),
  kind: z.enum(["unpause", "updateSigners"]),
  asset: z.string().min(1).max(64),
  chain: z.string().min(1).max(64),
  chainId: z.int().positive(),
  breaker: addressField,
  reason: z.string().min(1),
  reasonHash: hexField(32).optional(),
  nonce: uintField,
  deadline: uintField,
  deadlineIso: z.string(),
  preparedAt: z.string(),
  current: z.strictObject({ signers: z.array(addressField), threshold: z.int().min(0) }),
  newSigners: z.array(addressField).optional(),
  newThreshold: z.int().optional(),
  typedData: z.unknown(),
  digest: hexField(32),
});

const signatureDocSchema = z.strictObject({
  format: z.literal(SIGNATURE_FORMAT),
  version: z.literal(FILE_VERSION),
  kind: z.enum(["unpause", "updateSigners"]),
  asset: z.string().min(1).max(64),
  chainId: z.int().positive(),
  breaker: addressField,
  nonce: uintField,
  digest: hexField(32),
  signer: addressField,
  signature: z.string().regex(/^0x[0-9a-fA-F]*$/, { error: "expected 0x-prefixed hex" }),
  signedAt: z.string(),
});

/** The JSON document of a request file. */
export function requestDocument(r: BreakerRequest) {
  return {
    format: REQUEST_FORMAT,
    version: FILE_VERSION,
    kind: r.kind,
    asset: r.asset,
    chain: r.chain,
    chainId: r.chainId,
    breaker: r.breaker,
    reason: r.reason,
    ...(r.kind === "unpause" ? { reasonHash: hashReason(r.reason) } : {}),
    nonce: r.nonce.toString(10),
    deadline: r.deadline.toString(10),
    deadlineIso: isoOf(r.deadline),
    preparedAt: r.preparedAt,
    current: { signers: [...r.current.signers], threshold: r.current.threshold },
    ...(r.kind === "updateSigners" ? { newSigners: [...r.newSigners], newThreshold: r.newThreshold } : {}),
    typedData: typedDataJson(r),
    digest: digestOf(r),
  };
}

/** The JSON document of a signature file. */
export function signatureDocument(s: BreakerSignature) {
  return {
    format: SIGNATURE_FORMAT,
    version: FILE_VERSION,
    kind: s.kind,
    asset: s.asset,
    chainId: s.chainId,
    breaker: s.breaker,
    nonce: s.nonce.toString(10),
    digest: s.digest,
    signer: s.signer,
    signature: s.signature,
    signedAt: s.signedAt,
  };
}

function zodReason(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "is invalid";
  const where = issue.path.length === 0 ? "(root)" : issue.path.join(".");
  return `field ${where} is invalid: ${issue.message}`;
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AdminFileError({ path, reason: "is not valid JSON" });
  }
}

/**
 * Parses and checks a request document: shape, reason hash, a valid new signer set, and typed data +
 * digest equal to what the top-level fields give (else the file was edited: refused).
 */
export function parseRequestDocument(value: unknown, path: string): BreakerRequest {
  const parsed = requestDocSchema.safeParse(value);
  if (!parsed.success) {
    const doc = value as { format?: unknown } | null;
    if (doc && typeof doc === "object" && doc.format === SIGNATURE_FORMAT) {
      throw new AdminFileError({ path, reason: "is a signature file, not a request file" });
    }
    throw new AdminFileError({ path, reason: `is not a breaker request file: ${zodReason(parsed.error)}` });
  }
  const d = parsed.data;
  const common = {
    asset: d.asset,
    chain: d.chain,
    chainId: d.chainId,
    breaker: d.breaker,
    nonce: d.nonce,
    deadline: d.deadline,
    reason: d.reason,
    preparedAt: d.preparedAt,
    current: { signers: d.current.signers, threshold: d.current.threshold },
  };
  let request: BreakerRequest;
  if (d.kind === "unpause") {
    if (d.newSigners !== undefined || d.newThreshold !== undefined) {
      throw new AdminFileError({ path, reason: "an unpause request must not carry newSigners/newThreshold" });
    }
    if (d.reasonHash !== undefined && d.reasonHash !== hashReason(d.reason)) {
      throw new AdminFileError({
        path,
        reason: "reasonHash is not the keccak256 of reason (the file was edited)",
      });
    }
    request = { ...common, kind: "unpause" };
  } else {
    if (d.newSigners === undefined || d.newThreshold === undefined) {
      throw new AdminFileError({
        path,
        reason: "an updateSigners request needs newSigners and newThreshold",
      });
    }
    const problems = signerSetProblems(d.newSigners, d.newThreshold);
    if (problems.length > 0) throw new AdminFileError({ path, reason: problems.join("; ") });
    request = { ...common, kind: "updateSigners", newSigners: d.newSigners, newThreshold: d.newThreshold };
  }
  if (Buffer.byteLength(request.reason, "utf8") > MAX_REASON_BYTES) {
    throw new AdminFileError({ path, reason: `reason is longer than ${MAX_REASON_BYTES} bytes` });
  }
  if (!isDeepStrictEqual(d.typedData, JSON.parse(JSON.stringify(typedDataJson(request))))) {
    throw new AdminFileError({
      path,
      reason:
        "typedData does not match the request's fields (breaker, chainId, nonce, deadline, reason, signers); the file was edited",
    });
  }
  const digest = digestOf(request);
  if (d.digest !== digest.toLowerCase()) {
    throw new AdminFileError({
      path,
      reason: `digest ${d.digest} is not the EIP-712 digest of the request (${digest}); the file was edited`,
    });
  }
  return request;
}

/** Parses a signature document (shape only: `verify` checks it against a request and the chain). */
export function parseSignatureDocument(value: unknown, path: string): BreakerSignature {
  const parsed = signatureDocSchema.safeParse(value);
  if (!parsed.success) {
    const doc = value as { format?: unknown } | null;
    if (doc && typeof doc === "object" && doc.format === REQUEST_FORMAT) {
      throw new AdminFileError({ path, reason: "is a request file, not a signature file" });
    }
    throw new AdminFileError({ path, reason: `is not a signature file: ${zodReason(parsed.error)}` });
  }
  const d = parsed.data;
  return { ...d, signature: d.signature as Hex };
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

/** Reads a JSON file, naming it in errors. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? "unknown error";
    throw new AdminFileError({ path, reason: `cannot be read (${code})` });
  }
  return parseJson(text, path);
}

export async function readRequestFile(path: string): Promise<BreakerRequest> {
  return parseRequestDocument(await readJsonFile(path), path);
}

export async function readSignatureFile(path: string): Promise<BreakerSignature> {
  return parseSignatureDocument(await readJsonFile(path), path);
}

/**
 * Writes `text` to a new file (mode `mode`); an existing file is an error unless `force`.
 * Never used for secrets other than keystores.
 */
export async function writeNewFile(
  path: string,
  text: string,
  { force = false, mode = 0o644 }: { force?: boolean; mode?: number } = {},
): Promise<void> {
  try {
    await writeFile(path, text, { flag: force ? "w" : "wx", mode });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? "unknown error";
    throw new AdminFileError({
      path,
      reason:
        code === "EEXIST" ? "already exists (pass --force to overwrite)" : `cannot be written (${code})`,
    });
  }
}

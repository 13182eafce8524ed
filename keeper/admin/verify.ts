/**
 * Local verification of a signed breaker request before anything is sent: the same checks the
 * breaker makes (and a few it cannot make, like "this signature file is for another request"), each
 * failure named with the values that failed. Pure: the chain state comes in as data.
 */
import { type Address, getAddress, type Hex, isAddressEqual, recoverAddress } from "viem";
import { type SignedRequest, sortSignaturesBySigner } from "../internal/breakerTypedData.ts";
import type { Refusal } from "./errors.ts";
import { type BreakerRequest, type BreakerSignature, digestOf, isoOf } from "./requests.ts";

/** secp256k1 n / 2: OpenZeppelin's ECDSA rejects signatures with a larger s (malleability). */
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/** Where the request would go: checked first, since nothing else can be read on the wrong chain. */
export type TargetState = {
  /** eth_chainId of the RPC endpoint. */
  readonly rpcChainId: number;
  /** The config's breaker for the request's asset on that chain. */
  readonly configuredBreaker: Address;
  /** Code exists at the request's breaker address. */
  readonly breakerHasCode: boolean;
};

/** The breaker and the submitter, read at one block. */
export type BreakerState = {
  readonly signers: readonly Address[];
  readonly threshold: bigint;
  readonly nonce: bigint;
  readonly paused: boolean;
  /** Timestamp of the block the state was read at (the latest). */
  readonly blockTimestamp: bigint;
  readonly submitter: Address;
  /** The submitter holds KEEPER_ROLE (only matters for unpause). */
  readonly submitterIsKeeper: boolean;
  /** The breaker's own digest of the request (unpauseDigest / updateSignersDigest), if read. */
  readonly onChainDigest?: Hex | undefined;
};

/** A signature file and where it came from (its path, for messages). */
export type SignatureInput = { readonly source: string; readonly signature: BreakerSignature };

export type Verification =
  | {
      readonly ok: true;
      readonly digest: Hex;
      /** Ordered by strictly ascending signer address, as the breaker wants them. */
      readonly signatures: readonly Hex[];
      /** The recovered signers, ascending. */
      readonly signers: readonly Address[];
    }
  | { readonly ok: false; readonly digest: Hex; readonly refusals: readonly Refusal[] };

/** Checks the RPC's chain id, the breaker address against the config, and that the breaker exists. */
export function checkTarget(request: BreakerRequest, target: TargetState): Refusal[] {
  const refusals: Refusal[] = [];
  if (target.rpcChainId !== request.chainId) {
    refusals.push({
      code: "CHAIN_ID_MISMATCH",
      message: `the RPC endpoint of chain "${request.chain}" serves chain ${target.rpcChainId}, the request is for chain ${request.chainId}`,
    });
    return refusals;
  }
  if (!isAddressEqual(target.configuredBreaker, request.breaker)) {
    refusals.push({
      code: "BREAKER_MISMATCH",
      message: `the request is for breaker ${request.breaker}, the config's breaker of ${request.asset} on chain ${request.chainId} is ${target.configuredBreaker}`,
    });
  }
  if (!target.breakerHasCode) {
    refusals.push({
      code: "BREAKER_NOT_FOUND",
      message: `there is no contract at ${request.breaker} on chain ${request.chainId}`,
    });
  }
  return refusals;
}

/**
 * Shape of a 65-byte signature as OpenZeppelin's ECDSA.recover accepts it: r, s, v with v ∈ {27, 28}
 * and s in the lower half of the curve order. Undefined when fine, else what is wrong.
 */
export function signatureShapeProblem(signature: Hex): string | undefined {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) {
    return `is ${Math.max(0, (signature.length - 2) / 2)} bytes, expected 65 (r, s, v)`;
  }
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = Number.parseInt(signature.slice(130, 132), 16);
  if (s === 0n || s > HALF_N) return "has a high or zero s value (malleable; the breaker rejects it)";
  if (v !== 27 && v !== 28) return `has v = ${v}, expected 27 or 28`;
  return undefined;
}

function describeTarget(x: { chainId: number; breaker: Address; nonce: bigint; kind: string }): string {
  return `${x.kind} on chain ${x.chainId}, breaker ${x.breaker}, nonce ${x.nonce}`;
}

/** Checks the request against the breaker state (nonce, deadline, paused, keeper submitter, digest). */
export function checkRequestState(request: BreakerRequest, state: BreakerState, digest: Hex): Refusal[] {
  const refusals: Refusal[] = [];
  if (state.onChainDigest !== undefined && state.onChainDigest.toLowerCase() !== digest.toLowerCase()) {
    refusals.push({
      code: "DIGEST_MISMATCH",
      message: `the breaker computes digest ${state.onChainDigest} for this request, the file's is ${digest}`,
    });
  }
  if (request.nonce < state.nonce) {
    refusals.push({
      code: "NONCE_USED",
      message: `request nonce ${request.nonce} was already consumed (the breaker is at nonce ${state.nonce}): this request, or another one signed later, was executed; prepare a new request`,
    });
  } else if (request.nonce > state.nonce) {
    refusals.push({
      code: "NONCE_AHEAD",
      message: `request nonce ${request.nonce} is ahead of the breaker's nonce ${state.nonce}`,
    });
  }
  if (state.blockTimestamp > request.deadline) {
    refusals.push({
      code: "EXPIRED",
      message: `the request expired at ${request.deadline} (${isoOf(request.deadline)}); the chain's latest block is at ${state.blockTimestamp} (${isoOf(state.blockTimestamp)})`,
    });
  }
  if (request.kind === "unpause") {
    if (!state.paused) {
      refusals.push({ code: "NOT_PAUSED", message: `breaker ${request.breaker} is not paused` });
    }
    if (state.submitterIsKeeper) {
      refusals.push({
        code: "SUBMITTER_IS_KEEPER",
        message: `submitter ${state.submitter} holds KEEPER_ROLE and the breaker rejects unpauses from keepers; submit from another account`,
      });
    }
  }
  return refusals;
}

/**
 * Checks every signature against the request and the current signer set, then the quorum. Returns
 * the valid ones (recovered signer → signature) and the refusals; any refusal refuses the submission.
 */
export async function checkSignatures(
  request: BreakerRequest,
  inputs: readonly SignatureInput[],
  set: { readonly signers: readonly Address[]; readonly threshold: bigint },
  digest: Hex = digestOf(request),
): Promise<{ valid: SignedRequest[]; refusals: Refusal[] }> {
  const refusals: Refusal[] = [];
  const valid: SignedRequest[] = [];
  const members = new Set(set.signers.map((s) => getAddress(s)));
  const seen = new Map<Address, string>();
  for (const { source, signature: sig } of inputs) {
    if (
      sig.digest.toLowerCase() !== digest.toLowerCase() ||
      sig.kind !== request.kind ||
      sig.chainId !== request.chainId ||
      !isAddressEqual(sig.breaker, request.breaker) ||
      sig.nonce !== request.nonce
    ) {
      refusals.push({
        code: "SIGNATURE_FOR_OTHER_REQUEST",
        message: `${sig.signer} signed digest ${sig.digest} (${describeTarget(sig)}), the request's digest is ${digest} (${describeTarget(request)})`,
        source,
      });
      continue;
    }
    const shape = signatureShapeProblem(sig.signature);
    if (shape !== undefined) {
      refusals.push({
        code: "SIGNATURE_MALFORMED",
        message: `the signature of ${sig.signer} ${shape}`,
        source,
      });
      continue;
    }
    let recovered: Address;
    try {
      recovered = getAddress(await recoverAddress({ hash: digest, signature: sig.signature }));
    } catch {
      refusals.push({
        code: "SIGNATURE_MALFORMED",
        message: `the signature of ${sig.signer} recovers no address`,
        source,
      });
      continue;
    }
    if (!isAddressEqual(recovered, sig.signer)) {
      refusals.push({
        code: "SIGNATURE_SIGNER_MISMATCH",
        message: `the signature recovers to ${recovered} over the request's digest, the file names ${sig.signer} (edited file, or a signature of other data)`,
        source,
      });
      continue;
    }
    if (!members.has(recovered)) {
      refusals.push({
        code: "UNKNOWN_SIGNER",
        message: `${recovered} is not in the breaker's signer set (${[...members].join(", ")})`,
        source,
      });
      continue;
    }
    const first = seen.get(recovered);
    if (first !== undefined) {
      refusals.push({
        code: "DUPLICATE_SIGNER",
        message: `${recovered} signed twice (also ${first}); each signer counts once`,
        source,
      });
      continue;
    }
    seen.set(recovered, source);
    valid.push({ signer: recovered, signature: sig.signature });
  }
  if (BigInt(valid.length) < set.threshold) {
    refusals.push({
      code: "INSUFFICIENT_SIGNATURES",
      message: `${valid.length} valid signature${valid.length === 1 ? "" : "s"} of distinct signers in the set, the breaker needs ${set.threshold} (threshold ${set.threshold} of ${set.signers.length})`,
    });
  }
  return { valid, refusals };
}

/** Every check of a submission, after `checkTarget` passed: request state, then signatures and quorum. */
export async function verifySubmission(
  request: BreakerRequest,
  inputs: readonly SignatureInput[],
  state: BreakerState,
): Promise<Verification> {
  const digest = digestOf(request);
  const refusals = checkRequestState(request, state, digest);
  const checked = await checkSignatures(request, inputs, state, digest);
  refusals.push(...checked.refusals);
  if (refusals.length > 0) return { ok: false, digest, refusals };
  const signatures = sortSignaturesBySigner(checked.valid);
  const signers = checked.valid.map((v) => v.signer).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  return { ok: true, digest, signatures, signers };
}

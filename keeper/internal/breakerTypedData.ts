/**
 * EIP-712 requests of `ReserveCircuitBreaker`: typed-data definitions, digests and signing with viem.
 *
 * A request is bound to one breaker on one chain and one nonce (shared by unpause and signer-set
 * updates). The breaker wants the signatures ordered by strictly ascending signer address:
 *
 * ```ts
 * const request = { breaker, chainId, nonce: await breaker.read.nonce(), deadline, reasonHash: hashReason("…") };
 * const signed = await Promise.all(signers.map((signer) => signUnpause(signer, request)));
 * await breaker.write.unpause([request.reasonHash, request.deadline, sortSignaturesBySigner(signed)]);
 * ```
 */
import {
  type Account,
  type Address,
  type Chain,
  getAddress,
  type Hex,
  hashTypedData,
  keccak256,
  type LocalAccount,
  stringToBytes,
  type Transport,
  type TypedDataDomain,
  type WalletClient,
} from "viem";

/** EIP-712 domain name of the breaker. */
export const BREAKER_DOMAIN_NAME = "ReserveCircuitBreaker";
/** EIP-712 domain version of the breaker. */
export const BREAKER_DOMAIN_VERSION = "1";

/** Typed-data types of `Unpause(address breaker,uint256 chainId,uint256 nonce,uint256 deadline,bytes32 reasonHash)`. */
export const unpauseTypes = {
  Unpause: [
    { name: "breaker", type: "address" },
    { name: "chainId", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
    { name: "reasonHash", type: "bytes32" },
  ],
} as const;

/**
 * Typed-data types of
 * `UpdateSigners(address breaker,uint256 chainId,uint256 nonce,uint256 deadline,address[] signers,uint256 threshold)`.
 */
export const updateSignersTypes = {
  UpdateSigners: [
    { name: "breaker", type: "address" },
    { name: "chainId", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
    { name: "signers", type: "address[]" },
    { name: "threshold", type: "uint256" },
  ],
} as const;

/** Where a request is valid: one breaker contract on one chain. Used for both the domain and the message. */
export interface BreakerTarget {
  /** The breaker contract (EIP-712 `verifyingContract` and the message's `breaker`). */
  breaker: Address;
  /** The chain id (EIP-712 domain `chainId` and the message's `chainId`). */
  chainId: number | bigint;
}

/** An unpause request. */
export interface UnpauseRequest extends BreakerTarget {
  /** The breaker's current `nonce()`. */
  nonce: bigint;
  /** Last block timestamp at which the request is valid. */
  deadline: bigint;
  /** Hash of the operators' reason, see {@link hashReason}. */
  reasonHash: Hex;
}

/** A signer-set update request. */
export interface UpdateSignersRequest extends BreakerTarget {
  /** The breaker's current `nonce()`. */
  nonce: bigint;
  /** Last block timestamp at which the request is valid. */
  deadline: bigint;
  /** The new signer set, strictly ascending (see {@link sortAddresses}). */
  signers: readonly Address[];
  /** The new threshold. */
  threshold: bigint;
}

/** Anything that can sign typed data: a local account, or a wallet client with an account attached. */
export type TypedDataSigner = LocalAccount | WalletClient<Transport, Chain | undefined, Account>;

/** One signature and the address that made it. */
export interface SignedRequest {
  signer: Address;
  signature: Hex;
}

/** The breaker's EIP-712 domain. */
export function breakerDomain({ breaker, chainId }: BreakerTarget) {
  return {
    name: BREAKER_DOMAIN_NAME,
    version: BREAKER_DOMAIN_VERSION,
    chainId: BigInt(chainId),
    verifyingContract: breaker,
  } as const satisfies TypedDataDomain;
}

/** The reason hash operators sign: keccak256 of the UTF-8 reason text. */
export function hashReason(reason: string): Hex {
  return keccak256(stringToBytes(reason));
}

/** Full typed data of an unpause request, ready for `signTypedData` or `hashTypedData`. */
export function unpauseTypedData(request: UnpauseRequest) {
  return {
    domain: breakerDomain(request),
    types: unpauseTypes,
    primaryType: "Unpause",
    message: {
      breaker: request.breaker,
      chainId: BigInt(request.chainId),
      nonce: request.nonce,
      deadline: request.deadline,
      reasonHash: request.reasonHash,
    },
  } as const;
}

/** Full typed data of a signer-set update, ready for `signTypedData` or `hashTypedData`. */
export function updateSignersTypedData(request: UpdateSignersRequest) {
  return {
    domain: breakerDomain(request),
    types: updateSignersTypes,
    primaryType: "UpdateSigners",
    message: {
      breaker: request.breaker,
      chainId: BigInt(request.chainId),
      nonce: request.nonce,
      deadline: request.deadline,
      signers: request.signers,
      threshold: request.threshold,
    },
  } as const;
}

/** The digest the breaker's `unpauseDigest(nonce, deadline, reasonHash)` returns. */
export function hashUnpause(request: UnpauseRequest): Hex {
  return hashTypedData(unpauseTypedData(request));
}

/** The digest the breaker's `updateSignersDigest(nonce, deadline, signers, threshold)` returns. */
export function hashUpdateSigners(request: UpdateSignersRequest): Hex {
  return hashTypedData(updateSignersTypedData(request));
}

function isLocalAccount(signer: TypedDataSigner): signer is LocalAccount {
  return signer.type === "local" && "address" in signer;
}

/** The (checksummed) address of a signer. */
export function signerAddress(signer: TypedDataSigner): Address {
  return getAddress(isLocalAccount(signer) ? signer.address : signer.account.address);
}

/** Signs an unpause request with one signer. */
export async function signUnpause(signer: TypedDataSigner, request: UnpauseRequest): Promise<SignedRequest> {
  const typedData = unpauseTypedData(request);
  const signature = isLocalAccount(signer)
    ? await signer.signTypedData(typedData)
    : await signer.signTypedData({ ...typedData, account: signer.account });
  return { signer: signerAddress(signer), signature };
}

/** Signs a signer-set update with one (current) signer. */
export async function signUpdateSigners(
  signer: TypedDataSigner,
  request: UpdateSignersRequest,
): Promise<SignedRequest> {
  const typedData = updateSignersTypedData(request);
  const signature = isLocalAccount(signer)
    ? await signer.signTypedData(typedData)
    : await signer.signTypedData({ ...typedData, account: signer.account });
  return { signer: signerAddress(signer), signature };
}

/** Addresses sorted numerically ascending, as the breaker wants signer sets (a new array; input untouched). */
export function sortAddresses(addresses: readonly Address[]): Address[] {
  return [...addresses].sort(compareAddresses);
}

/**
 * The signatures ordered by strictly ascending signer address, as `unpause`/`updateSigners` want them.
 * Duplicated signers are kept (the breaker rejects them); remove them first if that is not intended.
 */
export function sortSignaturesBySigner(signed: readonly SignedRequest[]): Hex[] {
  return [...signed].sort((a, b) => compareAddresses(a.signer, b.signer)).map((s) => s.signature);
}

function compareAddresses(a: Address, b: Address): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

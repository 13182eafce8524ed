/**
 * Contract test helpers: decode reverts into `{ errorName, args }`, read events from receipts, and
 * `deployAssetStack`, a fixture deploying one complete asset (feed, token, verifier, breaker, gate,
 * minter, redeemer) with every role wired.
 */
import type { HardhatViemHelpers } from "@nomicfoundation/hardhat-viem/types";
import {
  type Abi,
  type Address,
  BaseError,
  type ContractEventName,
  ContractFunctionRevertedError,
  decodeErrorResult,
  getAddress,
  type Hash,
  type Hex,
  isHex,
  keccak256,
  type LocalAccount,
  parseEventLogs,
  stringToBytes,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";

/** A decoded revert: the custom error's name and its arguments. */
export type DecodedRevert = { errorName: string; args: readonly unknown[] };

/**
 * Awaits `action`, expects it to revert, and decodes the revert data against `abis` (the called
 * contract's ABI is tried first by viem; pass the ABIs of contracts whose errors bubble up, too).
 */
export async function revertOf(action: Promise<unknown>, ...abis: Abi[]): Promise<DecodedRevert> {
  try {
    await action;
  } catch (error) {
    return decodeRevert(error, abis);
  }
  throw new Error("Expected the call to revert, but it succeeded.");
}

/** Decodes the custom error inside a viem/EDR error chain. */
export function decodeRevert(error: unknown, abis: Abi[] = []): DecodedRevert {
  if (error instanceof BaseError) {
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError && reverted.data?.errorName) {
      return { errorName: reverted.data.errorName, args: reverted.data.args ?? [] };
    }
  }
  const raw = findRevertData(error);
  if (raw === undefined) throw error;
  const decoded = decodeErrorResult({ abi: abis.flat() as Abi, data: raw });
  return { errorName: decoded.errorName, args: decoded.args ?? [] };
}

function findRevertData(error: unknown): Hex | undefined {
  let current: unknown = error;
  while (current && typeof current === "object") {
    const candidate = current as { raw?: unknown; data?: unknown; cause?: unknown };
    if (typeof candidate.raw === "string" && isHex(candidate.raw)) return candidate.raw;
    if (typeof candidate.data === "string" && isHex(candidate.data) && candidate.data.length >= 10) {
      return candidate.data;
    }
    current = candidate.cause;
  }
  return undefined;
}

type Client = { waitForTransactionReceipt: (args: { hash: Hash }) => Promise<{ logs: unknown[] }> };

/** Waits for `hash` and returns the decoded `eventName` logs emitted by it (all contracts, matching ABI). */
export async function eventsOf<const abi extends Abi, eventName extends ContractEventName<abi>>(
  client: Client,
  hash: Hash,
  abi: abi,
  eventName: eventName,
) {
  const receipt = await client.waitForTransactionReceipt({ hash });
  // biome-ignore lint/suspicious/noExplicitAny: viem's Log type is generic over the chain's formatters.
  return parseEventLogs({ abi, logs: receipt.logs as any, eventName });
}

/**
 * The node's wallet clients with checksummed account addresses, so that they compare equal to the
 * addresses viem decodes from events and errors.
 */
export async function getWallets(viem: Viem) {
  const clients = await viem.getWalletClients();
  return Promise.all(clients.map((client) => viem.getWalletClient(getAddress(client.account.address))));
}

/** IComplianceGate.Operation. */
export const Operation = { Mint: 0, Redeem: 1, Transfer: 2 } as const;
/** IComplianceGate.Reason. */
export const Reason = {
  None: 0,
  NoRecord: 1,
  RecordExpired: 2,
  KycTierTooLow: 3,
  JurisdictionBlocked: 4,
  QualifiedPartyRequired: 5,
} as const;
/** IReserveVerifier.Status. */
export const Status = { Healthy: 0, Undercollateralized: 1, Stale: 2, InvalidAnswer: 3 } as const;

/** An ISO 3166-1 alpha-2 code as the gate's bytes2 (no validation: tests pass invalid codes on purpose). */
export function jurisdiction(code: string): Hex {
  return toHex(code, { size: 2 });
}

// ------------------------------------------------------------------------------------------------
// deployAssetStack
// ------------------------------------------------------------------------------------------------

export type Viem = HardhatViemHelpers;

/** Options of {@link deployAssetStack}; every field has a default. */
export type AssetStackOptions = {
  /** Token name (also the permit domain name). Default "Reserve USD". */
  name?: string;
  /** Token symbol. Default "rUSD". */
  symbol?: string;
  /** Token decimals. Default 6. */
  tokenDecimals?: number;
  /** PoR feed decimals. Default 18. */
  feedDecimals?: number;
  /** Initial feed answer, in feed decimals. Default 1,000,000 whole units. */
  initialReserves?: bigint;
  /** Feed description. Default "<symbol> PoR". */
  feedDescription?: string;
  /** Verifier heartbeat in seconds. Default 86,400. */
  heartbeat?: bigint;
  /** Verifier margin in basis points. Default 0. */
  marginBps?: bigint;
  /** Unpause signers (sorted ascending by the fixture). Default three deterministic local accounts. */
  signers?: LocalAccount[];
  /** Unpause threshold. Default 2 (or the number of signers when fewer). */
  threshold?: bigint;
  /** Role holders; default: wallet 0 admin (also feed and proxy owner), 1 keeper, 2 issuer, 3 compliance officer. */
  admin?: Address;
  keeper?: Address;
  issuer?: Address;
  complianceOfficer?: Address;
};

/** A deterministic local account for tests, derived from `label` (never use outside tests). */
export function testAccount(label: string): LocalAccount {
  return privateKeyToAccount(keccak256(stringToBytes(`reserve-keeper/test/${label}`)));
}

/** Sorts accounts by ascending address, the order the breaker requires. */
export function byAddress<T extends { address: Address }>(accounts: readonly T[]): T[] {
  return [...accounts].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
}

/**
 * Deploys one complete asset: DevPorAggregator behind a DevAggregatorProxy (the feed everything reads),
 * ReserveBackedStablecoin, ReserveVerifier, ReserveCircuitBreaker, ComplianceGate, StablecoinMinter and
 * StablecoinRedeemer, with token MINTER_ROLE → minter, BURNER_ROLE → redeemer, breaker KEEPER_ROLE →
 * keeper, minter ISSUER_ROLE → issuer and gate COMPLIANCE_ROLE → complianceOfficer.
 *
 * Wrap it in a named function for `networkHelpers.loadFixture`.
 */
export async function deployAssetStack(viem: Viem, opts: AssetStackOptions = {}) {
  const wallets = await getWallets(viem);
  const [w0, w1, w2, w3] = wallets;
  if (!w0 || !w1 || !w2 || !w3) throw new Error("deployAssetStack needs at least four wallet accounts.");
  const admin = opts.admin ?? w0.account.address;
  const keeper = opts.keeper ?? w1.account.address;
  const issuer = opts.issuer ?? w2.account.address;
  const complianceOfficer = opts.complianceOfficer ?? w3.account.address;
  const symbol = opts.symbol ?? "rUSD";
  const tokenDecimals = opts.tokenDecimals ?? 6;
  const feedDecimals = opts.feedDecimals ?? 18;
  const initialReserves = opts.initialReserves ?? 1_000_000n * 10n ** BigInt(feedDecimals);
  const heartbeat = opts.heartbeat ?? 86_400n;
  const marginBps = opts.marginBps ?? 0n;
  const signers = byAddress(
    opts.signers ?? [testAccount("signer-1"), testAccount("signer-2"), testAccount("signer-3")],
  );
  const threshold = opts.threshold ?? BigInt(Math.min(2, signers.length));

  const aggregator = await viem.deployContract("DevPorAggregator", [
    feedDecimals,
    initialReserves,
    opts.feedDescription ?? `${symbol} PoR`,
    admin,
  ]);
  const feed = await viem.deployContract("DevAggregatorProxy", [aggregator.address, admin]);
  const token = await viem.deployContract("ReserveBackedStablecoin", [
    opts.name ?? "Reserve USD",
    symbol,
    tokenDecimals,
    admin,
  ]);
  const verifier = await viem.deployContract("ReserveVerifier", [
    feed.address,
    token.address,
    heartbeat,
    marginBps,
    admin,
  ]);
  const breaker = await viem.deployContract("ReserveCircuitBreaker", [
    verifier.address,
    admin,
    keeper,
    signers.map((s) => s.address),
    threshold,
  ]);
  const gate = await viem.deployContract("ComplianceGate", [admin, complianceOfficer]);
  const minter = await viem.deployContract("StablecoinMinter", [
    token.address,
    verifier.address,
    breaker.address,
    gate.address,
    admin,
    issuer,
  ]);
  const redeemer = await viem.deployContract("StablecoinRedeemer", [
    token.address,
    breaker.address,
    gate.address,
    admin,
  ]);

  const publicClient = await viem.getPublicClient();
  const asAdmin = { account: admin };
  for (const hash of [
    await token.write.grantRole([await token.read.MINTER_ROLE(), minter.address], asAdmin),
    await token.write.grantRole([await token.read.BURNER_ROLE(), redeemer.address], asAdmin),
  ]) {
    await publicClient.waitForTransactionReceipt({ hash });
  }

  return {
    aggregator,
    feed,
    token,
    verifier,
    breaker,
    gate,
    minter,
    redeemer,
    signers,
    accounts: { admin, keeper, issuer, complianceOfficer },
    config: { tokenDecimals, feedDecimals, initialReserves, heartbeat, marginBps, threshold },
  };
}

export type AssetStack = Awaited<ReturnType<typeof deployAssetStack>>;

/** Gives each of `accounts` a valid gate record (tier 1, "US", not QP, one year) unless overridden. */
export async function allowAccounts(
  viem: Viem,
  stack: AssetStack,
  accounts: readonly Address[],
  overrides: { kycTier?: number; jurisdiction?: Hex; qualifiedParty?: boolean; expiresAt?: bigint } = {},
) {
  const publicClient = await viem.getPublicClient();
  const { timestamp } = await publicClient.getBlock();
  const record = {
    kycTier: overrides.kycTier ?? 1,
    jurisdiction: overrides.jurisdiction ?? jurisdiction("US"),
    qualifiedParty: overrides.qualifiedParty ?? false,
    expiresAt: overrides.expiresAt ?? timestamp + 365n * 86_400n,
  };
  const hash = await stack.gate.write.setRecords([[...accounts], accounts.map(() => record)], {
    account: stack.accounts.complianceOfficer,
  });
  await publicClient.waitForTransactionReceipt({ hash });
}

/** Converts whole token units into the feed's decimals (e.g. reserves of `units` dollars). */
export function feedUnits(stack: AssetStack, units: bigint): bigint {
  return units * 10n ** BigInt(stack.config.feedDecimals);
}

/** Converts whole token units into token base units. */
export function tokenUnits(stack: AssetStack, units: bigint): bigint {
  return units * 10n ** BigInt(stack.config.tokenDecimals);
}

/** Unpauses the breaker with `threshold` signatures of the stack's signers (submitted by `relayer`). */
export async function unpauseBreaker(viem: Viem, stack: AssetStack, relayer: Address, reason = "test") {
  const publicClient = await viem.getPublicClient();
  const { timestamp } = await publicClient.getBlock();
  const deadline = timestamp + 3600n;
  const reasonHash = keccak256(stringToBytes(reason));
  const digest = await stack.breaker.read.unpauseDigest([
    await stack.breaker.read.nonce(),
    deadline,
    reasonHash,
  ]);
  const quorum = stack.signers.slice(0, Number(stack.config.threshold));
  const signatures = await Promise.all(quorum.map((signer) => signer.sign!({ hash: digest })));
  const hash = await stack.breaker.write.unpause([reasonHash, deadline, signatures], { account: relayer });
  await publicClient.waitForTransactionReceipt({ hash });
}

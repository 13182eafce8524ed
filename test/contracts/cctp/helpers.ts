/**
 * CCTP contract test helpers: `deployCctpPair`, two complete local CCTP stacks (V2 + V1 transmitters and
 * messengers, one token minter, hook executor, treasury, USDC, a reserve-backed asset with its breaker)
 * for domains 0 ("A") and 6 ("B") inside ONE Hardhat network, linked both ways; plus what Circle's
 * attestation service does: patch the Iris fields of a V2 message and sign keccak256(message) with local
 * attester keys.
 */
import {
  type Abi,
  type Address,
  concat,
  type Hash,
  type Hex,
  keccak256,
  pad,
  size,
  slice,
  stringToBytes,
  toHex,
} from "viem";
import { privateKeyToAccount, sign } from "viem/accounts";
import {
  type AssetStack,
  allowAccounts,
  deployAssetStack,
  eventsOf,
  getWallets,
  tokenUnits,
  type Viem,
} from "../helpers/stack.ts";

export const MINTER_ROLE = keccak256(toHex("MINTER_ROLE"));
export const BURNER_ROLE = keccak256(toHex("BURNER_ROLE"));
export const PAUSER_ROLE = keccak256(toHex("PAUSER_ROLE"));
export const ATTESTER_MANAGER_ROLE = keccak256(toHex("ATTESTER_MANAGER_ROLE"));
export const DEFAULT_ADMIN_ROLE = `0x${"00".repeat(32)}` as const;

export const DOMAIN_A = 0;
export const DOMAIN_B = 6;
export const FINALIZED = 2000;
export const CONFIRMED = 1000;
export const MAX_BODY = 8192n;
/** Per-message burn limit used by the fixture (1,000,000 units of a 6-decimals token). */
export const BURN_LIMIT = 1_000_000_000_000n;

/** Topic0s from the reference (Circle's contracts), to compare with our ABIs. */
export const TOPIC0 = {
  MessageSent: "0x8c5261668696ce22758910d05bab8f186d6eb247ceac2af2e82c7dc17669b036",
  MessageReceivedV2: "0xff48c13eda96b1cceacc6b9edeedc9e9db9d6226afbc30146b720c19d3addb1c",
  DepositForBurnV2: "0x0c8c1cbdc5190613ebd485511d4e2812cfa45eecb79d845893331fedad5130a5",
  MintAndWithdrawV2: "0x50c55e915134d457debfa58eb6f4342956f8b0616d51a89a3659360178e1ab63",
  MessageReceivedV1: "0x58200b4c34ae05ee816d710053fff3fb75af4395915d3d2a771b24aa10e3cc5d",
  DepositForBurnV1: "0x2fa9ca894982930190727e75500a97d8dc500233a5065e0f3126c48fbe0343c0",
  MintAndWithdrawV1: "0x1b2a7ff080b8cb6ff436ce0372e399692bbfb6d4ae5766fd8d58a7b8cc6142e6",
} as const;

/** A local attester: deterministic test key (never random: no flaky tests). */
export type Attester = { address: Address; privateKey: Hex };

export function attester(label: string): Attester {
  const privateKey = keccak256(stringToBytes(`reserve-keeper/cctp-test/${label}`));
  return { address: privateKeyToAccount(privateKey).address, privateKey };
}

/** Ascending by address, the order attestations must follow. */
export function ascending<T extends { address: Address }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
}

/** One 65-byte signature r || s || v (v = 27/28) over keccak256(message), no prefix. */
export async function signMessage(message: Hex, by: Attester): Promise<Hex> {
  return sign({ hash: keccak256(message), privateKey: by.privateKey, to: "hex" });
}

/** The attestation of `message` by `signers`, in the order given (sort with `ascending` first). */
export async function attestInOrder(message: Hex, signers: readonly Attester[]): Promise<Hex> {
  return concat(await Promise.all(signers.map((s) => signMessage(message, s))));
}

/** The attestation of `message` by `signers`, sorted ascending as the transmitter requires. */
export async function attest(message: Hex, signers: readonly Attester[]): Promise<Hex> {
  return attestInOrder(message, ascending(signers));
}

/** An address as CCTP carries it: left-padded to 32 bytes (lowercase hex, as viem returns bytes32). */
export const toBytes32 = (a: Address): Hex => pad(a.toLowerCase() as Hex, { size: 32 });

/** Overwrites `value` (hex of exactly `length` bytes after padding) at byte `offset` of `data`. */
export function patchBytes(data: Hex, offset: number, value: Hex, length: number): Hex {
  const padded = pad(value, { size: length });
  const end = offset + length;
  return concat([slice(data, 0, offset), padded, end < size(data) ? slice(data, end) : "0x"]);
}

/** What Iris fills in before signing a V2 message (offsets of the reference §1.1 / §1.2). */
export type IrisFields = {
  nonce: Hex;
  finalityThresholdExecuted: number;
  feeExecuted?: bigint;
  expirationBlock?: bigint;
};

export const OFFSETS_V2 = {
  nonce: 12,
  finalityThresholdExecuted: 144,
  feeExecuted: 148 + 164,
  expirationBlock: 148 + 196,
} as const;

/** The source-emitted V2 `message` with the Iris fields patched in. */
export function patchIris(message: Hex, f: IrisFields): Hex {
  let m = patchBytes(message, OFFSETS_V2.nonce, f.nonce, 32);
  m = patchBytes(m, OFFSETS_V2.finalityThresholdExecuted, toHex(f.finalityThresholdExecuted), 4);
  if (f.feeExecuted !== undefined) m = patchBytes(m, OFFSETS_V2.feeExecuted, toHex(f.feeExecuted), 32);
  if (f.expirationBlock !== undefined)
    m = patchBytes(m, OFFSETS_V2.expirationBlock, toHex(f.expirationBlock), 32);
  return m;
}

/** A 32-byte nonce derived from a label, like Circle's test uses keccak("nonce"). */
export const nonceOf = (label: string) => keccak256(toHex(label));

// ------------------------------------------------------------------------------------------------
// Fixture
// ------------------------------------------------------------------------------------------------

async function deployCctpChain(
  viem: Viem,
  opts: { domain: number; attesters: readonly Attester[]; asset: AssetStack; feeRecipient: Address },
) {
  const [w0] = await getWallets(viem);
  const admin = w0!.account.address;
  const attesters = ascending(opts.attesters).map((a) => a.address);
  const usdc = await viem.deployContract("ReserveBackedStablecoin", ["USD Coin", "USDC", 6, admin]);
  const minter = await viem.deployContract("DevTokenMinter", [admin]);
  const transmitterV2 = await viem.deployContract("DevMessageTransmitterV2", [
    opts.domain,
    admin,
    admin,
    admin,
    attesters,
    BigInt(attesters.length),
    MAX_BODY,
  ]);
  const transmitterV1 = await viem.deployContract("DevMessageTransmitterV1", [
    opts.domain,
    admin,
    admin,
    admin,
    attesters,
    BigInt(attesters.length),
    MAX_BODY,
  ]);
  const messengerV2 = await viem.deployContract("DevTokenMessengerV2", [
    transmitterV2.address,
    minter.address,
    admin,
    opts.feeRecipient,
    0n,
  ]);
  const messengerV1 = await viem.deployContract("DevTokenMessengerV1", [
    transmitterV1.address,
    minter.address,
    admin,
  ]);
  const executor = await viem.deployContract("CctpHookExecutor", [
    transmitterV2.address,
    messengerV2.address,
    minter.address,
  ]);
  const treasury = await viem.deployContract("DevTreasury", [executor.address]);
  const publicClient = await viem.getPublicClient();
  const asAdmin = { account: admin };
  const dusd = opts.asset.token;
  for (const hash of [
    await minter.write.addLocalTokenMessenger([messengerV2.address], asAdmin),
    await minter.write.addLocalTokenMessenger([messengerV1.address], asAdmin),
    await minter.write.setMaxBurnAmountPerMessage([usdc.address, BURN_LIMIT], asAdmin),
    await minter.write.setMaxBurnAmountPerMessage([dusd.address, BURN_LIMIT], asAdmin),
    await minter.write.setTokenBreaker([dusd.address, opts.asset.breaker.address], asAdmin),
    await usdc.write.grantRole([MINTER_ROLE, minter.address], asAdmin),
    await usdc.write.grantRole([BURNER_ROLE, minter.address], asAdmin),
    await usdc.write.grantRole([MINTER_ROLE, admin], asAdmin),
    await dusd.write.grantRole([MINTER_ROLE, minter.address], asAdmin),
    await dusd.write.grantRole([BURNER_ROLE, minter.address], asAdmin),
  ]) {
    await publicClient.waitForTransactionReceipt({ hash });
  }
  return {
    domain: opts.domain,
    usdc,
    dusd,
    asset: opts.asset,
    minter,
    transmitterV2,
    transmitterV1,
    messengerV2,
    messengerV1,
    executor,
    treasury,
  };
}

export type CctpChain = Awaited<ReturnType<typeof deployCctpChain>>;

async function link(viem: Viem, local: CctpChain, remote: CctpChain) {
  const [w0] = await getWallets(viem);
  const asAdmin = { account: w0!.account.address };
  const publicClient = await viem.getPublicClient();
  for (const hash of [
    await local.messengerV2.write.addRemoteTokenMessenger(
      [remote.domain, toBytes32(remote.messengerV2.address)],
      asAdmin,
    ),
    await local.messengerV1.write.addRemoteTokenMessenger(
      [remote.domain, toBytes32(remote.messengerV1.address)],
      asAdmin,
    ),
    await local.minter.write.linkTokenPair(
      [local.usdc.address, remote.domain, toBytes32(remote.usdc.address)],
      asAdmin,
    ),
    await local.minter.write.linkTokenPair(
      [local.dusd.address, remote.domain, toBytes32(remote.dusd.address)],
      asAdmin,
    ),
  ]) {
    await publicClient.waitForTransactionReceipt({ hash });
  }
}

/** Attesters of the fixture (2-of-2), ascending. */
export const ATTESTERS = ascending([attester("attester-1"), attester("attester-2")]);
/** 1,000 USDC / dusd (6 decimals). */
export const FUNDS = 1_000_000_000n;

/**
 * Two linked CCTP stacks on one network: `a` (domain 0) and `b` (domain 6). Alice holds FUNDS USDC and
 * FUNDS dusd on `a`, and FUNDS USDC on `b`. Wrap it in a named function for `networkHelpers.loadFixture`.
 */
export async function deployCctpPair(viem: Viem) {
  const wallets = await getWallets(viem);
  const [admin, keeper, issuer, officer, alice, bob, feeRecipient, relayer, stranger] = wallets;
  if (!admin || !keeper || !issuer || !officer || !alice || !bob || !feeRecipient || !relayer || !stranger)
    throw new Error("deployCctpPair needs nine wallet accounts.");
  const assetA = await deployAssetStack(viem, { symbol: "dUSD" });
  const assetB = await deployAssetStack(viem, { symbol: "dUSD" });
  const common = { attesters: ATTESTERS, feeRecipient: feeRecipient.account.address };
  const a = await deployCctpChain(viem, { ...common, domain: DOMAIN_A, asset: assetA });
  const b = await deployCctpChain(viem, { ...common, domain: DOMAIN_B, asset: assetB });
  await link(viem, a, b);
  await link(viem, b, a);

  const publicClient = await viem.getPublicClient();
  await allowAccounts(viem, assetA, [alice.account.address]);
  for (const hash of [
    await a.usdc.write.mint([alice.account.address, FUNDS], { account: admin.account.address }),
    await b.usdc.write.mint([alice.account.address, FUNDS], { account: admin.account.address }),
    await assetA.minter.write.mint([alice.account.address, tokenUnits(assetA, 1_000n)], {
      account: issuer.account.address,
    }),
  ]) {
    await publicClient.waitForTransactionReceipt({ hash });
  }
  return {
    a,
    b,
    accounts: {
      admin: admin.account.address,
      keeper: keeper.account.address,
      alice: alice.account.address,
      bob: bob.account.address,
      feeRecipient: feeRecipient.account.address,
      relayer: relayer.account.address,
      stranger: stranger.account.address,
    },
  };
}

export type CctpPair = Awaited<ReturnType<typeof deployCctpPair>>;

/** Every ABI whose errors can surface in a CCTP call (for decoding reverts that bubble up). */
export function errorAbis(c: CctpChain): Abi[] {
  return [
    c.transmitterV2.abi,
    c.transmitterV1.abi,
    c.messengerV2.abi,
    c.messengerV1.abi,
    c.minter.abi,
    c.executor.abi,
    c.treasury.abi,
    c.usdc.abi,
  ] as Abi[];
}

/** The `message` of the (single) MessageSent emitted by `hash`. */
export async function messageSentBy(
  publicClient: Parameters<typeof eventsOf>[0],
  hash: Hash,
  c: CctpChain,
): Promise<Hex> {
  const [sent] = await eventsOf(publicClient, hash, c.transmitterV2.abi, "MessageSent");
  if (!sent) throw new Error(`Transaction ${hash} emitted no MessageSent.`);
  return sent.args.message;
}

/** Arguments of {@link burnV2}; defaults: USDC, to the other domain of the pair, no caller, no fee. */
export type BurnV2 = {
  account: Address;
  amount: bigint;
  mintRecipient: Address;
  token?: Address;
  destinationDomain?: number;
  destinationCaller?: Hex;
  maxFee?: bigint;
  minFinalityThreshold?: number;
  hookData?: Hex;
};

/**
 * Approves the V2 messenger of `from` and deposits (with hook when `hookData` is given); returns the
 * transaction and the source-emitted message.
 */
export async function burnV2(viem: Viem, from: CctpChain, args: BurnV2) {
  const publicClient = await viem.getPublicClient();
  const token = args.token ?? from.usdc.address;
  const tokenContract = await viem.getContractAt("ReserveBackedStablecoin", token);
  await publicClient.waitForTransactionReceipt({
    hash: await tokenContract.write.approve([from.messengerV2.address, args.amount], {
      account: args.account,
    }),
  });
  const common = [
    args.amount,
    args.destinationDomain ?? (from.domain === DOMAIN_A ? DOMAIN_B : DOMAIN_A),
    toBytes32(args.mintRecipient),
    token,
    args.destinationCaller ?? pad("0x", { size: 32 }),
    args.maxFee ?? 0n,
    args.minFinalityThreshold ?? FINALIZED,
  ] as const;
  const hash =
    args.hookData === undefined
      ? await from.messengerV2.write.depositForBurn([...common], { account: args.account })
      : await from.messengerV2.write.depositForBurnWithHook([...common, args.hookData], {
          account: args.account,
        });
  return { hash, message: await messageSentBy(publicClient, hash, from) };
}

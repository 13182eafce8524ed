import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import {
  type Abi,
  type Address,
  encodeDeployData,
  encodeFunctionData,
  getContractAddress,
  type Hash,
  type Hex,
  keccak256,
  pad,
  parseUnits,
  toHex,
} from "viem";
import type { DevnetRole } from "./accounts.ts";
import type { DevnetCctp, DevnetCctpChain } from "./manifest.ts";
import { rpc } from "./nodes.ts";

/**
 * CCTP domains of the devnet chains: the home chain plays Ethereum (0), the remote chain Base (6).
 * The one place these numbers live; everything else reads them from the manifest's `cctp` section.
 */
export const DEVNET_CCTP_DOMAINS = { home: 0, remote: 6 } as const;

/** Devnet attesters (2-of-2), Hardhat test accounts #15 and #16 (see DEVNET_ROLE_INDEX). */
export const DEVNET_CCTP_ATTESTER_ROLES = ["attester1", "attester2"] as const satisfies readonly DevnetRole[];

/** Signatures per devnet attestation. */
export const DEVNET_CCTP_THRESHOLD = 2;

/** USDC (whole units) minted to each KYC user on each chain at bring-up. */
export const DEVNET_USDC_SEED = "1000000";

/** Largest amount one message may burn, per token: $10M like Circle's USDC limit (6 decimals). */
export const DEVNET_CCTP_BURN_LIMIT = 10_000_000_000_000n;

/** Largest message body the devnet transmitters send, in bytes. */
export const DEVNET_CCTP_MAX_MESSAGE_BODY_SIZE = 8192n;

/** One devnet chain as the CCTP bring-up needs it (the asset stack is already deployed there). */
export interface CctpChainInput {
  name: string;
  role: "home" | "remote";
  rpcHttpUrl: string;
  hre: HardhatRuntimeEnvironment;
  roleAddress: (role: DevnetRole) => Address;
  /** The reserve-backed asset (dusd) on this chain, and its circuit breaker. */
  assetToken: Address;
  assetBreaker: Address;
  /** Accounts that receive DEVNET_USDC_SEED USDC. */
  usdcHolders: readonly DevnetRole[];
}

const MINTER_ROLE = keccak256(toHex("MINTER_ROLE"));
const BURNER_ROLE = keccak256(toHex("BURNER_ROLE"));
const DEPLOY_GAS = 8_000_000n;
const CALL_GAS = 500_000n;

const toBytes32 = (a: Address) => pad(a, { size: 32 });

/**
 * Sends transactions through the node's unlocked accounts with explicit nonces and gas limits, one after
 * the other without waiting for receipts (automine is on, so each is mined as it arrives), and checks
 * every receipt at the end. About 5 ms a transaction, where Ignition's estimate/send/poll cycle takes
 * ten times longer; the same deployment as an Ignition module is deploy/ignition/modules/CctpDevnetStack.ts.
 */
function createTxBatch(chain: CctpChainInput) {
  const nonces = new Map<Address, number>();
  const sent: { hash: Hash; label: string }[] = [];
  const abis = new Map<string, { abi: Abi; bytecode: Hex }>();
  const artifact = async (name: string) => {
    let a = abis.get(name);
    if (!a) {
      const read = await chain.hre.artifacts.readArtifact(name);
      a = { abi: read.abi as Abi, bytecode: read.bytecode as Hex };
      abis.set(name, a);
    }
    return a;
  };
  const nextNonce = async (from: Address) => {
    const n =
      nonces.get(from) ??
      Number(await rpc<string>(chain.rpcHttpUrl, "eth_getTransactionCount", [from, "pending"]));
    nonces.set(from, n + 1);
    return n;
  };
  const send = async (label: string, from: Address, tx: { to?: Address; data: Hex; gas: bigint }) => {
    const nonce = await nextNonce(from);
    const hash = await rpc<Hash>(chain.rpcHttpUrl, "eth_sendTransaction", [
      { from, ...tx, gas: toHex(tx.gas), nonce: toHex(nonce) },
    ]);
    sent.push({ hash, label });
    return nonce;
  };
  return {
    /** Deploys `name` from `from`; returns the address it will have. */
    async deploy(name: string, args: readonly unknown[], from: Address): Promise<Address> {
      const { abi, bytecode } = await artifact(name);
      const nonce = await send(`deploy ${name}`, from, {
        data: encodeDeployData({ abi, bytecode, args }),
        gas: DEPLOY_GAS,
      });
      return getContractAddress({ from, nonce: BigInt(nonce) });
    },
    /** Calls `functionName` of contract `name` at `to` from `from`. */
    async call(name: string, to: Address, functionName: string, args: readonly unknown[], from: Address) {
      const { abi } = await artifact(name);
      await send(`${name}.${functionName}`, from, {
        to,
        data: encodeFunctionData({ abi, functionName, args }),
        gas: CALL_GAS,
      });
    },
    /** Checks every receipt; throws naming the first transaction that failed. */
    async done(): Promise<void> {
      for (const { hash, label } of sent) {
        const receipt = await rpc<{ status: Hex } | null>(chain.rpcHttpUrl, "eth_getTransactionReceipt", [
          hash,
        ]);
        if (receipt?.status !== "0x1") {
          throw new Error(`CCTP bring-up on ${chain.name}: ${label} (tx ${hash}) failed or was not mined.`);
        }
      }
    },
  };
}

type TxBatch = ReturnType<typeof createTxBatch>;
type CctpAddresses = Omit<DevnetCctpChain, "chain" | "domain" | "deployedAtBlock">;

/** Deploys one chain's CCTP contracts and wires them locally (the CctpDevnetStack module, as raw txs). */
async function deployLocal(c: CctpChainInput, b: TxBatch, attesters: Address[]): Promise<CctpAddresses> {
  const admin = c.roleAddress("deployer");
  const domain = DEVNET_CCTP_DOMAINS[c.role];
  const threshold = BigInt(DEVNET_CCTP_THRESHOLD);
  const maxBody = DEVNET_CCTP_MAX_MESSAGE_BODY_SIZE;
  const usdc = await b.deploy("ReserveBackedStablecoin", ["USD Coin", "USDC", 6, admin], admin);
  const tokenMinter = await b.deploy("DevTokenMinter", [admin], admin);
  const transmitterV2 = await b.deploy(
    "DevMessageTransmitterV2",
    [domain, admin, admin, admin, attesters, threshold, maxBody],
    admin,
  );
  const transmitterV1 = await b.deploy(
    "DevMessageTransmitterV1",
    [domain, admin, admin, admin, attesters, threshold, maxBody],
    admin,
  );
  const messengerV2 = await b.deploy(
    "DevTokenMessengerV2",
    [transmitterV2, tokenMinter, admin, c.roleAddress("feeRecipient"), 0n],
    admin,
  );
  const messengerV1 = await b.deploy("DevTokenMessengerV1", [transmitterV1, tokenMinter, admin], admin);
  const hookExecutor = await b.deploy("CctpHookExecutor", [transmitterV2, messengerV2, tokenMinter], admin);
  const treasury = await b.deploy("DevTreasury", [hookExecutor], admin);

  const minterCall = (fn: string, args: readonly unknown[]) =>
    b.call("DevTokenMinter", tokenMinter, fn, args, admin);
  await minterCall("addLocalTokenMessenger", [messengerV2]);
  await minterCall("addLocalTokenMessenger", [messengerV1]);
  await minterCall("setMaxBurnAmountPerMessage", [usdc, DEVNET_CCTP_BURN_LIMIT]);
  await minterCall("setMaxBurnAmountPerMessage", [c.assetToken, DEVNET_CCTP_BURN_LIMIT]);
  await minterCall("setTokenBreaker", [c.assetToken, c.assetBreaker]);
  for (const token of [usdc, c.assetToken]) {
    for (const role of [MINTER_ROLE, BURNER_ROLE]) {
      await b.call("ReserveBackedStablecoin", token, "grantRole", [role, tokenMinter], admin);
    }
  }
  // The issuer stands in for Circle's issuance on the devnet: it seeds USDC balances.
  await b.call("ReserveBackedStablecoin", usdc, "grantRole", [MINTER_ROLE, c.roleAddress("issuer")], admin);
  return {
    transmitterV2,
    messengerV2,
    transmitterV1,
    messengerV1,
    tokenMinter,
    hookExecutor,
    treasury,
    usdc,
  };
}

/** Links `local` to `remote` (remote messengers V2 + V1, USDC and asset token pairs) and seeds USDC. */
async function linkAndSeed(
  c: CctpChainInput,
  b: TxBatch,
  own: CctpAddresses,
  remote: CctpChainInput,
  other: CctpAddresses,
): Promise<void> {
  const admin = c.roleAddress("deployer");
  const remoteDomain = DEVNET_CCTP_DOMAINS[remote.role];
  await b.call(
    "DevTokenMessengerV2",
    own.messengerV2,
    "addRemoteTokenMessenger",
    [remoteDomain, toBytes32(other.messengerV2)],
    admin,
  );
  await b.call(
    "DevTokenMessengerV1",
    own.messengerV1,
    "addRemoteTokenMessenger",
    [remoteDomain, toBytes32(other.messengerV1)],
    admin,
  );
  await b.call(
    "DevTokenMinter",
    own.tokenMinter,
    "linkTokenPair",
    [own.usdc, remoteDomain, toBytes32(other.usdc)],
    admin,
  );
  await b.call(
    "DevTokenMinter",
    own.tokenMinter,
    "linkTokenPair",
    [c.assetToken, remoteDomain, toBytes32(remote.assetToken)],
    admin,
  );
  const seed = parseUnits(DEVNET_USDC_SEED, 6);
  for (const holder of c.usdcHolders) {
    await b.call(
      "ReserveBackedStablecoin",
      own.usdc,
      "mint",
      [c.roleAddress(holder), seed],
      c.roleAddress("issuer"),
    );
  }
}

async function withAutomine<T>(url: string, run: () => Promise<T>): Promise<T> {
  await rpc(url, "evm_setAutomine", [true]);
  try {
    return await run();
  } finally {
    await rpc(url, "evm_setAutomine", [false]);
  }
}

/**
 * Deploys the CCTP devnet contracts on both chains (in parallel, automining, batched transactions), links
 * the chains both ways and seeds USDC; returns the manifest's `cctp` section.
 */
export async function deployCctpDevnet(
  home: CctpChainInput,
  remote: CctpChainInput,
  log: (line: string) => void,
): Promise<DevnetCctp> {
  const attesters = DEVNET_CCTP_ATTESTER_ROLES.map((r) => home.roleAddress(r)).sort((a, b) =>
    BigInt(a) < BigInt(b) ? -1 : 1,
  );
  log(
    `deploying CCTP V2 + V1 on both chains (domains ${DEVNET_CCTP_DOMAINS.home}/${DEVNET_CCTP_DOMAINS.remote})`,
  );
  const bring = (c: CctpChainInput) =>
    withAutomine(c.rpcHttpUrl, async () => {
      const batch = createTxBatch(c);
      return { c, batch, addresses: await deployLocal(c, batch, attesters) };
    });
  const [h, r] = await Promise.all([bring(home), bring(remote)]);
  const finish = (x: typeof h, y: typeof r) =>
    withAutomine(x.c.rpcHttpUrl, async (): Promise<DevnetCctpChain> => {
      await linkAndSeed(x.c, x.batch, x.addresses, y.c, y.addresses);
      await x.batch.done();
      return {
        chain: x.c.name,
        domain: DEVNET_CCTP_DOMAINS[x.c.role],
        ...x.addresses,
        deployedAtBlock: Number(await rpc<string>(x.c.rpcHttpUrl, "eth_blockNumber")),
      };
    });
  const chains = await Promise.all([finish(h, r), finish(r, h)]);
  return { chains, attesters, threshold: DEVNET_CCTP_THRESHOLD };
}

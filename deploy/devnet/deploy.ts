import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { createHardhatRuntimeEnvironment } from "hardhat/hre";
import { type Address, getAddress, parseUnits, toHex } from "viem";
import hardhatConfig from "../../hardhat.config.ts";
import DevnetHomeAssetStack from "../ignition/modules/DevnetHomeAssetStack.ts";
import RemoteAssetStack from "../ignition/modules/RemoteAssetStack.ts";
import {
  DEVNET_KYC_USERS,
  DEVNET_ROLE_INDEX,
  DEVNET_UNPAUSE_THRESHOLD,
  type DevnetRole,
} from "./accounts.ts";
import { type CctpChainInput, deployCctpDevnet } from "./cctp.ts";
import type { DevnetChain, DevnetManifest } from "./manifest.ts";
import { PROJECT_ROOT, rpc } from "./nodes.ts";

export interface DevnetChainEndpoint {
  name: string;
  role: "home" | "remote";
  chainId: number;
  rpcHttpUrl: string;
  rpcWsUrl: string;
}

/** Amounts (whole tokens) minted at bring-up so the devnet starts with supply on both chains. */
export const DEVNET_SEED = { homeMint: "4000000", remoteMint: "2000000", asset: "dusd" } as const;

const ONE_YEAR = 365n * 24n * 3600n;

/** Reads an Ignition parameter file, turning "123n" strings into bigints. */
async function readParameters(file: string): Promise<Record<string, Record<string, unknown>>> {
  const raw = JSON.parse(await readFile(join(PROJECT_ROOT, "deploy/ignition/parameters", file), "utf8"));
  return JSON.parse(JSON.stringify(raw), (_k, v) =>
    typeof v === "string" && /^\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v,
  );
}

async function connect(chain: DevnetChainEndpoint) {
  const hre = await createHardhatRuntimeEnvironment(hardhatConfig, {}, PROJECT_ROOT);
  const conn = await hre.network.connect({ network: "devnetRpc", override: { url: chain.rpcHttpUrl } });
  const accounts = (await rpc<string[]>(chain.rpcHttpUrl, "eth_accounts")).map((a) => getAddress(a));
  const roleAddress = (role: DevnetRole): Address => {
    const a = accounts[DEVNET_ROLE_INDEX[role]];
    if (!a)
      throw new Error(
        `Devnet node ${chain.name} exposes no account #${DEVNET_ROLE_INDEX[role]} for ${role}.`,
      );
    return a;
  };
  return { hre, conn, accounts, roleAddress };
}

/** Deploys the demo asset on the home and remote chains through Ignition, wires roles, seeds users. */
export async function deployDevnet(
  home: DevnetChainEndpoint,
  remote: DevnetChainEndpoint,
  log: (line: string) => void,
): Promise<DevnetManifest> {
  const h = await connect(home);
  const r = await connect(remote);
  const signers = (["signer1", "signer2", "signer3"] as const)
    .map((s) => h.roleAddress(s))
    .sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  const roles = {
    keeper: h.roleAddress("keeper"),
    issuer: h.roleAddress("issuer"),
    complianceOfficer: h.roleAddress("complianceOfficer"),
    unpauseSigners: signers,
    unpauseThreshold: DEVNET_UNPAUSE_THRESHOLD,
  };

  const homeParams = await readParameters("devnet-home.json");
  const remoteParams = await readParameters("devnet-remote.json");
  const homeModule: Record<string, unknown> = { ...homeParams.DevnetHomeAssetStack, ...roles };
  const remoteModule: Record<string, unknown> = {
    ...remoteParams.RemoteAssetStack,
    keeper: roles.keeper,
    bridgeMinter: roles.issuer,
    complianceOfficer: roles.complianceOfficer,
    unpauseSigners: roles.unpauseSigners,
    unpauseThreshold: roles.unpauseThreshold,
  };

  const deployOn = async <T>(chain: DevnetChainEndpoint, run: () => Promise<T>): Promise<T> => {
    // Automine while deploying so bring-up takes seconds, then back to interval mining.
    await rpc(chain.rpcHttpUrl, "evm_setAutomine", [true]);
    try {
      return await run();
    } finally {
      await rpc(chain.rpcHttpUrl, "evm_setAutomine", [false]);
    }
  };

  const deploymentId = (c: DevnetChainEndpoint) => `devnet-${c.chainId}-${new URL(c.rpcHttpUrl).port}`;
  for (const c of [home, remote]) {
    await rm(join(PROJECT_ROOT, "deploy/ignition/deployments", deploymentId(c)), {
      recursive: true,
      force: true,
    });
  }

  log(`deploying ${String(homeModule.symbol)} on ${home.name} (chain ${home.chainId})`);
  const homeStack = await deployOn(home, async () => {
    const s = await h.conn.ignition.deploy(DevnetHomeAssetStack, {
      parameters: { DevnetHomeAssetStack: homeModule as never },
      deploymentId: deploymentId(home),
      config: { requiredConfirmations: 1 },
    });
    await seedUsers(h, s.gate.address);
    const amount = parseUnits(DEVNET_SEED.homeMint, Number(homeModule.decimals));
    await h.conn.viem.getPublicClient().then(async (pc) => {
      const hash = await s.minter.write.mint([h.roleAddress("alice"), amount], { account: roles.issuer });
      await pc.waitForTransactionReceipt({ hash });
    });
    return s;
  });
  const homeBlock = Number(await rpc<string>(home.rpcHttpUrl, "eth_blockNumber"));

  log(`deploying ${String(remoteModule.symbol)} on ${remote.name} (chain ${remote.chainId})`);
  const remoteStack = await deployOn(remote, async () => {
    const s = await r.conn.ignition.deploy(RemoteAssetStack, {
      parameters: { RemoteAssetStack: remoteModule as never },
      deploymentId: deploymentId(remote),
      config: { requiredConfirmations: 1 },
    });
    await seedUsers(r, s.gate.address);
    const amount = parseUnits(DEVNET_SEED.remoteMint, Number(remoteModule.decimals));
    const pc = await r.conn.viem.getPublicClient();
    const hash = await s.token.write.mint([r.roleAddress("bob"), amount], { account: roles.issuer });
    await pc.waitForTransactionReceipt({ hash });
    return s;
  });
  const remoteBlock = Number(await rpc<string>(remote.rpcHttpUrl, "eth_blockNumber"));

  const cctpChain = (
    c: DevnetChainEndpoint,
    x: typeof h,
    stack: { token: { address: Address }; breaker: { address: Address } },
  ): CctpChainInput => ({
    ...c,
    hre: x.hre,
    roleAddress: x.roleAddress,
    assetToken: stack.token.address,
    assetBreaker: stack.breaker.address,
    usdcHolders: DEVNET_KYC_USERS,
  });
  const cctp = await deployCctpDevnet(cctpChain(home, h, homeStack), cctpChain(remote, r, remoteStack), log);

  const chains: DevnetChain[] = [home, remote].map((c) => ({
    name: c.name,
    chainId: c.chainId,
    role: c.role,
    rpcHttpUrl: c.rpcHttpUrl,
    rpcWsUrl: c.rpcWsUrl,
  }));
  const accounts: Record<string, Address> = {};
  for (const role of Object.keys(DEVNET_ROLE_INDEX) as DevnetRole[]) accounts[role] = h.roleAddress(role);

  return {
    version: 1,
    createdAt: new Date().toISOString(),
    chains,
    accounts,
    unpause: { signers, threshold: DEVNET_UNPAUSE_THRESHOLD },
    cctp,
    assets: [
      {
        id: DEVNET_SEED.asset,
        symbol: String(homeModule.symbol),
        tokenDecimals: Number(homeModule.decimals),
        feedDecimals: Number(homeModule.feedDecimals),
        feedChain: home.name,
        heartbeatSeconds: Number(homeModule.heartbeatSeconds),
        marginBps: Number(homeModule.marginBps),
        chains: [
          {
            chain: home.name,
            token: homeStack.token.address,
            breaker: homeStack.breaker.address,
            gate: homeStack.gate.address,
            redeemer: homeStack.redeemer.address,
            verifier: homeStack.verifier.address,
            minter: homeStack.minter.address,
            feed: homeStack.feed.address,
            aggregator: homeStack.aggregator.address,
            deployedAtBlock: homeBlock,
          },
          {
            chain: remote.name,
            token: remoteStack.token.address,
            breaker: remoteStack.breaker.address,
            gate: remoteStack.gate.address,
            redeemer: remoteStack.redeemer.address,
            deployedAtBlock: remoteBlock,
          },
        ],
      },
    ],
  };

  async function seedUsers(c: Awaited<ReturnType<typeof connect>>, gateAddress: Address): Promise<void> {
    const gate = await c.conn.viem.getContractAt("ComplianceGate", gateAddress);
    const pc = await c.conn.viem.getPublicClient();
    const now = BigInt((await pc.getBlock()).timestamp);
    const users = DEVNET_KYC_USERS.map((u) => c.roleAddress(u));
    const records = users.map(() => ({
      kycTier: 2,
      jurisdiction: toHex("US", { size: 2 }),
      qualifiedParty: true,
      expiresAt: now + ONE_YEAR,
    }));
    const hash = await gate.write.setRecords([users, records], { account: roles.complianceOfficer });
    await pc.waitForTransactionReceipt({ hash });
  }
}

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevnetManifest } from "../../deploy/devnet/manifest.ts";
import { ConfigError } from "../internal/errors.ts";
import {
  configFromDevnetManifest,
  DEVNET_KEEPER_CONFIG_NAME,
  devnetKeeperConfigDocument,
  writeDevnetKeeperConfig,
} from "./fromDevnet.ts";
import { loadConfig } from "./load.ts";
import { policyFor } from "./schema.ts";

/** A manifest shaped like `devnet up` writes it (addresses are Hardhat's deterministic deployments). */
function manifest(): DevnetManifest {
  return {
    version: 1,
    createdAt: "2025-01-01T00:00:00.000Z",
    chains: [
      {
        name: "home",
        chainId: 31337,
        role: "home",
        rpcHttpUrl: "http://127.0.0.1:8545",
        rpcWsUrl: "ws://127.0.0.1:8545",
      },
      {
        name: "remote",
        chainId: 31338,
        role: "remote",
        rpcHttpUrl: "http://127.0.0.1:8546",
        rpcWsUrl: "ws://127.0.0.1:8546",
      },
    ],
    assets: [
      {
        id: "dusd",
        symbol: "dUSD",
        tokenDecimals: 6,
        feedDecimals: 8,
        feedChain: "home",
        heartbeatSeconds: 3600,
        marginBps: 0,
        chains: [
          {
            chain: "home",
            token: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
            breaker: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
            gate: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
            redeemer: "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
            verifier: "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9",
            minter: "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707",
            feed: "0x0165878A594ca255338adfa4d48449f69242Eb8F",
            aggregator: "0xa513E6E4b8f2a923D98304ec87F64353C4D5C853",
            deployedAtBlock: 3,
          },
          {
            chain: "remote",
            token: "0x2279B7A0a67DB372996a5FaB50D91eAA73d2eBe6",
            breaker: "0x8A791620dd6260079BF849Dc5567aDC3F2FdC318",
            gate: "0x610178dA211FEF7D417bC0e6FeD39F05609AD788",
            redeemer: "0xB7f8BC63BbcaD18155201308C8f3540b07f84F5e",
            deployedAtBlock: 7,
          },
        ],
      },
    ],
    accounts: { keeper: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" },
    unpause: { signers: ["0x90F79bf6EB2c4f870365E785982E1f101E93b906"], threshold: 1 },
    cctp: {
      chains: [
        {
          chain: "home",
          domain: 0,
          transmitterV2: "0x000000000000000000000000000000000000aa01",
          messengerV2: "0x000000000000000000000000000000000000aa02",
          transmitterV1: "0x000000000000000000000000000000000000aa03",
          messengerV1: "0x000000000000000000000000000000000000aa04",
          tokenMinter: "0x000000000000000000000000000000000000aa05",
          hookExecutor: "0x000000000000000000000000000000000000aa06",
          treasury: "0x000000000000000000000000000000000000aa07",
          usdc: "0x000000000000000000000000000000000000aa08",
          deployedAtBlock: 9,
        },
      ],
      attesters: ["0x90F79bf6EB2c4f870365E785982E1f101E93b906"],
      threshold: 1,
    },
  };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rk-devnet-config-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("configFromDevnetManifest", () => {
  it("builds a valid config: both chains with ws URLs, the feed proxy on home, deployments with deployedAtBlock and the chain's CCTP messengers", () => {
    const config = configFromDevnetManifest(manifest());
    expect(config.chains.map((c) => [c.name, c.id, c.rpc.http, c.rpc.ws])).toEqual([
      ["home", 31337, "http://127.0.0.1:8545", "ws://127.0.0.1:8545"],
      ["remote", 31338, "http://127.0.0.1:8546", "ws://127.0.0.1:8546"],
    ]);
    const asset = config.assets[0];
    expect(asset?.feed).toEqual({ chain: "home", proxy: "0x0165878A594ca255338adfa4d48449f69242Eb8F" });
    expect(asset?.heartbeatSeconds).toBe(3600n);
    expect(asset?.deployments).toEqual([
      {
        chain: "home",
        token: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        breaker: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
        verifier: "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9",
        gate: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
        minter: "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707",
        redeemer: "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
        cctpMessengers: [
          "0x000000000000000000000000000000000000aA02",
          "0x000000000000000000000000000000000000aa04",
        ],
        deployedAtBlock: 3n,
      },
      {
        chain: "remote",
        token: "0x2279B7A0a67DB372996a5FaB50D91eAA73d2eBe6",
        breaker: "0x8A791620dd6260079BF849Dc5567aDC3F2FdC318",
        gate: "0x610178dA211FEF7D417bC0e6FeD39F05609AD788",
        redeemer: "0xB7f8BC63BbcaD18155201308C8f3540b07f84F5e",
        cctpMessengers: [],
        deployedAtBlock: 7n,
      },
    ]);
    expect(config.signer).toEqual({ type: "env", variable: "RESERVE_KEEPER_SIGNER_KEY" });
    expect(config.bus).toEqual({ type: "inprocess" });
    expect(policyFor(asset as NonNullable<typeof asset>).heartbeatSeconds).toBe(3600n);
    // The manifest's CCTP devnet becomes the cctp section (for `reserve-keeper cctp … --config`).
    expect(config.cctp?.chains.map((c) => [c.chain, c.domain])).toEqual([["home", 0]]);
  });

  it("merges overrides (objects by key, values replaced) and validates the result", () => {
    const config = configFromDevnetManifest(manifest(), {
      signer: { type: "none" },
      actions: { enabled: false },
      telemetry: { metricsPort: 9999 },
    });
    expect(config.signer).toEqual({ type: "none" });
    expect(config.telemetry).toMatchObject({ metricsPort: 9999, host: "127.0.0.1" });
    expect(() => configFromDevnetManifest(manifest(), { signer: { type: "none" } })).toThrow(ConfigError);
  });

  it("refuses a manifest whose feed chain has no feed", () => {
    const m = manifest();
    const home = m.assets[0]?.chains[0];
    if (home) delete home.feed;
    expect(() => devnetKeeperConfigDocument(m)).toThrow(/no feed address on its feed chain "home"/);
  });
});

describe("writeDevnetKeeperConfig", () => {
  it("writes YAML next to the manifest that loadConfig reads back to the same config", async () => {
    const manifestPath = join(dir, "devnet.json");
    await writeFile(manifestPath, JSON.stringify(manifest()));
    const { path, config } = await writeDevnetKeeperConfig(manifestPath);
    expect(path).toBe(join(dir, DEVNET_KEEPER_CONFIG_NAME));
    const text = await readFile(path, "utf8");
    expect(text).toMatch(/^# reserve-keeper config for the local devnet/);
    expect(text).toContain("DEVNET ONLY");
    expect((await loadConfig({ path, env: {} })).config).toEqual(config);
    expect(config).toEqual(configFromDevnetManifest(manifest()));
  });

  it("writes to an explicit path", async () => {
    const manifestPath = join(dir, "m.json");
    await writeFile(manifestPath, JSON.stringify(manifest()));
    const out = join(dir, "sub", "k.yaml");
    const { path } = await writeDevnetKeeperConfig(manifestPath, out);
    expect(path).toBe(out);
    expect((await loadConfig({ path: out, env: {} })).config.assets[0]?.id).toBe("dusd");
  });
});

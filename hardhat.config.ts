import { createRequire } from "node:module";
import hardhatIgnitionViem from "@nomicfoundation/hardhat-ignition-viem";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";
import hardhatViem from "@nomicfoundation/hardhat-viem";
import { defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);

/** Chain ids of the two local devnet chains (see deploy/devnet). */
export const HOME_CHAIN_ID = 31337;
export const REMOTE_CHAIN_ID = 31338;

export default defineConfig({
  plugins: [hardhatViem, hardhatIgnitionViem, hardhatNetworkHelpers],
  solidity: {
    // Offline: the emscripten build from the `solc` npm package (pinned to exactly this version).
    version: "0.8.30",
    path: require.resolve("solc/soljson.js"),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
    },
    npmFilesToBuild: [],
  },
  paths: {
    tests: { solidity: "test/contracts/solidity" },
    ignition: "deploy/ignition",
  },
  networks: {
    // In-process chain for contract tests.
    hardhat: { type: "edr-simulated", chainType: "l1", chainId: HOME_CHAIN_ID },
    // The two devnet chains, served by `hardhat node` processes with interval mining.
    devnetHome: {
      type: "edr-simulated",
      chainType: "l1",
      chainId: HOME_CHAIN_ID,
      mining: { auto: false, interval: 1000 },
      // Bring-up automines dozens of blocks in a second; without this each would add a second and the
      // chain's clock would run ahead of the wall clock (feeds would look "updated in the future").
      allowBlocksWithSameTimestamp: true,
    },
    devnetRemote: {
      type: "edr-simulated",
      chainType: "l1",
      chainId: REMOTE_CHAIN_ID,
      mining: { auto: false, interval: 1000 },
      allowBlocksWithSameTimestamp: true,
    },
    // A running devnet node; deploy/devnet overrides the URL per chain.
    devnetRpc: { type: "http", chainType: "l1", url: "http://127.0.0.1:8545" },
  },
});

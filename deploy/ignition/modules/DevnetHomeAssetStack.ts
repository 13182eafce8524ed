import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { buildHomeStack } from "./assetStack.ts";

/**
 * Devnet home-chain stack: deploys a devnet PoR aggregator behind a Chainlink-style proxy
 * (contracts/dev, never for real networks), then the same stack as HomeAssetStack.
 */
export default buildModule("DevnetHomeAssetStack", (m) => {
  const owner = m.getAccount(0);
  const feedDecimals = m.getParameter<number>("feedDecimals", 8);
  const initialReserves = m.getParameter<bigint>("initialReservesAnswer");
  const description = m.getParameter<string>("feedDescription", "DUSD Proof of Reserve (devnet)");
  const aggregator = m.contract("DevPorAggregator", [feedDecimals, initialReserves, description, owner]);
  const feed = m.contract("DevAggregatorProxy", [aggregator, owner]);
  return { aggregator, feed, ...buildHomeStack(m, feed) };
});

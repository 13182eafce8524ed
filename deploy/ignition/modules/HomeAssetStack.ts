import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { buildHomeStack } from "./assetStack.ts";

/** Production home-chain stack: the PoR feed is an existing Chainlink proxy given as `feed`. */
export default buildModule("HomeAssetStack", (m) => {
  const feed = m.getParameter<string>("feed");
  return buildHomeStack(m, feed);
});

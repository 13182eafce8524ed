import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { buildRemoteStack } from "./assetStack.ts";

/** Stack for a chain where the asset lives without a PoR feed. */
export default buildModule("RemoteAssetStack", (m) => buildRemoteStack(m));

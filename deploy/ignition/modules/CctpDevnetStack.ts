import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { ROLES } from "./roles.ts";

/**
 * The local CCTP devnet contracts of ONE chain (contracts/cctp, devnet only — never deploy to a real
 * network): a local USDC (ReserveBackedStablecoin "USD Coin"/"USDC", 6 decimals), one DevTokenMinter shared
 * by the V2 and V1 messengers, DevMessageTransmitterV2 + DevTokenMessengerV2, DevMessageTransmitterV1 +
 * DevTokenMessengerV1, the CctpHookExecutor and a DevTreasury hook target (which accepts callbacks from
 * that executor only).
 *
 * Wiring done here (single chain): both messengers registered on the minter, per-message burn limits for
 * USDC and the reserve-backed asset (`assetToken`), the asset's circuit breaker on the minter, MINTER_ROLE
 * and BURNER_ROLE for the minter on both tokens, MINTER_ROLE on USDC for `usdcMasterMinter` (the devnet
 * stand-in for Circle's issuance, used to seed balances). Cross-chain wiring (remote messengers, token
 * pairs) needs both chains' addresses and is done afterwards (deploy/devnet/cctp.ts).
 *
 * The deployer (account 0) is the admin, pauser and attester manager of everything, and must hold
 * DEFAULT_ADMIN_ROLE on `assetToken` to grant the minter its roles.
 */
export default buildModule("CctpDevnetStack", (m) => {
  const admin = m.getAccount(0);
  const domain = m.getParameter<number>("domain");
  const attesters = m.getParameter<string[]>("attesters");
  const signatureThreshold = m.getParameter<number>("signatureThreshold");
  const maxMessageBodySize = m.getParameter<number>("maxMessageBodySize", 8192);
  const feeRecipient = m.getParameter<string>("feeRecipient");
  const minFee = m.getParameter<bigint>("minFee", 0n);
  // $10M per message, like Circle's limit for USDC (6 decimals).
  const burnLimitPerMessage = m.getParameter<bigint>("burnLimitPerMessage", 10_000_000_000_000n);
  const usdcMasterMinter = m.getParameter<string>("usdcMasterMinter");
  const assetToken = m.contractAt("ReserveBackedStablecoin", m.getParameter<string>("assetToken"), {
    id: "AssetToken",
  });
  const assetBreaker = m.getParameter<string>("assetBreaker");

  const usdc = m.contract("ReserveBackedStablecoin", ["USD Coin", "USDC", 6, admin], { id: "Usdc" });
  const tokenMinter = m.contract("DevTokenMinter", [admin]);
  const transmitterV2 = m.contract("DevMessageTransmitterV2", [
    domain,
    admin,
    admin,
    admin,
    attesters,
    signatureThreshold,
    maxMessageBodySize,
  ]);
  const transmitterV1 = m.contract("DevMessageTransmitterV1", [
    domain,
    admin,
    admin,
    admin,
    attesters,
    signatureThreshold,
    maxMessageBodySize,
  ]);
  const messengerV2 = m.contract("DevTokenMessengerV2", [
    transmitterV2,
    tokenMinter,
    admin,
    feeRecipient,
    minFee,
  ]);
  const messengerV1 = m.contract("DevTokenMessengerV1", [transmitterV1, tokenMinter, admin]);
  const hookExecutor = m.contract("CctpHookExecutor", [transmitterV2, messengerV2, tokenMinter]);
  const treasury = m.contract("DevTreasury", [hookExecutor]);

  m.call(tokenMinter, "addLocalTokenMessenger", [messengerV2], { id: "addMessengerV2" });
  m.call(tokenMinter, "addLocalTokenMessenger", [messengerV1], { id: "addMessengerV1" });
  m.call(tokenMinter, "setMaxBurnAmountPerMessage", [usdc, burnLimitPerMessage], { id: "usdcBurnLimit" });
  m.call(tokenMinter, "setMaxBurnAmountPerMessage", [assetToken, burnLimitPerMessage], {
    id: "assetBurnLimit",
  });
  m.call(tokenMinter, "setTokenBreaker", [assetToken, assetBreaker], { id: "assetBreaker" });
  for (const [token, name] of [
    [usdc, "usdc"],
    [assetToken, "asset"],
  ] as const) {
    m.call(token, "grantRole", [ROLES.MINTER_ROLE, tokenMinter], { id: `${name}MinterToCctp` });
    m.call(token, "grantRole", [ROLES.BURNER_ROLE, tokenMinter], { id: `${name}BurnerToCctp` });
  }
  m.call(usdc, "grantRole", [ROLES.MINTER_ROLE, usdcMasterMinter], { id: "usdcMasterMinter" });

  return {
    usdc,
    tokenMinter,
    transmitterV2,
    messengerV2,
    transmitterV1,
    messengerV1,
    hookExecutor,
    treasury,
  };
});

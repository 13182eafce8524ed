import { network } from "hardhat";
import { getAddress } from "viem";
import { describe, expect, it } from "vitest";
import CctpDevnetStack from "../../../deploy/ignition/modules/CctpDevnetStack.ts";
import { deployAssetStack, getWallets } from "../helpers/stack.ts";
import { ascending, attester, BURNER_ROLE, MINTER_ROLE } from "./helpers.ts";

const { viem, ignition, networkHelpers } = await network.connect();

// The Ignition module is the declarative form of what deploy/devnet/cctp.ts sends as batched transactions
// at bring-up (checked against a real devnet by test/integration/cctp-devnet.test.ts).
async function deployModule() {
  const [admin, , issuer, , , , feeRecipient] = await getWallets(viem);
  const asset = await deployAssetStack(viem, { symbol: "dUSD" });
  const attesters = ascending([attester("m-1"), attester("m-2")]).map((a) => a.address);
  const stack = await ignition.deploy(CctpDevnetStack, {
    parameters: {
      CctpDevnetStack: {
        domain: 6,
        attesters,
        signatureThreshold: 2,
        feeRecipient: feeRecipient!.account.address,
        usdcMasterMinter: issuer!.account.address,
        assetToken: asset.token.address,
        assetBreaker: asset.breaker.address,
      },
    },
  });
  return { stack, asset, attesters, admin: admin!.account.address, issuer: issuer!.account.address };
}

describe("Ignition module CctpDevnetStack", () => {
  it("deploys one chain's CCTP contracts with the local wiring", async () => {
    const { stack, asset, attesters, admin, issuer } = await networkHelpers.loadFixture(deployModule);
    const {
      usdc,
      tokenMinter,
      transmitterV2,
      transmitterV1,
      messengerV2,
      messengerV1,
      hookExecutor,
      treasury,
    } = stack;
    expect([await usdc.read.name(), await usdc.read.symbol(), await usdc.read.decimals()]).toEqual([
      "USD Coin",
      "USDC",
      6,
    ]);
    for (const t of [transmitterV2, transmitterV1]) {
      expect(await t.read.localDomain()).toBe(6);
      expect(await t.read.signatureThreshold()).toBe(2n);
      expect(await t.read.maxMessageBodySize()).toBe(8192n);
      for (const a of attesters) expect(await t.read.isEnabledAttester([a])).toBe(true);
    }
    expect(await transmitterV1.read.version()).toBe(0);
    expect(await messengerV2.read.localMessageTransmitter()).toBe(getAddress(transmitterV2.address));
    expect(await messengerV1.read.localMessageTransmitter()).toBe(getAddress(transmitterV1.address));
    expect(await hookExecutor.read.tokenMessenger()).toBe(getAddress(messengerV2.address));
    expect(await treasury.read.executor()).toBe(getAddress(hookExecutor.address));
    expect(await tokenMinter.read.isLocalTokenMessenger([messengerV2.address])).toBe(true);
    expect(await tokenMinter.read.isLocalTokenMessenger([messengerV1.address])).toBe(true);
    expect(await tokenMinter.read.burnLimitsPerMessage([usdc.address])).toBe(10_000_000_000_000n);
    expect(await tokenMinter.read.burnLimitsPerMessage([asset.token.address])).toBe(10_000_000_000_000n);
    expect(await tokenMinter.read.tokenBreaker([asset.token.address])).toBe(
      getAddress(asset.breaker.address),
    );
    for (const token of [usdc, asset.token]) {
      expect(await token.read.hasRole([MINTER_ROLE, tokenMinter.address])).toBe(true);
      expect(await token.read.hasRole([BURNER_ROLE, tokenMinter.address])).toBe(true);
    }
    expect(await usdc.read.hasRole([MINTER_ROLE, issuer])).toBe(true);
    expect(await tokenMinter.read.hasRole([await tokenMinter.read.DEFAULT_ADMIN_ROLE(), admin])).toBe(true);
  });
});

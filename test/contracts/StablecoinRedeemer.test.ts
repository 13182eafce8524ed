import { network } from "hardhat";
import { getAddress, keccak256, stringToBytes, toHex, zeroAddress, zeroHash } from "viem";
import { describe, expect, it } from "vitest";
import {
  allowAccounts,
  deployAssetStack,
  eventsOf,
  getWallets,
  jurisdiction,
  Operation,
  Reason,
  revertOf,
  tokenUnits,
} from "./helpers/stack.ts";

const { viem, networkHelpers } = await network.connect();
const publicClient = await viem.getPublicClient();
const wallets = await getWallets(viem);
const [admin, keeper, issuer, officer, alice, bob, stranger] = wallets;
if (!admin || !keeper || !issuer || !officer || !alice || !bob || !stranger)
  throw new Error("Not enough accounts.");

const BURNER_ROLE = keccak256(toHex("BURNER_ROLE"));
const REF = keccak256(stringToBytes("iban:DE89370400440532013000"));
const REF2 = keccak256(stringToBytes("iban:GB33BUKB20201555555555"));

/** Alice (allowed) holds 1,000 tokens; bob holds 500 but has no record. */
async function deployFunded() {
  const stack = await deployAssetStack(viem);
  await allowAccounts(viem, stack, [alice!.account.address, bob!.account.address]);
  await stack.minter.write.mint([alice!.account.address, tokenUnits(stack, 1_000n)], {
    account: issuer!.account,
  });
  await stack.minter.write.mint([bob!.account.address, tokenUnits(stack, 500n)], {
    account: issuer!.account,
  });
  await stack.gate.write.clearRecords([[bob!.account.address]], { account: officer!.account });
  return stack;
}

type Stack = Awaited<ReturnType<typeof deployFunded>>;

function redeemAs(
  stack: Stack,
  account: NonNullable<typeof alice>,
  amount: bigint,
  payoutRef: `0x${string}` = REF,
) {
  return stack.redeemer.write.redeem([amount, payoutRef], { account: account.account });
}

function redeemerRevert(stack: Stack, action: Promise<unknown>) {
  return revertOf(action, stack.redeemer.abi, stack.token.abi);
}

describe("StablecoinRedeemer", () => {
  describe("constructor and views", () => {
    it("stores the wiring, the admin and the first id", async () => {
      const stack = await networkHelpers.loadFixture(deployFunded);
      const { redeemer } = stack;
      expect(await redeemer.read.token()).toBe(getAddress(stack.token.address));
      expect(await redeemer.read.breaker()).toBe(getAddress(stack.breaker.address));
      expect(await redeemer.read.gate()).toBe(getAddress(stack.gate.address));
      expect(await redeemer.read.nextRedemptionId()).toBe(1n);
      expect(
        await redeemer.read.hasRole([await redeemer.read.DEFAULT_ADMIN_ROLE(), admin.account.address]),
      ).toBe(true);
      expect(await stack.token.read.hasRole([BURNER_ROLE, redeemer.address])).toBe(true);
    });

    it("reverts with ZeroAddress for any zero argument", async () => {
      const stack = await networkHelpers.loadFixture(deployFunded);
      const args = [
        stack.token.address,
        stack.breaker.address,
        stack.gate.address,
        admin.account.address,
      ] as const;
      for (let i = 0; i < args.length; i++) {
        const withZero = args.map((a, j) => (j === i ? zeroAddress : a)) as unknown as typeof args;
        expect(
          await revertOf(viem.deployContract("StablecoinRedeemer", [...withZero]), stack.redeemer.abi),
        ).toEqual({ errorName: "ZeroAddress", args: [] });
      }
    });
  });

  describe("redeem", () => {
    it("burns the caller's tokens and emits the payout record", async () => {
      const stack = await networkHelpers.loadFixture(deployFunded);
      const amount = tokenUnits(stack, 400n);
      const { result } = await stack.redeemer.simulate.redeem([amount, REF], {
        account: alice.account.address,
      });
      expect(result).toBe(1n);

      const hash = await redeemAs(stack, alice, amount);
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      const block = await publicClient.getBlock({ blockNumber: receipt.blockNumber });
      const [record] = await eventsOf(publicClient, hash, stack.redeemer.abi, "RedemptionRequested");
      expect(record?.args).toEqual({
        redemptionId: 1n,
        account: alice.account.address,
        amount,
        payoutRef: REF,
        supplyAfter: tokenUnits(stack, 1_100n),
        requestedAt: block.timestamp,
      });
      const [transfer] = await eventsOf(publicClient, hash, stack.token.abi, "Transfer");
      expect(transfer?.args).toEqual({ from: alice.account.address, to: zeroAddress, value: amount });
      expect(await stack.token.read.balanceOf([alice.account.address])).toBe(tokenUnits(stack, 600n));
      expect(await stack.token.read.totalSupply()).toBe(tokenUnits(stack, 1_100n));
      expect(await stack.redeemer.read.nextRedemptionId()).toBe(2n);
    });

    it("numbers redemptions 1, 2, 3… across accounts", async () => {
      const stack = await networkHelpers.loadFixture(deployFunded);
      await allowAccounts(viem, stack, [bob.account.address]);
      const ids: bigint[] = [];
      for (const [who, ref] of [
        [alice, REF],
        [bob, REF2],
        [alice, REF2],
      ] as const) {
        const hash = await redeemAs(stack, who, 1n, ref);
        const [record] = await eventsOf(publicClient, hash, stack.redeemer.abi, "RedemptionRequested");
        expect(record?.args.account).toBe(who.account.address);
        expect(record?.args.payoutRef).toBe(ref);
        ids.push(record!.args.redemptionId);
      }
      expect(ids).toEqual([1n, 2n, 3n]);
    });

    it("does not consult the reserves: redemptions work with a stale or short feed while unpaused", async () => {
      const stack = await networkHelpers.loadFixture(deployFunded);
      await stack.aggregator.write.submit([1n], { account: admin.account });
      await networkHelpers.time.increase(stack.config.heartbeat + 100n);
      await redeemAs(stack, alice, tokenUnits(stack, 1_000n));
      expect(await stack.token.read.totalSupply()).toBe(tokenUnits(stack, 500n));
    });

    it("reverts with ZeroAmount", async () => {
      const stack = await networkHelpers.loadFixture(deployFunded);
      expect(await redeemerRevert(stack, redeemAs(stack, stranger, 0n, zeroHash))).toEqual({
        errorName: "ZeroAmount",
        args: [],
      });
    });

    it("reverts with InvalidPayoutRef for a zero reference", async () => {
      const stack = await networkHelpers.loadFixture(deployFunded);
      expect(await redeemerRevert(stack, redeemAs(stack, alice, 1n, zeroHash))).toEqual({
        errorName: "InvalidPayoutRef",
        args: [],
      });
    });

    it("reverts with BreakerIsPaused while paused, before compliance", async () => {
      const stack = await networkHelpers.loadFixture(deployFunded);
      await stack.breaker.write.pause(["shortfall", 0n, 0n], { account: keeper.account });
      for (const who of [alice, bob]) {
        expect(await redeemerRevert(stack, redeemAs(stack, who, 1n))).toEqual({
          errorName: "BreakerIsPaused",
          args: [getAddress(stack.breaker.address)],
        });
      }
    });

    describe("compliance (operation Redeem)", () => {
      async function expectComplianceFailure(
        stack: Stack,
        who: typeof alice,
        amount: bigint,
        reason: number,
      ) {
        expect(await redeemerRevert(stack, redeemAs(stack, who!, amount))).toEqual({
          errorName: "ComplianceCheckFailed",
          args: [who!.account.address, Operation.Redeem, amount, reason],
        });
      }

      it("NoRecord", async () => {
        const stack = await networkHelpers.loadFixture(deployFunded);
        await expectComplianceFailure(stack, bob, 1n, Reason.NoRecord);
      });

      it("RecordExpired", async () => {
        const stack = await networkHelpers.loadFixture(deployFunded);
        const expiresAt = BigInt(await networkHelpers.time.latest()) + 10n;
        await allowAccounts(viem, stack, [alice.account.address], { expiresAt });
        await networkHelpers.time.increaseTo(expiresAt);
        await expectComplianceFailure(stack, alice, 1n, Reason.RecordExpired);
      });

      it("JurisdictionBlocked", async () => {
        const stack = await networkHelpers.loadFixture(deployFunded);
        await stack.gate.write.setJurisdictionsBlocked([[jurisdiction("US")], true], {
          account: officer.account,
        });
        await expectComplianceFailure(stack, alice, 1n, Reason.JurisdictionBlocked);
      });

      it("KycTierTooLow, using the Redeem tier only", async () => {
        const stack = await networkHelpers.loadFixture(deployFunded);
        await stack.gate.write.setMinKycTier([Operation.Mint, 5], { account: officer.account });
        await redeemAs(stack, alice, 1n);
        await stack.gate.write.setMinKycTier([Operation.Redeem, 2], { account: officer.account });
        await expectComplianceFailure(stack, alice, 1n, Reason.KycTierTooLow);
      });

      it("QualifiedPartyRequired at the threshold", async () => {
        const stack = await networkHelpers.loadFixture(deployFunded);
        const threshold = tokenUnits(stack, 100n);
        await stack.gate.write.setQualifiedPartyThreshold([threshold], { account: officer.account });
        await redeemAs(stack, alice, threshold - 1n);
        await expectComplianceFailure(stack, alice, threshold, Reason.QualifiedPartyRequired);
      });
    });

    it("reverts with the token's ERC20InsufficientBalance above the balance", async () => {
      const stack = await networkHelpers.loadFixture(deployFunded);
      const balance = tokenUnits(stack, 1_000n);
      expect(await redeemerRevert(stack, redeemAs(stack, alice, balance + 1n))).toEqual({
        errorName: "ERC20InsufficientBalance",
        args: [alice.account.address, balance, balance + 1n],
      });
      expect(await stack.redeemer.read.nextRedemptionId()).toBe(1n);
    });

    it("fails with the token's error when the redeemer lost BURNER_ROLE", async () => {
      const stack = await networkHelpers.loadFixture(deployFunded);
      await stack.token.write.revokeRole([BURNER_ROLE, stack.redeemer.address], { account: admin.account });
      expect(await redeemerRevert(stack, redeemAs(stack, alice, 1n))).toEqual({
        errorName: "AccessControlUnauthorizedAccount",
        args: [getAddress(stack.redeemer.address), BURNER_ROLE],
      });
    });

    it("only the admin manages roles", async () => {
      const stack = await networkHelpers.loadFixture(deployFunded);
      const role = await stack.redeemer.read.DEFAULT_ADMIN_ROLE();
      expect(
        await revertOf(
          stack.redeemer.write.grantRole([role, stranger.account.address], { account: stranger.account }),
        ),
      ).toEqual({ errorName: "AccessControlUnauthorizedAccount", args: [stranger.account.address, role] });
    });
  });
});

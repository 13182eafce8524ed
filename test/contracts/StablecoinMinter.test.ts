import { network } from "hardhat";
import { getAddress, keccak256, maxUint256, toHex, zeroAddress } from "viem";
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
  unpauseBreaker,
} from "./helpers/stack.ts";

const { viem, networkHelpers } = await network.connect();
const publicClient = await viem.getPublicClient();
const wallets = await getWallets(viem);
const [admin, keeper, issuer, officer, alice, bob, stranger] = wallets;
if (!admin || !keeper || !issuer || !officer || !alice || !bob || !stranger)
  throw new Error("Not enough accounts.");

const ISSUER_ROLE = keccak256(toHex("ISSUER_ROLE"));
const MINTER_ROLE = keccak256(toHex("MINTER_ROLE"));

/** 1,000,000 USD of reserves (18-decimal feed), 6-decimal token, no margin; alice allowed. */
async function deployStack() {
  const stack = await deployAssetStack(viem);
  await allowAccounts(viem, stack, [alice!.account.address]);
  return stack;
}

/** 1,050 USD of reserves and a 5% margin: at most 1,000 tokens can be minted. */
async function deployMarginStack() {
  const stack = await deployAssetStack(viem, { initialReserves: 1_050n * 10n ** 18n, marginBps: 500n });
  await allowAccounts(viem, stack, [alice!.account.address]);
  return stack;
}

type Stack = Awaited<ReturnType<typeof deployStack>>;

function mintAs(stack: Stack, to: `0x${string}`, amount: bigint, account = issuer!.account) {
  return stack.minter.write.mint([to, amount], { account });
}

/** Decodes a minter revert, including errors bubbling up from the verifier and the token. */
function minterRevert(stack: Stack, action: Promise<unknown>) {
  return revertOf(action, stack.minter.abi, stack.verifier.abi, stack.token.abi);
}

describe("StablecoinMinter", () => {
  describe("constructor and views", () => {
    it("stores the wiring and grants the roles", async () => {
      const stack = await networkHelpers.loadFixture(deployStack);
      const { minter } = stack;
      expect(await minter.read.token()).toBe(getAddress(stack.token.address));
      expect(await minter.read.verifier()).toBe(getAddress(stack.verifier.address));
      expect(await minter.read.breaker()).toBe(getAddress(stack.breaker.address));
      expect(await minter.read.gate()).toBe(getAddress(stack.gate.address));
      expect(await minter.read.ISSUER_ROLE()).toBe(ISSUER_ROLE);
      expect(await minter.read.hasRole([ISSUER_ROLE, issuer.account.address])).toBe(true);
      expect(await minter.read.hasRole([ISSUER_ROLE, admin.account.address])).toBe(false);
      expect(await minter.read.hasRole([await minter.read.DEFAULT_ADMIN_ROLE(), admin.account.address])).toBe(
        true,
      );
      expect(await stack.token.read.hasRole([MINTER_ROLE, minter.address])).toBe(true);
    });

    it("reverts with ZeroAddress for any zero argument", async () => {
      const stack = await networkHelpers.loadFixture(deployStack);
      const args = [
        stack.token.address,
        stack.verifier.address,
        stack.breaker.address,
        stack.gate.address,
        admin.account.address,
        issuer.account.address,
      ] as const;
      for (let i = 0; i < args.length; i++) {
        const withZero = args.map((a, j) => (j === i ? zeroAddress : a)) as unknown as typeof args;
        expect(
          await revertOf(viem.deployContract("StablecoinMinter", [...withZero]), stack.minter.abi),
        ).toEqual({
          errorName: "ZeroAddress",
          args: [],
        });
      }
    });

    it("reverts with VerifierTokenMismatch when the verifier checks another token", async () => {
      const stack = await networkHelpers.loadFixture(deployStack);
      const other = await viem.deployContract("ReserveBackedStablecoin", [
        "Other",
        "OTH",
        6,
        admin.account.address,
      ]);
      expect(
        await revertOf(
          viem.deployContract("StablecoinMinter", [
            other.address,
            stack.verifier.address,
            stack.breaker.address,
            stack.gate.address,
            admin.account.address,
            issuer.account.address,
          ]),
          stack.minter.abi,
        ),
      ).toEqual({
        errorName: "VerifierTokenMismatch",
        args: [getAddress(other.address), getAddress(stack.token.address)],
      });
    });
  });

  describe("mint", () => {
    it("mints to a compliant recipient and emits Minted with reserves and supply", async () => {
      const stack = await networkHelpers.loadFixture(deployStack);
      const amount = tokenUnits(stack, 250_000n);
      const hash = await mintAs(stack, alice.account.address, amount);
      const [minted] = await eventsOf(publicClient, hash, stack.minter.abi, "Minted");
      expect(minted?.args).toEqual({
        issuer: issuer.account.address,
        to: alice.account.address,
        amount,
        reserves: tokenUnits(stack, 1_000_000n),
        supplyAfter: amount,
      });
      const [transfer] = await eventsOf(publicClient, hash, stack.token.abi, "Transfer");
      expect(transfer?.args).toEqual({ from: zeroAddress, to: alice.account.address, value: amount });
      expect(await stack.token.read.balanceOf([alice.account.address])).toBe(amount);

      const second = await mintAs(stack, alice.account.address, amount);
      const [again] = await eventsOf(publicClient, second, stack.minter.abi, "Minted");
      expect(again?.args.supplyAfter).toBe(2n * amount);
    });

    it("mints exactly up to the reserves and not one unit more", async () => {
      const stack = await networkHelpers.loadFixture(deployStack);
      const all = tokenUnits(stack, 1_000_000n);
      await mintAs(stack, alice.account.address, all);
      expect(await stack.token.read.totalSupply()).toBe(all);
      expect(await minterRevert(stack, mintAs(stack, alice.account.address, 1n))).toEqual({
        errorName: "InsufficientReserves",
        args: [all, all + 1n, all + 1n],
      });
    });

    it("reverts with InsufficientReserves carrying reserves, supplyAfter and required reserves", async () => {
      const stack = await networkHelpers.loadFixture(deployStack);
      await mintAs(stack, alice.account.address, tokenUnits(stack, 600_000n));
      expect(
        await minterRevert(stack, mintAs(stack, alice.account.address, tokenUnits(stack, 400_001n))),
      ).toEqual({
        errorName: "InsufficientReserves",
        args: [tokenUnits(stack, 1_000_000n), tokenUnits(stack, 1_000_001n), tokenUnits(stack, 1_000_001n)],
      });
      expect(await stack.token.read.totalSupply()).toBe(tokenUnits(stack, 600_000n));
    });

    it("refuses once reserves fall, and counts the existing supply", async () => {
      const stack = await networkHelpers.loadFixture(deployStack);
      await mintAs(stack, alice.account.address, tokenUnits(stack, 500_000n));
      await stack.aggregator.write.submit([400_000n * 10n ** 18n], { account: admin.account });
      expect(await minterRevert(stack, mintAs(stack, alice.account.address, 1n))).toEqual({
        errorName: "InsufficientReserves",
        args: [
          tokenUnits(stack, 400_000n),
          tokenUnits(stack, 500_000n) + 1n,
          tokenUnits(stack, 500_000n) + 1n,
        ],
      });
    });

    it("applies the verifier's margin", async () => {
      const stack = await networkHelpers.loadFixture(deployMarginStack);
      const thousand = tokenUnits(stack, 1_000n);
      expect(await minterRevert(stack, mintAs(stack, alice.account.address, thousand + 1n))).toEqual({
        errorName: "InsufficientReserves",
        // ceil((1000e6 + 1) * 10_500 / 10_000) = 1050e6 + 2
        args: [tokenUnits(stack, 1_050n), thousand + 1n, tokenUnits(stack, 1_050n) + 2n],
      });
      const hash = await mintAs(stack, alice.account.address, thousand);
      const [minted] = await eventsOf(publicClient, hash, stack.minter.abi, "Minted");
      expect(minted?.args.reserves).toBe(tokenUnits(stack, 1_050n));
      expect(minted?.args.supplyAfter).toBe(thousand);
      expect((await minterRevert(stack, mintAs(stack, alice.account.address, 1n))).errorName).toBe(
        "InsufficientReserves",
      );
    });

    it("follows a margin change by the verifier's admin", async () => {
      const stack = await networkHelpers.loadFixture(deployMarginStack);
      await stack.verifier.write.setMarginBps([0n], { account: admin.account });
      await mintAs(stack, alice.account.address, tokenUnits(stack, 1_050n));
      expect(await stack.token.read.totalSupply()).toBe(tokenUnits(stack, 1_050n));
    });

    it("refuses a stale feed answer with StaleAnswer", async () => {
      const stack = await networkHelpers.loadFixture(deployStack);
      const [, , , updatedAt] = await stack.feed.read.latestRoundData();
      // Fresh at exactly the heartbeat…
      await networkHelpers.time.setNextBlockTimestamp(updatedAt + stack.config.heartbeat);
      await mintAs(stack, alice.account.address, 1n);
      // …stale one second later.
      const staleAt = updatedAt + stack.config.heartbeat + 1n;
      await networkHelpers.time.increaseTo(staleAt);
      const revert = await minterRevert(stack, mintAs(stack, alice.account.address, 1n));
      expect(revert.errorName).toBe("StaleAnswer");
      expect(revert.args[0]).toBe(updatedAt);
      expect(revert.args[1] as bigint).toBeGreaterThanOrEqual(staleAt);
      expect(revert.args[2]).toBe(stack.config.heartbeat);
      // A fresh answer makes minting possible again.
      await stack.aggregator.write.submit([1_000_000n * 10n ** 18n], { account: admin.account });
      await mintAs(stack, alice.account.address, 1n);
      expect(await stack.token.read.totalSupply()).toBe(2n);
    });

    it.each([
      ["zero", 0n],
      ["negative", -1n],
    ])("refuses a %s answer with InvalidAnswer", async (_, answer) => {
      const stack = await networkHelpers.loadFixture(deployStack);
      await stack.aggregator.write.submit([answer], { account: admin.account });
      const [roundId] = await stack.feed.read.latestRoundData();
      expect(await minterRevert(stack, mintAs(stack, alice.account.address, 1n))).toEqual({
        errorName: "InvalidAnswer",
        args: [answer, roundId],
      });
    });

    it("refuses an incomplete round with IncompleteRound", async () => {
      const stack = await networkHelpers.loadFixture(deployStack);
      await stack.aggregator.write.submitIncomplete([2_000_000n * 10n ** 18n], { account: admin.account });
      const [roundId, , , updatedAt, answeredInRound] = await stack.feed.read.latestRoundData();
      expect(await minterRevert(stack, mintAs(stack, alice.account.address, 1n))).toEqual({
        errorName: "IncompleteRound",
        args: [roundId, answeredInRound, updatedAt],
      });
    });

    it("reverts with BreakerIsPaused while the keeper has paused the breaker", async () => {
      const stack = await networkHelpers.loadFixture(deployStack);
      await stack.breaker.write.pause(["shortfall", 1n, 2n], { account: keeper.account });
      expect(await minterRevert(stack, mintAs(stack, alice.account.address, 1n))).toEqual({
        errorName: "BreakerIsPaused",
        args: [getAddress(stack.breaker.address)],
      });
      // Pause is checked before compliance and reserves.
      expect(
        await minterRevert(stack, mintAs(stack, bob.account.address, tokenUnits(stack, 10_000_000n))),
      ).toEqual({ errorName: "BreakerIsPaused", args: [getAddress(stack.breaker.address)] });
    });

    it("stops after anyone trips the breaker on a shortfall and resumes after a signed unpause", async () => {
      const stack = await networkHelpers.loadFixture(deployStack);
      await mintAs(stack, alice.account.address, tokenUnits(stack, 900_000n));
      await stack.aggregator.write.submit([800_000n * 10n ** 18n], { account: admin.account });
      await stack.breaker.write.trip({ account: stranger.account });
      expect((await minterRevert(stack, mintAs(stack, alice.account.address, 1n))).errorName).toBe(
        "BreakerIsPaused",
      );
      await stack.aggregator.write.submit([1_000_000n * 10n ** 18n], { account: admin.account });
      await unpauseBreaker(viem, stack, stranger.account.address);
      await mintAs(stack, alice.account.address, tokenUnits(stack, 100_000n));
      expect(await stack.token.read.totalSupply()).toBe(tokenUnits(stack, 1_000_000n));
    });

    it("reverts with ZeroAmount first", async () => {
      const stack = await networkHelpers.loadFixture(deployStack);
      await stack.breaker.write.pause(["x", 0n, 0n], { account: keeper.account });
      expect(await minterRevert(stack, mintAs(stack, bob.account.address, 0n))).toEqual({
        errorName: "ZeroAmount",
        args: [],
      });
    });

    it("reverts for an account without ISSUER_ROLE (including the admin)", async () => {
      const stack = await networkHelpers.loadFixture(deployStack);
      for (const caller of [stranger, admin, alice]) {
        expect(await minterRevert(stack, mintAs(stack, alice.account.address, 1n, caller.account))).toEqual({
          errorName: "AccessControlUnauthorizedAccount",
          args: [caller.account.address, ISSUER_ROLE],
        });
      }
    });

    it("admin grants and revokes ISSUER_ROLE", async () => {
      const stack = await networkHelpers.loadFixture(deployStack);
      await stack.minter.write.grantRole([ISSUER_ROLE, bob.account.address], { account: admin.account });
      await mintAs(stack, alice.account.address, 5n, bob.account);
      await stack.minter.write.revokeRole([ISSUER_ROLE, bob.account.address], { account: admin.account });
      expect(
        (await minterRevert(stack, mintAs(stack, alice.account.address, 5n, bob.account))).errorName,
      ).toBe("AccessControlUnauthorizedAccount");
      expect(
        await revertOf(
          stack.minter.write.grantRole([ISSUER_ROLE, stranger.account.address], {
            account: stranger.account,
          }),
        ),
      ).toEqual({
        errorName: "AccessControlUnauthorizedAccount",
        args: [stranger.account.address, await stack.minter.read.DEFAULT_ADMIN_ROLE()],
      });
    });

    it("fails with the token's error when the minter lost MINTER_ROLE", async () => {
      const stack = await networkHelpers.loadFixture(deployStack);
      await stack.token.write.revokeRole([MINTER_ROLE, stack.minter.address], { account: admin.account });
      expect(await minterRevert(stack, mintAs(stack, alice.account.address, 1n))).toEqual({
        errorName: "AccessControlUnauthorizedAccount",
        args: [getAddress(stack.minter.address), MINTER_ROLE],
      });
    });
  });

  describe("compliance", () => {
    async function expectComplianceFailure(stack: Stack, to: `0x${string}`, amount: bigint, reason: number) {
      expect(await minterRevert(stack, mintAs(stack, to, amount))).toEqual({
        errorName: "ComplianceCheckFailed",
        args: [to, Operation.Mint, amount, reason],
      });
    }

    it("NoRecord for a recipient without a record", async () => {
      const stack = await networkHelpers.loadFixture(deployStack);
      await expectComplianceFailure(stack, bob.account.address, 1n, Reason.NoRecord);
    });

    it("RecordExpired after the record's expiry", async () => {
      const stack = await networkHelpers.loadFixture(deployStack);
      const expiresAt = BigInt(await networkHelpers.time.latest()) + 100n;
      await allowAccounts(viem, stack, [bob.account.address], { expiresAt });
      await mintAs(stack, bob.account.address, 1n);
      await networkHelpers.time.increaseTo(expiresAt);
      await expectComplianceFailure(stack, bob.account.address, 1n, Reason.RecordExpired);
    });

    it("JurisdictionBlocked for a recipient in a blocked jurisdiction", async () => {
      const stack = await networkHelpers.loadFixture(deployStack);
      await allowAccounts(viem, stack, [bob.account.address], { jurisdiction: jurisdiction("KP") });
      await stack.gate.write.setJurisdictionsBlocked([[jurisdiction("KP")], true], {
        account: officer.account,
      });
      await expectComplianceFailure(stack, bob.account.address, 1n, Reason.JurisdictionBlocked);
      await mintAs(stack, alice.account.address, 1n);
    });

    it("KycTierTooLow below the mint tier", async () => {
      const stack = await networkHelpers.loadFixture(deployStack);
      await stack.gate.write.setMinKycTier([Operation.Mint, 2], { account: officer.account });
      await expectComplianceFailure(stack, alice.account.address, 1n, Reason.KycTierTooLow);
    });

    it("QualifiedPartyRequired at the threshold for a non-qualified recipient", async () => {
      const stack = await networkHelpers.loadFixture(deployStack);
      const threshold = tokenUnits(stack, 10_000n);
      await stack.gate.write.setQualifiedPartyThreshold([threshold], { account: officer.account });
      await mintAs(stack, alice.account.address, threshold - 1n);
      await expectComplianceFailure(stack, alice.account.address, threshold, Reason.QualifiedPartyRequired);
      await allowAccounts(viem, stack, [bob.account.address], { qualifiedParty: true });
      await mintAs(stack, bob.account.address, threshold);
    });

    it("checks compliance before reserves", async () => {
      const stack = await networkHelpers.loadFixture(deployStack);
      await expectComplianceFailure(stack, bob.account.address, maxUint256, Reason.NoRecord);
    });

    it("checks the recipient, not the issuer", async () => {
      const stack = await networkHelpers.loadFixture(deployStack);
      expect((await stack.gate.read.check([issuer.account.address, Operation.Mint, 1n]))[0]).toBe(false);
      await mintAs(stack, alice.account.address, 1n);
    });
  });
});

import { network } from "hardhat";
import { type Address, encodePacked, getAddress, keccak256, pad, zeroAddress } from "viem";
import { describe, expect, it } from "vitest";
import { eventsOf, revertOf } from "../helpers/stack.ts";
import { BURN_LIMIT, DOMAIN_A, DOMAIN_B, deployCctpPair, toBytes32 } from "./helpers.ts";

const { viem, networkHelpers } = await network.connect();
const publicClient = await viem.getPublicClient();

/** The pair, with A's V2 messenger impersonable so tests can call the minter as a messenger. */
async function minterFixture() {
  const p = await deployCctpPair(viem);
  await networkHelpers.impersonateAccount(p.a.messengerV2.address);
  await networkHelpers.setBalance(p.a.messengerV2.address, 10n ** 18n);
  return p;
}
const fixture = () => networkHelpers.loadFixture(minterFixture);

const ZERO32 = pad("0x", { size: 32 });

describe("DevTokenMinter", () => {
  it("deploys with the admin and rejects a zero admin", async () => {
    const { a, accounts } = await fixture();
    expect(await a.minter.read.hasRole([await a.minter.read.DEFAULT_ADMIN_ROLE(), accounts.admin])).toBe(
      true,
    );
    expect(await revertOf(viem.deployContract("DevTokenMinter", [zeroAddress]), a.minter.abi)).toEqual({
      errorName: "ZeroAddress",
      args: [],
    });
  });

  it("reports messengers, pairs, burn limits and breakers", async () => {
    const { a, b } = await fixture();
    const m = a.minter;
    expect(await m.read.isLocalTokenMessenger([a.messengerV2.address])).toBe(true);
    expect(await m.read.isLocalTokenMessenger([a.messengerV1.address])).toBe(true);
    expect(await m.read.isLocalTokenMessenger([a.transmitterV2.address])).toBe(false);
    expect(await m.read.getLocalToken([DOMAIN_B, toBytes32(b.usdc.address)])).toBe(
      getAddress(a.usdc.address),
    );
    expect(await m.read.getLocalToken([DOMAIN_B, toBytes32(b.dusd.address)])).toBe(
      getAddress(a.dusd.address),
    );
    expect(await m.read.getLocalToken([DOMAIN_A, toBytes32(b.usdc.address)])).toBe(zeroAddress);
    const key = keccak256(encodePacked(["uint32", "bytes32"], [DOMAIN_B, toBytes32(b.usdc.address)]));
    expect(await m.read.remoteTokensToLocalTokens([key])).toBe(getAddress(a.usdc.address));
    expect(await m.read.burnLimitsPerMessage([a.usdc.address])).toBe(BURN_LIMIT);
    expect(await m.read.tokenBreaker([a.dusd.address])).toBe(getAddress(a.asset.breaker.address));
    expect(await m.read.tokenBreaker([a.usdc.address])).toBe(zeroAddress);
  });

  describe("burn and mint (local messengers only)", () => {
    it("rejects callers that are not local messengers", async () => {
      const { a, accounts } = await fixture();
      const as = { account: accounts.stranger };
      for (const action of [
        a.minter.write.burn([a.usdc.address, 1n], as),
        a.minter.write.mint([DOMAIN_B, ZERO32, accounts.bob, 1n], as),
        a.minter.write.mint([DOMAIN_B, ZERO32, accounts.bob, accounts.bob, 1n, 1n], as),
      ]) {
        expect(await revertOf(action)).toEqual({
          errorName: "NotLocalTokenMessenger",
          args: [accounts.stranger],
        });
      }
    });

    it("burns what it holds with burn(address(this), amount) within the per-message limit", async () => {
      const { a, accounts } = await fixture();
      const messenger = { account: a.messengerV2.address as Address };
      await a.usdc.write.transfer([a.minter.address, 50n], { account: accounts.alice });
      const hash = await a.minter.write.burn([a.usdc.address, 50n], messenger);
      const [burned] = await eventsOf(publicClient, hash, a.usdc.abi, "Transfer");
      expect(burned?.args).toEqual({ from: getAddress(a.minter.address), to: zeroAddress, value: 50n });
      expect(await revertOf(a.minter.write.burn([a.usdc.address, BURN_LIMIT + 1n], messenger))).toEqual({
        errorName: "BurnAmountExceedsLimit",
        args: [getAddress(a.usdc.address), BURN_LIMIT + 1n, BURN_LIMIT],
      });
      await a.minter.write.setMaxBurnAmountPerMessage([a.usdc.address, 0n]);
      expect(await revertOf(a.minter.write.burn([a.usdc.address, 1n], messenger))).toEqual({
        errorName: "BurnTokenNotSupported",
        args: [getAddress(a.usdc.address)],
      });
    });

    it("mints the linked local token; the two-recipient form mints the second only when non-zero", async () => {
      const { a, b, accounts } = await fixture();
      const messenger = { account: a.messengerV2.address as Address };
      const burnToken = toBytes32(b.usdc.address);
      const { result } = await a.minter.simulate.mint([DOMAIN_B, burnToken, accounts.bob, 7n], messenger);
      expect(result).toBe(getAddress(a.usdc.address));
      let hash = await a.minter.write.mint([DOMAIN_B, burnToken, accounts.bob, 7n], messenger);
      expect((await eventsOf(publicClient, hash, a.usdc.abi, "Transfer")).map((e) => e.args)).toEqual([
        { from: zeroAddress, to: accounts.bob, value: 7n },
      ]);
      hash = await a.minter.write.mint(
        [DOMAIN_B, burnToken, accounts.bob, accounts.feeRecipient, 5n, 0n],
        messenger,
      );
      expect((await eventsOf(publicClient, hash, a.usdc.abi, "Transfer")).map((e) => e.args)).toEqual([
        { from: zeroAddress, to: accounts.bob, value: 5n },
      ]);
      hash = await a.minter.write.mint(
        [DOMAIN_B, burnToken, accounts.bob, accounts.feeRecipient, 5n, 2n],
        messenger,
      );
      expect((await eventsOf(publicClient, hash, a.usdc.abi, "Transfer")).map((e) => e.args)).toEqual([
        { from: zeroAddress, to: accounts.bob, value: 5n },
        { from: zeroAddress, to: accounts.feeRecipient, value: 2n },
      ]);
      expect(await a.usdc.read.balanceOf([accounts.bob])).toBe(17n);
    });

    it("rejects minting an unlinked remote token", async () => {
      const { a, accounts } = await fixture();
      const messenger = { account: a.messengerV2.address as Address };
      const unknown = toBytes32(accounts.stranger);
      for (const action of [
        a.minter.write.mint([DOMAIN_B, unknown, accounts.bob, 1n], messenger),
        a.minter.write.mint([DOMAIN_B, unknown, accounts.bob, accounts.bob, 1n, 0n], messenger),
      ]) {
        expect(await revertOf(action)).toEqual({
          errorName: "MintTokenNotSupported",
          args: [DOMAIN_B, unknown],
        });
      }
    });

    it("stops burn and mint of a token while its breaker is paused; without a breaker it never stops", async () => {
      const { a, b, accounts } = await fixture();
      const messenger = { account: a.messengerV2.address as Address };
      const paused = {
        errorName: "TokenPaused",
        args: [getAddress(a.dusd.address), getAddress(a.asset.breaker.address)],
      };
      await a.dusd.write.transfer([a.minter.address, 5n], { account: accounts.alice });
      await a.asset.breaker.write.pause(["shortfall", 0n, 0n], { account: accounts.keeper });
      expect(await revertOf(a.minter.write.burn([a.dusd.address, 5n], messenger))).toEqual(paused);
      const dusdB = toBytes32(b.dusd.address);
      expect(await revertOf(a.minter.write.mint([DOMAIN_B, dusdB, accounts.bob, 1n], messenger))).toEqual(
        paused,
      );
      expect(
        await revertOf(a.minter.write.mint([DOMAIN_B, dusdB, accounts.bob, accounts.bob, 1n, 1n], messenger)),
      ).toEqual(paused);

      const [set] = await eventsOf(
        publicClient,
        await a.minter.write.setTokenBreaker([a.dusd.address, zeroAddress]),
        a.minter.abi,
        "TokenBreakerSet",
      );
      expect(set?.args).toEqual({ token: getAddress(a.dusd.address), breaker: zeroAddress });
      await a.minter.write.burn([a.dusd.address, 5n], messenger);
      await a.minter.write.mint([DOMAIN_B, dusdB, accounts.bob, 1n], messenger);
      expect(await a.dusd.read.balanceOf([accounts.bob])).toBe(1n);
    });
  });

  describe("admin", () => {
    it("adds and removes local messengers", async () => {
      const { a, accounts } = await fixture();
      const m = a.minter;
      const [added] = await eventsOf(
        publicClient,
        await m.write.addLocalTokenMessenger([accounts.bob]),
        m.abi,
        "LocalTokenMessengerAdded",
      );
      expect(added?.args).toEqual({ localTokenMessenger: accounts.bob });
      expect(await revertOf(m.write.addLocalTokenMessenger([accounts.bob]))).toEqual({
        errorName: "LocalTokenMessengerAlreadyAdded",
        args: [accounts.bob],
      });
      expect(await revertOf(m.write.addLocalTokenMessenger([zeroAddress]))).toEqual({
        errorName: "ZeroAddress",
        args: [],
      });
      const [removed] = await eventsOf(
        publicClient,
        await m.write.removeLocalTokenMessenger([accounts.bob]),
        m.abi,
        "LocalTokenMessengerRemoved",
      );
      expect(removed?.args).toEqual({ localTokenMessenger: accounts.bob });
      expect(await m.read.isLocalTokenMessenger([accounts.bob])).toBe(false);
      expect(await revertOf(m.write.removeLocalTokenMessenger([accounts.bob]))).toEqual({
        errorName: "LocalTokenMessengerNotAdded",
        args: [accounts.bob],
      });
    });

    it("a removed messenger can no longer burn (its deposits revert)", async () => {
      const { a, accounts } = await fixture();
      await a.minter.write.removeLocalTokenMessenger([a.messengerV2.address]);
      await a.usdc.write.approve([a.messengerV2.address, 1n], { account: accounts.alice });
      expect(
        await revertOf(
          a.messengerV2.write.depositForBurn(
            [1n, DOMAIN_B, toBytes32(accounts.bob), a.usdc.address, ZERO32, 0n, 2000],
            { account: accounts.alice },
          ),
          a.minter.abi,
        ),
      ).toEqual({ errorName: "NotLocalTokenMessenger", args: [getAddress(a.messengerV2.address)] });
    });

    it("links and unlinks token pairs", async () => {
      const { a, accounts } = await fixture();
      const m = a.minter;
      const remote = toBytes32(accounts.stranger);
      const [linked] = await eventsOf(
        publicClient,
        await m.write.linkTokenPair([a.usdc.address, 9, remote]),
        m.abi,
        "TokenPairLinked",
      );
      expect(linked?.args).toEqual({
        localToken: getAddress(a.usdc.address),
        remoteDomain: 9,
        remoteToken: remote,
      });
      expect(await m.read.getLocalToken([9, remote])).toBe(getAddress(a.usdc.address));
      expect(await revertOf(m.write.linkTokenPair([a.dusd.address, 9, remote]))).toEqual({
        errorName: "TokenPairAlreadyLinked",
        args: [9, remote, getAddress(a.usdc.address)],
      });
      expect(await revertOf(m.write.linkTokenPair([zeroAddress, 10, remote]))).toEqual({
        errorName: "ZeroAddress",
        args: [],
      });
      const [unlinked] = await eventsOf(
        publicClient,
        await m.write.unlinkTokenPair([9, remote]),
        m.abi,
        "TokenPairUnlinked",
      );
      expect(unlinked?.args).toEqual({
        localToken: getAddress(a.usdc.address),
        remoteDomain: 9,
        remoteToken: remote,
      });
      expect(await m.read.getLocalToken([9, remote])).toBe(zeroAddress);
      expect(await revertOf(m.write.unlinkTokenPair([9, remote]))).toEqual({
        errorName: "TokenPairNotLinked",
        args: [9, remote],
      });
    });

    it("sets burn limits and breakers (non-zero token)", async () => {
      const { a } = await fixture();
      const m = a.minter;
      const [limit] = await eventsOf(
        publicClient,
        await m.write.setMaxBurnAmountPerMessage([a.usdc.address, 5n]),
        m.abi,
        "SetBurnLimitPerMessage",
      );
      expect(limit?.args).toEqual({ token: getAddress(a.usdc.address), burnLimitPerMessage: 5n });
      expect(await m.read.burnLimitsPerMessage([a.usdc.address])).toBe(5n);
      expect(await revertOf(m.write.setMaxBurnAmountPerMessage([zeroAddress, 5n]))).toEqual({
        errorName: "ZeroAddress",
        args: [],
      });
      const [set] = await eventsOf(
        publicClient,
        await m.write.setTokenBreaker([a.usdc.address, a.asset.breaker.address]),
        m.abi,
        "TokenBreakerSet",
      );
      expect(set?.args).toEqual({
        token: getAddress(a.usdc.address),
        breaker: getAddress(a.asset.breaker.address),
      });
      expect(await revertOf(m.write.setTokenBreaker([zeroAddress, a.asset.breaker.address]))).toEqual({
        errorName: "ZeroAddress",
        args: [],
      });
    });

    it("every admin function rejects a stranger", async () => {
      const { a, accounts } = await fixture();
      const m = a.minter;
      const as = { account: accounts.stranger };
      const role = await m.read.DEFAULT_ADMIN_ROLE();
      for (const action of [
        m.write.addLocalTokenMessenger([accounts.stranger], as),
        m.write.removeLocalTokenMessenger([a.messengerV2.address], as),
        m.write.linkTokenPair([a.usdc.address, 9, ZERO32], as),
        m.write.unlinkTokenPair([DOMAIN_B, ZERO32], as),
        m.write.setMaxBurnAmountPerMessage([a.usdc.address, 1n], as),
        m.write.setTokenBreaker([a.dusd.address, zeroAddress], as),
      ]) {
        expect(await revertOf(action)).toEqual({
          errorName: "AccessControlUnauthorizedAccount",
          args: [accounts.stranger, role],
        });
      }
    });
  });
});

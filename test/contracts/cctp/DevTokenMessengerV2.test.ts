import { network } from "hardhat";
import { type Address, getAddress, type Hex, pad, slice, toHex, zeroAddress } from "viem";
import { describe, expect, it } from "vitest";
import { eventsOf, revertOf, tokenUnits, unpauseBreaker } from "../helpers/stack.ts";
import {
  ATTESTERS,
  attest,
  BURN_LIMIT,
  burnV2,
  type CctpPair,
  DOMAIN_A,
  DOMAIN_B,
  deployCctpPair,
  errorAbis,
  FUNDS,
  nonceOf,
  OFFSETS_V2,
  patchBytes,
  patchIris,
  toBytes32,
} from "./helpers.ts";

const { viem, networkHelpers } = await network.connect();
const publicClient = await viem.getPublicClient();

async function cctpPair() {
  return deployCctpPair(viem);
}
const pair = () => networkHelpers.loadFixture(cctpPair);

const ZERO32 = pad("0x", { size: 32 });
const BODY = 148;

function receiveOnB(p: CctpPair, message: Hex, account = p.accounts.relayer) {
  return attest(message, ATTESTERS).then((att) =>
    p.b.transmitterV2.write.receiveMessage([message, att], { account }),
  );
}
const bRevert = (p: CctpPair, action: Promise<unknown>) => revertOf(action, ...errorAbis(p.b));
const aRevert = (p: CctpPair, action: Promise<unknown>) => revertOf(action, ...errorAbis(p.a));

type DepositArgs = {
  amount?: bigint;
  domain?: number;
  recipient?: Hex;
  token?: Address;
  caller?: Hex;
  maxFee?: bigint;
  minFinality?: number;
};

/** depositForBurn from alice on A (default: 100 USDC units to bob on B, no fee, finalized). */
function deposit(p: CctpPair, o: DepositArgs = {}) {
  return p.a.messengerV2.write.depositForBurn(
    [
      o.amount ?? 100n,
      o.domain ?? DOMAIN_B,
      o.recipient ?? toBytes32(p.accounts.bob),
      o.token ?? p.a.usdc.address,
      o.caller ?? ZERO32,
      o.maxFee ?? 0n,
      o.minFinality ?? 2000,
    ],
    { account: p.accounts.alice },
  );
}

async function approveA(p: CctpPair, amount = FUNDS) {
  await p.a.usdc.write.approve([p.a.messengerV2.address, amount], { account: p.accounts.alice });
}

describe("DevTokenMessengerV2", () => {
  describe("deployment and views", () => {
    it("stores transmitter, minter, body version 1, fee recipient and min fee", async () => {
      const { a, b, accounts } = await pair();
      const m = a.messengerV2;
      expect(await m.read.localMessageTransmitter()).toBe(getAddress(a.transmitterV2.address));
      expect(await m.read.localMinter()).toBe(getAddress(a.minter.address));
      expect(await m.read.messageBodyVersion()).toBe(1);
      expect(await m.read.MESSAGE_BODY_VERSION()).toBe(1);
      expect(await m.read.TOKEN_MESSENGER_MIN_FINALITY_THRESHOLD()).toBe(500);
      expect(await m.read.MIN_FEE_MULTIPLIER()).toBe(10_000_000n);
      expect(await m.read.feeRecipient()).toBe(accounts.feeRecipient);
      expect(await m.read.minFee()).toBe(0n);
      expect(await m.read.remoteTokenMessengers([DOMAIN_B])).toBe(toBytes32(b.messengerV2.address));
      expect(await m.read.hasRole([await m.read.DEFAULT_ADMIN_ROLE(), accounts.admin])).toBe(true);
    });

    it("rejects zero addresses and a min fee of MIN_FEE_MULTIPLIER", async () => {
      const { a, accounts } = await pair();
      const ok = [
        a.transmitterV2.address,
        a.minter.address,
        accounts.admin,
        accounts.feeRecipient,
        0n,
      ] as const;
      const deploy = (args: readonly unknown[]) =>
        revertOf(viem.deployContract("DevTokenMessengerV2", args as never), a.messengerV2.abi);
      for (const i of [0, 1, 2, 3]) {
        expect(await deploy(ok.map((v, j) => (j === i ? zeroAddress : v)))).toEqual({
          errorName: "ZeroAddress",
          args: [],
        });
      }
      expect(await deploy([...ok.slice(0, 4), 10_000_000n])).toEqual({
        errorName: "MinFeeTooHigh",
        args: [10_000_000n, 10_000_000n],
      });
    });
  });

  describe("depositForBurn / depositForBurnWithHook", () => {
    it("moves the tokens to the minter, burns them, sends the message and emits DepositForBurn", async () => {
      const p = await pair();
      const supply = await p.a.usdc.read.totalSupply();
      const { hash } = await burnV2(viem, p.a, {
        account: p.accounts.alice,
        amount: 250n,
        mintRecipient: p.accounts.bob,
        maxFee: 3n,
        minFinalityThreshold: 1000,
        destinationCaller: toBytes32(p.accounts.relayer),
      });
      expect(await p.a.usdc.read.balanceOf([p.accounts.alice])).toBe(FUNDS - 250n);
      expect(await p.a.usdc.read.balanceOf([p.a.minter.address])).toBe(0n);
      expect(await p.a.usdc.read.totalSupply()).toBe(supply - 250n);
      const transfers = await eventsOf(publicClient, hash, p.a.usdc.abi, "Transfer");
      expect(transfers.map((t) => t.args)).toEqual([
        { from: p.accounts.alice, to: getAddress(p.a.minter.address), value: 250n },
        { from: getAddress(p.a.minter.address), to: zeroAddress, value: 250n },
      ]);
      const [event] = await eventsOf(publicClient, hash, p.a.messengerV2.abi, "DepositForBurn");
      expect(event?.args).toMatchObject({
        amount: 250n,
        destinationCaller: toBytes32(p.accounts.relayer),
        maxFee: 3n,
        minFinalityThreshold: 1000,
        hookData: "0x",
      });
    });

    it("with hook: carries the hook data at body offset 228 and in the event", async () => {
      const p = await pair();
      const hookData = "0x726b6831cafe" as Hex;
      const { hash, message } = await burnV2(viem, p.a, {
        account: p.accounts.alice,
        amount: 10n,
        mintRecipient: p.accounts.bob,
        hookData,
      });
      expect(slice(message, BODY + 228)).toBe(hookData);
      const [event] = await eventsOf(publicClient, hash, p.a.messengerV2.abi, "DepositForBurn");
      expect(event?.args.hookData).toBe(hookData);
    });

    it("rejects empty hook data", async () => {
      const p = await pair();
      await approveA(p);
      expect(
        await aRevert(
          p,
          p.a.messengerV2.write.depositForBurnWithHook(
            [1n, DOMAIN_B, toBytes32(p.accounts.bob), p.a.usdc.address, ZERO32, 0n, 2000, "0x"],
            { account: p.accounts.alice },
          ),
        ),
      ).toEqual({ errorName: "EmptyHookData", args: [] });
    });

    it("checks amount, recipient, maxFee and the remote messenger, in Circle's order", async () => {
      const p = await pair();
      await approveA(p);
      expect(await aRevert(p, deposit(p, { amount: 0n, recipient: ZERO32 }))).toEqual({
        errorName: "ZeroAmount",
        args: [],
      });
      expect(await aRevert(p, deposit(p, { recipient: ZERO32, maxFee: 1000n }))).toEqual({
        errorName: "ZeroMintRecipient",
        args: [],
      });
      expect(await aRevert(p, deposit(p, { maxFee: 100n, domain: 99 }))).toEqual({
        errorName: "MaxFeeNotBelowAmount",
        args: [100n, 100n],
      });
      expect(await aRevert(p, deposit(p, { domain: 99 }))).toEqual({
        errorName: "NoRemoteTokenMessenger",
        args: [99],
      });
    });

    it("with a min fee: maxFee must cover getMinFeeAmount(amount); amount 1 is too low", async () => {
      const p = await pair();
      await approveA(p);
      const hash = await p.a.messengerV2.write.setMinFee([1_000n]); // 1 bps
      const [set] = await eventsOf(publicClient, hash, p.a.messengerV2.abi, "MinFeeSet");
      expect(set?.args).toEqual({ minFee: 1_000n });
      expect(await p.a.messengerV2.read.getMinFeeAmount([1_000_000n])).toBe(100n);
      expect(await p.a.messengerV2.read.getMinFeeAmount([2n])).toBe(1n);
      expect(await aRevert(p, p.a.messengerV2.read.getMinFeeAmount([1n]))).toEqual({
        errorName: "AmountTooLow",
        args: [1n],
      });
      expect(await aRevert(p, deposit(p, { amount: 1_000_000n, maxFee: 99n }))).toEqual({
        errorName: "InsufficientMaxFee",
        args: [99n, 100n],
      });
      expect(await aRevert(p, deposit(p, { amount: 1n }))).toEqual({ errorName: "AmountTooLow", args: [1n] });
      await deposit(p, { amount: 1_000_000n, maxFee: 100n });
      expect(await p.a.usdc.read.balanceOf([p.accounts.alice])).toBe(FUNDS - 1_000_000n);
    });

    it("getMinFeeAmount is 0 without a min fee", async () => {
      const { a } = await pair();
      expect(await a.messengerV2.read.getMinFeeAmount([1n])).toBe(0n);
    });

    it("bubbles the token's and the minter's errors: allowance, unsupported token, burn limit", async () => {
      const p = await pair();
      expect(await aRevert(p, deposit(p))).toEqual({
        errorName: "ERC20InsufficientAllowance",
        args: [getAddress(p.a.messengerV2.address), 0n, 100n],
      });
      const other = await viem.deployContract("ReserveBackedStablecoin", [
        "Other",
        "OTH",
        6,
        p.accounts.admin,
      ]);
      await other.write.grantRole([await other.read.MINTER_ROLE(), p.accounts.admin]);
      await other.write.mint([p.accounts.alice, 100n]);
      await other.write.approve([p.a.messengerV2.address, 100n], { account: p.accounts.alice });
      expect(await aRevert(p, deposit(p, { token: other.address }))).toEqual({
        errorName: "BurnTokenNotSupported",
        args: [getAddress(other.address)],
      });
      await p.a.minter.write.setMaxBurnAmountPerMessage([p.a.usdc.address, 99n]);
      await approveA(p);
      expect(await aRevert(p, deposit(p))).toEqual({
        errorName: "BurnAmountExceedsLimit",
        args: [getAddress(p.a.usdc.address), 100n, 99n],
      });
    });

    it("stops while the local transmitter is paused", async () => {
      const p = await pair();
      await approveA(p);
      await p.a.transmitterV2.write.pause();
      expect(await aRevert(p, deposit(p))).toEqual({ errorName: "EnforcedPause", args: [] });
    });
  });

  describe("receive (end to end A → B through the V2 transmitter)", () => {
    it("standard: mints amount − fee to the recipient and the fee to the fee recipient", async () => {
      const p = await pair();
      const amount = 1_000_000n;
      const { message } = await burnV2(viem, p.a, {
        account: p.accounts.alice,
        amount,
        mintRecipient: p.accounts.bob,
        maxFee: 500n,
      });
      const attested = patchIris(message, {
        nonce: nonceOf("std"),
        finalityThresholdExecuted: 2000,
        feeExecuted: 300n,
      });
      const hash = await receiveOnB(p, attested);
      const [minted] = await eventsOf(publicClient, hash, p.b.messengerV2.abi, "MintAndWithdraw");
      expect(minted?.args).toEqual({
        mintRecipient: p.accounts.bob,
        amount: amount - 300n,
        mintToken: getAddress(p.b.usdc.address),
        feeCollected: 300n,
      });
      expect(await p.b.usdc.read.balanceOf([p.accounts.bob])).toBe(amount - 300n);
      expect(await p.b.usdc.read.balanceOf([p.accounts.feeRecipient])).toBe(300n);
      expect(await p.b.transmitterV2.read.usedNonces([nonceOf("std")])).toBe(1n);
    });

    it("fast: minFinalityThreshold 1000 executed at 1000 goes through the unfinalized handler", async () => {
      const p = await pair();
      const { message } = await burnV2(viem, p.a, {
        account: p.accounts.alice,
        amount: 5_000n,
        mintRecipient: p.accounts.bob,
        maxFee: 5n,
        minFinalityThreshold: 1000,
      });
      const attested = patchIris(message, {
        nonce: nonceOf("fast"),
        finalityThresholdExecuted: 1000,
        feeExecuted: 5n,
      });
      const hash = await receiveOnB(p, attested);
      const [received] = await eventsOf(publicClient, hash, p.b.transmitterV2.abi, "MessageReceived");
      expect(received?.args.finalityThresholdExecuted).toBe(1000);
      expect(await p.b.usdc.read.balanceOf([p.accounts.bob])).toBe(4_995n);
    });

    it("rejects an unfinalized message executed below 500", async () => {
      const p = await pair();
      const { message } = await burnV2(viem, p.a, {
        account: p.accounts.alice,
        amount: 10n,
        mintRecipient: p.accounts.bob,
      });
      const attested = patchIris(message, { nonce: nonceOf("low"), finalityThresholdExecuted: 499 });
      expect(await bRevert(p, receiveOnB(p, attested))).toEqual({
        errorName: "FinalityThresholdTooLow",
        args: [499, 500],
      });
    });

    it("expiration: a future expirationBlock is accepted, the current one and earlier are expired", async () => {
      const p = await pair();
      const { message } = await burnV2(viem, p.a, {
        account: p.accounts.alice,
        amount: 10n,
        mintRecipient: p.accounts.bob,
      });
      const next = (await publicClient.getBlockNumber()) + 1n; // the block the receive will be mined in
      const expired = patchIris(message, {
        nonce: nonceOf("exp"),
        finalityThresholdExecuted: 1000,
        expirationBlock: next,
      });
      expect(await bRevert(p, receiveOnB(p, expired))).toEqual({
        errorName: "MessageExpired",
        args: [next, next],
      });
      const fresh = patchIris(message, {
        nonce: nonceOf("exp"),
        finalityThresholdExecuted: 1000,
        expirationBlock: next + 10n,
      });
      await receiveOnB(p, fresh);
      expect(await p.b.usdc.read.balanceOf([p.accounts.bob])).toBe(10n);
    });

    it("body checks: length, version, fee vs amount, fee vs maxFee, unknown burn token", async () => {
      const p = await pair();
      const { message } = await burnV2(viem, p.a, {
        account: p.accounts.alice,
        amount: 100n,
        mintRecipient: p.accounts.bob,
        maxFee: 10n,
      });
      const base = patchIris(message, { nonce: nonceOf("body"), finalityThresholdExecuted: 2000 });
      const cases: [Hex, string, readonly unknown[]][] = [
        [slice(base, 0, BODY + 227), "MalformedBurnMessage", [227n]],
        [patchBytes(base, BODY, toHex(2), 4), "InvalidMessageBodyVersion", [2, 1]],
        [patchBytes(base, OFFSETS_V2.feeExecuted, toHex(100n), 32), "FeeNotBelowAmount", [100n, 100n]],
        [patchBytes(base, OFFSETS_V2.feeExecuted, toHex(11n), 32), "FeeExceedsMaxFee", [11n, 10n]],
        [
          patchBytes(base, BODY + 4, toBytes32(p.accounts.stranger), 32),
          "MintTokenNotSupported",
          [DOMAIN_A, toBytes32(p.accounts.stranger)],
        ],
      ];
      for (const [m, errorName, args] of cases) {
        expect(await bRevert(p, receiveOnB(p, m)), errorName).toEqual({ errorName, args });
      }
      expect(await p.b.transmitterV2.read.usedNonces([nonceOf("body")])).toBe(0n);
    });

    it("handlers accept only the local transmitter", async () => {
      const p = await pair();
      const as = { account: p.accounts.stranger };
      const sender = toBytes32(p.a.messengerV2.address);
      for (const action of [
        p.b.messengerV2.write.handleReceiveFinalizedMessage([DOMAIN_A, sender, 2000, "0x"], as),
        p.b.messengerV2.write.handleReceiveUnfinalizedMessage([DOMAIN_A, sender, 1000, "0x"], as),
      ]) {
        expect(await bRevert(p, action)).toEqual({
          errorName: "NotLocalMessageTransmitter",
          args: [p.accounts.stranger],
        });
      }
    });
  });

  describe("reserve-backed asset with a circuit breaker", () => {
    it("burn reverts while the source breaker is paused", async () => {
      const p = await pair();
      await p.a.asset.breaker.write.pause(["shortfall", 0n, 0n], { account: p.accounts.keeper });
      await p.a.dusd.write.approve([p.a.messengerV2.address, 10n], { account: p.accounts.alice });
      expect(await aRevert(p, deposit(p, { amount: 10n, token: p.a.dusd.address }))).toEqual({
        errorName: "TokenPaused",
        args: [getAddress(p.a.dusd.address), getAddress(p.a.asset.breaker.address)],
      });
    });

    it("receive reverts while the destination breaker is paused, keeps the nonce, and succeeds after unpause", async () => {
      const p = await pair();
      const amount = tokenUnits(p.a.asset, 100n);
      const { message } = await burnV2(viem, p.a, {
        account: p.accounts.alice,
        amount,
        mintRecipient: p.accounts.bob,
        token: p.a.dusd.address,
      });
      const attested = patchIris(message, { nonce: nonceOf("dusd"), finalityThresholdExecuted: 2000 });
      await p.b.asset.breaker.write.pause(["shortfall", 0n, 0n], { account: p.accounts.keeper });
      expect(await bRevert(p, receiveOnB(p, attested))).toEqual({
        errorName: "TokenPaused",
        args: [getAddress(p.b.dusd.address), getAddress(p.b.asset.breaker.address)],
      });
      expect(await p.b.transmitterV2.read.usedNonces([nonceOf("dusd")])).toBe(0n);
      await unpauseBreaker(viem, p.b.asset, p.accounts.relayer);
      const hash = await receiveOnB(p, attested);
      const [minted] = await eventsOf(publicClient, hash, p.b.messengerV2.abi, "MintAndWithdraw");
      expect(minted?.args.mintToken).toBe(getAddress(p.b.dusd.address));
      expect(await p.b.dusd.read.balanceOf([p.accounts.bob])).toBe(amount);
      expect(BURN_LIMIT).toBeGreaterThan(amount);
    });
  });

  describe("admin", () => {
    it("adds and removes remote token messengers with events and checks", async () => {
      const { a } = await pair();
      const m = a.messengerV2;
      const other = toBytes32("0x00000000000000000000000000000000000000aa");
      const [added] = await eventsOf(
        publicClient,
        await m.write.addRemoteTokenMessenger([7, other]),
        m.abi,
        "RemoteTokenMessengerAdded",
      );
      expect(added?.args).toEqual({ domain: 7, tokenMessenger: other });
      expect(await revertOf(m.write.addRemoteTokenMessenger([7, other]))).toEqual({
        errorName: "RemoteTokenMessengerAlreadySet",
        args: [7, other],
      });
      expect(await revertOf(m.write.addRemoteTokenMessenger([8, ZERO32]))).toEqual({
        errorName: "ZeroRemoteTokenMessenger",
        args: [8],
      });
      const [removed] = await eventsOf(
        publicClient,
        await m.write.removeRemoteTokenMessenger([7]),
        m.abi,
        "RemoteTokenMessengerRemoved",
      );
      expect(removed?.args).toEqual({ domain: 7, tokenMessenger: other });
      expect(await m.read.remoteTokenMessengers([7])).toBe(ZERO32);
      expect(await revertOf(m.write.removeRemoteTokenMessenger([7]))).toEqual({
        errorName: "NoRemoteTokenMessenger",
        args: [7],
      });
    });

    it("sets the fee recipient (non-zero) and the min fee (< MIN_FEE_MULTIPLIER)", async () => {
      const { a, accounts } = await pair();
      const m = a.messengerV2;
      const [set] = await eventsOf(
        publicClient,
        await m.write.setFeeRecipient([accounts.bob]),
        m.abi,
        "FeeRecipientSet",
      );
      expect(set?.args).toEqual({ feeRecipient: accounts.bob });
      expect(await m.read.feeRecipient()).toBe(accounts.bob);
      expect(await revertOf(m.write.setFeeRecipient([zeroAddress]))).toEqual({
        errorName: "ZeroAddress",
        args: [],
      });
      await m.write.setMinFee([9_999_999n]);
      expect(await m.read.minFee()).toBe(9_999_999n);
      expect(await revertOf(m.write.setMinFee([10_000_000n]))).toEqual({
        errorName: "MinFeeTooHigh",
        args: [10_000_000n, 10_000_000n],
      });
    });

    it("every admin function rejects a stranger", async () => {
      const { a, accounts } = await pair();
      const m = a.messengerV2;
      const as = { account: accounts.stranger };
      const role = await m.read.DEFAULT_ADMIN_ROLE();
      for (const action of [
        m.write.addRemoteTokenMessenger([7, toBytes32(accounts.bob)], as),
        m.write.removeRemoteTokenMessenger([DOMAIN_B], as),
        m.write.setFeeRecipient([accounts.stranger], as),
        m.write.setMinFee([1n], as),
      ]) {
        expect(await revertOf(action)).toEqual({
          errorName: "AccessControlUnauthorizedAccount",
          args: [accounts.stranger, role],
        });
      }
    });
  });
});

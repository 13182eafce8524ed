import { network } from "hardhat";
import {
  type Address,
  concat,
  encodeErrorResult,
  encodeFunctionData,
  getAddress,
  type Hex,
  keccak256,
  pad,
  slice,
  stringToBytes,
  toHex,
  zeroAddress,
} from "viem";
import { describe, expect, it } from "vitest";
import { eventsOf, revertOf, tokenUnits, unpauseBreaker } from "../helpers/stack.ts";
import {
  ATTESTERS,
  attest,
  burnV2,
  type CctpPair,
  deployCctpPair,
  errorAbis,
  nonceOf,
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

const MAGIC = "0x726b6831"; // "rkh1"
const ACCOUNT = keccak256(stringToBytes("customer:42"));
const ZERO32 = pad("0x", { size: 32 });

/** Hook data: "rkh1" | target | callData. */
const hook = (target: Address, callData: Hex) => concat([MAGIC, target, callData]);

function creditCall(p: CctpPair, amount: bigint, token: Address = p.b.usdc.address) {
  return encodeFunctionData({
    abi: p.b.treasury.abi,
    functionName: "credit",
    args: [ACCOUNT, token, amount],
  });
}

/** A V2 USDC burn on A to B's executor (as destinationCaller and mintRecipient) with `hookData`. */
async function hookTransfer(
  p: CctpPair,
  opts: {
    amount?: bigint;
    hookData?: Hex;
    fee?: bigint;
    label?: string;
    token?: Address;
    caller?: Hex;
    recipient?: Address;
  } = {},
) {
  const amount = opts.amount ?? 1_000_000n;
  const executor = p.b.executor.address;
  const { message } = await burnV2(viem, p.a, {
    account: p.accounts.alice,
    amount,
    mintRecipient: opts.recipient ?? executor,
    destinationCaller: opts.caller ?? toBytes32(executor),
    maxFee: opts.fee ?? 0n,
    hookData: opts.hookData ?? hook(p.b.treasury.address, creditCall(p, amount - (opts.fee ?? 0n))),
    ...(opts.token ? { token: opts.token } : {}),
  });
  const attested = patchIris(message, {
    nonce: nonceOf(opts.label ?? "hook"),
    finalityThresholdExecuted: 2000,
    feeExecuted: opts.fee ?? 0n,
  });
  return { message: attested, attestation: await attest(attested, ATTESTERS), amount };
}

function relay(p: CctpPair, t: { message: Hex; attestation: Hex }, account = p.accounts.stranger) {
  return p.b.executor.write.relay([t.message, t.attestation], { account });
}
const bRevert = (p: CctpPair, action: Promise<unknown>) => revertOf(action, ...errorAbis(p.b));

describe("CctpHookExecutor", () => {
  it("deploys with the local transmitter, messenger and minter; rejects zero addresses", async () => {
    const { b } = await pair();
    expect(await b.executor.read.HOOK_MAGIC()).toBe(MAGIC);
    expect(await b.executor.read.MIN_MESSAGE_LENGTH()).toBe(376n);
    expect(await b.executor.read.transmitter()).toBe(getAddress(b.transmitterV2.address));
    expect(await b.executor.read.tokenMessenger()).toBe(getAddress(b.messengerV2.address));
    expect(await b.executor.read.minter()).toBe(getAddress(b.minter.address));
    const ok = [b.transmitterV2.address, b.messengerV2.address, b.minter.address] as const;
    for (const i of [0, 1, 2]) {
      const args = ok.map((v, j) => (j === i ? zeroAddress : v)) as unknown as typeof ok;
      expect(await revertOf(viem.deployContract("CctpHookExecutor", [...args]), b.executor.abi)).toEqual({
        errorName: "ZeroAddress",
        args: [],
      });
    }
  });

  it("relays permissionlessly: mints to itself, runs the hook, the treasury credits the account, nothing stays behind", async () => {
    const p = await pair();
    const t = await hookTransfer(p);
    const hash = await relay(p, t);
    const [minted] = await eventsOf(publicClient, hash, p.b.messengerV2.abi, "MintAndWithdraw");
    expect(minted?.args).toEqual({
      mintRecipient: getAddress(p.b.executor.address),
      amount: t.amount,
      mintToken: getAddress(p.b.usdc.address),
      feeCollected: 0n,
    });
    const [credited] = await eventsOf(publicClient, hash, p.b.treasury.abi, "Credited");
    expect(credited?.args).toEqual({
      account: ACCOUNT,
      token: getAddress(p.b.usdc.address),
      amount: t.amount,
      from: getAddress(p.b.executor.address),
    });
    const [executed] = await eventsOf(publicClient, hash, p.b.executor.abi, "HookExecuted");
    expect(executed?.args).toEqual({
      nonce: nonceOf("hook"),
      target: getAddress(p.b.treasury.address),
      token: getAddress(p.b.usdc.address),
      amount: t.amount,
    });
    expect(await p.b.treasury.read.balanceOf([ACCOUNT, p.b.usdc.address])).toBe(t.amount);
    expect(await p.b.usdc.read.balanceOf([p.b.treasury.address])).toBe(t.amount);
    expect(await p.b.usdc.read.balanceOf([p.b.executor.address])).toBe(0n);
    expect(await p.b.usdc.read.allowance([p.b.executor.address, p.b.treasury.address])).toBe(0n);
    expect(await p.b.transmitterV2.read.usedNonces([nonceOf("hook")])).toBe(1n);
  });

  it("with a fee, the hook gets exactly amount − feeExecuted", async () => {
    const p = await pair();
    const t = await hookTransfer(p, { fee: 25n });
    const hash = await relay(p, t);
    const [executed] = await eventsOf(publicClient, hash, p.b.executor.abi, "HookExecuted");
    expect(executed?.args.amount).toBe(t.amount - 25n);
    expect(await p.b.treasury.read.balanceOf([ACCOUNT, p.b.usdc.address])).toBe(t.amount - 25n);
    expect(await p.b.usdc.read.balanceOf([p.accounts.feeRecipient])).toBe(25n);
  });

  it("a failing hook reverts the whole receive with HookFailed(target, revert data); the nonce stays unused", async () => {
    const p = await pair();
    const amount = 1_000_000n;
    const t = await hookTransfer(p, { hookData: hook(p.b.treasury.address, creditCall(p, amount + 1n)) });
    const supply = await p.b.usdc.read.totalSupply();
    const inner = encodeErrorResult({
      abi: p.b.usdc.abi,
      errorName: "ERC20InsufficientAllowance",
      args: [getAddress(p.b.treasury.address), amount, amount + 1n],
    });
    expect(await bRevert(p, relay(p, t))).toEqual({
      errorName: "HookFailed",
      args: [getAddress(p.b.treasury.address), inner],
    });
    expect(await p.b.transmitterV2.read.usedNonces([nonceOf("hook")])).toBe(0n);
    expect(await p.b.usdc.read.totalSupply()).toBe(supply);
  });

  it("a hook that takes less than the net amount reverts with HookAmountNotConsumed", async () => {
    const p = await pair();
    const t = await hookTransfer(p, { hookData: hook(p.b.treasury.address, creditCall(p, 999_999n)) });
    expect(await bRevert(p, relay(p, t))).toEqual({
      errorName: "HookAmountNotConsumed",
      args: [getAddress(p.b.treasury.address), getAddress(p.b.usdc.address), 0n, 1n],
    });
    expect(await p.b.transmitterV2.read.usedNonces([nonceOf("hook")])).toBe(0n);
  });

  it("a paused asset: the relay reverts with TokenPaused and succeeds after the breaker's unpause", async () => {
    const p = await pair();
    const amount = tokenUnits(p.a.asset, 10n);
    const t = await hookTransfer(p, {
      amount,
      token: p.a.dusd.address,
      hookData: hook(p.b.treasury.address, creditCall(p, amount, p.b.dusd.address)),
    });
    await p.b.asset.breaker.write.pause(["shortfall", 0n, 0n], { account: p.accounts.keeper });
    expect(await bRevert(p, relay(p, t))).toEqual({
      errorName: "TokenPaused",
      args: [getAddress(p.b.dusd.address), getAddress(p.b.asset.breaker.address)],
    });
    await unpauseBreaker(viem, p.b.asset, p.accounts.relayer);
    await relay(p, t);
    expect(await p.b.treasury.read.balanceOf([ACCOUNT, p.b.dusd.address])).toBe(amount);
  });

  describe("checks before the receive", () => {
    it("rejects a message shorter than a V2 burn message, or another version", async () => {
      const p = await pair();
      const t = await hookTransfer(p);
      expect(await bRevert(p, relay(p, { ...t, message: slice(t.message, 0, 375) }))).toEqual({
        errorName: "MalformedMessage",
        args: [375n, 376n],
      });
      expect(await bRevert(p, relay(p, { ...t, message: patchBytes(t.message, 148, toHex(0), 4) }))).toEqual({
        errorName: "UnsupportedVersion",
        args: [1, 0],
      });
    });

    it("requires a burn message addressed to this executor as destination caller and mint recipient", async () => {
      const p = await pair();
      const t = await hookTransfer(p);
      const other = toBytes32(p.accounts.bob);
      expect(await bRevert(p, relay(p, { ...t, message: patchBytes(t.message, 76, other, 32) }))).toEqual({
        errorName: "NotBurnMessage",
        args: [other],
      });
      const noCaller = await hookTransfer(p, { caller: ZERO32, label: "open" });
      expect(await bRevert(p, relay(p, noCaller))).toEqual({
        errorName: "WrongDestinationCaller",
        args: [ZERO32],
      });
      const toBob = await hookTransfer(p, { recipient: p.accounts.bob, label: "bob" });
      expect(await bRevert(p, relay(p, toBob))).toEqual({ errorName: "WrongMintRecipient", args: [other] });
    });

    it("requires 'rkh1' hook data with a target other than zero, itself or the minted token", async () => {
      const p = await pair();
      const lower = (h: Hex) => h.toLowerCase() as Hex;
      const noMagic = lower(concat(["0x00000000", p.b.treasury.address]));
      const tooShort = lower(slice(hook(p.b.treasury.address, "0x"), 0, 23));
      const cases: [Hex, string, readonly unknown[]][] = [
        ["0x726b6832", "InvalidHookData", ["0x726b6832"]],
        [noMagic, "InvalidHookData", [noMagic]],
        [tooShort, "InvalidHookData", [tooShort]],
        [hook(zeroAddress, "0x"), "InvalidHookTarget", [zeroAddress]],
        [hook(p.b.executor.address, "0x"), "InvalidHookTarget", [getAddress(p.b.executor.address)]],
        [hook(p.b.usdc.address, "0x"), "InvalidHookTarget", [getAddress(p.b.usdc.address)]],
      ];
      for (const [i, [hookData, errorName, args]] of cases.entries()) {
        const t = await hookTransfer(p, { hookData, label: `case-${i}` });
        expect(await bRevert(p, relay(p, t)), errorName).toEqual({ errorName, args });
      }
    });

    it("bubbles the transmitter's errors (attestation, replay)", async () => {
      const p = await pair();
      const t = await hookTransfer(p);
      expect(await bRevert(p, relay(p, { ...t, attestation: slice(t.attestation, 0, 65) }))).toEqual({
        errorName: "InvalidAttestationLength",
        args: [65n, 130n],
      });
      await relay(p, t);
      expect(await bRevert(p, relay(p, t))).toEqual({
        errorName: "NonceAlreadyUsed",
        args: [nonceOf("hook")],
      });
    });
  });

  describe("DevTreasury", () => {
    it("credit pulls with transferFrom, keeps per-account balances and emits Credited", async () => {
      const p = await pair();
      await p.b.usdc.write.approve([p.b.treasury.address, 30n], { account: p.accounts.alice });
      const hash = await p.b.treasury.write.credit([ACCOUNT, p.b.usdc.address, 30n], {
        account: p.accounts.alice,
      });
      const [credited] = await eventsOf(publicClient, hash, p.b.treasury.abi, "Credited");
      expect(credited?.args).toEqual({
        account: ACCOUNT,
        token: getAddress(p.b.usdc.address),
        amount: 30n,
        from: p.accounts.alice,
      });
      expect(await p.b.treasury.read.balanceOf([ACCOUNT, p.b.usdc.address])).toBe(30n);
      expect(await p.b.treasury.read.balanceOf([ZERO32, p.b.usdc.address])).toBe(0n);
    });

    it("rejects zero and unapproved credits", async () => {
      const p = await pair();
      expect(await bRevert(p, p.b.treasury.write.credit([ACCOUNT, p.b.usdc.address, 0n]))).toEqual({
        errorName: "ZeroAmount",
        args: [],
      });
      expect(
        await bRevert(
          p,
          p.b.treasury.write.credit([ACCOUNT, p.b.usdc.address, 1n], { account: p.accounts.alice }),
        ),
      ).toEqual({
        errorName: "ERC20InsufficientAllowance",
        args: [getAddress(p.b.treasury.address), 0n, 1n],
      });
    });
  });
});

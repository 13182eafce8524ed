import { network } from "hardhat";
import {
  type Abi,
  type Address,
  concat,
  encodeAbiParameters,
  encodeErrorResult,
  getAddress,
  getContract,
  type Hex,
  keccak256,
  pad,
  parseAbi,
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
  DOMAIN_A,
  deployCctpPair,
  errorAbis,
  FINALIZED,
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

const MAGIC = "0x726b6832"; // "rkh2"
const ACCOUNT = keccak256(stringToBytes("customer:42"));
const ZERO32 = pad("0x", { size: 32 });
/** TestCctpHookReceiver modes. */
const Mode = { Accept: 0, WrongSelector: 1, Revert: 2, Reenter: 3, NoReturn: 4 } as const;
const receiverErrors = parseAbi(["error Refused(uint256 amount)", "error ReentrancyGuardReentrantCall()"]);

/** Hook data: "rkh2" | target | data. */
const hook = (target: Address, data: Hex) => concat([MAGIC, target, data]);
/** The treasury's hook data: abi.encode(bytes32 account). */
const accountData = (account: Hex = ACCOUNT) => encodeAbiParameters([{ type: "bytes32" }], [account]);
const treasuryHook = (p: CctpPair) => hook(p.b.treasury.address, accountData());

/** A V2 USDC burn on A to B's executor (as destinationCaller and mintRecipient) with `hookData`. */
async function hookTransfer(
  p: CctpPair,
  opts: {
    amount?: bigint;
    hookData?: Hex;
    fee?: bigint;
    finality?: number;
    label?: string;
    token?: Address;
    caller?: Hex;
    recipient?: Address;
  } = {},
) {
  const amount = opts.amount ?? 1_000_000n;
  const executor = p.b.executor.address;
  const finality = opts.finality ?? FINALIZED;
  const { message } = await burnV2(viem, p.a, {
    account: p.accounts.alice,
    amount,
    mintRecipient: opts.recipient ?? executor,
    destinationCaller: opts.caller ?? toBytes32(executor),
    maxFee: opts.fee ?? 0n,
    minFinalityThreshold: finality,
    hookData: opts.hookData ?? treasuryHook(p),
    ...(opts.token ? { token: opts.token } : {}),
  });
  const attested = patchIris(message, {
    nonce: nonceOf(opts.label ?? "hook"),
    finalityThresholdExecuted: finality,
    feeExecuted: opts.fee ?? 0n,
  });
  return { message: attested, attestation: await attest(attested, ATTESTERS), amount };
}

function relay(p: CctpPair, t: { message: Hex; attestation: Hex }, account = p.accounts.stranger) {
  return p.b.executor.write.relay([t.message, t.attestation], { account });
}
const bRevert = (p: CctpPair, action: Promise<unknown>) =>
  revertOf(action, ...errorAbis(p.b), receiverErrors as Abi);

/** test/contracts/solidity/TestCctpHookReceiver.sol (test artifacts are not typed: its ABI here). */
const receiverAbi = parseAbi([
  "function setMode(uint8 mode)",
  "function lastNonce() view returns (bytes32)",
  "function lastSourceDomain() view returns (uint32)",
  "function lastSender() view returns (bytes32)",
  "function lastToken() view returns (address)",
  "function lastAmount() view returns (uint256)",
  "function lastData() view returns (bytes)",
  "function balanceAtCall() view returns (uint256)",
]);

async function receiver() {
  const { address } = await viem.deployContract("TestCctpHookReceiver", []);
  const [wallet] = await viem.getWalletClients();
  if (!wallet) throw new Error("No wallet client.");
  return getContract({ address, abi: receiverAbi, client: { public: publicClient, wallet } });
}

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

  it("relays permissionlessly: mints to itself, pays the treasury, which credits the account; nothing stays behind", async () => {
    const p = await pair();
    const t = await hookTransfer(p);
    const { result } = await p.b.executor.simulate.relay([t.message, t.attestation], {
      account: p.accounts.stranger,
    });
    expect(result).toBe(t.amount);
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
      nonce: nonceOf("hook"),
      sourceDomain: DOMAIN_A,
      sender: toBytes32(p.accounts.alice),
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

  it("a fast-style message (finality 1000, feeExecuted > 0): the same hook data credits exactly amount − fee", async () => {
    const p = await pair();
    const fee = 2_500n;
    const t = await hookTransfer(p, { fee, finality: 1000 });
    // The burn's hook data states no amount: it is the same as for a standard transfer.
    expect(slice(t.message, 148 + 228)).toBe(treasuryHook(p).toLowerCase());
    const hash = await relay(p, t);
    const [minted] = await eventsOf(publicClient, hash, p.b.messengerV2.abi, "MintAndWithdraw");
    expect(minted?.args.amount).toBe(t.amount - fee);
    expect(minted?.args.feeCollected).toBe(fee);
    const [executed] = await eventsOf(publicClient, hash, p.b.executor.abi, "HookExecuted");
    expect(executed?.args.amount).toBe(t.amount - fee);
    const [credited] = await eventsOf(publicClient, hash, p.b.treasury.abi, "Credited");
    expect(credited?.args.amount).toBe(t.amount - fee);
    expect(await p.b.treasury.read.balanceOf([ACCOUNT, p.b.usdc.address])).toBe(t.amount - fee);
    expect(await p.b.usdc.read.balanceOf([p.b.treasury.address])).toBe(t.amount - fee);
    expect(await p.b.usdc.read.balanceOf([p.accounts.feeRecipient])).toBe(fee);
    expect(await p.b.usdc.read.balanceOf([p.b.executor.address])).toBe(0n);
  });

  it("pays the receiver before calling it back with the message's nonce, source, sender, token, measured amount and data", async () => {
    const p = await pair();
    const r = await receiver();
    // Tokens someone sent to the executor stay there: only the measured mint is forwarded.
    await p.b.usdc.write.transfer([p.b.executor.address, 7n], { account: p.accounts.alice });
    const data = "0xc0ffee" as const;
    const t = await hookTransfer(p, { hookData: hook(r.address, data), fee: 10n, finality: 1000 });
    await relay(p, t);
    expect(await r.read.lastNonce()).toBe(nonceOf("hook"));
    expect(await r.read.lastSourceDomain()).toBe(DOMAIN_A);
    expect(await r.read.lastSender()).toBe(toBytes32(p.accounts.alice));
    expect(await r.read.lastToken()).toBe(getAddress(p.b.usdc.address));
    expect(await r.read.lastAmount()).toBe(t.amount - 10n);
    expect(await r.read.lastData()).toBe(data);
    expect(await r.read.balanceAtCall()).toBe(t.amount - 10n);
    expect(await p.b.usdc.read.balanceOf([p.b.executor.address])).toBe(7n);
  });

  it("a receiver that reverts, returns another value or nothing, or an EOA target: the relay reverts, the nonce stays unused", async () => {
    const p = await pair();
    const r = await receiver();
    const t = await hookTransfer(p, { hookData: hook(r.address, "0x") });
    const supply = await p.b.usdc.read.totalSupply();
    const target = getAddress(r.address);
    const cases: [number, string, readonly unknown[]][] = [
      [
        Mode.Revert,
        "HookFailed",
        [target, encodeErrorResult({ abi: receiverErrors, errorName: "Refused", args: [t.amount] })],
      ],
      [
        Mode.WrongSelector,
        "HookRejected",
        [target, encodeAbiParameters([{ type: "bytes4" }], ["0xdeadbeef"])],
      ],
      [Mode.NoReturn, "HookRejected", [target, "0x"]],
    ];
    for (const [mode, errorName, args] of cases) {
      await r.write.setMode([mode]);
      expect(await bRevert(p, relay(p, t)), errorName).toEqual({ errorName, args });
      expect(await p.b.transmitterV2.read.usedNonces([nonceOf("hook")])).toBe(0n);
      expect(await p.b.usdc.read.totalSupply()).toBe(supply);
    }
    const toEoa = await hookTransfer(p, { hookData: hook(p.accounts.bob, accountData()), label: "eoa" });
    expect(await bRevert(p, relay(p, toEoa))).toEqual({
      errorName: "InvalidHookTarget",
      args: [p.accounts.bob],
    });
    expect(await p.b.transmitterV2.read.usedNonces([nonceOf("eoa")])).toBe(0n);
    // The same message relays once the receiver accepts.
    await r.write.setMode([Mode.Accept]);
    await relay(p, t);
    expect(await p.b.usdc.read.balanceOf([r.address])).toBe(t.amount);
    expect(await p.b.transmitterV2.read.usedNonces([nonceOf("hook")])).toBe(1n);
  });

  it("rejects re-entry into relay from the receiver (ReentrancyGuardReentrantCall inside HookFailed)", async () => {
    const p = await pair();
    const r = await receiver();
    await r.write.setMode([Mode.Reenter]);
    const t = await hookTransfer(p, { hookData: hook(r.address, "0x") });
    expect(await bRevert(p, relay(p, t))).toEqual({
      errorName: "HookFailed",
      args: [
        getAddress(r.address),
        encodeErrorResult({ abi: receiverErrors, errorName: "ReentrancyGuardReentrantCall" }),
      ],
    });
    expect(await p.b.transmitterV2.read.usedNonces([nonceOf("hook")])).toBe(0n);
  });

  it("a paused asset: the relay reverts with TokenPaused and succeeds after the breaker's unpause", async () => {
    const p = await pair();
    const amount = tokenUnits(p.a.asset, 10n);
    const t = await hookTransfer(p, { amount, token: p.a.dusd.address });
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

    it("requires 'rkh2' hook data with a contract target other than itself or the minted token", async () => {
      const p = await pair();
      const lower = (h: Hex) => h.toLowerCase() as Hex;
      const oldFormat = lower(concat(["0x726b6831", p.b.treasury.address, accountData()]));
      const noMagic = lower(concat(["0x00000000", p.b.treasury.address]));
      const tooShort = lower(slice(hook(p.b.treasury.address, "0x"), 0, 23));
      const cases: [Hex, string, readonly unknown[]][] = [
        ["0x726b6832", "InvalidHookData", ["0x726b6832"]],
        [oldFormat, "InvalidHookData", [oldFormat]],
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
    it("accepts onCctpHook only from its executor; rejects a zero executor", async () => {
      const p = await pair();
      expect(await p.b.treasury.read.executor()).toBe(getAddress(p.b.executor.address));
      const call = p.b.treasury.write.onCctpHook(
        [nonceOf("forged"), DOMAIN_A, ZERO32, p.b.usdc.address, 1_000n, accountData()],
        { account: p.accounts.alice },
      );
      expect(await bRevert(p, call)).toEqual({ errorName: "UnauthorizedCaller", args: [p.accounts.alice] });
      expect(await p.b.treasury.read.balanceOf([ACCOUNT, p.b.usdc.address])).toBe(0n);
      expect(await revertOf(viem.deployContract("DevTreasury", [zeroAddress]), p.b.treasury.abi)).toEqual({
        errorName: "ZeroAddress",
        args: [],
      });
    });

    it("keeps per-account balances; hook data other than one bytes32 reverts the relay", async () => {
      const p = await pair();
      const other = keccak256(stringToBytes("customer:43"));
      await relay(p, await hookTransfer(p, { amount: 30n, label: "one" }));
      await relay(
        p,
        await hookTransfer(p, {
          amount: 12n,
          label: "two",
          hookData: hook(p.b.treasury.address, accountData(other)),
        }),
      );
      expect(await p.b.treasury.read.balanceOf([ACCOUNT, p.b.usdc.address])).toBe(30n);
      expect(await p.b.treasury.read.balanceOf([other, p.b.usdc.address])).toBe(12n);
      expect(await p.b.treasury.read.balanceOf([ZERO32, p.b.usdc.address])).toBe(0n);

      const bad = slice(accountData(), 0, 31);
      const t = await hookTransfer(p, { label: "bad", hookData: hook(p.b.treasury.address, bad) });
      expect(await bRevert(p, relay(p, t))).toEqual({
        errorName: "HookFailed",
        args: [
          getAddress(p.b.treasury.address),
          encodeErrorResult({ abi: p.b.treasury.abi, errorName: "InvalidAccountData", args: [bad] }),
        ],
      });
      expect(await p.b.transmitterV2.read.usedNonces([nonceOf("bad")])).toBe(0n);
    });
  });
});

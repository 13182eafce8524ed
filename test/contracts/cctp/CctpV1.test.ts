import { network } from "hardhat";
import { concat, encodePacked, getAddress, type Hash, type Hex, keccak256, pad, slice, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { eventsOf, revertOf } from "../helpers/stack.ts";
import {
  ATTESTERS,
  attest,
  type CctpPair,
  DOMAIN_A,
  DOMAIN_B,
  deployCctpPair,
  errorAbis,
  FUNDS,
  MAX_BODY,
  PAUSER_ROLE,
  patchBytes,
  signMessage,
  toBytes32,
} from "./helpers.ts";

const { viem, networkHelpers } = await network.connect();
const publicClient = await viem.getPublicClient();

async function cctpPair() {
  const p = await deployCctpPair(viem);
  await p.a.usdc.write.approve([p.a.messengerV1.address, FUNDS], { account: p.accounts.alice });
  return p;
}
const pair = () => networkHelpers.loadFixture(cctpPair);

const ZERO32 = pad("0x", { size: 32 });
const BODY = 116;
const sourceAndNonce = (domain: number, nonce: bigint) =>
  keccak256(encodePacked(["uint32", "uint64"], [domain, nonce]));

/** V1 deposit alice → bob from A to B; returns the nonce and the (final) source message. */
async function depositV1(p: CctpPair, amount = 100n, caller?: Hex) {
  const args = [amount, DOMAIN_B, toBytes32(p.accounts.bob), p.a.usdc.address] as const;
  const as = { account: p.accounts.alice };
  const hash: Hash =
    caller === undefined
      ? await p.a.messengerV1.write.depositForBurn([...args], as)
      : await p.a.messengerV1.write.depositForBurnWithCaller([...args, caller], as);
  const [sent] = await eventsOf(publicClient, hash, p.a.transmitterV1.abi, "MessageSent");
  const [deposit] = await eventsOf(publicClient, hash, p.a.messengerV1.abi, "DepositForBurn");
  return { hash, message: sent!.args.message, nonce: deposit!.args.nonce, deposit: deposit!.args };
}

async function receiveOnB(p: CctpPair, message: Hex, account = p.accounts.relayer) {
  return p.b.transmitterV1.write.receiveMessage([message, await attest(message, ATTESTERS)], { account });
}
const bRevert = (p: CctpPair, action: Promise<unknown>) => revertOf(action, ...errorAbis(p.b));

describe("CCTP V1 (fallback path)", () => {
  it("deploys version 0 contracts with nonce 0 next", async () => {
    const { a } = await pair();
    expect(await a.transmitterV1.read.version()).toBe(0);
    expect(await a.transmitterV1.read.localDomain()).toBe(DOMAIN_A);
    expect(await a.transmitterV1.read.nextAvailableNonce()).toBe(0n);
    expect(await a.transmitterV1.read.maxMessageBodySize()).toBe(MAX_BODY);
    expect(await a.messengerV1.read.messageBodyVersion()).toBe(0);
    expect(await a.messengerV1.read.localMessageTransmitter()).toBe(getAddress(a.transmitterV1.address));
  });

  describe("DevMessageTransmitterV1 send", () => {
    it("sendMessage reserves sequential nonces and emits the packed V1 message (no caller)", async () => {
      const { a, accounts } = await pair();
      const recipient = toBytes32(accounts.bob);
      const { result } = await a.transmitterV1.simulate.sendMessage([DOMAIN_B, recipient, "0xab"], {
        account: accounts.stranger,
      });
      expect(result).toBe(0n);
      await a.transmitterV1.write.sendMessage([DOMAIN_B, recipient, "0xab"], { account: accounts.stranger });
      const hash = await a.transmitterV1.write.sendMessage([DOMAIN_B, recipient, "0xab"], {
        account: accounts.stranger,
      });
      const [sent] = await eventsOf(publicClient, hash, a.transmitterV1.abi, "MessageSent");
      expect(sent?.args.message).toBe(
        concat([
          toHex(0, { size: 4 }),
          toHex(DOMAIN_A, { size: 4 }),
          toHex(DOMAIN_B, { size: 4 }),
          toHex(1n, { size: 8 }),
          toBytes32(accounts.stranger),
          recipient,
          ZERO32,
          "0xab",
        ]),
      );
      expect(await a.transmitterV1.read.nextAvailableNonce()).toBe(2n);
    });

    it("sendMessageWithCaller puts the caller in the header and requires it non-zero", async () => {
      const { a, accounts } = await pair();
      const caller = toBytes32(accounts.relayer);
      const hash = await a.transmitterV1.write.sendMessageWithCaller([
        DOMAIN_B,
        toBytes32(accounts.bob),
        caller,
        "0x",
      ]);
      const [sent] = await eventsOf(publicClient, hash, a.transmitterV1.abi, "MessageSent");
      expect(slice(sent!.args.message, 84, 116)).toBe(caller);
      expect(
        await revertOf(
          a.transmitterV1.write.sendMessageWithCaller([DOMAIN_B, toBytes32(accounts.bob), ZERO32, "0x"]),
        ),
      ).toEqual({ errorName: "ZeroDestinationCaller", args: [] });
    });

    it("like Circle's V1, does not check the destination domain; checks body size and recipient; stops when paused", async () => {
      const { a, accounts } = await pair();
      const t = a.transmitterV1;
      await t.write.sendMessage([DOMAIN_A, toBytes32(accounts.bob), "0x"]);
      expect(
        await revertOf(
          t.write.sendMessage([
            DOMAIN_B,
            toBytes32(accounts.bob),
            toHex(new Uint8Array(Number(MAX_BODY) + 1)),
          ]),
        ),
      ).toEqual({ errorName: "MessageBodyTooLarge", args: [MAX_BODY + 1n, MAX_BODY] });
      expect(await revertOf(t.write.sendMessage([DOMAIN_B, ZERO32, "0x"]))).toEqual({
        errorName: "ZeroRecipient",
        args: [],
      });
      await t.write.pause();
      for (const action of [
        t.write.sendMessage([DOMAIN_B, toBytes32(accounts.bob), "0x"]),
        t.write.sendMessageWithCaller([DOMAIN_B, toBytes32(accounts.bob), toBytes32(accounts.bob), "0x"]),
      ]) {
        expect(await revertOf(action)).toEqual({ errorName: "EnforcedPause", args: [] });
      }
    });
  });

  describe("DevTokenMessengerV1 deposit", () => {
    it("burns, returns the nonce and emits Circle's V1 DepositForBurn", async () => {
      const p = await pair();
      const { result } = await p.a.messengerV1.simulate.depositForBurn(
        [5n, DOMAIN_B, toBytes32(p.accounts.bob), p.a.usdc.address],
        { account: p.accounts.alice },
      );
      expect(result).toBe(0n);
      const { deposit, nonce } = await depositV1(p, 5n);
      expect(nonce).toBe(0n);
      expect(deposit).toEqual({
        nonce: 0n,
        burnToken: getAddress(p.a.usdc.address),
        amount: 5n,
        depositor: p.accounts.alice,
        mintRecipient: toBytes32(p.accounts.bob),
        destinationDomain: DOMAIN_B,
        destinationTokenMessenger: toBytes32(p.b.messengerV1.address),
        destinationCaller: ZERO32,
      });
      expect(await p.a.usdc.read.balanceOf([p.accounts.alice])).toBe(FUNDS - 5n);
    });

    it("depositForBurnWithCaller sends with the caller and rejects a zero caller", async () => {
      const p = await pair();
      const caller = toBytes32(p.accounts.relayer);
      const { message, deposit } = await depositV1(p, 5n, caller);
      expect(deposit.destinationCaller).toBe(caller);
      expect(slice(message, 84, 116)).toBe(caller);
      expect(
        await revertOf(
          p.a.messengerV1.write.depositForBurnWithCaller(
            [5n, DOMAIN_B, toBytes32(p.accounts.bob), p.a.usdc.address, ZERO32],
            { account: p.accounts.alice },
          ),
        ),
      ).toEqual({ errorName: "ZeroDestinationCaller", args: [] });
    });

    it("checks amount, recipient and the remote messenger", async () => {
      const p = await pair();
      const as = { account: p.accounts.alice };
      const m = p.a.messengerV1;
      expect(await revertOf(m.write.depositForBurn([0n, DOMAIN_B, ZERO32, p.a.usdc.address], as))).toEqual({
        errorName: "ZeroAmount",
        args: [],
      });
      expect(await revertOf(m.write.depositForBurn([1n, DOMAIN_B, ZERO32, p.a.usdc.address], as))).toEqual({
        errorName: "ZeroMintRecipient",
        args: [],
      });
      expect(
        await revertOf(m.write.depositForBurn([1n, 42, toBytes32(p.accounts.bob), p.a.usdc.address], as)),
      ).toEqual({
        errorName: "NoRemoteTokenMessenger",
        args: [42],
      });
    });
  });

  describe("round trip A → B", () => {
    it("sequential nonces 0, 1, 2 are received in any order, each once", async () => {
      const p = await pair();
      const sent = [await depositV1(p, 10n), await depositV1(p, 20n), await depositV1(p, 30n)];
      expect(sent.map((s) => s.nonce)).toEqual([0n, 1n, 2n]);
      for (const i of [2, 0, 1]) {
        const { message, nonce } = sent[i]!;
        const hash = await receiveOnB(p, message);
        const [minted] = await eventsOf(publicClient, hash, p.b.messengerV1.abi, "MintAndWithdraw");
        expect(minted?.args).toEqual({
          mintRecipient: p.accounts.bob,
          amount: [10n, 20n, 30n][i],
          mintToken: getAddress(p.b.usdc.address),
        });
        const [received] = await eventsOf(publicClient, hash, p.b.transmitterV1.abi, "MessageReceived");
        expect(received?.args).toEqual({
          caller: p.accounts.relayer,
          sourceDomain: DOMAIN_A,
          nonce,
          sender: toBytes32(p.a.messengerV1.address),
          messageBody: slice(message, BODY),
        });
        expect(await p.b.transmitterV1.read.usedNonces([sourceAndNonce(DOMAIN_A, nonce)])).toBe(1n);
      }
      expect(await p.b.usdc.read.balanceOf([p.accounts.bob])).toBe(60n);
      expect(await bRevert(p, receiveOnB(p, sent[1]!.message))).toEqual({
        errorName: "SourceNonceAlreadyUsed",
        args: [DOMAIN_A, 1n],
      });
    });

    it("enforces the destination caller", async () => {
      const p = await pair();
      const { message } = await depositV1(p, 10n, toBytes32(p.accounts.relayer));
      expect(await bRevert(p, receiveOnB(p, message, p.accounts.stranger))).toEqual({
        errorName: "InvalidDestinationCaller",
        args: [toBytes32(p.accounts.relayer), p.accounts.stranger],
      });
      await receiveOnB(p, message, p.accounts.relayer);
      expect(await p.b.usdc.read.balanceOf([p.accounts.bob])).toBe(10n);
    });

    it("rejects bad attestations, short or misaddressed messages, other versions", async () => {
      const p = await pair();
      const { message } = await depositV1(p);
      expect(
        await bRevert(
          p,
          p.b.transmitterV1.write.receiveMessage([message, await signMessage(message, ATTESTERS[0]!)]),
        ),
      ).toEqual({ errorName: "InvalidAttestationLength", args: [65n, 130n] });
      const short = slice(message, 0, 115);
      expect(await bRevert(p, receiveOnB(p, short))).toEqual({
        errorName: "MalformedMessage",
        args: [115n, 116n],
      });
      const wrongVersion = patchBytes(message, 0, toHex(1), 4);
      expect(await bRevert(p, receiveOnB(p, wrongVersion))).toEqual({
        errorName: "InvalidMessageVersion",
        args: [1, 0],
      });
      expect(
        await revertOf(
          p.a.transmitterV1.write.receiveMessage([message, await attest(message, ATTESTERS)]),
          ...errorAbis(p.a),
        ),
      ).toEqual({ errorName: "InvalidDestinationDomain", args: [DOMAIN_B, DOMAIN_A] });
      await p.b.transmitterV1.write.pause();
      expect(await bRevert(p, receiveOnB(p, message))).toEqual({ errorName: "EnforcedPause", args: [] });
    });

    it("the V1 messenger requires a 132-byte version-0 body from the registered messenger via the transmitter", async () => {
      const p = await pair();
      const { message } = await depositV1(p);
      expect(await bRevert(p, receiveOnB(p, slice(message, 0, BODY + 131)))).toEqual({
        errorName: "MalformedBurnMessage",
        args: [131n],
      });
      expect(await bRevert(p, receiveOnB(p, concat([message, "0x00"])))).toEqual({
        errorName: "MalformedBurnMessage",
        args: [133n],
      });
      expect(await bRevert(p, receiveOnB(p, patchBytes(message, BODY, toHex(1), 4)))).toEqual({
        errorName: "InvalidMessageBodyVersion",
        args: [1, 0],
      });
      const spoofed = patchBytes(message, 20, toBytes32(p.accounts.alice), 32); // sender
      expect(await bRevert(p, receiveOnB(p, spoofed))).toEqual({
        errorName: "NotRemoteTokenMessenger",
        args: [DOMAIN_A, toBytes32(p.accounts.alice)],
      });
      expect(
        await bRevert(
          p,
          p.b.messengerV1.write.handleReceiveMessage(
            [DOMAIN_A, toBytes32(p.a.messengerV1.address), slice(message, BODY)],
            {
              account: p.accounts.stranger,
            },
          ),
        ),
      ).toEqual({ errorName: "NotLocalMessageTransmitter", args: [p.accounts.stranger] });
    });
  });

  it("privileged functions reject a stranger", async () => {
    const { a, accounts } = await pair();
    const as = { account: accounts.stranger };
    const admin = await a.messengerV1.read.DEFAULT_ADMIN_ROLE();
    for (const [action, role] of [
      [a.messengerV1.write.addRemoteTokenMessenger([9, toBytes32(accounts.bob)], as), admin],
      [a.messengerV1.write.removeRemoteTokenMessenger([DOMAIN_B], as), admin],
      [a.transmitterV1.write.pause(as), PAUSER_ROLE],
      [a.transmitterV1.write.setMaxMessageBodySize([1n], as), admin],
    ] as const) {
      expect(await revertOf(action)).toEqual({
        errorName: "AccessControlUnauthorizedAccount",
        args: [accounts.stranger, role],
      });
    }
  });
});

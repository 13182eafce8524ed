import { network } from "hardhat";
import {
  concat,
  getAddress,
  type Hex,
  pad,
  parseSignature,
  serializeSignature,
  size,
  slice,
  toHex,
  zeroAddress,
} from "viem";
import { describe, expect, it } from "vitest";
import { eventsOf, revertOf } from "../helpers/stack.ts";
import {
  ATTESTER_MANAGER_ROLE,
  ATTESTERS,
  attest,
  attester,
  attestInOrder,
  burnV2,
  type CctpPair,
  DOMAIN_A,
  DOMAIN_B,
  deployCctpPair,
  errorAbis,
  MAX_BODY,
  nonceOf,
  PAUSER_ROLE,
  patchBytes,
  patchIris,
  signMessage,
  toBytes32,
} from "./helpers.ts";

const { viem, networkHelpers } = await network.connect();
const publicClient = await viem.getPublicClient();

async function cctpPair() {
  return deployCctpPair(viem);
}
const pair = () => networkHelpers.loadFixture(cctpPair);

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const ZERO32 = pad("0x", { size: 32 });
const [A0, A1] = ATTESTERS as [(typeof ATTESTERS)[0], (typeof ATTESTERS)[0]];
const OUTSIDER = attester("outsider");

/** A USDC deposit alice → bob from A to B, patched like Iris (finalized, nonce from `label`). */
async function attestedTransfer(p: CctpPair, label = "n1", amount = 1_000_000n) {
  const { message } = await burnV2(viem, p.a, {
    account: p.accounts.alice,
    amount,
    mintRecipient: p.accounts.bob,
  });
  return patchIris(message, { nonce: nonceOf(label), finalityThresholdExecuted: 2000 });
}

function receiveOnB(p: CctpPair, message: Hex, attestation: Hex, account = p.accounts.relayer) {
  return p.b.transmitterV2.write.receiveMessage([message, attestation], { account });
}

function bRevert(p: CctpPair, action: Promise<unknown>) {
  return revertOf(action, ...errorAbis(p.b));
}

describe("DevMessageTransmitterV2", () => {
  describe("deployment", () => {
    it("stores domain, version 1, limits, attesters, roles, and pre-marks nonce 0 used", async () => {
      const { a, accounts } = await pair();
      const t = a.transmitterV2;
      expect(await t.read.localDomain()).toBe(DOMAIN_A);
      expect(await t.read.version()).toBe(1);
      expect(await t.read.MESSAGE_VERSION()).toBe(1);
      expect(await t.read.maxMessageBodySize()).toBe(MAX_BODY);
      expect(await t.read.signatureThreshold()).toBe(2n);
      expect(await t.read.getNumEnabledAttesters()).toBe(2n);
      expect([...(await t.read.enabledAttesters())].sort()).toEqual(ATTESTERS.map((x) => x.address).sort());
      expect(await t.read.getEnabledAttester([0n])).toBe(A0.address);
      expect(await t.read.isEnabledAttester([A1.address])).toBe(true);
      expect(await t.read.isEnabledAttester([OUTSIDER.address])).toBe(false);
      expect(await t.read.usedNonces([ZERO32])).toBe(1n);
      expect(await t.read.NONCE_USED()).toBe(1n);
      expect(await t.read.FINALITY_THRESHOLD_FINALIZED()).toBe(2000);
      expect(await t.read.FINALITY_THRESHOLD_CONFIRMED()).toBe(1000);
      expect(await t.read.SIGNATURE_LENGTH()).toBe(65n);
      for (const role of [await t.read.DEFAULT_ADMIN_ROLE(), PAUSER_ROLE, ATTESTER_MANAGER_ROLE]) {
        expect(await t.read.hasRole([role, accounts.admin])).toBe(true);
      }
      expect(await t.read.paused()).toBe(false);
    });

    it("rejects zero role holders, a zero max body size and bad attester sets", async () => {
      const { a, accounts } = await pair();
      const ok = [
        0,
        accounts.admin,
        accounts.admin,
        accounts.admin,
        [A0.address, A1.address],
        2n,
        100n,
      ] as const;
      const deploy = (args: readonly unknown[]) =>
        revertOf(viem.deployContract("DevMessageTransmitterV2", args as never), a.transmitterV2.abi);
      for (const i of [1, 2, 3]) {
        expect(await deploy(ok.map((v, j) => (j === i ? zeroAddress : v)))).toEqual({
          errorName: "ZeroAddress",
          args: [],
        });
      }
      expect(await deploy([...ok.slice(0, 6), 0n])).toEqual({
        errorName: "InvalidMaxMessageBodySize",
        args: [0n],
      });
      expect(await deploy([...ok.slice(0, 5), 0n, 100n])).toEqual({
        errorName: "InvalidSignatureThreshold",
        args: [0n, 2n],
      });
      expect(await deploy([...ok.slice(0, 5), 3n, 100n])).toEqual({
        errorName: "InvalidSignatureThreshold",
        args: [3n, 2n],
      });
      expect(await deploy([...ok.slice(0, 4), [zeroAddress], 1n, 100n])).toEqual({
        errorName: "InvalidAttester",
        args: [zeroAddress],
      });
      expect(await deploy([...ok.slice(0, 4), [A0.address, A0.address], 1n, 100n])).toEqual({
        errorName: "AttesterAlreadyEnabled",
        args: [A0.address],
      });
    });
  });

  describe("sendMessage", () => {
    it("emits the packed message with nonce 0 and finalityThresholdExecuted 0; anyone may send", async () => {
      const { a, accounts } = await pair();
      const body = "0xdeadbeef";
      const recipient = toBytes32(accounts.bob);
      const caller = toBytes32(accounts.relayer);
      const hash = await a.transmitterV2.write.sendMessage([DOMAIN_B, recipient, caller, 1000, body], {
        account: accounts.stranger,
      });
      const [sent] = await eventsOf(publicClient, hash, a.transmitterV2.abi, "MessageSent");
      expect(sent?.args.message).toBe(
        concat([
          toHex(1, { size: 4 }),
          toHex(DOMAIN_A, { size: 4 }),
          toHex(DOMAIN_B, { size: 4 }),
          ZERO32,
          toBytes32(accounts.stranger),
          recipient,
          caller,
          toHex(1000, { size: 4 }),
          toHex(0, { size: 4 }),
          body,
        ]),
      );
    });

    it("accepts a body of exactly maxMessageBodySize and rejects one byte more", async () => {
      const { a, accounts } = await pair();
      const at = toHex(new Uint8Array(Number(MAX_BODY)));
      await a.transmitterV2.write.sendMessage([DOMAIN_B, toBytes32(accounts.bob), ZERO32, 2000, at]);
      expect(
        await revertOf(
          a.transmitterV2.write.sendMessage([
            DOMAIN_B,
            toBytes32(accounts.bob),
            ZERO32,
            2000,
            concat([at, "0x00"]),
          ]),
        ),
      ).toEqual({ errorName: "MessageBodyTooLarge", args: [MAX_BODY + 1n, MAX_BODY] });
    });

    it("rejects the local domain, a zero recipient, and sending while paused", async () => {
      const { a, accounts } = await pair();
      const t = a.transmitterV2;
      expect(
        await revertOf(t.write.sendMessage([DOMAIN_A, toBytes32(accounts.bob), ZERO32, 2000, "0x"])),
      ).toEqual({
        errorName: "DestinationIsLocalDomain",
        args: [DOMAIN_A],
      });
      expect(await revertOf(t.write.sendMessage([DOMAIN_B, ZERO32, ZERO32, 2000, "0x"]))).toEqual({
        errorName: "ZeroRecipient",
        args: [],
      });
      await t.write.pause();
      expect(
        await revertOf(t.write.sendMessage([DOMAIN_B, toBytes32(accounts.bob), ZERO32, 2000, "0x"])),
      ).toEqual({
        errorName: "EnforcedPause",
        args: [],
      });
    });
  });

  describe("receiveMessage", () => {
    it("verifies, marks the nonce used, dispatches finalized, emits MessageReceived; a replay is rejected", async () => {
      const p = await pair();
      const message = await attestedTransfer(p);
      const attestation = await attest(message, ATTESTERS);
      expect(size(attestation)).toBe(130);
      const { result } = await p.b.transmitterV2.simulate.receiveMessage([message, attestation], {
        account: p.accounts.relayer,
      });
      expect(result).toBe(true);
      const hash = await receiveOnB(p, message, attestation);
      const [received] = await eventsOf(publicClient, hash, p.b.transmitterV2.abi, "MessageReceived");
      expect(received?.args).toEqual({
        caller: p.accounts.relayer,
        sourceDomain: DOMAIN_A,
        nonce: nonceOf("n1"),
        sender: toBytes32(p.a.messengerV2.address),
        finalityThresholdExecuted: 2000,
        messageBody: slice(message, 148),
      });
      expect(await p.b.transmitterV2.read.usedNonces([nonceOf("n1")])).toBe(1n);
      expect(await p.b.usdc.read.balanceOf([p.accounts.bob])).toBe(1_000_000n);
      expect(await bRevert(p, receiveOnB(p, message, attestation))).toEqual({
        errorName: "NonceAlreadyUsed",
        args: [nonceOf("n1")],
      });
    });

    it("rejects a source-emitted message (nonce 0 is pre-marked used)", async () => {
      const p = await pair();
      const { message } = await burnV2(viem, p.a, {
        account: p.accounts.alice,
        amount: 5n,
        mintRecipient: p.accounts.bob,
      });
      const unpatchedNonce = patchIris(message, { nonce: ZERO32, finalityThresholdExecuted: 2000 });
      for (const m of [message, unpatchedNonce]) {
        expect(await bRevert(p, receiveOnB(p, m, await attest(m, ATTESTERS)))).toEqual({
          errorName: "NonceAlreadyUsed",
          args: [ZERO32],
        });
      }
    });

    describe("attestation (length, order, duplicates, attesters, signature form)", () => {
      it("rejects a wrong length: one signature, a byte short, a byte long", async () => {
        const p = await pair();
        const message = await attestedTransfer(p);
        const full = await attest(message, ATTESTERS);
        for (const bad of [await signMessage(message, A0), slice(full, 0, 129), concat([full, "0x00"])]) {
          expect(await bRevert(p, receiveOnB(p, message, bad))).toEqual({
            errorName: "InvalidAttestationLength",
            args: [BigInt(size(bad)), 130n],
          });
        }
      });

      it("rejects signatures in descending order and a duplicated signer", async () => {
        const p = await pair();
        const message = await attestedTransfer(p);
        expect(await bRevert(p, receiveOnB(p, message, await attestInOrder(message, [A1, A0])))).toEqual({
          errorName: "InvalidSignatureOrder",
          args: [1n, A1.address, A0.address],
        });
        expect(await bRevert(p, receiveOnB(p, message, await attestInOrder(message, [A0, A0])))).toEqual({
          errorName: "InvalidSignatureOrder",
          args: [1n, A0.address, A0.address],
        });
      });

      it("rejects a signer that is not an enabled attester", async () => {
        const p = await pair();
        const message = await attestedTransfer(p);
        const signers = [A0, OUTSIDER].sort((x, y) => (BigInt(x.address) < BigInt(y.address) ? -1 : 1));
        const index = signers.indexOf(OUTSIDER);
        expect(await bRevert(p, receiveOnB(p, message, await attestInOrder(message, signers)))).toEqual({
          errorName: "NotAttester",
          args: [BigInt(index), OUTSIDER.address],
        });
      });

      it("rejects a signature over other bytes (the digest is keccak256 of the exact message)", async () => {
        const p = await pair();
        const message = await attestedTransfer(p);
        const otherNonce = patchIris(message, { nonce: nonceOf("other"), finalityThresholdExecuted: 2000 });
        const decoded = await bRevert(p, receiveOnB(p, otherNonce, await attest(message, ATTESTERS)));
        expect(["NotAttester", "InvalidSignatureOrder"]).toContain(decoded.errorName);
        expect(await p.b.transmitterV2.read.usedNonces([nonceOf("other")])).toBe(0n);
      });

      it("rejects a high-s twin of a valid signature and a v other than 27/28 (OpenZeppelin ECDSA)", async () => {
        const p = await pair();
        const message = await attestedTransfer(p);
        const [first, second] = [await signMessage(message, A0), await signMessage(message, A1)];
        const sig = parseSignature(first);
        const highS = toHex(SECP256K1_N - BigInt(sig.s), { size: 32 });
        const twin = serializeSignature({ r: sig.r, s: highS, yParity: sig.yParity === 0 ? 1 : 0 });
        expect(await bRevert(p, receiveOnB(p, message, concat([twin, second])))).toEqual({
          errorName: "ECDSAInvalidSignatureS",
          args: [highS],
        });
        const badV = patchBytes(first, 64, "0x1d", 1);
        expect(await bRevert(p, receiveOnB(p, message, concat([badV, second])))).toEqual({
          errorName: "ECDSAInvalidSignature",
          args: [],
        });
      });
    });

    describe("header checks (after a valid attestation)", () => {
      it("rejects a message shorter than the 148-byte header", async () => {
        const p = await pair();
        const short = slice(await attestedTransfer(p), 0, 147);
        expect(await bRevert(p, receiveOnB(p, short, await attest(short, ATTESTERS)))).toEqual({
          errorName: "MalformedMessage",
          args: [147n, 148n],
        });
      });

      it("rejects a message for another domain", async () => {
        const p = await pair();
        const message = await attestedTransfer(p);
        expect(
          await revertOf(
            p.a.transmitterV2.write.receiveMessage([message, await attest(message, ATTESTERS)]),
            ...errorAbis(p.a),
          ),
        ).toEqual({ errorName: "InvalidDestinationDomain", args: [DOMAIN_B, DOMAIN_A] });
      });

      it("enforces destinationCaller: only that address may receive", async () => {
        const p = await pair();
        const { message } = await burnV2(viem, p.a, {
          account: p.accounts.alice,
          amount: 10n,
          mintRecipient: p.accounts.bob,
          destinationCaller: toBytes32(p.accounts.relayer),
        });
        const attested = patchIris(message, { nonce: nonceOf("caller"), finalityThresholdExecuted: 2000 });
        const attestation = await attest(attested, ATTESTERS);
        expect(await bRevert(p, receiveOnB(p, attested, attestation, p.accounts.stranger))).toEqual({
          errorName: "InvalidDestinationCaller",
          args: [toBytes32(p.accounts.relayer), p.accounts.stranger],
        });
        await receiveOnB(p, attested, attestation, p.accounts.relayer);
        expect(await p.b.usdc.read.balanceOf([p.accounts.bob])).toBe(10n);
      });

      it("rejects another message version", async () => {
        const p = await pair();
        const v2 = patchBytes(await attestedTransfer(p), 0, "0x02", 4);
        expect(await bRevert(p, receiveOnB(p, v2, await attest(v2, ATTESTERS)))).toEqual({
          errorName: "InvalidMessageVersion",
          args: [2, 1],
        });
      });

      it("rejects receiving while paused and accepts after unpause", async () => {
        const p = await pair();
        const message = await attestedTransfer(p);
        const attestation = await attest(message, ATTESTERS);
        await p.b.transmitterV2.write.pause();
        expect(await bRevert(p, receiveOnB(p, message, attestation))).toEqual({
          errorName: "EnforcedPause",
          args: [],
        });
        await p.b.transmitterV2.write.unpause();
        await receiveOnB(p, message, attestation);
        expect(await p.b.transmitterV2.read.usedNonces([nonceOf("n1")])).toBe(1n);
      });

      it("a reverting handler reverts the receive and leaves the nonce unused", async () => {
        const p = await pair();
        // Alice (not a registered messenger) sends a message to B's messenger: the handler refuses it.
        const hash = await p.a.transmitterV2.write.sendMessage(
          [DOMAIN_B, toBytes32(p.b.messengerV2.address), ZERO32, 2000, "0x1234"],
          { account: p.accounts.alice },
        );
        const [sent] = await eventsOf(publicClient, hash, p.a.transmitterV2.abi, "MessageSent");
        const message = patchIris(sent!.args.message, {
          nonce: nonceOf("x"),
          finalityThresholdExecuted: 2000,
        });
        expect(await bRevert(p, receiveOnB(p, message, await attest(message, ATTESTERS)))).toEqual({
          errorName: "NotRemoteTokenMessenger",
          args: [DOMAIN_A, toBytes32(p.accounts.alice)],
        });
        expect(await p.b.transmitterV2.read.usedNonces([nonceOf("x")])).toBe(0n);
      });
    });
  });

  describe("attester management (ATTESTER_MANAGER_ROLE)", () => {
    it("enables an attester; then a 1-of-3 threshold accepts one signature of the new attester", async () => {
      const p = await pair();
      const t = p.b.transmitterV2;
      const hash = await t.write.enableAttester([OUTSIDER.address]);
      const [enabled] = await eventsOf(publicClient, hash, t.abi, "AttesterEnabled");
      expect(enabled?.args).toEqual({ attester: OUTSIDER.address });
      const hash2 = await t.write.setSignatureThreshold([1n]);
      const [updated] = await eventsOf(publicClient, hash2, t.abi, "SignatureThresholdUpdated");
      expect(updated?.args).toEqual({ oldSignatureThreshold: 2n, newSignatureThreshold: 1n });
      const message = await attestedTransfer(p);
      await receiveOnB(p, message, await signMessage(message, OUTSIDER));
      expect(await p.b.usdc.read.balanceOf([p.accounts.bob])).toBe(1_000_000n);
    });

    it("rejects enabling the zero address or an enabled attester", async () => {
      const { b } = await pair();
      expect(await revertOf(b.transmitterV2.write.enableAttester([zeroAddress]))).toEqual({
        errorName: "InvalidAttester",
        args: [zeroAddress],
      });
      expect(await revertOf(b.transmitterV2.write.enableAttester([A0.address]))).toEqual({
        errorName: "AttesterAlreadyEnabled",
        args: [A0.address],
      });
    });

    it("disables an attester only while more than the threshold remain; a disabled attester's signature fails", async () => {
      const p = await pair();
      const t = p.b.transmitterV2;
      expect(await revertOf(t.write.disableAttester([A0.address]))).toEqual({
        errorName: "TooFewAttesters",
        args: [2n, 2n],
      });
      await t.write.enableAttester([OUTSIDER.address]);
      expect(await revertOf(t.write.disableAttester([attester("nobody").address]))).toEqual({
        errorName: "AttesterNotEnabled",
        args: [attester("nobody").address],
      });
      const hash = await t.write.disableAttester([A0.address]);
      const [disabled] = await eventsOf(publicClient, hash, t.abi, "AttesterDisabled");
      expect(disabled?.args).toEqual({ attester: A0.address });
      expect(await t.read.getNumEnabledAttesters()).toBe(2n);
      const message = await attestedTransfer(p);
      const signers = [A0, A1].sort((x, y) => (BigInt(x.address) < BigInt(y.address) ? -1 : 1));
      expect(await bRevert(p, receiveOnB(p, message, await attestInOrder(message, signers)))).toEqual({
        errorName: "NotAttester",
        args: [BigInt(signers.indexOf(A0)), A0.address],
      });
    });

    it("a last attester cannot be disabled even with threshold 1", async () => {
      const { b } = await pair();
      await b.transmitterV2.write.setSignatureThreshold([1n]);
      await b.transmitterV2.write.disableAttester([A0.address]);
      expect(await revertOf(b.transmitterV2.write.disableAttester([A1.address]))).toEqual({
        errorName: "TooFewAttesters",
        args: [1n, 1n],
      });
    });

    it("rejects a threshold of 0, above the attesters, or unchanged", async () => {
      const { b } = await pair();
      for (const [value, n] of [
        [0n, 2n],
        [3n, 2n],
        [2n, 2n],
      ] as const) {
        expect(await revertOf(b.transmitterV2.write.setSignatureThreshold([value]))).toEqual({
          errorName: "InvalidSignatureThreshold",
          args: [value, n],
        });
      }
    });
  });

  describe("admin, pauser and unauthorised callers", () => {
    it("setMaxMessageBodySize (admin) emits MaxMessageBodySizeUpdated", async () => {
      const { a } = await pair();
      const hash = await a.transmitterV2.write.setMaxMessageBodySize([10n]);
      const [updated] = await eventsOf(publicClient, hash, a.transmitterV2.abi, "MaxMessageBodySizeUpdated");
      expect(updated?.args).toEqual({ newMaxMessageBodySize: 10n });
      expect(await a.transmitterV2.read.maxMessageBodySize()).toBe(10n);
    });

    it("pause/unpause emit OpenZeppelin's Paused/Unpaused", async () => {
      const { a, accounts } = await pair();
      const [paused] = await eventsOf(
        publicClient,
        await a.transmitterV2.write.pause(),
        a.transmitterV2.abi,
        "Paused",
      );
      expect(paused?.args).toEqual({ account: accounts.admin });
      expect(await a.transmitterV2.read.paused()).toBe(true);
      const [unpaused] = await eventsOf(
        publicClient,
        await a.transmitterV2.write.unpause(),
        a.transmitterV2.abi,
        "Unpaused",
      );
      expect(unpaused?.args).toEqual({ account: accounts.admin });
    });

    it("every privileged function rejects a stranger with AccessControlUnauthorizedAccount", async () => {
      const { a, accounts } = await pair();
      const t = a.transmitterV2;
      const as = { account: accounts.stranger };
      const admin = await t.read.DEFAULT_ADMIN_ROLE();
      const cases = [
        [t.write.pause(as), PAUSER_ROLE],
        [t.write.unpause(as), PAUSER_ROLE],
        [t.write.setMaxMessageBodySize([1n], as), admin],
        [t.write.enableAttester([OUTSIDER.address], as), ATTESTER_MANAGER_ROLE],
        [t.write.disableAttester([A0.address], as), ATTESTER_MANAGER_ROLE],
        [t.write.setSignatureThreshold([1n], as), ATTESTER_MANAGER_ROLE],
        [t.write.grantRole([PAUSER_ROLE, accounts.stranger], as), admin],
      ] as const;
      for (const [action, role] of cases) {
        expect(await revertOf(action)).toEqual({
          errorName: "AccessControlUnauthorizedAccount",
          args: [getAddress(accounts.stranger), role],
        });
      }
    });
  });
});

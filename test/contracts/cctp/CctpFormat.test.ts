import { network } from "hardhat";
import {
  type Abi,
  type AbiEvent,
  type AbiFunction,
  concat,
  encodeAbiParameters,
  getAddress,
  type Hex,
  keccak256,
  pad,
  size,
  toEventSelector,
  toFunctionSelector,
  toHex,
} from "viem";
import { describe, expect, it } from "vitest";
import { eventsOf, getWallets } from "../helpers/stack.ts";
import {
  ATTESTERS,
  attest,
  burnV2,
  DOMAIN_B,
  deployCctpPair,
  FINALIZED,
  MINTER_ROLE,
  patchIris,
  TOPIC0,
  toBytes32,
} from "./helpers.ts";

const { viem, networkHelpers } = await network.connect();
const publicClient = await viem.getPublicClient();
const [admin, , , , , , feeRecipient, relayer] = await getWallets(viem);
if (!admin || !feeRecipient || !relayer) throw new Error("Not enough accounts.");

const pair = () => networkHelpers.loadFixture(cctpPair);
async function cctpPair() {
  return deployCctpPair(viem);
}

const ZERO32 = pad("0x", { size: 32 });
const u32 = (n: number) => toHex(n, { size: 4 });
const u64 = (n: bigint) => toHex(n, { size: 8 });
const u256 = (n: bigint) => toHex(n, { size: 32 });

function eventTopic(abi: Abi, name: string): Hex {
  const item = abi.find((i) => i.type === "event" && i.name === name) as AbiEvent | undefined;
  if (!item) throw new Error(`No event ${name}.`);
  return toEventSelector(item);
}
function selectorOf(abi: Abi, name: string): Hex {
  const item = abi.find((i) => i.type === "function" && i.name === name) as AbiFunction | undefined;
  if (!item) throw new Error(`No function ${name}.`);
  return toFunctionSelector(item);
}

// Real captured bytes from the CCTP reference (public chain data).
/** V1-A: Arbitrum (3) → Ethereum (0), with Circle's real 2-of-2 V1 attestation. */
const V1A = {
  message:
    "0x000000000000000300000000000000000000127a00000000000000000000000019330d10d9cc8751218eaf51e8885d058642e08a000000000000000000000000bd3fa81b58ba92a82136038b25adec7066af3155000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000af88d065e77c8cc2239327c5edb3a432268e58310000000000000000000000004af08f56978be7dce2d1be3c65c005b41e79401c000000000000000000000000000000000000000000000000000000002057ff7a0000000000000000000000003a23f943181408eac424116af7b7790c94cb97a5",
  attestation:
    "0x74119237535fd659626b090f87e365ff89ebc7096bb32e8b0e85f155626b73ae7c4bb2485c184b7cc3cf7909045487890b104efb62ae74a73e32901bdcec91df1bb9ee08ccb014fcbcfe77b74d1263fd4e0b0e8de05d6c9a5913554364abfd5ea768b222f50c715908183905d74044bb2b97527c7e70ae7983c443a603557cac3b1c",
  attesters: [
    getAddress("0xb0Ea8E1bE37F346C7EA7ec708834D0db18A17361"),
    getAddress("0xE2fEfe09E74b921CbbFF229E7cD40009231501CA"),
  ],
  recipient: getAddress("0xBd3fa81B58Ba92a82136038B25aDec7066af3155"),
  sender: getAddress("0x19330d10D9Cc8751218eaf51E8885D058642E08A"),
  burnToken: getAddress("0xaf88d065e77c8cC2239327C5EDb3A432268e5831"),
  mintRecipient: getAddress("0x4aF08f56978Be7Dce2d1Be3c65C005b41E79401c"),
  amount: 542_637_946n,
} as const;

/** V2-C: Base Sepolia (6) → Arc testnet (26), source-emitted and Iris-attested (no attestation). */
const V2C = {
  source:
    "0x00000001000000060000001a00000000000000000000000000000000000000000000000000000000000000000000000000000000000000008fe6b999dc680ccfdd5bf7eb0974218be2542daa0000000000000000000000008fe6b999dc680ccfdd5bf7eb0974218be2542daa0000000000000000000000000000000000000000000000000000000000000000000007d00000000000000001000000000000000000000000036cbd53842c5426634e7929541ec2318f3dcf7e0000000000000000000000002ebcd5d751c5ea788ebca0032f5bd23daa0564c700000000000000000000000000000000000000000000000000000000000f88dd0000000000000000000000003af65566013269a1c2f6ee97d49f93a98d51d220000000000000000000000000000000000000000000000000000000000000469d00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000636374702d666f72776172640000000000000000000000000000000000000000",
  attested:
    "0x00000001000000060000001a1c2eef6ba8210f41019acbf5c8389293fd90ccd7b172a74c6276ce74b086b8980000000000000000000000008fe6b999dc680ccfdd5bf7eb0974218be2542daa0000000000000000000000008fe6b999dc680ccfdd5bf7eb0974218be2542daa0000000000000000000000000000000000000000000000000000000000000000000007d0000007d000000001000000000000000000000000036cbd53842c5426634e7929541ec2318f3dcf7e0000000000000000000000002ebcd5d751c5ea788ebca0032f5bd23daa0564c700000000000000000000000000000000000000000000000000000000000f88dd0000000000000000000000003af65566013269a1c2f6ee97d49f93a98d51d220000000000000000000000000000000000000000000000000000000000000469d000000000000000000000000000000000000000000000000000000000000469d0000000000000000000000000000000000000000000000000000000000000000636374702d666f72776172640000000000000000000000000000000000000000",
  nonce: "0x1c2eef6ba8210f41019acbf5c8389293fd90ccd7b172a74c6276ce74b086b898",
  messenger: getAddress("0x8FE6B999Dc680CcFDD5Bf7EB0974218be2542DAA"),
  burnToken: getAddress("0x036CbD53842c5426634e7929541eC2318f3dCF7e"),
  mintRecipient: getAddress("0x2eBCD5d751C5eA788EBCA0032f5bD23DAa0564C7"),
  amount: 1_018_077n,
  fee: 18_077n,
} as const;

/** Storage slot of `mapping(uint32 => bytes32) _remoteTokenMessengers` (slot 1, after AccessControl). */
const remoteMessengerSlot = (domain: number) =>
  keccak256(encodeAbiParameters([{ type: "uint256" }, { type: "uint256" }], [BigInt(domain), 1n]));

describe("CCTP byte compatibility", () => {
  it("events have Circle's topic0s", async () => {
    const { a } = await pair();
    expect(eventTopic(a.transmitterV2.abi, "MessageSent")).toBe(TOPIC0.MessageSent);
    expect(eventTopic(a.transmitterV1.abi, "MessageSent")).toBe(TOPIC0.MessageSent);
    expect(eventTopic(a.transmitterV2.abi, "MessageReceived")).toBe(TOPIC0.MessageReceivedV2);
    expect(eventTopic(a.transmitterV1.abi, "MessageReceived")).toBe(TOPIC0.MessageReceivedV1);
    expect(eventTopic(a.messengerV2.abi, "DepositForBurn")).toBe(TOPIC0.DepositForBurnV2);
    expect(eventTopic(a.messengerV2.abi, "MintAndWithdraw")).toBe(TOPIC0.MintAndWithdrawV2);
    expect(eventTopic(a.messengerV1.abi, "DepositForBurn")).toBe(TOPIC0.DepositForBurnV1);
    expect(eventTopic(a.messengerV1.abi, "MintAndWithdraw")).toBe(TOPIC0.MintAndWithdrawV1);
  });

  it("functions have Circle's selectors", async () => {
    const { a } = await pair();
    expect(selectorOf(a.transmitterV2.abi, "sendMessage")).toBe("0x14b157ab");
    expect(selectorOf(a.transmitterV2.abi, "receiveMessage")).toBe("0x57ecfd28");
    expect(selectorOf(a.transmitterV2.abi, "usedNonces")).toBe("0xfeb61724");
    expect(selectorOf(a.transmitterV1.abi, "sendMessage")).toBe("0x0ba469bc");
    expect(selectorOf(a.transmitterV1.abi, "receiveMessage")).toBe("0x57ecfd28");
    expect(selectorOf(a.messengerV2.abi, "depositForBurn")).toBe("0x8e0250ee");
    expect(selectorOf(a.messengerV2.abi, "depositForBurnWithHook")).toBe("0x779b432d");
    expect(selectorOf(a.messengerV2.abi, "handleReceiveFinalizedMessage")).toBe("0x11cffb67");
    expect(selectorOf(a.messengerV2.abi, "handleReceiveUnfinalizedMessage")).toBe("0x7c92f219");
    expect(selectorOf(a.messengerV2.abi, "getMinFeeAmount")).toBe("0x516990e3");
    expect(selectorOf(a.messengerV1.abi, "depositForBurn")).toBe("0x6fd3504e");
    expect(selectorOf(a.messengerV1.abi, "depositForBurnWithCaller")).toBe("0xf856ddb6");
  });

  it("a V2 deposit emits exactly the hand-built 376-byte MessageSent (nonce 0, executed finality 0, fee 0, expiration 0)", async () => {
    const { a, b, accounts } = await pair();
    const amount = 1_234_567n;
    const maxFee = 1_000n;
    const { hash, message } = await burnV2(viem, a, {
      account: accounts.alice,
      amount,
      mintRecipient: accounts.bob,
      maxFee,
      minFinalityThreshold: 1000,
    });
    const expected = concat([
      u32(1), // version
      u32(0), // sourceDomain
      u32(6), // destinationDomain
      ZERO32, // nonce (Iris fills it in)
      toBytes32(a.messengerV2.address), // sender
      toBytes32(b.messengerV2.address), // recipient
      ZERO32, // destinationCaller
      u32(1000), // minFinalityThreshold
      u32(0), // finalityThresholdExecuted
      u32(1), // body version
      toBytes32(a.usdc.address), // burnToken
      toBytes32(accounts.bob), // mintRecipient
      u256(amount),
      toBytes32(accounts.alice), // messageSender
      u256(maxFee),
      u256(0n), // feeExecuted
      u256(0n), // expirationBlock
    ]);
    expect(message).toBe(expected);
    expect(size(message)).toBe(376);

    const [deposit] = await eventsOf(publicClient, hash, a.messengerV2.abi, "DepositForBurn");
    expect(deposit?.args).toEqual({
      burnToken: getAddress(a.usdc.address),
      amount,
      depositor: accounts.alice,
      mintRecipient: toBytes32(accounts.bob),
      destinationDomain: DOMAIN_B,
      destinationTokenMessenger: toBytes32(b.messengerV2.address),
      destinationCaller: ZERO32,
      maxFee,
      minFinalityThreshold: 1000,
      hookData: "0x",
    });
    const receipt = await publicClient.getTransactionReceipt({ hash });
    const topics = receipt.logs.map((l) => l.topics[0]);
    expect(topics).toContain(TOPIC0.MessageSent);
    expect(topics).toContain(TOPIC0.DepositForBurnV2);
  });

  it("a V1 deposit emits exactly the hand-built 248-byte MessageSent with the reserved nonce", async () => {
    const { a, b, accounts } = await pair();
    const amount = 7_000_000n;
    await a.usdc.write.approve([a.messengerV1.address, amount * 2n], { account: accounts.alice });
    await a.messengerV1.write.depositForBurn([amount, DOMAIN_B, toBytes32(accounts.bob), a.usdc.address], {
      account: accounts.alice,
    });
    const hash = await a.messengerV1.write.depositForBurn(
      [amount, DOMAIN_B, toBytes32(accounts.bob), a.usdc.address],
      { account: accounts.alice },
    );
    const [sent] = await eventsOf(publicClient, hash, a.transmitterV1.abi, "MessageSent");
    const expected = concat([
      u32(0), // version
      u32(0), // sourceDomain
      u32(6), // destinationDomain
      u64(1n), // nonce: the second message of this source
      toBytes32(a.messengerV1.address),
      toBytes32(b.messengerV1.address),
      ZERO32, // destinationCaller
      u32(0), // body version
      toBytes32(a.usdc.address),
      toBytes32(accounts.bob),
      u256(amount),
      toBytes32(accounts.alice),
    ]);
    expect(sent?.args.message).toBe(expected);
    expect(size(expected)).toBe(248);
  });

  it("patching the Iris fields at the reference offsets turns the real V2-C source bytes into the attested bytes", () => {
    expect(
      patchIris(V2C.source, {
        nonce: V2C.nonce,
        finalityThresholdExecuted: 2000,
        feeExecuted: V2C.fee,
        expirationBlock: 0n,
      }),
    ).toBe(V2C.attested);
    expect(keccak256(V2C.source)).toBe("0x05a30d70213cdc32e6a86e0a401794365df624c482a676e00365b7215424ae04");
    expect(keccak256(V2C.attested)).toBe(
      "0xb479de859a3d32db50665b51fc55b29e7fd6b0d0f9e0877f2bc814d1ca7b234a",
    );
  });

  it("Circle's real V1-A message with its real 2-of-2 attestation is accepted and mints", async () => {
    const fixture = async function realV1() {
      const minter = await viem.deployContract("DevTokenMinter", [admin.account.address]);
      const usdc = await viem.deployContract("ReserveBackedStablecoin", [
        "USD Coin",
        "USDC",
        6,
        admin.account.address,
      ]);
      const transmitter = await viem.deployContract("DevMessageTransmitterV1", [
        0,
        admin.account.address,
        admin.account.address,
        admin.account.address,
        [...V1A.attesters],
        2n,
        8192n,
      ]);
      const template = await viem.deployContract("DevTokenMessengerV1", [
        transmitter.address,
        minter.address,
        admin.account.address,
      ]);
      // Our messenger's code at Ethereum's V1 TokenMessenger address (the message's recipient), with
      // Arbitrum's V1 TokenMessenger registered for domain 3.
      await networkHelpers.setCode(
        V1A.recipient,
        (await publicClient.getCode({ address: template.address })) as Hex,
      );
      await networkHelpers.setStorageAt(V1A.recipient, remoteMessengerSlot(3), toBytes32(V1A.sender));
      await minter.write.addLocalTokenMessenger([V1A.recipient]);
      await minter.write.linkTokenPair([usdc.address, 3, toBytes32(V1A.burnToken)]);
      await usdc.write.grantRole([MINTER_ROLE, minter.address]);
      return { transmitter, usdc };
    };
    const { transmitter, usdc } = await networkHelpers.loadFixture(fixture);
    const messenger = await viem.getContractAt("DevTokenMessengerV1", V1A.recipient);
    expect(await messenger.read.remoteTokenMessengers([3])).toBe(toBytes32(V1A.sender).toLowerCase());

    const hash = await transmitter.write.receiveMessage([V1A.message, V1A.attestation], {
      account: relayer.account,
    });
    const [minted] = await eventsOf(publicClient, hash, messenger.abi, "MintAndWithdraw");
    expect(minted?.args).toEqual({
      mintRecipient: V1A.mintRecipient,
      amount: V1A.amount,
      mintToken: getAddress(usdc.address),
    });
    const [received] = await eventsOf(publicClient, hash, transmitter.abi, "MessageReceived");
    expect(received?.args).toEqual({
      caller: relayer.account.address,
      sourceDomain: 3,
      nonce: 4730n,
      sender: toBytes32(V1A.sender).toLowerCase(),
      messageBody: `0x${V1A.message.slice(2 + 116 * 2)}`,
    });
    expect(await usdc.read.balanceOf([V1A.mintRecipient])).toBe(V1A.amount);
  });

  it("the real V2-C attested bytes (signed by local attesters) are received: net amount and fee minted", async () => {
    const fixture = async function realV2() {
      const minter = await viem.deployContract("DevTokenMinter", [admin.account.address]);
      const usdc = await viem.deployContract("ReserveBackedStablecoin", [
        "USD Coin",
        "USDC",
        6,
        admin.account.address,
      ]);
      const transmitter = await viem.deployContract("DevMessageTransmitterV2", [
        26,
        admin.account.address,
        admin.account.address,
        admin.account.address,
        ATTESTERS.map((x) => x.address),
        2n,
        8192n,
      ]);
      const template = await viem.deployContract("DevTokenMessengerV2", [
        transmitter.address,
        minter.address,
        admin.account.address,
        feeRecipient.account.address,
        0n,
      ]);
      await networkHelpers.setCode(
        V2C.messenger,
        (await publicClient.getCode({ address: template.address })) as Hex,
      );
      await networkHelpers.setStorageAt(V2C.messenger, remoteMessengerSlot(6), toBytes32(V2C.messenger));
      // slot 2: _feeRecipient (constructor storage is not copied with the code).
      await networkHelpers.setStorageAt(V2C.messenger, 2n, toBytes32(feeRecipient.account.address));
      await minter.write.addLocalTokenMessenger([V2C.messenger]);
      await minter.write.linkTokenPair([usdc.address, 6, toBytes32(V2C.burnToken)]);
      await usdc.write.grantRole([MINTER_ROLE, minter.address]);
      return { transmitter, usdc };
    };
    const { transmitter, usdc } = await networkHelpers.loadFixture(fixture);
    const messenger = await viem.getContractAt("DevTokenMessengerV2", V2C.messenger);
    expect(await messenger.read.feeRecipient()).toBe(feeRecipient.account.address);

    const hash = await transmitter.write.receiveMessage(
      [V2C.attested, await attest(V2C.attested, ATTESTERS)],
      {
        account: relayer.account,
      },
    );
    const [minted] = await eventsOf(publicClient, hash, messenger.abi, "MintAndWithdraw");
    expect(minted?.args).toEqual({
      mintRecipient: V2C.mintRecipient,
      amount: V2C.amount - V2C.fee,
      mintToken: getAddress(usdc.address),
      feeCollected: V2C.fee,
    });
    const [received] = await eventsOf(publicClient, hash, transmitter.abi, "MessageReceived");
    expect(received?.args.nonce).toBe(V2C.nonce);
    expect(received?.args.finalityThresholdExecuted).toBe(FINALIZED);
    expect(await usdc.read.balanceOf([V2C.mintRecipient])).toBe(1_000_000n);
    expect(await usdc.read.balanceOf([feeRecipient.account.address])).toBe(V2C.fee);
    expect(await transmitter.read.usedNonces([V2C.nonce])).toBe(1n);
  });
});

import { type Address, encodeAbiParameters, encodeEventTopics, type Hex, pad } from "viem";
import { describe, expect, it } from "vitest";
import {
  BRIDGE_EVENTS_ABI,
  BRIDGE_TOPICS,
  bridgedFlowOf,
  bridgeTxsOf,
  decodeBridgeLog,
  sumBridgeFlows,
} from "./bridge.ts";
import type { MinedLog } from "./logs.ts";

const TOKEN: Address = "0x00000000000000000000000000000000000000c0";
const OTHER: Address = "0x00000000000000000000000000000000000000c1";
const USER: Address = "0x00000000000000000000000000000000000000aa";
const ZERO: Address = "0x0000000000000000000000000000000000000000";
const TX1: Hex = `0x${"11".repeat(32)}`;
const TX2: Hex = `0x${"22".repeat(32)}`;

function mined(topics: Hex[], data: Hex, tx: Hex = TX1, logIndex = 0): MinedLog {
  return {
    address: "0x00000000000000000000000000000000000000ee",
    topics,
    data,
    blockNumber: 5n,
    blockHash: `0x${"ab".repeat(32)}`,
    logIndex,
    transactionHash: tx,
  };
}

const [DEPOSIT_V2, DEPOSIT_V1, MINT_V2, MINT_V1] = BRIDGE_EVENTS_ABI;

function depositV2(token: Address, amount: bigint, tx = TX1): MinedLog {
  const topics = encodeEventTopics({
    abi: [DEPOSIT_V2],
    args: { burnToken: token, depositor: USER, minFinalityThreshold: 2000 },
  }) as Hex[];
  const data = encodeAbiParameters(
    [
      { type: "uint256" },
      { type: "bytes32" },
      { type: "uint32" },
      { type: "bytes32" },
      { type: "bytes32" },
      { type: "uint256" },
      { type: "bytes" },
    ],
    [amount, pad(USER), 6, pad(USER), pad("0x"), 0n, "0x"],
  );
  return mined(topics, data, tx);
}

function depositV1(token: Address, amount: bigint): MinedLog {
  const topics = encodeEventTopics({
    abi: [DEPOSIT_V1],
    args: { nonce: 7n, burnToken: token, depositor: USER },
  }) as Hex[];
  const data = encodeAbiParameters(
    [{ type: "uint256" }, { type: "bytes32" }, { type: "uint32" }, { type: "bytes32" }, { type: "bytes32" }],
    [amount, pad(USER), 6, pad(USER), pad("0x")],
  );
  return mined(topics, data);
}

function mintV2(token: Address, amount: bigint, fee: bigint): MinedLog {
  const topics = encodeEventTopics({
    abi: [MINT_V2],
    args: { mintRecipient: USER, mintToken: token },
  }) as Hex[];
  return mined(topics, encodeAbiParameters([{ type: "uint256" }, { type: "uint256" }], [amount, fee]));
}

function mintV1(token: Address, amount: bigint): MinedLog {
  const topics = encodeEventTopics({
    abi: [MINT_V1],
    args: { mintRecipient: USER, mintToken: token },
  }) as Hex[];
  return mined(topics, encodeAbiParameters([{ type: "uint256" }], [amount]));
}

function transfer(from: Address, to: Address, value: bigint, tx: Hex): MinedLog {
  const topics = encodeEventTopics({
    abi: [
      {
        type: "event",
        name: "Transfer",
        inputs: [
          { name: "from", type: "address", indexed: true },
          { name: "to", type: "address", indexed: true },
          { name: "value", type: "uint256", indexed: false },
        ],
      },
    ],
    args: { from, to },
  }) as Hex[];
  return mined(topics, encodeAbiParameters([{ type: "uint256" }], [value]), tx, 1);
}

describe("bridge (CCTP messenger) logs", () => {
  it("uses the topic0s Circle's V1 and V2 messengers emit", () => {
    expect(BRIDGE_TOPICS).toEqual({
      depositForBurnV2: "0x0c8c1cbdc5190613ebd485511d4e2812cfa45eecb79d845893331fedad5130a5",
      depositForBurnV1: "0x2fa9ca894982930190727e75500a97d8dc500233a5065e0f3126c48fbe0343c0",
      mintAndWithdrawV2: "0x50c55e915134d457debfa58eb6f4342956f8b0616d51a89a3659360178e1ab63",
      mintAndWithdrawV1: "0x1b2a7ff080b8cb6ff436ce0372e399692bbfb6d4ae5766fd8d58a7b8cc6142e6",
    });
  });

  it("decodes burns and mints of both versions; a V2 mint counts amount + fee", () => {
    expect(decodeBridgeLog(depositV2(TOKEN, 1_000n), TOKEN)).toMatchObject({
      kind: "burn",
      version: 2,
      amount: 1_000n,
    });
    expect(decodeBridgeLog(depositV1(TOKEN, 900n), TOKEN)).toMatchObject({
      kind: "burn",
      version: 1,
      amount: 900n,
    });
    expect(decodeBridgeLog(mintV2(TOKEN, 997n, 3n), TOKEN)).toMatchObject({
      kind: "mint",
      version: 2,
      amount: 1_000n,
    });
    expect(decodeBridgeLog(mintV1(TOKEN, 900n), TOKEN)).toMatchObject({
      kind: "mint",
      version: 1,
      amount: 900n,
    });
  });

  it("ignores another token's transfers and unrelated logs", () => {
    expect(decodeBridgeLog(depositV2(OTHER, 1n), TOKEN)).toBeUndefined();
    expect(decodeBridgeLog(mintV1(OTHER, 1n), TOKEN)).toBeUndefined();
    expect(decodeBridgeLog(transfer(USER, ZERO, 1n, TX1), TOKEN)).toBeUndefined();
    expect(decodeBridgeLog(mined([BRIDGE_TOPICS.depositForBurnV2], "0x1234"), TOKEN)).toBeUndefined();
  });

  it("sums burns minus mints", () => {
    const logs = [depositV2(TOKEN, 1_000n), mintV2(TOKEN, 990n, 10n), depositV1(TOKEN, 5n)].flatMap(
      (l) => decodeBridgeLog(l, TOKEN) ?? [],
    );
    expect(sumBridgeFlows(logs)).toBe(5n);
  });

  it("gives a mint/burn Transfer log of a bridge transaction its signed flow, and nothing to others", () => {
    const txs = bridgeTxsOf([decodeBridgeLog(depositV2(TOKEN, 50n, TX1), TOKEN)!]);
    expect(bridgedFlowOf(transfer(USER, ZERO, 50n, TX1), txs)).toBe(50n); // burned into a transfer
    expect(bridgedFlowOf(transfer(ZERO, USER, 50n, TX1), txs)).toBe(-50n); // minted out of one
    expect(bridgedFlowOf(transfer(USER, ZERO, 50n, TX2), txs)).toBeUndefined(); // an ordinary burn
    expect(bridgedFlowOf(transfer(USER, OTHER, 50n, TX1), txs)).toBeUndefined(); // not a mint/burn
  });
});

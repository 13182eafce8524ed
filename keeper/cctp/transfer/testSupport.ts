/** Fixtures for the CCTP transfer, service and attestation-service unit tests (tests only). */
import type { Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { parseConfig } from "../../config/load.ts";
import { validConfigInput } from "../../config/testFixtures.ts";
import { encodeBurnMessageV1 } from "../burnMessageV1.ts";
import { encodeBurnMessageV2 } from "../burnMessageV2.ts";
import type { CctpConfigInput } from "../config.ts";
import { encodeMessageV1 } from "../messageV1.ts";
import { encodeMessageV2 } from "../messageV2.ts";
import { type CctpSetup, resolveCctpSetup } from "./setup.ts";

/** Two test attester keys (not devnet keys), and their addresses ascending. */
export const TEST_ATTESTER_KEYS: readonly Hex[] = [
  "0x1111111111111111111111111111111111111111111111111111111111111111",
  "0x2222222222222222222222222222222222222222222222222222222222222222",
];
export const TEST_ATTESTERS = TEST_ATTESTER_KEYS.map((k) => privateKeyToAddress(k)).sort((a, b) =>
  BigInt(a) < BigInt(b) ? -1 : 1,
);

export const CCTP_ADDR = {
  homeTransmitterV2: "0x1000000000000000000000000000000000000001",
  homeMessengerV2: "0x1000000000000000000000000000000000000002",
  homeTransmitterV1: "0x1000000000000000000000000000000000000003",
  homeMessengerV1: "0x1000000000000000000000000000000000000004",
  homeUsdc: "0x1000000000000000000000000000000000000005",
  remoteTransmitterV2: "0x2000000000000000000000000000000000000001",
  remoteMessengerV2: "0x2000000000000000000000000000000000000002",
  remoteTransmitterV1: "0x2000000000000000000000000000000000000003",
  remoteMessengerV1: "0x2000000000000000000000000000000000000004",
  remoteUsdc: "0x2000000000000000000000000000000000000005",
  remoteExecutor: "0x2000000000000000000000000000000000000006",
  remoteTreasury: "0x2000000000000000000000000000000000000007",
} as const;

/** A `cctp:` section for validConfigInput's chains (home = domain 0, remote = domain 6). */
export function cctpConfigInput(overrides: Partial<CctpConfigInput> = {}): CctpConfigInput {
  const a = CCTP_ADDR;
  return {
    attestationApi: { url: "http://127.0.0.1:8790" },
    attesters: {
      v1: { addresses: [...TEST_ATTESTERS], threshold: 2 },
      v2: { addresses: [...TEST_ATTESTERS], threshold: 2 },
    },
    chains: [
      {
        chain: "home",
        domain: 0,
        versions: [1, 2],
        v2: { tokenMessenger: a.homeMessengerV2, messageTransmitter: a.homeTransmitterV2 },
        v1: { tokenMessenger: a.homeMessengerV1, messageTransmitter: a.homeTransmitterV1 },
        usdc: a.homeUsdc,
      },
      {
        chain: "remote",
        domain: 6,
        versions: [1, 2],
        v2: {
          tokenMessenger: a.remoteMessengerV2,
          messageTransmitter: a.remoteTransmitterV2,
          hookExecutor: a.remoteExecutor,
        },
        v1: { tokenMessenger: a.remoteMessengerV1, messageTransmitter: a.remoteTransmitterV1 },
        usdc: a.remoteUsdc,
        treasury: a.remoteTreasury,
      },
    ],
    ...overrides,
  };
}

/** The resolved setup of validConfigInput + cctpConfigInput(overrides). */
export function testCctpSetup(overrides: Partial<CctpConfigInput> = {}): CctpSetup {
  const doc = { ...validConfigInput(), cctp: cctpConfigInput(overrides) };
  return resolveCctpSetup(parseConfig(doc, { env: {} }).config);
}

const pad32 = (a: string): Hex => `0x${a.slice(2).toLowerCase().padStart(64, "0")}`;

/** A V2 burn message as the source chain emits it (nonce, finality executed, fee, expiration zero). */
export function sourceMessageV2(
  o: {
    sourceDomain?: number;
    destinationDomain?: number;
    amount?: bigint;
    maxFee?: bigint;
    minFinalityThreshold?: number;
    hookData?: Hex;
    mintRecipient?: Hex;
    destinationCaller?: Hex;
  } = {},
): Hex {
  const body = encodeBurnMessageV2({
    version: 1,
    burnToken: pad32(CCTP_ADDR.homeUsdc),
    mintRecipient: o.mintRecipient ?? pad32("0x00000000000000000000000000000000000000aa"),
    amount: o.amount ?? 1_000_000n,
    messageSender: pad32("0x00000000000000000000000000000000000000aa"),
    maxFee: o.maxFee ?? 0n,
    feeExecuted: 0n,
    expirationBlock: 0n,
    hookData: o.hookData ?? "0x",
  });
  return encodeMessageV2({
    version: 1,
    sourceDomain: o.sourceDomain ?? 0,
    destinationDomain: o.destinationDomain ?? 6,
    nonce: `0x${"00".repeat(32)}`,
    sender: pad32(CCTP_ADDR.homeMessengerV2),
    recipient: pad32(CCTP_ADDR.remoteMessengerV2),
    destinationCaller: o.destinationCaller ?? `0x${"00".repeat(32)}`,
    minFinalityThreshold: o.minFinalityThreshold ?? 2000,
    finalityThresholdExecuted: 0,
    messageBody: body,
  });
}

/** A V1 burn message (final nonce already in the source bytes). */
export function sourceMessageV1(o: { nonce?: bigint; amount?: bigint; sourceDomain?: number } = {}): Hex {
  const body = encodeBurnMessageV1({
    version: 0,
    burnToken: pad32(CCTP_ADDR.homeUsdc),
    mintRecipient: pad32("0x00000000000000000000000000000000000000aa"),
    amount: o.amount ?? 1_000_000n,
    messageSender: pad32("0x00000000000000000000000000000000000000aa"),
  });
  return encodeMessageV1({
    version: 0,
    sourceDomain: o.sourceDomain ?? 0,
    destinationDomain: 6,
    nonce: o.nonce ?? 7n,
    sender: pad32(CCTP_ADDR.homeMessengerV1),
    recipient: pad32(CCTP_ADDR.remoteMessengerV1),
    destinationCaller: `0x${"00".repeat(32)}`,
    messageBody: body,
  });
}

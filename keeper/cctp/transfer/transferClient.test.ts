import { concat, type Hex, keccak256 } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../sources/logs.ts";
import { signAttestation } from "../attestation.ts";
import { addressToBytes32 } from "../hex.ts";
import { withIrisFields } from "../iris.ts";
import {
  AttestationInvalidError,
  AttestationMismatchError,
  CctpFeeAboveCapError,
  CctpRouteUnsupportedError,
  TransferRequestInvalidError,
} from "./errors.ts";
import type { IrisClient, IrisFee } from "./irisClient.ts";
import { CCTP_ADDR, sourceMessageV2, TEST_ATTESTER_KEYS, testCctpSetup } from "./testSupport.ts";
import {
  type BurnedTransfer,
  type CctpChainClients,
  createTransferClient,
  firstStableDifference,
  type TransferRequest,
  v1NonceKey,
} from "./transferClient.ts";

const SENDER = privateKeyToAccount(`0x${"33".repeat(32)}`);
const NONCE = `0x${"77".repeat(32)}` as Hex;
const TX = `0x${"ab".repeat(32)}` as Hex;

/** Chain clients that must not be reached (the tested paths end before any chain call). */
const noChain = (() => ({ wallet: { account: SENDER } })) as unknown as () => CctpChainClients;

function fakeIris(over: Partial<IrisClient> = {}): IrisClient {
  return {
    origin: "http://iris.test",
    getMessages: async () => ({ type: "not_found" }),
    getFees: async (): Promise<IrisFee[]> => [
      { finalityThreshold: 1000, minimumFeeBps: 1 },
      { finalityThreshold: 2000, minimumFeeBps: 0 },
    ],
    getFastAllowance: async () => ({ allowance: 1, lastUpdated: "x" }),
    getV1Attestation: async () => ({ type: "not_found" }),
    ...over,
  };
}

const setup = testCctpSetup({
  attestationApi: { url: "http://127.0.0.1:1", pollIntervalMs: 50, timeoutMs: 1_000 },
});
const client = (iris = fakeIris()) =>
  createTransferClient({ setup, clients: noChain, iris, logger: silentLogger });
const usdc = (over: Partial<TransferRequest> = {}): TransferRequest => ({
  token: { type: "usdc" },
  from: "home",
  to: "remote",
  amount: 1_000_000n,
  speed: "standard",
  ...over,
});

describe("transfer client: plan", () => {
  it("plans a V2 transfer to the sender by default", () => {
    const p = client().plan(usdc({ requestId: "r1" }));
    expect(p).toMatchObject({
      transferId: "r1",
      assetId: "usdc",
      burnToken: CCTP_ADDR.homeUsdc,
      destinationToken: CCTP_ADDR.remoteUsdc,
      mintRecipient: addressToBytes32(SENDER.address),
      destinationCaller: `0x${"00".repeat(32)}`,
      hookData: undefined,
    });
    expect(p.route.version).toBe(2);
  });

  it("routes a hook, standard or fast, through the executor (recipient and caller) with the treasury account", () => {
    const hook = { type: "treasury", account: NONCE } as const;
    const expected = `0x726b6832${CCTP_ADDR.remoteTreasury.slice(2).toLowerCase()}${NONCE.slice(2)}`;
    for (const speed of ["standard", "fast"] as const) {
      const p = client().plan(usdc({ speed, hook }));
      expect(p.speed).toBe(speed);
      expect(p.mintRecipient).toBe(addressToBytes32(CCTP_ADDR.remoteExecutor));
      expect(p.destinationCaller).toBe(addressToBytes32(CCTP_ADDR.remoteExecutor));
      // No amount in the hook data: the executor tells the treasury what was delivered (amount - fee).
      expect(p.hookData).toBe(expected);
    }
  });

  it("sets a destination caller (V1: depositForBurnWithCaller), never together with a hook", () => {
    const caller = "0x00000000000000000000000000000000000000cc";
    expect(client().plan(usdc({ version: 1, destinationCaller: caller })).destinationCaller).toBe(
      addressToBytes32(caller),
    );
    expect(() =>
      client().plan(usdc({ destinationCaller: caller, hook: { type: "treasury", account: NONCE } })),
    ).toThrow("Transfer request field destinationCaller is invalid");
  });

  it("refuses what the route cannot do, naming the field or the route", () => {
    const c = client();
    expect(() => c.plan(usdc({ amount: 0n }))).toThrow(TransferRequestInvalidError);
    expect(() =>
      c.plan(usdc({ from: "remote", to: "home", hook: { type: "treasury", account: NONCE } })),
    ).toThrow(
      "CCTP route remote -> home is not supported: no hook executor on home (cctp.chains[].v2.hookExecutor).",
    );
    expect(() => c.plan(usdc({ version: 1, hook: { type: "treasury", account: NONCE } }))).toThrow(
      CctpRouteUnsupportedError,
    );
    expect(() => c.plan(usdc({ version: 1, speed: "fast" }))).toThrow(/fast transfers need CCTP V2/);
  });
});

describe("transfer client: fast fee", () => {
  it("refuses a fee above the caller's cap or the configured rate cap before touching a chain", async () => {
    const c = client();
    await expect(c.burn(c.plan(usdc({ speed: "fast", maxFee: 99n })))).rejects.toThrow(
      "Fast-transfer fee 100 on route home -> remote is above the caller's maxFee 99.",
    );
    const pricey = client(
      fakeIris({ getFees: async () => [{ finalityThreshold: 1000, minimumFeeBps: 150 }] }),
    );
    await expect(pricey.burn(pricey.plan(usdc({ speed: "fast" })))).rejects.toBeInstanceOf(
      CctpFeeAboveCapError,
    );
    const none = client(fakeIris({ getFees: async () => [{ finalityThreshold: 2000, minimumFeeBps: 0 }] }));
    await expect(none.burn(none.plan(usdc({ speed: "fast" })))).rejects.toThrow(/lists no fast/);
    const odd = client(
      fakeIris({ getFees: async () => [{ finalityThreshold: 1000, minimumFeeBps: 0.00001 }] }),
    );
    await expect(odd.burn(odd.plan(usdc({ speed: "fast" })))).rejects.toThrow(/at most 3 decimals/);
  });
});

describe("transfer client: attestation checks", () => {
  const source = sourceMessageV2({ amount: 1_000_000n, maxFee: 100n, minFinalityThreshold: 1000 });
  const burned = (): BurnedTransfer => ({
    ...client().plan(usdc({ requestId: "b1", speed: "fast" })),
    type: "burned",
    burnTxHash: TX,
    blockNumber: 5n,
    logIndex: 0,
    position: 0,
    sourceMessage: source,
    maxFee: 100n,
    hook: false,
  });
  const attested = (fields: { feeExecuted?: bigint } = {}) =>
    withIrisFields(source, {
      nonce: NONCE,
      finalityThresholdExecuted: 1000,
      feeExecuted: fields.feeExecuted ?? 100n,
      expirationBlock: 0n,
    });
  const irisWith = (message: Hex, attestation: Hex) =>
    fakeIris({
      getMessages: async () => ({
        type: "found",
        messages: [
          { message, attestation, cctpVersion: 2, status: "complete", delayReason: null, eventNonce: NONCE },
        ],
      }),
    });

  it("accepts an attestation of the burn's message by the configured attesters", async () => {
    const message = attested();
    const c = client(irisWith(message, await signAttestation(message, TEST_ATTESTER_KEYS)));
    const a = await c.awaitAttestation(burned());
    expect(a).toMatchObject({
      nonce: NONCE,
      nonceKey: NONCE,
      feeExecuted: 100n,
      finalityThresholdExecuted: 1000,
      polls: 1,
    });
  });

  it("refuses a message that differs from the burn in a stable field, naming it", async () => {
    const other = withIrisFields(
      sourceMessageV2({ amount: 2_000_000n, maxFee: 100n, minFinalityThreshold: 1000 }),
      {
        nonce: NONCE,
        finalityThresholdExecuted: 1000,
        feeExecuted: 0n,
        expirationBlock: 0n,
      },
    );
    const c = client(irisWith(other, await signAttestation(other, TEST_ATTESTER_KEYS)));
    const err = await c.awaitAttestation(burned()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttestationMismatchError);
    expect((err as AttestationMismatchError).field).toBe("messageBody.amount");
  });

  it("refuses a fee above maxFee and signatures of other keys", async () => {
    const greedy = attested({ feeExecuted: 101n });
    await expect(
      client(irisWith(greedy, await signAttestation(greedy, TEST_ATTESTER_KEYS))).awaitAttestation(burned()),
    ).rejects.toThrow(/messageBody.feeExecuted/);
    const message = attested();
    const forged = await signAttestation(message, [`0x${"44".repeat(32)}`, `0x${"55".repeat(32)}`]);
    const err = await client(irisWith(message, forged))
      .awaitAttestation(burned())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttestationInvalidError);
    expect((err as AttestationInvalidError).reason).toBe("NOT_ATTESTER");
  });

  it("compares stable fields only (Iris's fields may change)", () => {
    expect(firstStableDifference(source, attested())).toBeUndefined();
    const caller = sourceMessageV2({
      amount: 1_000_000n,
      maxFee: 100n,
      minFinalityThreshold: 1000,
      destinationCaller: NONCE,
    });
    expect(firstStableDifference(source, caller)?.field).toBe("destinationCaller");
  });

  it("keys V1 nonces by keccak256(uint32 sourceDomain, uint64 nonce)", () => {
    // 4 bytes of domain then 8 bytes of nonce, packed (Circle's Message.sol / MessageTransmitter).
    expect(v1NonceKey(3, 4730n)).toBe(keccak256(concat(["0x00000003", "0x000000000000127a"])));
    expect(v1NonceKey(0, 1n)).not.toBe(v1NonceKey(6, 1n));
  });
});

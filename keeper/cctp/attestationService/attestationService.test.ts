import { type Address, type Hex, keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../sources/logs.ts";
import { createMetrics } from "../../telemetry/metrics.ts";
import { verifyAttestation } from "../attestation.ts";
import { attestationServiceConfigSchema } from "../config.ts";
import { decodeMessage } from "../decode.ts";
import { createIrisClient } from "../transfer/irisClient.ts";
import {
  CCTP_ADDR,
  sourceMessageV1,
  sourceMessageV2,
  TEST_ATTESTER_KEYS,
  TEST_ATTESTERS,
  testCctpSetup,
} from "../transfer/testSupport.ts";
import { createAttestationService } from "./attestationService.ts";
import { assignedNonce } from "./book.ts";
import type { ChainReader } from "./watcher.ts";

type FakeLog = { address: Address; logIndex: number; transactionHash: Hex; message: Hex };

/** A chain of blocks with MessageSent logs; `reorg(n)` replaces every block from n with fresh ones. */
function fakeChain(name: string) {
  let fork = 0;
  const blocks: { hash: Hex; logs: FakeLog[] }[] = [{ hash: keccak256(toHex(`${name}:0:0`)), logs: [] }];
  const reader: ChainReader = {
    blockNumber: async () => BigInt(blocks.length - 1),
    blockHash: async (n) => blocks[Number(n)]?.hash,
    messageSentLogs: async (from, to, addresses) =>
      blocks
        .slice(Number(from), Number(to) + 1)
        .flatMap((b, i) =>
          b.logs
            .filter((l) => addresses.includes(l.address))
            .map((l) => ({ ...l, blockNumber: from + BigInt(i), blockHash: b.hash })),
        ),
  };
  return {
    reader,
    mine(logs: FakeLog[] = []) {
      blocks.push({ hash: keccak256(toHex(`${name}:${blocks.length}:${fork}`)), logs });
      return BigInt(blocks.length - 1);
    },
    reorg(from: number) {
      fork++;
      blocks.length = from;
    },
  };
}

const TX1 = `0x${"11".repeat(32)}` as const;
const TX2 = `0x${"22".repeat(32)}` as const;
const v2 = (message: Hex, logIndex = 0, tx: Hex = TX1): FakeLog => ({
  address: CCTP_ADDR.homeTransmitterV2,
  logIndex,
  transactionHash: tx,
  message,
});

async function start(settings: Record<string, unknown> = {}) {
  const home = fakeChain("home");
  const remote = fakeChain("remote");
  const metrics = createMetrics();
  const service = createAttestationService({
    setup: testCctpSetup(),
    settings: attestationServiceConfigSchema.parse({ port: 0, pollIntervalMs: 60_000, ...settings }),
    attesterKeys: TEST_ATTESTER_KEYS,
    logger: silentLogger,
    metrics,
    readers: new Map([
      ["home", home.reader],
      ["remote", remote.reader],
    ]),
  });
  const { url } = await service.start();
  const iris = createIrisClient({ baseUrl: url });
  const get = async (path: string) => {
    const res = await fetch(`${url}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return { home, remote, service, iris, get, metrics, url };
}

const entryOf = async (s: Awaited<ReturnType<typeof start>>, tx: Hex = TX1) => {
  const r = await s.iris.getMessages({ sourceDomain: 0, transactionHash: tx });
  return r.type === "found" ? r.messages : [];
};

describe("devnet attestation service", () => {
  it("answers 404 until seen, then pending, then a complete, verifiable standard attestation", async () => {
    const s = await start();
    try {
      expect(await s.iris.getMessages({ sourceDomain: 0, transactionHash: TX1 })).toEqual({
        type: "not_found",
      });
      const source = sourceMessageV2({ amount: 5_000_000n });
      s.home.mine([v2(source)]);
      await s.service.tickAll();
      const pending = await s.get(`/v2/messages/0?transactionHash=${TX1}`);
      const nonce = assignedNonce(0, TX1, 0);
      expect(pending.status).toBe(200);
      expect(pending.body.messages).toEqual([
        expect.objectContaining({
          message: "0x",
          attestation: "PENDING",
          eventNonce: nonce,
          cctpVersion: 2,
          status: "pending_confirmations",
          delayReason: null,
        }),
      ]);
      s.home.mine();
      await s.service.tickAll();
      expect((await entryOf(s))[0]?.status).toBe("pending_confirmations"); // 2 of 3 confirmations
      s.home.mine();
      await s.service.tickAll();
      const [entry] = await entryOf(s);
      expect(entry?.status).toBe("complete");
      const attested = decodeMessage(entry!.message);
      expect(attested.type === "v2" && attested.message.nonce).toBe(nonce);
      expect(attested.type === "v2" && attested.message.finalityThresholdExecuted).toBe(2000);
      expect(attested.type === "v2" && attested.burn?.feeExecuted).toBe(0n);
      const v = await verifyAttestation({
        message: entry!.message,
        attestation: entry!.attestation!,
        attesters: TEST_ATTESTERS,
        threshold: 2,
      });
      expect(v.valid).toBe(true);
      const decoded = (await s.get(`/v2/messages/0?nonce=${nonce}`)).body.messages as Record<
        string,
        Record<string, unknown>
      >[];
      expect(decoded[0]?.decodedMessage).toMatchObject({
        sourceDomain: "0",
        destinationDomain: "6",
        nonce,
        minFinalityThreshold: "2000",
        finalityThresholdExecuted: "2000",
        decodedMessageBody: {
          amount: "5000000",
          maxFee: "0",
          feeExecuted: "0",
          expirationBlock: "0",
          burnToken: CCTP_ADDR.homeUsdc.toLowerCase(),
        },
      });
      expect(
        s.metrics.registry.getSingleMetricAsString("keeper_cctp_attestation_messages_signed_total"),
      ).toBeDefined();
      expect((await s.metrics.cctpAttestationMessagesSignedTotal.get()).values).toEqual([
        { labels: { domain: "0", version: "2", speed: "standard" }, value: 1 },
      ]);
    } finally {
      await s.service.stop();
    }
  });

  it("signs a fast message after one confirmation with the route fee, and consumes the allowance", async () => {
    const s = await start({ fastFeeBps: 1.5, fastAllowance: "10", expirationBlocks: 100 });
    try {
      s.remote.mine();
      s.remote.mine();
      await s.service.tickAll(); // remote head 2
      // 8 USDC at 1.5 bps → fee ceil(8_000_000 × 1500 / 1e7) = 1200
      s.home.mine([v2(sourceMessageV2({ amount: 8_000_000n, maxFee: 1_200n, minFinalityThreshold: 1000 }))]);
      await s.service.tickAll();
      const [entry] = await entryOf(s);
      expect(entry?.status).toBe("complete");
      const m = decodeMessage(entry!.message);
      expect(
        m.type === "v2" && [
          m.message.finalityThresholdExecuted,
          m.burn?.feeExecuted,
          m.burn?.expirationBlock,
        ],
      ).toEqual([1000, 1_200n, 102n]);
      expect((await s.get("/v2/fastBurn/USDC/allowance")).body).toMatchObject({ allowance: 2 });
      expect((await s.get("/v2/burn/USDC/fees/0/6")).body).toEqual([
        { finalityThreshold: 1000, minimumFee: 1.5 },
        { finalityThreshold: 2000, minimumFee: 0 },
      ]);
    } finally {
      await s.service.stop();
    }
  });

  it("falls back to standard with insufficient_fee or insufficient_allowance_available", async () => {
    const s = await start({ fastFeeBps: 1, fastAllowance: "5" });
    try {
      s.home.mine([
        v2(sourceMessageV2({ amount: 1_000_000n, maxFee: 99n, minFinalityThreshold: 1000 }), 0, TX1), // fee 100 > 99
        v2(sourceMessageV2({ amount: 6_000_000n, maxFee: 600n, minFinalityThreshold: 1000 }), 1, TX2), // 6 > 5 allowance
      ]);
      await s.service.tickAll();
      expect((await entryOf(s, TX1))[0]).toMatchObject({
        status: "pending_confirmations",
        delayReason: "insufficient_fee",
      });
      expect((await entryOf(s, TX2))[0]).toMatchObject({
        status: "pending_confirmations",
        delayReason: "insufficient_allowance_available",
      });
      s.home.mine();
      s.home.mine();
      await s.service.tickAll();
      for (const tx of [TX1, TX2]) {
        const [entry] = await entryOf(s, tx);
        const m = decodeMessage(entry!.message);
        expect(entry?.delayReason).toBeNull();
        expect(m.type === "v2" && [m.message.finalityThresholdExecuted, m.burn?.feeExecuted]).toEqual([
          2000,
          0n,
        ]);
      }
      expect((await s.get("/v2/fastBurn/USDC/allowance")).body).toMatchObject({ allowance: 5 });
    } finally {
      await s.service.stop();
    }
  });

  it("never signs a message whose block was reorged out, and gives its allowance back", async () => {
    const s = await start({ fastConfirmations: 2, fastAllowance: "10" });
    try {
      s.home.mine();
      await s.service.tickAll();
      s.home.mine([v2(sourceMessageV2({ amount: 3_000_000n, maxFee: 300n, minFinalityThreshold: 1000 }))]); // block 2
      await s.service.tickAll();
      expect((await entryOf(s))[0]?.status).toBe("pending_confirmations");
      expect((await s.get("/v2/fastBurn/USDC/allowance")).body).toMatchObject({ allowance: 7 });
      s.home.reorg(2); // block 2 is gone; the burn is not in the new branch
      s.home.mine();
      s.home.mine();
      await s.service.tickAll();
      expect(await s.iris.getMessages({ sourceDomain: 0, transactionHash: TX1 })).toEqual({
        type: "not_found",
      });
      expect((await s.get("/v2/fastBurn/USDC/allowance")).body).toMatchObject({ allowance: 10 });
      expect((await s.metrics.cctpAttestationMessagesSignedTotal.get()).values).toEqual([]);
      // Re-included in the new branch (block 4): seen again and signed there, with the same nonce.
      s.home.mine([v2(sourceMessageV2({ amount: 3_000_000n, maxFee: 300n, minFinalityThreshold: 1000 }))]);
      s.home.mine();
      await s.service.tickAll();
      const [entry] = await entryOf(s);
      expect(entry).toMatchObject({ status: "complete", eventNonce: assignedNonce(0, TX1, 0) });
    } finally {
      await s.service.stop();
    }
  });

  it("drops a pending message when its block changes under it before signing", async () => {
    const s = await start({ standardConfirmations: 2 });
    try {
      s.home.mine([v2(sourceMessageV2())]); // block 1
      await s.service.tickAll();
      s.home.reorg(1);
      s.home.mine(); // new block 1 without the burn: the head number is unchanged
      s.home.mine();
      await s.service.tickAll();
      expect(await s.iris.getMessages({ sourceDomain: 0, transactionHash: TX1 })).toEqual({
        type: "not_found",
      });
    } finally {
      await s.service.stop();
    }
  });

  it("serves V1: /v1/attestations by message hash over the source bytes, and cctpVersion 1 in /v2/messages", async () => {
    const s = await start();
    try {
      const source = sourceMessageV1({ nonce: 42n });
      const hash = keccak256(source);
      expect(await s.iris.getV1Attestation(hash)).toEqual({ type: "not_found" });
      s.home.mine([
        { address: CCTP_ADDR.homeTransmitterV1, logIndex: 3, transactionHash: TX1, message: source },
      ]);
      await s.service.tickAll();
      expect(await s.iris.getV1Attestation(hash)).toEqual({ type: "pending" });
      s.home.mine();
      s.home.mine();
      await s.service.tickAll();
      const r = await s.iris.getV1Attestation(hash);
      expect(r.type).toBe("complete");
      const v = await verifyAttestation({
        message: source,
        attestation: r.type === "complete" ? r.attestation : "0x",
        attesters: TEST_ATTESTERS,
        threshold: 2,
      });
      expect(v.valid).toBe(true);
      const [entry] = await entryOf(s);
      expect(entry).toMatchObject({ cctpVersion: 1, eventNonce: "42", message: source, status: "complete" });
      expect((await s.get(`/v1/messages/0/${TX1}`)).body.messages).toEqual([
        expect.objectContaining({ eventNonce: "42", message: source }),
      ]);
    } finally {
      await s.service.stop();
    }
  });

  it("orders a transaction's messages by log index and answers errors like Iris", async () => {
    const s = await start();
    try {
      s.home.mine([v2(sourceMessageV2({ amount: 2n }), 5), v2(sourceMessageV2({ amount: 1n }), 2)]);
      await s.service.tickAll();
      expect((await entryOf(s)).map((m) => m.eventNonce)).toEqual([
        assignedNonce(0, TX1, 2),
        assignedNonce(0, TX1, 5),
      ]);
      expect((await s.get("/v2/messages/0")).status).toBe(400);
      expect((await s.get(`/v2/messages/9?transactionHash=${TX1}`)).status).toBe(400);
      expect((await s.get("/v2/burn/USDC/fees/0/0")).status).toBe(400);
      expect((await s.get("/nope")).status).toBe(404);
      expect((await s.get("/v2/publicKeys")).body.publicKeys).toHaveLength(2);
      expect((await fetch(`${s.url}/v2/messages/0`, { method: "POST" })).status).toBe(405);
    } finally {
      await s.service.stop();
    }
  });
});

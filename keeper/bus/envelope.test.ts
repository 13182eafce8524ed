import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidMessageError } from "../internal/errors.ts";
import { createCheckpointEnvelope, createEnvelope, decodeEnvelope, encodeEnvelope } from "./envelope.ts";
import { messageIdOf } from "./routing.ts";
import { MESSAGE_TYPES } from "./schemas.ts";
import {
  arbBusPayload,
  arbCheckpoint,
  arbDecision,
  sampleBreach,
  sampleHash,
  samplePauseSent,
  sampleReserve,
} from "./testArbitraries.ts";
import type { BusPayload, Envelope } from "./types.ts";

const producer = { name: "reserve-keeper", keeperId: "keeper-1" };
const producedAt = new Date("2025-01-02T03:04:05.678Z");

function wireOf(payload: BusPayload): Record<string, unknown> {
  return JSON.parse(encodeEnvelope(createEnvelope({ payload, producer, producedAt })).toString("utf8"));
}

function bytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), "utf8");
}

/** Asserts decodeEnvelope rejects `input` with an InvalidMessageError whose field is `field`. */
function expectInvalid(input: Uint8Array | string, field: string, reason?: RegExp): InvalidMessageError {
  let caught: unknown;
  try {
    decodeEnvelope(input, { topic: "t", partition: 0, offset: "42" });
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(InvalidMessageError);
  const err = caught as InvalidMessageError;
  expect(err.field).toBe(field);
  expect(err.code).toBe("MESSAGE_INVALID");
  expect(err.retryable).toBe(false);
  expect(err.details).toMatchObject({ topic: "t", partition: 0, offset: "42" });
  if (reason) expect(err.shortMessage).toMatch(reason);
  return err;
}

describe("envelope round trip (property)", () => {
  it("decode(encode(envelope)) equals the envelope for every payload type, bigints restored", () => {
    fc.assert(
      fc.property(arbBusPayload, (payload) => {
        const envelope = createEnvelope({ payload, producer, producedAt });
        const decoded = decodeEnvelope(encodeEnvelope(envelope));
        expect(decoded).toStrictEqual(envelope);
      }),
      { numRuns: 500 },
    );
  });

  it("round-trips decisions of every kind, keeping explicit undefined figures of 'unknown'", () => {
    fc.assert(
      fc.property(arbDecision, (decision) => {
        const envelope = createEnvelope({ payload: decision, producer, producedAt });
        expect(envelope.type).toBe("decision");
        expect(decodeEnvelope(encodeEnvelope(envelope)).payload).toStrictEqual(decision);
      }),
      { numRuns: 300 },
    );
  });

  it("round-trips checkpoints", () => {
    fc.assert(
      fc.property(arbCheckpoint, (checkpoint) => {
        const envelope = createCheckpointEnvelope({ checkpoint, producer, producedAt });
        expect(decodeEnvelope(encodeEnvelope(envelope))).toStrictEqual(envelope);
      }),
      { numRuns: 200 },
    );
  });

  it("encoding is stable: re-encoding a decoded message gives the same bytes", () => {
    fc.assert(
      fc.property(arbBusPayload, (payload) => {
        const bytes = encodeEnvelope(createEnvelope({ payload, producer, producedAt }));
        expect(encodeEnvelope(decodeEnvelope(bytes)).equals(bytes)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("ids are deterministic: the same payload gives the same id, whatever its property order", () => {
    fc.assert(
      fc.property(arbBusPayload, (payload) => {
        const shuffled = Object.fromEntries(Object.entries(payload).reverse()) as BusPayload;
        expect(messageIdOf(shuffled)).toBe(messageIdOf(payload));
        expect(createEnvelope({ payload, producer }).id).toBe(
          createEnvelope({ payload: shuffled, producer }).id,
        );
      }),
      { numRuns: 200 },
    );
  });
});

describe("envelope wire format (v1)", () => {
  it("is the documented JSON with bigints as decimal strings", () => {
    const wire = wireOf(sampleReserve("dusd", 100n, 3));
    expect(wire).toEqual({
      v: 1,
      id: `31337:${sampleHash(100n)}:3`,
      type: "reserve.observed",
      key: "dusd",
      producer,
      producedAt: "2025-01-02T03:04:05.678Z",
      payload: {
        type: "reserve.observed",
        assetId: "dusd",
        chainId: 31337,
        feed: "0x00000000000000000000000000000000000000fe",
        aggregator: "0x00000000000000000000000000000000000000fe",
        roundId: "18446744073709551716",
        answer: "100000000000100",
        feedDecimals: 8,
        updatedAt: "1700000100",
        block: { number: "100", hash: sampleHash(100n) },
        logIndex: 3,
        source: "event",
      },
    });
  });

  it("keys decisions and pause events by asset, reorgs by chain, ticks by 'clock'", () => {
    expect(wireOf(sampleBreach("dusd", 1n)).key).toBe("dusd");
    expect(wireOf(samplePauseSent("dusd", "d1")).key).toBe("dusd");
    expect(
      wireOf({
        type: "block.reorged",
        chainId: 8453,
        dropped: [{ number: 5n, hash: sampleHash(5n) }],
        newHead: { number: 5n, hash: sampleHash(5n, 1) },
      }).key,
    ).toBe("chain:8453");
    expect(wireOf({ type: "clock.tick", now: 1n }).key).toBe("clock");
  });

  it("declares a schema for every message type the brief lists", () => {
    expect([...MESSAGE_TYPES].sort()).toEqual(
      [
        "reserve.observed",
        "supply.observed",
        "bridge.baseline",
        "block.reorged",
        "feed.heartbeat_missed",
        "clock.tick",
        "decision",
        "breaker.observed",
        "pause.requested",
        "pause.sent",
        "pause.replaced",
        "pause.waiting",
        "pause.mined",
        "pause.already_paused",
        "pause.failed",
        "admin.action",
        "compliance.decision",
        "cctp.transfer",
        "custody.attestation_checked",
        "custody.health",
        "reserve.sources_disagree",
        "reserve.sources_agree",
        "reserve.sources_not_comparable",
        "keeper.checkpoint",
      ].sort(),
    );
  });

  it("keeps breaker.observed args typed: bigints stay bigints, decimal-looking strings stay strings", () => {
    const payload: BusPayload = {
      type: "breaker.observed",
      assetId: "dusd",
      chainId: 31337,
      breaker: "0x00000000000000000000000000000000000000b1",
      kind: "tripped",
      by: "0x00000000000000000000000000000000000000a1",
      txHash: sampleHash(9n, 0xee),
      block: { number: 9n, hash: sampleHash(9n) },
      logIndex: 0,
      args: {
        status: 2,
        reserves: 10n ** 30n,
        supply: 5n,
        roundId: 1n,
        reason: "123",
        signers: ["0xab", 7n],
      },
      source: "event",
    };
    const decoded = decodeEnvelope(encodeEnvelope(createEnvelope({ payload, producer, producedAt })));
    expect(decoded.payload).toStrictEqual(payload);
  });
});

describe("decodeEnvelope rejects malformed messages, naming the field", () => {
  const good = () =>
    wireOf(sampleReserve("dusd", 100n, 3)) as Record<string, unknown> & { payload: Record<string, unknown> };

  it("invalid UTF-8", () => {
    expectInvalid(Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]), "(bytes)", /UTF-8/);
  });
  it("malformed JSON", () => {
    expectInvalid(Buffer.from('{"v":1,'), "(json)", /not valid JSON/);
  });
  it("JSON that is not an object", () => {
    expectInvalid(bytes([1, 2]), "(envelope)");
    expectInvalid(bytes(null), "(envelope)");
    expectInvalid(bytes("text"), "(envelope)");
  });
  it("missing version", () => {
    const { v: _v, ...rest } = good();
    expectInvalid(bytes(rest), "v", /missing/);
  });
  it("unknown version", () => {
    expectInvalid(bytes({ ...good(), v: 2 }), "v", /unknown envelope version 2/);
    expectInvalid(bytes({ ...good(), v: "1" }), "v", /unknown envelope version "1"/);
  });
  it("unknown message type", () => {
    expectInvalid(
      bytes({ ...good(), type: "reserve.exploded" }),
      "type",
      /unknown message type "reserve.exploded"/,
    );
    expectInvalid(bytes({ ...good(), type: "toString" }), "type");
  });
  it("missing or bad envelope fields", () => {
    const { id: _id, ...noId } = good();
    expectInvalid(bytes(noId), "id");
    expectInvalid(bytes({ ...good(), key: "" }), "key");
    expectInvalid(bytes({ ...good(), producedAt: "yesterday" }), "producedAt");
    expectInvalid(bytes({ ...good(), producer: { name: "x" } }), "producer.keeperId");
    expectInvalid(bytes({ ...good(), extra: true }), "extra", /not a known field/);
  });
  it("a bigint field sent as a JSON number", () => {
    const wire = good();
    expectInvalid(
      bytes({ ...wire, payload: { ...wire.payload, answer: 5 } }),
      "payload.answer",
      /expected string/,
    );
  });
  it("a bigint field that is not a decimal integer", () => {
    const wire = good();
    expectInvalid(
      bytes({ ...wire, payload: { ...wire.payload, answer: "12a" } }),
      "payload.answer",
      /decimal/,
    );
    expectInvalid(
      bytes({ ...wire, payload: { ...wire.payload, answer: "012" } }),
      "payload.answer",
      /decimal/,
    );
    expectInvalid(
      bytes({ ...wire, payload: { ...wire.payload, answer: "1".repeat(101) } }),
      "payload.answer",
    );
  });
  it("a negative value in an unsigned field", () => {
    const wire = good();
    expectInvalid(
      bytes({ ...wire, payload: { ...wire.payload, roundId: "-1" } }),
      "payload.roundId",
      /non-negative/,
    );
  });
  it("a bad address and a bad nested hash", () => {
    const wire = good();
    expectInvalid(
      bytes({ ...wire, payload: { ...wire.payload, feed: "0x1234" } }),
      "payload.feed",
      /address/,
    );
    expectInvalid(
      bytes({ ...wire, payload: { ...wire.payload, block: { number: "1", hash: "0xzz" } } }),
      "payload.block.hash",
      /hash/,
    );
  });
  it("an unknown payload field and a missing one", () => {
    const wire = good();
    expectInvalid(
      bytes({ ...wire, payload: { ...wire.payload, bonus: 1 } }),
      "payload.bonus",
      /not a known field/,
    );
    const { totalSupply: _t, ...noSupply } = wireOf(sampleSupplyPayload()).payload as Record<string, unknown>;
    expectInvalid(bytes({ ...wireOf(sampleSupplyPayload()), payload: noSupply }), "payload.totalSupply");
  });
  it("a payload of another type than the envelope says", () => {
    const wire = good();
    expectInvalid(bytes({ ...wire, type: "supply.observed" }), "payload.type");
  });
  it("a decision with an unknown kind or an inconsistent shouldPause", () => {
    const wire = wireOf(sampleBreach("dusd", 1n)) as { payload: Record<string, unknown> };
    expectInvalid(bytes({ ...wire, payload: { ...wire.payload, type: "catastrophic" } }), "payload.type");
    expectInvalid(
      bytes({ ...wire, payload: { ...wire.payload, shouldPause: false } }),
      "payload.shouldPause",
    );
  });
  it("a breaker.observed arg with a bad tag", () => {
    const payload: BusPayload = {
      type: "breaker.observed",
      assetId: "dusd",
      chainId: 1,
      breaker: "0x00000000000000000000000000000000000000b1",
      kind: "paused",
      by: "0x00000000000000000000000000000000000000a1",
      txHash: sampleHash(1n),
      block: { number: 1n, hash: sampleHash(1n) },
      logIndex: 0,
      args: { observedReserves: 1n },
      source: "event",
    };
    const wire = wireOf(payload) as { payload: Record<string, unknown> };
    expect(wire.payload.args).toEqual({ observedReserves: { t: "bigint", v: "1" } });
    expectInvalid(
      bytes({ ...wire, payload: { ...wire.payload, args: { observedReserves: { t: "bigint", v: "1.5" } } } }),
      "payload.args.observedReserves.v",
    );
  });
  it("a checkpoint with a chain key that is not a chain id", () => {
    const env = createCheckpointEnvelope({
      checkpoint: {
        keeperId: "k",
        chains: { 1: { blockNumber: 1n, blockHash: sampleHash(1n) } },
        savedAt: producedAt.toISOString(),
      },
      producer,
    });
    const wire = JSON.parse(encodeEnvelope(env).toString("utf8"));
    wire.payload.chains = { mainnet: wire.payload.chains["1"] };
    expectInvalid(bytes(wire), "payload.chains.mainnet");
  });
});

describe("encodeEnvelope refuses to put invalid data on the bus", () => {
  it("a number where a bigint belongs", () => {
    const payload = { ...sampleReserve("dusd", 1n), answer: 5 } as unknown as BusPayload;
    expect(() => encodeEnvelope(createEnvelope({ payload, producer }))).toThrow(
      expect.objectContaining({ field: "payload.answer", code: "MESSAGE_INVALID" }),
    );
  });
  it("args a JSON round trip would change (undefined, Infinity, functions)", () => {
    for (const bad of [undefined, Number.POSITIVE_INFINITY, () => 1, new Date(0)]) {
      const payload = {
        type: "breaker.observed",
        assetId: "dusd",
        chainId: 1,
        breaker: "0x00000000000000000000000000000000000000b1",
        kind: "paused",
        by: "0x00000000000000000000000000000000000000a1",
        txHash: sampleHash(1n),
        block: { number: 1n, hash: sampleHash(1n) },
        logIndex: 0,
        args: { x: bad },
        source: "event",
      } as unknown as BusPayload;
      expect(() => encodeEnvelope(createEnvelope({ payload, producer }))).toThrow(InvalidMessageError);
    }
  });
  it("an envelope whose type does not match its payload", () => {
    const env = {
      ...createEnvelope({ payload: sampleReserve("dusd", 1n), producer }),
      type: "decision",
    } as Envelope;
    expect(() => encodeEnvelope(env)).toThrow(expect.objectContaining({ field: "payload.type" }));
  });
});

function sampleSupplyPayload(): BusPayload {
  return {
    type: "supply.observed",
    assetId: "dusd",
    chainId: 1,
    token: "0x00000000000000000000000000000000000000c0",
    totalSupply: 5n,
    tokenDecimals: 6,
    block: { number: 1n, hash: sampleHash(1n) },
    source: "reconcile",
  };
}

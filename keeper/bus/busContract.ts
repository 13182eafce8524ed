/**
 * Behaviour every Bus adapter must show, run against the in-process bus (keeper/bus/inprocess.test.ts)
 * and the real Kafka broker (test/integration/bus-kafka.test.ts). Not exported from index.ts.
 */
import { expect, it } from "vitest";
import { InvalidMessageError, RetryableError } from "../internal/errors.ts";
import type { Checkpoint } from "./checkpoint.ts";
import { createDuplicateFilter } from "./dedup.ts";
import type { Bus, OutgoingMessage } from "./port.ts";
import { messageIdOf } from "./routing.ts";
import { sampleBreach, sampleHash, samplePauseSent, sampleReserve, sampleSupply } from "./testArbitraries.ts";
import { collect, waitUntil } from "./testSupport.ts";
import type { TopicId } from "./topics.ts";

export type ContractBus = {
  bus: Bus;
  /** Puts raw bytes on a topic as a foreign producer would. */
  injectRaw(topic: TopicId, key: string, value: Buffer): Promise<void>;
  /** A second bus instance as after a process restart: same keeperId, same topics and checkpoint store. */
  reopen(): Promise<Bus>;
};

export type ContractHarness = {
  /** A bus on fresh topics for one test. Closed by the harness after the test. */
  create(args: { keeperId: string }): Promise<ContractBus>;
  /** Deadline for waits (Kafka needs longer). */
  timeoutMs: number;
};

let counter = 0;
const uniq = (name: string) => `${name}-${process.pid}-${++counter}`;

export function checkpointAt(
  keeperId: string,
  block: bigint,
  savedAt = new Date("2025-01-01T00:00:00Z"),
): Checkpoint {
  return {
    keeperId,
    chains: {
      31337: { blockNumber: block, blockHash: sampleHash(block) },
      31338: { blockNumber: block * 2n, blockHash: sampleHash(block * 2n, 1) },
    },
    savedAt: new Date(savedAt.getTime() + Number(block)).toISOString(),
  };
}

/** Observations, decision and pause event for asset `asset` at block `n`. */
export function batchFor(asset: string, n: bigint): OutgoingMessage[] {
  const decision = sampleBreach(asset, 1_700_000_000n + n);
  return [
    { payload: sampleReserve(asset, n) },
    { payload: sampleSupply(asset, n) },
    { payload: decision },
    { payload: samplePauseSent(asset, messageIdOf(decision)) },
  ];
}

export function busContract(harness: ContractHarness): void {
  const { timeoutMs } = harness;

  it("round-trips typed envelopes on every topic, keyed by asset, in per-key publish order", async () => {
    const { bus } = await harness.create({ keeperId: uniq("k") });
    const c = await collect(bus, {
      topics: ["observations", "decisions", "breakerEvents"],
      groupId: uniq("g"),
    });
    const assets = ["dusd", "eurx", "gbpt", "jpyc"];
    const batches = [1n, 2n, 3n].flatMap((n) => assets.flatMap((a) => batchFor(a, n)));
    await bus.publish(batches);
    const got = await c.waitFor(batches.length, timeoutMs);
    expect(got).toHaveLength(batches.length);

    for (const { envelope, meta } of got) {
      expect(envelope.v).toBe(1);
      expect(meta.key).toBe(envelope.key);
      expect(envelope.producer.name).toBe("reserve-keeper");
      if (envelope.type === "reserve.observed") {
        expect(meta.topic).toBe("observations");
        expect(typeof envelope.payload.answer).toBe("bigint");
        expect(envelope.key).toBe(envelope.payload.assetId);
      } else if (envelope.type === "decision") {
        expect(meta.topic).toBe("decisions");
        expect(envelope.payload.delta).toBeTypeOf("bigint");
      } else if (envelope.type === "pause.sent") {
        expect(meta.topic).toBe("breakerEvents");
        expect(envelope.payload.maxFeePerGas).toBeTypeOf("bigint");
      }
    }
    // Everything published arrived, exactly once, with the payload it was published with.
    const byId = new Map(got.map((r) => [r.envelope.id, r.envelope.payload]));
    expect(byId.size).toBe(batches.length);
    for (const m of batches) expect(byId.get(messageIdOf(m.payload))).toStrictEqual(m.payload);
    // Per key and topic: one partition, publish order.
    for (const asset of assets) {
      for (const topic of ["observations", "decisions", "breakerEvents"] as const) {
        const mine = got.filter((r) => r.envelope.key === asset && r.meta.topic === topic);
        expect(new Set(mine.map((r) => r.meta.partition)).size).toBe(1);
        const offsets = mine.map((r) => BigInt(r.meta.offset));
        expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : 1)));
        const expected = batches
          .filter(
            (m) =>
              m.payload.type !== "clock.tick" &&
              m.payload.type !== "block.reorged" &&
              m.payload.assetId === asset,
          )
          .map((m) => messageIdOf(m.payload))
          .filter((id) => mine.some((r) => r.envelope.id === id));
        expect(mine.map((r) => r.envelope.id)).toEqual(expected);
      }
    }
    await c.subscription.close();
  });

  it("reports a malformed message as InvalidMessageError naming the field, then continues with the next", async () => {
    const { bus, injectRaw } = await harness.create({ keeperId: uniq("k") });
    const c = await collect(bus, { topics: ["observations"], groupId: uniq("g") });
    await bus.publish([{ payload: sampleReserve("dusd", 1n) }]);
    await injectRaw("observations", "dusd", Buffer.from('{"v":1,"id":"x"'));
    await injectRaw("observations", "dusd", Buffer.from(JSON.stringify({ v: 9, id: "y" })));
    await bus.publish([{ payload: sampleReserve("dusd", 2n) }]);
    await c.waitFor(2, timeoutMs);
    await waitUntil(() => c.invalid.length >= 2, { timeoutMs, what: "2 invalid reports" });

    expect(c.received.map((r) => r.envelope.id)).toEqual([
      messageIdOf(sampleReserve("dusd", 1n)),
      messageIdOf(sampleReserve("dusd", 2n)),
    ]);
    expect(c.invalid.map((i) => i.error.field)).toEqual(["(json)", "v"]);
    for (const { error, meta } of c.invalid) {
      expect(error).toBeInstanceOf(InvalidMessageError);
      expect(error.details).toMatchObject({
        topic: meta.topicName,
        partition: meta.partition,
        offset: meta.offset,
      });
      expect(meta.key).toBe("dusd");
    }
    await c.subscription.close();
  });

  it("retries a retryable handler error on the same message; skips (and reports) a non-retryable one", async () => {
    const { bus } = await harness.create({ keeperId: uniq("k") });
    let transient = 2;
    const c = await collect(bus, {
      topics: ["observations"],
      groupId: uniq("g"),
      onMessage: (envelope) => {
        if (envelope.type !== "reserve.observed") return;
        if (envelope.payload.block.number === 1n && transient-- > 0) {
          throw new RetryableError({ shortMessage: "Downstream is busy.", code: "TEST_BUSY" });
        }
        if (envelope.payload.block.number === 2n) throw new Error("handler bug");
      },
    });
    await bus.publish([1n, 2n, 3n].map((n) => ({ payload: sampleReserve("dusd", n) })));
    await c.waitFor(2, timeoutMs);
    await waitUntil(() => c.failed.length === 1, { timeoutMs, what: "the failed report" });
    expect(transient).toBe(-1); // failed twice, then handled
    expect(c.received.map((r) => r.envelope.id)).toEqual(
      [1n, 3n].map((n) => messageIdOf(sampleReserve("dusd", n))),
    );
    expect(c.failed[0]?.envelope.id).toBe(messageIdOf(sampleReserve("dusd", 2n)));
    await c.subscription.close();
  });

  it("publishes nothing from a batch that holds one invalid message", async () => {
    const keeperId = uniq("k");
    const { bus } = await harness.create({ keeperId });
    const c = await collect(bus, { topics: ["observations", "decisions"], groupId: uniq("g") });
    const bad = { ...sampleReserve("dusd", 5n), answer: 1.5 } as unknown as OutgoingMessage["payload"];
    await expect(
      bus.publish([{ payload: sampleReserve("dusd", 4n) }, { payload: bad }], {
        checkpoint: checkpointAt(keeperId, 1n),
      }),
    ).rejects.toMatchObject({ code: "MESSAGE_INVALID", field: "payload.answer" });
    await bus.publish([{ payload: sampleReserve("dusd", 6n) }]); // a marker: everything before it is in
    await c.waitFor(1, timeoutMs);
    expect(c.received.map((r) => r.envelope.id)).toEqual([messageIdOf(sampleReserve("dusd", 6n))]);
    expect(await bus.checkpoints.load()).toBeUndefined();
    await c.subscription.close();
  });

  it("saves the checkpoint with its batch and loads it back after a restart", async () => {
    const keeperId = uniq("k");
    const { bus, reopen } = await harness.create({ keeperId });
    expect(await bus.checkpoints.load()).toBeUndefined();
    const c = await collect(bus, {
      topics: ["observations", "decisions", "breakerEvents", "checkpoints"],
      groupId: uniq("g"),
    });
    await bus.publish(batchFor("dusd", 10n), { checkpoint: checkpointAt(keeperId, 10n) });
    await bus.publish(batchFor("dusd", 11n), { checkpoint: checkpointAt(keeperId, 11n) });
    await c.waitFor(10, timeoutMs);
    // The checkpoint record comes on its topic, keyed by keeperId, after the batch it covers.
    const cps = c.received.filter((r) => r.envelope.type === "keeper.checkpoint");
    expect(cps.map((r) => r.envelope.key)).toEqual([keeperId, keeperId]);
    expect(await bus.checkpoints.load()).toStrictEqual(checkpointAt(keeperId, 11n));
    await c.subscription.close();

    const restarted = await reopen();
    const loaded = await restarted.checkpoints.load();
    expect(loaded).toStrictEqual(checkpointAt(keeperId, 11n));
    expect(loaded?.chains[31337]?.blockNumber).toBe(11n);
  });

  it("a group resumes after its last handled message", async () => {
    const { bus } = await harness.create({ keeperId: uniq("k") });
    const groupId = uniq("g");
    const first = await collect(bus, { topics: ["observations"], groupId });
    await bus.publish([{ payload: sampleReserve("dusd", 1n) }, { payload: sampleReserve("dusd", 2n) }]);
    await first.waitFor(2, timeoutMs);
    await first.subscription.close();
    await bus.publish([{ payload: sampleReserve("dusd", 3n) }]);
    const second = await collect(bus, { topics: ["observations"], groupId });
    await second.waitFor(1, timeoutMs);
    expect(second.received.map((r) => r.envelope.id)).toEqual([messageIdOf(sampleReserve("dusd", 3n))]);
    await second.subscription.close();
  });

  it("a batch re-published with the same ids (replay after a lost checkpoint) is detectable by id", async () => {
    const keeperId = uniq("k");
    const { bus } = await harness.create({ keeperId });
    const dedup = createDuplicateFilter();
    const fresh: string[] = [];
    const c = await collect(bus, {
      topics: ["observations", "decisions", "breakerEvents"],
      groupId: uniq("g"),
      onMessage: (envelope) => {
        if (!dedup.seen(envelope.id)) fresh.push(envelope.id);
      },
    });
    await bus.publish(batchFor("dusd", 20n)); // published, but the checkpoint never got saved …
    await bus.publish(batchFor("dusd", 20n)); // … so the restarted keeper replays the same facts
    await c.waitFor(8, timeoutMs);
    expect(c.received).toHaveLength(8);
    // Order across topics is not defined on Kafka: compare as sets.
    expect([...fresh].sort()).toEqual(
      batchFor("dusd", 20n)
        .map((m) => messageIdOf(m.payload))
        .sort(),
    );
    expect(c.received.filter((r) => dedup.seen(r.envelope.id))).toHaveLength(8); // every id seen (twice)
    await c.subscription.close();
  });
}

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { BusBufferFullError, BusClosedError, InvalidArgumentError } from "../internal/errors.ts";
import { createMetrics } from "../telemetry/metrics.ts";
import { batchFor, busContract, checkpointAt } from "./busContract.ts";
import {
  type CheckpointStore,
  createFileCheckpointStore,
  createMemoryCheckpointStore,
} from "./checkpoint.ts";
import { createDuplicateFilter } from "./dedup.ts";
import { createInProcessBus, type InProcessBus } from "./inprocess.ts";
import { messageIdOf } from "./routing.ts";
import { sampleReserve } from "./testArbitraries.ts";
import { collect, waitUntil } from "./testSupport.ts";

const open: InProcessBus[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});

function track(bus: InProcessBus): InProcessBus {
  open.push(bus);
  return bus;
}

describe("in-process bus: the Bus contract", () => {
  busContract({
    timeoutMs: 5_000,
    async create({ keeperId }) {
      const checkpoints = createMemoryCheckpointStore({ keeperId });
      const bus = track(
        createInProcessBus({ keeperId, checkpoints, handlerRetry: { initialDelayMs: 1, maxDelayMs: 5 } }),
      );
      return {
        bus,
        async injectRaw(topic, key, value) {
          bus.appendRaw({ topic, key, value });
        },
        async reopen() {
          return track(createInProcessBus({ keeperId, checkpoints }));
        },
      };
    },
  });
});

describe("in-process bus: specifics", () => {
  const dir = mkdtempSync(join(tmpdir(), "rk-bus-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("fans out synchronously: when publish resolves every subscriber already holds the batch", async () => {
    const bus = track(createInProcessBus({ keeperId: "k" }));
    const a = await collect(bus, { topics: ["observations"], groupId: "a" });
    const b = await collect(bus, { topics: ["observations"], groupId: "b" });
    const publishing = bus.publish([1n, 2n, 3n].map((n) => ({ payload: sampleReserve("dusd", n) })));
    await publishing;
    await bus.idle();
    const ids = [1n, 2n, 3n].map((n) => messageIdOf(sampleReserve("dusd", n)));
    expect(a.received.map((r) => r.envelope.id)).toEqual(ids);
    expect(b.received.map((r) => r.envelope.id)).toEqual(ids);
    expect(a.received.map((r) => r.meta.offset)).toEqual(["0", "1", "2"]);
  });

  it("refuses a whole batch that would overflow a slow subscriber's buffer, and counts it", async () => {
    const metrics = createMetrics(new Registry());
    const bus = track(createInProcessBus({ keeperId: "k", maxBuffered: 3, metrics }));
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow = await collect(bus, { topics: ["observations"], groupId: "slow", onMessage: () => gate });
    await bus.publish([{ payload: sampleReserve("dusd", 1n) }, { payload: sampleReserve("dusd", 2n) }]);
    const overflow = bus.publish([
      { payload: sampleReserve("dusd", 3n) },
      { payload: sampleReserve("dusd", 4n) },
    ]);
    await expect(overflow).rejects.toBeInstanceOf(BusBufferFullError);
    await expect(overflow).rejects.toMatchObject({
      retryable: true,
      details: { groupId: "slow", buffered: 2, incoming: 2, limit: 3 },
    });
    expect((await metrics.busPublishErrorsTotal.get()).values).toEqual([
      expect.objectContaining({ labels: { topic: "reserve.observations" }, value: 1 }),
    ]);
    release();
    await bus.idle();
    await bus.publish([{ payload: sampleReserve("dusd", 3n) }, { payload: sampleReserve("dusd", 4n) }]); // room again
    await bus.idle();
    expect(slow.received.map((r) => r.envelope.payload)).toEqual(
      [1n, 2n, 3n, 4n].map((n) => sampleReserve("dusd", n)),
    );
    expect((await metrics.busPublishedTotal.get()).values).toEqual([
      expect.objectContaining({ labels: { topic: "reserve.observations" }, value: 4 }),
    ]);
  });

  it("a crash between publish and checkpoint save: the batch is out, the checkpoint is not; the replay is caught by id", async () => {
    const inner = createMemoryCheckpointStore({ keeperId: "k" });
    let crash = true;
    const flaky: CheckpointStore = {
      load: () => inner.load(),
      async save(cp) {
        if (crash) throw new Error("power cut");
        await inner.save(cp);
      },
    };
    const bus = track(createInProcessBus({ keeperId: "k", checkpoints: flaky }));
    const dedup = createDuplicateFilter();
    const dups: string[] = [];
    const c = await collect(bus, {
      topics: ["observations", "decisions", "breakerEvents"],
      groupId: "g",
      onMessage: (e) => {
        if (dedup.seen(e.id)) dups.push(e.id);
      },
    });
    await expect(bus.publish(batchFor("dusd", 5n), { checkpoint: checkpointAt("k", 5n) })).rejects.toThrow(
      "power cut",
    );
    expect(await bus.checkpoints.load()).toBeUndefined(); // never ahead of what was published
    crash = false;
    await bus.publish(batchFor("dusd", 5n), { checkpoint: checkpointAt("k", 5n) }); // the replay
    await bus.idle();
    expect(c.received).toHaveLength(8);
    expect(dups).toEqual(batchFor("dusd", 5n).map((m) => messageIdOf(m.payload)));
    expect(await bus.checkpoints.load()).toStrictEqual(checkpointAt("k", 5n));
  });

  it("works with the file checkpoint store across a restart", async () => {
    const path = join(dir, "keeper", "checkpoint.json");
    const bus = track(
      createInProcessBus({ keeperId: "k", checkpoints: createFileCheckpointStore({ path, keeperId: "k" }) }),
    );
    await bus.publish(batchFor("dusd", 7n), { checkpoint: checkpointAt("k", 7n) });
    await bus.close();
    const again = track(
      createInProcessBus({ keeperId: "k", checkpoints: createFileCheckpointStore({ path, keeperId: "k" }) }),
    );
    expect(await again.checkpoints.load()).toStrictEqual(checkpointAt("k", 7n));
  });

  it("keeps a retained log for fromBeginning subscribers and skips it for new-only ones", async () => {
    const bus = track(createInProcessBus({ keeperId: "k", retainPerTopic: 2 }));
    await bus.publish([1n, 2n, 3n].map((n) => ({ payload: sampleReserve("dusd", n) })));
    const old = await collect(bus, { topics: ["observations"], groupId: "old", fromBeginning: true });
    const fresh = await collect(bus, { topics: ["observations"], groupId: "new", fromBeginning: false });
    await bus.publish([{ payload: sampleReserve("dusd", 4n) }]);
    await bus.idle();
    expect(old.received.map((r) => r.meta.offset)).toEqual(["1", "2", "3"]); // offset 0 aged out
    expect(fresh.received.map((r) => r.meta.offset)).toEqual(["3"]);
  });

  it("allows one live member per group, rejects use after close and closes while a handler retries", async () => {
    const bus = createInProcessBus({
      keeperId: "k",
      handlerRetry: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
    });
    let calls = 0;
    const sub = await bus.subscribe({
      topics: ["observations"],
      groupId: "g",
      onMessage: () => {
        calls++;
        throw Object.assign(new Error("busy"), {
          cause: new BusBufferFullError({ groupId: "x", buffered: 1, incoming: 1, limit: 1 }),
        });
      },
    });
    await expect(
      bus.subscribe({ topics: ["observations"], groupId: "g", onMessage: () => {} }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    await bus.publish([{ payload: sampleReserve("dusd", 1n) }]);
    await waitUntil(() => calls === 1, { what: "first handler call" });
    await sub.close(); // does not wait out the 60 s backoff
    await bus.close();
    await expect(bus.publish([])).rejects.toBeInstanceOf(BusClosedError);
    await expect(
      bus.subscribe({ topics: ["observations"], groupId: "h", onMessage: () => {} }),
    ).rejects.toBeInstanceOf(BusClosedError);
  });

  it("rejects a checkpoint of another keeper without publishing anything", async () => {
    const bus = track(createInProcessBus({ keeperId: "k" }));
    const c = await collect(bus, { topics: ["observations"], groupId: "g" });
    await expect(
      bus.publish([{ payload: sampleReserve("dusd", 1n) }], { checkpoint: checkpointAt("someone-else", 1n) }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    await bus.idle();
    expect(c.received).toHaveLength(0);
  });
});

import { pino } from "pino";
import type { Address, Hex } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { createInProcessBus, type InProcessBus } from "../../bus/inprocess.ts";
import type { BusPayload } from "../../bus/types.ts";
import { createMetrics } from "../../telemetry/metrics.ts";
import { type BreakerReader, createPauseFollower, createPauseTracker, pauseUpdateOf } from "./pauseState.ts";

const HOME_BREAKER = "0x00000000000000000000000000000000000000b1" as Address;
const REMOTE_BREAKER = "0x00000000000000000000000000000000000000b2" as Address;
const hash = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;
const targets = [
  { assetId: "dusd", chainId: 31337, breaker: HOME_BREAKER },
  { assetId: "dusd", chainId: 31338, breaker: REMOTE_BREAKER },
  { assetId: "eurx", chainId: 31337, breaker: "0x00000000000000000000000000000000000000e1" as Address },
];

const observed = (
  chainId: number,
  kind: "paused" | "tripped" | "unpaused" | "signers_changed",
  block: bigint,
): BusPayload => ({
  type: "breaker.observed",
  assetId: "dusd",
  chainId,
  breaker: chainId === 31337 ? HOME_BREAKER : REMOTE_BREAKER,
  kind,
  by: "0x00000000000000000000000000000000000000a1",
  txHash: hash(Number(block)),
  block: { number: block, hash: hash(1000 + Number(block)) },
  logIndex: 0,
  args: {},
  source: "event",
});

describe("createPauseTracker", () => {
  it("pauses the whole asset while any of its chains is paused, other assets unaffected", () => {
    const changes: [string, readonly number[]][] = [];
    const t = createPauseTracker({ targets, onChange: (a, c) => changes.push([a, c]) });
    expect(t.isPaused("dusd")).toBe(false);
    expect(t.apply({ assetId: "dusd", chainId: 31338, paused: true, block: 5n, source: "bus" })).toBe(true);
    expect(t.isPaused("dusd")).toBe(true);
    expect(t.isPaused("eurx")).toBe(false);
    expect(t.snapshot()).toEqual(new Map([["dusd", [31338]]]));
    t.apply({ assetId: "dusd", chainId: 31337, paused: true, block: 7n, source: "bus" });
    t.apply({ assetId: "dusd", chainId: 31338, paused: false, block: 9n, source: "bus" });
    expect(t.isPaused("dusd")).toBe(true); // still paused on home
    t.apply({ assetId: "dusd", chainId: 31337, paused: false, block: 9n, source: "bus" });
    expect(t.isPaused("dusd")).toBe(false);
    expect(changes).toEqual([
      ["dusd", [31338]],
      ["dusd", [31337, 31338]],
      ["dusd", [31337]],
      ["dusd", []],
    ]);
  });

  it("ignores an update older than the state it would replace; blockless updates apply", () => {
    const t = createPauseTracker({ targets });
    t.apply({ assetId: "dusd", chainId: 31337, paused: true, block: 10n, source: "bus" });
    expect(t.apply({ assetId: "dusd", chainId: 31337, paused: false, block: 9n, source: "chain" })).toBe(
      false,
    );
    expect(t.isPaused("dusd")).toBe(true);
    t.apply({ assetId: "dusd", chainId: 31337, paused: false, block: 11n, source: "bus" });
    expect(t.apply({ assetId: "dusd", chainId: 31337, paused: true, block: undefined, source: "bus" })).toBe(
      true,
    );
    expect(t.isPaused("dusd")).toBe(true);
  });

  it("ignores unknown (asset, chain) pairs and is initialized once every target was read on chain", () => {
    const t = createPauseTracker({ targets: targets.slice(0, 1) });
    expect(t.apply({ assetId: "dusd", chainId: 1, paused: true, block: 1n, source: "bus" })).toBe(false);
    expect(t.initialized).toBe(false);
    t.apply({ assetId: "dusd", chainId: 31337, paused: false, block: 1n, source: "bus" });
    expect(t.initialized).toBe(false);
    t.apply({ assetId: "dusd", chainId: 31337, paused: false, block: 2n, source: "chain" });
    expect(t.initialized).toBe(true);
  });
});

describe("pauseUpdateOf", () => {
  const envelope = (payload: BusPayload) => ({ payload, type: payload.type }) as never;
  it("maps breaker.observed, pause.mined and pause.already_paused; ignores the rest", () => {
    expect(pauseUpdateOf(envelope(observed(31337, "tripped", 3n)))).toEqual({
      assetId: "dusd",
      chainId: 31337,
      paused: true,
      block: 3n,
      source: "bus",
    });
    expect(pauseUpdateOf(envelope(observed(31337, "unpaused", 4n)))?.paused).toBe(false);
    expect(pauseUpdateOf(envelope(observed(31337, "signers_changed", 4n)))).toBeUndefined();
    const common = { assetId: "dusd", decisionId: "d1", chainId: 31338, breaker: REMOTE_BREAKER };
    expect(
      pauseUpdateOf(envelope({ type: "pause.mined", ...common, txHash: hash(1), blockNumber: 12n })),
    ).toMatchObject({ paused: true, block: 12n, chainId: 31338 });
    expect(pauseUpdateOf(envelope({ type: "pause.already_paused", ...common }))).toMatchObject({
      paused: true,
      block: undefined,
    });
    expect(pauseUpdateOf(envelope({ type: "pause.requested", ...common }))).toBeUndefined();
  });
});

describe("createPauseFollower", () => {
  let bus: InProcessBus | undefined;
  afterEach(async () => {
    await bus?.close();
  });

  /** Fake chains: paused flags per breaker and a block number per chain. */
  function chains(paused: Record<string, boolean>, failing = new Set<number>()) {
    const blocks = new Map([
      [31337, 100n],
      [31338, 200n],
    ]);
    const reader = (chainId: number): BreakerReader => ({
      async getBlockNumber() {
        if (failing.has(chainId)) throw new Error("rpc down");
        return blocks.get(chainId)!;
      },
      async readContract({ address }) {
        return paused[address.toLowerCase()] ?? false;
      },
    });
    return {
      readers: new Map([
        [31337, reader(31337)],
        [31338, reader(31338)],
      ]),
      blocks,
    };
  }

  it("reads every breaker at start (a pause missed while down is seen), then follows the bus", async () => {
    bus = createInProcessBus({ keeperId: "t" });
    const metrics = createMetrics();
    const tracker = createPauseTracker({
      targets: targets.slice(0, 2),
      onChange: (a, c) => metrics.complianceAssetPaused.set({ asset: a }, c.length > 0 ? 1 : 0),
    });
    const { readers } = chains({ [REMOTE_BREAKER]: true });
    const follower = createPauseFollower({
      tracker,
      bus,
      groupId: "g",
      readers,
      reconcileIntervalMs: 60_000,
      logger: pino({ level: "silent" }),
      metrics,
    });
    await follower.start();
    expect(tracker.initialized).toBe(true);
    expect(tracker.snapshot()).toEqual(new Map([["dusd", [31338]]]));
    expect(
      (await metrics.registry.getSingleMetric("keeper_compliance_asset_paused")?.get())?.values[0]?.value,
    ).toBe(1);

    await bus.publish([{ payload: observed(31338, "unpaused", 201n) }]);
    await bus.idle();
    expect(tracker.isPaused("dusd")).toBe(false);

    // An event from before the chain read (block 150 < 200) does not resurrect the pause.
    await bus.publish([{ payload: observed(31338, "paused", 150n) }]);
    await bus.idle();
    expect(tracker.isPaused("dusd")).toBe(false);

    await bus.publish([{ payload: observed(31337, "tripped", 101n) }]);
    await bus.idle();
    expect(tracker.snapshot()).toEqual(new Map([["dusd", [31337]]]));
    await follower.stop();
  });

  it("reconcile repairs a missed event from the chain; a failed read at start fails the start", async () => {
    bus = createInProcessBus({ keeperId: "t" });
    const tracker = createPauseTracker({ targets: targets.slice(0, 2) });
    const paused: Record<string, boolean> = {};
    const { readers, blocks } = chains(paused);
    const follower = createPauseFollower({
      tracker,
      bus,
      groupId: "g2",
      readers,
      reconcileIntervalMs: 60_000,
      logger: pino({ level: "silent" }),
    });
    await follower.start();
    expect(tracker.isPaused("dusd")).toBe(false);
    paused[HOME_BREAKER] = true;
    blocks.set(31337, 105n);
    expect(await follower.reconcile()).toBe(0);
    expect(tracker.snapshot()).toEqual(new Map([["dusd", [31337]]]));
    await follower.stop();

    const broken = createPauseFollower({
      tracker: createPauseTracker({ targets: targets.slice(0, 2) }),
      bus,
      groupId: "g3",
      readers: chains({}, new Set([31338])).readers,
      reconcileIntervalMs: 60_000,
      logger: pino({ level: "silent" }),
    });
    await expect(broken.start()).rejects.toThrow(/rpc down/);
    await broken.stop();
  });
});

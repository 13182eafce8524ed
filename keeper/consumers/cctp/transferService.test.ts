import type { Address, Hex } from "viem";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createInProcessBus, type InProcessBus } from "../../bus/inprocess.ts";
import type { BreakerObserved, CctpTransferEvent, Envelope, PauseMined } from "../../bus/types.ts";
import { CctpTokenPausedError, CctpTxRevertedError } from "../../cctp/transfer/errors.ts";
import { assetIdOf, type CctpSetup, chooseRoute, tokenOn } from "../../cctp/transfer/setup.ts";
import { testCctpSetup } from "../../cctp/transfer/testSupport.ts";
import {
  type AttestedTransfer,
  type BurnedTransfer,
  type PlannedTransfer,
  type TransferClient,
  type TransferRequest,
  transferEventCommon,
} from "../../cctp/transfer/transferClient.ts";
import { waitFor } from "../../internal/waitFor.ts";
import { silentLogger } from "../../sources/logs.ts";
import { createMetrics } from "../../telemetry/metrics.ts";
import { CctpServiceStoppedError } from "./errors.ts";
import { type CctpTransferService, createCctpTransferService } from "./transferService.ts";

const hash = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;

/** A transfer client that records its steps; attestation waits until `attest(id)` when `holdAttestation`. */
function fakeClient(setup: CctpSetup, onEvent: (e: CctpTransferEvent) => Promise<void>) {
  const calls: string[] = [];
  const pausedOnce = new Map<string, "burn" | "receive">();
  const failBurn = new Set<string>();
  const attestWaiters = new Map<string, () => void>();
  const holdAttestation = new Set<string>();
  let n = 0;
  const client = {
    setup,
    sender: "0x00000000000000000000000000000000000000aa" as Address,
    plan(request: TransferRequest): PlannedTransfer {
      const route = chooseRoute(setup, { from: request.from, to: request.to });
      return {
        type: "planned",
        transferId: request.requestId ?? `t${++n}`,
        assetId: assetIdOf(request.token),
        token: request.token,
        route,
        speed: request.speed,
        amount: request.amount,
        burnToken: tokenOn(setup, request.token, route.source),
        destinationToken: tokenOn(setup, request.token, route.destination),
        mintRecipient: hash(0xaa),
        destinationCaller: hash(0),
        hookData: undefined,
        callerMaxFee: undefined,
      };
    },
    async burn(p: PlannedTransfer): Promise<BurnedTransfer> {
      calls.push(`burn:${p.transferId}`);
      if (pausedOnce.get(p.transferId) === "burn") {
        pausedOnce.delete(p.transferId);
        throw new CctpTokenPausedError({ step: "burn", chainId: p.route.source.chainId, token: p.burnToken });
      }
      if (failBurn.has(p.transferId)) {
        throw new CctpTxRevertedError({
          step: "burn",
          chainId: p.route.source.chainId,
          revert: "ZeroAmount()",
        });
      }
      const burned: BurnedTransfer = {
        ...p,
        type: "burned",
        burnTxHash: hash(calls.length),
        blockNumber: 1n,
        logIndex: 0,
        position: 0,
        sourceMessage: "0x",
        maxFee: 0n,
        hook: false,
      };
      await onEvent({
        ...transferEventCommon(burned),
        event: "burned",
        burnTxHash: burned.burnTxHash,
        blockNumber: 1n,
        logIndex: 0,
        sourceMessageHash: hash(1),
        maxFee: 0n,
        hook: false,
      });
      return burned;
    },
    async awaitAttestation(b: BurnedTransfer): Promise<AttestedTransfer> {
      if (holdAttestation.has(b.transferId))
        await new Promise<void>((r) => attestWaiters.set(b.transferId, r));
      calls.push(`attest:${b.transferId}`);
      return {
        ...b,
        type: "attested",
        message: "0x",
        attestation: "0x",
        nonce: hash(7),
        nonceKey: hash(7),
        feeExecuted: 0n,
        finalityThresholdExecuted: 2000,
        polls: 1,
        waitMs: 1,
      };
    },
    async receive(a: AttestedTransfer) {
      calls.push(`receive:${a.transferId}`);
      if (pausedOnce.get(a.transferId) === "receive") {
        pausedOnce.delete(a.transferId);
        throw new CctpTokenPausedError({
          step: "receive",
          chainId: a.route.destination.chainId,
          token: "0x",
        });
      }
      await onEvent({
        ...transferEventCommon(a),
        event: "received",
        burnTxHash: a.burnTxHash,
        nonce: a.nonce,
        receiveTxHash: hash(9),
        blockNumber: 2n,
        received: a.amount,
        fee: 0n,
        via: "transmitter",
      });
      return {
        ...a,
        type: "received" as const,
        receiveTxHash: hash(9),
        receiveBlockNumber: 2n,
        received: a.amount,
        fee: 0n,
        via: "transmitter" as const,
      };
    },
    async fail(
      t: PlannedTransfer | BurnedTransfer,
      stage: "burn" | "attestation" | "receive",
      error: unknown,
    ) {
      await onEvent({
        ...transferEventCommon(t),
        event: "failed",
        stage,
        reason: (error as Error).message.split("\n")[0]!,
        burnTxHash: undefined,
      });
      return error;
    },
  };
  return {
    client: client as unknown as TransferClient,
    calls,
    pausedOnce,
    failBurn,
    holdAttestation,
    attest: (id: string) => attestWaiters.get(id)?.(),
    attestWaiting: (id: string) => attestWaiters.has(id),
  };
}

const setup = testCctpSetup();
const dusd = setup.assets[0]!;
const HOME = dusd.deployments.find((d) => d.chain === "home")!;
const REMOTE = dusd.deployments.find((d) => d.chain === "remote")!;

function breakerEvent(d: typeof HOME, kind: BreakerObserved["kind"], block: bigint): BreakerObserved {
  return {
    type: "breaker.observed",
    assetId: "dusd",
    chainId: d.chainId,
    breaker: d.breaker,
    kind,
    by: "0x00000000000000000000000000000000000000bb",
    txHash: hash(Number(block) + 1000),
    block: { number: block, hash: hash(Number(block)) },
    logIndex: 0,
    args: {},
    source: "event",
  };
}

const req = (id: string, token: "dusd" | "usdc" = "dusd"): TransferRequest => ({
  requestId: id,
  token: token === "usdc" ? { type: "usdc" } : { type: "asset", assetId: "dusd" },
  from: "home",
  to: "remote",
  amount: 5n,
  speed: "standard",
});

let bus: InProcessBus | undefined;
let service: CctpTransferService | undefined;
afterEach(async () => {
  await service?.stop();
  await bus?.close();
});

async function startService(initiallyPaused: { home?: boolean; remote?: boolean } = {}) {
  bus = createInProcessBus({ keeperId: "test" });
  const published: Envelope[] = [];
  await bus.subscribe({
    topics: ["cctpTransfers"],
    groupId: "recorder",
    onMessage: (e) => void published.push(e),
  });
  const metrics = createMetrics();
  let fake!: ReturnType<typeof fakeClient>;
  service = createCctpTransferService({
    setup,
    bus,
    logger: silentLogger,
    metrics,
    createClient: (onEvent) => {
      fake = fakeClient(setup, onEvent);
      return fake.client;
    },
    readBreaker: async (b) => ({
      paused: (b.chain === "home" ? initiallyPaused.home : initiallyPaused.remote) ?? false,
      blockNumber: 10n,
    }),
  });
  await service.start();
  const events = (id: string) =>
    published
      .filter((e) => e.type === "cctp.transfer" && (e.payload as CctpTransferEvent).transferId === id)
      .map((e) => (e.payload as CctpTransferEvent).event);
  return { service, fake, published, metrics, events, bus };
}

describe("CCTP transfer service", () => {
  it("holds burns of a paused asset (not USDC) and resumes them in order after the unpause", async () => {
    const s = await startService({ remote: true });
    expect(s.service.isPaused("dusd")).toBe(true);
    const a = s.service.submit(req("a"));
    const b = s.service.submit(req("b"));
    const u = s.service.submit(req("u", "usdc"));
    expect((await u.done).type).toBe("received");
    await waitFor("both held", () => s.service.held("dusd") === 2, 5_000);
    expect(s.fake.calls).toEqual(["burn:u", "attest:u", "receive:u"]);
    expect((await s.metrics.cctpTransfersHeld.get()).values).toContainEqual({
      labels: { asset: "dusd", stage: "burn" },
      value: 2,
    });
    expect((await s.metrics.cctpAssetPaused.get()).values).toEqual([{ labels: { asset: "dusd" }, value: 1 }]);
    await s.bus.publish([{ payload: breakerEvent(REMOTE, "unpaused", 11n) }]);
    expect((await a.done).type).toBe("received");
    expect((await b.done).type).toBe("received");
    expect(s.fake.calls.filter((c) => c.startsWith("burn:"))).toEqual(["burn:u", "burn:a", "burn:b"]);
    await s.bus.idle();
    expect(s.events("a")).toEqual(["held", "resumed", "burned", "received"]);
    expect(a.events.map((e) => e.event)).toEqual(["held", "resumed", "burned", "received"]);
    expect(s.events("u")).toEqual(["burned", "received"]);
    const held = s.published.find((e) => (e.payload as CctpTransferEvent).event === "held")!;
    expect(held).toMatchObject({
      id: "cctp:a:held:burn:1",
      key: "dusd",
      type: "cctp.transfer",
      payload: { pausedChainIds: [REMOTE.chainId] },
    });
    expect(s.service.held("dusd")).toBe(0);
  });

  it("holds an attested transfer before its receive while paused, then receives it after the unpause", async () => {
    const s = await startService();
    s.fake.holdAttestation.add("a");
    const a = s.service.submit(req("a"));
    await waitFor("attestation pending", () => s.fake.attestWaiting("a"), 5_000);
    const pause: PauseMined = {
      type: "pause.mined",
      assetId: "dusd",
      decisionId: "d1",
      chainId: HOME.chainId,
      breaker: HOME.breaker,
      txHash: hash(77),
      blockNumber: 20n,
    };
    await s.bus.publish([{ payload: pause }]);
    await waitFor("paused", () => s.service.isPaused("dusd"), 5_000);
    s.fake.attest("a");
    await waitFor("receive held", () => s.service.held("dusd") === 1, 5_000);
    expect(s.fake.calls).toEqual(["burn:a", "attest:a"]);
    await s.bus.publish([{ payload: breakerEvent(HOME, "unpaused", 21n) }]);
    expect((await a.done).type).toBe("received");
    expect(
      a.events.map((e) => (e.event === "held" || e.event === "resumed" ? `${e.event}:${e.stage}` : e.event)),
    ).toEqual(["burned", "held:receive", "resumed:receive", "received"]);
  });

  it("holds a step refused with TokenPaused (the event not here yet) and retries it first after the unpause", async () => {
    const s = await startService();
    s.fake.pausedOnce.set("a", "burn");
    const a = s.service.submit(req("a"));
    await waitFor("held after the revert", () => s.service.held("dusd") === 1, 5_000);
    const b = s.service.submit(req("b"));
    await waitFor("b held too", () => s.service.held("dusd") === 2, 5_000);
    await s.bus.publish([{ payload: breakerEvent(HOME, "unpaused", 30n) }]);
    await Promise.all([a.done, b.done]);
    expect(s.fake.calls.filter((c) => c.startsWith("burn:"))).toEqual(["burn:a", "burn:a", "burn:b"]);
  });

  it("reports failed and rejects done when a step fails", async () => {
    const s = await startService();
    s.fake.failBurn.add("x");
    const x = s.service.submit(req("x"));
    await expect(x.done).rejects.toBeInstanceOf(CctpTxRevertedError);
    await s.bus.idle();
    expect(s.events("x")).toEqual(["failed"]);
  });

  it("re-reads every breaker each reconcileIntervalMs and lets held transfers go when a read shows the unpause", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const chain = { homePaused: true, failRemote: false };
      let block = 10n;
      const reads: string[] = [];
      let fake!: ReturnType<typeof fakeClient>;
      service = createCctpTransferService({
        setup,
        logger: silentLogger,
        reconcileIntervalMs: 1_000,
        createClient: (onEvent) => {
          fake = fakeClient(setup, onEvent);
          return fake.client;
        },
        readBreaker: async (b) => {
          reads.push(b.chain);
          if (b.chain === "remote" && chain.failRemote) throw new Error("rpc down");
          return { paused: b.chain === "home" && chain.homePaused, blockNumber: block++ };
        },
      });
      await service.start();
      expect(reads).toHaveLength(2);
      const a = service.submit(req("a"));
      expect(service.held("dusd")).toBe(1);
      chain.failRemote = true;
      await vi.advanceTimersByTimeAsync(999);
      expect(reads).toHaveLength(2); // not yet
      await vi.advanceTimersByTimeAsync(1);
      expect(reads).toHaveLength(4); // a failed read is logged; the next round still comes
      expect(service.isPaused("dusd")).toBe(true);
      chain.homePaused = false;
      chain.failRemote = false;
      await vi.advanceTimersByTimeAsync(1_000);
      expect(reads).toHaveLength(6);
      expect((await a.done).type).toBe("received");
      expect(a.events.map((e) => e.event)).toEqual(["held", "resumed", "burned", "received"]);
      expect(await service.reconcile()).toBe(0);
      await service.stop();
      await vi.advanceTimersByTimeAsync(5_000);
      expect(reads).toHaveLength(8); // stopped: no more rounds
    } finally {
      vi.useRealTimers();
    }
  });

  it("rejects held transfers with CctpServiceStoppedError on stop", async () => {
    const s = await startService({ home: true });
    const a = s.service.submit(req("a"));
    await waitFor("held", () => s.service.held("dusd") === 1, 5_000);
    await s.service.stop();
    await expect(a.done).rejects.toBeInstanceOf(CctpServiceStoppedError);
    expect(s.fake.calls).toEqual([]);
  });
});

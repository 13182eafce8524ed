import { type Address, HttpRequestError } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createMetrics } from "../telemetry/metrics.ts";
import type { FeeConfig } from "./fees.ts";
import { createNonceManager } from "./nonces.ts";
import { createPauseExecutor, type PauseEvent, type PauseResult } from "./pauseExecutor.ts";
import { createFakeChain } from "./testFakeChain.ts";

// Branches the devnet cannot provoke on demand, against an in-memory chain with fake timers.
// The integration test (test/integration/actions-pause.test.ts) covers the same paths on real nodes.

const keeper = mnemonicToAccount("test test test test test test test test test test test junk", {
  addressIndex: 1,
});
const BREAKER = "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707" as Address;
const CHAIN_ID = 31337;
const FEES: FeeConfig = {
  receiptTimeoutMs: 1_000,
  feeBumpPercent: 10,
  maxFeePerGas: 500n,
  emergencyMaxFeePerGas: 5_000n,
  maxAttempts: 4,
};

function setup(opts: { fees?: Partial<FeeConfig> } = {}) {
  const chain = createFakeChain({ breaker: BREAKER, keepers: [keeper.address] });
  const nonceManager = createNonceManager({ client: chain.client, address: keeper.address });
  const events: PauseEvent[] = [];
  const metrics = createMetrics();
  const executor = createPauseExecutor({
    account: keeper,
    chains: [{ chainId: CHAIN_ID, publicClient: chain.client, nonceManager }],
    fees: { ...FEES, ...opts.fees },
    metrics,
    onEvent: (e) => events.push(e),
    pollIntervalMs: 100,
  });
  let results: PauseResult[] | undefined;
  const pause = (signal?: AbortSignal) => {
    const p = executor.pause({
      assetId: "dusd",
      decisionId: "d1",
      reason: "short",
      observedReserves: 1n,
      observedSupply: 2n,
      targets: [{ chainId: CHAIN_ID, breaker: BREAKER }],
      signal,
    });
    void p.then((r) => {
      results = r;
    });
    return p;
  };
  return { chain, nonceManager, events, metrics, executor, pause, results: () => results };
}

/** Advances fake time in small steps until `cond` holds. */
async function advanceUntil(what: string, cond: () => boolean, maxMs = 120_000) {
  for (let t = 0; t <= maxMs; t += 10) {
    if (cond()) return;
    await vi.advanceTimersByTimeAsync(10);
  }
  throw new Error(`never reached: ${what}`);
}

const types = (events: PauseEvent[]) => events.map((e) => e.type);

describe("createPauseExecutor (fake chain)", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends, waits for the block and reports mined", async () => {
    const t = setup();
    await t.executor.warm();
    t.pause();
    await advanceUntil("sent", () => t.chain.state.sends.length === 1);
    t.chain.mine();
    await advanceUntil("result", () => t.results() !== undefined);
    expect(t.results()![0]).toMatchObject({ outcome: "mined", attempts: 1, nonce: 0 });
    expect(types(t.events)).toEqual(["pause.requested", "pause.sent", "pause.mined"]);
    expect(t.nonceManager.peek()).toBe(1);
  });

  it("treats a lost answer to eth_sendRawTransaction as possibly sent and finds the receipt", async () => {
    const t = setup();
    t.chain.state.sendHook = (tx) => {
      t.chain.state.sendHook = undefined;
      t.chain.state.pool.set(`${tx.from}:${tx.nonce}`, tx); // the node got it; the answer was lost
      return new HttpRequestError({ url: "http://127.0.0.1:1", details: "socket hang up" });
    };
    t.pause();
    await advanceUntil("in pool", () => t.chain.state.pool.size === 1);
    t.chain.mine();
    await advanceUntil("result", () => t.results() !== undefined);
    expect(t.results()![0]).toMatchObject({ outcome: "mined", attempts: 1 });
    expect(await t.metrics.registry.metrics()).toContain(`keeper_rpc_errors_total{chain="${CHAIN_ID}"} 1`);
  });

  it("re-plans at once when the node refuses the fee outright", async () => {
    const t = setup();
    await t.executor.warm(); // caches base fee 10
    t.chain.state.baseFee = 100n;
    t.chain.state.sendHook = (tx) =>
      tx.maxFeePerGas < t.chain.state.baseFee
        ? Object.assign(new Error("max fee per gas less than block base fee"))
        : undefined;
    t.pause();
    await advanceUntil("accepted", () => t.chain.state.sends.length === 1);
    const accepted = t.chain.state.sends[0]!;
    expect(accepted.maxFeePerGas).toBeGreaterThanOrEqual(200n);
    t.chain.mine();
    await advanceUntil("result", () => t.results() !== undefined);
    expect(t.results()![0]).toMatchObject({ outcome: "mined", attempts: 2 });
    const sent = t.events.find((e) => e.type === "pause.sent");
    expect(sent).toMatchObject({ attempt: 2, txHash: accepted.hash });
  });

  it("after maxAttempts keeps the last transaction and waits (no failure, no more replacements)", async () => {
    const t = setup({ fees: { maxAttempts: 2 } });
    await t.executor.warm();
    t.pause();
    await advanceUntil("sent", () => t.chain.state.sends.length === 1);
    t.chain.state.baseFee = 1_000n; // spike: nothing fits
    await advanceUntil("waiting", () => t.events.some((e) => e.type === "pause.waiting"));
    expect(t.events.find((e) => e.type === "pause.waiting")).toMatchObject({ reason: "max_attempts" });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.results()).toBeUndefined();
    expect(t.chain.state.sends).toHaveLength(2);
    t.chain.state.baseFee = 10n;
    t.chain.mine();
    await advanceUntil("result", () => t.results() !== undefined);
    expect(t.results()![0]).toMatchObject({
      outcome: "mined",
      attempts: 2,
      txHash: t.chain.state.sends[1]!.hash,
    });
  });

  it("an abort while pending fails retryably and keeps the nonce as used", async () => {
    const t = setup();
    const ac = new AbortController();
    t.pause(ac.signal);
    await advanceUntil("sent", () => t.chain.state.sends.length === 1);
    ac.abort();
    await advanceUntil("result", () => t.results() !== undefined);
    const r = t.results()![0]!;
    expect(r.outcome).toBe("failed");
    expect(r.error?.code).toBe("PAUSE_NOT_CONFIRMED");
    expect(r.error?.retryable).toBe(true);
    expect(r.txHash).toBe(t.chain.state.sends[0]!.hash);
    expect(t.nonceManager.peek()).toBe(1);
  });

  it("insufficient funds fails without leaving a nonce gap", async () => {
    const t = setup();
    t.chain.state.sendHook = () => new Error("insufficient funds for gas * price + value: balance 0");
    t.pause();
    await advanceUntil("result", () => t.results() !== undefined);
    expect(t.results()![0]).toMatchObject({ outcome: "failed", attempts: 1 });
    expect(t.results()![0]!.error?.code).toBe("PAUSE_TX_REJECTED");
    expect(t.results()![0]!.error?.details?.kind).toBe("insufficient_funds");
    expect(t.nonceManager.peek()).toBe(0);
    expect(types(t.events)).toEqual(["pause.requested", "pause.failed"]);
  });

  it("a pause that reverts on chain fails with PAUSE_REVERTED", async () => {
    const t = setup();
    t.chain.state.revertOnChain = true;
    t.pause();
    await advanceUntil("sent", () => t.chain.state.sends.length === 1);
    t.chain.mine();
    await advanceUntil("result", () => t.results() !== undefined);
    expect(t.results()![0]).toMatchObject({ outcome: "failed" });
    expect(t.results()![0]!.error?.code).toBe("PAUSE_REVERTED");
    const text = await t.metrics.registry.metrics();
    expect(text).toContain(`keeper_pause_tx_total{asset="dusd",chain="${CHAIN_ID}",result="reverted"} 1`);
  });

  it("replaces an older stuck transaction from the key instead of queueing behind it", async () => {
    const t = setup();
    // A stale, underpriced transaction from this key holds nonce 0 (e.g. a crashed earlier run).
    t.chain.state.pool.set(`${keeper.address.toLowerCase()}:0`, {
      hash: `0x${"ab".repeat(32)}`,
      from: keeper.address.toLowerCase() as Address,
      nonce: 0,
      maxFeePerGas: 5n,
      maxPriorityFeePerGas: 1n,
      reason: "old",
    });
    t.pause();
    await advanceUntil("sent at 1", () => t.chain.state.sends.length === 1);
    expect(t.chain.state.sends[0]!.nonce).toBe(1);
    await advanceUntil("replacement at 0", () => t.chain.state.sends.some((s) => s.nonce === 0));
    t.chain.mine();
    await advanceUntil("result", () => t.results() !== undefined);
    expect(t.results()![0]).toMatchObject({ outcome: "mined", nonce: 0 });
    expect(t.chain.latest(keeper.address)).toBe(2); // the earlier attempt at nonce 1 mined as a no-op
  });

  it("joins a pause already in progress for the same breaker (one transaction)", async () => {
    const t = setup();
    const a = t.pause();
    const b = t.pause();
    await advanceUntil("sent", () => t.chain.state.sends.length === 1);
    t.chain.mine();
    await advanceUntil("result", () => t.results() !== undefined);
    expect(await a).toEqual(await b);
    expect(t.chain.state.sends).toHaveLength(1);
  });

  it("fails a target on a chain it was not given, without touching the others", async () => {
    const t = setup();
    const results = await t.executor.pause({
      assetId: "dusd",
      decisionId: "d2",
      reason: "x",
      observedReserves: 1n,
      observedSupply: 2n,
      targets: [{ chainId: 1, breaker: BREAKER }],
    });
    expect(results[0]).toMatchObject({ chainId: 1, outcome: "failed", attempts: 0 });
    expect(results[0]!.error?.code).toBe("ARGUMENT_INVALID");
  });

  it("onHead refreshes the cached base fee (from the head, or from the latest block when not given)", async () => {
    const t = setup();
    await t.executor.warm(); // base fee 10
    t.executor.onHead(CHAIN_ID, 40n);
    t.pause();
    await advanceUntil("sent", () => t.chain.state.sends.length === 1);
    expect(t.chain.state.sends[0]!.maxFeePerGas).toBe(2n * 40n + 1n);
    t.chain.mine();
    await advanceUntil("result", () => t.results() !== undefined);

    const u = setup();
    await u.executor.warm();
    u.chain.state.baseFee = 70n;
    u.executor.onHead(CHAIN_ID, undefined);
    await vi.advanceTimersByTimeAsync(10);
    u.pause();
    await advanceUntil("sent", () => u.chain.state.sends.length === 1);
    expect(u.chain.state.sends[0]!.maxFeePerGas).toBe(2n * 70n + 1n);
  });

  it("close() ends every wait", async () => {
    const t = setup();
    t.pause();
    await advanceUntil("sent", () => t.chain.state.sends.length === 1);
    t.executor.close();
    await advanceUntil("result", () => t.results() !== undefined);
    expect(t.results()![0]!.error?.code).toBe("PAUSE_NOT_CONFIRMED");
  });
});

import {
  type Address,
  createPublicClient,
  createWalletClient,
  type Hash,
  http,
  keccak256,
  type PublicClient,
  parseGwei,
  toHex,
} from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { DevnetManifest } from "../../deploy/devnet/manifest.ts";
import { rpc } from "../../deploy/devnet/nodes.ts";
import { reserveCircuitBreakerAbi } from "../../keeper/abi/index.ts";
import type { FeeConfig } from "../../keeper/actions/fees.ts";
import { createNonceManager, type NonceManager } from "../../keeper/actions/nonces.ts";
import {
  createPauseExecutor,
  type PauseEvent,
  type PauseExecutorChain,
  type PauseResult,
} from "../../keeper/actions/pauseExecutor.ts";
import { PauseUnauthorizedError } from "../../keeper/internal/errors.ts";
import { createLogger } from "../../keeper/telemetry/logger.ts";
import { createMetrics } from "../../keeper/telemetry/metrics.ts";
import { type Devnet, startDevnet, waitFor } from "../helpers/keeperHarness.ts";

// The pause executor against two real `hardhat node` processes (1 s interval mining) started by the
// devnet CLI. Every test runs between evm_snapshot / evm_revert on both chains, so each starts with
// both breakers unpaused. Waiting is polling against a deadline; nothing asserts on wall-clock time.

// Hardhat's public test mnemonic (never use it, or anything derived from it, on a real network).
const MNEMONIC = "test test test test test test test test test test test junk";
const keeper = mnemonicToAccount(MNEMONIC, { addressIndex: 1 }); // the devnet keeper (KEEPER_ROLE)
const outsider = mnemonicToAccount(MNEMONIC, { addressIndex: 11 }); // no role
const keeper2 = mnemonicToAccount(MNEMONIC, { addressIndex: 12 }); // granted KEEPER_ROLE in beforeAll
const KEEPER_ROLE = keccak256(toHex("KEEPER_ROLE"));

type Chain = { name: string; chainId: number; url: string; client: PublicClient; breaker: Address };

const FEES: FeeConfig = {
  receiptTimeoutMs: 1_500,
  feeBumpPercent: 10,
  maxFeePerGas: parseGwei("200"),
  emergencyMaxFeePerGas: parseGwei("1000"),
  maxAttempts: 5,
};

/** Polls `probe` every 20 ms until it returns something other than undefined/false, or throws after 30 s. */
const until = <T>(what: string, probe: () => T | undefined | Promise<T | undefined>) =>
  waitFor(what, probe, 30_000, 20);

describe("pause executor (real devnet, two chains)", () => {
  let devnet: Devnet | undefined;
  let manifest: DevnetManifest;
  let home: Chain;
  let chains: Chain[];
  let snapshots: string[] = [];
  let startBlocks: bigint[] = [];

  const executorChains = (nonceManagers?: NonceManager[]): PauseExecutorChain[] =>
    chains.map((c, i) => ({ chainId: c.chainId, publicClient: c.client, nonceManager: nonceManagers?.[i] }));
  const targets = (only?: Chain[]) =>
    (only ?? chains).map((c) => ({ chainId: c.chainId, breaker: c.breaker }));
  const request = (reason: string, only?: Chain[]) => ({
    assetId: "dusd",
    decisionId: `decision-${reason}`,
    reason,
    observedReserves: 3_000_000_000_000n,
    observedSupply: 6_000_000_000_000n,
    targets: targets(only),
  });
  const paused = (c: Chain) =>
    c.client.readContract({ address: c.breaker, abi: reserveCircuitBreakerAbi, functionName: "paused" });
  const pausedEvents = (c: Chain, i: number) =>
    c.client.getContractEvents({
      address: c.breaker,
      abi: reserveCircuitBreakerAbi,
      eventName: "BreakerPaused",
      fromBlock: startBlocks[i],
    });
  const nonceOf = (c: Chain, address: Address, blockTag: "latest" | "pending" = "latest") =>
    c.client.getTransactionCount({ address, blockTag });
  const byChain = (results: PauseResult[], c: Chain) => results.find((r) => r.chainId === c.chainId)!;
  const eventsOf = (events: PauseEvent[], c: Chain, type?: PauseEvent["type"]) =>
    events.filter((e) => e.chainId === c.chainId && (type === undefined || e.type === type));

  /** Sends a 0-value self transfer with a nonce from `nm` and waits for it: proves no gap / jam. */
  async function followUpTx(c: Chain, account: typeof keeper, nm: NonceManager) {
    const r = await nm.reserve();
    const block = await c.client.getBlock();
    const raw = await account.signTransaction({
      chainId: c.chainId,
      type: "eip1559",
      to: account.address,
      value: 0n,
      gas: 21_000n,
      nonce: r.nonce,
      maxFeePerGas: 2n * block.baseFeePerGas! + parseGwei("1"),
      maxPriorityFeePerGas: parseGwei("1"),
    });
    try {
      const hash = await c.client.request({ method: "eth_sendRawTransaction", params: [raw] });
      r.release(true);
      const receipt = await c.client.waitForTransactionReceipt({
        hash,
        pollingInterval: 50,
        timeout: 30_000,
      });
      expect(receipt.status).toBe("success");
      return r.nonce;
    } catch (err) {
      r.release(false);
      throw err;
    }
  }

  beforeAll(async () => {
    devnet = await startDevnet({ tmpPrefix: "rk-actions-" });
    manifest = devnet.manifest;
    expect(manifest.accounts.keeper).toBe(keeper.address);
    expect(manifest.accounts.outsider).toBe(outsider.address);
    const dusd = manifest.assets.find((a) => a.id === "dusd")!;
    chains = manifest.chains.map((ch) => ({
      name: ch.name,
      chainId: ch.chainId,
      url: ch.rpcHttpUrl,
      client: createPublicClient({ transport: http(ch.rpcHttpUrl), pollingInterval: 50 }),
      breaker: dusd.chains.find((e) => e.chain === ch.name)!.breaker,
    }));
    home = chains.find((c) => c.name === "home")!;
    expect(chains.map((c) => c.name)).toEqual(["home", "remote"]);
    // A second keeper key, granted by the devnet deployer (the node's unlocked account 0).
    for (const c of chains) {
      const admin = createWalletClient({ account: manifest.accounts.deployer!, transport: http(c.url) });
      const hash = await admin.writeContract({
        chain: null,
        address: c.breaker,
        abi: reserveCircuitBreakerAbi,
        functionName: "grantRole",
        args: [KEEPER_ROLE, keeper2.address],
      });
      await c.client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    }
  }, 180_000);

  afterAll(async () => {
    await devnet?.stop();
  });

  beforeEach(async () => {
    snapshots = await Promise.all(chains.map((c) => rpc<string>(c.url, "evm_snapshot")));
    // cacheTime 0: viem caches the block number, and the chain just went back in time.
    startBlocks = await Promise.all(chains.map((c) => c.client.getBlockNumber({ cacheTime: 0 })));
    for (const c of chains) expect(await paused(c)).toBe(false);
  });

  afterEach(async () => {
    for (const [i, c] of chains.entries()) {
      await rpc(c.url, "evm_setIntervalMining", [1000]);
      expect(await rpc<boolean>(c.url, "evm_revert", [snapshots[i]])).toBe(true);
    }
  });

  it("pauses both chains; each breaker emits BreakerPaused from the keeper with reason, reserves and supply", async () => {
    const events: PauseEvent[] = [];
    const metrics = createMetrics();
    const logLines: string[] = [];
    const logger = createLogger({
      level: "debug",
      destination: { write: (line: string) => logLines.push(line) },
    });
    const executor = createPauseExecutor({
      account: keeper,
      chains: executorChains(),
      fees: FEES,
      metrics,
      logger,
      onEvent: (e) => events.push(e),
      pollIntervalMs: 50,
    });
    await executor.warm();
    const decisionBlocks = await Promise.all(chains.map((c) => c.client.getBlockNumber({ cacheTime: 0 })));
    const results = await executor.pause({
      ...request("PoR 3.0M < supply 6.0M"),
      decidedAtMs: performance.now(),
    });

    for (const [i, c] of chains.entries()) {
      const r = byChain(results, c);
      expect(r, c.name).toMatchObject({ outcome: "mined", attempts: 1, breaker: c.breaker });
      expect(await paused(c)).toBe(true);
      const logs = await pausedEvents(c, i);
      expect(logs).toHaveLength(1);
      expect(logs[0]!.transactionHash).toBe(r.txHash);
      expect(logs[0]!.args).toEqual({
        by: keeper.address,
        reason: "PoR 3.0M < supply 6.0M",
        observedReserves: 3_000_000_000_000n,
        observedSupply: 6_000_000_000_000n,
      });
      expect(eventsOf(events, c).map((e) => e.type)).toEqual([
        "pause.requested",
        "pause.sent",
        "pause.mined",
      ]);
      const sent = eventsOf(events, c, "pause.sent")[0] as Extract<PauseEvent, { type: "pause.sent" }>;
      expect(sent).toMatchObject({ txHash: r.txHash, attempt: 1, nonce: r.nonce });
      expect(sent.maxFeePerGas).toBeGreaterThan(0n);
      expect(sent.simulation).toBe("exact");
      console.log(
        `[actions-pause] ${c.name}: decision→broadcast ${sent.sinceDecisionMs.toFixed(2)} ms (exact eth_call first); ` +
          `decided at block ${decisionBlocks[i]}, mined in block ${r.blockNumber}`,
      );
    }
    const text = await metrics.registry.metrics();
    expect(text).toContain('keeper_pause_tx_total{asset="dusd",chain="31337",result="mined"} 1');
    // Logged: what happened, with tx hashes; never the key.
    const logs = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const sentLogs = logs.filter((l) => l.msg === "pause transaction sent");
    expect(sentLogs.map((l) => l.tx_hash).sort()).toEqual(results.map((r) => r.txHash).sort());
    expect(logs.filter((l) => l.msg === "pause transaction mined")).toHaveLength(2);
    const privateKey = toHex(keeper.getHdKey().privateKey!).slice(2);
    expect(logLines.join("\n").toLowerCase()).not.toContain(privateKey);
    expect(text).toContain('keeper_pause_tx_total{asset="dusd",chain="31338",result="sent"} 1');
    expect(text).toContain('keeper_breaker_paused{asset="dusd",chain="31338"} 1');
    expect(text).toContain('keeper_pause_latency_seconds_count{asset="dusd",chain="31337"} 1');
  });

  it("with warmed targets, sends on the per-head simulation without waiting for its own eth_call", async () => {
    const events: PauseEvent[] = [];
    const executor = createPauseExecutor({
      account: keeper,
      chains: executorChains(),
      fees: FEES,
      onEvent: (e) => events.push(e),
      pollIntervalMs: 50,
    });
    await executor.warm(targets());
    const results = await executor.pause({ ...request("primed"), decidedAtMs: performance.now() });
    for (const [i, c] of chains.entries()) {
      expect(byChain(results, c)).toMatchObject({ outcome: "mined", attempts: 1 });
      expect(await pausedEvents(c, i)).toHaveLength(1);
      const sent = eventsOf(events, c, "pause.sent")[0] as Extract<PauseEvent, { type: "pause.sent" }>;
      expect(sent.simulation).toBe("primed");
      console.log(
        `[actions-pause] ${c.name}: decision→broadcast ${sent.sinceDecisionMs.toFixed(2)} ms (primed per-head simulation)`,
      );
    }
    // The executor now knows the breakers are paused: a second pause simulates and sends nothing.
    const again = await executor.pause(request("primed again"));
    expect(again.map((r) => r.outcome)).toEqual(["already_paused", "already_paused"]);
    expect(events.filter((e) => e.type === "pause.sent")).toHaveLength(2);
  });

  it("reports already_paused and sends nothing when the breakers are already paused", async () => {
    const first = createPauseExecutor({
      account: keeper,
      chains: executorChains(),
      fees: FEES,
      pollIntervalMs: 50,
    });
    const r1 = await first.pause(request("first"));
    expect(r1.map((r) => r.outcome)).toEqual(["mined", "mined"]);

    const nonces = await Promise.all(chains.map((c) => nonceOf(c, keeper.address, "pending")));
    const events: PauseEvent[] = [];
    const second = createPauseExecutor({
      account: keeper,
      chains: executorChains(),
      fees: FEES,
      onEvent: (e) => events.push(e),
    });
    await second.warm(targets()); // primed "already paused": the pause still simulates before sending
    const r2 = await second.pause(request("second"));
    for (const [i, c] of chains.entries()) {
      expect(byChain(r2, c)).toEqual({
        chainId: c.chainId,
        breaker: c.breaker,
        outcome: "already_paused",
        attempts: 0,
        alreadyPausedVia: "simulation",
        txHash: undefined,
        blockNumber: undefined,
        nonce: undefined,
      });
      expect(await nonceOf(c, keeper.address, "pending")).toBe(nonces[i]);
      expect(await pausedEvents(c, i)).toHaveLength(1);
    }
    expect(events.filter((e) => e.type === "pause.sent")).toEqual([]);
    expect(events.filter((e) => e.type === "pause.already_paused")).toHaveLength(2);
  });

  it("fails with AccessControlUnauthorizedAccount and sends nothing for a key without KEEPER_ROLE", async () => {
    const before = await Promise.all(chains.map((c) => nonceOf(c, outsider.address, "pending")));
    const events: PauseEvent[] = [];
    const executor = createPauseExecutor({
      account: outsider,
      chains: executorChains(),
      fees: FEES,
      onEvent: (e) => events.push(e),
    });
    await executor.warm(targets()); // primed "would revert": the pause still simulates before sending
    const results = await executor.pause(request("outsider"));
    for (const [i, c] of chains.entries()) {
      const r = byChain(results, c);
      expect(r.outcome).toBe("failed");
      expect(r.attempts).toBe(0);
      expect(r.txHash).toBeUndefined();
      expect(r.error).toBeInstanceOf(PauseUnauthorizedError);
      expect(r.error?.code).toBe("PAUSE_UNAUTHORIZED");
      expect(r.error?.details?.revert).toBe(
        `AccessControlUnauthorizedAccount(${outsider.address}, ${KEEPER_ROLE})`,
      );
      expect(await nonceOf(c, outsider.address, "pending")).toBe(before[i]);
      expect(await paused(c)).toBe(false);
    }
    expect(events.map((e) => e.type).sort()).toEqual([
      "pause.failed",
      "pause.failed",
      "pause.requested",
      "pause.requested",
    ]);
    const failed = events.find((e) => e.type === "pause.failed") as Extract<
      PauseEvent,
      { type: "pause.failed" }
    >;
    expect(failed.reason).toContain("lacks KEEPER_ROLE");
  });

  it("replaces a transaction stuck under a base-fee spike with bumped fees (same nonce) and it mines", async () => {
    await rpc(home.url, "evm_setIntervalMining", [0]);
    const events: PauseEvent[] = [];
    const executor = createPauseExecutor({
      account: keeper,
      chains: executorChains(),
      fees: FEES,
      onEvent: (e) => events.push(e),
      pollIntervalMs: 50,
    });
    await executor.warm(); // caches today's (low) base fee: the spike comes after the decision
    const spike = parseGwei("50");
    await rpc(home.url, "hardhat_setNextBlockBaseFeePerGas", [toHex(spike)]);
    const running = executor.pause(request("spike", [home]));

    const sent = await until("pause.sent", () => eventsOf(events, home, "pause.sent")[0]);
    if (sent.type !== "pause.sent") throw new Error("unreachable");
    expect(sent.maxFeePerGas).toBeLessThan(spike);
    await rpc(home.url, "evm_mine"); // a 50 gwei block: the pause does not fit
    expect(await paused(home)).toBe(false);

    const replaced = await until("pause.replaced", () => eventsOf(events, home, "pause.replaced")[0]);
    if (replaced.type !== "pause.replaced") throw new Error("unreachable");
    expect(replaced).toMatchObject({ nonce: sent.nonce, replacedTxHash: sent.txHash, attempt: 2 });
    expect(replaced.maxFeePerGas).toBeGreaterThanOrEqual((sent.maxFeePerGas * 110n) / 100n + 1n);
    expect(replaced.maxPriorityFeePerGas).toBeGreaterThanOrEqual(
      (sent.maxPriorityFeePerGas * 110n) / 100n + 1n,
    );
    expect(replaced.maxFeePerGas).toBeGreaterThan(spike);

    await rpc(home.url, "hardhat_setNextBlockBaseFeePerGas", [toHex(spike)]);
    await rpc(home.url, "evm_mine");
    const [r] = await running;
    expect(r).toMatchObject({ outcome: "mined", txHash: replaced.txHash, attempts: 2, nonce: sent.nonce });
    expect(await paused(home)).toBe(true);
    await expect(home.client.getTransactionReceipt({ hash: sent.txHash })).rejects.toThrow();
    expect(events.some((e) => e.type === "pause.failed")).toBe(false);
  });

  it("replaces a transaction the node dropped from its pool", async () => {
    await rpc(home.url, "evm_setIntervalMining", [0]);
    const events: PauseEvent[] = [];
    const executor = createPauseExecutor({
      account: keeper,
      chains: executorChains(),
      fees: FEES,
      onEvent: (e) => events.push(e),
      pollIntervalMs: 50,
    });
    const running = executor.pause(request("dropped", [home]));
    const sent = await until("pause.sent", () => eventsOf(events, home, "pause.sent")[0]);
    if (sent.type !== "pause.sent") throw new Error("unreachable");
    expect(await rpc<boolean>(home.url, "hardhat_dropTransaction", [sent.txHash])).toBe(true);
    await rpc(home.url, "evm_mine");
    expect(await paused(home)).toBe(false);

    const replaced = await until("pause.replaced", () => eventsOf(events, home, "pause.replaced")[0]);
    if (replaced.type !== "pause.replaced") throw new Error("unreachable");
    expect(replaced.nonce).toBe(sent.nonce);
    await rpc(home.url, "evm_mine");
    const [r] = await running;
    expect(r).toMatchObject({ outcome: "mined", txHash: replaced.txHash, attempts: 2 });
    expect(await pausedEvents(home, 0)).toHaveLength(1);
  });

  it("at the emergency fee cap keeps the transaction and waits instead of failing, then mines when the base fee drops", async () => {
    await rpc(home.url, "evm_setIntervalMining", [0]);
    const events: PauseEvent[] = [];
    const cap = parseGwei("20");
    const executor = createPauseExecutor({
      account: keeper,
      chains: executorChains(),
      fees: { ...FEES, receiptTimeoutMs: 500, maxFeePerGas: parseGwei("10"), emergencyMaxFeePerGas: cap },
      onEvent: (e) => events.push(e),
      pollIntervalMs: 50,
    });
    await executor.warm();
    const spike = parseGwei("50");
    await rpc(home.url, "hardhat_setNextBlockBaseFeePerGas", [toHex(spike)]);
    let settled = false;
    const running = executor.pause(request("capped", [home])).finally(() => {
      settled = true;
    });
    const sent = await until("pause.sent", () => eventsOf(events, home, "pause.sent")[0]);
    if (sent.type !== "pause.sent") throw new Error("unreachable");
    await rpc(home.url, "evm_mine");

    // The replacement goes out at the cap (still a valid ≥ 10 % bump), then no valid bump fits.
    const replaced = await until("pause.replaced", () => eventsOf(events, home, "pause.replaced")[0]);
    if (replaced.type !== "pause.replaced") throw new Error("unreachable");
    expect(replaced.maxFeePerGas).toBe(cap);
    await rpc(home.url, "hardhat_setNextBlockBaseFeePerGas", [toHex(spike)]);
    await rpc(home.url, "evm_mine");
    const waiting = await until("pause.waiting", () => eventsOf(events, home, "pause.waiting")[0]);
    expect(waiting).toMatchObject({ reason: "fee_cap", txHash: replaced.txHash, capPerGas: cap });

    // Still waiting through more spiked blocks: no failure, no further replacement.
    for (let i = 0; i < 3; i++) {
      await rpc(home.url, "hardhat_setNextBlockBaseFeePerGas", [toHex(spike)]);
      await rpc(home.url, "evm_mine");
    }
    await until("another receipt-timeout cycle", () => eventsOf(events, home).length >= 4 && !settled);
    expect(settled).toBe(false);
    expect(eventsOf(events, home).map((e) => e.type)).toEqual([
      "pause.requested",
      "pause.sent",
      "pause.replaced",
      "pause.waiting",
    ]);

    await rpc(home.url, "hardhat_setNextBlockBaseFeePerGas", [toHex(parseGwei("1"))]);
    await rpc(home.url, "evm_mine");
    const [r] = await running;
    expect(r).toMatchObject({ outcome: "mined", txHash: replaced.txHash, attempts: 2 });
    expect(await paused(home)).toBe(true);
  });

  it("sends with a fresh nonce when the cached one was consumed by another transaction from the key", async () => {
    const nms = chains.map((c) => createNonceManager({ client: c.client, address: keeper.address }));
    const executor = createPauseExecutor({
      account: keeper,
      chains: executorChains(nms),
      fees: FEES,
      pollIntervalMs: 50,
    });
    await executor.warm();
    const cached = nms.map((nm) => nm.peek());
    // Another process with the same key uses the cached nonces.
    for (const c of chains) {
      await followUpTx(c, keeper, createNonceManager({ client: c.client, address: keeper.address }));
    }
    const results = await executor.pause(request("stale nonce"));
    for (const [i, c] of chains.entries()) {
      const r = byChain(results, c);
      expect(r.outcome).toBe("mined");
      expect(r.nonce).toBe(cached[i]! + 1);
      expect(r.attempts).toBe(2);
    }
  });

  it("two executors with the SAME key pausing at once: both succeed, one BreakerPaused per chain, no nonce gap", async () => {
    const nmsA = chains.map((c) => createNonceManager({ client: c.client, address: keeper.address }));
    const nmsB = chains.map((c) => createNonceManager({ client: c.client, address: keeper.address }));
    const eventsA: PauseEvent[] = [];
    const eventsB: PauseEvent[] = [];
    const a = createPauseExecutor({
      account: keeper,
      chains: executorChains(nmsA),
      fees: FEES,
      onEvent: (e) => eventsA.push(e),
      pollIntervalMs: 50,
    });
    const b = createPauseExecutor({
      account: keeper,
      chains: executorChains(nmsB),
      fees: FEES,
      onEvent: (e) => eventsB.push(e),
      pollIntervalMs: 50,
    });
    await Promise.all([a.warm(), b.warm()]);
    const [ra, rb] = await Promise.all([a.pause(request("replica A")), b.pause(request("replica B"))]);

    for (const [i, c] of chains.entries()) {
      const outcomes = [byChain(ra, c).outcome, byChain(rb, c).outcome].sort();
      expect(outcomes, c.name).toEqual(["already_paused", "mined"]);
      const logs = await pausedEvents(c, i);
      expect(logs).toHaveLength(1);
      const winner = byChain(ra, c).outcome === "mined" ? byChain(ra, c) : byChain(rb, c);
      expect(logs[0]!.transactionHash).toBe(winner.txHash);
      expect(await paused(c)).toBe(true);
      // Nothing stuck behind a gap, and both nonce managers agree with the chain after a head sync.
      expect(await nonceOf(c, keeper.address, "pending")).toBe(await nonceOf(c, keeper.address, "latest"));
      await Promise.all([nmsA[i]!.sync(), nmsB[i]!.sync()]);
      const latest = await nonceOf(c, keeper.address);
      expect(nmsA[i]!.peek()).toBe(latest);
      expect(nmsB[i]!.peek()).toBe(latest);
      // A subsequent transaction from the key works, through either manager.
      expect(await followUpTx(c, keeper, nmsA[i]!)).toBe(latest);
      await nmsB[i]!.sync();
      expect(await followUpTx(c, keeper, nmsB[i]!)).toBe(latest + 1);
    }
    expect([...eventsA, ...eventsB].some((e) => e.type === "pause.failed")).toBe(false);
  });

  it("two executors with DIFFERENT keeper keys pausing at once: both succeed, the breaker pauses exactly once", async () => {
    const nms1 = chains.map((c) => createNonceManager({ client: c.client, address: keeper.address }));
    const nms2 = chains.map((c) => createNonceManager({ client: c.client, address: keeper2.address }));
    const one = createPauseExecutor({
      account: keeper,
      chains: executorChains(nms1),
      fees: FEES,
      pollIntervalMs: 50,
    });
    const two = createPauseExecutor({
      account: keeper2,
      chains: executorChains(nms2),
      fees: FEES,
      pollIntervalMs: 50,
    });
    await Promise.all([one.warm(), two.warm()]);
    const [r1, r2] = await Promise.all([one.pause(request("keeper one")), two.pause(request("keeper two"))]);

    for (const [i, c] of chains.entries()) {
      const pair = [byChain(r1, c), byChain(r2, c)];
      expect(pair.map((r) => r.outcome).sort(), c.name).toEqual(["already_paused", "mined"]);
      const loser = pair.find((r) => r.outcome === "already_paused")!;
      // Both simulated before either mined, so the loser's transaction mined as a harmless no-op.
      if (loser.txHash) {
        expect(loser.alreadyPausedVia).toBe("noop_tx");
        const receipt = await c.client.getTransactionReceipt({ hash: loser.txHash as Hash });
        expect(receipt.status).toBe("success");
      }
      const logs = await pausedEvents(c, i);
      expect(logs).toHaveLength(1);
      expect(logs[0]!.transactionHash).toBe(pair.find((r) => r.outcome === "mined")!.txHash);
      for (const [account, nm] of [
        [keeper, nms1[i]!],
        [keeper2, nms2[i]!],
      ] as const) {
        expect(nm.peek()).toBe(await nonceOf(c, account.address, "pending"));
        await followUpTx(c, account, nm);
      }
    }
  });
});

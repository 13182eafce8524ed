import { connect, createServer, type Server, type Socket } from "node:net";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it, onTestFailed } from "vitest";
import type { BlockRef, Hex } from "../../keeper/engine/types.ts";
import type { KeeperError } from "../../keeper/internal/errors.ts";
import { waitFor } from "../../keeper/internal/waitFor.ts";
import { type ChainClients, createChainClients } from "../../keeper/sources/clients.ts";
import { createHeadTracker, type HeadTracker } from "../../keeper/sources/heads.ts";
import type { BlockHead, SourceEvent } from "../../keeper/sources/types.ts";
import { createLogger } from "../../keeper/telemetry/logger.ts";
import { createMetrics, type KeeperMetrics } from "../../keeper/telemetry/metrics.ts";
import { type HardhatNode, startHardhatNode } from "../helpers/hardhatNode.ts";
import { freePort } from "../helpers/ports.ts";

// The head tracker against real `hardhat node` processes: WebSocket newHeads, the HTTP fallback, and
// reorgs made with evm_snapshot / evm_revert (a transaction in the first replacement block makes its
// hash differ — hardhat re-mines an identical empty block otherwise).

const CHAIN = 31337;

/** Polls `check` every 20 ms until it returns true, or fails at the deadline naming `what`. */
async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  await waitFor(what, async () => (await check()) || undefined, timeoutMs, 20);
}

/** A TCP relay in front of the node's port: lets a test cut, silence and restore the WebSocket only. */
async function startRelay(targetPort: number) {
  const port = await freePort();
  const sockets = new Set<Socket>();
  const silenced = new WeakSet<Socket>();
  let server: Server | undefined;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(targetPort, "127.0.0.1");
        sockets.add(client);
        sockets.add(upstream);
        client.on("data", (d) => upstream.write(d));
        upstream.on("data", (d) => {
          if (!silenced.has(client)) client.write(d);
        });
        const end = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on("error", end).on("close", end);
        upstream.on("error", end).on("close", end);
      });
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
  await listen();
  return {
    url: `ws://127.0.0.1:${port}`,
    /** Drops every connection and refuses new ones (the endpoint is down). */
    async cut() {
      const closed = new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      for (const s of sockets) s.destroy();
      sockets.clear();
      await closed;
    },
    /** Accepts connections again on the same port. */
    restore: listen,
    /** Existing connections stay open but deliver nothing more (a silently dead subscription). */
    silence() {
      for (const s of sockets) silenced.add(s);
    },
    async close() {
      await this.cut();
    },
  };
}

function captureLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: createLogger({ level: "debug", destination }), lines };
}

async function gauge(metric: KeeperMetrics["wsConnected"]): Promise<number | undefined> {
  return (await metric.get()).values.find((v) => v.labels.chain === String(CHAIN))?.value;
}
async function counter(metric: KeeperMetrics["reorgsTotal"]): Promise<number> {
  return (await metric.get()).values.find((v) => v.labels.chain === String(CHAIN))?.value ?? 0;
}

type Harness = {
  node: HardhatNode;
  clients: ChainClients;
  tracker: HeadTracker;
  metrics: KeeperMetrics;
  events: SourceEvent[];
  errors: KeeperError[];
  lines: string[];
  heads: () => BlockHead[];
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

async function harness(opts: {
  node?: HardhatNode;
  wsUrl?: string;
  /** HTTP only (no WebSocket client). */
  httpOnly?: boolean;
  reorgWindow?: number;
  pollIntervalMs?: number;
  wsStallTimeoutMs?: number;
}): Promise<Harness> {
  const node = opts.node ?? (await startHardhatNode({ network: "devnetHome", automine: false }));
  cleanups.push(() => node.stop());
  const { logger, lines } = captureLogger();
  onTestFailed(() => {
    console.error(`tracker log:\n${lines.join("")}`);
  });
  const metrics = createMetrics();
  const clients = createChainClients({
    chainId: CHAIN,
    httpUrl: node.httpUrl,
    wsUrl: opts.httpOnly ? undefined : (opts.wsUrl ?? node.wsUrl),
    logger,
    metrics,
    timeoutMs: 2_000,
    retryCount: 0,
  });
  cleanups.push(() => clients.close());
  const events: SourceEvent[] = [];
  const errors: KeeperError[] = [];
  const tracker = createHeadTracker({
    chainId: CHAIN,
    clients,
    pollIntervalMs: opts.pollIntervalMs ?? 100,
    reorgWindow: opts.reorgWindow ?? 16,
    emit: (e) => events.push(e),
    onError: (e) => errors.push(e),
    logger,
    metrics,
    wsRetryMs: 150,
    wsSubscribeTimeoutMs: 2_000,
    ...(opts.wsStallTimeoutMs === undefined ? {} : { wsStallTimeoutMs: opts.wsStallTimeoutMs }),
  });
  cleanups.push(() => tracker.stop());
  await tracker.start();
  const heads = () => events.filter((e): e is BlockHead => e.type === "block.head");
  return { node, clients, tracker, metrics, events, errors, lines, heads };
}

async function blockAt(node: HardhatNode, n: bigint): Promise<BlockRef & { parentHash: Hex }> {
  const b = await node.rpc<{ number: Hex; hash: Hex; parentHash: Hex }>("eth_getBlockByNumber", [
    `0x${n.toString(16)}`,
    false,
  ]);
  return { number: BigInt(b.number), hash: b.hash, parentHash: b.parentHash };
}

async function headIs(h: Harness, n: bigint) {
  await until(`head ${n}`, () => h.tracker.head()?.number === n);
}

/** Heads emitted so far are consecutive, each linked to the previous one, and each number appears once. */
function expectContiguous(heads: BlockHead[]) {
  for (let i = 1; i < heads.length; i++) {
    expect(heads[i]!.block.number, `head #${i}`).toBe(heads[i - 1]!.block.number + 1n);
    expect(heads[i]!.parentHash, `parent of ${heads[i]!.block.number}`).toBe(heads[i - 1]!.block.hash);
  }
}

/** Makes the next mined block differ from the one it replaces after evm_revert. */
async function sendTx(node: HardhatNode) {
  const [from, to] = await node.rpc<Hex[]>("eth_accounts");
  await node.rpc("eth_sendTransaction", [{ from, to, value: "0x1" }]);
}

describe("head tracker against a real hardhat node", () => {
  it("delivers every block over WebSocket once and in order (manual mining)", async () => {
    const h = await harness({ pollIntervalMs: 60_000 });
    expect(h.tracker.mode()).toBe("ws");
    expect(await gauge(h.metrics.wsConnected)).toBe(1);
    await h.node.mine(30);
    await headIs(h, 30n);
    const numbers = h.heads().map((e) => e.block.number);
    expect(numbers).toEqual(Array.from({ length: 31 }, (_, i) => BigInt(i)));
    expectContiguous(h.heads());
    expect(h.heads().at(-1)!.block).toEqual({ number: 30n, hash: (await blockAt(h.node, 30n)).hash });
    expect(h.events.some((e) => e.type === "block.reorged")).toBe(false);
  });

  it("follows 1 s interval mining over WebSocket with no gaps", async () => {
    const node = await startHardhatNode({ network: "devnetHome" });
    const h = await harness({ node, pollIntervalMs: 60_000 });
    const first = h.tracker.head()!.number;
    await headIs(h, first + 3n);
    expect(h.tracker.mode()).toBe("ws");
    expect(h.heads().map((e) => e.block.number)).toEqual([first, first + 1n, first + 2n, first + 3n]);
    expectContiguous(h.heads());
  });

  it("polls over HTTP with no gaps when no WebSocket URL is configured", async () => {
    const h = await harness({ httpOnly: true, pollIntervalMs: 50 });
    expect(h.tracker.mode()).toBe("polling");
    expect(await gauge(h.metrics.wsConnected)).toBe(0);
    await h.node.mine(7);
    await headIs(h, 7n);
    expect(h.heads().map((e) => e.block.number)).toEqual(Array.from({ length: 8 }, (_, i) => BigInt(i)));
    expectContiguous(h.heads());
  });

  it("falls back to HTTP polling when the WebSocket is cut, returns when it is back, and misses no block", async () => {
    const node = await startHardhatNode({ network: "devnetHome", automine: false });
    const relay = await startRelay(node.port);
    cleanups.push(() => relay.close());
    const h = await harness({ node, wsUrl: relay.url });
    await h.node.mine(3);
    await headIs(h, 3n);
    expect(h.tracker.mode()).toBe("ws");

    await relay.cut();
    await until("the polling fallback", async () => (await gauge(h.metrics.wsConnected)) === 0);
    expect(h.tracker.mode()).toBe("polling");
    await h.node.mine(5);
    await headIs(h, 8n);

    await relay.restore();
    await until("the WebSocket again", async () => (await gauge(h.metrics.wsConnected)) === 1);
    expect(h.tracker.mode()).toBe("ws");
    await h.node.mine(4);
    await headIs(h, 12n);

    expect(h.heads().map((e) => e.block.number)).toEqual(Array.from({ length: 13 }, (_, i) => BigInt(i)));
    expectContiguous(h.heads());
    expect(await counter(h.metrics.rpcErrorsTotal)).toBeGreaterThan(0);
    expect(h.lines.join("")).toContain("fell back to http polling");
  });

  it("detects a silently stalled subscription and recovers the missed blocks over HTTP", async () => {
    const node = await startHardhatNode({ network: "devnetHome", automine: false });
    const relay = await startRelay(node.port);
    cleanups.push(() => relay.close());
    const h = await harness({ node, wsUrl: relay.url, wsStallTimeoutMs: 300, pollIntervalMs: 100 });
    await h.node.mine(2);
    await headIs(h, 2n);

    relay.silence();
    await h.node.mine(3);
    await headIs(h, 5n);
    await until(
      "a fresh subscription",
      async () => h.tracker.mode() === "ws" && h.lines.join("").includes("SubscriptionStalledError"),
    );
    await h.node.mine(2);
    await headIs(h, 7n);

    expect(h.heads().map((e) => e.block.number)).toEqual(Array.from({ length: 8 }, (_, i) => BigInt(i)));
    expectContiguous(h.heads());
  });

  it("emits one block.reorged with the k dropped blocks before the new heads (evm_snapshot / evm_revert)", async () => {
    const h = await harness({ pollIntervalMs: 60_000 });
    await h.node.mine(2);
    const snapshot = await h.node.rpc<Hex>("evm_snapshot");
    const k = 3;
    await h.node.mine(k);
    await headIs(h, 5n);
    const dropped = await Promise.all([3n, 4n, 5n].map((n) => blockAt(h.node, n)));
    const before = h.events.length;

    expect(await h.node.rpc("evm_revert", [snapshot])).toBe(true);
    await sendTx(h.node);
    await h.node.mine(k + 1);
    const newTip = await blockAt(h.node, 6n);
    await until("the new tip", () => h.tracker.head()?.hash === newTip.hash);

    const after = h.events.slice(before);
    const reorgs = after.filter((e) => e.type === "block.reorged");
    expect(reorgs).toHaveLength(1);
    const reorg = reorgs[0]!;
    expect(reorg.type === "block.reorged" && reorg.dropped).toEqual(
      dropped.map((b) => ({ number: b.number, hash: b.hash })),
    );
    expect(after[0]).toBe(reorg);
    const newHeads = after.slice(1) as BlockHead[];
    expect(newHeads.map((e) => e.block.number)).toEqual([3n, 4n, 5n, 6n]);
    const expected = await Promise.all([3n, 4n, 5n, 6n].map((n) => blockAt(h.node, n)));
    expect(newHeads.map((e) => e.block.hash)).toEqual(expected.map((b) => b.hash));
    expect(newHeads[0]!.parentHash).toBe((await blockAt(h.node, 2n)).hash);
    expect(reorg.type === "block.reorged" && newHeads.map((e) => e.block.hash)).toContain(
      reorg.type === "block.reorged" ? reorg.newHead.hash : undefined,
    );
    expectContiguous(newHeads);
    expect(h.tracker.isCanonical(dropped[0]!)).toBe(false);
    expect(h.tracker.isCanonical(expected[0]!)).toBe(true);
    expect(await counter(h.metrics.reorgsTotal)).toBe(1);
    expect(h.errors).toEqual([]);
  });

  it("reports a reorg deeper than the window as REORG_TOO_DEEP and resyncs on the new chain", async () => {
    const h = await harness({ reorgWindow: 3, pollIntervalMs: 60_000 });
    await h.node.mine(1);
    const snapshot = await h.node.rpc<Hex>("evm_snapshot");
    await h.node.mine(5);
    await headIs(h, 6n);
    const window = await Promise.all([4n, 5n, 6n].map((n) => blockAt(h.node, n)));
    const before = h.events.length;

    await h.node.rpc("evm_revert", [snapshot]);
    await sendTx(h.node);
    await h.node.mine(6);
    const newTip = await blockAt(h.node, 7n);
    await until("the new tip", () => h.tracker.head()?.hash === newTip.hash);

    const after = h.events.slice(before);
    const reorgs = after.filter((e) => e.type === "block.reorged");
    expect(reorgs).toHaveLength(1);
    expect(reorgs[0]!.type === "block.reorged" && reorgs[0]!.dropped).toEqual(
      window.map((b) => ({ number: b.number, hash: b.hash })),
    );
    expect(h.errors.map((e) => e.code)).toEqual(["REORG_TOO_DEEP"]);
    expect(await counter(h.metrics.reorgsTotal)).toBe(1);
    expect(h.lines.join("")).toContain("detected reorg deeper than the window");
    const newHeads = after.filter((e): e is BlockHead => e.type === "block.head");
    expectContiguous(newHeads);
    for (const e of newHeads) expect(e.block.hash).toBe((await blockAt(h.node, e.block.number)).hash);
    expect(h.tracker.isCanonical(newTip)).toBe(true);
  });

  it("treats a node restart on the same port (head going backwards) as a reorg and follows the new chain", async () => {
    const first = await startHardhatNode({ network: "devnetHome", automine: false });
    const h = await harness({ node: first, reorgWindow: 16 });
    await first.mine(5);
    await headIs(h, 5n);
    const old = await Promise.all([0n, 1n, 2n, 3n, 4n, 5n].map((n) => blockAt(first, n)));

    await first.stop();
    await until("the polling fallback", () => h.tracker.mode() === "polling");
    const second = await startHardhatNode({ network: "devnetHome", automine: false, port: first.port });
    cleanups.push(() => second.stop());
    await second.mine(2);
    const restartedTip = await blockAt(second, 2n);
    await until("the restarted chain", () => h.tracker.head()?.hash === restartedTip.hash);

    const reorgs = h.events.filter((e) => e.type === "block.reorged");
    expect(reorgs).toHaveLength(1);
    // A restarted hardhat node has a new genesis: every block we held is gone.
    expect(reorgs[0]!.type === "block.reorged" && reorgs[0]!.dropped).toEqual(
      old.map((b) => ({ number: b.number, hash: b.hash })),
    );
    expect(h.errors.map((e) => e.code)).toEqual(["REORG_TOO_DEEP"]);

    await until("the WebSocket on the restarted node", () => h.tracker.mode() === "ws");
    await second.mine(2);
    await headIs(h, 4n);
    const tail = h.events
      .slice(h.events.indexOf(reorgs[0]!))
      .filter((e): e is BlockHead => e.type === "block.head");
    expect(tail.map((e) => e.block.number)).toEqual([0n, 1n, 2n, 3n, 4n]);
    expect(tail[3]!.parentHash).toBe(restartedTip.hash);
    expectContiguous(tail);
  });
});

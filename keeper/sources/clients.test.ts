import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../telemetry/logger.ts";
import { createMetrics } from "../telemetry/metrics.ts";
import {
  assertChainId,
  ChainIdMismatchError,
  createChainClients,
  RpcRequestFailedError,
  redactUrl,
} from "./clients.ts";

type RpcBody = { id: number; method: string; params: unknown[] };
type Reply = { status?: number; body: unknown };

/** A local JSON-RPC endpoint whose replies the test scripts per method. */
async function startRpcServer(reply: (req: RpcBody) => Reply) {
  const seen: { body: RpcBody; headers: IncomingHttpHeaders; url: string }[] = [];
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => {
      raw += d;
    });
    req.on("end", () => {
      const body = JSON.parse(raw) as RpcBody;
      seen.push({ body, headers: req.headers, url: req.url ?? "" });
      const r = reply(body);
      res.writeHead(r.status ?? 200, { "content-type": "application/json" });
      res.end(JSON.stringify(r.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
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
  return { logger: createLogger({ level: "debug", destination }), text: () => lines.join("") };
}

const errorsCounted = async (metrics: ReturnType<typeof createMetrics>, chain: number) =>
  (await metrics.rpcErrorsTotal.get()).values.find((v) => v.labels.chain === String(chain))?.value ?? 0;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

describe("createChainClients", () => {
  it("builds viem clients with a chain object for the id, and no WebSocket client without wsUrl", async () => {
    const server = await startRpcServer((req) => ({
      body: { jsonrpc: "2.0", id: req.id, result: "0x7a69" },
    }));
    closers.push(server.close);
    const { logger } = captureLogger();
    const clients = createChainClients({
      chainId: 31337,
      httpUrl: server.url,
      logger,
      metrics: createMetrics(),
    });
    expect(clients.chainId).toBe(31337);
    expect(clients.http.chain.id).toBe(31337);
    expect(clients.ws).toBeUndefined();
    expect(await clients.http.getChainId()).toBe(31337);
  });

  it("treats a JSON-RPC error envelope inside an HTTP 200 reply as an error and counts it", async () => {
    const server = await startRpcServer((req) => ({
      status: 200,
      body: { jsonrpc: "2.0", id: req.id, error: { code: -32601, message: "the method does not exist" } },
    }));
    closers.push(server.close);
    const metrics = createMetrics();
    const { logger } = captureLogger();
    const clients = createChainClients({ chainId: 10, httpUrl: server.url, logger, metrics, retryCount: 0 });
    await expect(clients.http.getBlockNumber()).rejects.toThrow(/does not exist/);
    expect(await errorsCounted(metrics, 10)).toBe(1);
  });

  it("counts a failed call once after its retries (connection refused)", async () => {
    const server = await startRpcServer(() => ({ body: {} }));
    await server.close();
    const metrics = createMetrics();
    const { logger } = captureLogger();
    const clients = createChainClients({ chainId: 10, httpUrl: server.url, logger, metrics, retryCount: 1 });
    await expect(clients.http.getBlockNumber()).rejects.toThrow(/HTTP request failed/);
    expect(await errorsCounted(metrics, 10)).toBe(1);
  });

  it("does not count an execution-reverted reply as an RPC failure", async () => {
    const server = await startRpcServer((req) => ({
      body: { jsonrpc: "2.0", id: req.id, error: { code: 3, message: "execution reverted", data: "0x" } },
    }));
    closers.push(server.close);
    const metrics = createMetrics();
    const { logger } = captureLogger();
    const clients = createChainClients({ chainId: 10, httpUrl: server.url, logger, metrics, retryCount: 0 });
    await expect(
      clients.http.call({ to: "0x0000000000000000000000000000000000000001", data: "0x" }),
    ).rejects.toThrow(/revert/i);
    expect(await errorsCounted(metrics, 10)).toBe(0);
  });

  it("never logs URL credentials (userinfo, key in the path, key in the query) and sends userinfo as Basic auth", async () => {
    const server = await startRpcServer((req) => ({
      body: { jsonrpc: "2.0", id: req.id, error: { code: -32000, message: "upstream unavailable" } },
    }));
    closers.push(server.close);
    const secrets = ["alice", "s3cretPw", "AbCdEf0123456789AbCdEf0123456789", "q1w2e3r4"];
    const httpUrl = `http://alice:s3cretPw@127.0.0.1:${server.port}/v2/AbCdEf0123456789AbCdEf0123456789?apikey=q1w2e3r4`;
    const wsUrl = `ws://alice:s3cretPw@127.0.0.1:${server.port}/ws/AbCdEf0123456789AbCdEf0123456789`;
    const { logger, text } = captureLogger();
    const clients = createChainClients({
      chainId: 10,
      httpUrl,
      wsUrl,
      logger,
      metrics: createMetrics(),
      retryCount: 0,
    });
    const failure = await clients.http.getBlockNumber().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Error);
    const wrapped = new RpcRequestFailedError({
      chainId: 10,
      method: "eth_blockNumber",
      transport: "http",
      cause: failure,
    });

    expect(server.seen[0]!.headers.authorization).toBe(`Basic ${btoa("alice:s3cretPw")}`);
    expect(text()).toContain("created chain clients");
    expect(text()).toContain("rpc request failed");
    expect(text()).toContain(`http://127.0.0.1:${server.port}`);
    for (const secret of secrets) {
      expect(text(), secret).not.toContain(secret);
      expect(wrapped.message, secret).not.toContain(secret);
    }
  });

  it("reduces a URL to its origin for logs", () => {
    expect(redactUrl("https://u:p@eth.example.com:8443/v3/abc?key=1")).toBe("https://eth.example.com:8443");
    expect(redactUrl("not a url")).toBe("[invalid-url]");
  });
});

describe("assertChainId", () => {
  it("names both chain ids when the endpoint serves another chain", async () => {
    const server = await startRpcServer((req) => ({ body: { jsonrpc: "2.0", id: req.id, result: "0x1" } }));
    closers.push(server.close);
    const { logger } = captureLogger();
    const clients = createChainClients({
      chainId: 31337,
      httpUrl: server.url,
      logger,
      metrics: createMetrics(),
    });
    const error = await assertChainId(clients.http, 31337).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChainIdMismatchError);
    expect((error as ChainIdMismatchError).shortMessage).toBe(
      "RPC endpoint (http) serves chain 1, expected chain 31337.",
    );
    expect(error).toMatchObject({ code: "CHAIN_ID_MISMATCH", expected: 31337, actual: 1, retryable: false });
  });

  it("resolves when the endpoint serves the expected chain", async () => {
    const server = await startRpcServer((req) => ({
      body: { jsonrpc: "2.0", id: req.id, result: "0x7a69" },
    }));
    closers.push(server.close);
    const { logger } = captureLogger();
    const clients = createChainClients({
      chainId: 31337,
      httpUrl: server.url,
      logger,
      metrics: createMetrics(),
    });
    await expect(assertChainId(clients.http, 31337)).resolves.toBeUndefined();
  });

  it("wraps an unreachable endpoint in a retryable RpcRequestFailedError", async () => {
    const server = await startRpcServer(() => ({ body: {} }));
    await server.close();
    const { logger } = captureLogger();
    const clients = createChainClients({
      chainId: 31337,
      httpUrl: server.url,
      logger,
      metrics: createMetrics(),
      retryCount: 0,
    });
    const error = await assertChainId(clients.http, 31337).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcRequestFailedError);
    expect(error).toMatchObject({ code: "RPC_REQUEST_FAILED", retryable: true });
  });
});

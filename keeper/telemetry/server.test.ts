import { request } from "node:http";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createMetrics } from "./metrics.ts";
import { createTelemetryServer, type Probe, type ProbeResult, type TelemetryServer } from "./server.ts";

type Reply = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

function http(port: number, path: string, method = "GET"): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

const servers: TelemetryServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function started(
  overrides: { health?: Probe; ready?: Probe; registry?: Registry; probeTimeoutMs?: number } = {},
) {
  const metrics = createMetrics(new Registry());
  const server = createTelemetryServer({
    host: "127.0.0.1",
    port: 0,
    registry: overrides.registry ?? metrics.registry,
    health: overrides.health ?? (() => ({ ok: true })),
    ready: overrides.ready ?? (() => ({ ok: true })),
    ...(overrides.probeTimeoutMs === undefined ? {} : { probeTimeoutMs: overrides.probeTimeoutMs }),
  });
  servers.push(server);
  const port = await server.start();
  return { server, port, metrics };
}

describe("createTelemetryServer", () => {
  it("binds port 0 to a free port and reports it", async () => {
    const { server, port } = await started();
    expect(port).toBeGreaterThan(0);
    expect(server.port).toBe(port);
  });

  it("GET /metrics serves the registry in Prometheus text format", async () => {
    const { port, metrics } = await started();
    metrics.reserveRatioBps.set({ asset: "dusd" }, 10_050);
    metrics.decisionsTotal.inc({ asset: "dusd", decision: "healthy" });
    const reply = await http(port, "/metrics");
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe(metrics.registry.contentType);
    expect(reply.body).toContain("# TYPE keeper_reserve_ratio_bps gauge");
    expect(reply.body).toContain('keeper_reserve_ratio_bps{asset="dusd"} 10050');
    expect(reply.body).toContain('keeper_decisions_total{asset="dusd",decision="healthy"} 1');
  });

  it("/healthz and /readyz answer 200 with details when ok, 503 when not", async () => {
    let ready: ProbeResult = { ok: false, details: { sources: "backfilling", lagBlocks: 12n } };
    const { port } = await started({
      ready: () => ready,
      health: async () => ({ ok: true, details: { uptimeSeconds: 5 } }),
    });
    const health = await http(port, "/healthz");
    expect(health.status).toBe(200);
    expect(health.headers["content-type"]).toMatch(/^application\/json/);
    expect(JSON.parse(health.body)).toEqual({ status: "ok", ok: true, details: { uptimeSeconds: 5 } });
    const notReady = await http(port, "/readyz");
    expect(notReady.status).toBe(503);
    expect(JSON.parse(notReady.body)).toEqual({
      status: "unavailable",
      ok: false,
      details: { sources: "backfilling", lagBlocks: "12" },
    });
    ready = { ok: true };
    const nowReady = await http(port, "/readyz?verbose=1");
    expect(nowReady.status).toBe(200);
    expect(JSON.parse(nowReady.body)).toEqual({ status: "ok", ok: true, details: {} });
  });

  it("a throwing or hanging probe is a 503, not a crash", async () => {
    const { port } = await started({
      health: () => {
        throw new Error("event loop stalled");
      },
      ready: () => new Promise<ProbeResult>(() => {}),
      probeTimeoutMs: 20,
    });
    const health = await http(port, "/healthz");
    expect(health.status).toBe(503);
    expect(JSON.parse(health.body).details).toEqual({ error: "event loop stalled" });
    const ready = await http(port, "/readyz");
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body).details.error).toMatch(/timed out after 20 ms/);
  });

  it("scrubs secrets from probe details", async () => {
    const { port } = await started({
      ready: () => ({
        ok: false,
        details: { rpc: "https://user:pw-secret@rpc.example.com/v2/abcdefghijklmnopqrstuvwxyz123" },
      }),
    });
    const body = (await http(port, "/readyz")).body;
    expect(body).not.toContain("pw-secret");
    expect(body).not.toContain("abcdefghijklmnopqrstuvwxyz123");
  });

  it("404 for unknown paths, 405 for other methods, HEAD without a body", async () => {
    const { port } = await started();
    const missing = await http(port, "/nope");
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).error).toBe("not found");
    const post = await http(port, "/metrics", "POST");
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET, HEAD");
    const head = await http(port, "/healthz", "HEAD");
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
  });

  it("a registry failure is a 500", async () => {
    const registry = new Registry();
    registry.metrics = () => Promise.reject(new Error("collect failed"));
    const { port } = await started({ registry });
    const reply = await http(port, "/metrics");
    expect(reply.status).toBe(500);
    expect(JSON.parse(reply.body).error).toBe("collect failed");
  });

  it("stop() closes the port (idempotent); start() twice is refused; a busy port rejects start()", async () => {
    const { server, port } = await started();
    await expect(server.start()).rejects.toThrow(/already started/);
    const other = createTelemetryServer({
      host: "127.0.0.1",
      port,
      registry: new Registry(),
      health: () => ({ ok: true }),
      ready: () => ({ ok: true }),
    });
    await expect(other.start()).rejects.toMatchObject({ code: "EADDRINUSE" });
    await server.stop();
    await server.stop();
    expect(server.port).toBeUndefined();
    await expect(http(port, "/healthz")).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});

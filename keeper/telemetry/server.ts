import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import { closeServer, listen, sendJson, sendText } from "../internal/http.ts";
import { scrub } from "./logger.ts";

/** What a probe reports; `details` is JSON-serialised (bigints as strings, secrets scrubbed). */
export type ProbeResult = { readonly ok: boolean; readonly details?: Readonly<Record<string, unknown>> };
export type Probe = () => ProbeResult | Promise<ProbeResult>;

export type TelemetryServerArgs = {
  readonly host: string;
  /** 0 = any free port (start() resolves with the bound one). */
  readonly port: number;
  readonly registry: Registry;
  /** Liveness: is the process healthy (event loop, no fatal state)? GET /healthz. */
  readonly health: Probe;
  /** Readiness: caught up and able to act (sources live, bus connected)? GET /readyz. */
  readonly ready: Probe;
  /** A probe that takes longer counts as failed (default 2000 ms). */
  readonly probeTimeoutMs?: number;
};

export type TelemetryServer = {
  /** Listens; resolves with the bound port. */
  start(): Promise<number>;
  /** Stops listening and closes open connections; safe to call twice. */
  stop(): Promise<void>;
  /** The bound port while listening. */
  readonly port: number | undefined;
};

async function runProbe(probe: Probe, timeoutMs: number): Promise<ProbeResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, details: { error: `probe timed out after ${timeoutMs} ms` } }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([Promise.resolve().then(probe), timeout]);
  } catch (err) {
    return { ok: false, details: { error: err instanceof Error ? err.message : String(err) } };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The keeper's HTTP endpoint on node:http: GET /metrics (Prometheus text format from `registry`),
 * /healthz and /readyz (200 or 503 with `{ status, ok, details }` JSON), 404 elsewhere, 405 for
 * methods other than GET/HEAD.
 */
export function createTelemetryServer({
  host,
  port,
  registry,
  health,
  ready,
  probeTimeoutMs = 2_000,
}: TelemetryServerArgs): TelemetryServer {
  let server: Server | undefined;
  let boundPort: number | undefined;

  async function probeResponse(res: ServerResponse, probe: Probe) {
    const result = await runProbe(probe, probeTimeoutMs);
    const ok = result.ok === true;
    sendJson(res, ok ? 200 : 503, {
      status: ok ? "ok" : "unavailable",
      ok,
      details: scrub(result.details ?? {}),
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? "/").split("?")[0];
    const known = path === "/metrics" || path === "/healthz" || path === "/readyz";
    if (!known) return sendJson(res, 404, { error: "not found", paths: ["/metrics", "/healthz", "/readyz"] });
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      return sendJson(res, 405, { error: "method not allowed" });
    }
    if (path === "/metrics") return sendText(res, 200, registry.contentType, await registry.metrics());
    return probeResponse(res, path === "/healthz" ? health : ready);
  }

  return {
    get port() {
      return boundPort;
    },
    async start() {
      if (server) throw new Error("Telemetry server is already started.");
      const srv = createServer((req, res) => {
        handle(req, res).catch((err: unknown) => {
          if (!res.headersSent)
            sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
          else res.destroy();
        });
      });
      srv.requestTimeout = 10_000;
      server = srv;
      try {
        boundPort = await listen(srv, port, host);
      } catch (err) {
        server = undefined;
        throw err;
      }
      return boundPort;
    },
    stop() {
      const srv = server;
      server = undefined;
      boundPort = undefined;
      if (!srv) return Promise.resolve();
      return closeServer(srv);
    },
  };
}

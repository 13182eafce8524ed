/**
 * The custody HTTP server (node:http, 127.0.0.1 by default): read-only JSON views of the service.
 *
 * - `GET /v1/attestations`: every link, its last verification outcome, when, sha256 expected/actual.
 * - `GET /v1/custody`: per asset: custodian, reported balance, asOf, SOC report and its state, health,
 *   the latest PoR answer and the last dual-source comparison.
 * - `GET /healthz`: 200 `{status: "ok"}` while the service runs, else 503.
 * - `GET /metrics`: Prometheus text of the registry the service's metrics live in.
 *
 * Amounts and unix times are decimal strings (bigints); times also come as ISO-8601 (`…Iso`). 404 for
 * other paths, 405 for methods other than GET/HEAD.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import { closeServer, listen, sendJson, sendText } from "../../internal/http.ts";
import type { AttestationLinkState } from "./attestations.ts";
import type { CustodyAssetView, CustodyService } from "./service.ts";

export type CreateCustodyServerArgs = {
  readonly host: string;
  /** 0 = any free port (start() resolves with the bound one). */
  readonly port: number;
  readonly service: Pick<CustodyService, "assets" | "attestations" | "isRunning">;
  readonly registry: Registry;
};

export type CustodyServer = {
  start(): Promise<number>;
  stop(): Promise<void>;
  readonly port: number | undefined;
};

const PATHS = ["/v1/attestations", "/v1/custody", "/healthz", "/metrics"];

const iso = (s: bigint | undefined) =>
  s === undefined ? undefined : new Date(Number(s) * 1000).toISOString().replace(".000Z", "Z");

/** The /v1/attestations body. */
export function attestationsView(links: readonly AttestationLinkState[]) {
  return {
    attestations: links.map((l) => ({
      assetId: l.assetId,
      url: l.url,
      auditor: l.auditor,
      source: l.source,
      period: {
        start: l.period.start,
        end: l.period.end,
        startIso: iso(l.period.start),
        endIso: iso(l.period.end),
      },
      sha256Expected: l.sha256,
      sha256Actual: l.lastCheck?.actualSha256 ?? null,
      outcome: l.lastCheck?.outcome ?? null,
      checkedAt: l.lastCheck?.checkedAt ?? null,
      checkedAtIso: iso(l.lastCheck?.checkedAt) ?? null,
      httpStatus: l.lastCheck?.httpStatus ?? null,
      bytes: l.lastCheck?.bytes ?? null,
      detail: l.lastCheck?.detail ?? null,
    })),
  };
}

/** The /v1/custody body. */
export function custodyView(assets: readonly CustodyAssetView[]) {
  return {
    assets: assets.map((a) => {
      const r = a.report;
      return {
        assetId: a.assetId,
        custodian: r?.custodian ?? null,
        balance: r ? { amount: r.balance.amount, decimals: r.balance.decimals } : null,
        accounts: r?.accounts ?? null,
        asOf: r?.asOf ?? null,
        asOfIso: iso(r?.asOf) ?? null,
        socReport: r
          ? {
              type: r.soc.type,
              typeII: r.soc.typeII ?? false,
              period: { start: r.soc.period.start, end: r.soc.period.end },
              expiresAt: r.soc.expiresAt,
              expiresAtIso: iso(r.soc.expiresAt),
              state: a.health.soc,
            }
          : null,
        health: a.health,
        lastError: a.lastError ?? null,
        por: a.por
          ? {
              answer: a.por.answer,
              decimals: a.por.feedDecimals,
              updatedAt: a.por.updatedAt,
              updatedAtIso: iso(a.por.updatedAt),
              roundId: a.por.roundId,
              chainId: a.por.chainId,
            }
          : null,
        comparison: a.comparison ?? null,
        pause: a.pause ?? null,
      };
    }),
  };
}

/** Creates the server (not listening before start()). */
export function createCustodyServer(args: CreateCustodyServerArgs): CustodyServer {
  let server: Server | undefined;
  let boundPort: number | undefined;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (!PATHS.includes(path)) return sendJson(res, 404, { error: "not found", paths: PATHS });
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      return sendJson(res, 405, { error: "method not allowed" });
    }
    switch (path) {
      case "/v1/attestations":
        return sendJson(res, 200, attestationsView(args.service.attestations()));
      case "/v1/custody":
        return sendJson(res, 200, custodyView(args.service.assets()));
      case "/healthz": {
        const ok = args.service.isRunning();
        return sendJson(res, ok ? 200 : 503, { status: ok ? "ok" : "unavailable", ok });
      }
      default:
        return sendText(res, 200, args.registry.contentType, await args.registry.metrics());
    }
  }

  return {
    get port() {
      return boundPort;
    },
    async start() {
      if (server) throw new Error("Custody server is already started.");
      const srv = createServer((req, res) => {
        handle(req, res).catch(() => {
          if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
          else res.destroy();
        });
      });
      srv.requestTimeout = 10_000;
      server = srv;
      try {
        boundPort = await listen(srv, args.port, args.host);
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

/**
 * The CCTP transfer service's HTTP API on node:http (127.0.0.1 by default). Contract in README.md:
 *
 *   POST /v1/transfers          {asset, from, to, amount, speed?, maxFee?, recipient?, hook?, version?, requestId?}
 *                               → 202 {transferId, status, created} (the same requestId: the same transfer)
 *   GET  /v1/transfers/{id}     → 200 the transfer: status, burn tx, attestation, receive tx, holds, events
 *   GET  /v1/transfers[?status=held&limit=100]  → 200 {transfers: [...]} (newest last, without events)
 *   POST /v1/transfers/resume   {chain, burnTxHash} → 202 {transferId, status, created}
 *   GET  /healthz               → 200 {status, ok, details: {pausedAssets, held, transfers}} (503 while stopping)
 *
 * Errors: 400 {error: "invalid_request", field, message} naming the field (unknown asset or chain, bad
 * amount, unknown fields, …), 404 unknown id or path, 405, 409 requestId reused with another request,
 * 413 body above the limit, 503 {error: "unavailable"} while the service stops. Amounts in requests are
 * decimal strings in token units ("12.5"); amounts in answers are base units as decimal strings. Request
 * bodies are never logged.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { getAddress, type Hex, isAddress, parseUnits } from "viem";
import { z } from "zod";
import { CctpRouteUnsupportedError, TransferRequestInvalidError } from "../../cctp/transfer/errors.ts";
import { parseHookSpec } from "../../cctp/transfer/hooks.ts";
import type { CctpSetup, CctpTokenRef } from "../../cctp/transfer/setup.ts";
import type { TransferRequest } from "../../cctp/transfer/transferClient.ts";
import { isRetryable, KeeperError } from "../../internal/errors.ts";
import {
  closeServer,
  HttpError,
  invalidField,
  listen,
  parseJsonObject,
  readJsonBody,
  sendJson,
} from "../../internal/http.ts";
import type { Logger } from "../../telemetry/logger.ts";
import { CctpRequestConflictError } from "./errors.ts";
import {
  statusOf,
  TRANSFER_STATUSES,
  type TrackedTransfer,
  type TransferRegistry,
  type TransferStatus,
  transferView,
} from "./transferRegistry.ts";

const DECIMAL = /^(0|[1-9][0-9]{0,59})(\.[0-9]{1,36})?$/;
const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const decimalField = z
  .string({ error: 'must be a decimal string of token units, e.g. "12.5"' })
  .regex(DECIMAL, { error: 'must be a decimal string of token units, e.g. "12.5"' });

const transferBody = z.strictObject({
  asset: z.string({ error: 'must be an asset id or "usdc"' }).min(1).max(64),
  from: z.string({ error: "must be a CCTP chain name" }).min(1).max(64),
  to: z.string({ error: "must be a CCTP chain name" }).min(1).max(64),
  amount: decimalField,
  speed: z.enum(["standard", "fast"], { error: "must be standard or fast" }).optional(),
  maxFee: decimalField.optional(),
  recipient: z
    .string({ error: "must be an address" })
    .refine((v) => isAddress(v, { strict: false }) && (v === v.toLowerCase() || isAddress(v)), {
      error: "must be a 0x-prefixed 20-byte hex address (lower case or a correct EIP-55 checksum)",
    })
    .optional(),
  hook: z.string({ error: 'must be "treasury:<account>"' }).max(128).optional(),
  version: z.union([z.literal(1), z.literal(2)], { error: "must be 1 or 2" }).optional(),
  requestId: z
    .string({ error: "must be a string" })
    .regex(REQUEST_ID, {
      error: "must be 1-128 characters: letters, digits, '.', '_', '-' (starting with a letter or digit)",
    })
    .optional(),
});

const resumeBody = z.strictObject({
  chain: z.string({ error: "must be a CCTP chain name" }).min(1).max(64),
  burnTxHash: z
    .string({ error: "must be a transaction hash" })
    .regex(/^0x[0-9a-fA-F]{64}$/, { error: "must be a transaction hash (0x + 64 hex digits)" }),
});

/** What request validation needs to know about the configuration. */
export type TransferRequestContext = {
  readonly setup: Pick<CctpSetup, "chains" | "assets" | "chainByName">;
  /** Decimals of `token` on chain `chain` (undefined: the token does not live there). */
  readonly decimals: (token: CctpTokenRef, chain: string) => number | undefined;
};

function chainField(ctx: TransferRequestContext, field: string, name: string): void {
  if (ctx.setup.chainByName(name) === undefined) {
    throw invalidField(
      field,
      `Field ${field} is not a CCTP chain ("${name}"); chains: ${ctx.setup.chains.map((c) => c.chain).join(", ")}.`,
    );
  }
}

function amountIn(field: string, text: string, decimals: number): bigint {
  if ((text.split(".")[1] ?? "").length > decimals)
    throw invalidField(field, `Field ${field} has more than ${decimals} decimals ("${text}").`);
  return parseUnits(text, decimals);
}

/** Validates a POST /v1/transfers body into a transfer request; HttpError 400 naming the field. */
export function parseTransferRequest(body: unknown, ctx: TransferRequestContext): TransferRequest {
  const b = parseJsonObject(transferBody, body);
  const token: CctpTokenRef = b.asset === "usdc" ? { type: "usdc" } : { type: "asset", assetId: b.asset };
  if (token.type === "asset" && !ctx.setup.assets.some((a) => a.id === b.asset)) {
    const known = ["usdc", ...ctx.setup.assets.map((a) => a.id)].join(", ");
    throw invalidField("asset", `Field asset is not a CCTP asset ("${b.asset}"); assets: ${known}.`);
  }
  chainField(ctx, "from", b.from);
  chainField(ctx, "to", b.to);
  if (b.from === b.to) throw invalidField("to", `Field to must differ from from ("${b.to}").`);
  const decimals = ctx.decimals(token, b.from);
  if (decimals === undefined)
    throw invalidField("asset", `Field asset ${b.asset} does not live on chain ${b.from} (field from).`);
  if (ctx.decimals(token, b.to) === undefined)
    throw invalidField("asset", `Field asset ${b.asset} does not live on chain ${b.to} (field to).`);
  const amount = amountIn("amount", b.amount, decimals);
  if (amount === 0n) throw invalidField("amount", "Field amount must be above 0.");
  const speed = b.speed ?? "standard";
  const maxFee = b.maxFee === undefined ? undefined : amountIn("maxFee", b.maxFee, decimals);
  if (maxFee !== undefined && speed !== "fast")
    throw invalidField("maxFee", "Field maxFee only applies to fast transfers (speed fast).");
  let hook: TransferRequest["hook"];
  if (b.hook !== undefined) {
    try {
      hook = parseHookSpec(b.hook);
    } catch (err) {
      if (err instanceof TransferRequestInvalidError) throw invalidField("hook", err.shortMessage);
      throw err;
    }
  }
  return {
    token,
    from: b.from,
    to: b.to,
    amount,
    speed,
    maxFee,
    recipient: b.recipient === undefined ? undefined : getAddress(b.recipient.toLowerCase()),
    hook,
    version: b.version,
    requestId: b.requestId,
  };
}

/** Validates a POST /v1/transfers/resume body; HttpError 400 naming the field. */
export function parseResumeRequest(
  body: unknown,
  ctx: Pick<TransferRequestContext, "setup">,
): { chain: string; burnTxHash: Hex } {
  const b = parseJsonObject(resumeBody, body);
  chainField(ctx as TransferRequestContext, "chain", b.chain);
  return { chain: b.chain, burnTxHash: b.burnTxHash.toLowerCase() as Hex };
}

/** Parses GET /v1/transfers query parameters. */
export function parseListQuery(params: URLSearchParams): { status?: TransferStatus; limit: number } {
  for (const key of params.keys()) {
    if (key !== "status" && key !== "limit")
      throw invalidField(key, `Query parameter ${key} is not allowed.`);
  }
  const status = params.get("status") ?? undefined;
  if (status !== undefined && !(TRANSFER_STATUSES as readonly string[]).includes(status)) {
    throw invalidField("status", `Query parameter status must be one of ${TRANSFER_STATUSES.join(", ")}.`);
  }
  const limitText = params.get("limit") ?? "100";
  const limit = Number(limitText);
  if (!/^[0-9]{1,5}$/.test(limitText) || limit < 1 || limit > 10_000)
    throw invalidField(
      "limit",
      `Query parameter limit must be an integer from 1 to 10000, got "${limitText}".`,
    );
  return { ...(status === undefined ? {} : { status: status as TransferStatus }), limit };
}

export type CctpTransferApiArgs = TransferRequestContext & {
  readonly host: string;
  /** 0 = any free port. */
  readonly port: number;
  readonly maxBodyBytes: number;
  readonly registry: TransferRegistry;
  readonly health: () => { ok: boolean; details: Record<string, unknown> };
  readonly logger: Logger;
};

export type CctpTransferApi = {
  /** Listens; resolves with the bound port. */
  start(): Promise<number>;
  /** From now on every request but GET /healthz and GET /v1/transfers… answers 503 (shutting down). */
  drain(): void;
  /** Stops listening and closes connections; safe to call twice. */
  stop(): Promise<void>;
  readonly port: number | undefined;
};

const methodNotAllowed = (allow: string) => new HttpError(405, { error: "method_not_allowed", allow });

export function createCctpTransferApi(args: CctpTransferApiArgs): CctpTransferApi {
  const log = args.logger.child({ component: "cctp_api" });
  let server: Server | undefined;
  let boundPort: number | undefined;
  let draining = false;
  const chainName = (chainId: number) =>
    args.setup.chains.find((c) => c.chainId === chainId)?.chain ?? String(chainId);

  function notWhileDraining(): void {
    if (draining)
      throw new HttpError(503, { error: "unavailable", message: "The transfer service is shutting down." });
  }

  function accepted(res: ServerResponse, t: TrackedTransfer, created: boolean) {
    sendJson(
      res,
      202,
      { transferId: t.transferId, status: statusOf(t), created },
      { location: `/v1/transfers/${encodeURIComponent(t.transferId)}` },
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname;
    const read = method === "GET" || method === "HEAD";
    if (path === "/healthz") {
      if (!read) throw methodNotAllowed("GET, HEAD");
      const h = args.health();
      const ok = h.ok && !draining;
      return sendJson(res, ok ? 200 : 503, { status: ok ? "ok" : "unavailable", ok, details: h.details });
    }
    if (path === "/v1/transfers") {
      if (method === "POST") {
        notWhileDraining();
        const request = parseTransferRequest(await readJsonBody(req, args.maxBodyBytes), args);
        const { transfer, created } = args.registry.submit(request);
        if (created) {
          log.info(
            {
              transfer_id: transfer.transferId,
              asset: transfer.request.type === "transfer" ? transfer.request.asset : undefined,
              from: request.from,
              to: request.to,
              amount: request.amount,
              speed: request.speed,
            },
            "cctp transfer accepted",
          );
        }
        return accepted(res, transfer, created);
      }
      if (!read) throw methodNotAllowed("GET, HEAD, POST");
      const { status, limit } = parseListQuery(url.searchParams);
      const list = args.registry.list(status).slice(-limit);
      return sendJson(res, 200, { transfers: list.map((t) => transferView(t, chainName)) });
    }
    if (path === "/v1/transfers/resume" && method === "POST") {
      notWhileDraining();
      const body = parseResumeRequest(await readJsonBody(req, args.maxBodyBytes), args);
      const { transfer, created } = args.registry.resume(body);
      if (created) {
        log.info(
          { transfer_id: transfer.transferId, chain: body.chain, burn_tx_hash: body.burnTxHash },
          "cctp transfer resume accepted",
        );
      }
      return accepted(res, transfer, created);
    }
    if (path.startsWith("/v1/transfers/") && path.split("/").length === 4) {
      if (!read) throw methodNotAllowed(path === "/v1/transfers/resume" ? "GET, HEAD, POST" : "GET, HEAD");
      let id: string;
      try {
        id = decodeURIComponent(path.slice("/v1/transfers/".length));
      } catch {
        throw invalidField("id", "The transfer id in the path is not valid percent-encoding.");
      }
      const t = args.registry.get(id);
      if (t === undefined)
        throw new HttpError(404, { error: "not_found", message: `Transfer ${id} does not exist.` });
      return sendJson(res, 200, transferView(t, chainName, { full: true }));
    }
    throw new HttpError(404, { error: "not_found", message: `No endpoint ${path}.` });
  }

  function fail(res: ServerResponse, err: unknown) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof HttpError) {
      if (err.status === 405) res.setHeader("allow", String(err.body.allow));
      return sendJson(res, err.status, err.body);
    }
    if (err instanceof TransferRequestInvalidError)
      return sendJson(res, 400, { error: "invalid_request", field: err.field, message: err.shortMessage });
    if (err instanceof CctpRouteUnsupportedError)
      return sendJson(res, 400, { error: "invalid_request", field: "to", message: err.shortMessage });
    if (err instanceof CctpRequestConflictError)
      return sendJson(res, 409, { error: "conflict", field: "requestId", message: err.shortMessage });
    if (isRetryable(err)) {
      log.warn({ err }, "cctp request failed for now");
      return sendJson(res, 503, {
        error: "unavailable",
        code: err instanceof KeeperError ? err.code : undefined,
        message: err instanceof KeeperError ? err.shortMessage : "Temporarily unavailable.",
      });
    }
    log.error({ err }, "cctp request failed");
    return sendJson(res, 500, {
      error: "internal",
      code: err instanceof KeeperError ? err.code : undefined,
      message: err instanceof KeeperError ? err.shortMessage : "Internal error.",
    });
  }

  return {
    get port() {
      return boundPort;
    },
    drain() {
      draining = true;
    },
    async start() {
      if (server) throw new Error("The CCTP transfer API is already started.");
      const srv = createServer((req, res) => {
        handle(req, res).catch((err: unknown) => fail(res, err));
      });
      srv.requestTimeout = 30_000;
      server = srv;
      try {
        boundPort = await listen(srv, args.port, args.host);
      } catch (err) {
        server = undefined;
        throw err;
      }
      log.info({ host: args.host, port: boundPort }, "cctp transfer api listening");
      return boundPort;
    },
    stop() {
      const srv = server;
      server = undefined;
      boundPort = undefined;
      draining = true;
      if (!srv) return Promise.resolve();
      return closeServer(srv, 2_000);
    },
  };
}

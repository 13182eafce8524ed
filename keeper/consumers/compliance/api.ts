/**
 * The compliance HTTP API on node:http (127.0.0.1 by default). Contract in README.md:
 *
 *   POST /v1/compliance/check          {account, asset, operation, amount, ip?} → 200 decision
 *   GET  /healthz                      200 when serving (breakers read), else 503
 *   POST /v1/onramp/quotes             {asset, recipient, fiatAmount} → 201 quote
 *   POST /v1/onramp/orders             {quoteId, idempotencyKey} → 201 new / 200 existing order
 *   POST /v1/onramp/orders/{id}/settle (settlement "devnet" only) → 200 order
 *   GET  /v1/onramp/orders/{id}        → 200 order
 *
 * Errors: 400 {error: "invalid_request", field, message} naming the field (unknown asset, bad address,
 * negative or non-integer amount, unknown operation, unknown fields, …), 404 / 405 / 409 / 413, 503
 * {error: "unavailable"} when the decision could not be audited or a chain write failed for now.
 * Bigints travel as decimal strings. Request bodies (which may carry an ip) are never logged.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { isIP } from "node:net";
import { getAddress, isAddress } from "viem";
import { z } from "zod";
import { COMPLIANCE_OPERATIONS } from "../../bus/schemas.ts";
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
import type { ComplianceDecider } from "./decider.ts";
import { ComplianceInputError, OnRampConflictError, OnRampNotFoundError } from "./errors.ts";
import type { AssetRules, OnRampOrder, OnRampProvider, OnRampQuote } from "./types.ts";

const UINT256_MAX = 2n ** 256n - 1n;

const addressField = z
  .string()
  .refine((v) => isAddress(v, { strict: false }) && (v === v.toLowerCase() || isAddress(v)), {
    error: "must be a 0x-prefixed 20-byte hex address (lower case or a correct EIP-55 checksum)",
  });

const baseUnits = z.string({ error: "must be a string of token base units" }).superRefine((v, ctx) => {
  if (!/^(0|[1-9][0-9]{0,77})$/.test(v)) {
    ctx.addIssue({
      code: "custom",
      message: "must be a non-negative integer of token base units, as a string",
    });
  } else if (BigInt(v) > UINT256_MAX) {
    ctx.addIssue({ code: "custom", message: "must fit in uint256" });
  }
});

const checkBody = z.strictObject({
  account: addressField,
  asset: z.string().min(1).max(64),
  operation: z.enum(COMPLIANCE_OPERATIONS, { error: `must be one of ${COMPLIANCE_OPERATIONS.join(", ")}` }),
  amount: baseUnits,
  ip: z
    .string()
    .max(64)
    .refine((v) => isIP(v) !== 0, { error: "must be an IPv4 or IPv6 address" })
    .optional(),
});

const quoteBody = z.strictObject({
  asset: z.string().min(1).max(64),
  recipient: addressField,
  fiatAmount: z.string({ error: "must be a decimal string" }).max(32),
});

const orderBody = z.strictObject({
  quoteId: z.string().min(1).max(128),
  idempotencyKey: z.string({ error: "must be a string" }).max(128),
});

export type ComplianceApiArgs = {
  readonly host: string;
  /** 0 = any free port. */
  readonly port: number;
  readonly maxBodyBytes: number;
  readonly rules: ReadonlyMap<string, AssetRules>;
  readonly decider: Pick<ComplianceDecider, "decide">;
  readonly onRamp?: OnRampProvider | undefined;
  /** Enables POST /v1/onramp/orders/{id}/settle. */
  readonly devnetSettlement: boolean;
  readonly health: () => { ok: boolean; details: Record<string, unknown> };
  readonly logger: Logger;
};

export type ComplianceApi = {
  start(): Promise<number>;
  stop(): Promise<void>;
  readonly port: number | undefined;
};

export function quoteJson(q: OnRampQuote) {
  const minor = (v: bigint) => `${v / 100n}.${(v % 100n).toString().padStart(2, "0")}`;
  return {
    quoteId: q.quoteId,
    asset: q.assetId,
    recipient: q.recipient,
    fiatCurrency: q.fiatCurrency,
    fiatAmount: minor(q.fiatAmountMinor),
    fee: minor(q.feeMinor),
    tokenAmount: q.tokenAmount,
    expiresAt: new Date(Number(q.expiresAt) * 1000).toISOString(),
  };
}

export function orderJson(o: OnRampOrder) {
  const base = {
    orderId: o.orderId,
    status: o.status,
    idempotencyKey: o.idempotencyKey,
    quote: quoteJson(o.quote),
  };
  switch (o.status) {
    case "awaiting_payment":
      return base;
    case "minting":
      return { ...base, decisionId: o.decisionId, ...(o.txHash ? { txHash: o.txHash } : {}) };
    case "minted":
      return {
        ...base,
        decisionId: o.decisionId,
        txHash: o.txHash,
        blockNumber: o.blockNumber,
        chainId: o.chainId,
      };
    case "failed":
      return { ...base, failure: o.failure };
    default:
      return o satisfies never;
  }
}

export function createComplianceApi(args: ComplianceApiArgs): ComplianceApi {
  const log = args.logger.child({ component: "compliance_api" });
  let server: Server | undefined;
  let boundPort: number | undefined;

  async function check(req: IncomingMessage, res: ServerResponse) {
    const body = parseJsonObject(checkBody, await readJsonBody(req, args.maxBodyBytes));
    if (!args.rules.has(body.asset)) {
      throw invalidField(
        "asset",
        `Field asset is not a configured asset ("${body.asset}"); assets: ${[...args.rules.keys()].join(", ")}.`,
      );
    }
    const decision = await args.decider.decide({
      account: getAddress(body.account.toLowerCase()),
      assetId: body.asset,
      operation: body.operation,
      amount: BigInt(body.amount),
      ip: body.ip,
      origin: "api",
    });
    sendJson(res, 200, {
      allowed: decision.allowed,
      reasons: decision.reasons,
      decisionId: decision.decisionId,
      asset: decision.assetId,
      operation: decision.operation,
    });
  }

  async function onRampRoute(method: string, parts: string[], req: IncomingMessage, res: ServerResponse) {
    const onRamp = args.onRamp;
    if (!onRamp) throw new HttpError(404, { error: "not_found", message: "The on-ramp is not enabled." });
    // parts: ["quotes"] | ["orders"] | ["orders", id] | ["orders", id, "settle"]
    if (parts.length === 1 && parts[0] === "quotes") {
      if (method !== "POST") throw methodNotAllowed("POST");
      const body = parseJsonObject(quoteBody, await readJsonBody(req, args.maxBodyBytes));
      const quote = await onRamp.quote({
        assetId: body.asset,
        recipient: getAddress(body.recipient.toLowerCase()),
        fiatAmount: body.fiatAmount,
      });
      return sendJson(res, 201, quoteJson(quote));
    }
    if (parts.length === 1 && parts[0] === "orders") {
      if (method !== "POST") throw methodNotAllowed("POST");
      const body = parseJsonObject(orderBody, await readJsonBody(req, args.maxBodyBytes));
      const order = await onRamp.order({ quoteId: body.quoteId, idempotencyKey: body.idempotencyKey });
      // 201 for the request that created the order, 200 when the idempotency key returned it again.
      const created = !ordersServed.has(order.orderId);
      ordersServed.add(order.orderId);
      return sendJson(res, created ? 201 : 200, orderJson(order));
    }
    if (parts.length === 2 && parts[0] === "orders") {
      if (method !== "GET" && method !== "HEAD") throw methodNotAllowed("GET, HEAD");
      const order = onRamp.get(parts[1]!);
      if (!order)
        throw new HttpError(404, {
          error: "not_found",
          message: `On-ramp order ${parts[1]} does not exist.`,
        });
      return sendJson(res, 200, orderJson(order));
    }
    if (parts.length === 3 && parts[0] === "orders" && parts[2] === "settle") {
      if (!args.devnetSettlement) {
        throw new HttpError(404, {
          error: "not_found",
          message: "Settlement on demand exists on the devnet only.",
        });
      }
      if (method !== "POST") throw methodNotAllowed("POST");
      const order = await onRamp.settle(parts[1]!);
      return sendJson(res, 200, orderJson(order));
    }
    throw new HttpError(404, { error: "not_found", message: "No such on-ramp endpoint." });
  }
  const ordersServed = new Set<string>();

  const methodNotAllowed = (allow: string) => new HttpError(405, { error: "method_not_allowed", allow });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const method = req.method ?? "GET";
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path === "/v1/compliance/check") {
      if (method !== "POST") throw methodNotAllowed("POST");
      return check(req, res);
    }
    if (path === "/healthz") {
      if (method !== "GET" && method !== "HEAD") throw methodNotAllowed("GET, HEAD");
      const h = args.health();
      return sendJson(res, h.ok ? 200 : 503, {
        status: h.ok ? "ok" : "unavailable",
        ok: h.ok,
        details: h.details,
      });
    }
    if (path.startsWith("/v1/onramp/")) {
      const parts = path.slice("/v1/onramp/".length).split("/").map(decodeURIComponent);
      return onRampRoute(method, parts, req, res);
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
    if (err instanceof ComplianceInputError) {
      return sendJson(res, 400, { error: "invalid_request", field: err.field, message: err.shortMessage });
    }
    if (err instanceof OnRampNotFoundError)
      return sendJson(res, 404, { error: "not_found", message: err.shortMessage });
    if (err instanceof OnRampConflictError)
      return sendJson(res, 409, { error: "conflict", message: err.shortMessage });
    if (isRetryable(err)) {
      log.warn({ err }, "compliance request failed for now");
      return sendJson(res, 503, {
        error: "unavailable",
        code: err instanceof KeeperError ? err.code : undefined,
        message: err instanceof KeeperError ? err.shortMessage : "Temporarily unavailable.",
      });
    }
    log.error({ err }, "compliance request failed");
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
    async start() {
      if (server) throw new Error("Compliance API is already started.");
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
      log.info({ host: args.host, port: boundPort }, "compliance api listening");
      return boundPort;
    },
    stop() {
      const srv = server;
      server = undefined;
      boundPort = undefined;
      if (!srv) return Promise.resolve();
      return closeServer(srv, 2_000);
    },
  };
}

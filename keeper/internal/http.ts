import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { z } from "zod";
import { NonRetryableError } from "./errors.ts";

/**
 * The small HTTP toolkit every JSON endpoint of the project uses (keeper/telemetry/server.ts, the
 * compliance, custody and CCTP service APIs, the devnet attestation service): JSON answers with bigints
 * as decimal strings, bounded JSON bodies, zod validation answered as a 400 naming the field, and
 * listen/close of a node:http server. No framework: each API routes by hand.
 */

/** A request an API refuses: the status and the JSON body to answer with. */
export class HttpError extends NonRetryableError {
  declare readonly code: "HTTP_REQUEST_REFUSED";
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
  constructor(status: number, body: Record<string, unknown>) {
    super({
      shortMessage: String(body.message ?? body.error ?? `HTTP ${status}`),
      code: "HTTP_REQUEST_REFUSED",
      details: { status },
    });
    this.status = status;
    this.body = body;
  }
}

/** 400 `{ error: "invalid_request", field, message }`. */
export const invalidField = (field: string, message: string) =>
  new HttpError(400, { error: "invalid_request", field, message });

/** JSON text of an answer: bigints as decimal strings, one trailing newline. */
export function toJsonText(value: unknown): string {
  return `${JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString(10) : v))}\n`;
}

/** Answers with `body` (text, as is) and `contentType`; never cached. */
export function sendText(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(body);
}

/** Answers with `body` as JSON (bigints as decimal strings). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendText(res, status, "application/json; charset=utf-8", toJsonText(body), headers);
}

/** The request body parsed as JSON; 413 beyond `maxBytes` (declared or streamed), 400 if not JSON. */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const tooLarge = () =>
    new HttpError(413, { error: "payload_too_large", message: `Body exceeds ${maxBytes} bytes.` });
  if (Number(req.headers["content-length"] ?? 0) > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw invalidField("(body)", "Body is not valid JSON.");
  }
}

/** The first zod issue as a 400 naming the field (an unknown key names itself, a missing one "is required"). */
export function badRequestOf(error: z.ZodError, body: Record<string, unknown>): HttpError {
  const issue = error.issues[0];
  if (issue?.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "(body)";
    return invalidField(key, `Field ${key} is not allowed.`);
  }
  const field = issue?.path.length ? issue.path.join(".") : "(body)";
  const missing =
    issue?.code === "invalid_type" && issue.path.length === 1 && !(String(issue.path[0]) in body);
  const reason = missing ? "is required" : (issue?.message ?? "is invalid");
  const said = reason.startsWith("is ") || reason.startsWith("must") ? reason : `is invalid: ${reason}`;
  return invalidField(field, `Field ${field} ${said}.`);
}

/** A JSON object body validated by `schema`; HttpError 400 naming the field otherwise. */
export function parseJsonObject<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalidField("(body)", "Body must be a JSON object.");
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw badRequestOf(parsed.error, body as Record<string, unknown>);
  return parsed.data;
}

/** Starts listening; resolves with the bound port (useful with port 0), rejects on a bind error. */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Stops listening: idle connections close now, busy ones after `graceMs` (0 = now). Resolves when the
 * server has closed; closing a server that is not running is not an error.
 */
export function closeServer(server: Server, graceMs = 0): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((err) =>
      err && (err as NodeJS.ErrnoException).code !== "ERR_SERVER_NOT_RUNNING" ? reject(err) : resolve(),
    );
    server.closeIdleConnections();
    if (graceMs <= 0) server.closeAllConnections();
    else setTimeout(() => server.closeAllConnections(), graceMs).unref();
  });
}

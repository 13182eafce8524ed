/**
 * The HTTP custody provider: `GET <url>/v1/reports/<assetId>` returning the report JSON (README.md has
 * the contract). One call = up to `maxAttempts` requests: network errors, timeouts, 429 and 5xx are
 * retried with exponential backoff (equal jitter; Retry-After honoured up to backoffMaxMs); any other
 * non-2xx fails at once; redirects are not followed (a bearer token must not travel to another host).
 */
import { parseRetryAfter } from "../../alerts/http.ts";
import { httpUrlProblem } from "../../config/fields.ts";
import { InvalidArgumentError } from "../../internal/errors.ts";
import type { FetchLike } from "./attestations.ts";
import {
  CustodyProviderRejectedError,
  CustodyProviderUnavailableError,
  CustodyReportInvalidError,
} from "./errors.ts";
import { parseCustodyReportJson } from "./report.ts";
import type { CustodyProvider, CustodyReport } from "./types.ts";

export type CreateHttpCustodyProviderArgs = {
  /** Base URL (http/https, no credentials); reports are at `<url>/v1/reports/<assetId>`. */
  readonly url: string;
  /** Sent as `Authorization: Bearer <token>` (never logged, never in errors). */
  readonly token?: string | undefined;
  /** Per request, ms (the whole exchange, body included). */
  readonly timeoutMs: number;
  /** Requests per call, the first included. */
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** Larger bodies are rejected (CustodyReportInvalidError on field `(body)`). */
  readonly maxResponseBytes: number;
  readonly fetch?: FetchLike | undefined;
  /** Jitter source in [0, 1) (default Math.random). */
  readonly random?: (() => number) | undefined;
  /** Waits between attempts (default setTimeout; tests inject one). */
  readonly sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
};

const PROVIDER = "http";
const USER_AGENT = "reserve-keeper-custody/1";

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

function systemErrorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let i = 0; i < 5 && current instanceof Error; i++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === "string") return code;
    current = current.cause;
  }
  return undefined;
}

/** Reads a body up to `max` bytes; undefined when it is larger. */
async function readCapped(response: Response, max: number): Promise<string | undefined> {
  const announced = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(announced) && announced > max) {
    await response.body?.cancel().catch(() => {});
    return undefined;
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Creates the HTTP provider; the URL is checked here (http/https, no credentials). */
export function createHttpCustodyProvider(args: CreateHttpCustodyProviderArgs): CustodyProvider {
  const problem = httpUrlProblem(args.url);
  if (problem) throw new InvalidArgumentError({ name: "url", reason: problem });
  for (const [name, value, min] of [
    ["timeoutMs", args.timeoutMs, 1],
    ["maxAttempts", args.maxAttempts, 1],
    ["backoffBaseMs", args.backoffBaseMs, 0],
    ["backoffMaxMs", args.backoffMaxMs, 0],
    ["maxResponseBytes", args.maxResponseBytes, 1],
  ] as const) {
    if (!Number.isInteger(value) || value < min) {
      throw new InvalidArgumentError({ name, reason: `must be an integer >= ${min}`, value });
    }
  }
  const base = args.url.replace(/\/+$/, "");
  const doFetch = args.fetch ?? globalThis.fetch;
  const random = args.random ?? Math.random;
  const sleep = args.sleep ?? defaultSleep;

  async function attempt(assetId: string, outer: AbortSignal | undefined): Promise<CustodyReport> {
    const timeout = AbortSignal.timeout(args.timeoutMs);
    const signal = outer ? AbortSignal.any([timeout, outer]) : timeout;
    const headers: Record<string, string> = { accept: "application/json", "user-agent": USER_AGENT };
    if (args.token) headers.authorization = `Bearer ${args.token}`;
    let response: Response;
    let body: string | undefined;
    try {
      response = await doFetch(`${base}/v1/reports/${encodeURIComponent(assetId)}`, {
        method: "GET",
        headers,
        redirect: "manual",
        signal,
      });
      const ok = response.status >= 200 && response.status < 300;
      body = ok ? await readCapped(response, args.maxResponseBytes) : "";
      if (!ok) await response.body?.cancel().catch(() => {});
    } catch (err) {
      if (signal.aborted)
        throw new CustodyProviderUnavailableError({ provider: PROVIDER, assetId, reason: "timeout" });
      const errorCode = systemErrorCode(err);
      throw new CustodyProviderUnavailableError({
        provider: PROVIDER,
        assetId,
        reason: "network",
        ...(errorCode ? { errorCode } : {}),
      });
    }
    const { status } = response;
    if (status >= 200 && status < 300) {
      if (body === undefined) {
        throw new CustodyReportInvalidError({
          assetId,
          field: "(body)",
          reason: `is larger than ${args.maxResponseBytes} bytes`,
        });
      }
      return parseCustodyReportJson(assetId, body);
    }
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), Date.now());
    const retry = retryAfterMs === undefined ? {} : { retryAfterMs };
    if (status === 429)
      throw new CustodyProviderUnavailableError({
        provider: PROVIDER,
        assetId,
        reason: "http_429",
        status,
        ...retry,
      });
    if (status >= 500)
      throw new CustodyProviderUnavailableError({
        provider: PROVIDER,
        assetId,
        reason: "http_5xx",
        status,
        ...retry,
      });
    const reason =
      status === 404
        ? "no report for this asset (HTTP 404)"
        : status === 401 || status === 403
          ? `not authorised (HTTP ${status}); check the token variable`
          : status >= 300 && status < 400
            ? `redirect (HTTP ${status}) not followed`
            : `HTTP ${status}`;
    throw new CustodyProviderRejectedError({ provider: PROVIDER, assetId, reason, status });
  }

  return {
    kind: "http",
    async getReport(assetId, options = {}) {
      for (let n = 1; ; n++) {
        try {
          return await attempt(assetId, options.signal);
        } catch (err) {
          if (
            !(err instanceof CustodyProviderUnavailableError) ||
            n >= args.maxAttempts ||
            options.signal?.aborted
          ) {
            if (err instanceof CustodyProviderUnavailableError && n > 1) {
              throw new CustodyProviderUnavailableError({
                provider: PROVIDER,
                assetId,
                reason: err.reason as "timeout" | "network" | "http_429" | "http_5xx",
                ...(err.status === undefined ? {} : { status: err.status }),
                attempts: n,
              });
            }
            throw err;
          }
          const exp = Math.min(args.backoffMaxMs, args.backoffBaseMs * 2 ** (n - 1));
          const delay =
            err.retryAfterMs !== undefined
              ? Math.min(err.retryAfterMs, args.backoffMaxMs)
              : Math.floor(exp / 2 + (random() * exp) / 2);
          await sleep(delay, options.signal);
        }
      }
    },
  };
}

import { AlertRejectedError, AlertSinkUnavailableError } from "./errors.ts";

/** The part of `fetch` the sinks use (tests inject one). */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export type PostJsonArgs = {
  /** Sink name, for errors. */
  readonly sink: string;
  readonly url: string;
  /** The serialized body, sent byte for byte (a signature may cover it). */
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly signal: AbortSignal;
  readonly fetch?: FetchLike | undefined;
  /** Strings to remove from a rejection's body before it goes into the error. */
  readonly secrets?: readonly string[] | undefined;
  /** Clock for Retry-After dates, unix ms. */
  readonly now?: (() => number) | undefined;
};

const USER_AGENT = "reserve-keeper-alerts/1";
const BODY_SNIPPET = 200;

/**
 * One POST of a JSON body. Resolves on any 2xx. Rejects with AlertSinkUnavailableError (retryable) on
 * a network error, an abort (the delivery layer's timeout), 429 or 5xx — with `retryAfterMs` from a
 * Retry-After header — and with AlertRejectedError on anything else (other 4xx, redirects: they are
 * never followed, so a body with a routing key never goes to a host nobody configured).
 */
export async function postJson(args: PostJsonArgs): Promise<void> {
  const { sink, url, body, signal } = args;
  const doFetch = args.fetch ?? globalThis.fetch;
  let response: Response;
  let text: string;
  try {
    response = await doFetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": USER_AGENT, ...args.headers },
      body,
      signal,
      redirect: "manual",
    });
    text = await response.text();
  } catch (err) {
    if (signal.aborted) throw new AlertSinkUnavailableError({ sink, reason: "timeout" });
    const errorCode = systemErrorCode(err);
    throw new AlertSinkUnavailableError({ sink, reason: "network", ...(errorCode ? { errorCode } : {}) });
  }
  const { status } = response;
  if (status >= 200 && status < 300) return;
  const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), (args.now ?? Date.now)());
  const retry = retryAfterMs === undefined ? {} : { retryAfterMs };
  if (status === 429) throw new AlertSinkUnavailableError({ sink, reason: "http_429", status, ...retry });
  if (status >= 500) throw new AlertSinkUnavailableError({ sink, reason: "http_5xx", status, ...retry });
  throw new AlertRejectedError({ sink, status, body: snippet(text, args.secrets ?? []) });
}

/** Retry-After as delay-seconds or an HTTP date, in ms from `nowMs` (never negative); undefined if absent or malformed. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^[0-9]+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at) || !/[a-z]/i.test(text)) return undefined;
  return Math.max(0, at - nowMs);
}

/** The first characters of a response body with every secret removed (for an error's details). */
export function snippet(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= 4) out = out.replaceAll(secret, "[redacted]");
  }
  out = out.replace(/\s+/g, " ").trim();
  return out.length > BODY_SNIPPET ? `${out.slice(0, BODY_SNIPPET)}…` : out;
}

/** ECONNREFUSED & co. from fetch's error chain, without touching messages (they may quote the URL). */
function systemErrorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^[A-Z][A-Z0-9_]{2,40}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

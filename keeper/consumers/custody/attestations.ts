/**
 * Attestation links: the registry of public attestation/audit documents (from the config and from the
 * custodian's latest report) and the verification of one document (fetch with a timeout and a size
 * cap, http/https only, SHA-256 of the bytes).
 */
import { createHash } from "node:crypto";
import { httpUrlProblem } from "../../config/fields.ts";
import { InvalidArgumentError } from "../../internal/errors.ts";
import type {
  AttestationDocument,
  AttestationLink,
  AttestationOutcome,
  AttestationSource,
  AttestationVerification,
} from "./types.ts";

/** The part of `fetch` used here (tests inject one). */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export type VerifyAttestationArgs = {
  readonly url: string;
  /** Lowercase hex SHA-256. */
  readonly expectedSha256: string;
  readonly timeoutMs: number;
  /** Documents larger than this are not hashed (outcome too_large). */
  readonly maxBytes: number;
  readonly fetch?: FetchLike | undefined;
  /** Aborts the fetch (outcome unreachable). */
  readonly signal?: AbortSignal | undefined;
};

const USER_AGENT = "reserve-keeper-custody/1";

/** ECONNREFUSED & co. from fetch's error chain, without touching messages (they may quote the URL). */
function systemErrorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let i = 0; i < 5 && current instanceof Error; i++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === "string") return code;
    current = current.cause;
  }
  return undefined;
}

/**
 * Fetches one document and hashes it. Never throws for what the network does: every failure is an
 * outcome — `unreachable` (network error, timeout, non-2xx status), `too_large` (Content-Length or the
 * bytes received exceed maxBytes: the download stops there), else `verified` or `hash_mismatch`.
 * Redirects are followed (fetch follows http/https only). Throws InvalidArgumentError for a URL that is
 * not http(s) (the schemas never let one in).
 */
export async function verifyAttestation(args: VerifyAttestationArgs): Promise<AttestationVerification> {
  const problem = httpUrlProblem(args.url);
  if (problem) throw new InvalidArgumentError({ name: "url", reason: problem });
  const doFetch = args.fetch ?? globalThis.fetch;
  const timeout = AbortSignal.timeout(args.timeoutMs);
  const signal = args.signal ? AbortSignal.any([timeout, args.signal]) : timeout;
  const aborted = (): AttestationVerification => ({
    outcome: "unreachable",
    detail: timeout.aborted ? `No complete answer within ${args.timeoutMs} ms.` : "The check was cancelled.",
  });
  let response: Response;
  try {
    response = await doFetch(args.url, {
      method: "GET",
      headers: { "user-agent": USER_AGENT, accept: "*/*" },
      redirect: "follow",
      signal,
    });
  } catch (err) {
    if (signal.aborted) return aborted();
    const code = systemErrorCode(err);
    return { outcome: "unreachable", detail: `Network error${code ? ` (${code})` : ""}.` };
  }
  const httpStatus = response.status;
  if (httpStatus < 200 || httpStatus >= 300) {
    await response.body?.cancel().catch(() => {});
    return { outcome: "unreachable", httpStatus, detail: `The server answered HTTP ${httpStatus}.` };
  }
  const announced = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(announced) && announced > args.maxBytes) {
    await response.body?.cancel().catch(() => {});
    return {
      outcome: "too_large",
      httpStatus,
      bytes: announced,
      detail: `The document announces ${announced} bytes (limit ${args.maxBytes}).`,
    };
  }
  const hash = createHash("sha256");
  let bytes = 0;
  try {
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.byteLength;
        if (bytes > args.maxBytes) {
          await reader.cancel().catch(() => {});
          return {
            outcome: "too_large",
            httpStatus,
            bytes,
            detail: `The document is larger than ${args.maxBytes} bytes.`,
          };
        }
        hash.update(value);
      }
    }
  } catch (err) {
    if (signal.aborted) return { ...aborted(), httpStatus };
    const code = systemErrorCode(err);
    return {
      outcome: "unreachable",
      httpStatus,
      detail: `The download broke off${code ? ` (${code})` : ""}.`,
    };
  }
  const actualSha256 = hash.digest("hex");
  return {
    outcome: actualSha256 === args.expectedSha256.toLowerCase() ? "verified" : "hash_mismatch",
    actualSha256,
    bytes,
    httpStatus,
  };
}

// ---------------------------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------------------------

/** The last verification of a link. */
export type AttestationCheckRecord = AttestationVerification & {
  /** Unix seconds. */
  readonly checkedAt: bigint;
};

export type AttestationLinkState = AttestationLink & {
  readonly lastCheck?: AttestationCheckRecord | undefined;
};

export type AttestationRegistry = {
  /** Replaces the links of `source` for the asset; returns the links that were removed. */
  setLinks(
    assetId: string,
    source: AttestationSource,
    docs: readonly AttestationDocument[],
  ): AttestationLink[];
  /** Every link (config first, then report, in insertion order). */
  links(): AttestationLinkState[];
  /** Records a verification of a registered link; false (ignored) for a link removed meanwhile. */
  record(link: AttestationLink, check: AttestationCheckRecord): boolean;
  /** Last outcome of a link, if checked. */
  lastOutcome(link: AttestationLink): AttestationOutcome | undefined;
};

/** Identity of a link: the same URL with another expected digest is another link. */
export function linkKey(link: { assetId: string; url: string; sha256: string }): string {
  return `${link.assetId} ${link.sha256} ${link.url}`;
}

/**
 * The attestation registry. A link is (asset, url, expected sha256); the same link listed by the config
 * and by the report is kept once, as `config` (operators pinned it). Links the report stops listing are
 * dropped; config links stay.
 */
export function createAttestationRegistry(): AttestationRegistry {
  const bySource: Record<AttestationSource, Map<string, Map<string, AttestationLink>>> = {
    config: new Map(),
    report: new Map(),
  };
  const checks = new Map<string, AttestationCheckRecord>();

  function all(): AttestationLink[] {
    const out = new Map<string, AttestationLink>();
    for (const source of ["config", "report"] as const) {
      for (const links of bySource[source].values()) {
        for (const [key, link] of links) if (!out.has(key)) out.set(key, link);
      }
    }
    return [...out.values()];
  }

  return {
    setLinks(assetId, source, docs) {
      const before = new Map(all().map((l) => [linkKey(l), l] as const));
      const next = new Map<string, AttestationLink>();
      for (const d of docs) {
        const link: AttestationLink = { ...d, assetId, source };
        next.set(linkKey(link), link);
      }
      bySource[source].set(assetId, next);
      const keys = new Set(all().map(linkKey));
      const removed: AttestationLink[] = [];
      for (const [key, link] of before) {
        if (keys.has(key)) continue;
        checks.delete(key);
        removed.push(link);
      }
      return removed;
    },
    links: () => all().map((l) => ({ ...l, lastCheck: checks.get(linkKey(l)) })),
    record(link, check) {
      const key = linkKey(link);
      if (!all().some((l) => linkKey(l) === key)) return false;
      checks.set(key, check);
      return true;
    },
    lastOutcome: (link) => checks.get(linkKey(link))?.outcome,
  };
}

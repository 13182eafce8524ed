/**
 * KycProvider over HTTP (contract in keeper/consumers/compliance/README.md):
 * GET <url>/v1/records/<checksummed account>, `accept: application/json`, optional
 * `authorization: Bearer <token>`; 200 + record → the record, 404 → no record; timeouts, network
 * errors, 429 and 5xx are retried with exponential backoff up to maxAttempts, then
 * KycProviderUnavailableError (retryable); other statuses → KycProviderRejectedError; a body that
 * breaks the contract → KycProviderInvalidResponseError. The token and the URL's path never appear in
 * errors or logs.
 */
import { type Address, getAddress } from "viem";
import {
  KycProviderInvalidResponseError,
  KycProviderRejectedError,
  KycProviderUnavailableError,
  type ProviderFailureKind,
} from "./errors.ts";
import { firstIssue, kycRecordSchema, toKycRecord } from "./kycRecordSchema.ts";
import type { KycProvider, KycRecord } from "./types.ts";

export type CreateKycHttpProviderArgs = {
  readonly url: string;
  /** Bearer token (read from the env var named in the config); never logged. */
  readonly token?: string | undefined;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  /** Injected for tests; default globalThis.fetch. */
  readonly fetch?: typeof fetch;
  /** Injected for tests; default setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
};

const MAX_BODY = 64 * 1024;

export function createKycHttpProvider(args: CreateKycHttpProviderArgs): KycProvider {
  const base = args.url.replace(/\/+$/, "");
  const doFetch = args.fetch ?? globalThis.fetch;
  const sleep = args.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const name = "http";

  async function attempt(
    account: Address,
  ): Promise<
    | { type: "ok"; record: KycRecord | undefined }
    | { type: "retry"; kind: ProviderFailureKind; status?: number; cause?: unknown }
  > {
    let res: Response;
    try {
      res = await doFetch(`${base}/v1/records/${account}`, {
        method: "GET",
        headers: {
          accept: "application/json",
          ...(args.token ? { authorization: `Bearer ${args.token}` } : {}),
        },
        redirect: "manual",
        signal: AbortSignal.timeout(args.timeoutMs),
      });
    } catch (cause) {
      const timedOut = (cause as Error).name === "TimeoutError" || (cause as Error).name === "AbortError";
      return { type: "retry", kind: timedOut ? "timeout" : "network" };
    }
    if (res.status === 404) {
      await res.body?.cancel();
      return { type: "ok", record: undefined };
    }
    if (res.status === 429 || res.status >= 500) {
      await res.body?.cancel();
      return { type: "retry", kind: "http_5xx", status: res.status };
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new KycProviderRejectedError({ provider: name, status: res.status });
    }
    let text: string;
    try {
      text = await res.text();
    } catch (cause) {
      const timedOut = (cause as Error).name === "TimeoutError" || (cause as Error).name === "AbortError";
      return { type: "retry", kind: timedOut ? "timeout" : "network" };
    }
    if (text.length > MAX_BODY) {
      throw new KycProviderInvalidResponseError({
        provider: name,
        field: "body",
        reason: "larger than 64 KiB",
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new KycProviderInvalidResponseError({ provider: name, field: "body", reason: "not JSON" });
    }
    const parsed = kycRecordSchema.safeParse(json);
    if (!parsed.success) {
      const { field, reason } = firstIssue(parsed.error);
      throw new KycProviderInvalidResponseError({ provider: name, field, reason });
    }
    return { type: "ok", record: toKycRecord(parsed.data) };
  }

  return {
    name,
    async getRecord(account) {
      const checksummed = getAddress(account);
      let last: { kind: ProviderFailureKind; status?: number } = { kind: "error" };
      for (let n = 1; n <= args.maxAttempts; n++) {
        const result = await attempt(checksummed);
        if (result.type === "ok") return result.record;
        last = result;
        if (n < args.maxAttempts) await sleep(args.backoffBaseMs * 2 ** (n - 1));
      }
      throw new KycProviderUnavailableError({
        provider: name,
        kind: last.kind,
        ...(last.status === undefined ? {} : { status: last.status }),
        attempts: args.maxAttempts,
      });
    },
  };
}

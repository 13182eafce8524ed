/**
 * Client of the CCTP attestation API (Circle's Iris, or the devnet attestation service that serves the
 * same shapes). One request per call; polling lives in poll.ts.
 *
 * - `GET /v2/messages/{sourceDomain}?transactionHash=…` (or `?nonce=…`): 404 until the burn is seen
 *   (`{ type: "not_found" }`), then the messages of the transaction ordered by log index.
 * - `GET /v2/burn/USDC/fees/{source}/{destination}`: the fee per finality threshold, in bps.
 * - `GET /v2/fastBurn/USDC/allowance`: what is left of the fast-transfer allowance.
 * - `GET /v1/attestations/{messageHash}`: a V1 attestation (404 until seen).
 *
 * Errors: network failures, timeouts and every non-2xx answer other than a 404 where 404 means "not
 * seen yet" are AttestationApiUnavailableError (retryable); a body that is not the documented shape is
 * AttestationResponseInvalidError naming the field (`messages[0].status`). Unknown extra fields are
 * accepted (Circle adds fields, e.g. forwardState).
 */
import type { Hex } from "viem";
import { z } from "zod";
import { AttestationApiUnavailableError, AttestationResponseInvalidError } from "./errors.ts";

/** One message of `GET /v2/messages/{sourceDomain}`. */
export type IrisMessage = {
  /** The attested message bytes; "0x" while pending. */
  readonly message: Hex;
  readonly eventNonce: string;
  /** The signatures; undefined while pending ("PENDING" on the wire). */
  readonly attestation: Hex | undefined;
  readonly cctpVersion: 1 | 2;
  readonly status: "complete" | "pending_confirmations";
  /** Why a fast transfer is delayed: insufficient_fee, amount_above_max, insufficient_allowance_available. */
  readonly delayReason: string | null;
};

export type IrisMessagesResult =
  | { readonly type: "not_found" }
  | { readonly type: "found"; readonly messages: readonly IrisMessage[] };

/** One element of the fees endpoint: the minimum fee (bps, up to 3 decimals) at a finality threshold. */
export type IrisFee = { readonly finalityThreshold: number; readonly minimumFeeBps: number };

export type IrisV1Attestation =
  | { readonly type: "not_found" }
  | { readonly type: "pending" }
  | { readonly type: "complete"; readonly attestation: Hex };

export type IrisAllowance = { readonly allowance: number; readonly lastUpdated: string };

export interface IrisClient {
  /** The API's origin (for logs). */
  readonly origin: string;
  getMessages(args: {
    sourceDomain: number;
    transactionHash?: Hex;
    nonce?: string;
  }): Promise<IrisMessagesResult>;
  getFees(args: { sourceDomain: number; destinationDomain: number }): Promise<readonly IrisFee[]>;
  getFastAllowance(): Promise<IrisAllowance>;
  getV1Attestation(messageHash: Hex): Promise<IrisV1Attestation>;
}

export type CreateIrisClientArgs = {
  /** Base URL, e.g. https://iris-api.circle.com or http://127.0.0.1:8790. */
  readonly baseUrl: string;
  /** Timeout of one request, ms (default 10 s). */
  readonly requestTimeoutMs?: number;
  /** fetch implementation (tests); default the global fetch. */
  readonly fetch?: typeof fetch;
};

const HEX = /^0x([0-9a-fA-F]{2})*$/;
const hex = z.string().regex(HEX, { error: "expected 0x-prefixed hex bytes" });
const nonce = z.union([z.string().min(1), z.number().int().nonnegative()]).transform(String);

const messageSchema = z.looseObject({
  message: hex,
  eventNonce: nonce,
  attestation: z.union([z.literal("PENDING"), hex], { error: 'expected "PENDING" or 0x-prefixed hex' }),
  cctpVersion: z
    .union([z.literal(1), z.literal(2), z.literal("1"), z.literal("2")], { error: "expected 1 or 2" })
    .transform((v) => Number(v) as 1 | 2),
  status: z.enum(["complete", "pending_confirmations"], {
    error: 'expected "complete" or "pending_confirmations"',
  }),
  delayReason: z.string().nullable().optional(),
});

const messagesSchema = z.looseObject({ messages: z.array(messageSchema) });

const feesSchema = z.array(
  z.looseObject({
    finalityThreshold: z.number().int().nonnegative(),
    minimumFee: z.number().nonnegative({ error: "expected a non-negative number of bps" }),
  }),
);

const allowanceSchema = z.looseObject({
  allowance: z.number().nonnegative(),
  lastUpdated: z.string().min(1),
});

const v1AttestationSchema = z.looseObject({
  attestation: z.union([z.null(), z.literal("PENDING"), hex]),
  status: z.enum(["complete", "pending_confirmations"], {
    error: 'expected "complete" or "pending_confirmations"',
  }),
});

/** Dotted path of the first zod issue: `messages[0].status`; the message says what is wrong. */
function firstIssue(error: z.ZodError): { field: string; reason: string } {
  const issue = error.issues[0];
  if (issue === undefined) return { field: "(body)", reason: "is invalid" };
  let field = "";
  for (const p of issue.path)
    field += typeof p === "number" ? `[${p}]` : field === "" ? String(p) : `.${String(p)}`;
  const reason = issue.code === "invalid_type" && issue.input === undefined ? "is missing" : issue.message;
  return { field: field === "" ? "(body)" : field, reason: reason.replace(/\.$/, "") };
}

function parse<T extends z.ZodType>(endpoint: string, schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body);
  if (!result.success) {
    const { field, reason } = firstIssue(result.error);
    throw new AttestationResponseInvalidError({ endpoint, field, reason });
  }
  return result.data;
}

/** Creates the client. */
export function createIrisClient({
  baseUrl,
  requestTimeoutMs = 10_000,
  fetch: fetchImpl = globalThis.fetch,
}: CreateIrisClientArgs): IrisClient {
  const base = baseUrl.replace(/\/+$/, "");
  const origin = new URL(base).origin;

  /** GET → parsed JSON body, or undefined for a 404 (when `notFoundOk`). */
  async function getJson(endpoint: string, path: string, notFoundOk: boolean): Promise<unknown> {
    let response: Response;
    try {
      response = await fetchImpl(`${base}${path}`, {
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
    } catch (err) {
      const name = (err as { name?: string }).name;
      const reason = name === "TimeoutError" || name === "AbortError" ? "timeout" : "network";
      throw new AttestationApiUnavailableError({ endpoint, reason });
    }
    if (response.status === 404 && notFoundOk) {
      await response.body?.cancel().catch(() => {});
      return undefined;
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw new AttestationApiUnavailableError({ endpoint, reason: "http", status: response.status });
    }
    let text: string;
    try {
      text = await response.text();
    } catch {
      throw new AttestationApiUnavailableError({ endpoint, reason: "network" });
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new AttestationResponseInvalidError({ endpoint, field: "(body)", reason: "is not JSON" });
    }
  }

  return {
    origin,

    async getMessages({ sourceDomain, transactionHash, nonce: n }) {
      const endpoint = "/v2/messages/{sourceDomain}";
      const query = new URLSearchParams();
      if (transactionHash !== undefined) query.set("transactionHash", transactionHash);
      if (n !== undefined) query.set("nonce", n);
      const body = await getJson(endpoint, `/v2/messages/${sourceDomain}?${query.toString()}`, true);
      if (body === undefined) return { type: "not_found" };
      const parsed = parse(endpoint, messagesSchema, body);
      const messages = parsed.messages.map((m, i): IrisMessage => {
        const complete = m.status === "complete";
        if (complete && (m.attestation === "PENDING" || m.attestation === "0x")) {
          throw new AttestationResponseInvalidError({
            endpoint,
            field: `messages[${i}].attestation`,
            reason: "is missing although status is complete",
          });
        }
        if (complete && m.message === "0x") {
          throw new AttestationResponseInvalidError({
            endpoint,
            field: `messages[${i}].message`,
            reason: "is empty although status is complete",
          });
        }
        return {
          message: m.message as Hex,
          eventNonce: m.eventNonce,
          attestation: m.attestation === "PENDING" ? undefined : (m.attestation as Hex),
          cctpVersion: m.cctpVersion,
          status: m.status,
          delayReason: m.delayReason ?? null,
        };
      });
      return { type: "found", messages };
    },

    async getFees({ sourceDomain, destinationDomain }) {
      const endpoint = "/v2/burn/USDC/fees/{source}/{destination}";
      const body = await getJson(endpoint, `/v2/burn/USDC/fees/${sourceDomain}/${destinationDomain}`, false);
      return parse(endpoint, feesSchema, body).map((f) => ({
        finalityThreshold: f.finalityThreshold,
        minimumFeeBps: f.minimumFee,
      }));
    },

    async getFastAllowance() {
      const endpoint = "/v2/fastBurn/USDC/allowance";
      const body = await getJson(endpoint, "/v2/fastBurn/USDC/allowance", false);
      const parsed = parse(endpoint, allowanceSchema, body);
      return { allowance: parsed.allowance, lastUpdated: parsed.lastUpdated };
    },

    async getV1Attestation(messageHash) {
      const endpoint = "/v1/attestations/{messageHash}";
      const body = await getJson(endpoint, `/v1/attestations/${messageHash}`, true);
      if (body === undefined) return { type: "not_found" };
      const parsed = parse(endpoint, v1AttestationSchema, body);
      if (parsed.status !== "complete") return { type: "pending" };
      if (parsed.attestation === null || parsed.attestation === "PENDING" || parsed.attestation === "0x") {
        throw new AttestationResponseInvalidError({
          endpoint,
          field: "attestation",
          reason: "is missing although status is complete",
        });
      }
      return { type: "complete", attestation: parsed.attestation as Hex };
    },
  };
}

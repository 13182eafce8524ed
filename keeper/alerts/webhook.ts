import { createHmac, timingSafeEqual } from "node:crypto";
import { type FetchLike, postJson } from "./http.ts";
import { urlSecrets } from "./slack.ts";
import type { AlertNotification, AlertSeverity, AlertSink, DeliveryOptions, JsonValue } from "./types.ts";

export const WEBHOOK_TIMESTAMP_HEADER = "X-Reserve-Keeper-Timestamp";
export const WEBHOOK_SIGNATURE_HEADER = "X-Reserve-Keeper-Signature";
export const WEBHOOK_ID_HEADER = "X-Reserve-Keeper-Notification-Id";
/** Default tolerance of verifyWebhookSignature, seconds. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

export type CreateWebhookSinkArgs = {
  readonly name: string;
  /** Receiver URL. Treated as secret (it may carry a token): never logged. */
  readonly url: string;
  /** HMAC-SHA256 key shared with the receiver. Secret: never logged. */
  readonly secret: string;
  /** Default "info". */
  readonly minSeverity?: AlertSeverity | undefined;
  readonly delivery?: Partial<DeliveryOptions> | undefined;
  readonly fetch?: FetchLike | undefined;
  /** Unix ms, for the timestamp header (default Date.now). */
  readonly now?: (() => number) | undefined;
};

/** The body a webhook receiver gets (version 1). */
export type WebhookBody = {
  readonly version: 1;
  /** Unique per notification and stable across retries: deduplicate on it. */
  readonly id: string;
  readonly action: "trigger" | "resolve";
  readonly kind: "new" | "worsened" | "resolved";
  readonly dedup_key: string;
  readonly asset: string;
  readonly condition: string;
  readonly severity: AlertSeverity;
  readonly summary: string;
  /** ISO 8601. */
  readonly created_at: string;
  readonly details: { readonly [key: string]: JsonValue };
};

export function webhookBody(n: AlertNotification): WebhookBody {
  return {
    version: 1,
    id: n.id,
    action: n.action,
    kind: n.kind,
    dedup_key: n.dedupKey,
    asset: n.assetId,
    condition: n.condition,
    severity: n.severity,
    summary: n.summary,
    created_at: new Date(n.createdAtMs).toISOString(),
    details: n.details,
  };
}

/** hex(HMAC-SHA256(secret, `${timestamp}.${body}`)) — what X-Reserve-Keeper-Signature carries. */
export function signWebhook({
  secret,
  timestamp,
  body,
}: {
  secret: string;
  timestamp: number | string;
  body: string | Uint8Array;
}): string {
  return createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("hex");
}

export type WebhookVerification =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason:
        | "timestamp_malformed"
        | "timestamp_out_of_tolerance"
        | "signature_malformed"
        | "signature_mismatch";
    };

/**
 * For receivers: checks X-Reserve-Keeper-Signature against the RAW request body (the exact bytes, not
 * re-serialised JSON) and rejects timestamps more than toleranceSeconds away from `now` in either
 * direction (a replayed old request fails even with a valid signature). The comparison is constant-time.
 */
export function verifyWebhookSignature({
  secret,
  timestamp,
  signature,
  body,
  toleranceSeconds = WEBHOOK_TOLERANCE_SECONDS,
  now = Date.now,
}: {
  secret: string;
  /** The X-Reserve-Keeper-Timestamp header (unix seconds). */
  timestamp: string | number | null | undefined;
  /** The X-Reserve-Keeper-Signature header (64 hex digits). */
  signature: string | null | undefined;
  body: string | Uint8Array;
  toleranceSeconds?: number;
  /** Unix ms (default Date.now). */
  now?: () => number;
}): WebhookVerification {
  const ts = typeof timestamp === "number" ? String(timestamp) : (timestamp ?? "").trim();
  if (!/^[0-9]{1,12}$/.test(ts)) return { ok: false, reason: "timestamp_malformed" };
  if (Math.abs(now() / 1000 - Number(ts)) > toleranceSeconds) {
    return { ok: false, reason: "timestamp_out_of_tolerance" };
  }
  const sig = (signature ?? "").trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(sig)) return { ok: false, reason: "signature_malformed" };
  const expected = Buffer.from(signWebhook({ secret, timestamp: ts, body }), "hex");
  return timingSafeEqual(expected, Buffer.from(sig, "hex"))
    ? { ok: true }
    : { ok: false, reason: "signature_mismatch" };
}

/**
 * A generic JSON webhook (the full notification, machine-friendly), signed per attempt: a retry gets a
 * fresh timestamp and signature, so a receiver's tolerance window is measured from the attempt.
 */
export function createWebhookSink(args: CreateWebhookSinkArgs): AlertSink {
  const now = args.now ?? Date.now;
  const secrets = [args.secret, ...urlSecrets(args.url)];
  return {
    name: args.name,
    minSeverity: args.minSeverity ?? "info",
    supportsResolve: true,
    delivery: args.delivery,
    secrets,
    send: (n, { signal }) => {
      const body = JSON.stringify(webhookBody(n));
      const timestamp = Math.floor(now() / 1000);
      return postJson({
        sink: args.name,
        url: args.url,
        body,
        headers: {
          [WEBHOOK_TIMESTAMP_HEADER]: String(timestamp),
          [WEBHOOK_SIGNATURE_HEADER]: signWebhook({ secret: args.secret, timestamp, body }),
          [WEBHOOK_ID_HEADER]: n.id,
        },
        signal,
        fetch: args.fetch,
        secrets,
        now,
      });
    },
  };
}

import { z } from "zod";
import { describe, httpsUrl, intIn, SLUG, SLUG_RULE } from "../config/fields.ts";
import { PAGERDUTY_EVENTS_URL } from "./pagerduty.ts";
import { DEFAULT_ALERT_POLICY, DEFAULT_DELIVERY } from "./types.ts";

/**
 * The `alerts:` section of the keeper config, written the way keeper/config/schema.ts writes its
 * sections: strict objects, every leaf with a range and a default (or required), `.meta({ description,
 * sensitive })` on every leaf. Sensitive: `routingKey` (PagerDuty), `webhookUrl` (Slack: the path is
 * the credential), `url` and `secret` (signed webhook). Sensitive values never appear in messages;
 * the loader redacts them (`[sensitive]`, URLs keep their origin).
 *
 * Field names differ per sink type where sensitivity differs (eventsUrl is public, url/webhookUrl
 * are secret): the config introspection merges the options of a union by key, first one wins.
 *
 * Secrets from the environment use the loader's overrides, keyed by sink name, e.g.
 * `RESERVE_KEEPER__ALERTS__SINKS__PAGER__ROUTING_KEY=…`.
 */

const ROUTING_KEY = /^[A-Za-z0-9]{32}$/;
export const MIN_WEBHOOK_SECRET_LENGTH = 32;

const severity = () => z.enum(["critical", "error", "warning", "info"]);
const MIN_SEVERITY_DOC =
  "Least severe notification this sink gets: critical (shortfall, pause failed), error (feed stale/invalid), warning (ratio low), info (breaker paused). Default: warning for pagerduty, info otherwise.";
const TYPE_DOC = "Sink type: pagerduty (Events API v2), slack (incoming webhook) or webhook (signed JSON).";
const NAME_DOC = "Sink name: unique; the only thing logs and metric labels show about the sink.";

const deliverySchema = z.strictObject({
  timeoutMs: describe(
    intIn(100, 120_000).prefault(DEFAULT_DELIVERY.timeoutMs),
    "Timeout of one request, ms.",
  ),
  maxAttempts: describe(
    intIn(1, 100).prefault(DEFAULT_DELIVERY.maxAttempts),
    "Attempts per notification (the first included) on network errors, timeouts, 429 and 5xx.",
  ),
  queueCapacity: describe(
    intIn(1, 100_000).prefault(DEFAULT_DELIVERY.queueCapacity),
    "Notifications waiting for this sink; when full, the least severe (oldest among equals) is dropped.",
  ),
  backoffBaseMs: describe(
    intIn(1, 600_000).prefault(DEFAULT_DELIVERY.backoffBaseMs),
    "First retry delay, ms; doubles per attempt, with jitter.",
  ),
  backoffMaxMs: describe(
    intIn(1, 3_600_000).prefault(DEFAULT_DELIVERY.backoffMaxMs),
    "Largest retry delay, ms.",
  ),
  maxRetryAfterMs: describe(
    intIn(0, 3_600_000).prefault(DEFAULT_DELIVERY.maxRetryAfterMs),
    "Largest Retry-After honoured, ms (longer requests are clamped).",
  ),
});

const deliveryField = () =>
  describe(deliverySchema.prefault({}), "Queue, timeout and retry settings of this sink.");

const pagerDutySinkSchema = z.strictObject({
  type: describe(z.literal("pagerduty"), TYPE_DOC),
  name: describe(z.string().regex(SLUG, { error: SLUG_RULE }), NAME_DOC),
  routingKey: describe(
    z.string().regex(ROUTING_KEY, {
      error: "must be a 32-character PagerDuty Events API v2 integration key (letters and digits)",
    }),
    "Events API v2 integration (routing) key of the PagerDuty service.",
    true,
  ),
  eventsUrl: describe(
    httpsUrl().prefault(PAGERDUTY_EVENTS_URL),
    "Events API v2 endpoint (e.g. https://events.eu.pagerduty.com/v2/enqueue for EU accounts).",
  ),
  source: describe(
    z.string().min(1).max(255).prefault("reserve-keeper"),
    "payload.source of every event (e.g. the keeper's host or keeperId).",
  ),
  minSeverity: describe(severity().prefault("warning"), MIN_SEVERITY_DOC),
  delivery: deliveryField(),
});

const slackSinkSchema = z.strictObject({
  type: describe(z.literal("slack"), TYPE_DOC),
  name: describe(z.string().regex(SLUG, { error: SLUG_RULE }), NAME_DOC),
  webhookUrl: describe(
    httpsUrl(),
    "Slack-compatible incoming-webhook URL (its path is the credential).",
    true,
  ),
  minSeverity: describe(severity().prefault("info"), MIN_SEVERITY_DOC),
  delivery: deliveryField(),
});

const webhookSinkSchema = z.strictObject({
  type: describe(z.literal("webhook"), TYPE_DOC),
  name: describe(z.string().regex(SLUG, { error: SLUG_RULE }), NAME_DOC),
  url: describe(httpsUrl(), "Receiver URL of the signed JSON webhook (may carry a token).", true),
  secret: describe(
    z.string().min(MIN_WEBHOOK_SECRET_LENGTH, {
      error: `must have at least ${MIN_WEBHOOK_SECRET_LENGTH} characters`,
    }),
    "HMAC-SHA256 key shared with the receiver (X-Reserve-Keeper-Signature).",
    true,
  ),
  minSeverity: describe(severity().prefault("info"), MIN_SEVERITY_DOC),
  delivery: deliveryField(),
});

const sinkSchema = z.discriminatedUnion("type", [pagerDutySinkSchema, slackSinkSchema, webhookSinkSchema]);

function checkSinkNames(value: unknown, ctx: z.core.$RefinementCtx<unknown>) {
  if (typeof value !== "object" || value === null) return;
  const sinks = (value as { sinks?: unknown }).sinks;
  if (!Array.isArray(sinks)) return;
  const seen = new Map<string, number>();
  sinks.forEach((sink, i) => {
    const name = typeof sink === "object" && sink !== null ? (sink as { name?: unknown }).name : undefined;
    if (typeof name !== "string") return;
    const first = seen.get(name);
    if (first === undefined) seen.set(name, i);
    else {
      ctx.addIssue({
        code: "custom",
        path: ["sinks", i, "name"],
        message: `duplicate sink name "${name}" (also sinks[${first}])`,
      });
    }
  });
}

/** Mount as `alerts: alertsConfigSchema.prefault({})` in keeper/config/schema.ts. */
export const alertsConfigSchema = z
  .strictObject({
    cooldownMs: describe(
      intIn(0, 86_400_000).prefault(DEFAULT_ALERT_POLICY.cooldownMs),
      "Minimum time between two notifications of one alert (trigger, then re-alerts on worsening), ms.",
    ),
    worsenBps: describe(
      intIn(1, 100_000).prefault(DEFAULT_ALERT_POLICY.worsenBps),
      "A ratio alert re-alerts (after the cooldown) when the ratio fell this many bps below its last notification.",
    ),
    staleWorsenSeconds: describe(
      intIn(1, 31_536_000).prefault(DEFAULT_ALERT_POLICY.staleWorsenSeconds),
      "A stale-feed alert re-alerts (after the cooldown) when the feed aged this many seconds since its last notification.",
    ),
    resolveAfterMs: describe(
      intIn(0, 86_400_000).prefault(DEFAULT_ALERT_POLICY.resolveAfterMs),
      "An alert resolves once its condition has stayed clear this long, ms; a return inside it is the same alert (no new page).",
    ),
    sinks: describe(
      z.array(sinkSchema).max(32).prefault([]),
      "Where alerts go: pagerduty, slack and webhook sinks (none: alerts are only logged).",
    ),
  })
  .superRefine(checkSinkNames, { when: () => true });

/** The parsed `alerts:` section. */
export type AlertsConfig = z.output<typeof alertsConfigSchema>;
export type AlertSinkConfig = AlertsConfig["sinks"][number];
/** What a config file may contain under `alerts:`. */
export type AlertsConfigInput = z.input<typeof alertsConfigSchema>;

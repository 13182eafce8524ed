import { type FetchLike, postJson } from "./http.ts";
import type { AlertNotification, AlertSeverity, AlertSink, DeliveryOptions, JsonValue } from "./types.ts";

export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";

export type CreatePagerDutySinkArgs = {
  /** Sink name (logs, metric labels). */
  readonly name: string;
  /** The service's 32-character Events API v2 integration key. Secret: never logged. */
  readonly routingKey: string;
  /** Events API endpoint (default PAGERDUTY_EVENTS_URL; e.g. an EU account or a test receiver). */
  readonly url?: string | undefined;
  /** payload.source (default "reserve-keeper"). */
  readonly source?: string | undefined;
  /** payload.group (default "proof-of-reserve"). */
  readonly group?: string | undefined;
  /** Default "warning": info notices (breaker paused) stay out of PagerDuty. */
  readonly minSeverity?: AlertSeverity | undefined;
  readonly delivery?: Partial<DeliveryOptions> | undefined;
  readonly fetch?: FetchLike | undefined;
};

/** A PagerDuty Events API v2 event. */
export type PagerDutyEvent =
  | {
      readonly routing_key: string;
      readonly event_action: "trigger";
      readonly dedup_key: string;
      readonly client: string;
      readonly payload: {
        readonly summary: string;
        readonly source: string;
        readonly severity: AlertSeverity;
        readonly timestamp: string;
        readonly component: string;
        readonly group: string;
        readonly class: string;
        readonly custom_details: { readonly [key: string]: JsonValue };
      };
    }
  | {
      readonly routing_key: string;
      readonly event_action: "resolve";
      readonly dedup_key: string;
    };

/**
 * The Events v2 body of a notification: a trigger carries the summary, the severity of the condition,
 * component = asset, class = condition and every detail in custom_details; a resolve needs only the
 * dedup key. Re-alerts are triggers with the same dedup key (PagerDuty appends them to the open alert).
 */
export function pagerDutyEvent(
  n: AlertNotification,
  {
    routingKey,
    source = "reserve-keeper",
    group = "proof-of-reserve",
  }: { routingKey: string; source?: string; group?: string },
): PagerDutyEvent {
  if (n.action === "resolve")
    return { routing_key: routingKey, event_action: "resolve", dedup_key: n.dedupKey };
  return {
    routing_key: routingKey,
    event_action: "trigger",
    dedup_key: n.dedupKey,
    client: "reserve-keeper",
    payload: {
      summary: n.summary.slice(0, 1024),
      source,
      severity: n.severity,
      timestamp: new Date(n.createdAtMs).toISOString(),
      component: n.assetId,
      group,
      class: n.condition,
      custom_details: { ...n.details, notification_id: n.id },
    },
  };
}

/** PagerDuty Events API v2: 202 = accepted; 429/5xx are retried; 400 (bad key or event) is not. */
export function createPagerDutySink(args: CreatePagerDutySinkArgs): AlertSink {
  const url = args.url ?? PAGERDUTY_EVENTS_URL;
  const secrets = [args.routingKey];
  return {
    name: args.name,
    minSeverity: args.minSeverity ?? "warning",
    supportsResolve: true,
    delivery: args.delivery,
    secrets,
    send: (n, { signal }) =>
      postJson({
        sink: args.name,
        url,
        body: JSON.stringify(
          pagerDutyEvent(n, {
            routingKey: args.routingKey,
            ...(args.source ? { source: args.source } : {}),
            ...(args.group ? { group: args.group } : {}),
          }),
        ),
        signal,
        fetch: args.fetch,
        secrets,
      }),
  };
}

import { UnhandledVariantError } from "../internal/errors.ts";
import type { AlertSinkConfig, AlertsConfig } from "./config.ts";
import type { FetchLike } from "./http.ts";
import { createPagerDutySink } from "./pagerduty.ts";
import { createSlackSink } from "./slack.ts";
import type { AlertSink } from "./types.ts";
import { createWebhookSink } from "./webhook.ts";

/** The sinks of a parsed `alerts:` config section. */
export function createAlertSinks(
  config: Pick<AlertsConfig, "sinks">,
  options: { readonly fetch?: FetchLike | undefined; readonly now?: (() => number) | undefined } = {},
): AlertSink[] {
  return config.sinks.map((sink: AlertSinkConfig): AlertSink => {
    switch (sink.type) {
      case "pagerduty":
        return createPagerDutySink({
          name: sink.name,
          routingKey: sink.routingKey,
          url: sink.eventsUrl,
          source: sink.source,
          minSeverity: sink.minSeverity,
          delivery: sink.delivery,
          fetch: options.fetch,
        });
      case "slack":
        return createSlackSink({
          name: sink.name,
          webhookUrl: sink.webhookUrl,
          minSeverity: sink.minSeverity,
          delivery: sink.delivery,
          fetch: options.fetch,
        });
      case "webhook":
        return createWebhookSink({
          name: sink.name,
          url: sink.url,
          secret: sink.secret,
          minSeverity: sink.minSeverity,
          delivery: sink.delivery,
          fetch: options.fetch,
          now: options.now,
        });
      default:
        throw new UnhandledVariantError({ subject: "alert sink", value: sink satisfies never });
    }
  });
}

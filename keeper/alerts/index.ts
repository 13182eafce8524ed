/** Alerting: lifecycle (dedup, cooldown, re-alert on worsening, resolve) + PagerDuty/Slack/webhook sinks. */

export type { AlertSinkConfig, AlertsConfig, AlertsConfigInput } from "./config.ts";
export { alertsConfigSchema } from "./config.ts";
export type { DeliveryQueue } from "./delivery.ts";
export { createDeliveryQueue, retryDelayMs } from "./delivery.ts";
export { AlertRejectedError, AlertSinkUnavailableError, type DeliveryFailureReason } from "./errors.ts";
export type { FetchLike } from "./http.ts";
export type { AlertLifecycle, OpenAlertView } from "./lifecycle.ts";
export { createAlertLifecycle } from "./lifecycle.ts";
export type { AlertManager, CreateAlertManagerArgs } from "./manager.ts";
export { createAlertManager } from "./manager.ts";
export type { AlertMetrics } from "./metrics.ts";
export { ALERT_METRIC_NAMES, noopAlertMetrics } from "./metrics.ts";
export type { CreatePagerDutySinkArgs, PagerDutyEvent } from "./pagerduty.ts";
export { createPagerDutySink, PAGERDUTY_EVENTS_URL, pagerDutyEvent } from "./pagerduty.ts";
export { createAlertSinks } from "./sinks.ts";
export type { CreateSlackSinkArgs, SlackMessage } from "./slack.ts";
export { createSlackSink, slackMessage } from "./slack.ts";
export * from "./types.ts";
export type { CreateWebhookSinkArgs, WebhookBody, WebhookVerification } from "./webhook.ts";
export {
  createWebhookSink,
  signWebhook,
  verifyWebhookSignature,
  WEBHOOK_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  WEBHOOK_TOLERANCE_SECONDS,
  webhookBody,
} from "./webhook.ts";

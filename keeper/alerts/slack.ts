import { type FetchLike, postJson } from "./http.ts";
import type { AlertNotification, AlertSeverity, AlertSink, DeliveryOptions, JsonValue } from "./types.ts";

export type CreateSlackSinkArgs = {
  readonly name: string;
  /** The incoming-webhook URL: the path IS the credential. Secret: never logged. */
  readonly webhookUrl: string;
  /** Default "info": Slack gets the breaker-paused notices too. */
  readonly minSeverity?: AlertSeverity | undefined;
  readonly delivery?: Partial<DeliveryOptions> | undefined;
  readonly fetch?: FetchLike | undefined;
};

export type SlackMessage = {
  readonly text: string;
  readonly blocks: readonly Record<string, unknown>[];
};

const EMOJI: Readonly<Record<AlertSeverity, string>> = {
  critical: ":rotating_light:",
  error: ":red_circle:",
  warning: ":warning:",
  info: ":information_source:",
};

/** Slack mrkdwn control characters. */
const escapeMrkdwn = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

const str = (v: JsonValue | undefined): string | undefined =>
  v === undefined || v === null ? undefined : Array.isArray(v) ? v.join(", ") : String(v);

/**
 * A Slack message: `text` (the notification fallback) plus Block Kit blocks — headline, the key facts
 * as fields (asset, condition, severity, ratio, delta, chains) and a context line with the dedup key.
 * A resolve is a message of its own (":white_check_mark: RESOLVED …").
 */
export function slackMessage(n: AlertNotification): SlackMessage {
  const resolved = n.action === "resolve";
  const emoji = resolved ? ":white_check_mark:" : EMOJI[n.severity];
  const label = resolved
    ? "RESOLVED"
    : n.kind === "worsened"
      ? `${n.severity.toUpperCase()} (worse)`
      : n.severity.toUpperCase();
  const text = `${emoji} ${label} ${n.summary}`;
  const d = n.details;
  const facts: [string, string | undefined][] = [
    ["Asset", n.assetId],
    ["Condition", n.condition],
    ["Severity", n.severity],
    ["Ratio", str(d.ratio)],
    ["Delta", str(d.delta)],
    ["Age", d.age_seconds === undefined ? undefined : `${str(d.age_seconds)} s`],
    ["Feed chain", str(d.feed_chain_id)],
    ["Chain", str(d.chain_id)],
    ["Error", str(d.error_code)],
  ];
  const fields = facts
    .filter((f): f is [string, string] => f[1] !== undefined && f[1] !== "")
    .slice(0, 10)
    .map(([k, v]) => ({ type: "mrkdwn", text: `*${k}*\n${escapeMrkdwn(v)}` }));
  return {
    text,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: escapeMrkdwn(text).slice(0, 3000) } },
      { type: "section", fields },
      {
        type: "context",
        elements: [
          {
            type: "mrkdwn",
            text: escapeMrkdwn(`${n.dedupKey} · ${n.kind} · ${new Date(n.createdAtMs).toISOString()}`),
          },
        ],
      },
    ],
  };
}

/** A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat): 2xx = accepted. */
export function createSlackSink(args: CreateSlackSinkArgs): AlertSink {
  const secrets = urlSecrets(args.webhookUrl);
  return {
    name: args.name,
    minSeverity: args.minSeverity ?? "info",
    supportsResolve: true,
    delivery: args.delivery,
    secrets,
    send: (n, { signal }) =>
      postJson({
        sink: args.name,
        url: args.webhookUrl,
        body: JSON.stringify(slackMessage(n)),
        signal,
        fetch: args.fetch,
        secrets,
      }),
  };
}

/** The URL and its credential-carrying parts (path segments, query values, userinfo). */
export function urlSecrets(value: string): string[] {
  const out = new Set<string>([value]);
  try {
    const url = new URL(value);
    for (const part of [
      url.username,
      url.password,
      ...url.pathname.split("/"),
      ...url.searchParams.values(),
    ]) {
      // Plain lowercase words ("services", "webhooks") are route names, not credentials.
      if (part.length >= 8 && !/^[a-z]+$/.test(part)) out.add(part);
    }
    if (url.pathname.length > 1) out.add(url.pathname);
  } catch {}
  return [...out];
}

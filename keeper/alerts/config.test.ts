import { describe, expect, it } from "vitest";
import { z } from "zod";
import { arrayElement, kindOf, objectChildren, unwrapSchema } from "../config/introspect.ts";
import { alertsConfigSchema } from "./config.ts";
import { PAGERDUTY_EVENTS_URL } from "./pagerduty.ts";
import { DEFAULT_ALERT_POLICY, DEFAULT_DELIVERY } from "./types.ts";

const ROUTING_KEY = "abcdefABCDEF0123456789abcdef0123";
const SLACK_URL = "https://hooks.slack.com/services/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";
const SECRET = "0123456789abcdef0123456789abcdef-secret";

const issuesOf = (input: unknown) => {
  const result = alertsConfigSchema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("alerts config", () => {
  it("defaults to the default policy and no sinks", () => {
    expect(alertsConfigSchema.parse({})).toEqual({ ...DEFAULT_ALERT_POLICY, sinks: [] });
  });

  it("parses every sink type with its defaults", () => {
    const config = alertsConfigSchema.parse({
      cooldownMs: 60_000,
      sinks: [
        { type: "pagerduty", name: "pager", routingKey: ROUTING_KEY },
        { type: "slack", name: "chat", webhookUrl: SLACK_URL, delivery: { maxAttempts: 3 } },
        {
          type: "webhook",
          name: "siem",
          url: "http://127.0.0.1:9000/in",
          secret: SECRET,
          minSeverity: "error",
        },
      ],
    });
    expect(config.cooldownMs).toBe(60_000);
    expect(config.sinks).toEqual([
      {
        type: "pagerduty",
        name: "pager",
        routingKey: ROUTING_KEY,
        eventsUrl: PAGERDUTY_EVENTS_URL,
        source: "reserve-keeper",
        minSeverity: "warning",
        delivery: DEFAULT_DELIVERY,
      },
      {
        type: "slack",
        name: "chat",
        webhookUrl: SLACK_URL,
        minSeverity: "info",
        delivery: { ...DEFAULT_DELIVERY, maxAttempts: 3 },
      },
      {
        type: "webhook",
        name: "siem",
        url: "http://127.0.0.1:9000/in",
        secret: SECRET,
        minSeverity: "error",
        delivery: DEFAULT_DELIVERY,
      },
    ]);
  });

  it("rejects unknown keys everywhere", () => {
    expect(issuesOf({ cooldown: 1 })).toEqual([': Unrecognized key: "cooldown"']);
    expect(issuesOf({ sinks: [{ type: "slack", name: "a", webhookUrl: SLACK_URL, channel: "#x" }] })).toEqual(
      ['sinks.0: Unrecognized key: "channel"'],
    );
    expect(
      issuesOf({ sinks: [{ type: "slack", name: "a", webhookUrl: SLACK_URL, delivery: { retries: 1 } }] }),
    ).toEqual(['sinks.0.delivery: Unrecognized key: "retries"']);
  });

  it("reports every problem at once, never echoing a secret", () => {
    const bad = "not-a-key-but-secret-looking-123";
    const problems = issuesOf({
      worsenBps: 0,
      sinks: [
        { type: "pagerduty", name: "pager", routingKey: bad },
        {
          type: "slack",
          name: "pager",
          webhookUrl: "http://hooks.slack.com/services/T0SECRET1/B0SECRET2/xyz",
        },
        { type: "webhook", name: "Hook", url: "ftp://h.example/x", secret: "short-secret-value" },
      ],
    });
    expect(problems).toEqual([
      "worsenBps: must be an integer from 1 to 100000, got 0",
      "sinks.0.routingKey: must be a 32-character PagerDuty Events API v2 integration key (letters and digits)",
      "sinks.1.webhookUrl: must use https (http only to localhost, 127.0.0.1 or [::1])",
      "sinks.2.name: must be a lowercase slug: a letter, then letters, digits or '-', at most 32 characters",
      "sinks.2.url: must use https (http only to localhost, 127.0.0.1 or [::1])",
      "sinks.2.secret: must have at least 32 characters",
      'sinks.1.name: duplicate sink name "pager" (also sinks[0])',
    ]);
    const text = problems.join("\n");
    for (const secret of [bad, "T0SECRET1", "short-secret-value"]) expect(text).not.toContain(secret);
  });

  it("marks the routing key, the Slack URL and the webhook URL and secret sensitive once mounted", () => {
    const root = z.strictObject({ alerts: alertsConfigSchema.prefault({}) });
    const sensitive: string[] = [];
    const walk = (schema: z.ZodType, path: string, inherited: boolean) => {
      const info = unwrapSchema(schema);
      const isSensitive = inherited || info.sensitive;
      if (kindOf(schema) === "object") {
        for (const [key, child] of objectChildren(schema))
          walk(child, path ? `${path}.${key}` : key, isSensitive);
        return;
      }
      const element = arrayElement(schema);
      if (element && kindOf(element) !== "leaf") return walk(element, `${path}[]`, isSensitive);
      if (isSensitive) sensitive.push(path);
      else expect(info.description, `${path} has a description`).toBeTruthy();
    };
    walk(root, "", false);
    expect(sensitive).toEqual([
      "alerts.sinks[].routingKey",
      "alerts.sinks[].webhookUrl",
      "alerts.sinks[].url",
      "alerts.sinks[].secret",
    ]);
  });
});

import { describe, expect, it } from "vitest";
import { AlertRejectedError, AlertSinkUnavailableError } from "./errors.ts";
import { type FetchLike, parseRetryAfter, postJson, snippet } from "./http.ts";
import { createPagerDutySink, PAGERDUTY_EVENTS_URL, pagerDutyEvent } from "./pagerduty.ts";
import { createAlertSinks } from "./sinks.ts";
import { createSlackSink, slackMessage, urlSecrets } from "./slack.ts";
import type { AlertNotification } from "./types.ts";
import { createWebhookSink, signWebhook, verifyWebhookSignature } from "./webhook.ts";

const ROUTING_KEY = "R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY12";
const SLACK_URL = "https://hooks.slack.com/services/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";
const HMAC_SECRET = "whsec-0123456789abcdef0123456789abcdef";

const trigger: AlertNotification = {
  id: "n1",
  action: "trigger",
  kind: "new",
  dedupKey: "reserve-keeper/dusd/shortfall",
  assetId: "dusd",
  condition: "shortfall",
  severity: "critical",
  summary: "[dusd] Reserve shortfall: ratio 99.00% <b>",
  createdAtMs: Date.UTC(2026, 0, 2, 3, 4, 5),
  details: {
    ratio_bps: 9_900,
    ratio: "99.00%",
    delta: "-10000",
    reasons: [{ type: "ratio.below_pause" }],
    feed_chain_id: 31337,
  },
};
const resolve: AlertNotification = {
  ...trigger,
  id: "n2",
  action: "resolve",
  kind: "resolved",
  summary: "[dusd] Resolved.",
};

type Captured = { url: string; init: RequestInit };
function fakeFetch(respond: (c: Captured) => Response | Promise<Response>) {
  const calls: Captured[] = [];
  const fetch: FetchLike = async (url, init) => {
    const c = { url, init };
    calls.push(c);
    return respond(c);
  };
  return { fetch, calls };
}
const signal = () => new AbortController().signal;
const bodyOf = (c: Captured | undefined) => JSON.parse(String(c?.init.body)) as Record<string, unknown>;
const headersOf = (c: Captured | undefined) => (c?.init.headers ?? {}) as Record<string, string>;

describe("postJson", () => {
  const post = (fetch: FetchLike, secrets: string[] = []) =>
    postJson({
      sink: "s",
      url: "https://x.example/hook",
      body: "{}",
      signal: signal(),
      fetch,
      secrets,
      now: () => 0,
    });

  it("accepts any 2xx and never follows redirects", async () => {
    const f = fakeFetch(() => new Response("", { status: 202 }));
    await expect(post(f.fetch)).resolves.toBeUndefined();
    expect(f.calls[0]?.init).toMatchObject({ method: "POST", redirect: "manual" });
    const r = fakeFetch(() => new Response("", { status: 302, headers: { location: "https://elsewhere" } }));
    await expect(post(r.fetch)).rejects.toBeInstanceOf(AlertRejectedError);
  });

  it("maps 429 and 5xx to retryable errors carrying Retry-After", async () => {
    const tooMany = fakeFetch(
      () => new Response("slow down", { status: 429, headers: { "retry-after": "7" } }),
    );
    const err = await post(tooMany.fetch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlertSinkUnavailableError);
    expect(err).toMatchObject({ reason: "http_429", status: 429, retryAfterMs: 7_000, retryable: true });
    const down = fakeFetch(() => new Response("", { status: 503 }));
    expect(await post(down.fetch).catch((e: unknown) => e)).toMatchObject({
      reason: "http_5xx",
      retryAfterMs: undefined,
    });
  });

  it("maps other 4xx to a non-retryable rejection whose body excerpt has the secrets removed", async () => {
    const f = fakeFetch(() => new Response(`{"error":"bad key ${ROUTING_KEY}"}`, { status: 400 }));
    const err = (await post(f.fetch, [ROUTING_KEY]).catch((e: unknown) => e)) as AlertRejectedError;
    expect(err).toBeInstanceOf(AlertRejectedError);
    expect(err.retryable).toBe(false);
    expect(err.details?.body).toBe('{"error":"bad key [redacted]"}');
    expect(err.message).not.toContain(ROUTING_KEY);
  });

  it("maps network errors to retryable errors with the system code only (never the message)", async () => {
    const f: FetchLike = async () => {
      throw new TypeError(`fetch failed for ${SLACK_URL}`, {
        cause: Object.assign(new Error("x"), { code: "ECONNREFUSED" }),
      });
    };
    const err = (await post(f).catch((e: unknown) => e)) as AlertSinkUnavailableError;
    expect(err).toMatchObject({ reason: "network", retryable: true });
    expect(err.details?.errorCode).toBe("ECONNREFUSED");
    expect(err.message).not.toContain("T0SECRET1");
  });

  it("parses Retry-After seconds and dates", () => {
    expect(parseRetryAfter("120", 0)).toBe(120_000);
    expect(parseRetryAfter("Thu, 01 Jan 1970 00:00:30 GMT", 10_000)).toBe(20_000);
    expect(parseRetryAfter("Thu, 01 Jan 1970 00:00:30 GMT", 60_000)).toBe(0);
    expect(parseRetryAfter("soon", 0)).toBeUndefined();
    expect(parseRetryAfter(null, 0)).toBeUndefined();
  });

  it("snippet scrubs and shortens", () => {
    expect(snippet(`a ${"x".repeat(300)}`, []).length).toBe(201);
    expect(snippet("key=abcdefgh  done", ["abcdefgh"])).toBe("key=[redacted] done");
  });
});

describe("PagerDuty Events API v2", () => {
  it("builds a trigger with severity, component, group, class and custom_details", () => {
    expect(pagerDutyEvent(trigger, { routingKey: ROUTING_KEY })).toEqual({
      routing_key: ROUTING_KEY,
      event_action: "trigger",
      dedup_key: "reserve-keeper/dusd/shortfall",
      client: "reserve-keeper",
      payload: {
        summary: trigger.summary,
        source: "reserve-keeper",
        severity: "critical",
        timestamp: "2026-01-02T03:04:05.000Z",
        component: "dusd",
        group: "proof-of-reserve",
        class: "shortfall",
        custom_details: { ...trigger.details, notification_id: "n1" },
      },
    });
  });

  it("builds a resolve with the same dedup key only", () => {
    expect(pagerDutyEvent(resolve, { routingKey: ROUTING_KEY })).toEqual({
      routing_key: ROUTING_KEY,
      event_action: "resolve",
      dedup_key: "reserve-keeper/dusd/shortfall",
    });
  });

  it("posts to the default endpoint; 202 is success", async () => {
    const f = fakeFetch(() => Response.json({ status: "success", dedup_key: "x" }, { status: 202 }));
    const sink = createPagerDutySink({
      name: "pd",
      routingKey: ROUTING_KEY,
      fetch: f.fetch,
      source: "keeper-1",
    });
    await sink.send(trigger, { signal: signal() });
    expect(f.calls[0]?.url).toBe(PAGERDUTY_EVENTS_URL);
    expect(bodyOf(f.calls[0])).toMatchObject({ payload: { source: "keeper-1" } });
    expect(sink).toMatchObject({
      name: "pd",
      minSeverity: "warning",
      supportsResolve: true,
      secrets: [ROUTING_KEY],
    });
  });
});

describe("Slack incoming webhook", () => {
  it("sends text + blocks, with escaped mrkdwn and the key facts as fields", async () => {
    const message = slackMessage(trigger);
    expect(message.text).toBe(":rotating_light: CRITICAL [dusd] Reserve shortfall: ratio 99.00% <b>");
    expect(JSON.stringify(message.blocks)).toContain("ratio 99.00% &lt;b&gt;");
    expect(message.blocks[1]).toMatchObject({
      type: "section",
      fields: expect.arrayContaining([
        { type: "mrkdwn", text: "*Ratio*\n99.00%" },
        { type: "mrkdwn", text: "*Delta*\n-10000" },
      ]),
    });
    expect(JSON.stringify(message.blocks[2])).toContain("reserve-keeper/dusd/shortfall");
  });

  it("has a resolved message", () => {
    expect(slackMessage(resolve).text).toBe(":white_check_mark: RESOLVED [dusd] Resolved.");
    expect(slackMessage({ ...trigger, kind: "worsened" }).text).toContain("CRITICAL (worse)");
  });

  it("posts to the webhook URL and treats the URL parts as secrets", async () => {
    const f = fakeFetch(() => new Response("ok", { status: 200 }));
    const sink = createSlackSink({ name: "chat", webhookUrl: SLACK_URL, fetch: f.fetch });
    await sink.send(resolve, { signal: signal() });
    expect(f.calls[0]?.url).toBe(SLACK_URL);
    expect(bodyOf(f.calls[0])).toHaveProperty("blocks");
    expect(urlSecrets(SLACK_URL)).toEqual(
      expect.arrayContaining([SLACK_URL, "T0SECRET1", "B0SECRET2", "sEcReTsEcReTsEcReT123456"]),
    );
    expect(urlSecrets(SLACK_URL)).not.toContain("services");
  });
});

describe("signed webhook", () => {
  const NOW = 1_767_000_000_000;
  it('signs "timestamp.body" with HMAC-SHA256 and sends the notification as JSON', async () => {
    const f = fakeFetch(() => new Response(null, { status: 204 }));
    const sink = createWebhookSink({
      name: "hook",
      url: "https://hooks.example/in?token=abcdefgh1234",
      secret: HMAC_SECRET,
      fetch: f.fetch,
      now: () => NOW,
    });
    await sink.send(trigger, { signal: signal() });
    const headers = headersOf(f.calls[0]);
    const body = String(f.calls[0]?.init.body);
    expect(headers["X-Reserve-Keeper-Timestamp"]).toBe(String(NOW / 1000));
    expect(headers["X-Reserve-Keeper-Signature"]).toMatch(/^[0-9a-f]{64}$/);
    expect(headers["X-Reserve-Keeper-Notification-Id"]).toBe("n1");
    expect(headers["X-Reserve-Keeper-Signature"]).toBe(
      signWebhook({ secret: HMAC_SECRET, timestamp: NOW / 1000, body }),
    );
    expect(JSON.parse(body)).toMatchObject({
      version: 1,
      id: "n1",
      action: "trigger",
      kind: "new",
      dedup_key: "reserve-keeper/dusd/shortfall",
      asset: "dusd",
      condition: "shortfall",
      severity: "critical",
      created_at: "2026-01-02T03:04:05.000Z",
      details: { ratio_bps: 9_900 },
    });
    expect(sink.secrets).toEqual(expect.arrayContaining([HMAC_SECRET, "abcdefgh1234"]));
  });

  it("verifies: good signature passes; wrong secret, tampered body, old or future timestamp, junk fail", () => {
    const body = '{"a":1}';
    const timestamp = String(NOW / 1000);
    const signature = signWebhook({ secret: HMAC_SECRET, timestamp, body });
    const now = () => NOW + 10_000;
    const verify = (over: Partial<Parameters<typeof verifyWebhookSignature>[0]>) =>
      verifyWebhookSignature({ secret: HMAC_SECRET, timestamp, signature, body, now, ...over });
    expect(verify({})).toEqual({ ok: true });
    expect(verify({ body: Buffer.from(body) })).toEqual({ ok: true });
    expect(verify({ signature: signature.toUpperCase() })).toEqual({ ok: true });
    expect(verify({ secret: `${HMAC_SECRET}x` })).toEqual({ ok: false, reason: "signature_mismatch" });
    expect(verify({ body: '{"a":2}' })).toEqual({ ok: false, reason: "signature_mismatch" });
    expect(verify({ now: () => NOW + 301_000 })).toEqual({ ok: false, reason: "timestamp_out_of_tolerance" });
    expect(verify({ now: () => NOW - 301_000 })).toEqual({ ok: false, reason: "timestamp_out_of_tolerance" });
    expect(verify({ now: () => NOW + 3_000_000, toleranceSeconds: 3_600 })).toEqual({ ok: true });
    expect(verify({ timestamp: "12x" })).toEqual({ ok: false, reason: "timestamp_malformed" });
    expect(verify({ timestamp: undefined })).toEqual({ ok: false, reason: "timestamp_malformed" });
    expect(verify({ signature: "abc" })).toEqual({ ok: false, reason: "signature_malformed" });
    expect(verify({ signature: null })).toEqual({ ok: false, reason: "signature_malformed" });
  });
});

describe("createAlertSinks", () => {
  it("builds one sink per config entry", () => {
    const delivery = {
      timeoutMs: 1_000,
      maxAttempts: 3,
      queueCapacity: 5,
      backoffBaseMs: 10,
      backoffMaxMs: 100,
      maxRetryAfterMs: 1_000,
    };
    const sinks = createAlertSinks({
      sinks: [
        {
          type: "pagerduty",
          name: "pd",
          routingKey: ROUTING_KEY,
          eventsUrl: PAGERDUTY_EVENTS_URL,
          source: "k",
          minSeverity: "warning",
          delivery,
        },
        { type: "slack", name: "chat", webhookUrl: SLACK_URL, minSeverity: "info", delivery },
        {
          type: "webhook",
          name: "hook",
          url: "https://h.example/in",
          secret: HMAC_SECRET,
          minSeverity: "error",
          delivery,
        },
      ],
    });
    expect(sinks.map((s) => [s.name, s.minSeverity, s.delivery?.queueCapacity])).toEqual([
      ["pd", "warning", 5],
      ["chat", "info", 5],
      ["hook", "error", 5],
    ]);
  });
});

/**
 * Alert delivery against a REAL local HTTP receiver (node:http on 127.0.0.1, a free port from the OS):
 * real fetch, real sockets, real PagerDuty / Slack / webhook bodies. Decisions come from the real
 * engine (decide). Lifecycle time is an injected clock; retries use 1 ms backoffs so nothing sleeps.
 */
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createAlertManager } from "../../keeper/alerts/manager.ts";
import { createPagerDutySink } from "../../keeper/alerts/pagerduty.ts";
import { createSlackSink } from "../../keeper/alerts/slack.ts";
import { captureLogger, pauseFailed, pauseMined, recordingMetrics } from "../../keeper/alerts/testSupport.ts";
import type { AlertSink, DeliveryOptions } from "../../keeper/alerts/types.ts";
import {
  createWebhookSink,
  verifyWebhookSignature,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
} from "../../keeper/alerts/webhook.ts";
import { decide } from "../../keeper/engine/decide.ts";
import type {
  Address,
  AssetSnapshot,
  Decision,
  DecisionState,
  Hex,
  Policy,
} from "../../keeper/engine/types.ts";

const ROUTING_KEY = "R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY12";
const HMAC_SECRET = "whsec-0123456789abcdef0123456789abcdef";
const SLACK_PATH = "/services/T0SECRET1/B0SECRET2/sEcReTsEcReTsEcReT123456";

// ---------------------------------------------------------------------------------------------
// The receiver
// ---------------------------------------------------------------------------------------------

type Received = { path: string; headers: IncomingHttpHeaders; body: string };
/** An HTTP status, or "hang": take the request and never answer (until release()). */
type Answer = number | "hang";

type Receiver = {
  readonly url: string;
  readonly requests: Received[];
  /** Answers for the next requests, in order; afterwards 202. */
  answer(...answers: Answer[]): void;
  /** Resolves when the receiver has seen `n` requests. */
  seen(n: number): Promise<void>;
  /** Answers every hanging request with 202. */
  release(): void;
  close(): Promise<void>;
};

const receivers: Receiver[] = [];

async function startReceiver(): Promise<Receiver> {
  const requests: Received[] = [];
  const answers: Answer[] = [];
  const hanging: ServerResponse[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push({
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      for (const w of waiters.filter((x) => requests.length >= x.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      const answer = answers.shift() ?? 202;
      if (answer === "hang") {
        hanging.push(res);
        return;
      }
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (answer === 429) headers["retry-after"] = "0";
      res.writeHead(answer, headers);
      res.end(JSON.stringify({ status: answer === 202 ? "success" : "error", echo: req.url }));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer: (...a) => answers.push(...a),
    seen: (n) =>
      requests.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
    release: () => {
      for (const res of hanging.splice(0)) res.writeHead(202).end("{}");
    },
    close: async () => {
      for (const res of hanging.splice(0)) res.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, "close").catch(() => {});
    },
  };
  receivers.push(receiver);
  return receiver;
}

afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

// ---------------------------------------------------------------------------------------------
// Decisions from the real engine
// ---------------------------------------------------------------------------------------------

const POLICY: Policy = {
  warnRatioBps: 10_100n,
  pauseRatioBps: 10_000n,
  hysteresisBps: 25n,
  heartbeatSeconds: 3_600n,
  graceSeconds: 60n,
  staleAction: "alert",
  marginBps: 0n,
};
const E18 = 10n ** 18n;
const HASH = `0x${"12".repeat(32)}` as Hex;
const FEED = "0x00000000000000000000000000000000000000fe" as Address;
const TOKEN = "0x00000000000000000000000000000000000000c0" as Address;

/** Feeds the engine one snapshot per ratio; returns its decisions (the runtime's onDecision input). */
function engine(assetId = "dusd") {
  let state: DecisionState | undefined;
  return (ratioBps: bigint, nowSeconds: bigint): Decision => {
    const asset: AssetSnapshot = {
      assetId,
      reserve: {
        type: "reserve.observed",
        assetId,
        chainId: 31337,
        feed: FEED,
        aggregator: FEED,
        roundId: 1n,
        answer: ratioBps * 10n ** 14n * 1_000_000n,
        feedDecimals: 18,
        updatedAt: nowSeconds - 10n,
        block: { number: 10n, hash: HASH },
        source: "event",
      },
      supplies: [
        {
          chainId: 31337,
          observation: {
            type: "supply.observed",
            assetId,
            chainId: 31337,
            token: TOKEN,
            totalSupply: 1_000_000n * E18,
            tokenDecimals: 18,
            block: { number: 10n, hash: HASH },
            source: "reconcile",
          },
        },
      ],
    };
    const result = decide({ state, asset, policy: POLICY, now: nowSeconds });
    state = result.nextState;
    return result.decision;
  };
}

const FAST: Partial<DeliveryOptions> = {
  backoffBaseMs: 1,
  backoffMaxMs: 2,
  timeoutMs: 5_000,
  maxAttempts: 5,
};

function harness(sinks: AlertSink[]) {
  let clock = Date.UTC(2026, 0, 1);
  const log = captureLogger();
  const recorder = recordingMetrics();
  const manager = createAlertManager({
    sinks,
    policy: { cooldownMs: 600_000, worsenBps: 50, resolveAfterMs: 60_000 },
    now: () => clock,
    logger: log.logger,
    metrics: recorder.metrics,
    random: () => 0,
  });
  const next = engine();
  /** One decision per second of injected time. */
  const run = (ratios: readonly bigint[]) => {
    for (const ratio of ratios) {
      manager.onDecision(next(ratio, BigInt(Math.floor(clock / 1000))));
      clock += 1_000;
    }
  };
  return { manager, log, recorder, run };
}

const repeat = (ratio: bigint, n: number) => Array.from({ length: n }, () => ratio);
const json = (r: Received | undefined) => JSON.parse(r?.body ?? "null") as Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe("alerts against a real HTTP receiver", () => {
  it("a breach sequence sends exactly one PagerDuty trigger; recovery exactly one resolve, same dedup_key", async () => {
    const pd = await startReceiver();
    const pager = createPagerDutySink({
      name: "pager",
      routingKey: ROUTING_KEY,
      url: `${pd.url}/v2/enqueue`,
      delivery: FAST,
    });
    const t = harness([pager]);
    // healthy, then a shortfall that lasts 100 decisions and wobbles (less than worsenBps), then recovery.
    t.run(repeat(10_300n, 10));
    t.run(Array.from({ length: 100 }, (_, i) => 9_900n - BigInt(i % 30)));
    await t.manager.flush();
    expect(pd.requests).toHaveLength(1);
    t.run(repeat(10_300n, 120)); // clear for 2 minutes > resolveAfterMs
    await t.manager.flush();
    expect(pd.requests).toHaveLength(2);
    const [trigger, resolve] = pd.requests.map(json);
    expect(pd.requests.every((r) => r.path === "/v2/enqueue")).toBe(true);
    expect(trigger).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: "trigger",
      dedup_key: "reserve-keeper/dusd/shortfall",
      payload: {
        severity: "critical",
        source: "reserve-keeper",
        component: "dusd",
        class: "shortfall",
        custom_details: {
          decision: "breach",
          ratio_bps: 9_900,
          delta: "-10000",
          feed_chain_id: 31337,
          reasons: [{ type: "ratio.below_pause", ratio_bps: "9900", pause_ratio_bps: "10000" }],
        },
      },
    });
    expect(resolve).toEqual({
      routing_key: ROUTING_KEY,
      event_action: "resolve",
      dedup_key: "reserve-keeper/dusd/shortfall",
    });
    expect(t.recorder.count("sent", { sink: "pager", action: "trigger" })).toBe(1);
    expect(t.recorder.count("sent", { sink: "pager", action: "resolve" })).toBe(1);
    await t.manager.close();
  });

  it("a receiver answering 500 twice then 202 gets the notification delivered once, after retries", async () => {
    const pd = await startReceiver();
    pd.answer(500, 500, 202);
    const t = harness([
      createPagerDutySink({ name: "pager", routingKey: ROUTING_KEY, url: pd.url, delivery: FAST }),
    ]);
    t.run([9_000n]);
    await t.manager.flush();
    expect(pd.requests).toHaveLength(3);
    expect(new Set(pd.requests.map((r) => r.body)).size).toBe(1); // the same event each time
    expect(t.recorder.count("errors", { sink: "pager", reason: "http_5xx" })).toBe(2);
    expect(t.recorder.count("sent", { sink: "pager", action: "trigger" })).toBe(1);
    expect(t.recorder.total("failed")).toBe(0);
    await t.manager.close();
  });

  it("429 is retried (Retry-After honoured); another 4xx is not", async () => {
    const pd = await startReceiver();
    pd.answer(429, 202, 400);
    const t = harness([
      createPagerDutySink({ name: "pager", routingKey: ROUTING_KEY, url: pd.url, delivery: FAST }),
    ]);
    t.run([9_000n]); // trigger: 429, then 202
    t.manager.onPauseEvent(pauseFailed()); // pause_failed trigger: 400, dropped without retry
    await t.manager.flush();
    expect(pd.requests).toHaveLength(3);
    expect(t.recorder.count("errors", { sink: "pager", reason: "http_429" })).toBe(1);
    expect(t.recorder.count("failed", { sink: "pager", reason: "rejected" })).toBe(1);
    await t.manager.close();
  });

  it("the signed webhook verifies with the secret and fails with a wrong secret or an old timestamp", async () => {
    const hook = await startReceiver();
    const t = harness([
      createWebhookSink({ name: "siem", url: `${hook.url}/hook`, secret: HMAC_SECRET, delivery: FAST }),
    ]);
    t.run([9_000n]);
    t.manager.onPauseEvent(pauseMined());
    await t.manager.flush();
    expect(hook.requests).toHaveLength(2);
    for (const r of hook.requests) {
      const timestamp = r.headers[WEBHOOK_TIMESTAMP_HEADER.toLowerCase()] as string;
      const signature = r.headers[WEBHOOK_SIGNATURE_HEADER.toLowerCase()] as string;
      const arrived = Number(timestamp) * 1000;
      const verify = (secret: string, now: number) =>
        verifyWebhookSignature({ secret, timestamp, signature, body: r.body, now: () => now });
      expect(verify(HMAC_SECRET, arrived + 1_000)).toEqual({ ok: true });
      expect(verify(`${HMAC_SECRET}-wrong`, arrived + 1_000)).toEqual({
        ok: false,
        reason: "signature_mismatch",
      });
      expect(verify(HMAC_SECRET, arrived + 10 * 60_000)).toEqual({
        ok: false,
        reason: "timestamp_out_of_tolerance",
      });
    }
    expect(hook.requests.map((r) => [json(r).condition, json(r).severity])).toEqual([
      ["shortfall", "critical"],
      ["breaker_paused", "info"],
    ]);
    await t.manager.close();
  });

  it("a hanging receiver never delays onDecision: the call returns before the request even starts", async () => {
    const pd = await startReceiver();
    pd.answer("hang");
    const t = harness([
      createPagerDutySink({
        name: "pager",
        routingKey: ROUTING_KEY,
        url: pd.url,
        delivery: { ...FAST, timeoutMs: 60_000 },
      }),
    ]);
    const order: string[] = [];
    void pd.seen(1).then(() => order.push("request received"));
    const result = t.manager.onDecision(engine()(9_000n, 1_767_225_600n)) as unknown;
    order.push("onDecision returned");
    expect(result).toBeUndefined();
    expect(pd.requests).toHaveLength(0);
    t.manager.onPauseEvent(pauseFailed()); // the pause path: same, returns at once
    order.push("onPauseEvent returned");
    await pd.seen(1);
    // The request is in flight and unanswered; both calls had long returned.
    expect(order).toEqual(["onDecision returned", "onPauseEvent returned", "request received"]);
    expect(t.recorder.total("sent")).toBe(0);
    expect(t.manager.queueDepths()).toEqual({ pager: 2 });
    pd.release();
    await t.manager.flush();
    expect(t.recorder.total("sent")).toBe(2);
    await t.manager.close();
  });

  it("a dead receiver (connection refused) never throws or blocks; failures are counted", async () => {
    const gone = await startReceiver();
    const url = gone.url;
    await gone.close();
    receivers.splice(receivers.indexOf(gone), 1);
    const t = harness([
      createPagerDutySink({
        name: "pager",
        routingKey: ROUTING_KEY,
        url,
        delivery: { ...FAST, maxAttempts: 3 },
      }),
    ]);
    expect(() => t.run([9_000n])).not.toThrow();
    await t.manager.flush();
    expect(t.recorder.count("errors", { sink: "pager", reason: "network" })).toBe(3);
    expect(t.recorder.count("failed", { sink: "pager", reason: "retries_exhausted" })).toBe(1);
    const gaveUp = t.log.records().find((r) => r.msg === "alert delivery failed; giving up");
    expect(gaveUp).toMatchObject({
      sink: "pager",
      error_code: "ECONNREFUSED",
      dedup_key: "reserve-keeper/dusd/shortfall",
    });
    await t.manager.close();
  });

  it("never logs a routing key, an HMAC secret or a Slack URL — even when the receiver echoes them", async () => {
    const rx = await startReceiver();
    rx.answer(500, 400, 400, 429, 202);
    const sinks = [
      createPagerDutySink({
        name: "pager",
        routingKey: ROUTING_KEY,
        url: `${rx.url}/pd/${ROUTING_KEY}`,
        delivery: FAST,
      }),
      createSlackSink({ name: "chat", webhookUrl: `${rx.url}${SLACK_PATH}`, delivery: FAST }),
      createWebhookSink({
        name: "siem",
        url: `${rx.url}/hook?token=tok3nTOK3Ntok3n`,
        secret: HMAC_SECRET,
        delivery: FAST,
      }),
    ];
    const t = harness(sinks);
    t.run([9_000n]);
    await t.manager.flush();
    t.run(repeat(10_300n, 70));
    await t.manager.flush();
    const logs = t.log.text();
    expect(logs).toContain('"sink":"chat"');
    expect(logs).toContain("alert rejected by the sink; not retried");
    for (const secret of [
      ROUTING_KEY,
      HMAC_SECRET,
      SLACK_PATH,
      "T0SECRET1",
      "B0SECRET2",
      "sEcReTsEcReTsEcReT123456",
      "tok3nTOK3Ntok3n",
      rx.url,
    ]) {
      expect(logs).not.toContain(secret);
    }
    await t.manager.close();
  });
});

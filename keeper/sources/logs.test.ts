import type { PublicClient } from "viem";
import { describe, expect, it } from "vitest";
import { type Scheduler, WS_RETRY, watchLogs } from "./logs.ts";

/** A client whose watchEvent records each watch and lets the test fail it. */
function fakeClient() {
  const watches: { poll: boolean; active: boolean; fail: (e: Error) => void }[] = [];
  const client = {
    watchEvent: (p: { poll: boolean; onError: (e: Error) => void }) => {
      const w = { poll: p.poll, active: true, fail: (e: Error) => p.onError(e) };
      watches.push(w);
      return () => {
        w.active = false;
      };
    },
  } as unknown as PublicClient;
  return { client, watches, active: () => watches.filter((w) => w.active) };
}

/** Timers the test advances by hand. */
function manualScheduler() {
  let now = 0;
  const timers: { at: number; fn: () => void; id: number }[] = [];
  let next = 0;
  const scheduler: Scheduler = {
    setTimeout: (fn, ms) => {
      const id = next++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout: (h) => {
      const i = timers.findIndex((t) => t.id === h);
      if (i >= 0) timers.splice(i, 1);
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (;;) {
      const due = timers.filter((t) => t.at <= now).sort((a, b) => a.at - b.at)[0];
      if (!due) return;
      timers.splice(timers.indexOf(due), 1);
      due.fn();
    }
  };
  return { scheduler, advance };
}

describe("watchLogs self-healing", () => {
  const base = {
    address: "0x0000000000000000000000000000000000000001" as const,
    events: [],
    onLogs: () => {},
  };

  it("falls back to HTTP polling on a WebSocket failure, sweeps once, re-subscribes and stops polling when stable", () => {
    const ws = fakeClient();
    const http = fakeClient();
    const { scheduler, advance } = manualScheduler();
    const errors: string[] = [];
    let fallbacks = 0;
    const watch = watchLogs({
      ...base,
      clients: { http: http.client, ws: ws.client },
      scheduler,
      onError: (_e, t) => errors.push(t),
      onFallback: () => fallbacks++,
    });
    expect(watch.current()).toBe("ws");
    expect(ws.active()).toHaveLength(1);

    ws.active()[0]!.fail(new Error("socket closed"));
    expect(errors).toEqual(["ws"]);
    expect(fallbacks).toBe(1);
    expect(http.active().map((w) => w.poll)).toEqual([true]);
    expect(ws.active()).toHaveLength(0);
    expect(watch.current()).toBe("http_poll");

    // The retry fails again: still polling, no second sweep, a longer backoff.
    advance(WS_RETRY.firstMs);
    expect(ws.active()).toHaveLength(1);
    ws.active()[0]!.fail(new Error("still down"));
    expect(fallbacks).toBe(1);
    expect(http.active()).toHaveLength(1);
    advance(WS_RETRY.firstMs);
    expect(ws.active()).toHaveLength(0);
    advance(WS_RETRY.firstMs);
    expect(ws.active()).toHaveLength(1);

    // Healthy long enough: polling stops, the subscription carries on.
    advance(WS_RETRY.stableMs - 1);
    expect(http.active()).toHaveLength(1);
    advance(1);
    expect(http.active()).toHaveLength(0);
    expect(watch.current()).toBe("ws");

    watch.unwatch();
    expect(ws.active()).toHaveLength(0);
  });

  it("polls over HTTP from the start when there is no WebSocket client, and unwatch stops everything", () => {
    const http = fakeClient();
    const { scheduler } = manualScheduler();
    const watch = watchLogs({ ...base, clients: { http: http.client }, scheduler, onError: () => {} });
    expect(watch.transport).toBe("http_poll");
    expect(http.active()).toHaveLength(1);
    watch.unwatch();
    expect(http.active()).toHaveLength(0);
  });
});

import { describe, expect, it } from "vitest";
import { NonRetryableError, RetryableError } from "../../internal/errors.ts";
import { type PollClock, pollUntilComplete } from "./poll.ts";

class Flaky extends RetryableError {
  constructor() {
    super({ shortMessage: "Flaky.", code: "FLAKY" });
  }
}
class Broken extends NonRetryableError {
  constructor() {
    super({ shortMessage: "Broken.", code: "BROKEN" });
  }
}

/** A clock whose sleep advances time at once and records the delays. */
function fakeClock() {
  let t = 0;
  const sleeps: number[] = [];
  const clock: PollClock = {
    now: () => t,
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
  };
  return { clock, sleeps };
}

const args = { timeoutMs: 10_000, initialIntervalMs: 1_000, maxIntervalMs: 3_000 };

describe("pollUntilComplete", () => {
  it("waits through 404/pending with growing intervals, doubles after errors, and returns the value", async () => {
    const { clock, sleeps } = fakeClock();
    const answers = ["not_found", "pending", new Flaky(), "pending", "done"];
    const statuses: string[] = [];
    const result = await pollUntilComplete({
      ...args,
      clock,
      check: async () => {
        const a = answers.shift();
        if (a instanceof Error) throw a;
        return a === "done" ? { type: "done", value: 42 } : { type: "waiting", status: a as string };
      },
      onPoll: ({ status }) => statuses.push(status),
      onTimeout: () => new Error("timeout"),
    });
    expect(result).toEqual({ value: 42, polls: 5, waitMs: 1_000 + 1_500 + 2_250 + 3_000 });
    expect(sleeps).toEqual([1_000, 1_500, 2_250, 3_000]);
    expect(statuses).toEqual(["not_found", "pending", "FLAKY", "pending", "complete"]);
  });

  it("stops at the deadline with the caller's error naming the last status", async () => {
    const { clock, sleeps } = fakeClock();
    const err = await pollUntilComplete({
      ...args,
      clock,
      check: async () => ({ type: "waiting", status: "pending_confirmations" }),
      onTimeout: ({ polls, lastStatus }) => new Error(`timeout after ${polls} polls: ${lastStatus}`),
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe("timeout after 6 polls: pending_confirmations");
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(10_000);
  });

  it("ends at once on a non-retryable error", async () => {
    const { clock } = fakeClock();
    let polls = 0;
    await expect(
      pollUntilComplete({
        ...args,
        clock,
        check: async () => {
          polls++;
          throw new Broken();
        },
        onTimeout: () => new Error("timeout"),
      }),
    ).rejects.toBeInstanceOf(Broken);
    expect(polls).toBe(1);
  });

  it("stops when aborted", async () => {
    const controller = new AbortController();
    const { clock } = fakeClock();
    const run = pollUntilComplete({
      ...args,
      clock,
      signal: controller.signal,
      check: async () => {
        controller.abort(new Error("stopped"));
        return { type: "waiting", status: "pending" };
      },
      onTimeout: () => new Error("timeout"),
    });
    await expect(run).rejects.toThrow("stopped");
  });
});

/**
 * Polls an attestation until it is complete, with backoff and a deadline. `check` returns the value
 * when complete or a status string while not yet (404 and pending are normal); a retryable error
 * (network, 5xx, …) waits twice as long before the next try, a non-retryable one ends the wait.
 * Clock and sleep are injectable (fake timers in tests).
 */
import { isRetryable } from "../../internal/errors.ts";

export type PollCheck<T> = () => Promise<{ type: "done"; value: T } | { type: "waiting"; status: string }>;

export type PollClock = {
  /** Milliseconds (default Date.now). */
  readonly now: () => number;
  /** Resolves after `ms` (default setTimeout); rejects when `signal` aborts. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
};

export const systemPollClock: PollClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

export type PollArgs<T> = {
  readonly check: PollCheck<T>;
  readonly timeoutMs: number;
  readonly initialIntervalMs: number;
  readonly maxIntervalMs: number;
  /** Builds the error thrown at the deadline. */
  readonly onTimeout: (info: { polls: number; lastStatus: string }) => Error;
  /** Called after every request (status: the waiting status, "complete" or the error's code). */
  readonly onPoll?: (info: { polls: number; status: string; error?: unknown }) => void;
  readonly clock?: PollClock;
  readonly signal?: AbortSignal;
};

export type PollOutcome<T> = { readonly value: T; readonly polls: number; readonly waitMs: number };

/** Waiting grows the interval by half each time; errors double it; both capped at maxIntervalMs. */
export async function pollUntilComplete<T>(args: PollArgs<T>): Promise<PollOutcome<T>> {
  const clock = args.clock ?? systemPollClock;
  const start = clock.now();
  const deadline = start + args.timeoutMs;
  let interval = args.initialIntervalMs;
  let polls = 0;
  let lastStatus = "not requested";
  for (;;) {
    args.signal?.throwIfAborted();
    polls++;
    let grow = 1.5;
    try {
      const result = await args.check();
      if (result.type === "done") {
        args.onPoll?.({ polls, status: "complete" });
        return { value: result.value, polls, waitMs: clock.now() - start };
      }
      lastStatus = result.status;
      args.onPoll?.({ polls, status: result.status });
    } catch (error) {
      if (!isRetryable(error)) throw error;
      lastStatus = (error as { code?: string }).code ?? "error";
      args.onPoll?.({ polls, status: lastStatus, error });
      grow = 2;
    }
    const now = clock.now();
    if (now >= deadline) throw args.onTimeout({ polls, lastStatus });
    await clock.sleep(Math.min(interval, deadline - now), args.signal);
    interval = Math.min(Math.ceil(interval * grow), args.maxIntervalMs);
  }
}

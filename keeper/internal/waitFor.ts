import { WaitTimeoutError } from "./errors.ts";

/**
 * Polls `check` until it returns something other than undefined/false, and returns that; throws
 * WaitTimeoutError naming `what` at the deadline. For tools, the devnet demo, benches and tests —
 * never a fixed sleep.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
  intervalMs = 20,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v as T;
    if (performance.now() > deadline) throw new WaitTimeoutError({ what, timeoutMs });
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

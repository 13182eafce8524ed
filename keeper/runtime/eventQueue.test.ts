import { describe, expect, it } from "vitest";
import type { SourceEvent } from "../sources/types.ts";
import { createEventQueue } from "./eventQueue.ts";

const tick = (now: bigint): SourceEvent => ({ type: "clock.tick", now });

describe("createEventQueue", () => {
  it("handles events one at a time in arrival order, holds while asked, and reports handler errors without stopping", async () => {
    const seen: bigint[] = [];
    const errors: bigint[] = [];
    let running = 0;
    const queue = createEventQueue({
      handle: async ({ event }) => {
        running++;
        expect(running).toBe(1);
        await Promise.resolve();
        if (event.type === "clock.tick" && event.now === 2n) {
          running--;
          throw new Error("boom");
        }
        if (event.type === "clock.tick") seen.push(event.now);
        running--;
      },
      onError: (_e, item) => {
        if (item.event.type === "clock.tick") errors.push(item.event.now);
      },
    });
    queue.hold();
    queue.push(tick(1n), { receivedAtMs: 0 });
    queue.push(tick(2n), { receivedAtMs: 0 });
    await queue.idle();
    expect(seen).toEqual([]);
    expect(queue.size()).toBe(2);
    queue.push(tick(3n), { receivedAtMs: 0 });
    queue.release();
    await queue.idle();
    expect(seen).toEqual([1n, 3n]);
    expect(errors).toEqual([2n]);
    expect(queue.size()).toBe(0);
  });
});

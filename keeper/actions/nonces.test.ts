import type { Address } from "viem";
import { describe, expect, it } from "vitest";
import { createNonceManager, type NonceClient } from "./nonces.ts";

const address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as Address;

/** A chain whose counts the test sets; records every read. */
function fakeClient(init: { latest: number; pending: number }) {
  const counts = { ...init };
  const reads: string[] = [];
  const client: NonceClient = {
    async getTransactionCount({ blockTag }) {
      reads.push(blockTag);
      return counts[blockTag];
    },
  };
  return { client, counts, reads };
}

describe("createNonceManager", () => {
  it("initialises from the pending count once, then hands out nonces without RPC", async () => {
    const { client, reads } = fakeClient({ latest: 5, pending: 7 });
    const nm = createNonceManager({ client, address });
    const a = await nm.reserve();
    expect(a.nonce).toBe(7);
    a.release(true);
    const b = await nm.reserve();
    expect(b.nonce).toBe(8);
    b.release(true);
    expect(reads).toEqual(["pending"]);
    expect(nm.peek()).toBe(9);
  });

  it("reuses a reserved but unused nonce (no gap)", async () => {
    const { client } = fakeClient({ latest: 3, pending: 3 });
    const nm = createNonceManager({ client, address });
    const a = await nm.reserve();
    a.release(false);
    const b = await nm.reserve();
    expect(b.nonce).toBe(3);
    b.release(true);
    expect((await nm.reserve()).nonce).toBe(4);
  });

  it("serialises reservations: the second waits for the first's release", async () => {
    const { client } = fakeClient({ latest: 0, pending: 0 });
    const nm = createNonceManager({ client, address });
    const a = await nm.reserve();
    let second: number | undefined;
    const pending = nm.reserve().then((r) => {
      second = r.nonce;
      return r;
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(second).toBeUndefined();
    a.release(true);
    expect((await pending).nonce).toBe(1);
  });

  it("release is idempotent", async () => {
    const { client } = fakeClient({ latest: 0, pending: 0 });
    const nm = createNonceManager({ client, address });
    const a = await nm.reserve();
    a.release(true);
    a.release(true);
    a.release(false);
    expect(nm.peek()).toBe(1);
  });

  it("after 'nonce too low' moves to the next free nonce and re-reads the chain on the next reservation", async () => {
    const { client, counts, reads } = fakeClient({ latest: 2, pending: 2 });
    const nm = createNonceManager({ client, address });
    const a = await nm.reserve();
    expect(a.nonce).toBe(2);
    // Another process with this key sent 3 transactions meanwhile.
    counts.latest = 4;
    counts.pending = 5;
    expect(await a.resync("nonce_too_low")).toBe(5);
    expect(a.nonce).toBe(5);
    a.release(true);
    counts.pending = 6;
    const b = await nm.reserve();
    expect(b.nonce).toBe(6);
    expect(reads.filter((r) => r === "pending")).toHaveLength(3);
  });

  it("on 'stuck' moves down to the lowest unmined nonce, never up", async () => {
    const { client, counts } = fakeClient({ latest: 4, pending: 6 });
    const nm = createNonceManager({ client, address });
    const a = await nm.reserve();
    expect(a.nonce).toBe(6);
    expect(await a.resync("stuck")).toBe(4);
    counts.latest = 9;
    expect(await a.resync("stuck")).toBe(4);
    a.release(false);
  });

  it("sync follows other senders while idle and does nothing while a nonce is reserved", async () => {
    const { client, counts } = fakeClient({ latest: 0, pending: 0 });
    const nm = createNonceManager({ client, address });
    await nm.sync();
    expect(nm.peek()).toBe(0);
    counts.pending = 3;
    await nm.sync();
    expect(nm.peek()).toBe(3);
    const a = await nm.reserve();
    counts.pending = 10;
    await nm.sync();
    expect(a.nonce).toBe(3);
    a.release(true);
    expect(nm.peek()).toBe(4);
  });

  it("a sync in flight does not overwrite a release that happened after it started", async () => {
    let resolveRead!: (n: number) => void;
    let calls = 0;
    const client: NonceClient = {
      getTransactionCount: () => {
        calls++;
        if (calls === 1) return Promise.resolve(0);
        return new Promise<number>((r) => {
          resolveRead = r;
        });
      },
    };
    const nm = createNonceManager({ client, address });
    const a = await nm.reserve(); // nonce 0
    a.release(true);
    const syncing = nm.sync(); // reads a stale 0 …
    const b = await nm.reserve(); // nonce 1
    b.release(true);
    resolveRead(0);
    await syncing;
    expect(nm.peek()).toBe(2);
  });

  it("a failed first read rejects the reservation and frees the lock", async () => {
    let fail = true;
    const client: NonceClient = {
      getTransactionCount: async () => {
        if (fail) throw new Error("connection refused");
        return 1;
      },
    };
    const nm = createNonceManager({ client, address });
    await expect(nm.reserve()).rejects.toThrow("connection refused");
    fail = false;
    expect((await nm.reserve()).nonce).toBe(1);
  });
});

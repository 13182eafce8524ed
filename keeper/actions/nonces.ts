import type { Address } from "viem";

/** The part of a viem PublicClient the nonce manager needs. */
export type NonceClient = {
  getTransactionCount(args: { address: Address; blockTag: "pending" | "latest" }): Promise<number>;
};

/** Why a reservation re-reads the chain. */
export type NonceResyncReason =
  /** The node said "nonce too low" / the nonce was consumed by another transaction. */
  | "nonce_too_low"
  /** The node said "nonce too high" (a gap, or a mempool-less sequencer ahead of us). */
  | "nonce_too_high"
  /** Our transaction does not mine and an older transaction from this key sits below it. */
  | "stuck";

/** One nonce held by one action until `release`. */
export interface NonceReservation {
  /** The nonce to sign with. Changes only through `resync`. */
  readonly nonce: number;
  /**
   * Re-reads the account's `latest` and `pending` transaction counts and moves the reservation:
   * `nonce_too_low` → the next free nonce (max(latest, pending)); `nonce_too_high` and `stuck` → the
   * lowest unmined nonce (latest), replacing whatever sits there. Returns the new nonce.
   */
  resync(reason: NonceResyncReason): Promise<number>;
  /**
   * Ends the reservation. `used = true`: the nonce is taken (our transaction was broadcast or mined,
   * or another transaction consumed it) and the next reservation gets `nonce + 1`. `used = false`:
   * nothing was broadcast and the same nonce is handed out next (no gap). Idempotent.
   */
  release(used: boolean): void;
}

export interface NonceManager {
  readonly address: Address;
  /**
   * Waits until no other reservation is outstanding (serialised per chain and address), then returns
   * the next nonce. Reads `eth_getTransactionCount(pending)` only on first use or after a resync;
   * otherwise it resolves without RPC.
   */
  reserve(): Promise<NonceReservation>;
  /**
   * Refreshes the cached next nonce from `eth_getTransactionCount(pending)` when no reservation is
   * outstanding (call it on new heads to follow other senders with this key). No-op while reserved.
   */
  sync(): Promise<void>;
  /** The nonce the next reservation would get, if known. */
  peek(): number | undefined;
}

/**
 * Nonce reservation for one (chain, address). Create one per chain per signing key and share it
 * between everything in the process that signs with that key there.
 */
export function createNonceManager({
  client,
  address,
}: {
  client: NonceClient;
  address: Address;
}): NonceManager {
  let next: number | undefined;
  /** Bumped whenever `next` is invalidated, so an in-flight `sync` cannot write a stale value. */
  let generation = 0;
  let tail: Promise<void> = Promise.resolve();
  let reserved = false;

  const readPending = () => client.getTransactionCount({ address, blockTag: "pending" });

  async function reserve(): Promise<NonceReservation> {
    let unlock!: () => void;
    const previous = tail;
    tail = new Promise<void>((resolve) => {
      unlock = resolve;
    });
    await previous;
    reserved = true;
    try {
      if (next === undefined) {
        const gen = ++generation;
        const pending = await readPending();
        if (gen === generation) next = pending;
      }
    } catch (err) {
      reserved = false;
      unlock();
      throw err;
    }
    let nonce = next!;
    let moved = false;
    let released = false;
    return {
      get nonce() {
        return nonce;
      },
      async resync(reason) {
        const [latest, pending] = await Promise.all([
          client.getTransactionCount({ address, blockTag: "latest" }),
          readPending(),
        ]);
        const to = reason === "nonce_too_low" ? Math.max(latest, pending, nonce + 1) : latest;
        // "stuck"/"too high": only ever move down to the lowest unmined nonce.
        if (reason !== "nonce_too_low" && to >= nonce) return nonce;
        nonce = to;
        moved = true;
        return nonce;
      },
      release(used) {
        if (released) return;
        released = true;
        generation++;
        // After a resync the chain is the truth: re-read `pending` on the next reservation.
        next = moved ? undefined : used ? nonce + 1 : nonce;
        reserved = false;
        unlock();
      },
    };
  }

  async function sync(): Promise<void> {
    if (reserved) return;
    const gen = ++generation;
    const pending = await readPending();
    if (!reserved && gen === generation) next = pending;
  }

  return { address, reserve, sync, peek: () => next };
}

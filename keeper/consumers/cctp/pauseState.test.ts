import type { Address } from "viem";
import { describe, expect, it } from "vitest";
import type { Envelope } from "../../bus/types.ts";
import { createPauseState } from "./pauseState.ts";

const HOME = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0" as Address;
const REMOTE = "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707" as Address;
const breakers = [
  { assetId: "dusd", chainId: 1, breaker: HOME },
  { assetId: "dusd", chainId: 2, breaker: REMOTE },
];

const observed = (chainId: number, breaker: Address, kind: string, block: bigint, logIndex = 0) =>
  ({
    type: "breaker.observed",
    payload: {
      type: "breaker.observed",
      assetId: "dusd",
      chainId,
      breaker,
      kind,
      block: { number: block, hash: "0x" },
      logIndex,
    },
  }) as unknown as Envelope;
const mined = (chainId: number, breaker: Address, blockNumber: bigint) =>
  ({
    type: "pause.mined",
    payload: { type: "pause.mined", assetId: "dusd", chainId, breaker, blockNumber },
  }) as unknown as Envelope;

describe("pause state", () => {
  it("is paused while any chain's breaker is, and reports only changes of the asset", () => {
    const s = createPauseState(breakers);
    expect(s.known("dusd")).toBe(false);
    expect(s.applyRead({ chainId: 1, breaker: HOME }, false, 10n)).toBeUndefined();
    expect(s.applyRead({ chainId: 2, breaker: REMOTE }, false, 10n)).toBeUndefined();
    expect(s.known("dusd")).toBe(true);
    expect(s.applyMessage(mined(2, REMOTE, 12n))).toEqual({ assetId: "dusd", paused: true });
    expect(s.applyMessage(observed(1, HOME, "tripped", 13n))).toBeUndefined(); // already paused
    expect(s.pausedChains("dusd")).toEqual([1, 2]);
    expect(s.applyMessage(observed(2, REMOTE, "unpaused", 20n))).toBeUndefined(); // home still paused
    expect(s.applyMessage(observed(1, HOME, "unpaused", 21n))).toEqual({ assetId: "dusd", paused: false });
    expect(s.isPaused("dusd")).toBe(false);
  });

  it("keeps the later fact in the chain: a stale event does not undo a newer read", () => {
    const s = createPauseState(breakers);
    s.applyRead({ chainId: 1, breaker: HOME }, true, 50n);
    expect(s.applyMessage(observed(1, HOME, "unpaused", 40n))).toBeUndefined();
    expect(s.isPaused("dusd")).toBe(true);
    expect(s.applyMessage(observed(1, HOME, "unpaused", 50n, 3))).toBeUndefined(); // same block: the read is end of block
    expect(s.applyMessage(observed(1, HOME, "unpaused", 51n))).toEqual({ assetId: "dusd", paused: false });
    // A read at a block before that event is older: ignored.
    expect(s.applyRead({ chainId: 1, breaker: HOME }, true, 50n)).toBeUndefined();
  });

  it("ignores other breakers, other message types and signer changes", () => {
    const s = createPauseState(breakers);
    expect(s.applyMessage(observed(1, REMOTE, "paused", 5n))).toBeUndefined(); // wrong chain for that breaker
    expect(s.applyMessage(observed(1, HOME, "signers_changed", 5n))).toBeUndefined();
    expect(s.applyMessage({ type: "decision", payload: {} } as unknown as Envelope)).toBeUndefined();
    expect(s.isPaused("dusd")).toBe(false);
  });

  it("marks a chain paused from a TokenPaused revert until a later event says otherwise", () => {
    const s = createPauseState(breakers);
    s.applyRead({ chainId: 1, breaker: HOME }, false, 10n);
    s.applyRead({ chainId: 2, breaker: REMOTE }, false, 10n);
    expect(s.markPaused(2, "dusd")).toEqual({ assetId: "dusd", paused: true });
    expect(s.markPaused(2, "dusd")).toBeUndefined();
    expect(s.applyMessage(observed(2, REMOTE, "unpaused", 11n))).toEqual({ assetId: "dusd", paused: false });
  });

  it("uses pause.already_paused with a block like a pause, without one only when nothing is known", () => {
    const s = createPauseState(breakers);
    const already = (blockNumber?: bigint) =>
      ({
        type: "pause.already_paused",
        payload: { type: "pause.already_paused", assetId: "dusd", chainId: 1, breaker: HOME, blockNumber },
      }) as unknown as Envelope;
    expect(s.applyMessage(already())).toEqual({ assetId: "dusd", paused: true });
    s.applyMessage(observed(1, HOME, "unpaused", 30n));
    expect(s.applyMessage(already())).toBeUndefined();
    expect(s.applyMessage(already(31n))).toEqual({ assetId: "dusd", paused: true });
  });
});

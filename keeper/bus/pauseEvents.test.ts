import { describe, expect, it } from "vitest";
import type { PauseEvent } from "../actions/pauseExecutor.ts";
import { createEnvelope, decodeEnvelope, encodeEnvelope } from "./envelope.ts";
import { messageIdOf, topicOf } from "./routing.ts";
import { addressFor, sampleHash } from "./testArbitraries.ts";
import type { BusPayload } from "./types.ts";

/** Compile-time check (npm run typecheck): every event actions/ reports can be published as it is. */
function asBusPayload(event: PauseEvent): BusPayload {
  return event;
}

const base = {
  assetId: "dusd",
  decisionId: "dusd:decision:1:abc",
  chainId: 31337,
  breaker: addressFor("dusd", "breaker"),
};
const tx = sampleHash(1n, 0xee);
const events: PauseEvent[] = [
  { ...base, type: "pause.requested" },
  {
    ...base,
    type: "pause.sent",
    txHash: tx,
    nonce: 3,
    maxFeePerGas: 2n * 10n ** 9n,
    maxPriorityFeePerGas: 10n ** 9n,
    attempt: 1,
    sinceDecisionMs: 12.5,
    simulation: "primed",
  },
  {
    ...base,
    type: "pause.replaced",
    txHash: sampleHash(2n, 0xee),
    replacedTxHash: undefined,
    nonce: 3,
    maxFeePerGas: 3n * 10n ** 9n,
    maxPriorityFeePerGas: 2n * 10n ** 9n,
    attempt: 2,
  },
  {
    ...base,
    type: "pause.waiting",
    reason: "fee_cap",
    txHash: tx,
    nonce: 3,
    maxFeePerGas: 5n,
    capPerGas: 5n,
  },
  { ...base, type: "pause.mined", txHash: tx, blockNumber: 42n, nonce: 3, attempts: 2 },
  { ...base, type: "pause.already_paused", via: "simulation" },
  {
    ...base,
    type: "pause.failed",
    reason: "RPC call eth_sendRawTransaction on chain 31337 timed out.",
    code: "RPC_TIMEOUT",
  },
];

describe("pause events from actions/ on the bus", () => {
  it("every PauseEvent kind round-trips on the breaker events topic", () => {
    const producer = { name: "reserve-keeper", keeperId: "k" };
    for (const event of events) {
      const envelope = createEnvelope({ payload: asBusPayload(event), producer });
      expect(topicOf(envelope.type)).toBe("breakerEvents");
      expect(envelope.key).toBe("dusd");
      expect(decodeEnvelope(encodeEnvelope(envelope)).payload).toEqual(event);
    }
    expect(new Set(events.map((e) => messageIdOf(e))).size).toBe(events.length);
  });
});

import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../internal/errors.ts";
import { createDuplicateFilter } from "./dedup.ts";
import { messageTypeOf, partitionKeyOf, topicOf } from "./routing.ts";
import { MESSAGE_TYPES } from "./schemas.ts";
import { sampleBreach, samplePauseSent, sampleReserve } from "./testArbitraries.ts";
import { createTopicNames, TOPICS } from "./topics.ts";

describe("topics", () => {
  it("declares every topic, the checkpoint topic compacted", () => {
    expect(Object.values(TOPICS).map((t) => t.name)).toEqual([
      "reserve.observations",
      "reserve.decisions",
      "breaker.events",
      "keeper.checkpoints",
      "admin.actions",
      "cctp.transfers",
      "compliance.decisions",
      "custody.events",
    ]);
    expect(
      Object.entries(TOPICS)
        .filter(([, t]) => t.compacted)
        .map(([id]) => id),
    ).toEqual(["checkpoints"]);
  });

  it("prefixes physical names and maps them back", () => {
    const names = createTopicNames({ prefix: "staging." });
    expect(names.observations).toBe("staging.reserve.observations");
    expect(names.idOf("staging.keeper.checkpoints")).toBe("checkpoints");
    expect(names.idOf("reserve.observations")).toBeUndefined();
    expect(createTopicNames().decisions).toBe("reserve.decisions");
  });

  it("rejects a prefix Kafka would not accept", () => {
    expect(() => createTopicNames({ prefix: "bad prefix/" })).toThrow(InvalidArgumentError);
    expect(() => createTopicNames({ prefix: "x".repeat(240) })).toThrow(InvalidArgumentError);
  });

  it("routes every message type to one topic", () => {
    const routed = Object.fromEntries(MESSAGE_TYPES.map((t) => [t, topicOf(t)]));
    expect(routed).toEqual({
      "reserve.observed": "observations",
      "supply.observed": "observations",
      "bridge.baseline": "observations",
      "block.reorged": "observations",
      "feed.heartbeat_missed": "observations",
      "clock.tick": "observations",
      decision: "decisions",
      "breaker.observed": "breakerEvents",
      "pause.requested": "breakerEvents",
      "pause.sent": "breakerEvents",
      "pause.replaced": "breakerEvents",
      "pause.waiting": "breakerEvents",
      "pause.mined": "breakerEvents",
      "pause.already_paused": "breakerEvents",
      "pause.failed": "breakerEvents",
      "admin.action": "adminActions",
      "compliance.decision": "complianceDecisions",
      "cctp.transfer": "cctpTransfers",
      "custody.attestation_checked": "custodyEvents",
      "custody.health": "custodyEvents",
      "reserve.sources_disagree": "decisions",
      "reserve.sources_agree": "decisions",
      "reserve.sources_not_comparable": "decisions",
      "keeper.checkpoint": "checkpoints",
    });
  });

  it("derives type and key from the payload", () => {
    expect(messageTypeOf(sampleBreach("dusd", 1n))).toBe("decision");
    expect(messageTypeOf(samplePauseSent("dusd", "d"))).toBe("pause.sent");
    expect(partitionKeyOf(sampleReserve("dusd", 1n))).toBe("dusd");
    expect(partitionKeyOf({ type: "clock.tick", now: 1n })).toBe("clock");
  });
});

describe("createDuplicateFilter", () => {
  it("flags repeats and forgets the oldest beyond its capacity", () => {
    const f = createDuplicateFilter({ capacity: 2 });
    expect(f.seen("a")).toBe(false);
    expect(f.seen("a")).toBe(true);
    expect(f.seen("b")).toBe(false);
    expect(f.seen("c")).toBe(false); // evicts "a"
    expect(f.size).toBe(2);
    expect(f.seen("a")).toBe(false);
    expect(f.seen("c")).toBe(true);
    expect(() => createDuplicateFilter({ capacity: 0 })).toThrow(InvalidArgumentError);
  });
});

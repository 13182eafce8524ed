import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createEnvelope, decodeEnvelope, encodeEnvelope } from "../../bus/envelope.ts";
import { messageIdOf, partitionKeyOf, topicOf } from "../../bus/routing.ts";
import type {
  BusPayload,
  CustodyAttestationChecked,
  CustodyHealthChanged,
  ReserveSourcesAgree,
  ReserveSourcesDisagree,
  ReserveSourcesNotComparable,
} from "../../bus/types.ts";
import { InvalidMessageError } from "../../internal/errors.ts";
import { sha256Of } from "./testSupport.ts";

const producer = { name: "reserve-keeper-custody", keeperId: "k1" };
const producedAt = new Date("2025-07-01T00:00:00Z");
const roundTrip = (payload: BusPayload) => {
  const envelope = createEnvelope({ payload, producer, producedAt });
  expect(decodeEnvelope(encodeEnvelope(envelope))).toStrictEqual(envelope);
  return envelope;
};

const attestation: CustodyAttestationChecked = {
  type: "custody.attestation_checked",
  assetId: "dusd",
  url: "https://attest.example.com/dusd/2025-06.pdf",
  auditor: "Example Audit LLP",
  periodStart: 1_748_736_000n,
  periodEnd: 1_751_241_600n,
  source: "report",
  outcome: "hash_mismatch",
  expectedSha256: sha256Of("a"),
  actualSha256: sha256Of("b"),
  bytes: 1234,
  httpStatus: 200,
  checkedAt: 1_751_328_000n,
  bucket: 486_480n,
};
const health: CustodyHealthChanged = {
  type: "custody.health",
  assetId: "dusd",
  status: "unhealthy",
  provider: "down",
  report: "fresh",
  soc: "valid",
  custodian: "Example Trust Co.",
  reportAsOf: 1_751_284_800n,
  reportAgeSeconds: 43_200n,
  socExpiresAt: 1_774_915_200n,
  reasons: ["The custody provider did not answer (after retries)."],
  checkedAt: 1_751_328_000n,
};
const figures = {
  assetId: "dusd",
  custodian: "Example Trust Co.",
  decimals: 8,
  custodianAmount: 900_000_000_000_000n,
  porAmount: 1_000_000_000_000_000n,
  difference: 100_000_000_000_000n,
  diffBps: 1_000n,
  toleranceBps: 50n,
  direction: "custodian_below" as const,
  custodianAsOf: 1_751_284_800n,
  porUpdatedAt: 1_751_284_790n,
  porRoundId: (1n << 64n) | 7n,
  porChainId: 31337,
  comparedAt: 1_751_328_000n,
};
const disagree: ReserveSourcesDisagree = { type: "reserve.sources_disagree", ...figures, action: "pause" };
const agree: ReserveSourcesAgree = {
  type: "reserve.sources_agree",
  ...figures,
  diffBps: 0n,
  difference: 0n,
  direction: "equal",
  porAmount: figures.custodianAmount,
};
const notComparable: ReserveSourcesNotComparable = {
  type: "reserve.sources_not_comparable",
  assetId: "dusd",
  reason: "as_of_skew",
  custodianAsOf: 1n,
  porUpdatedAt: 90_000n,
  porRoundId: 3n,
  skewSeconds: 89_999n,
  maxAsOfSkewSeconds: 86_400n,
  comparedAt: 90_001n,
};

describe("custody bus messages", () => {
  it("round-trip through the envelope codecs with bigints restored, keyed by asset", () => {
    for (const p of [attestation, health, disagree, agree, notComparable]) {
      const e = roundTrip(p);
      expect(e.type).toBe(p.type);
      expect(e.key).toBe("dusd");
      expect(partitionKeyOf(p)).toBe("dusd");
    }
    const { actualSha256: _a, bytes: _b, httpStatus: _h, ...unreachable } = attestation;
    roundTrip({ ...unreachable, outcome: "unreachable", detail: "The server answered HTTP 404." });
  });

  it("go to custodyEvents (attestations, health) and decisions (the dual-source comparison)", () => {
    expect(topicOf("custody.attestation_checked")).toBe("custodyEvents");
    expect(topicOf("custody.health")).toBe("custodyEvents");
    expect(topicOf("reserve.sources_disagree")).toBe("decisions");
    expect(topicOf("reserve.sources_agree")).toBe("decisions");
    expect(topicOf("reserve.sources_not_comparable")).toBe("decisions");
  });

  it("attestation ids are deterministic per (url, sha256, outcome, bucket)", () => {
    const id = messageIdOf(attestation);
    expect(messageIdOf({ ...attestation, checkedAt: attestation.checkedAt + 5n, bytes: 1 })).toBe(id);
    expect(messageIdOf({ ...attestation, bucket: attestation.bucket + 1n })).not.toBe(id);
    expect(messageIdOf({ ...attestation, outcome: "verified" })).not.toBe(id);
    expect(messageIdOf({ ...attestation, url: `${attestation.url}?v=2` })).not.toBe(id);
    expect(messageIdOf({ ...attestation, expectedSha256: sha256Of("c") })).not.toBe(id);
    expect(id).toMatch(/^dusd:custody\.attestation:[0-9a-f]{16}:[0-9a-f]{16}:hash_mismatch:486480$/);
  });

  it("comparison ids depend on the inputs compared, not on when the comparison ran", () => {
    const id = messageIdOf(disagree);
    expect(messageIdOf({ ...disagree, comparedAt: disagree.comparedAt + 60n })).toBe(id);
    expect(messageIdOf({ ...disagree, custodianAsOf: disagree.custodianAsOf + 1n })).not.toBe(id);
    expect(messageIdOf({ ...disagree, porRoundId: disagree.porRoundId + 1n })).not.toBe(id);
    expect(messageIdOf({ ...disagree, custodianAmount: 1n })).not.toBe(id);
    expect(messageIdOf(agree)).not.toBe(
      messageIdOf({ ...agree, type: "reserve.sources_disagree", action: "alert" } as BusPayload),
    );
    expect(messageIdOf(notComparable)).toBe(messageIdOf({ ...notComparable, comparedAt: 1n }));
  });

  it("are strict: unknown fields, bad digests and non-http URLs are refused naming the field", () => {
    const bad = (payload: unknown, field: string) => {
      const envelope = createEnvelope({ payload: attestation, producer, producedAt });
      const json = JSON.parse(encodeEnvelope(envelope).toString("utf8"));
      json.payload = { ...json.payload, ...(payload as object) };
      const err = (() => {
        try {
          decodeEnvelope(JSON.stringify(json));
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(InvalidMessageError);
      expect((err as InvalidMessageError).field).toBe(field);
    };
    bad({ expectedSha256: "XYZ" }, "payload.expectedSha256");
    bad({ url: "file:///etc/passwd" }, "payload.url");
    bad({ extra: 1 }, "payload.extra");
    bad({ outcome: "maybe" }, "payload.outcome");
  });

  it("round-trip any comparison figures (property)", () => {
    const u = fc.bigInt({ min: 0n, max: (1n << 256n) - 1n });
    fc.assert(
      fc.property(u, u, u, u, fc.integer({ min: 0, max: 36 }), (a, b, c, d, dec) => {
        roundTrip({
          ...disagree,
          custodianAmount: a,
          porAmount: b,
          difference: c,
          diffBps: d,
          decimals: dec,
        });
      }),
      { numRuns: 200 },
    );
  });
});

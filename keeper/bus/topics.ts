import { InvalidArgumentError } from "../internal/errors.ts";

/**
 * Every bus topic, declared once so producers and consumers (cctp, compliance, custody, admin) share
 * one list. Code refers to topics by their logical id (`"observations"`); the physical Kafka name is
 * `<prefix><name>` (prefix "" by default, e.g. "staging." for a shared cluster).
 *
 * Partition key: the asset id for anything about one asset (so one asset's observations, decisions and
 * breaker events keep their order), `chain:<chainId>` for chain-level events (block.reorged), `clock`
 * for clock ticks and the keeperId for checkpoints.
 */
export const TOPICS = {
  /** Every Observation (reserve.observed, supply.observed, block.reorged, feed.heartbeat_missed, clock.tick). */
  observations: { name: "reserve.observations", compacted: false },
  /** Every Decision (healthy, warning, breach, stale, unknown). */
  decisions: { name: "reserve.decisions", compacted: false },
  /** Pause lifecycle (pause.requested … pause.failed) and on-chain breaker events (breaker.observed). */
  breakerEvents: { name: "breaker.events", compacted: false },
  /** The keeper's checkpoint, keyed by keeperId; compacted: the latest value per keeper survives. */
  checkpoints: { name: "keeper.checkpoints", compacted: true },
  /** What `reserve-keeper admin` did (admin.action): manual pauses, signed unpauses, signer-set changes. */
  adminActions: { name: "admin.actions", compacted: false },
  /** Later issues: declared now so every service uses the same names. No schemas yet. */
  cctpTransfers: { name: "cctp.transfers", compacted: false },
  complianceDecisions: { name: "compliance.decisions", compacted: false },
  custodyEvents: { name: "custody.events", compacted: false },
} as const satisfies Record<string, { name: string; compacted: boolean }>;

export type TopicId = keyof typeof TOPICS;

export const TOPIC_IDS = Object.keys(TOPICS) as TopicId[];

/** Physical topic names for one deployment. */
export type TopicNames = Readonly<Record<TopicId, string>> & {
  /** Logical id of a physical name, or undefined for a topic that is not ours. */
  readonly idOf: (physical: string) => TopicId | undefined;
};

/** Kafka's legal topic characters; max 249 characters. */
const LEGAL_TOPIC = /^[a-zA-Z0-9._-]+$/;

/** Builds the physical topic names with `prefix` (may be empty). */
export function createTopicNames({ prefix = "" }: { prefix?: string } = {}): TopicNames {
  if (prefix !== "" && !LEGAL_TOPIC.test(prefix)) {
    throw new InvalidArgumentError({
      name: "prefix",
      reason: "may only contain letters, digits, '.', '_' and '-'",
      value: prefix,
    });
  }
  const names = Object.fromEntries(TOPIC_IDS.map((id) => [id, `${prefix}${TOPICS[id].name}`])) as Record<
    TopicId,
    string
  >;
  for (const name of Object.values(names)) {
    if (name.length > 249) {
      throw new InvalidArgumentError({
        name: "prefix",
        reason: "makes a topic name longer than 249 characters",
      });
    }
  }
  const byName = new Map(TOPIC_IDS.map((id) => [names[id], id] as const));
  return Object.freeze({ ...names, idOf: (physical: string) => byName.get(physical) });
}

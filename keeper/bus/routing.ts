/**
 * Where a payload goes and what it is called: envelope type, topic, partition key and the
 * deterministic message id. Same fact → same id, in live delivery and in a replay after a restart,
 * so consumers can drop duplicates by id.
 */
import { createHash } from "node:crypto";
import { UnhandledVariantError } from "../internal/errors.ts";
import { eventId } from "../sources/types.ts";
import type { TopicId } from "./topics.ts";
import type { BusPayload, CctpTransferEvent, Checkpoint, MessageType } from "./types.ts";

/** Envelope type of a payload: its own `type`, except that every Decision kind travels as "decision". */
export function messageTypeOf(payload: BusPayload): Exclude<MessageType, "keeper.checkpoint"> {
  switch (payload.type) {
    case "healthy":
    case "warning":
    case "breach":
    case "stale":
    case "unknown":
      return "decision";
    default:
      return payload.type;
  }
}

/** The topic each message type is published on. */
export function topicOf(type: MessageType): TopicId {
  switch (type) {
    case "reserve.observed":
    case "supply.observed":
    case "bridge.baseline":
    case "block.reorged":
    case "feed.heartbeat_missed":
    case "clock.tick":
      return "observations";
    case "decision":
      return "decisions";
    case "breaker.observed":
    case "pause.requested":
    case "pause.sent":
    case "pause.replaced":
    case "pause.waiting":
    case "pause.mined":
    case "pause.already_paused":
    case "pause.failed":
      return "breakerEvents";
    case "admin.action":
      return "adminActions";
    case "compliance.decision":
      return "complianceDecisions";
    case "cctp.transfer":
      return "cctpTransfers";
    case "custody.attestation_checked":
    case "custody.health":
      return "custodyEvents";
    case "reserve.sources_disagree":
    case "reserve.sources_agree":
    case "reserve.sources_not_comparable":
      return "decisions";
    case "keeper.checkpoint":
      return "checkpoints";
    default:
      throw new UnhandledVariantError({ subject: "message type", value: type satisfies never });
  }
}

/** Partition key: asset id; `chain:<id>` for chain-level events; `clock` for ticks; `admin` for admin acts without an asset. */
export function partitionKeyOf(payload: BusPayload): string {
  switch (payload.type) {
    case "block.reorged":
      return `chain:${payload.chainId}`;
    case "clock.tick":
      return "clock";
    case "admin.action":
      return payload.assetId ?? "admin";
    default:
      return payload.assetId;
  }
}

/** Stable JSON: keys sorted (so property order does not matter), bigints as `<digits>n`, undefined dropped. */
function canonicalJson(value: unknown): string {
  if (typeof value === "bigint") return JSON.stringify(`${value}n`);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** First 16 hex chars (64 bits) of sha256 over the canonical JSON of `value`. */
function digest(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, 16);
}

/**
 * Deterministic id of a payload. Chain-derived facts use the sources' `eventId` (chain, block hash,
 * log index); a decision is its asset, decidedAt and a digest of its whole content; pause lifecycle
 * events hang off the decision id or the transaction hash; an admin act is its action, chain and a
 * digest of its whole content.
 */
export function messageIdOf(payload: BusPayload): string {
  switch (payload.type) {
    case "reserve.observed":
    case "supply.observed":
    case "bridge.baseline":
    case "block.reorged":
    case "feed.heartbeat_missed":
    case "clock.tick":
    case "breaker.observed":
      return eventId(payload);
    case "healthy":
    case "warning":
    case "breach":
    case "stale":
    case "unknown":
      return `${payload.assetId}:decision:${payload.decidedAt}:${digest(payload)}`;
    case "pause.requested":
    case "pause.already_paused":
      return `${payload.decisionId}:${payload.type}:${payload.chainId}`;
    case "pause.failed":
    case "pause.waiting":
      return `${payload.decisionId}:${payload.type}:${payload.chainId}:${digest(payload)}`;
    case "pause.sent":
    case "pause.replaced":
    case "pause.mined":
      return `${payload.chainId}:${payload.txHash}:${payload.type}`;
    case "admin.action":
      return `admin:${payload.action}:${payload.chainId ?? "-"}:${digest(payload)}`;
    case "compliance.decision":
      return `${payload.assetId}:compliance.decision:${payload.decisionId}`;
    case "cctp.transfer":
      return cctpTransferIdOf(payload);
    case "custody.attestation_checked":
      return `${payload.assetId}:custody.attestation:${digest(payload.url)}:${payload.expectedSha256.slice(0, 16)}:${payload.outcome}:${payload.bucket}`;
    case "custody.health":
      return `${payload.assetId}:custody.health:${payload.checkedAt}:${digest(payload)}`;
    case "reserve.sources_disagree":
    case "reserve.sources_agree": {
      const { custodianAmount, porAmount, decimals } = payload;
      return `${payload.assetId}:${payload.type}:${payload.custodianAsOf}:${payload.porRoundId}:${digest({ custodianAmount, porAmount, decimals })}`;
    }
    case "reserve.sources_not_comparable":
      return `${payload.assetId}:${payload.type}:${payload.custodianAsOf}:${payload.porRoundId}:${payload.reason}`;
    default:
      throw new UnhandledVariantError({ subject: "bus payload", value: payload satisfies never });
  }
}

/**
 * Id of a CCTP transfer event: the transfer and the step; a hold (and its resume) also by stage and hold
 * number, a failure by stage (a transfer fails at most once per stage).
 */
function cctpTransferIdOf(payload: CctpTransferEvent): string {
  const base = `cctp:${payload.transferId}:${payload.event}`;
  switch (payload.event) {
    case "held":
    case "resumed":
      return `${base}:${payload.stage}:${payload.hold}`;
    case "failed":
      return `${base}:${payload.stage}`;
    case "burned":
    case "attested":
    case "received":
    case "already_received":
      return base;
    default:
      throw new UnhandledVariantError({ subject: "cctp transfer event", value: payload satisfies never });
  }
}

/** Id of a checkpoint record: the same positions (and published-above ids) give the same id. */
export function checkpointIdOf(checkpoint: Checkpoint): string {
  const { chains, publishedAbove } = checkpoint;
  return `${checkpoint.keeperId}:checkpoint:${digest({ chains, publishedAbove })}`;
}

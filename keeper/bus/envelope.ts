/**
 * The bus envelope, version 1, as JSON bytes:
 *
 * ```json
 * { "v": 1, "id": "1:0xab…:3", "type": "reserve.observed", "key": "dusd",
 *   "producer": { "name": "reserve-keeper", "keeperId": "keeper-eu-1" },
 *   "producedAt": "2025-01-01T00:00:00.000Z", "payload": { … bigints as decimal strings … } }
 * ```
 *
 * `decodeEnvelope` validates everything (version, type, every payload field through the type's schema)
 * and returns the typed value with bigints restored, or throws InvalidMessageError naming the field.
 * Both adapters (Kafka and in-process) move exactly these bytes.
 */
import { z } from "zod";
import { InvalidMessageError } from "../internal/errors.ts";
import { checkpointIdOf, messageIdOf, messageTypeOf, partitionKeyOf } from "./routing.ts";
import { isMessageType, PAYLOAD_SCHEMAS } from "./schemas.ts";
import {
  type BusPayload,
  type Checkpoint,
  ENVELOPE_VERSION,
  type Envelope,
  type EnvelopeProducer,
  type MessageType,
} from "./types.ts";

/** Where a message was read from, added to decode errors. */
export type MessageLocation = { topic?: string; partition?: number; offset?: string };

const headerSchema = z.strictObject({
  v: z.literal(ENVELOPE_VERSION),
  id: z.string().min(1).max(1024),
  type: z.string(),
  key: z.string().min(1).max(1024),
  producer: z.strictObject({ name: z.string().min(1), keeperId: z.string().min(1) }),
  producedAt: z.iso.datetime({ offset: true }),
  payload: z.unknown(),
});

/** Dotted path of a zod issue, prefixed; an unknown key is named itself. */
function issueField(prefix: string, issue: z.core.$ZodIssue): string {
  const path = [prefix, ...issue.path.map(String)].filter((p) => p !== "");
  if (issue.code === "unrecognized_keys" && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  return path.join(".") || "(envelope)";
}

function issueReason(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") return "is not a known field";
  return issue.message.replace(/\.$/, "");
}

function fromZod(
  prefix: string,
  error: z.ZodError,
  ctx: Partial<ConstructorParameters<typeof InvalidMessageError>[0]>,
) {
  const issue = error.issues[0];
  if (issue === undefined)
    return new InvalidMessageError({
      ...ctx,
      field: prefix || "(envelope)",
      reason: "is invalid",
      cause: error,
    });
  return new InvalidMessageError({
    ...ctx,
    field: issueField(prefix, issue),
    reason: issueReason(issue),
    cause: error,
  });
}

// ---------------------------------------------------------------------------------------------
// Building
// ---------------------------------------------------------------------------------------------

export type CreateEnvelopeArgs<P extends BusPayload = BusPayload> = {
  payload: P;
  producer: EnvelopeProducer;
  /** Default: messageIdOf(payload). Override only with an equally deterministic id. */
  id?: string;
  /** Default: partitionKeyOf(payload). */
  key?: string;
  /** Default: now. */
  producedAt?: Date;
};

/** Wraps a payload in an envelope (type, deterministic id and key derived from the payload). */
export function createEnvelope({ payload, producer, id, key, producedAt }: CreateEnvelopeArgs): Envelope {
  return {
    v: ENVELOPE_VERSION,
    id: id ?? messageIdOf(payload),
    type: messageTypeOf(payload),
    key: key ?? partitionKeyOf(payload),
    producer,
    producedAt: (producedAt ?? new Date()).toISOString(),
    payload,
  } as Envelope;
}

/** The envelope of a checkpoint record (key = keeperId). */
export function createCheckpointEnvelope({
  checkpoint,
  producer,
  producedAt,
}: {
  checkpoint: Checkpoint;
  producer: EnvelopeProducer;
  producedAt?: Date;
}): Envelope<"keeper.checkpoint"> {
  return {
    v: ENVELOPE_VERSION,
    id: checkpointIdOf(checkpoint),
    type: "keeper.checkpoint",
    key: checkpoint.keeperId,
    producer,
    producedAt: (producedAt ?? new Date()).toISOString(),
    payload: checkpoint,
  };
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/** Validates and serialises the payload of one type to wire JSON data (bigints as decimal strings). */
export function encodePayload(
  type: MessageType,
  payload: unknown,
  ctx: { messageId?: string } = {},
): unknown {
  const result = z.safeEncode(PAYLOAD_SCHEMAS[type] as z.ZodType, payload as never);
  if (!result.success) throw fromZod("payload", result.error, { messageType: type, ...ctx });
  return result.data;
}

/** Validates an envelope and serialises it to UTF-8 JSON bytes; throws InvalidMessageError naming the field. */
export function encodeEnvelope(envelope: Envelope): Buffer {
  const ctx = { messageType: String(envelope.type), messageId: String(envelope.id) };
  if (!isMessageType(envelope.type)) {
    throw new InvalidMessageError({ ...ctx, field: "type", reason: `unknown message type ${envelope.type}` });
  }
  if (envelope.type !== "keeper.checkpoint") {
    const payloadType = messageTypeOf(envelope.payload as BusPayload);
    if (payloadType !== envelope.type) {
      throw new InvalidMessageError({
        ...ctx,
        field: "payload.type",
        reason: `${String((envelope.payload as { type?: unknown }).type)} does not belong in a ${envelope.type} envelope`,
      });
    }
  }
  const payload = encodePayload(envelope.type, envelope.payload, ctx);
  const wire = { ...envelope, payload };
  const header = headerSchema.safeParse(wire);
  if (!header.success) throw fromZod("", header.error, ctx);
  return Buffer.from(JSON.stringify(wire), "utf8");
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Restores the keys the engine sets to `undefined` explicitly (JSON drops them). */
function normalizeDecision(decision: Record<string, unknown>): Record<string, unknown> {
  const inputs = decision.inputs as Record<string, unknown>;
  const out: Record<string, unknown> = {
    ...decision,
    previousType: decision.previousType,
    inputs: { reserve: inputs.reserve, supplies: inputs.supplies },
  };
  if (decision.type === "unknown") {
    for (const k of ["reserves", "supply", "delta", "ratioBps", "requiredReserves", "perChain", "inFlight"])
      out[k] = undefined;
  }
  return out;
}

/**
 * Decodes and validates one message. Throws InvalidMessageError naming the field for malformed JSON
 * ("(json)"), a non-object ("(envelope)"), an unknown version ("v"), an unknown type ("type") and any
 * envelope or payload field that fails its schema ("payload.block.hash").
 */
export function decodeEnvelope(bytes: Uint8Array | string, location: MessageLocation = {}): Envelope {
  let text: string;
  try {
    text = typeof bytes === "string" ? bytes : utf8.decode(bytes);
  } catch (cause) {
    throw new InvalidMessageError({ ...location, field: "(bytes)", reason: "is not valid UTF-8", cause });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new InvalidMessageError({ ...location, field: "(json)", reason: "is not valid JSON", cause });
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new InvalidMessageError({ ...location, field: "(envelope)", reason: "is not a JSON object" });
  }
  const obj = raw as Record<string, unknown>;
  const messageId = typeof obj.id === "string" ? obj.id : undefined;
  const ctx = { ...location, messageId };
  if (!("v" in obj)) throw new InvalidMessageError({ ...ctx, field: "v", reason: "is missing" });
  if (obj.v !== ENVELOPE_VERSION) {
    throw new InvalidMessageError({
      ...ctx,
      field: "v",
      reason: `unknown envelope version ${JSON.stringify(obj.v)} (this build reads ${ENVELOPE_VERSION})`,
    });
  }
  if (typeof obj.type !== "string" || !isMessageType(obj.type)) {
    throw new InvalidMessageError({
      ...ctx,
      field: "type",
      reason: `unknown message type ${JSON.stringify(obj.type)}`,
    });
  }
  const type = obj.type;
  const header = headerSchema.safeParse(obj);
  if (!header.success) throw fromZod("", header.error, { ...ctx, messageType: type });
  const decoded = z.safeDecode(PAYLOAD_SCHEMAS[type] as z.ZodType, obj.payload as never);
  if (!decoded.success) throw fromZod("payload", decoded.error, { ...ctx, messageType: type });
  const payload =
    type === "decision" ? normalizeDecision(decoded.data as Record<string, unknown>) : decoded.data;
  return { ...header.data, type, payload } as Envelope;
}

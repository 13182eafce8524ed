/**
 * Where the keeper resumes from: the last block per chain whose observations and decisions are
 * published. Stored as a checkpoint envelope (the same bytes on Kafka and on disk).
 *
 * - File store (in-process mode): write a temp file, fsync, rename over the old one, fsync the
 *   directory. A crash leaves either the old or the new file, never a torn one. A file that does not
 *   decode is an error (CheckpointInvalidError), never a silent restart from scratch.
 * - Kafka store: the compacted `checkpoints` topic keyed by keeperId, written inside the same
 *   transaction as the batch it covers (see kafka.ts, `bus.checkpoints`).
 */
import { mkdir, open, readFile, rename } from "node:fs/promises";
import { dirname } from "node:path";
import { CheckpointInvalidError, InvalidArgumentError, InvalidMessageError } from "../internal/errors.ts";
import { createCheckpointEnvelope, decodeEnvelope, encodeEnvelope } from "./envelope.ts";
import type { Checkpoint, EnvelopeProducer } from "./types.ts";

export type { ChainCheckpoint, Checkpoint } from "./types.ts";

export interface CheckpointStore {
  /** The last saved checkpoint, or undefined when none was ever saved. Throws CheckpointInvalidError if unreadable. */
  load(): Promise<Checkpoint | undefined>;
  /** Saves durably; resolves only once the checkpoint survives a crash. */
  save(checkpoint: Checkpoint): Promise<void>;
}

export const DEFAULT_PRODUCER_NAME = "reserve-keeper";

/** Encodes a checkpoint as its envelope bytes. */
export function encodeCheckpoint(
  checkpoint: Checkpoint,
  producer: EnvelopeProducer,
  producedAt?: Date,
): Buffer {
  return encodeEnvelope(
    createCheckpointEnvelope({ checkpoint, producer, ...(producedAt ? { producedAt } : {}) }),
  );
}

/**
 * Decodes checkpoint envelope bytes read from `location` and checks they belong to `keeperId`.
 * Throws CheckpointInvalidError naming the field.
 */
export function decodeCheckpoint(
  bytes: Uint8Array,
  { location, keeperId }: { location: string; keeperId: string },
): Checkpoint {
  let envelope: ReturnType<typeof decodeEnvelope>;
  try {
    envelope = decodeEnvelope(bytes);
  } catch (e) {
    if (e instanceof InvalidMessageError) {
      throw new CheckpointInvalidError({ location, field: e.field, reason: e.reason, cause: e });
    }
    throw e;
  }
  if (envelope.type !== "keeper.checkpoint") {
    throw new CheckpointInvalidError({
      location,
      field: "type",
      reason: `is ${envelope.type}, expected keeper.checkpoint`,
    });
  }
  if (envelope.payload.keeperId !== keeperId) {
    throw new CheckpointInvalidError({
      location,
      field: "payload.keeperId",
      reason: `is ${envelope.payload.keeperId}, expected ${keeperId} (another keeper's checkpoint)`,
    });
  }
  return envelope.payload;
}

function assertOwnCheckpoint(checkpoint: Checkpoint, keeperId: string): void {
  if (checkpoint.keeperId !== keeperId) {
    throw new InvalidArgumentError({
      name: "checkpoint.keeperId",
      reason: `must be this store's keeper ${keeperId}`,
      value: checkpoint.keeperId,
    });
  }
}

export type CreateFileCheckpointStoreArgs = {
  path: string;
  keeperId: string;
  producerName?: string;
};

/** Crash-safe checkpoint file (temp + fsync + rename + directory fsync). */
export function createFileCheckpointStore({
  path,
  keeperId,
  producerName = DEFAULT_PRODUCER_NAME,
}: CreateFileCheckpointStoreArgs): CheckpointStore {
  const producer = { name: producerName, keeperId };
  const tmpPath = `${path}.tmp`;
  let queue: Promise<void> = Promise.resolve(); // saves run one at a time, in call order

  async function write(checkpoint: Checkpoint): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    const bytes = encodeCheckpoint(checkpoint, producer);
    const file = await open(tmpPath, "w", 0o600);
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmpPath, path);
    const dir = await open(dirname(path), "r");
    try {
      await dir.sync(); // makes the rename itself durable
    } finally {
      await dir.close();
    }
  }

  return {
    async load() {
      let bytes: Buffer;
      try {
        bytes = await readFile(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw e;
      }
      return decodeCheckpoint(bytes, { location: path, keeperId });
    },
    save(checkpoint) {
      const next = queue.then(() => {
        assertOwnCheckpoint(checkpoint, keeperId);
        return write(checkpoint);
      });
      queue = next.catch(() => {});
      return next;
    },
  };
}

/** In-memory store (tests, or an in-process bus that must not touch the disk). */
export function createMemoryCheckpointStore({ keeperId }: { keeperId: string }): CheckpointStore {
  let saved: Buffer | undefined;
  const producer = { name: DEFAULT_PRODUCER_NAME, keeperId };
  return {
    async load() {
      return saved === undefined ? undefined : decodeCheckpoint(saved, { location: "memory", keeperId });
    },
    async save(checkpoint) {
      assertOwnCheckpoint(checkpoint, keeperId);
      saved = encodeCheckpoint(checkpoint, producer);
    },
  };
}

import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { CheckpointInvalidError, InvalidArgumentError } from "../internal/errors.ts";
import { checkpointAt } from "./busContract.ts";
import { createFileCheckpointStore, createMemoryCheckpointStore, encodeCheckpoint } from "./checkpoint.ts";
import { arbCheckpoint } from "./testArbitraries.ts";

const dir = mkdtempSync(join(tmpdir(), "rk-checkpoint-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `c${++n}`, "checkpoint.json");

async function expectInvalid(
  load: Promise<unknown>,
  field: string | RegExp,
): Promise<CheckpointInvalidError> {
  const error = await load.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CheckpointInvalidError);
  const e = error as CheckpointInvalidError;
  expect(e.code).toBe("CHECKPOINT_INVALID");
  expect(e.retryable).toBe(false);
  expect(String(e.details?.field)).toMatch(field);
  return e;
}

describe("file checkpoint store", () => {
  it("loads undefined when nothing was saved, then what was saved last (creating the directory)", async () => {
    const path = freshPath();
    const store = createFileCheckpointStore({ path, keeperId: "k" });
    expect(await store.load()).toBeUndefined();
    await store.save(checkpointAt("k", 1n));
    await store.save(checkpointAt("k", 2n));
    expect(await store.load()).toStrictEqual(checkpointAt("k", 2n));
    expect(await createFileCheckpointStore({ path, keeperId: "k" }).load()).toStrictEqual(
      checkpointAt("k", 2n),
    );
    expect(existsSync(`${path}.tmp`)).toBe(false); // renamed into place
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("round-trips any checkpoint (property)", async () => {
    const path = freshPath();
    await fc.assert(
      fc.asyncProperty(arbCheckpoint, async (cp) => {
        const store = createFileCheckpointStore({ path, keeperId: cp.keeperId });
        await store.save(cp);
        expect(await store.load()).toStrictEqual(cp);
      }),
      { numRuns: 25 },
    );
  });

  it("stores the checkpoint envelope, bigints as decimal strings", async () => {
    const path = freshPath();
    await createFileCheckpointStore({ path, keeperId: "k" }).save(checkpointAt("k", 5n));
    const json = JSON.parse(readFileSync(path, "utf8"));
    expect(json).toMatchObject({ v: 1, type: "keeper.checkpoint", key: "k", payload: { keeperId: "k" } });
    expect(json.payload.chains["31337"].blockNumber).toBe("5");
  });

  it("keeps saves in call order", async () => {
    const path = freshPath();
    const store = createFileCheckpointStore({ path, keeperId: "k" });
    await Promise.all([1n, 2n, 3n, 4n, 5n].map((b) => store.save(checkpointAt("k", b))));
    expect(await store.load()).toStrictEqual(checkpointAt("k", 5n));
  });

  it("a corrupted file is an error naming the problem, never a silent reset", async () => {
    const path = freshPath();
    const store = createFileCheckpointStore({ path, keeperId: "k" });
    await store.save(checkpointAt("k", 1n));
    const good = readFileSync(path, "utf8");

    writeFileSync(path, good.slice(0, good.length / 2)); // torn write
    const torn = await expectInvalid(store.load(), "(json)");
    expect(torn.shortMessage).toBe(`Checkpoint at ${path} is invalid: (json) is not valid JSON.`);

    writeFileSync(path, "");
    await expectInvalid(store.load(), "(json)");

    writeFileSync(path, Buffer.from([0xff, 0xfe, 0x00]));
    await expectInvalid(store.load(), "(bytes)");

    writeFileSync(path, good.replace('"blockNumber":"1"', '"blockNumber":"-1"'));
    await expectInvalid(store.load(), "payload.chains.31337.blockNumber");

    writeFileSync(path, good.replace('"v":1', '"v":2'));
    await expectInvalid(store.load(), "v");
  });

  it("refuses another keeper's checkpoint, on load and on save", async () => {
    const path = freshPath();
    await createFileCheckpointStore({ path, keeperId: "a" }).save(checkpointAt("a", 1n));
    const b = createFileCheckpointStore({ path, keeperId: "b" });
    await expectInvalid(b.load(), "payload.keeperId");
    await expect(b.save(checkpointAt("a", 2n))).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe("memory checkpoint store", () => {
  it("round-trips through the same encoding", async () => {
    const store = createMemoryCheckpointStore({ keeperId: "k" });
    expect(await store.load()).toBeUndefined();
    await store.save(checkpointAt("k", 3n));
    expect(await store.load()).toStrictEqual(checkpointAt("k", 3n));
    expect(
      encodeCheckpoint(checkpointAt("k", 3n), { name: "reserve-keeper", keeperId: "k" }).length,
    ).toBeGreaterThan(0);
  });
});

import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../internal/waitFor.ts";
import {
  KycProviderInvalidResponseError,
  KycProviderRejectedError,
  KycProviderUnavailableError,
} from "./errors.ts";
import { createKycFileProvider, readKycRegistry } from "./kycFileProvider.ts";
import { createKycHttpProvider } from "./kycHttpProvider.ts";

const ALICE = "0x00000000000000000000000000000000000A11cE".toLowerCase() as `0x${string}`;
const BOB = "0x0000000000000000000000000000000000000B0b" as `0x${string}`;
const ALICE_CHECKSUMMED = "0x00000000000000000000000000000000000A11cE";

describe("createKycHttpProvider (against a local HTTP server)", () => {
  let server: Server;
  let url: string;
  /** What the next requests get: status + body, in order; the last one repeats. */
  let script: { status: number; body?: unknown }[] = [];
  const seen: { path: string; auth: string | undefined }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ path: req.url ?? "", auth: req.headers.authorization });
      const step = script.length > 1 ? script.shift()! : script[0]!;
      res.writeHead(step.status, { "content-type": "application/json" });
      res.end(
        step.body === undefined ? "" : typeof step.body === "string" ? step.body : JSON.stringify(step.body),
      );
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  afterEach(() => {
    seen.length = 0;
  });

  const provider = (over: Partial<Parameters<typeof createKycHttpProvider>[0]> = {}) =>
    createKycHttpProvider({
      url: `${url}/`,
      token: "t0ken",
      timeoutMs: 200,
      maxAttempts: 3,
      backoffBaseMs: 1,
      ...over,
    });
  const body = {
    recordId: "kyc-7",
    tier: 2,
    jurisdiction: "US",
    qualifiedParty: true,
    expiresAt: 1_900_000_000,
  };

  it("GETs /v1/records/<checksummed account> with the bearer token and returns the record", async () => {
    script = [{ status: 200, body: { ...body, verifiedAt: "1700000000" } }];
    expect(await provider().getRecord(ALICE)).toEqual({
      recordId: "kyc-7",
      tier: 2,
      jurisdiction: "US",
      qualifiedParty: true,
      expiresAt: 1_900_000_000n,
      verifiedAt: 1_700_000_000n,
    });
    expect(seen).toEqual([{ path: `/v1/records/${ALICE_CHECKSUMMED}`, auth: "Bearer t0ken" }]);
  });

  it("treats 404 as no record (one request)", async () => {
    script = [{ status: 404, body: { error: "not found" } }];
    expect(await provider().getRecord(ALICE)).toBeUndefined();
    expect(seen).toHaveLength(1);
  });

  it("retries 5xx and 429, then succeeds", async () => {
    script = [{ status: 503 }, { status: 429 }, { status: 200, body }];
    expect((await provider().getRecord(ALICE))?.recordId).toBe("kyc-7");
    expect(seen).toHaveLength(3);
  });

  it("gives up after maxAttempts with a retryable KycProviderUnavailableError", async () => {
    script = [{ status: 500 }];
    const err = await provider()
      .getRecord(ALICE)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KycProviderUnavailableError);
    expect((err as KycProviderUnavailableError).retryable).toBe(true);
    expect((err as KycProviderUnavailableError).kind).toBe("http_5xx");
    expect(seen).toHaveLength(3);
  });

  it("times out (retryable, kind timeout) when the provider does not answer", async () => {
    let calls = 0;
    // A provider that never answers: the request ends only through the timeout's abort signal.
    const hanging: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) => {
        calls++;
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
      });
    const err = await provider({ maxAttempts: 2, timeoutMs: 20, fetch: hanging })
      .getRecord(ALICE)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KycProviderUnavailableError);
    expect((err as KycProviderUnavailableError).kind).toBe("timeout");
    expect(calls).toBe(2);
  });

  it("does not retry other 4xx (KycProviderRejectedError) and never puts the token in the message", async () => {
    script = [{ status: 401 }];
    const err = await provider()
      .getRecord(ALICE)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KycProviderRejectedError);
    expect(String((err as Error).message)).not.toContain("t0ken");
    expect(seen).toHaveLength(1);
  });

  it("rejects a body that breaks the contract, naming the field (extra personal data included)", async () => {
    script = [{ status: 200, body: { ...body, name: "Alice Example" } }];
    await expect(provider().getRecord(ALICE)).rejects.toThrow(KycProviderInvalidResponseError);
    script = [{ status: 200, body: { ...body, jurisdiction: "usa" } }];
    await expect(provider().getRecord(ALICE)).rejects.toThrow(/invalid jurisdiction/);
    script = [{ status: 200, body: "not json" }];
    await expect(provider().getRecord(ALICE)).rejects.toThrow(/not JSON/);
  });

  it("reports a refused connection as a retryable network failure", async () => {
    const err = await createKycHttpProvider({
      url: "http://127.0.0.1:1",
      timeoutMs: 200,
      maxAttempts: 2,
      backoffBaseMs: 1,
    })
      .getRecord(ALICE)
      .catch((e: unknown) => e);
    expect((err as KycProviderUnavailableError).kind).toBe("network");
  });
});

describe("createKycFileProvider", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "rk-kyc-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const registry = (records: unknown[]) => JSON.stringify({ version: 1, records });
  const entry = (account: string, over: Record<string, unknown> = {}) => ({
    account,
    recordId: `kyc-${account.slice(-4)}`,
    tier: 2,
    jurisdiction: "US",
    qualifiedParty: true,
    expiresAt: 1_900_000_000,
    ...over,
  });

  it("loads the registry, lists accounts (checksummed) and answers lookups", async () => {
    const path = join(dir, "a.json");
    await writeFile(path, registry([entry(ALICE), entry(BOB, { tier: 1 })]));
    const p = await createKycFileProvider({ path, watch: false });
    expect(await p.listAccounts()).toEqual([ALICE_CHECKSUMMED, BOB]);
    expect((await p.getRecord(BOB))?.tier).toBe(1);
    expect(await p.getRecord("0x0000000000000000000000000000000000000001")).toBeUndefined();
    await p.close();
  });

  it("reloads when the file is replaced (atomic rename) and notifies listeners", async () => {
    const path = join(dir, "b.json");
    await writeFile(path, registry([entry(ALICE)]));
    const p = await createKycFileProvider({ path });
    let changes = 0;
    p.onChange(() => {
      changes++;
    });
    await writeFile(`${path}.tmp`, registry([entry(ALICE, { tier: 3 })]));
    await rename(`${path}.tmp`, path);
    await waitFor("the reloaded record", async () => (await p.getRecord(ALICE))?.tier === 3, 5_000);
    expect(changes).toBeGreaterThanOrEqual(1);
    await p.close();
  });

  it("keeps the last good records when a reload finds an invalid file", async () => {
    const path = join(dir, "c.json");
    await writeFile(path, registry([entry(ALICE)]));
    const p = await createKycFileProvider({ path, watch: false });
    await writeFile(path, registry([entry(ALICE, { jurisdiction: "usa" })]));
    await expect(p.reload()).rejects.toThrow(KycProviderInvalidResponseError);
    expect((await p.getRecord(ALICE))?.jurisdiction).toBe("US");
    await writeFile(path, registry([entry(ALICE, { jurisdiction: "CH" })]));
    expect(await p.reload()).toBe(1);
    expect((await p.getRecord(ALICE))?.jurisdiction).toBe("CH");
    await p.close();
  });

  it("refuses duplicate accounts, unknown fields and an unreadable file", async () => {
    const path = join(dir, "d.json");
    await writeFile(path, registry([entry(ALICE), entry(ALICE_CHECKSUMMED)]));
    await expect(readKycRegistry(path)).rejects.toThrow(/duplicate account/);
    await writeFile(path, registry([{ ...entry(ALICE), name: "Alice" }]));
    await expect(readKycRegistry(path)).rejects.toThrow(KycProviderInvalidResponseError);
    await expect(readKycRegistry(join(dir, "missing.json"))).rejects.toThrow(/not readable/);
  });
});

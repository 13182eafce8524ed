import { describe, expect, it } from "vitest";
import { parseConfig } from "../config/load.ts";
import { validConfigInput } from "../config/testFixtures.ts";
import { ConfigError } from "../internal/errors.ts";
import { cctpConfigSchema, IRIS_MAINNET_URL, toMilliBps } from "./config.ts";
import { cctpConfigInput, TEST_ATTESTERS } from "./transfer/testSupport.ts";

const issuesOf = (input: unknown) => {
  const result = cctpConfigSchema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("cctp config", () => {
  it("parses the test section with its defaults", () => {
    const c = cctpConfigSchema.parse(cctpConfigInput());
    expect(c.attestationApi).toEqual({
      url: "http://127.0.0.1:8790",
      pollIntervalMs: 2_000,
      maxPollIntervalMs: 30_000,
      timeoutMs: 3_600_000,
      requestTimeoutMs: 10_000,
    });
    expect(c.maxFastFeeBps).toBe(100);
    expect(c.receiptTimeoutMs).toBe(120_000);
    expect(c.chains[0]?.deployedAtBlock).toBe(0n);
    expect(c.attestationService).toBeUndefined();
    expect(cctpConfigSchema.parse({ ...cctpConfigInput(), attestationApi: {} }).attestationApi.url).toBe(
      IRIS_MAINNET_URL,
    );
  });

  it("mounts as the optional cctp key of the keeper config", () => {
    expect(parseConfig(validConfigInput(), { env: {} }).config.cctp).toBeUndefined();
    const config = parseConfig({ ...validConfigInput(), cctp: cctpConfigInput() }, { env: {} }).config;
    expect(config.cctp?.chains.map((c) => c.domain)).toEqual([0, 6]);
  });

  it("defaults the devnet attestation service settings", () => {
    const c = cctpConfigSchema.parse({ ...cctpConfigInput(), attestationService: {} });
    expect(c.attestationService).toEqual({
      host: "127.0.0.1",
      port: 8790,
      pollIntervalMs: 250,
      fastConfirmations: 1n,
      standardConfirmations: 3n,
      fastFeeBps: 1,
      routeFees: [],
      fastAllowance: "10000000",
      expirationBlocks: 0n,
    });
  });

  it("names every problem: versions without contracts, duplicates, threshold, URL, fee precision", () => {
    const input = cctpConfigInput();
    const [home, remote] = input.chains as unknown as [Record<string, unknown>, Record<string, unknown>];
    delete home.v1;
    remote.domain = 0;
    remote.versions = [2, 2];
    const problems = issuesOf({
      ...input,
      attestationApi: { url: "http://iris.example.com" },
      attesters: {
        v1: { addresses: TEST_ATTESTERS, threshold: 3 },
        v2: { addresses: TEST_ATTESTERS, threshold: 2 },
      },
      maxFastFeeBps: 1.2345,
      chains: [home, remote],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        "attestationApi.url: must use https (http only to localhost, 127.0.0.1 or [::1])",
        "attesters.v1.threshold: must be <= the number of addresses (2), got 3",
        "maxFastFeeBps: must be a number of basis points from 0 to 10000 with at most 3 decimals",
        "chains.0.v1: is required: versions lists 1",
        "chains.1.versions: must not repeat a version",
        "chains.1.domain: duplicate domain 0 (also chains[0])",
      ]),
    );
  });

  it("requires the attester set of every version a chain lists", () => {
    expect(
      issuesOf({ ...cctpConfigInput(), attesters: { v2: { addresses: TEST_ATTESTERS, threshold: 2 } } }),
    ).toEqual(["attesters.v1: is required: a chain lists version 1"]);
  });

  it("rejects URLs with credentials and unknown keys", () => {
    expect(
      issuesOf({ ...cctpConfigInput(), attestationApi: { url: "https://user:pw@iris.example.com" } }),
    ).toEqual(["attestationApi.url: must not carry credentials"]);
    expect(issuesOf({ ...cctpConfigInput(), extra: 1 })[0]).toMatch(/extra/);
  });

  it("converts bps to millibps", () => {
    expect(toMilliBps(1)).toBe(1_000n);
    expect(toMilliBps(0.5)).toBe(500n);
    expect(toMilliBps(1.234)).toBe(1_234n);
  });

  it("keeps unknown chain names for the setup to report as a ConfigError", () => {
    expect(() =>
      parseConfig({ ...validConfigInput(), cctp: { ...cctpConfigInput(), chains: [] } }, { env: {} }),
    ).toThrow(ConfigError);
  });
});

import { describe, expect, it } from "vitest";
import { parseConfig } from "../../config/load.ts";
import { configWith, validConfigInput } from "../../config/testFixtures.ts";
import { ConfigError, type ConfigProblem } from "../../internal/errors.ts";
import { checkCustodyReferences } from "./config.ts";
import { sha256Of } from "./testSupport.ts";

const custody = (over: Record<string, unknown> = {}) => ({
  provider: { type: "file", path: "custody.json" },
  assets: [{ id: "dusd" }],
  ...over,
});
const withCustody = (c: unknown) => ({ ...validConfigInput(), custody: c });

function problemsOf(input: unknown, env: Record<string, string> = {}): ConfigProblem[] {
  try {
    parseConfig(input, { env });
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

describe("the custody config section", () => {
  it("is optional", () => {
    expect(parseConfig(validConfigInput()).config.custody).toBeUndefined();
  });

  it("fills every default", () => {
    const c = parseConfig(withCustody(custody())).config.custody!;
    expect(c).toEqual({
      provider: { type: "file", path: "custody.json" },
      pollIntervalMs: 60_000,
      maxReportAgeSeconds: 86_400n,
      maxFutureSkewSeconds: 300n,
      socWarnDays: 30,
      attestations: { verifyIntervalSeconds: 3_600, timeoutMs: 15_000, maxBytes: 20_971_520 },
      dualSource: {
        toleranceBps: 50n,
        maxAsOfSkewSeconds: 86_400n,
        onDisagree: "alert",
        pauseOn: "custodian_below",
      },
      server: { host: "127.0.0.1", port: 9_471 },
      assets: [{ id: "dusd", attestations: [] }],
    });
    const http = parseConfig(
      withCustody(custody({ provider: { type: "http", url: "https://custodian.example/api" } })),
    ).config.custody!.provider;
    expect(http).toEqual({
      type: "http",
      url: "https://custodian.example/api",
      timeoutMs: 10_000,
      maxAttempts: 3,
      backoffBaseMs: 500,
      backoffMaxMs: 10_000,
      maxResponseBytes: 1_048_576,
    });
  });

  it("parses pinned attestation links (dates to unix seconds, digests to lowercase)", () => {
    const sha = sha256Of("doc").toUpperCase();
    const c = parseConfig(
      withCustody(
        custody({
          assets: [
            {
              id: "dusd",
              attestations: [
                {
                  url: "https://a.example/x.pdf",
                  auditor: "Audit LLP",
                  period: { start: "2025-05-01", end: "2025-05-31" },
                  sha256: sha,
                },
              ],
            },
          ],
        }),
      ),
    ).config.custody!;
    expect(c.assets[0]!.attestations).toEqual([
      {
        url: "https://a.example/x.pdf",
        auditor: "Audit LLP",
        period: { start: 1_746_057_600n, end: 1_748_649_600n },
        sha256: sha.toLowerCase(),
      },
    ]);
  });

  it("reports every bad field with its path", () => {
    const problems = problemsOf(
      withCustody(
        custody({
          provider: { type: "http", url: "https://u:p@custodian.example", tokenEnv: "0xabc", timeoutMs: 5 },
          pollIntervalMs: 10,
          dualSource: { toleranceBps: 10_001, onDisagree: "explode" },
          assets: [
            {
              id: "dusd",
              attestations: [
                {
                  url: "ftp://x",
                  auditor: "A",
                  period: { start: "2025-01-01", end: "2025-01-02" },
                  sha256: "zz",
                },
              ],
            },
            { id: "dusd" },
          ],
          extra: true,
        }),
      ),
    );
    expect(problems.map((p) => p.path).sort()).toEqual(
      [
        "custody.assets[0].attestations[0].sha256",
        "custody.assets[0].attestations[0].url",
        "custody.assets[1].id",
        "custody.dualSource.onDisagree",
        "custody.dualSource.toleranceBps",
        "custody.extra",
        "custody.pollIntervalMs",
        "custody.provider.timeoutMs",
        "custody.provider.tokenEnv",
        "custody.provider.url",
      ].sort(),
    );
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p.message]));
    expect(byPath["custody.provider.url"]).toMatch(/credentials/);
    expect(byPath["custody.assets[1].id"]).toMatch(/duplicate asset id "dusd"/);
    expect(byPath["custody.pollIntervalMs"]).toMatch(/from 100 to 86400000, got 10/);
  });

  it("takes env overrides like every section", () => {
    const c = parseConfig(withCustody(custody()), {
      env: { RESERVE_KEEPER__CUSTODY__DUAL_SOURCE__ON_DISAGREE: "pause" },
    }).config.custody!;
    expect(c.dualSource.onDisagree).toBe("pause");
  });
});

describe("checkCustodyReferences", () => {
  it("requires known asset ids and, for pause, a signer with actions enabled", () => {
    const parse = (input: unknown) => parseConfig(input).config;
    const ok = parse(withCustody(custody()));
    expect(checkCustodyReferences(ok.custody!, ok)).toEqual([]);
    const unknown = parse(withCustody(custody({ assets: [{ id: "eurc" }] })));
    expect(checkCustodyReferences(unknown.custody!, unknown)).toEqual([
      { path: "custody.assets[0].id", message: 'unknown asset "eurc"; assets are: dusd' },
    ]);
    const watchOnly = parse(
      configWith(
        { "signer.type": "none", "signer.variable": undefined, "actions.enabled": false },
        withCustody(custody({ dualSource: { onDisagree: "pause" } })),
      ),
    );
    expect(checkCustodyReferences(watchOnly.custody!, watchOnly)).toEqual([
      {
        path: "custody.dualSource.onDisagree",
        message: '"pause" needs a signer with KEEPER_ROLE; signer.type is none',
      },
    ]);
    const disabled = parse(
      configWith({ "actions.enabled": false }, withCustody(custody({ dualSource: { onDisagree: "pause" } }))),
    );
    expect(checkCustodyReferences(disabled.custody!, disabled)[0]?.message).toMatch(
      /actions.enabled is false/,
    );
  });
});

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevnetManifest } from "../../../deploy/devnet/manifest.ts";
import { loadConfig, parseConfig } from "../../config/load.ts";
import { ADDR, validConfigInput } from "../../config/testFixtures.ts";
import { ConfigError } from "../../internal/errors.ts";
import { complianceConfigSchema } from "./config.ts";
import { devnetComplianceConfigDocument, writeDevnetComplianceConfig } from "./devnet.ts";
import { ComplianceSetupError } from "./errors.ts";
import { readKycRegistry } from "./kycFileProvider.ts";
import { resolveComplianceSetup } from "./service.ts";

const GATE = "0x610178dA211FEF7D417bC0e6FeD39F05609AD788";
const MINTER = "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707";

const section = (over: Record<string, unknown> = {}) => ({
  kyc: { type: "file", path: "kyc.json" },
  assets: [{ id: "dusd", tokenDecimals: 6 }],
  signers: { complianceOfficer: { type: "env", variable: "RESERVE_KEEPER_COMPLIANCE_KEY" } },
  ...over,
});

function withCompliance(compliance: unknown, gates = true) {
  const doc = validConfigInput() as { assets: { deployments: Record<string, unknown>[] }[] } & Record<
    string,
    unknown
  >;
  if (gates) {
    for (const d of doc.assets[0]!.deployments) d.gate = GATE;
    doc.assets[0]!.deployments[0]!.minter = MINTER;
  }
  doc.compliance = compliance;
  return doc;
}

describe("complianceConfigSchema", () => {
  it("fills every default", () => {
    const parsed = complianceConfigSchema.parse(section());
    expect(parsed).toMatchObject({
      api: { host: "127.0.0.1", port: 8_650, maxBodyBytes: 16_384 },
      metricsPort: 9_465,
      kyc: { type: "file", path: "kyc.json", watch: true },
      qualifiedParty: { type: "record" },
      geo: {},
      pause: { reconcileIntervalMs: 15_000 },
      signers: { issuer: { type: "none" } },
      gateSync: { enabled: true, intervalMs: 60_000, batchSize: 50, maxAttempts: 5, accounts: [] },
      onRamp: { enabled: false, settlement: "none", fiatCurrency: "USD", feeBps: 0, quoteTtlSeconds: 300 },
    });
    expect(parsed.assets[0]).toEqual({
      id: "dusd",
      tokenDecimals: 6,
      blockedJurisdictions: [],
      minKycTier: { mint: 1, redeem: 1, transfer: 1 },
    });
  });

  it("reports every problem at once, with paths (signers needed by gate sync and the on-ramp)", () => {
    const r = complianceConfigSchema.safeParse({
      kyc: { type: "http", url: "https://user:pw@kyc.example.com" },
      assets: [
        {
          id: "dusd",
          tokenDecimals: 6,
          allowedJurisdictions: ["US", "IR"],
          blockedJurisdictions: ["IR", "usa"],
          qualifiedPartyThreshold: "-5",
          extra: 1,
        },
        { id: "dusd", tokenDecimals: 40 },
      ],
      onRamp: { enabled: true },
    });
    expect(r.success).toBe(false);
    const problems = r.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^kyc\.url: must not carry credentials/),
        expect.stringMatching(/^assets\.0\.blockedJurisdictions\.1: must be an ISO 3166-1 alpha-2/),
        expect.stringMatching(/^assets\.0\.qualifiedPartyThreshold: must be a non-negative decimal/),
        expect.stringMatching(/^assets\.0: Unrecognized key/),
        expect.stringMatching(/^assets\.1\.tokenDecimals: must be an integer from 0 to 36/),
        expect.stringMatching(/^signers\.complianceOfficer: is needed while gateSync\.enabled/),
        expect.stringMatching(/^signers\.issuer: is needed while onRamp\.enabled/),
        'assets.1.id: duplicate asset id "dusd" (also assets[0])',
        "assets.0.allowedJurisdictions: lists blocked jurisdictions too (IR); a code is either allowed or blocked",
      ]),
    );
  });

  it("is the keeper config's optional compliance section", () => {
    expect(parseConfig(validConfigInput()).config.compliance).toBeUndefined();
    const { config } = parseConfig(withCompliance(section()));
    expect(config.compliance?.assets[0]?.id).toBe("dusd");
    expect(config.assets[0]?.deployments[0]).toMatchObject({ gate: GATE, minter: MINTER });
    expect(() => parseConfig(withCompliance({ ...section(), bogus: 1 }))).toThrow(ConfigError);
  });
});

describe("resolveComplianceSetup", () => {
  it("resolves rules, breakers, gates and the mint target per asset", () => {
    const setup = resolveComplianceSetup(
      parseConfig(
        withCompliance(
          section({
            onRamp: { enabled: true },
            signers: { complianceOfficer: { type: "none" }, issuer: { type: "env", variable: "K" } },
            gateSync: { enabled: false },
          }),
        ),
      ).config,
    );
    expect(setup.breakers).toEqual([
      { assetId: "dusd", chainId: 31337, breaker: ADDR.homeBreaker },
      { assetId: "dusd", chainId: 31338, breaker: ADDR.remoteBreaker },
    ]);
    expect(setup.gates.map((g) => g.chainId)).toEqual([31337, 31338]);
    expect(setup.mintTargets.get("dusd")).toEqual({ chainId: 31337, minter: MINTER });
    expect(setup.rules.get("dusd")?.qualifiedPartyThreshold).toBeUndefined();
  });

  it("lists every cross-reference problem: unknown asset, missing gates, no minter for the on-ramp", () => {
    const config = parseConfig(
      withCompliance(
        section({
          assets: [
            { id: "dusd", tokenDecimals: 6 },
            { id: "eurx", tokenDecimals: 6 },
          ],
          onRamp: { enabled: true },
          signers: {
            complianceOfficer: { type: "env", variable: "A" },
            issuer: { type: "env", variable: "B" },
          },
        }),
        false,
      ),
    ).config;
    try {
      resolveComplianceSetup(config);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ComplianceSetupError);
      expect((err as ComplianceSetupError).problems).toEqual([
        "assets[dusd].deployments[0].gate: required while compliance.gateSync.enabled is true",
        "assets[dusd].deployments[1].gate: required while compliance.gateSync.enabled is true",
        "assets[dusd]: no deployment has a minter, which compliance.onRamp.enabled needs",
        'compliance.assets[1].id: unknown asset "eurx"; assets are: dusd',
      ]);
    }
    expect(() => resolveComplianceSetup(parseConfig(validConfigInput()).config)).toThrow(
      /no compliance section/,
    );
  });
});

describe("devnet compliance config", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "rk-compliance-devnet-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const manifest = (): DevnetManifest => ({
    version: 1,
    createdAt: "2025-01-01T00:00:00.000Z",
    chains: [
      {
        name: "home",
        chainId: 31337,
        role: "home",
        rpcHttpUrl: "http://127.0.0.1:8545",
        rpcWsUrl: "ws://127.0.0.1:8545",
      },
      {
        name: "remote",
        chainId: 31338,
        role: "remote",
        rpcHttpUrl: "http://127.0.0.1:8546",
        rpcWsUrl: "ws://127.0.0.1:8546",
      },
    ],
    assets: [
      {
        id: "dusd",
        symbol: "dUSD",
        tokenDecimals: 6,
        feedDecimals: 8,
        feedChain: "home",
        heartbeatSeconds: 3600,
        marginBps: 0,
        chains: [
          {
            chain: "home",
            token: ADDR.homeToken,
            breaker: ADDR.homeBreaker,
            gate: GATE,
            redeemer: ADDR.verifier,
            verifier: ADDR.verifier,
            minter: MINTER,
            feed: ADDR.proxy,
            deployedAtBlock: 3,
          },
          {
            chain: "remote",
            token: ADDR.remoteToken,
            breaker: ADDR.remoteBreaker,
            gate: GATE,
            redeemer: ADDR.verifier,
            deployedAtBlock: 7,
          },
        ],
      },
    ],
    accounts: {
      alice: "0x00000000000000000000000000000000000A11cE",
      bob: "0x0000000000000000000000000000000000000B0b",
      issuer: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    },
    unpause: { signers: [ADDR.proxy], threshold: 1 },
  });

  it("builds a valid keeper config with the compliance section (gates and minter filled from the manifest)", () => {
    const { config } = parseConfig(devnetComplianceConfigDocument(manifest(), { kycPath: "/tmp/kyc.json" }));
    expect(config.compliance).toMatchObject({
      kyc: { type: "file", path: "/tmp/kyc.json" },
      assets: [
        {
          id: "dusd",
          tokenDecimals: 6,
          blockedJurisdictions: ["CU", "IR", "KP", "SY"],
          qualifiedPartyThreshold: "1000000",
        },
      ],
      onRamp: { enabled: true, settlement: "devnet", feeBps: 50 },
      signers: {
        complianceOfficer: { type: "env", variable: "RESERVE_KEEPER_COMPLIANCE_KEY" },
        issuer: { type: "env", variable: "RESERVE_KEEPER_ISSUER_KEY" },
      },
    });
    expect(resolveComplianceSetup(config).mintTargets.get("dusd")).toEqual({
      chainId: 31337,
      minter: MINTER,
    });
  });

  it("writes the YAML config and the KYC registry (seeded users, one year) next to the manifest", async () => {
    const manifestPath = join(dir, "devnet.json");
    await writeFile(manifestPath, JSON.stringify(manifest()));
    const { configPath, kycPath, config } = await writeDevnetComplianceConfig(manifestPath, {
      nowSeconds: 1_000,
    });
    expect(configPath).toBe(join(dir, "devnet.compliance.yaml"));
    expect(await readFile(configPath, "utf8")).toMatch(/^# reserve-keeper compliance service config/);
    expect((await loadConfig({ path: configPath, env: {} })).config).toEqual(config);
    const records = await readKycRegistry(kycPath);
    expect([...records.keys()]).toEqual([
      "0x00000000000000000000000000000000000A11cE",
      "0x0000000000000000000000000000000000000B0b",
    ]);
    expect(records.get("0x00000000000000000000000000000000000A11cE")).toEqual({
      recordId: "devnet-kyc-alice",
      tier: 2,
      jurisdiction: "US",
      qualifiedParty: true,
      expiresAt: 1_000n + 365n * 24n * 3600n,
      verifiedAt: 1_000n,
    });
  });
});

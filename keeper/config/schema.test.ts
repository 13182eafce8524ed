import { describe, expect, it } from "vitest";
import { ConfigError, type ConfigProblem, InvalidPolicyError } from "../internal/errors.ts";
import { configFields, SENSITIVE_PATHS } from "./introspect.ts";
import { parseConfig } from "./load.ts";
import { type AssetConfig, keeperConfigSchema, policyFor } from "./schema.ts";
import { ADDR, configWith, kafkaConfigInput, validConfigInput } from "./testFixtures.ts";

function problemsOf(input: unknown): ConfigProblem[] {
  try {
    parseConfig(input);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

/** The message of the single problem at `path` (fails if there is none). */
function problemAt(input: unknown, path: string): string {
  const found = problemsOf(input).filter((p) => p.path === path);
  expect(
    found.map((p) => p.path),
    `problems: ${JSON.stringify(problemsOf(input))}`,
  ).toEqual([path]);
  return found[0]?.message ?? "";
}

const parse = (input: unknown) => parseConfig(input).config;

describe("keeperConfigSchema: defaults", () => {
  it("fills every default of a minimal config", () => {
    const config = parse(validConfigInput());
    expect(config.keeperId).toBe("keeper-1");
    expect(config.chains[0]).toMatchObject({
      confirmations: 0n,
      pollIntervalMs: 1_000,
      reorgWindow: 64n,
      maxLogRange: 2_000n,
      reconcileIntervalMs: 15_000,
    });
    const asset = config.assets[0] as AssetConfig;
    expect(asset).toMatchObject({
      heartbeatSeconds: 86_400n,
      graceSeconds: 60n,
      staleAction: "alert",
      marginBps: 0n,
      clockSkewSeconds: 0n,
      thresholds: { warnRatioBps: 10_100n, pauseRatioBps: 10_000n, hysteresisBps: 25n },
    });
    expect(asset.deployments[0]?.deployedAtBlock).toBe(5n);
    expect(asset.deployments[1]?.deployedAtBlock).toBeUndefined();
    expect(config.signer).toEqual({ type: "env", variable: "RESERVE_KEEPER_SIGNER_KEY" });
    expect(config.actions).toEqual({
      enabled: true,
      receiptTimeoutMs: 4_000,
      feeBumpPercent: 25,
      maxFeePerGasWei: 100_000_000_000n,
      emergencyMaxFeePerGasWei: 500_000_000_000n,
      maxAttempts: 8,
    });
    expect(config.bus).toEqual({ type: "inprocess" });
    expect(config.checkpoint).toEqual({ path: ".keeper/checkpoint.json" });
    expect(config.telemetry).toEqual({ metricsPort: 9_464, host: "127.0.0.1", logLevel: "info" });
  });

  it("defaults the keystore password variable and the Kafka client id (to keeperId)", () => {
    expect(parse(configWith({ signer: { type: "keystore", path: "k.json" } })).signer).toEqual({
      type: "keystore",
      path: "k.json",
      passwordEnv: "RESERVE_KEEPER_KEYSTORE_PASSWORD",
    });
    const config = parse(configWith({ keeperId: "k-7" }, kafkaConfigInput()));
    expect(config.bus).toMatchObject({ type: "kafka", clientId: "k-7", topicPrefix: "", ssl: true });
    const explicit = parse(configWith({ "bus.clientId": "svc" }, kafkaConfigInput()));
    expect(explicit.bus).toMatchObject({ clientId: "svc" });
  });
});

describe("keeperConfigSchema: sensitive markers", () => {
  it("marks RPC URLs, the SASL password and alert sink credentials sensitive, and nothing else", () => {
    expect(SENSITIVE_PATHS).toEqual([
      "chains[].rpc.http",
      "chains[].rpc.ws",
      "bus.sasl.password",
      "alerts.sinks[].routingKey",
      "alerts.sinks[].webhookUrl",
      "alerts.sinks[].url",
      "alerts.sinks[].secret",
    ]);
  });

  it("describes every field; defaults are visible to tooling", () => {
    const fields = configFields();
    expect(fields.filter((f) => f.description === undefined && !f.path.endsWith(".type"))).toEqual([]);
    expect(fields.find((f) => f.path === "telemetry.metricsPort")?.defaultValue).toBe(9_464);
    expect(fields.find((f) => f.path === "actions.feeBumpPercent")?.defaultValue).toBe(25);
  });
});

describe("keeperConfigSchema: field rules", () => {
  it("rejects unknown keys everywhere, suggesting the intended key", () => {
    expect(problemAt(configWith({ colour: "blue" }), "colour")).toMatch(
      /^unknown key \(allowed: keeperId, chains/,
    );
    expect(problemAt(configWith({ "telemetry.metrics_port": 1 }), "telemetry.metrics_port")).toBe(
      "unknown key (did you mean metricsPort?)",
    );
    expect(problemAt(configWith({ "chains.0.rpc.wss": "wss://x" }), "chains[0].rpc.wss")).toBe(
      "unknown key (did you mean ws?)",
    );
    expect(
      problemAt(configWith({ "assets.0.feed.aggregator": ADDR.proxy }), "assets[0].feed.aggregator"),
    ).toMatch(/^unknown key/);
    expect(problemAt(configWith({ signer: { type: "env", path: "x" } }), "signer.path")).toMatch(
      /^unknown key/,
    );
  });

  it("requires chains, assets and signer", () => {
    const problems = problemsOf({});
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ["chains", "is required"],
      ["assets", "is required"],
      ["signer", "is required"],
    ]);
    expect(problemAt(configWith({ chains: [] }), "chains")).toBe("must have at least 1 entry");
    expect(problemAt(configWith({ "assets.0.deployments": [] }), "assets[0].deployments")).toBe(
      "must have at least 1 entry",
    );
  });

  it("checks slugs, chain ids and integer ranges", () => {
    expect(problemAt(configWith({ "chains.1.name": "Remote Chain" }), "chains[1].name")).toMatch(
      /lowercase slug/,
    );
    expect(problemAt(configWith({ "chains.0.id": 0 }), "chains[0].id")).toBe(
      "must be an integer from 1 to 9007199254740991, got 0",
    );
    expect(problemAt(configWith({ "chains.0.id": 1.5 }), "chains[0].id")).toMatch(/must be an integer/);
    expect(problemAt(configWith({ "chains.0.id": "1" }), "chains[0].id")).toBe(
      "must be a number, got a string",
    );
    expect(problemAt(configWith({ "chains.0.pollIntervalMs": 5 }), "chains[0].pollIntervalMs")).toMatch(
      /50 to/,
    );
    expect(problemAt(configWith({ "chains.0.confirmations": -1 }), "chains[0].confirmations")).toMatch(
      /0 to 1000/,
    );
    expect(problemAt(configWith({ "telemetry.metricsPort": 70_000 }), "telemetry.metricsPort")).toBe(
      "must be an integer from 1 to 65535, got 70000",
    );
    expect(problemAt(configWith({ "telemetry.metricsPort": 0 }), "telemetry.metricsPort")).toMatch(
      /1 to 65535/,
    );
    expect(problemAt(configWith({ "telemetry.logLevel": "loud" }), "telemetry.logLevel")).toMatch(
      /^must be one of "fatal", "error"/,
    );
    expect(problemAt(configWith({ keeperId: "" }), "keeperId")).toMatch(/1-64 characters/);
  });

  it("accepts http(s) RPC URLs and ws(s) WebSocket URLs only", () => {
    expect(problemAt(configWith({ "chains.0.rpc.ws": "http://ws.example.com" }), "chains[0].rpc.ws")).toBe(
      "must use ws or wss, got http",
    );
    expect(
      problemAt(configWith({ "chains.0.rpc.http": "wss://rpc.example.com" }), "chains[0].rpc.http"),
    ).toBe("must use http or https, got wss");
    expect(problemAt(configWith({ "chains.0.rpc.http": "not a url" }), "chains[0].rpc.http")).toBe(
      "must be a http or https URL",
    );
    // A non-web scheme is not echoed (it may be part of a secret pasted in the wrong place).
    expect(problemAt(configWith({ "chains.0.rpc.http": "user:hunter2" }), "chains[0].rpc.http")).toBe(
      "must use http or https",
    );
    expect(parse(configWith({ "chains.0.rpc.ws": undefined })).chains[0]?.rpc.ws).toBeUndefined();
  });

  it("accepts lowercase addresses, checksums them, and rejects a wrong mixed-case checksum", () => {
    const lower = parse(configWith({ "assets.0.feed.proxy": ADDR.proxy.toLowerCase() }));
    expect(lower.assets[0]?.feed.proxy).toBe(ADDR.proxy);
    const upper = parse(configWith({ "assets.0.feed.proxy": `0x${ADDR.proxy.slice(2).toUpperCase()}` }));
    expect(upper.assets[0]?.feed.proxy).toBe(ADDR.proxy);
    const wrong = `0x${ADDR.proxy.slice(2, 3).toLowerCase()}${ADDR.proxy.slice(3, 12).toUpperCase()}${ADDR.proxy.slice(12)}`;
    expect(problemAt(configWith({ "assets.0.feed.proxy": wrong }), "assets[0].feed.proxy")).toBe(
      `has a wrong EIP-55 checksum (mixed case); expected ${ADDR.proxy}, or write it all lowercase`,
    );
    expect(
      problemAt(configWith({ "assets.0.deployments.0.token": "0x1234" }), "assets[0].deployments[0].token"),
    ).toBe("must be a 0x-prefixed 20-byte hex address (40 hex digits)");
    expect(
      problemAt(
        configWith({ "assets.0.deployments.0.breaker": `0x${"0".repeat(40)}` }),
        "assets[0].deployments[0].breaker",
      ),
    ).toBe("must not be the zero address");
  });

  it("parses fee caps from gwei numbers or decimal strings to bigint wei", () => {
    const config = parse(configWith({ actions: { maxFeePerGasGwei: "1.5", emergencyMaxFeePerGasGwei: 30 } }));
    expect(config.actions.maxFeePerGasWei).toBe(1_500_000_000n);
    expect(config.actions.emergencyMaxFeePerGasWei).toBe(30_000_000_000n);
    expect(parse(configWith({ "actions.maxFeePerGasGwei": "0.000000001" })).actions.maxFeePerGasWei).toBe(1n);
    for (const bad of ["0.0000000001", "-1", "0", "abc", true, "2000000"]) {
      expect(problemAt(configWith({ "actions.maxFeePerGasGwei": bad }), "actions.maxFeePerGasGwei")).toMatch(
        /must be a number of gwei greater than 0/,
      );
    }
  });

  it("bounds actions: fee bump >= 10 %, attempts, timeouts, gas limit", () => {
    expect(problemAt(configWith({ "actions.feeBumpPercent": 5 }), "actions.feeBumpPercent")).toMatch(
      /10 to 1000/,
    );
    expect(problemAt(configWith({ "actions.maxAttempts": 0 }), "actions.maxAttempts")).toMatch(/1 to 100/);
    expect(problemAt(configWith({ "actions.gasLimit": 100 }), "actions.gasLimit")).toMatch(/21000 to/);
    expect(parse(configWith({ "actions.gasLimit": 120_000 })).actions.gasLimit).toBe(120_000n);
  });

  it("checks the signer variants and never echoes what was typed as a variable name", () => {
    expect(problemAt(configWith({ signer: { type: "ledger" } }), "signer.type")).toBe(
      'must be: one of "keystore", "env", "none"',
    );
    expect(problemAt(configWith({ signer: {} }), "signer.type")).toBe(
      'is required: one of "keystore", "env", "none"',
    );
    expect(problemAt(configWith({ signer: { type: "keystore" } }), "signer.path")).toBe("is required");
    const key = `0x${"ab".repeat(32)}`;
    const message = problemAt(configWith({ signer: { type: "env", variable: key } }), "signer.variable");
    expect(message).toMatch(/looks like a private key/);
    expect(message).not.toContain("abab");
    expect(problemAt(configWith({ signer: { type: "env", variable: "MY KEY" } }), "signer.variable")).toMatch(
      /environment variable name/,
    );
  });

  it("checks the Kafka bus: brokers, topic prefix, SASL", () => {
    const kafka = kafkaConfigInput();
    expect(problemAt(configWith({ "bus.brokers": [] }, kafka), "bus.brokers")).toBe(
      "must have at least 1 entry",
    );
    expect(problemAt(configWith({ "bus.brokers": ["kafka:99999x"] }, kafka), "bus.brokers[0]")).toBe(
      "must be host:port",
    );
    expect(parse(configWith({ "bus.brokers": ["[::1]:9092", "10.0.0.1:9093"] }, kafka)).bus).toMatchObject({
      brokers: ["[::1]:9092", "10.0.0.1:9093"],
    });
    expect(problemAt(configWith({ "bus.topicPrefix": "Prod " }, kafka), "bus.topicPrefix")).toMatch(
      /a-z, 0-9/,
    );
    expect(problemAt(configWith({ "bus.sasl.mechanism": "gssapi" }, kafka), "bus.sasl.mechanism")).toMatch(
      /^must be one of "plain"/,
    );
    expect(problemAt(configWith({ bus: { type: "inprocess", brokers: ["a:1"] } }), "bus.brokers")).toMatch(
      /^unknown key/,
    );
  });
});

describe("keeperConfigSchema: cross-references", () => {
  it("rejects a feed chain and deployment chains that are not configured", () => {
    expect(problemAt(configWith({ "assets.0.feed.chain": "mainnet" }), "assets[0].feed.chain")).toBe(
      'unknown chain "mainnet"; chains are: home, remote',
    );
    expect(
      problemAt(configWith({ "assets.0.deployments.1.chain": "base" }), "assets[0].deployments[1].chain"),
    ).toBe('unknown chain "base"; chains are: home, remote');
  });

  it("rejects duplicate chain names, chain ids, asset ids and deployments per chain", () => {
    const base = validConfigInput();
    const chains = base.chains as Record<string, unknown>[];
    expect(problemAt(configWith({ "chains.1.name": "home" }), "chains[1].name")).toBe(
      'duplicate chain name "home" (also chains[0])',
    );
    expect(problemAt(configWith({ "chains.1.id": 31_337 }), "chains[1].id")).toBe(
      "duplicate chain id 31337 (also chains[0])",
    );
    const assets = base.assets as Record<string, unknown>[];
    expect(problemAt(configWith({ assets: [assets[0], assets[0]] }), "assets[1].id")).toBe(
      'duplicate asset id "dusd" (also assets[0])',
    );
    expect(
      problemAt(configWith({ "assets.0.deployments.1.chain": "home" }), "assets[0].deployments[1].chain"),
    ).toBe('duplicate deployment on chain "home" (also deployments[0])');
    expect(chains).toHaveLength(2);
  });

  it("requires pauseRatioBps <= warnRatioBps and bps within 0..100000", () => {
    expect(
      problemAt(
        configWith({ "assets.0.thresholds": { warnRatioBps: 9_000, pauseRatioBps: 9_500 } }),
        "assets[0].thresholds.pauseRatioBps",
      ),
    ).toBe("must be <= warnRatioBps (9000), got 9500");
    expect(
      problemAt(
        configWith({ "assets.0.thresholds.hysteresisBps": 100_001 }),
        "assets[0].thresholds.hysteresisBps",
      ),
    ).toMatch(/0 to 100000/);
    expect(problemAt(configWith({ "assets.0.marginBps": -1 }), "assets[0].marginBps")).toMatch(/0 to 100000/);
    expect(
      parse(configWith({ "assets.0.thresholds": { warnRatioBps: 10_000, pauseRatioBps: 10_000 } })),
    ).toBeDefined();
  });

  it("requires heartbeatSeconds > 0", () => {
    expect(problemAt(configWith({ "assets.0.heartbeatSeconds": 0 }), "assets[0].heartbeatSeconds")).toMatch(
      /from 1 to/,
    );
    expect(
      problemAt(configWith({ "assets.0.heartbeatSeconds": undefined }), "assets[0].heartbeatSeconds"),
    ).toBe("is required");
  });

  it("requires the emergency fee cap >= the normal cap", () => {
    expect(
      problemAt(
        configWith({ actions: { maxFeePerGasGwei: 200, emergencyMaxFeePerGasGwei: 100 } }),
        "actions.emergencyMaxFeePerGasGwei",
      ),
    ).toMatch(/^must be >= maxFeePerGasGwei/);
    expect(
      parse(configWith({ actions: { maxFeePerGasGwei: 100, emergencyMaxFeePerGasGwei: 100 } })),
    ).toBeDefined();
  });

  it("requires confirmations <= reorgWindow", () => {
    expect(
      problemAt(
        configWith({ "chains.0.confirmations": 65, "chains.0.reorgWindow": 64 }),
        "chains[0].confirmations",
      ),
    ).toMatch(/^must be <= reorgWindow \(64\), got 65/);
  });

  it("refuses signer none while actions are enabled; watch-only needs actions.enabled: false", () => {
    expect(problemAt(configWith({ signer: { type: "none" } }), "signer.type")).toMatch(
      /actions\.enabled: false/,
    );
    const config = parse(configWith({ signer: { type: "none" }, actions: { enabled: false } }));
    expect(config.signer).toEqual({ type: "none" });
  });

  it("refuses SASL plain without TLS", () => {
    expect(
      problemAt(
        configWith({ "bus.ssl": false, "bus.sasl.mechanism": "plain" }, kafkaConfigInput()),
        "bus.sasl.mechanism",
      ),
    ).toMatch(/clear text/);
    expect(
      parse(configWith({ "bus.ssl": true, "bus.sasl.mechanism": "plain" }, kafkaConfigInput())),
    ).toBeDefined();
  });

  it("does not require a verifier on the feed chain (the keeper reads the feed itself)", () => {
    const config = parse(configWith({ "assets.0.deployments.0.verifier": undefined }));
    expect(config.assets[0]?.deployments[0]?.verifier).toBeUndefined();
    // …nor a deployment on the feed chain at all (feed on one chain, token elsewhere).
    expect(
      parse(
        configWith({
          "assets.0.feed.chain": "home",
          "assets.0.deployments": [
            (validConfigInput().assets as { deployments: unknown[] }[])[0]?.deployments[1],
          ],
        }),
      ),
    ).toBeDefined();
  });

  it("reports cross-reference problems together with field problems", () => {
    const paths = problemsOf(
      configWith({ "chains.0.id": 0, "assets.0.feed.chain": "nowhere", "telemetry.logLevel": "loud" }),
    ).map((p) => p.path);
    expect(paths.sort()).toEqual(["assets[0].feed.chain", "chains[0].id", "telemetry.logLevel"]);
  });
});

describe("policyFor", () => {
  it("returns the engine Policy of an asset, all bigint", () => {
    const config = parse(configWith({ "assets.0.staleAction": "pause", "assets.0.marginBps": 50 }));
    expect(policyFor(config.assets[0] as AssetConfig)).toEqual({
      warnRatioBps: 10_100n,
      pauseRatioBps: 10_000n,
      hysteresisBps: 25n,
      heartbeatSeconds: 86_400n,
      graceSeconds: 60n,
      staleAction: "pause",
      marginBps: 50n,
      clockSkewSeconds: 0n,
    });
  });

  it("still applies the engine's own validation", () => {
    const asset = parse(validConfigInput()).assets[0] as AssetConfig;
    const broken = { ...asset, thresholds: { ...asset.thresholds, pauseRatioBps: 20_000n } };
    expect(() => policyFor(broken)).toThrow(InvalidPolicyError);
  });
});

it("keeperConfigSchema is usable directly (safeParse) for tooling", () => {
  expect(keeperConfigSchema.safeParse(validConfigInput()).success).toBe(true);
  expect(keeperConfigSchema.safeParse({}).success).toBe(false);
});

describe("cross-references survive failures elsewhere in the same section", () => {
  it("still compares fee caps when another actions field is invalid (and against the defaults)", () => {
    const paths = (input: unknown) => problemsOf(input).map((p) => p.path);
    expect(
      paths(
        configWith({ actions: { feeBumpPercent: 1, maxFeePerGasGwei: 9, emergencyMaxFeePerGasGwei: 3 } }),
      ),
    ).toEqual(["actions.feeBumpPercent", "actions.emergencyMaxFeePerGasGwei"]);
    expect(paths(configWith({ actions: { maxFeePerGasGwei: 600 } }))).toEqual([
      "actions.emergencyMaxFeePerGasGwei",
    ]);
    expect(paths(configWith({ actions: { feeBumpPercent: 1, emergencyMaxFeePerGasGwei: "99" } }))).toEqual([
      "actions.feeBumpPercent",
      "actions.emergencyMaxFeePerGasGwei",
    ]);
  });

  it("still compares thresholds when another threshold is invalid", () => {
    const input = configWith({
      "assets.0.thresholds": { warnRatioBps: 9_000, pauseRatioBps: 9_500, hysteresisBps: -5 },
    });
    expect(
      problemsOf(input)
        .map((p) => p.path)
        .sort(),
    ).toEqual(["assets[0].thresholds.hysteresisBps", "assets[0].thresholds.pauseRatioBps"]);
  });
});

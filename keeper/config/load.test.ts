import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { ConfigError, type ConfigProblem } from "../internal/errors.ts";
import {
  applyEnvOverrides,
  configDocument,
  formatConfigPath,
  loadConfig,
  parseConfig,
  redactConfig,
  redactSensitiveValue,
  toPlainConfig,
} from "./load.ts";
import { ADDR, configWith, kafkaConfigInput, SECRETS, validConfigInput } from "./testFixtures.ts";

const FIXTURES = join(import.meta.dirname, "../../test/fixtures/config");
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rk-config-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function problemsOfLoad(
  path: string,
  env: Record<string, string> = {},
): Promise<readonly ConfigProblem[]> {
  try {
    await loadConfig({ path, env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error(`${path} loaded without problems`);
}

function problemsOfParse(input: unknown, env: Record<string, string> = {}): readonly ConfigProblem[] {
  try {
    parseConfig(input, { env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("parsed without problems");
}

const stringify = (value: unknown) =>
  JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v));

function expectNoSecrets(text: string) {
  for (const secret of [
    ...Object.values(SECRETS),
    "LeakedApiKeyAbcdef123456",
    "LeakedWsKey987654",
    "KafkaLeakedPassword42",
    "SuperSecretApiKey123456",
    "WsPassw0rdSecret",
    "KafkaSaslSecretPassword",
  ]) {
    expect(text).not.toContain(secret);
  }
}

describe("loadConfig: files", () => {
  it("loads the valid YAML fixture (unquoted 0x addresses stay strings, not hex integers)", async () => {
    const { config, path, overrides } = await loadConfig({ path: join(FIXTURES, "valid.yaml"), env: {} });
    expect(path).toContain("valid.yaml");
    expect(overrides).toEqual([]);
    expect(config.assets[0]?.feed.proxy).toBe(ADDR.proxy);
    expect(config.assets[0]?.deployments[0]?.verifier).toBe(ADDR.verifier);
    expect(config.bus).toMatchObject({
      type: "kafka",
      clientId: "keeper-test",
      brokers: ["kafka-1:9092", "kafka-2:9092"],
    });
    expect(config.actions.emergencyMaxFeePerGasWei).toBe(250_500_000_000n);
  });

  it("loads JSON and .yml by extension", async () => {
    const json = await file("keeper.json", JSON.stringify(validConfigInput(), null, 2));
    expect((await loadConfig({ path: json, env: {} })).config.chains).toHaveLength(2);
    const yml = await file("keeper.yml", YAML.stringify(validConfigInput()));
    expect((await loadConfig({ path: yml, env: {} })).config.assets[0]?.id).toBe("dusd");
  });

  it("rejects other extensions", async () => {
    const toml = await file("keeper.toml", "x = 1");
    expect(await problemsOfLoad(toml)).toEqual([
      { path: toml, message: 'unsupported file type ".toml"; use .yaml, .yml or .json' },
    ]);
  });

  it("reports an unreadable file with its path and error code", async () => {
    const missing = join(dir, "missing.yaml");
    const error = await loadConfig({ path: missing, env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      { path: missing, message: "cannot read the file (ENOENT)" },
    ]);
    expect((error as ConfigError).retryable).toBe(false);
    expect((error as ConfigError).code).toBe("CONFIG_INVALID");
  });

  it("reports YAML syntax errors with line and column, every one", async () => {
    const path = await file("broken.yaml", "chains:\n  - name: home\n    id: [1, 2\nassets: x\nassets: y\n");
    const problems = await problemsOfLoad(path);
    expect(problems.length).toBeGreaterThanOrEqual(2);
    for (const p of problems) {
      expect(p.path).toMatch(new RegExp(`^${path.replaceAll(".", "\\.")}:\\d+:\\d+$`));
      expect(p.message).toMatch(/^YAML syntax error: /);
    }
    expect(problems.some((p) => p.message.includes("Map keys must be unique"))).toBe(true);
  });

  it("reports JSON syntax errors with line and column and without quoting the input", async () => {
    const text = `{\n  "chains": [{"name": "home", "rpc": {"http": "https://x.example/${SECRETS.apiKey}"} oops }]\n}`;
    const path = await file("broken.json", text);
    const [problem, ...rest] = await problemsOfLoad(path);
    expect(rest).toEqual([]);
    const column = (text.split("\n")[1] ?? "").indexOf("oops") + 1;
    expect(problem?.path).toBe(`${path}:2:${column}`);
    expect(problem?.message).toMatch(/^JSON syntax error: /);
    expectNoSecrets(stringify(problem));
  });

  it("reports duplicate JSON keys that JSON.parse would silently drop", async () => {
    const path = await file("dup.json", '{"keeperId": "a",\n "keeperId": "b"}');
    expect(await problemsOfLoad(path)).toEqual([
      { path: `${path}:2:2`, message: "JSON error: duplicate key (keys must be unique)" },
    ]);
  });

  it("treats an empty file as an empty config: every required section is reported", async () => {
    const path = await file("empty.yaml", "");
    expect((await problemsOfLoad(path)).map((p) => `${p.path}: ${p.message}`)).toEqual([
      "chains: is required",
      "assets: is required",
      "signer: is required",
    ]);
  });

  it("names the line of each problem in the file, and lists them in file order", async () => {
    const doc = configWith({ "telemetry.logLevel": "loud", "chains.0.id": 0, "assets.0.feed.chain": "nope" });
    const path = await file("lines.yaml", YAML.stringify(doc));
    const problems = await problemsOfLoad(path);
    const lines = YAML.stringify(doc).split("\n");
    const lineOf = (needle: string) => lines.findIndex((l) => l.includes(needle)) + 1;
    expect(problems).toEqual([
      {
        path: "chains[0].id",
        message: `must be an integer from 1 to 9007199254740991, got 0 (line ${lineOf("id: 0")})`,
      },
      {
        path: "assets[0].feed.chain",
        message: `unknown chain "nope"; chains are: home, remote (line ${lineOf("chain: nope")})`,
      },
      {
        path: "telemetry.logLevel",
        message: `must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent" (line ${lineOf("logLevel")})`,
      },
    ]);
  });
});

describe("env overrides", () => {
  it("sets keys case-insensitively, snake_case to camelCase, values parsed as JSON", () => {
    const { config, overrides } = parseConfig(validConfigInput(), {
      env: {
        RESERVE_KEEPER__TELEMETRY__METRICS_PORT: "9500",
        RESERVE_KEEPER__ACTIONS__ENABLED: "false",
        reserve_keeper__keeper_id: "from-env",
        RESERVE_KEEPER__ASSETS__DUSD__THRESHOLDS__WARN_RATIO_BPS: "10300",
        UNRELATED: "x",
      },
    });
    expect(config.telemetry.metricsPort).toBe(9_500);
    expect(config.actions.enabled).toBe(false);
    expect(config.keeperId).toBe("from-env");
    expect(config.assets[0]?.thresholds.warnRatioBps).toBe(10_300n);
    expect([...overrides].sort()).toEqual([
      "RESERVE_KEEPER__ACTIONS__ENABLED",
      "RESERVE_KEEPER__ASSETS__DUSD__THRESHOLDS__WARN_RATIO_BPS",
      "RESERVE_KEEPER__TELEMETRY__METRICS_PORT",
      "reserve_keeper__keeper_id",
    ]);
  });

  it("addresses list entries by name (chains), id (assets) and chain (deployments)", () => {
    const { config } = parseConfig(validConfigInput(), {
      env: {
        RESERVE_KEEPER__CHAINS__HOME__RPC__HTTP: "https://other.example.com",
        RESERVE_KEEPER__CHAINS__REMOTE__CONFIRMATIONS: "3",
        RESERVE_KEEPER__ASSETS__DUSD__DEPLOYMENTS__REMOTE__DEPLOYED_AT_BLOCK: "77",
      },
    });
    expect(config.chains[0]?.rpc.http).toBe("https://other.example.com");
    expect(config.chains[1]?.confirmations).toBe(3n);
    expect(config.assets[0]?.deployments[1]?.deployedAtBlock).toBe(77n);
  });

  it("switches the bus to Kafka, deeper overrides refining a whole-section JSON override", () => {
    const { config } = parseConfig(validConfigInput(), {
      env: {
        RESERVE_KEEPER__BUS__TYPE: "kafka",
        RESERVE_KEEPER__BUS__BROKERS: '["k1:9092","k2:9092"]',
        RESERVE_KEEPER__BUS__TOPIC_PREFIX: "prod.",
        RESERVE_KEEPER__SIGNER: '{"type":"keystore","path":"/k.json"}',
        RESERVE_KEEPER__SIGNER__PASSWORD_ENV: "PW",
      },
    });
    expect(config.bus).toEqual({
      type: "kafka",
      brokers: ["k1:9092", "k2:9092"],
      topicPrefix: "prod.",
      ssl: false,
      clientId: "keeper-1",
    });
    expect(config.signer).toEqual({ type: "keystore", path: "/k.json", passwordEnv: "PW" });
  });

  it("keeps string fields strings even when the value parses as JSON", () => {
    const { config } = parseConfig(validConfigInput(), {
      env: { RESERVE_KEEPER__KEEPER_ID: "1234", RESERVE_KEEPER__ASSETS__DUSD__SYMBOL: "true" },
    });
    expect(config.keeperId).toBe("1234");
    expect(config.assets[0]?.symbol).toBe("true");
  });

  it("creates missing sections that have defaults", () => {
    const doc = configWith({ telemetry: undefined, actions: undefined });
    const { config } = parseConfig(doc, { env: { RESERVE_KEEPER__TELEMETRY__HOST: "0.0.0.0" } });
    expect(config.telemetry).toEqual({ metricsPort: 9_464, host: "0.0.0.0", logLevel: "info" });
  });

  it("rejects an override naming a setting that does not exist, listing what does", () => {
    expect(problemsOfParse(validConfigInput(), { RESERVE_KEEPER__TELEMETRY__PORT: "1" })).toEqual([
      {
        path: "RESERVE_KEEPER__TELEMETRY__PORT",
        message: 'no setting "port" under telemetry; settings there: metricsPort, host, logLevel',
      },
    ]);
    expect(problemsOfParse(validConfigInput(), { RESERVE_KEEPER__NOPE: "1" })[0]?.message).toMatch(
      /^no setting "nope" under \(root\)/,
    );
  });

  it("rejects an override naming a list entry that does not exist", () => {
    expect(
      problemsOfParse(validConfigInput(), { RESERVE_KEEPER__CHAINS__MAINNET__RPC__HTTP: "https://x" }),
    ).toEqual([
      {
        path: "RESERVE_KEEPER__CHAINS__MAINNET__RPC__HTTP",
        message: 'no entry with name "mainnet" in chains; entries: home, remote',
      },
    ]);
  });

  it("rejects paths through values, into lists of values, and malformed names", () => {
    const kafka = kafkaConfigInput();
    expect(problemsOfParse(validConfigInput(), { RESERVE_KEEPER__KEEPER_ID__X: "1" })[0]?.message).toBe(
      'keeperId is a value; it has no setting "x"',
    );
    expect(problemsOfParse(kafka, { RESERVE_KEEPER__BUS__BROKERS__FIRST: "a:1" })[0]?.message).toBe(
      "bus.brokers is a list of values; set the whole list as JSON",
    );
    expect(problemsOfParse(validConfigInput(), { RESERVE_KEEPER__TELEMETRY__: "x" })[0]?.message).toMatch(
      /^malformed override name/,
    );
  });

  it("reports override problems together with schema problems, marking env-set values", () => {
    const problems = problemsOfParse(validConfigInput(), {
      RESERVE_KEEPER__TELEMETRY__METRICS_PORT: "99999",
      RESERVE_KEEPER__BOGUS: "1",
      RESERVE_KEEPER__CHAINS__HOME__ID: "0",
    });
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'RESERVE_KEEPER__BOGUS: no setting "bogus" under (root); settings there: keeperId, chains, assets, signer, actions, bus, checkpoint, telemetry, alerts, compliance, cctp, cctpService, custody',
      "chains[0].id: must be an integer from 1 to 9007199254740991, got 0 (from RESERVE_KEEPER__CHAINS__HOME__ID)",
      "telemetry.metricsPort: must be an integer from 1 to 65535, got 99999 (from RESERVE_KEEPER__TELEMETRY__METRICS_PORT)",
    ]);
  });

  it("applyEnvOverrides never mutates its input", () => {
    const input = validConfigInput();
    const before = structuredClone(input);
    applyEnvOverrides(input, { RESERVE_KEEPER__KEEPER_ID: "x", RESERVE_KEEPER__CHAINS__HOME__ID: "5" });
    expect(input).toEqual(before);
  });
});

describe("sensitive values", () => {
  it("never appear in any problem of the invalid-everything fixture, nor in the error message", async () => {
    const path = join(FIXTURES, "invalid-everything.yaml");
    const error = (await loadConfig({ path, env: {} }).catch((e: unknown) => e)) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expectNoSecrets(error.message);
    expectNoSecrets(stringify(error.problems));
    expectNoSecrets(stringify(error.details));
  });

  it("never appear in messages about the sensitive fields themselves, nor about env-set secrets", () => {
    const problems = problemsOfParse(
      configWith(
        {
          "bus.sasl.password": 42,
          "bus.sasl.mechanism": "nope",
          "chains.0.rpc.ws": `https://u:${SECRETS.wsPassword}@h/x`,
        },
        kafkaConfigInput(),
      ),
      { RESERVE_KEEPER__CHAINS__REMOTE__RPC__HTTP: `ftp://u:${SECRETS.apiKey}@h/` },
    );
    expect(problems.map((p) => p.path).sort()).toEqual([
      "bus.sasl.mechanism",
      "bus.sasl.password",
      "chains[0].rpc.ws",
      "chains[1].rpc.http",
    ]);
    expectNoSecrets(stringify(problems));
  });

  it("redactConfig hides RPC credentials and passwords, keeps origins, and does not mutate", () => {
    const { config } = parseConfig(kafkaConfigInput());
    const redacted = redactConfig(config);
    expectNoSecrets(stringify(redacted));
    expect(redacted.chains[0]?.rpc).toEqual({
      http: "https://rpc.example.com/[sensitive]",
      ws: "wss://ws.example.com/[sensitive]",
    });
    expect(redacted.chains[1]?.rpc.http).toBe("http://127.0.0.1:8546");
    expect(redacted.bus).toMatchObject({ sasl: { username: "keeper", password: "[sensitive]" } });
    expect(stringify(config)).toContain(SECRETS.saslPassword);
    expect(redacted.actions).toEqual(config.actions);
  });

  it("redactSensitiveValue", () => {
    expect(redactSensitiveValue("hunter2")).toBe("[sensitive]");
    expect(redactSensitiveValue("https://h.example:8443")).toBe("https://h.example:8443");
    expect(redactSensitiveValue("https://h.example/?key=abc")).toBe("https://h.example/[sensitive]");
    expect(redactSensitiveValue(12)).toBe("[sensitive]");
    expect(redactSensitiveValue(undefined)).toBeUndefined();
  });
});

describe("printing", () => {
  it("configDocument gives the file form back: loading it again yields the same config", () => {
    const { config } = parseConfig(
      configWith({ actions: { maxFeePerGasGwei: "1.25", emergencyMaxFeePerGasGwei: 3, gasLimit: 90_000 } }),
    );
    const document = configDocument(config);
    expect(document.actions).toMatchObject({
      maxFeePerGasGwei: "1.25",
      emergencyMaxFeePerGasGwei: "3",
      gasLimit: 90_000,
    });
    const again = parseConfig(YAML.parse(YAML.stringify(document))).config;
    expect(again).toEqual(config);
  });

  it("toPlainConfig turns bigints into numbers (or strings beyond 2^53) and drops undefined", () => {
    expect(toPlainConfig({ a: 1n, b: 2n ** 60n, c: undefined, d: [3n] })).toEqual({
      a: 1,
      b: "1152921504606846976",
      d: [3],
    });
  });

  it("formatConfigPath", () => {
    expect(formatConfigPath(["chains", 0, "rpc", "http"])).toBe("chains[0].rpc.http");
    expect(formatConfigPath([])).toBe("(root)");
  });
});

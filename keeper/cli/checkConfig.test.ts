import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { loadConfig } from "../config/load.ts";
import { runCheckConfig } from "./checkConfig.ts";
import { EXIT } from "./usage.ts";

const FIXTURES = join(import.meta.dirname, "../../test/fixtures/config");
const VALID = join(FIXTURES, "valid.yaml");
const INVALID = join(FIXTURES, "invalid-everything.yaml");
/** Secrets planted in the fixtures. */
const SECRETS = [
  "SuperSecretApiKey123456",
  "WsPassw0rdSecret",
  "KafkaSaslSecretPassword",
  "LeakedApiKeyAbcdef123456",
  "LeakedWsKey987654",
  "LeakedFtpKey555",
  "KafkaLeakedPassword42",
];

async function run(argv: string[], env: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const code = await runCheckConfig(argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env,
  });
  for (const secret of SECRETS) {
    expect(stdout).not.toContain(secret);
    expect(stderr).not.toContain(secret);
  }
  return { code, stdout, stderr };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rk-check-config-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("check-config", () => {
  it("valid config: exit 0 and a one-line summary of chains and assets", async () => {
    const { code, stdout, stderr } = await run(["--config", VALID]);
    expect(code).toBe(EXIT.ok);
    expect(stderr).toBe("");
    expect(stdout).toBe(
      `${VALID} is valid: 2 chains (home 31337, remote 31338), 1 asset (dusd on home+remote), signer keystore, bus kafka, actions enabled\n`,
    );
  });

  it("counts env overrides in the summary", async () => {
    const { code, stdout } = await run(["--config", VALID], {
      RESERVE_KEEPER__TELEMETRY__METRICS_PORT: "9500",
    });
    expect(code).toBe(EXIT.ok);
    expect(stdout).toMatch(/, 1 env override\n$/);
  });

  it("--print: the redacted effective config as YAML, loadable again", async () => {
    const { code, stdout } = await run(["--config", VALID, "--print"], {
      RESERVE_KEEPER__TELEMETRY__METRICS_PORT: "9500",
    });
    expect(code).toBe(EXIT.ok);
    expect(stdout).toMatch(/^# .*valid\.yaml is valid: /);
    const printed = YAML.parse(stdout);
    expect(printed.telemetry).toEqual({ metricsPort: 9500, host: "127.0.0.1", logLevel: "info" });
    expect(printed.chains[0].rpc).toEqual({
      http: "https://eth-mainnet.example.com/[sensitive]",
      ws: "wss://eth-ws.example.com/[sensitive]",
    });
    expect(printed.bus.sasl.password).toBe("[sensitive]");
    expect(printed.actions).toMatchObject({ maxFeePerGasGwei: "50", emergencyMaxFeePerGasGwei: "250.5" });
    expect(printed.assets[0].thresholds).toEqual({
      warnRatioBps: 10200,
      pauseRatioBps: 10000,
      hysteresisBps: 25,
    });
    // Put the secrets back and the printed config loads to the same config.
    printed.chains[0].rpc = {
      http: "https://eth-mainnet.example.com/v2/x",
      ws: "wss://eth-ws.example.com/ws",
    };
    printed.bus.sasl.password = "p";
    const again = join(dir, "printed.yaml");
    await writeFile(again, YAML.stringify(printed));
    const original = (
      await loadConfig({ path: VALID, env: { RESERVE_KEEPER__TELEMETRY__METRICS_PORT: "9500" } })
    ).config;
    const reloaded = (await loadConfig({ path: again, env: {} })).config;
    expect({ ...reloaded, chains: [], bus: {} }).toEqual({ ...original, chains: [], bus: {} });
  });

  it("--json: a machine-readable result (with --print, the redacted config)", async () => {
    const { code, stdout } = await run(["--config", VALID, "--json", "--print"]);
    expect(code).toBe(EXIT.ok);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({
      valid: true,
      file: VALID,
      chains: [
        { name: "home", id: 31337 },
        { name: "remote", id: 31338 },
      ],
      assets: [{ id: "dusd", chains: ["home", "remote"] }],
      overrides: [],
    });
    expect(result.config.bus.sasl.password).toBe("[sensitive]");
  });

  it("invalid-everything: exit 1 and EVERY problem listed, each naming its path", async () => {
    const { code, stdout, stderr } = await run(["--config", INVALID]);
    expect(code).toBe(EXIT.failure);
    expect(stdout).toBe("");
    const [head, ...lines] = stderr.trimEnd().split("\n");
    expect(head).toMatch(/^error: Config .*invalid-everything\.yaml is invalid: \d+ problems\.$/);
    const expected: [string, RegExp][] = [
      ["colour", /^unknown key/],
      ["chains[0].id", /must be an integer from 1/],
      ["chains[0].rpc.ws", /must use ws or wss, got http/],
      ["chains[0].confirmations", /must be <= reorgWindow \(10\)/],
      ["chains[1].name", /duplicate chain name "home"/],
      ["chains[1].rpc.http", /must use http or https/],
      ["chains[1].pollIntervalMs", /from 50 to/],
      ["assets[0].feed.chain", /unknown chain "mainnet"/],
      ["assets[0].feed.proxy", /wrong EIP-55 checksum/],
      ["assets[0].heartbeatSeconds", /from 1 to/],
      ["assets[0].staleAction", /must be one of "alert", "pause"/],
      ["assets[0].thresholds.pauseRatioBps", /must be <= warnRatioBps \(9000\), got 9500/],
      ["assets[0].thresholds.hysteresisBps", /from 0 to 100000/],
      ["assets[0].deployments[0].token", /20-byte hex address/],
      ["assets[0].deployments[1].chain", /duplicate deployment on chain "home"/],
      ["assets[0].deployments[1].deployedAtBlock", /got -1/],
      ["signer.type", /"none" cannot send pause transactions/],
      ["actions.feeBumpPercent", /from 10 to/],
      ["actions.emergencyMaxFeePerGasGwei", /must be >= maxFeePerGasGwei/],
      ["bus.brokers", /at least 1 entry/],
      ["bus.topicPrefix", /may only contain/],
      ["bus.sasl.mechanism", /clear text/],
      ["telemetry.metricsPort", /from 1 to 65535, got 70000/],
      ["telemetry.logLevel", /must be one of "fatal"/],
      ["telemetry.metrics_port", /did you mean metricsPort\?/],
    ];
    expect(lines).toHaveLength(expected.length);
    for (const [path, message] of expected) {
      const line = lines.find((l) => l.startsWith(`  ${path}: `));
      expect(line, `no problem reported for ${path}`).toBeDefined();
      expect(line?.slice(`  ${path}: `.length)).toMatch(message);
      expect(line).toMatch(/\(line \d+\)$/);
    }
  });

  it("invalid with --json: the problems as data on stdout, exit 1", async () => {
    const { code, stdout } = await run(["--config", INVALID, "--json"]);
    expect(code).toBe(EXIT.failure);
    const result = JSON.parse(stdout);
    expect(result.valid).toBe(false);
    expect(result.problems.length).toBeGreaterThanOrEqual(8);
    expect(result.problems[0]).toEqual({ path: expect.any(String), message: expect.any(String) });
  });

  it("reports a bad env override and a missing file", async () => {
    const bad = await run(["--config", VALID], { RESERVE_KEEPER__CHAINS__NOPE__ID: "1" });
    expect(bad.code).toBe(EXIT.failure);
    expect(bad.stderr).toContain('RESERVE_KEEPER__CHAINS__NOPE__ID: no entry with name "nope" in chains');
    const missing = await run(["--config", join(dir, "absent.yaml")]);
    expect(missing.code).toBe(EXIT.failure);
    expect(missing.stderr).toContain("cannot read the file (ENOENT)");
  });

  it("usage errors exit 2 with the usage: missing --config, unknown option", async () => {
    const none = await run([]);
    expect(none.code).toBe(EXIT.usage);
    expect(none.stderr).toMatch(/^error: Missing required option --config\./);
    expect(none.stderr).toContain("reserve-keeper check-config --config <file>");
    const unknown = await run(["--config", VALID, "--frobnicate"]);
    expect(unknown.code).toBe(EXIT.usage);
    const help = await run(["--help"]);
    expect(help.code).toBe(EXIT.ok);
    expect(help.stdout).toContain("Exit codes: 0 valid, 1 invalid");
  });
});

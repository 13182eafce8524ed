import YAML from "yaml";
import { configDocument, type LoadedConfig, loadConfig, redactConfig } from "../config/load.ts";
import { ConfigError } from "../internal/errors.ts";
import { EXIT, parseOptions, required, UsageError } from "./usage.ts";

export const CHECK_CONFIG_USAGE = `reserve-keeper check-config --config <file> [--json] [--print]

Validates a keeper config (.yaml, .yml or .json) with its RESERVE_KEEPER__… env overrides and reports
every problem at once.
  --config <file>  the config file (or RESERVE_KEEPER_CONFIG)
  --json           machine-readable result on stdout
  --print          also print the effective config (defaults and overrides applied, secrets redacted)

Exit codes: 0 valid, 1 invalid (every problem listed), 2 bad command line.`;

export type CheckConfigIo = {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Source of RESERVE_KEEPER__… overrides (default process.env). */
  readonly env: Readonly<Record<string, string | undefined>>;
};

const defaultIo: CheckConfigIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
};

function summary({ config, path, overrides }: LoadedConfig): string {
  const chains = config.chains.map((c) => `${c.name} ${c.id}`).join(", ");
  const assets = config.assets
    .map((a) => `${a.id} on ${a.deployments.map((d) => d.chain).join("+")}`)
    .join(", ");
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const parts = [
    `${plural(config.chains.length, "chain")} (${chains})`,
    `${plural(config.assets.length, "asset")} (${assets})`,
    `signer ${config.signer.type}`,
    `bus ${config.bus.type}`,
    `actions ${config.actions.enabled ? "enabled" : "disabled"}`,
  ];
  if (overrides.length > 0) parts.push(plural(overrides.length, "env override"));
  return `${path} is valid: ${parts.join(", ")}`;
}

/**
 * `reserve-keeper check-config --config f [--json] [--print]`: exit 0 with a one-line summary (and,
 * with --print, the redacted effective config as YAML) when valid; exit 1 listing every problem when
 * invalid; exit 2 with the usage on a bad command line.
 */
export async function runCheckConfig(argv: string[], io: Partial<CheckConfigIo> = {}): Promise<number> {
  const { stdout, stderr, env } = { ...defaultIo, ...io };
  let file: string;
  let json: boolean;
  let print: boolean;
  try {
    const { values } = parseOptions(argv, {
      config: { type: "string" },
      json: { type: "boolean" },
      print: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) {
      stdout(`${CHECK_CONFIG_USAGE}\n`);
      return EXIT.ok;
    }
    file = required(values, "config");
    json = values.json === true;
    print = values.print === true;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    stderr(`error: ${err.message}\n\n${CHECK_CONFIG_USAGE}\n`);
    return EXIT.usage;
  }

  let loaded: LoadedConfig;
  try {
    loaded = await loadConfig({ path: file, env });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    if (json) {
      stdout(`${JSON.stringify({ valid: false, file, problems: err.problems }, null, 2)}\n`);
    } else {
      stderr(
        `error: ${err.shortMessage}\n${err.problems.map((p) => `  ${p.path}: ${p.message}\n`).join("")}`,
      );
    }
    return EXIT.failure;
  }

  const effective = configDocument(redactConfig(loaded.config));
  if (json) {
    const result = {
      valid: true,
      file,
      chains: loaded.config.chains.map((c) => ({ name: c.name, id: c.id })),
      assets: loaded.config.assets.map((a) => ({ id: a.id, chains: a.deployments.map((d) => d.chain) })),
      overrides: loaded.overrides,
      ...(print ? { config: effective } : {}),
    };
    stdout(`${JSON.stringify(result, null, 2)}\n`);
  } else if (print) {
    stdout(`# ${summary(loaded)}\n${YAML.stringify(effective, { lineWidth: 0 })}`);
  } else {
    stdout(`${summary(loaded)}\n`);
  }
  return EXIT.ok;
}

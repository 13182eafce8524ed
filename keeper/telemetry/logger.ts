import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger } from "pino";

/** Paths pino censors wherever they appear in a log object. */
export const REDACT_PATHS = [
  "privateKey",
  "*.privateKey",
  "key",
  "*.key",
  "password",
  "*.password",
  "mnemonic",
  "*.mnemonic",
  "secret",
  "*.secret",
  "routingKey",
  "*.routingKey",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "keystorePassword",
  "*.keystorePassword",
];

const HEX_KEY = /0x[0-9a-fA-F]{64}(?![0-9a-fA-F])/g;
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^/\s:@]+)(:[^/\s@]*)?@/gi;
const URL_SECRET_PATH = /(https?|wss?):\/\/([^/\s]+)\/(v\d+\/|v\d+\/[a-z]+\/)?([0-9a-zA-Z_-]{24,})/g;

/**
 * Removes credentials from free text: userinfo in URLs, API keys in RPC URL paths (Alchemy/Infura
 * style) and anything shaped like a 32-byte private key. Transaction and block hashes are also 32 bytes,
 * so callers log them under keys listed in HASH_KEYS, which are exempt.
 */
export function redactText(text: string): string {
  return text
    .replace(URL_CREDENTIALS, "$1[redacted]@")
    .replace(URL_SECRET_PATH, (_m, scheme, host, prefix) => `${scheme}://${host}/${prefix ?? ""}[redacted]`);
}

/** Keys whose 32-byte hex values are public (hashes), never keys. */
export const HASH_KEYS = new Set([
  "hash",
  "tx_hash",
  "txHash",
  "block_hash",
  "blockHash",
  "parent_hash",
  "parentHash",
  "message_id",
  "id",
  "reason_hash",
  "reasonHash",
  "topic0",
  "digest",
]);

/** Deep copy with secrets scrubbed from every string value (URL credentials everywhere; 32-byte hex outside HASH_KEYS). */
export function scrub(value: unknown, key?: string, depth = 0): unknown {
  if (depth > 8) return value;
  if (typeof value === "string") {
    const t = redactText(value);
    return key !== undefined && HASH_KEYS.has(key) ? t : t.replace(HEX_KEY, "[redacted-32-bytes]");
  }
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map((v) => scrub(v, key, depth + 1));
  if (value instanceof Error) {
    return { type: value.name, message: scrub(value.message, undefined, depth + 1) };
  }
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = scrub(v, k, depth + 1);
    return out;
  }
  return value;
}

/**
 * The keeper's logger: pino JSON on stderr (stdout is for command output), snake_case keys by
 * convention, past-tense messages. Secrets are removed twice: by path (REDACT_PATHS) and by shape
 * (scrub on every object and message).
 */
export function createLogger(
  opts: { level?: string; name?: string; destination?: DestinationStream } = {},
): Logger {
  return pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL ?? "info",
      name: opts.name ?? "reserve-keeper",
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      serializers: { err: (e: unknown) => scrub(e) },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => scrub(a)) as Parameters<typeof method>;
          method.apply(this, scrubbed);
        },
      },
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination ?? pino.destination({ dest: 2, sync: false }),
  );
}

import { getAddress } from "viem";
import { z } from "zod";
import type { Address } from "../engine/types.ts";

/**
 * The leaf types every config section is built from (keeper/config/schema.ts and the sections of the
 * alert hooks and the services: keeper/alerts/config.ts, keeper/cctp/config.ts,
 * keeper/consumers/{cctp,compliance,custody}/config.ts). One definition each, so every section says the
 * same thing about the same mistake.
 */

/** Metadata every config field carries (zod's global registry, via `.meta()`). */
export type ConfigFieldMeta = { readonly description: string; readonly sensitive?: boolean };

/** Attaches the field's description (and the `sensitive` flag: never echoed, redacted in output). */
export function describe<T extends z.ZodType>(schema: T, description: string, sensitive = false): T {
  const meta: ConfigFieldMeta = sensitive ? { description, sensitive: true } : { description };
  return schema.meta(meta);
}

export const SLUG = /^[a-z][a-z0-9-]{0,31}$/;
export const SLUG_RULE =
  "must be a lowercase slug: a letter, then letters, digits or '-', at most 32 characters";
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LOOKS_LIKE_KEY = /^(0x)?[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** A name used as a key in messages and metric labels (chains, assets, sinks). */
export const slug = () => z.string().regex(SLUG, { error: SLUG_RULE });

/** An integer in [min, max]; the message names the range and the value given. */
export function intIn(min: number, max: number) {
  const rule = `must be an integer from ${min} to ${max}`;
  const got = (iss: { input?: unknown }) => `${rule}, got ${String(iss.input)}`;
  return z.number().int({ error: got }).min(min, { error: got }).max(max, { error: got });
}

/** An integer setting parsed to bigint (block numbers, block counts, bps, seconds). */
export const bigIntIn = (min: number, max: number) => intIn(min, max).transform((n) => BigInt(n));

/** A URL with one of `schemes`; the value may hold credentials, so messages never echo it. */
export function urlWith(schemes: readonly string[]) {
  const known = new Set(["http", "https", "ws", "wss"]);
  return z.string().superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: "custom", message: `must be a ${schemes.join(" or ")} URL` });
      return;
    }
    const scheme = url.protocol.replace(/:$/, "");
    if (!schemes.includes(scheme)) {
      const got = known.has(scheme) ? `, got ${scheme}` : "";
      ctx.addIssue({ code: "custom", message: `must use ${schemes.join(" or ")}${got}` });
    }
  });
}

/** Name of an environment variable. Never echoes the value (people paste secrets here by mistake). */
export function envVarName() {
  return z.string().superRefine((value, ctx) => {
    if (LOOKS_LIKE_KEY.test(value)) {
      ctx.addIssue({
        code: "custom",
        message:
          "looks like a private key, not a variable name; put the secret in the environment and name the variable here",
      });
    } else if (!ENV_NAME.test(value)) {
      ctx.addIssue({
        code: "custom",
        message: "must be an environment variable name (letters, digits and '_', not starting with a digit)",
      });
    }
  });
}

/**
 * A 20-byte address. All-lowercase (or all-uppercase) hex carries no checksum and is accepted; mixed
 * case must be a correct EIP-55 checksum. Output is checksummed.
 */
export const addressSchema = z
  .string()
  .superRefine((value, ctx) => {
    if (!ADDRESS.test(value)) {
      ctx.addIssue({ code: "custom", message: "must be a 0x-prefixed 20-byte hex address (40 hex digits)" });
      return;
    }
    const body = value.slice(2);
    if (body !== body.toLowerCase() && body !== body.toUpperCase()) {
      const expected = getAddress(value.toLowerCase());
      if (expected !== value) {
        ctx.addIssue({
          code: "custom",
          message: `has a wrong EIP-55 checksum (mixed case); expected ${expected}, or write it all lowercase`,
        });
      }
    }
    if (/^0x0{40}$/.test(value)) ctx.addIssue({ code: "custom", message: "must not be the zero address" });
  })
  .transform((value) => getAddress(value.toLowerCase()) as Address);

/**
 * Where a signing key comes from: an encrypted keystore file (password from an env var), a raw key in
 * an env var (DEVNET ONLY), or none (watch-only). `defaultKeyVariable` is the env var of `type: env`
 * when the file names none (the keeper's: RESERVE_KEEPER_SIGNER_KEY; a service's roles name their own).
 */
export function signerConfigSchema(defaultKeyVariable?: string) {
  const variable =
    defaultKeyVariable === undefined ? envVarName() : envVarName().prefault(defaultKeyVariable);
  return z.discriminatedUnion("type", [
    z.strictObject({
      type: z.literal("keystore"),
      path: describe(z.string().min(1), "Web3 Secret Storage v3 (JSON keystore) file."),
      passwordEnv: describe(
        envVarName().prefault("RESERVE_KEEPER_KEYSTORE_PASSWORD"),
        "Name of the environment variable holding the keystore password.",
      ),
    }),
    z.strictObject({
      type: z.literal("env"),
      variable: describe(
        variable,
        "Name of the environment variable holding a raw private key. DEVNET ONLY: use a keystore elsewhere.",
      ),
    }),
    z.strictObject({ type: z.literal("none") }),
  ]);
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Why `value` is no acceptable http(s) URL (credentials in it are refused), or undefined. */
export function httpUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be an http or https URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "must use http or https";
  if (url.username !== "" || url.password !== "") return "must not carry credentials (user:password@)";
  return undefined;
}

/** An http(s) URL without credentials (tokens come from an env var, never from the URL). */
export function httpUrl() {
  return z.string().superRefine((value, ctx) => {
    const problem = httpUrlProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
}

/**
 * An https URL; plain http only to a loopback host (local receivers, the devnet attestation service).
 * With `rejectCredentials`, user:password@ in the URL is refused too. Messages never echo the value.
 */
export function httpsUrl({ rejectCredentials = false }: { rejectCredentials?: boolean } = {}) {
  return z.string().superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: "custom", message: "must be an https URL" });
      return;
    }
    if (rejectCredentials && (url.username !== "" || url.password !== "")) {
      ctx.addIssue({ code: "custom", message: "must not carry credentials" });
    }
    if (url.protocol === "https:") return;
    if (url.protocol === "http:" && LOOPBACK.has(url.hostname)) return;
    ctx.addIssue({ code: "custom", message: "must use https (http only to localhost, 127.0.0.1 or [::1])" });
  });
}

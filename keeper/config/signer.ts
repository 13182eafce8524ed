import { readFile } from "node:fs/promises";
import type { Hex } from "viem";
import { type LocalAccount, privateKeyToAccount } from "viem/accounts";
import { KeeperError, SignerUnavailableError, UnhandledVariantError } from "../internal/errors.ts";
import { decryptKeystore } from "../internal/keystore.ts";
import type { ConfigEnv } from "./load.ts";
import type { SignerConfig } from "./schema.ts";

const PRIVATE_KEY = /^(0x)?[0-9a-fA-F]{64}$/;

export type LoadSignerOptions = {
  /** File reader (tests); default node:fs/promises readFile as UTF-8. */
  readonly readTextFile?: (path: string) => Promise<string>;
};

function accountFrom(key: Hex, what: { path?: string; envVar?: string }): LocalAccount {
  try {
    return privateKeyToAccount(key);
  } catch {
    // No cause: the library's message could quote the key.
    const subject = what.envVar ?? what.path ?? "the signer";
    throw new SignerUnavailableError({
      reason: `${subject} does not hold a valid secp256k1 private key`,
      ...what,
    });
  }
}

async function fromKeystore(
  path: string,
  envVar: string,
  env: ConfigEnv,
  readTextFile: (path: string) => Promise<string>,
): Promise<LocalAccount> {
  const password = env[envVar];
  if (password === undefined || password === "") {
    throw new SignerUnavailableError({
      reason: `the keystore password variable ${envVar} is ${password === undefined ? "not set" : "empty"} (keystore ${path})`,
      path,
      envVar,
    });
  }
  let text: string;
  try {
    text = await readTextFile(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? "unknown error";
    throw new SignerUnavailableError({ reason: `the keystore file ${path} cannot be read (${code})`, path });
  }
  try {
    const { privateKey } = await decryptKeystore({ keystore: text, password, path, envVar });
    return accountFrom(privateKey, { path });
  } catch (err) {
    // WrongPasswordError, InvalidKeystoreError, UnsupportedKeystoreError, SignerUnavailableError.
    if (err instanceof KeeperError) throw err;
    throw new SignerUnavailableError({ reason: `keystore ${path} could not be decrypted`, path, envVar });
  }
}

function fromEnv(envVar: string, env: ConfigEnv): LocalAccount {
  const raw = env[envVar];
  if (raw === undefined || raw.trim() === "") {
    throw new SignerUnavailableError({
      reason: `the signer key variable ${envVar} is ${raw === undefined ? "not set" : "empty"}`,
      envVar,
    });
  }
  const value = raw.trim();
  if (!PRIVATE_KEY.test(value)) {
    throw new SignerUnavailableError({
      reason: `${envVar} is not a 32-byte hex private key (64 hex digits, optionally 0x-prefixed)`,
      envVar,
    });
  }
  return accountFrom((value.startsWith("0x") ? value : `0x${value}`) as Hex, { envVar });
}

/**
 * The account that signs pause transactions, or undefined for `type: none` (watch-only). Errors name
 * the keystore path or the environment variable, never the password or the key:
 * SignerUnavailableError (missing variable, unreadable file, malformed key), WrongPasswordError,
 * InvalidKeystoreError, UnsupportedKeystoreError.
 */
export async function loadSigner(
  signer: SignerConfig,
  env: ConfigEnv = process.env,
  { readTextFile = (path) => readFile(path, "utf8") }: LoadSignerOptions = {},
): Promise<LocalAccount | undefined> {
  switch (signer.type) {
    case "none":
      return undefined;
    case "env":
      return fromEnv(signer.variable, env);
    case "keystore":
      return fromKeystore(signer.path, signer.passwordEnv, env, readTextFile);
    default:
      throw new UnhandledVariantError({ subject: "signer", value: signer satisfies never });
  }
}

/**
 * Passwords and private keys for the admin commands: from an environment variable or an interactive
 * prompt with echo off, NEVER from the command line (argv is visible to every user of the host and
 * lands in shell history). Keystores are Web3 Secret Storage v3 (keeper/internal/keystore.ts).
 *
 * Nothing here logs, and errors name the variable or the file, never the value.
 */
import { readFile } from "node:fs/promises";
import { type Address, getAddress, type Hex } from "viem";
import { generatePrivateKey, type LocalAccount, privateKeyToAccount } from "viem/accounts";
import { KeeperError } from "../internal/errors.ts";
import { DEFAULT_SCRYPT, decryptKeystore, encryptKeystore, type KeystoreV3 } from "../internal/keystore.ts";
import { AdminFileError, SecretUnavailableError } from "./errors.ts";
import { writeNewFile } from "./requests.ts";

/** Default variable holding a keystore password. */
export const PASSWORD_ENV = "RESERVE_KEEPER_KEYSTORE_PASSWORD";
/** Default variable holding the private key `keystore import` encrypts. */
export const IMPORT_KEY_ENV = "RESERVE_KEEPER_IMPORT_KEY";
/** Shortest password accepted for a NEW keystore. */
export const MIN_PASSWORD_LENGTH = 8;
/** geth's --lightkdf scrypt parameters (4 MiB, fast): for test keystores and weak machines only. */
export const LIGHT_SCRYPT = { n: 4_096, r: 8, p: 6 } as const;

const PRIVATE_KEY = /^(0x)?[0-9a-fA-F]{64}$/;

/** A TTY-like input: node's process.stdin when it is a terminal. */
export type PromptInput = {
  readonly isTTY?: boolean | undefined;
  setRawMode?(mode: boolean): unknown;
  setEncoding(encoding: BufferEncoding): unknown;
  resume(): unknown;
  pause(): unknown;
  on(event: "data", listener: (chunk: string) => void): unknown;
  off(event: "data", listener: (chunk: string) => void): unknown;
};

export type SecretIo = {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdin: PromptInput;
  /** Where prompts go (stderr: stdout is for data). */
  readonly write: (text: string) => void;
};

export const processIo = (): SecretIo => ({
  env: process.env,
  stdin: process.stdin as unknown as PromptInput,
  write: (text) => process.stderr.write(text),
});

/** Reads one line from a terminal with echo off (raw mode). Ctrl-C / Ctrl-D on an empty line abort. */
export function promptHidden(question: string, io: SecretIo): Promise<string> {
  const { stdin } = io;
  if (!stdin.isTTY || typeof stdin.setRawMode !== "function") {
    return Promise.reject(new Error("stdin is not a terminal"));
  }
  io.write(question);
  stdin.setRawMode(true);
  stdin.setEncoding("utf8");
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = (error?: Error) => {
      stdin.off("data", onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.write("\n");
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") return finish();
        if (ch === "\u0003" || (ch === "\u0004" && value === "")) {
          return finish(new SecretUnavailableError({ what: "input", reason: "the prompt was cancelled" }));
        }
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else if (ch >= " ") value += ch;
      }
    };
    stdin.on("data", onData);
  });
}

export type ReadSecretArgs = {
  /** What is asked for, e.g. "password of keystore k.json". */
  readonly what: string;
  readonly envVar: string;
  /** Ask twice and compare (new secrets). */
  readonly confirm?: boolean;
  readonly io: SecretIo;
};

/**
 * A secret from `envVar` when set, else from the terminal (echo off). Empty values and a missing
 * terminal are errors naming the variable.
 */
export async function readSecret({ what, envVar, confirm = false, io }: ReadSecretArgs): Promise<string> {
  const fromEnv = io.env[envVar];
  if (fromEnv !== undefined) {
    if (fromEnv === "") throw new SecretUnavailableError({ what, reason: `${envVar} is empty`, envVar });
    return fromEnv;
  }
  if (!io.stdin.isTTY) {
    throw new SecretUnavailableError({
      what,
      reason: `${envVar} is not set and stdin is not a terminal to prompt on`,
      envVar,
    });
  }
  const first = await promptHidden(`Enter the ${what}: `, io);
  if (first === "") throw new SecretUnavailableError({ what, reason: "nothing was entered" });
  if (confirm) {
    const second = await promptHidden(`Repeat the ${what}: `, io);
    if (second !== first) throw new SecretUnavailableError({ what, reason: "the two entries differ" });
  }
  return first;
}

/** A private key from `envVar` or the prompt; validated, never echoed. */
export async function readPrivateKey({ envVar, io }: { envVar: string; io: SecretIo }): Promise<Hex> {
  const raw = (await readSecret({ what: "private key to import (hex)", envVar, io })).trim();
  if (!PRIVATE_KEY.test(raw)) {
    throw new SecretUnavailableError({
      what: "private key",
      reason: `${io.env[envVar] !== undefined ? envVar : "the input"} is not a 32-byte hex private key (64 hex digits, optionally 0x-prefixed)`,
      envVar,
    });
  }
  const key = (raw.startsWith("0x") ? raw : `0x${raw}`) as Hex;
  try {
    privateKeyToAccount(key);
  } catch {
    throw new SecretUnavailableError({
      what: "private key",
      reason: "it is not a valid secp256k1 private key (zero or above the curve order)",
      envVar,
    });
  }
  return key;
}

/** Decrypts a keystore file into a local account; the password comes from `envVar` or the prompt. */
export async function loadKeystoreAccount(
  path: string,
  { envVar = PASSWORD_ENV, io }: { envVar?: string; io: SecretIo },
): Promise<LocalAccount> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? "unknown error";
    throw new AdminFileError({ path, reason: `cannot be read (${code})` });
  }
  const password = await readSecret({ what: `password of keystore ${path}`, envVar, io });
  try {
    const { privateKey } = await decryptKeystore({
      keystore: text,
      password,
      path,
      ...(io.env[envVar] !== undefined ? { envVar } : {}),
    });
    return privateKeyToAccount(privateKey);
  } catch (err) {
    if (err instanceof KeeperError) throw err;
    throw new AdminFileError({ path, reason: "could not be decrypted" });
  }
}

export type CreateKeystoreArgs = {
  /** Where to write the keystore (mode 0600; an existing file is kept unless `force`). */
  readonly out: string;
  /** undefined: a fresh random key. */
  readonly privateKey?: Hex | undefined;
  readonly password: string;
  readonly light?: boolean;
  readonly force?: boolean;
};

/** Encrypts a (new or given) key into a v3 keystore file; returns the address only. */
export async function createKeystoreFile(
  args: CreateKeystoreArgs,
): Promise<{ address: Address; path: string }> {
  if (args.password.length < MIN_PASSWORD_LENGTH) {
    throw new SecretUnavailableError({
      what: "keystore password",
      reason: `it must be at least ${MIN_PASSWORD_LENGTH} characters`,
    });
  }
  const keystore: KeystoreV3 = await encryptKeystore({
    privateKey: args.privateKey ?? generatePrivateKey(),
    password: args.password,
    scrypt: args.light ? LIGHT_SCRYPT : DEFAULT_SCRYPT,
  });
  await writeNewFile(args.out, `${JSON.stringify(keystore, null, 2)}\n`, {
    force: args.force ?? false,
    mode: 0o600,
  });
  return { address: getAddress(`0x${keystore.address}`), path: args.out };
}

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recoverMessageAddress } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidKeystoreError, SignerUnavailableError, WrongPasswordError } from "../internal/errors.ts";
import { encryptKeystore } from "../internal/keystore.ts";
import { loadSigner } from "./signer.ts";

const KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"; // Hardhat account #1 (public)
const ADDRESS = privateKeyToAddress(KEY);
const PASSWORD = "correct horse battery staple";

let dir: string;
let keystorePath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rk-signer-"));
  keystorePath = join(dir, "keeper.json");
  const keystore = await encryptKeystore({
    privateKey: KEY,
    password: PASSWORD,
    scrypt: { n: 1024, r: 8, p: 1 },
  });
  await writeFile(keystorePath, JSON.stringify(keystore));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<Error> {
  const result = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(result instanceof Error)) throw new Error("expected loadSigner to fail");
  return result;
}

function expectSecretFree(error: Error) {
  const text = `${error.message} ${JSON.stringify((error as { details?: unknown }).details ?? {})}`;
  expect(text).not.toContain(KEY.slice(2, 18));
  expect(text).not.toContain(PASSWORD);
}

describe("loadSigner", () => {
  it("type none → undefined (watch-only)", async () => {
    expect(await loadSigner({ type: "none" }, {})).toBeUndefined();
  });

  it("type env → a LocalAccount from the variable (with or without 0x, surrounding whitespace ignored)", async () => {
    const a = await loadSigner({ type: "env", variable: "K" }, { K: KEY });
    expect(a?.address).toBe(ADDRESS);
    expect(a?.type).toBe("local");
    const b = await loadSigner({ type: "env", variable: "K" }, { K: ` ${KEY.slice(2)}\n` });
    expect(b?.address).toBe(ADDRESS);
    const signature = await (a?.signMessage({ message: "hello" }) as Promise<`0x${string}`>);
    expect(await recoverMessageAddress({ message: "hello", signature })).toBe(ADDRESS);
  });

  it("type env: a missing or empty variable is named", async () => {
    for (const env of [{}, { RESERVE_KEEPER_SIGNER_KEY: "  " }]) {
      const error = await failure(loadSigner({ type: "env", variable: "RESERVE_KEEPER_SIGNER_KEY" }, env));
      expect(error).toBeInstanceOf(SignerUnavailableError);
      expect(error.message).toMatch(/the signer key variable RESERVE_KEEPER_SIGNER_KEY is (not set|empty)/);
    }
  });

  it("type env: a malformed key names the variable, never the value", async () => {
    for (const value of [`${KEY}ff`, "0xnot-a-key", `0x${"00".repeat(32)}`, `0x${"ff".repeat(32)}`]) {
      const error = await failure(loadSigner({ type: "env", variable: "K" }, { K: value }));
      expect(error).toBeInstanceOf(SignerUnavailableError);
      expect(error.message).toMatch(
        /^Signer unavailable: K (is not a 32-byte hex private key|does not hold a valid)/,
      );
      expect(error.message).not.toContain(value.slice(2, 14));
      expect(error.cause).toBeUndefined();
    }
  });

  it("type keystore → decrypts with the password from the named variable", async () => {
    const account = await loadSigner(
      { type: "keystore", path: keystorePath, passwordEnv: "PW" },
      { PW: PASSWORD },
    );
    expect(account?.address).toBe(ADDRESS);
  });

  it("type keystore: a missing password variable names the variable and the keystore", async () => {
    const error = await failure(loadSigner({ type: "keystore", path: keystorePath, passwordEnv: "PW" }, {}));
    expect(error).toBeInstanceOf(SignerUnavailableError);
    expect(error.message).toContain("the keystore password variable PW is not set");
    expect(error.message).toContain(keystorePath);
  });

  it("type keystore: an unreadable file names the path and the error code", async () => {
    const missing = join(dir, "nope.json");
    const error = await failure(
      loadSigner({ type: "keystore", path: missing, passwordEnv: "PW" }, { PW: PASSWORD }),
    );
    expect(error).toBeInstanceOf(SignerUnavailableError);
    expect(error.message).toContain(`the keystore file ${missing} cannot be read (ENOENT)`);
    expectSecretFree(error);
  });

  it("type keystore: a wrong password → WrongPasswordError naming path and variable, not the password", async () => {
    const error = await failure(
      loadSigner({ type: "keystore", path: keystorePath, passwordEnv: "PW" }, { PW: "guess-123" }),
    );
    expect(error).toBeInstanceOf(WrongPasswordError);
    expect(error.message).toContain(keystorePath);
    expect(error.message).toContain("PW");
    expect(error.message).not.toContain("guess-123");
    expectSecretFree(error);
  });

  it("type keystore: a malformed file → InvalidKeystoreError naming the path", async () => {
    const bad = join(dir, "bad.json");
    await writeFile(bad, "{ definitely not json");
    const error = await failure(
      loadSigner({ type: "keystore", path: bad, passwordEnv: "PW" }, { PW: PASSWORD }),
    );
    expect(error).toBeInstanceOf(InvalidKeystoreError);
    expect(error.message).toContain(bad);
  });

  it("reads through the injected reader", async () => {
    const files = new Map<string, string>();
    const keystore = await encryptKeystore({ privateKey: KEY, password: "x", kdf: "pbkdf2", iterations: 10 });
    files.set("/virtual.json", JSON.stringify(keystore));
    const account = await loadSigner(
      { type: "keystore", path: "/virtual.json", passwordEnv: "PW" },
      { PW: "x" },
      { readTextFile: async (p) => files.get(p) ?? "" },
    );
    expect(account?.address).toBe(ADDRESS);
  });
});

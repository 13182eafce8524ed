import { EventEmitter } from "node:events";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WrongPasswordError } from "../internal/errors.ts";
import {
  createKeystoreFile,
  loadKeystoreAccount,
  PASSWORD_ENV,
  type PromptInput,
  promptHidden,
  readPrivateKey,
  readSecret,
  type SecretIo,
} from "./secrets.ts";

const KEY = `0x${"42".repeat(32)}` as Hex;
const PASSWORD = "correct horse battery staple";

/** A fake terminal that types `lines` (each followed by Enter) as soon as it is read. */
function fakeTty(lines: string[], isTTY = true): PromptInput & { raw: boolean[] } {
  const emitter = new EventEmitter();
  const raw: boolean[] = [];
  return {
    isTTY,
    raw,
    setRawMode(mode: boolean) {
      raw.push(mode);
    },
    setEncoding() {},
    resume() {
      const line = lines.shift();
      if (line !== undefined) setImmediate(() => emitter.emit("data", `${line}\r`));
    },
    pause() {},
    on(event: "data", listener: (chunk: string) => void) {
      emitter.on(event, listener);
    },
    off(event: "data", listener: (chunk: string) => void) {
      emitter.off(event, listener);
    },
  };
}

function io(env: Record<string, string | undefined>, stdin: PromptInput = fakeTty([], false)) {
  const written: string[] = [];
  const value: SecretIo = { env, stdin, write: (t) => written.push(t) };
  return { io: value, written };
}

describe("readSecret", () => {
  it("takes the variable when set", async () => {
    expect(await readSecret({ what: "password", envVar: "PW", io: io({ PW: "s3cret-value" }).io })).toBe(
      "s3cret-value",
    );
  });

  it("refuses an empty variable and a missing terminal, naming the variable only", async () => {
    await expect(readSecret({ what: "password", envVar: "PW", io: io({ PW: "" }).io })).rejects.toThrow(
      /PW is empty/,
    );
    await expect(readSecret({ what: "password", envVar: "PW", io: io({}).io })).rejects.toThrow(
      /PW is not set and stdin is not a terminal/,
    );
  });

  it("prompts with echo off (raw mode), twice when confirming", async () => {
    const tty = fakeTty(["hunter2-hunter2", "hunter2-hunter2"]);
    const { io: x, written } = io({}, tty);
    expect(await readSecret({ what: "password", envVar: "PW", confirm: true, io: x })).toBe(
      "hunter2-hunter2",
    );
    expect(tty.raw).toEqual([true, false, true, false]);
    expect(written.join("")).not.toContain("hunter2");
    expect(written.join("")).toMatch(/Enter the password: .*Repeat the password: /s);
  });

  it("refuses two different entries and a cancelled prompt", async () => {
    await expect(
      readSecret({
        what: "password",
        envVar: "PW",
        confirm: true,
        io: io({}, fakeTty(["aaaaaaaa", "bbbbbbbb"])).io,
      }),
    ).rejects.toThrow(/the two entries differ/);
    await expect(promptHidden("? ", io({}, fakeTty(["\u0003"])).io)).rejects.toThrow(/cancelled/);
  });

  it("handles backspace", async () => {
    expect(await promptHidden("? ", io({}, fakeTty(["abx\u007fc"])).io)).toBe("abc");
  });
});

describe("readPrivateKey", () => {
  it("accepts 64 hex digits with or without 0x", async () => {
    expect(await readPrivateKey({ envVar: "K", io: io({ K: KEY }).io })).toBe(KEY);
    expect(await readPrivateKey({ envVar: "K", io: io({ K: ` ${KEY.slice(2)}\n` }).io })).toBe(KEY);
  });

  it("refuses anything else without echoing it", async () => {
    for (const bad of ["0x1234", `0x${"zz".repeat(32)}`, `0x${"00".repeat(32)}`, `0x${"ff".repeat(32)}`]) {
      const p = readPrivateKey({ envVar: "K", io: io({ K: bad }).io });
      await expect(p).rejects.toThrow(/K is not|not a valid secp256k1/);
      await p.catch((e: Error) => expect(e.message).not.toContain(bad.slice(2, 20)));
    }
  });
});

describe("keystore files", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "rk-admin-ks-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("import → mode 0600 keystore with the address only → decrypts to the same account", async () => {
    const out = join(dir, "imported.json");
    const { address } = await createKeystoreFile({ out, privateKey: KEY, password: PASSWORD, light: true });
    expect(address).toBe(privateKeyToAccount(KEY).address);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    const text = await readFile(out, "utf8");
    expect(text).not.toContain(KEY.slice(2));
    expect(JSON.parse(text)).toMatchObject({ version: 3, crypto: { kdf: "scrypt", kdfparams: { n: 4096 } } });
    const account = await loadKeystoreAccount(out, { io: io({ [PASSWORD_ENV]: PASSWORD }).io });
    expect(account.address).toBe(address);
    await expect(
      createKeystoreFile({ out, privateKey: KEY, password: PASSWORD, light: true }),
    ).rejects.toThrow(/already exists/);
  });

  it("new → a fresh key; wrong password names the variable", async () => {
    const out = join(dir, "new.json");
    const { address } = await createKeystoreFile({ out, password: PASSWORD, light: true });
    expect(address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    const wrong = loadKeystoreAccount(out, { io: io({ [PASSWORD_ENV]: "not the password" }).io });
    await expect(wrong).rejects.toBeInstanceOf(WrongPasswordError);
    await expect(wrong).rejects.toThrow(new RegExp(`password in ${PASSWORD_ENV} is wrong`));
    await expect(
      loadKeystoreAccount(out, { envVar: "OTHER_PW", io: io({ OTHER_PW: PASSWORD }).io }),
    ).resolves.toMatchObject({ address });
  });

  it("refuses a short password and a missing file", async () => {
    await expect(createKeystoreFile({ out: join(dir, "short.json"), password: "1234567" })).rejects.toThrow(
      /at least 8 characters/,
    );
    await expect(loadKeystoreAccount(join(dir, "nope.json"), { io: io({}).io })).rejects.toThrow(
      /cannot be read \(ENOENT\)/,
    );
  });
});

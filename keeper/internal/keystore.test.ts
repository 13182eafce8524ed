import { scryptSync } from "node:crypto";
import { privateKeyToAddress } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { InvalidKeystoreError, UnsupportedKeystoreError, WrongPasswordError } from "./errors.ts";
import { decryptKeystore, encryptKeystore, type KeystoreV3, scryptJs } from "./keystore.ts";

/**
 * The official test vectors of the Web3 Secret Storage Definition
 * (https://ethereum.org/developers/docs/data-structures-and-encoding/web3-secret-storage/):
 * password "testpassword", private key 7a28b5ba…14fe9d.
 */
const PASSWORD = "testpassword";
const PRIVATE_KEY = "0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";

const PBKDF2_VECTOR = {
  crypto: {
    cipher: "aes-128-ctr",
    cipherparams: { iv: "6087dab2f9fdbbfaddc31a909735c1e6" },
    ciphertext: "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
    kdf: "pbkdf2",
    kdfparams: {
      c: 262144,
      dklen: 32,
      prf: "hmac-sha256",
      salt: "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd",
    },
    mac: "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2",
  },
  id: "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  version: 3,
} as const;

const SCRYPT_VECTOR = {
  crypto: {
    cipher: "aes-128-ctr",
    cipherparams: { iv: "83dbcc02d8ccb40e466191a123791e0e" },
    ciphertext: "d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c",
    kdf: "scrypt",
    kdfparams: {
      dklen: 32,
      n: 262144,
      p: 8,
      r: 1,
      salt: "ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19",
    },
    mac: "2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097",
  },
  id: "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  version: 3,
} as const;

const FAST_SCRYPT = { n: 1024, r: 8, p: 1 };
const hex = (s: string) => Buffer.from(s, "hex");

function withCrypto(base: object, patch: Record<string, unknown>): unknown {
  const doc = structuredClone(base) as { crypto: Record<string, unknown> };
  Object.assign(doc.crypto, patch);
  return doc;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const result = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(result instanceof Error)) throw new Error("expected a rejection");
  return result;
}

describe("decryptKeystore: official test vectors", () => {
  it("decrypts the PBKDF2-SHA-256 vector", async () => {
    const { privateKey, address } = await decryptKeystore({ keystore: PBKDF2_VECTOR, password: PASSWORD });
    expect(privateKey).toBe(PRIVATE_KEY);
    expect(address).toBe(privateKeyToAddress(PRIVATE_KEY));
  });

  it("decrypts the scrypt vector (N=2^18, r=1: beyond OpenSSL's limit, computed by the JS scrypt)", async () => {
    const { privateKey } = await decryptKeystore({
      keystore: JSON.stringify(SCRYPT_VECTOR),
      password: PASSWORD,
    });
    expect(privateKey).toBe(PRIVATE_KEY);
  });

  it("re-creates both vectors byte for byte from their salt and iv", async () => {
    const pbkdf2 = await encryptKeystore({
      privateKey: PRIVATE_KEY,
      password: PASSWORD,
      kdf: "pbkdf2",
      iterations: 262144,
      salt: hex(PBKDF2_VECTOR.crypto.kdfparams.salt),
      iv: hex(PBKDF2_VECTOR.crypto.cipherparams.iv),
      id: PBKDF2_VECTOR.id,
    });
    expect(pbkdf2.crypto).toEqual(PBKDF2_VECTOR.crypto);
    const scrypt = await encryptKeystore({
      privateKey: PRIVATE_KEY,
      password: PASSWORD,
      scrypt: { n: 262144, r: 1, p: 8 },
      salt: hex(SCRYPT_VECTOR.crypto.kdfparams.salt),
      iv: hex(SCRYPT_VECTOR.crypto.cipherparams.iv),
      id: SCRYPT_VECTOR.id,
    });
    expect(scrypt.crypto).toEqual(SCRYPT_VECTOR.crypto);
  });
});

describe("encryptKeystore / decryptKeystore round trip", () => {
  it("round-trips with scrypt (low parameters) and pbkdf2, with random salt, iv and id", async () => {
    const a = await encryptKeystore({ privateKey: PRIVATE_KEY, password: "pw", scrypt: FAST_SCRYPT });
    const b = await encryptKeystore({ privateKey: PRIVATE_KEY, password: "pw", scrypt: FAST_SCRYPT });
    expect(a.crypto.ciphertext).not.toBe(b.crypto.ciphertext);
    expect(a.id).not.toBe(b.id);
    expect(a.address).toBe(privateKeyToAddress(PRIVATE_KEY).slice(2).toLowerCase());
    expect(a.crypto.kdfparams).toMatchObject({ dklen: 32, n: 1024, r: 8, p: 1 });
    expect((await decryptKeystore({ keystore: a, password: "pw" })).privateKey).toBe(PRIVATE_KEY);
    const c = await encryptKeystore({
      privateKey: PRIVATE_KEY,
      password: "pässwörd ✓",
      kdf: "pbkdf2",
      iterations: 1000,
    });
    expect(c.crypto.kdfparams).toMatchObject({ c: 1000, prf: "hmac-sha256" });
    expect((await decryptKeystore({ keystore: JSON.stringify(c), password: "pässwörd ✓" })).privateKey).toBe(
      PRIVATE_KEY,
    );
  });

  it("accepts geth's capitalised Crypto section", async () => {
    const { crypto, ...rest } = await encryptKeystore({
      privateKey: PRIVATE_KEY,
      password: "pw",
      scrypt: FAST_SCRYPT,
    });
    expect(
      (await decryptKeystore({ keystore: { ...rest, Crypto: crypto }, password: "pw" })).privateKey,
    ).toBe(PRIVATE_KEY);
  });

  it("refuses to encrypt something that is not a private key", async () => {
    await expect(encryptKeystore({ privateKey: "0x1234", password: "pw" })).rejects.toBeInstanceOf(
      InvalidKeystoreError,
    );
    await expect(
      encryptKeystore({ privateKey: `0x${"00".repeat(32)}`, password: "pw" }),
    ).rejects.toBeInstanceOf(InvalidKeystoreError);
  });
});

describe("decryptKeystore: errors", () => {
  it("wrong password → WrongPasswordError naming the file and variable, never the password or key", async () => {
    const error = await rejection(
      decryptKeystore({
        keystore: PBKDF2_VECTOR,
        password: "not-the-password",
        path: "/keys/k.json",
        envVar: "KS_PW",
      }),
    );
    expect(error).toBeInstanceOf(WrongPasswordError);
    expect((error as WrongPasswordError).code).toBe("KEYSTORE_WRONG_PASSWORD");
    expect(error.message).toContain("/keys/k.json");
    expect(error.message).toContain("KS_PW");
    expect(error.message).toContain("MAC mismatch");
    expect(error.message).not.toContain("not-the-password");
    expect(error.message).not.toContain(PRIVATE_KEY.slice(2, 20));
  });

  it("a tampered ciphertext fails the MAC check", async () => {
    const ks = await encryptKeystore({ privateKey: PRIVATE_KEY, password: "pw", scrypt: FAST_SCRYPT });
    const tampered = withCrypto(ks, { ciphertext: `00${ks.crypto.ciphertext.slice(2)}` });
    await expect(decryptKeystore({ keystore: tampered, password: "pw" })).rejects.toBeInstanceOf(
      WrongPasswordError,
    );
  });

  it("an address field that does not match the key is rejected", async () => {
    const ks: KeystoreV3 = await encryptKeystore({
      privateKey: PRIVATE_KEY,
      password: "pw",
      scrypt: FAST_SCRYPT,
    });
    const error = await rejection(
      decryptKeystore({ keystore: { ...ks, address: "11".repeat(20) }, password: "pw" }),
    );
    expect(error).toBeInstanceOf(InvalidKeystoreError);
    expect(error.message).toMatch(/does not match/);
  });

  it("unsupported version, kdf, prf and cipher → UnsupportedKeystoreError naming what is supported", async () => {
    const cases: [unknown, RegExp][] = [
      [{ ...PBKDF2_VECTOR, version: 1 }, /version 1 is not supported; supported: 3/],
      [
        withCrypto(PBKDF2_VECTOR, { kdf: "argon2id" }),
        /kdf "argon2id" is not supported; supported: scrypt, pbkdf2/,
      ],
      [
        withCrypto(PBKDF2_VECTOR, { cipher: "aes-128-cbc" }),
        /cipher "aes-128-cbc" is not supported; supported: aes-128-ctr/,
      ],
      [
        withCrypto(PBKDF2_VECTOR, { kdfparams: { ...PBKDF2_VECTOR.crypto.kdfparams, prf: "hmac-sha512" } }),
        /kdfparams.prf "hmac-sha512" is not supported/,
      ],
    ];
    for (const [keystore, message] of cases) {
      const error = await rejection(decryptKeystore({ keystore, password: PASSWORD }));
      expect(error).toBeInstanceOf(UnsupportedKeystoreError);
      expect(error.message).toMatch(message);
    }
  });

  it("malformed files → InvalidKeystoreError with the reason (and hostile KDF parameters are refused up front)", async () => {
    const scryptParams = SCRYPT_VECTOR.crypto.kdfparams;
    const cases: [unknown, RegExp][] = [
      ["{not json", /not valid JSON/],
      [[1, 2], /must be a JSON object/],
      [{ version: 3 }, /crypto section is missing/],
      [withCrypto(PBKDF2_VECTOR, { cipherparams: { iv: "00" } }), /cipherparams.iv must be 16 bytes/],
      [withCrypto(PBKDF2_VECTOR, { mac: "zz" }), /crypto.mac must be a hex string/],
      [withCrypto(SCRYPT_VECTOR, { kdfparams: { ...scryptParams, n: 1000 } }), /power of 2/],
      [withCrypto(SCRYPT_VECTOR, { kdfparams: { ...scryptParams, n: 2 ** 24, r: 8 } }), /more than 1 GiB/],
      [
        withCrypto(SCRYPT_VECTOR, { kdfparams: { ...scryptParams, dklen: 16 } }),
        /dklen must be an integer >= 32/,
      ],
      [
        withCrypto(PBKDF2_VECTOR, { kdfparams: { ...PBKDF2_VECTOR.crypto.kdfparams, c: 1e9 } }),
        /at most 10000000/,
      ],
    ];
    for (const [keystore, message] of cases) {
      const error = await rejection(decryptKeystore({ keystore, password: PASSWORD, path: "/k.json" }));
      expect(error, String(message)).toBeInstanceOf(InvalidKeystoreError);
      expect(error.message).toMatch(message);
      expect(error.message).toContain("/k.json");
    }
  });
});

describe("scryptJs (RFC 7914)", () => {
  it("matches the RFC 7914 test vectors", async () => {
    const empty = await scryptJs(Buffer.alloc(0), Buffer.alloc(0), { n: 16, r: 1, p: 1, dklen: 64 });
    expect(empty.toString("hex")).toBe(
      "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906",
    );
    const nacl = await scryptJs(Buffer.from("password"), Buffer.from("NaCl"), {
      n: 1024,
      r: 8,
      p: 16,
      dklen: 64,
    });
    expect(nacl.toString("hex")).toBe(
      "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640",
    );
  });

  it("agrees with node:crypto wherever OpenSSL accepts the parameters", async () => {
    for (const [n, r, p] of [
      [2, 1, 1],
      [256, 2, 3],
      [64, 3, 2],
    ] as const) {
      const js = await scryptJs(Buffer.from("pw"), Buffer.from("salt"), { n, r, p, dklen: 48 });
      expect(js.equals(scryptSync("pw", "salt", 48, { N: n, r, p })), `n=${n} r=${r} p=${p}`).toBe(true);
    }
  });
});

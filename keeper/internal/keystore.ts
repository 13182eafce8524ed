import {
  createCipheriv,
  createDecipheriv,
  pbkdf2 as pbkdf2Callback,
  pbkdf2Sync,
  randomBytes,
  randomUUID,
  type ScryptOptions,
  scrypt as scryptCallback,
  timingSafeEqual,
} from "node:crypto";
import { promisify } from "node:util";
import { bytesToHex, type Hex, hexToBytes, keccak256 } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import type { Address } from "../engine/types.ts";
import { InvalidKeystoreError, UnsupportedKeystoreError, WrongPasswordError } from "./errors.ts";

/**
 * Web3 Secret Storage v3 — the Ethereum JSON keystore (geth, Foundry `cast wallet`, MetaMask export).
 *
 *   derivedKey = KDF(password UTF-8, salt)           (scrypt or pbkdf2 with hmac-sha256, dklen >= 32)
 *   ciphertext = AES-128-CTR(key = derivedKey[0..16], iv, privateKey)
 *   mac        = keccak256(derivedKey[16..32] ‖ ciphertext)
 *
 * node:crypto (OpenSSL) computes scrypt, except for parameters OpenSSL refuses: it enforces RFC 7914's
 * N < 2^(16·r), which geth does not (the official test vector has N = 2^18, r = 1). Those run on the
 * small pure-JS scrypt below (RFC 7914, checked against its test vectors), yielding to the event loop.
 *
 * Decryption checks the MAC before decrypting (wrong password → WrongPasswordError). KDF parameters are
 * bounded (scrypt memory <= 1 GiB, pbkdf2 <= 10M iterations) so a hostile file cannot exhaust the host.
 * The decrypted key is returned to the caller only; nothing here logs, and buffers are zeroed after use.
 */

const scrypt = promisify(scryptCallback) as (
  password: Buffer,
  salt: Buffer,
  keylen: number,
  options: ScryptOptions,
) => Promise<Buffer>;
const pbkdf2 = promisify(pbkdf2Callback);

export type ScryptKdfParams = { dklen: number; n: number; r: number; p: number; salt: string };
export type Pbkdf2KdfParams = { dklen: number; c: number; prf: "hmac-sha256"; salt: string };

export type KeystoreV3 = {
  version: 3;
  id: string;
  /** Lowercase hex without 0x (geth convention); optional in the standard. */
  address?: string;
  crypto: {
    cipher: "aes-128-ctr";
    cipherparams: { iv: string };
    ciphertext: string;
    kdf: "scrypt" | "pbkdf2";
    kdfparams: ScryptKdfParams | Pbkdf2KdfParams;
    mac: string;
  };
};

/** geth's "standard" scrypt parameters (256 MiB, ~1 s). */
export const DEFAULT_SCRYPT = { n: 262_144, r: 8, p: 1 } as const;
export const DEFAULT_PBKDF2_ITERATIONS = 262_144;
const MAX_SCRYPT_MEMORY = 1024 * 1024 * 1024;
const MAX_PBKDF2_ITERATIONS = 10_000_000;

export type EncryptKeystoreArgs = {
  privateKey: Hex;
  password: string;
  kdf?: "scrypt" | "pbkdf2";
  /** Default DEFAULT_SCRYPT; tests use a small n. */
  scrypt?: { n: number; r: number; p: number };
  /** pbkdf2 iterations (default DEFAULT_PBKDF2_ITERATIONS). */
  iterations?: number;
  /** Fixed salt/iv/id for reproducible output (tests); random by default. */
  salt?: Uint8Array;
  iv?: Uint8Array;
  id?: string;
};

export type DecryptKeystoreArgs = {
  /** The keystore as JSON text or parsed object. */
  keystore: unknown;
  password: string;
  /** Names the file in errors. */
  path?: string;
  /** Names the password's environment variable in a WrongPasswordError. */
  envVar?: string;
};

export type DecryptedKey = { privateKey: Hex; address: Address };

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === "object" && v !== null && !Array.isArray(v);
const HEX = /^(0x)?([0-9a-fA-F]{2})*$/;

function hexField(obj: Rec, key: string, where: string, path: string | undefined, bytes?: number): Buffer {
  const value = obj[key];
  if (typeof value !== "string" || !HEX.test(value)) {
    throw new InvalidKeystoreError({ reason: `${where}.${key} must be a hex string`, path });
  }
  const buf = Buffer.from(value.replace(/^0x/, ""), "hex");
  if (bytes !== undefined && buf.length !== bytes) {
    throw new InvalidKeystoreError({
      reason: `${where}.${key} must be ${bytes} bytes, got ${buf.length}`,
      path,
    });
  }
  return buf;
}

function intField(obj: Rec, key: string, where: string, path: string | undefined, min: number): number {
  const value = obj[key];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidKeystoreError({ reason: `${where}.${key} must be an integer >= ${min}`, path });
  }
  return value;
}

async function deriveKey(crypto: Rec, password: string, path: string | undefined): Promise<Buffer> {
  const kdf = crypto.kdf;
  const params = crypto.kdfparams;
  if (kdf !== "scrypt" && kdf !== "pbkdf2") {
    throw new UnsupportedKeystoreError({ field: "kdf", value: kdf, supported: ["scrypt", "pbkdf2"], path });
  }
  if (!isRec(params)) throw new InvalidKeystoreError({ reason: "crypto.kdfparams must be an object", path });
  const salt = hexField(params, "salt", "kdfparams", path);
  const dklen = intField(params, "dklen", "kdfparams", path, 32);
  if (dklen > 64) throw new InvalidKeystoreError({ reason: "kdfparams.dklen must be at most 64", path });
  const secret = Buffer.from(password, "utf8");
  try {
    if (kdf === "scrypt") {
      const n = intField(params, "n", "kdfparams", path, 2);
      const r = intField(params, "r", "kdfparams", path, 1);
      const p = intField(params, "p", "kdfparams", path, 1);
      if ((n & (n - 1)) !== 0)
        throw new InvalidKeystoreError({ reason: "kdfparams.n must be a power of 2", path });
      const memory = 128 * n * r;
      if (memory > MAX_SCRYPT_MEMORY || p > 1024) {
        throw new InvalidKeystoreError({ reason: "scrypt parameters need more than 1 GiB of memory", path });
      }
      if (n < 2 ** (16 * r)) {
        return await scrypt(secret, salt, dklen, { N: n, r, p, maxmem: memory * 2 + 64 * 1024 * 1024 });
      }
      return await scryptJs(secret, salt, { n, r, p, dklen });
    }
    if (params.prf !== "hmac-sha256") {
      throw new UnsupportedKeystoreError({
        field: "kdfparams.prf",
        value: params.prf,
        supported: ["hmac-sha256"],
        path,
      });
    }
    const c = intField(params, "c", "kdfparams", path, 1);
    if (c > MAX_PBKDF2_ITERATIONS) {
      throw new InvalidKeystoreError({
        reason: `kdfparams.c must be at most ${MAX_PBKDF2_ITERATIONS}`,
        path,
      });
    }
    return await pbkdf2(secret, salt, c, dklen, "sha256");
  } finally {
    secret.fill(0);
  }
}

function macOf(derivedKey: Buffer, ciphertext: Buffer): Buffer {
  return Buffer.from(hexToBytes(keccak256(Buffer.concat([derivedKey.subarray(16, 32), ciphertext]))));
}

/** Parses JSON text (or takes an object) and checks the v3 envelope; returns the `crypto` section. */
function cryptoSection(keystore: unknown, path: string | undefined): Rec {
  let doc = keystore;
  if (typeof keystore === "string") {
    try {
      doc = JSON.parse(keystore);
    } catch {
      throw new InvalidKeystoreError({ reason: "not valid JSON", path });
    }
  }
  if (!isRec(doc)) throw new InvalidKeystoreError({ reason: "must be a JSON object", path });
  if (doc.version !== 3) {
    throw new UnsupportedKeystoreError({ field: "version", value: doc.version, supported: ["3"], path });
  }
  // geth wrote "Crypto" in some versions.
  const crypto = doc.crypto ?? doc.Crypto;
  if (!isRec(crypto)) throw new InvalidKeystoreError({ reason: "crypto section is missing", path });
  return crypto;
}

/**
 * Decrypts a v3 keystore. Wrong password → WrongPasswordError (MAC mismatch); unsupported
 * version/kdf/prf/cipher → UnsupportedKeystoreError; malformed → InvalidKeystoreError. If the file
 * states an address, it must match the key.
 */
export async function decryptKeystore({
  keystore,
  password,
  path,
  envVar,
}: DecryptKeystoreArgs): Promise<DecryptedKey> {
  const crypto = cryptoSection(keystore, path);
  if (crypto.cipher !== "aes-128-ctr") {
    throw new UnsupportedKeystoreError({
      field: "cipher",
      value: crypto.cipher,
      supported: ["aes-128-ctr"],
      path,
    });
  }
  const cipherparams = isRec(crypto.cipherparams) ? crypto.cipherparams : {};
  const iv = hexField(cipherparams, "iv", "cipherparams", path, 16);
  const ciphertext = hexField(crypto, "ciphertext", "crypto", path, 32);
  const mac = hexField(crypto, "mac", "crypto", path, 32);

  const derivedKey = await deriveKey(crypto, password, path);
  let plain: Buffer | undefined;
  try {
    if (!timingSafeEqual(macOf(derivedKey, ciphertext), mac)) throw new WrongPasswordError({ path, envVar });
    const decipher = createDecipheriv("aes-128-ctr", derivedKey.subarray(0, 16), iv);
    plain = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    const privateKey = bytesToHex(plain);
    let address: Address;
    try {
      address = privateKeyToAddress(privateKey);
    } catch {
      // No cause: the library's message could quote the key.
      throw new InvalidKeystoreError({
        reason: "the decrypted data is not a valid secp256k1 private key",
        path,
      });
    }
    const stated = isRec(keystore)
      ? keystore.address
      : typeof keystore === "string"
        ? safeAddress(keystore)
        : undefined;
    if (
      typeof stated === "string" &&
      stated.replace(/^0x/, "").toLowerCase() !== address.slice(2).toLowerCase()
    ) {
      throw new InvalidKeystoreError({
        reason: `its address field 0x${stated.replace(/^0x/, "")} does not match the decrypted key's address ${address}`,
        path,
      });
    }
    return { privateKey, address };
  } finally {
    derivedKey.fill(0);
    plain?.fill(0);
  }
}

function safeAddress(json: string): unknown {
  try {
    const doc: unknown = JSON.parse(json);
    return isRec(doc) ? doc.address : undefined;
  } catch {
    return undefined;
  }
}

/** Encrypts a private key into a v3 keystore (scrypt by default, geth's standard parameters). */
export async function encryptKeystore({
  privateKey,
  password,
  kdf = "scrypt",
  scrypt: scryptParams = DEFAULT_SCRYPT,
  iterations = DEFAULT_PBKDF2_ITERATIONS,
  salt = randomBytes(32),
  iv = randomBytes(16),
  id = randomUUID(),
}: EncryptKeystoreArgs): Promise<KeystoreV3> {
  if (!/^0x[0-9a-fA-F]{64}$/.test(privateKey)) {
    throw new InvalidKeystoreError({
      reason: "the private key to encrypt must be 32 bytes of 0x-prefixed hex",
    });
  }
  let address: Address;
  try {
    address = privateKeyToAddress(privateKey);
  } catch {
    throw new InvalidKeystoreError({
      reason: "the private key to encrypt is not a valid secp256k1 private key",
    });
  }
  if (iv.length !== 16) throw new InvalidKeystoreError({ reason: "iv must be 16 bytes" });
  const saltHex = Buffer.from(salt).toString("hex");
  const kdfparams: ScryptKdfParams | Pbkdf2KdfParams =
    kdf === "scrypt"
      ? { dklen: 32, n: scryptParams.n, r: scryptParams.r, p: scryptParams.p, salt: saltHex }
      : { dklen: 32, c: iterations, prf: "hmac-sha256", salt: saltHex };
  const derivedKey = await deriveKey({ kdf, kdfparams }, password, undefined);
  const key = Buffer.from(hexToBytes(privateKey));
  try {
    const cipher = createCipheriv("aes-128-ctr", derivedKey.subarray(0, 16), iv);
    const ciphertext = Buffer.concat([cipher.update(key), cipher.final()]);
    return {
      version: 3,
      id,
      address: address.slice(2).toLowerCase(),
      crypto: {
        cipher: "aes-128-ctr",
        cipherparams: { iv: Buffer.from(iv).toString("hex") },
        ciphertext: ciphertext.toString("hex"),
        kdf,
        kdfparams,
        mac: macOf(derivedKey, ciphertext).toString("hex"),
      },
    };
  } finally {
    derivedKey.fill(0);
    key.fill(0);
  }
}

// ---------------------------------------------------------------------------------------------
// Pure-JS scrypt (RFC 7914) for parameters OpenSSL refuses (N >= 2^(16·r)).
// ---------------------------------------------------------------------------------------------

const rotl = (a: number, b: number) => (a << b) | (a >>> (32 - b));

type Words16 = [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];

/** Salsa20/8 core on the 16 words of `B`, in place (locals, not array slots: ~4x faster). */
function salsa208(B: Uint32Array): void {
  const j = B as unknown as Words16;
  let x0 = j[0],
    x1 = j[1],
    x2 = j[2],
    x3 = j[3],
    x4 = j[4],
    x5 = j[5],
    x6 = j[6],
    x7 = j[7];
  let x8 = j[8],
    x9 = j[9],
    x10 = j[10],
    x11 = j[11],
    x12 = j[12],
    x13 = j[13],
    x14 = j[14],
    x15 = j[15];
  for (let i = 0; i < 8; i += 2) {
    x4 ^= rotl(x0 + x12, 7);
    x8 ^= rotl(x4 + x0, 9);
    x12 ^= rotl(x8 + x4, 13);
    x0 ^= rotl(x12 + x8, 18);
    x9 ^= rotl(x5 + x1, 7);
    x13 ^= rotl(x9 + x5, 9);
    x1 ^= rotl(x13 + x9, 13);
    x5 ^= rotl(x1 + x13, 18);
    x14 ^= rotl(x10 + x6, 7);
    x2 ^= rotl(x14 + x10, 9);
    x6 ^= rotl(x2 + x14, 13);
    x10 ^= rotl(x6 + x2, 18);
    x3 ^= rotl(x15 + x11, 7);
    x7 ^= rotl(x3 + x15, 9);
    x11 ^= rotl(x7 + x3, 13);
    x15 ^= rotl(x11 + x7, 18);
    x1 ^= rotl(x0 + x3, 7);
    x2 ^= rotl(x1 + x0, 9);
    x3 ^= rotl(x2 + x1, 13);
    x0 ^= rotl(x3 + x2, 18);
    x6 ^= rotl(x5 + x4, 7);
    x7 ^= rotl(x6 + x5, 9);
    x4 ^= rotl(x7 + x6, 13);
    x5 ^= rotl(x4 + x7, 18);
    x11 ^= rotl(x10 + x9, 7);
    x8 ^= rotl(x11 + x10, 9);
    x9 ^= rotl(x8 + x11, 13);
    x10 ^= rotl(x9 + x8, 18);
    x12 ^= rotl(x15 + x14, 7);
    x13 ^= rotl(x12 + x15, 9);
    x14 ^= rotl(x13 + x12, 13);
    x15 ^= rotl(x14 + x13, 18);
  }
  B[0] = j[0] + x0;
  B[1] = j[1] + x1;
  B[2] = j[2] + x2;
  B[3] = j[3] + x3;
  B[4] = j[4] + x4;
  B[5] = j[5] + x5;
  B[6] = j[6] + x6;
  B[7] = j[7] + x7;
  B[8] = j[8] + x8;
  B[9] = j[9] + x9;
  B[10] = j[10] + x10;
  B[11] = j[11] + x11;
  B[12] = j[12] + x12;
  B[13] = j[13] + x13;
  B[14] = j[14] + x14;
  B[15] = j[15] + x15;
}

/** scryptBlockMix: B (32·r words) → B, using Y (32·r words) and T (16 words) as scratch. */
function blockMix(B: Uint32Array, Y: Uint32Array, r: number, T: Uint32Array): void {
  T.set(B.subarray((2 * r - 1) * 16, 2 * r * 16));
  for (let i = 0; i < 2 * r; i++) {
    for (let k = 0; k < 16; k++) T[k] = (T[k] as number) ^ (B[i * 16 + k] as number);
    salsa208(T);
    // Even blocks go to the first half, odd blocks to the second.
    Y.set(T, ((i & 1) * r + (i >> 1)) * 16);
  }
  B.set(Y);
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** scrypt(password, salt, N, r, p, dkLen) per RFC 7914, in JS. Exported for its own tests. */
export async function scryptJs(
  password: Uint8Array,
  salt: Uint8Array,
  { n, r, p, dklen }: { n: number; r: number; p: number; dklen: number },
): Promise<Buffer> {
  const words = 32 * r;
  const bytes = pbkdf2Sync(password, salt, 1, p * 128 * r, "sha256");
  const B = new Uint32Array(p * words);
  for (let i = 0; i < B.length; i++) B[i] = bytes.readUInt32LE(i * 4);
  const V = new Uint32Array(n * words);
  const X = new Uint32Array(words);
  const Y = new Uint32Array(words);
  const T = new Uint32Array(16);
  try {
    for (let lane = 0; lane < p; lane++) {
      X.set(B.subarray(lane * words, (lane + 1) * words));
      for (let i = 0; i < n; i++) {
        V.set(X, i * words);
        blockMix(X, Y, r, T);
        if ((i & 4095) === 4095) await tick();
      }
      for (let i = 0; i < n; i++) {
        const j = (X[(2 * r - 1) * 16] as number) & (n - 1);
        for (let k = 0; k < words; k++) X[k] = (X[k] as number) ^ (V[j * words + k] as number);
        blockMix(X, Y, r, T);
        if ((i & 4095) === 4095) await tick();
      }
      B.set(X, lane * words);
    }
    const mixed = Buffer.alloc(B.length * 4);
    for (let i = 0; i < B.length; i++) mixed.writeUInt32LE(B[i] as number, i * 4);
    const out = pbkdf2Sync(password, mixed, 1, dklen, "sha256");
    mixed.fill(0);
    return out;
  } finally {
    bytes.fill(0);
    B.fill(0);
    V.fill(0);
    X.fill(0);
    Y.fill(0);
  }
}

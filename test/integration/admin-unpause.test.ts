import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Address, createPublicClient, getAddress, http, parseEventLogs } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevnetRole, devnetPrivateKey } from "../../deploy/devnet/accounts.ts";
import { reserveCircuitBreakerAbi } from "../../keeper/abi/index.ts";
import { sortAddresses } from "../../keeper/internal/breakerTypedData.ts";
import { type CliResult, runCli } from "../helpers/cli.ts";
import { type Devnet, startDevnet } from "../helpers/keeperHarness.ts";

// `reserve-keeper admin` end to end against a private two-chain devnet (real hardhat nodes), every
// step through the CLI as operators run it: keystores, pause, prepare → sign offline → submit, the
// refusals (each one sends nothing), replay, expiry, signer rotation.
describe("admin: M-of-N unpause with offline keystores (devnet, CLI)", () => {
  let devnet: Devnet;
  let config: string;
  let submitter: Address;
  const PASSWORD = "admin-integration-password";
  const ROLES = [
    "signer1",
    "signer2",
    "signer3",
    "outsider",
    "keeper",
  ] as const satisfies readonly DevnetRole[];
  const secrets = [...[...ROLES, "bob" as const].map((r) => devnetPrivateKey(r).slice(2)), PASSWORD];
  const addressOf = (role: DevnetRole) => privateKeyToAccount(devnetPrivateKey(role)).address;
  const runs: CliResult[] = [];
  const file = (name: string) => join(devnet.dir, name);
  const baseEnv = () => ({ RESERVE_KEEPER_KEYSTORE_PASSWORD: PASSWORD, RESERVE_KEEPER_CONFIG: config });

  async function admin(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    const r = await runCli(["admin", ...args], { ...baseEnv(), ...env });
    runs.push(r);
    return r;
  }
  async function ok(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    const r = await admin(args, env);
    expect(r.code, `admin ${args.join(" ")}\n${r.stderr}`).toBe(0);
    return r;
  }

  const chainIndex = { home: 0, remote: 1 } as const;
  type ChainName = keyof typeof chainIndex;
  const client = (chain: ChainName) =>
    createPublicClient({ transport: http(devnet.manifest.chains[chainIndex[chain]]!.rpcHttpUrl) });
  const breakerOf = (chain: ChainName) => devnet.manifest.assets[0]!.chains[chainIndex[chain]]!.breaker;
  const read = <T>(chain: ChainName, functionName: "paused" | "nonce" | "signers" | "threshold") =>
    client(chain).readContract({
      address: breakerOf(chain),
      abi: reserveCircuitBreakerAbi,
      functionName,
    }) as Promise<T>;
  const txCount = (address: Address, chain: ChainName = "home") =>
    client(chain).getTransactionCount({ address, blockTag: "pending" });

  /** Runs a submit that must be refused with `codes`, and proves nothing was sent. */
  async function expectRefused(
    args: string[],
    codes: string[],
    env: NodeJS.ProcessEnv = {},
    from = submitter,
  ) {
    const before = { home: await txCount(from, "home"), remote: await txCount(from, "remote") };
    const breakerNonce = await read<bigint>("home", "nonce");
    const r = await admin([...args, "--json"], env);
    expect(r.code, r.stderr).toBe(1);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ ok: false, refused: true });
    expect(result.refusals.map((x: { code: string }) => x.code)).toEqual(codes);
    expect(r.stderr).toContain("nothing was sent");
    for (const code of codes) expect(r.stderr).toContain(code);
    // Nothing on chain: the submitter's nonce (pending included) and the breaker's nonce did not move.
    expect(await txCount(from, "home")).toBe(before.home);
    expect(await txCount(from, "remote")).toBe(before.remote);
    expect(await read<bigint>("home", "nonce")).toBe(breakerNonce);
    return result;
  }

  /** Signs offline: network access is disabled in the process and every RPC setting points nowhere. */
  async function signOffline(kind: "unpause" | "signers", request: string, keystore: string, out: string) {
    const r = await ok(
      [kind, "sign", "--request", request, "--keystore", keystore, "--out", out],
      offlineEnv(),
    );
    expect(await readFile(file("network-attempts.log"), "utf8").catch(() => "")).toBe("");
    return r;
  }
  const offlineEnv = () => ({
    NODE_OPTIONS: `--import=${pathToFileURL(file("no-network.mjs")).href}`,
    RK_NETWORK_LOG: file("network-attempts.log"),
    RESERVE_KEEPER_CONFIG: file("does-not-exist.yaml"),
    RESERVE_KEEPER__CHAINS__HOME__RPC__HTTP: "http://192.0.2.1:9",
    RESERVE_KEEPER__CHAINS__REMOTE__RPC__HTTP: "http://192.0.2.1:9",
    HTTP_PROXY: "http://192.0.2.1:9",
    HTTPS_PROXY: "http://192.0.2.1:9",
  });

  async function pauseHome(reason: string) {
    const r = await ok(["pause", "--asset", "dusd", "--chain", "home", "--reason", reason], {
      RESERVE_KEEPER_SIGNER_KEY: devnetPrivateKey("keeper"),
    });
    expect(await read<boolean>("home", "paused")).toBe(true);
    return r;
  }

  beforeAll(async () => {
    devnet = await startDevnet();
    config = join(devnet.dir, "devnet.keeper.yaml");
    // Any network use in a process started with this module is recorded and fails.
    await writeFile(
      file("no-network.mjs"),
      `import net from "node:net";
import dns from "node:dns";
import { appendFileSync } from "node:fs";
const record = (what) => appendFileSync(process.env.RK_NETWORK_LOG, what + "\\n");
const deny = (what) => function () { record(what); throw new Error("network disabled: " + what); };
net.Socket.prototype.connect = deny("net.Socket.connect");
net.connect = net.createConnection = deny("net.connect");
dns.lookup = deny("dns.lookup");
dns.promises.lookup = async () => deny("dns.promises.lookup")();
globalThis.fetch = async () => deny("fetch")();
globalThis.WebSocket = function () { deny("WebSocket")(); };
`,
    );
  }, 180_000);

  afterAll(async () => {
    await devnet?.stop();
  });

  it("creates encrypted keystores: imports from the environment (never argv), a new submitter key", async () => {
    for (const role of ["signer1", "signer2", "signer3", "outsider", "keeper"] as const) {
      const r = await ok(
        ["keystore", "import", "--out", file(`${role}.keystore.json`), "--light-kdf", "--json"],
        {
          RESERVE_KEEPER_IMPORT_KEY: devnetPrivateKey(role),
        },
      );
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, address: addressOf(role) });
      expect((await stat(file(`${role}.keystore.json`))).mode & 0o777).toBe(0o600);
    }
    const created = await ok([
      "keystore",
      "new",
      "--out",
      file("submitter.keystore.json"),
      "--light-kdf",
      "--json",
    ]);
    submitter = getAddress(JSON.parse(created.stdout).address);
    // Any account with gas may submit: fund the new one.
    for (const chain of ["home", "remote"] as const) {
      await client(chain).request({
        method: "hardhat_setBalance" as never,
        params: [submitter, "0x56BC75E2D63100000"] as never,
      });
    }
    const again = await admin(["keystore", "new", "--out", file("submitter.keystore.json"), "--light-kdf"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
    // A key on the command line is not an option.
    const argvKey = await admin([
      "keystore",
      "import",
      "--out",
      file("x.json"),
      "--key",
      devnetPrivateKey("bob"),
    ]);
    expect(argvKey.code).toBe(2);
  }, 120_000);

  it("status: both breakers active, 2-of-3 signer set, next nonce 0", async () => {
    const r = await ok(["status", "--asset", "dusd", "--json"]);
    const status = JSON.parse(r.stdout);
    const set = sortAddresses([addressOf("signer1"), addressOf("signer2"), addressOf("signer3")]);
    expect(status.chains).toHaveLength(2);
    for (const c of status.chains) {
      expect(c).toMatchObject({ ok: true, paused: false, signers: set, threshold: 2, nonce: "0" });
    }
    const text = await ok(["status", "--asset", "dusd"]);
    expect(text.stdout).toMatch(/home \(31337\).*active[\s\S]*signers +2 of 3/);
  }, 60_000);

  it("pause: the keeper signer from the config pauses every chain of the asset; published on admin.actions", async () => {
    const dry = await ok(["pause", "--asset", "dusd", "--reason", "drill", "--dry-run"], {
      RESERVE_KEEPER_SIGNER_KEY: devnetPrivateKey("keeper"),
    });
    expect(dry.stdout.match(/would pause/g)).toHaveLength(2);
    expect(await read<boolean>("home", "paused")).toBe(false);

    const r = await ok(["pause", "--asset", "dusd", "--reason", "reserve attestation overdue", "--json"], {
      RESERVE_KEEPER_SIGNER_KEY: devnetPrivateKey("keeper"),
    });
    const result = JSON.parse(r.stdout);
    expect(result.chains.map((c: { outcome: string }) => c.outcome)).toEqual(["succeeded", "succeeded"]);
    expect(await read<boolean>("home", "paused")).toBe(true);
    expect(await read<boolean>("remote", "paused")).toBe(true);
    const logs = r.stderr
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l));
    expect(logs.filter((l) => l.msg === "admin action" && l.outcome === "succeeded")).toHaveLength(2);
    expect(
      logs.filter((l) => l.msg === "admin action published" && l.topic === "admin.actions"),
    ).toHaveLength(2);
    const receipt = await client("home").getTransactionReceipt({ hash: result.chains[0].txHash });
    const [paused] = parseEventLogs({
      abi: reserveCircuitBreakerAbi,
      logs: receipt.logs,
      eventName: "BreakerPaused",
    });
    expect(paused?.args.reason).toBe("admin: reserve attestation overdue");
    // A second pause is a no-op, and an account without KEEPER_ROLE is told so.
    const again = await ok(["pause", "--asset", "dusd", "--chain", "home", "--reason", "again"], {
      RESERVE_KEEPER_SIGNER_KEY: devnetPrivateKey("keeper"),
    });
    expect(again.stdout).toMatch(/already paused/);
    const stranger = await admin([
      "pause",
      "--asset",
      "dusd",
      "--reason",
      "x",
      "--keystore",
      file("submitter.keystore.json"),
    ]);
    expect(stranger.code).toBe(1);
    expect(stranger.stdout).toMatch(/lacks KEEPER_ROLE/);
  }, 120_000);

  it("prepare writes the EIP-712 request read from chain; two admins sign it OFFLINE", async () => {
    const prepared = await ok([
      "unpause",
      "prepare",
      "--asset",
      "dusd",
      "--chain",
      "home",
      "--reason",
      "reserves restored, attested 2025-06-01",
      "--ttl",
      "1h",
      "--out",
      file("req.json"),
      "--json",
    ]);
    expect(JSON.parse(prepared.stdout)).toMatchObject({ ok: true, path: file("req.json") });
    const request = JSON.parse(await readFile(file("req.json"), "utf8"));
    const block = await client("home").getBlock();
    expect(request).toMatchObject({
      kind: "unpause",
      chainId: 31337,
      breaker: breakerOf("home"),
      reason: "reserves restored, attested 2025-06-01",
      nonce: "0",
      typedData: {
        domain: {
          name: "ReserveCircuitBreaker",
          version: "1",
          chainId: 31337,
          verifyingContract: breakerOf("home"),
        },
        primaryType: "Unpause",
        message: { breaker: breakerOf("home"), chainId: "31337", nonce: "0", deadline: request.deadline },
      },
    });
    expect(Number(request.deadline) - Number(block.timestamp)).toBeGreaterThan(3_500);
    expect(Number(request.deadline) - Number(block.timestamp)).toBeLessThanOrEqual(3_600);
    const onChainDigest = await client("home").readContract({
      address: breakerOf("home"),
      abi: reserveCircuitBreakerAbi,
      functionName: "unpauseDigest",
      args: [0n, BigInt(request.deadline), request.reasonHash],
    });
    expect(request.digest).toBe(onChainDigest);

    // The guard works: a command that needs the chain fails in such a process and is recorded.
    const guarded = await runCli(["admin", "status", "--asset", "dusd", "--config", config], offlineEnv());
    expect(guarded.code).toBe(1);
    expect(await readFile(file("network-attempts.log"), "utf8")).not.toBe("");
    await writeFile(file("network-attempts.log"), "");

    const s1 = await signOffline(
      "unpause",
      file("req.json"),
      file("signer1.keystore.json"),
      file("s1.sig.json"),
    );
    expect(s1.stdout).toContain(`${addressOf("signer1")} signed unpause digest ${request.digest}`);
    expect(s1.stderr).toContain("UNPAUSE breaker of dusd on chain home (31337)");
    await signOffline("unpause", file("req.json"), file("signer2.keystore.json"), file("s2.sig.json"));
    await signOffline("unpause", file("req.json"), file("outsider.keystore.json"), file("foreign.sig.json"));
    const sig = JSON.parse(await readFile(file("s2.sig.json"), "utf8"));
    expect(sig).toMatchObject({ signer: addressOf("signer2"), digest: request.digest });
    expect(sig.signature).toMatch(/^0x[0-9a-f]{130}$/);

    // Signatures for the same asset on the other chain (other breaker, other chain id).
    await ok([
      "unpause",
      "prepare",
      "--asset",
      "dusd",
      "--chain",
      "remote",
      "--reason",
      "reserves restored, attested 2025-06-01",
      "--out",
      file("remote-req.json"),
    ]);
    await signOffline("unpause", file("remote-req.json"), file("signer1.keystore.json"), file("r1.sig.json"));
    await signOffline("unpause", file("remote-req.json"), file("signer2.keystore.json"), file("r2.sig.json"));
  }, 180_000);

  const submit = (request: string, signatures: string[], from = "submitter", ...more: string[]) => [
    "unpause",
    "submit",
    "--request",
    file(request),
    "--signatures",
    signatures.map(file).join(","),
    "--from-keystore",
    file(`${from}.keystore.json`),
    ...more,
  ];

  it("refuses one signature short; nothing is sent", async () => {
    await expectRefused(submit("req.json", ["s1.sig.json"]), ["INSUFFICIENT_SIGNATURES"]);
  }, 60_000);

  it("refuses a foreign keystore's signature (a key not in the signer set)", async () => {
    const result = await expectRefused(submit("req.json", ["s1.sig.json", "foreign.sig.json"]), [
      "UNKNOWN_SIGNER",
      "INSUFFICIENT_SIGNATURES",
    ]);
    expect(result.refusals[0].message).toContain(addressOf("outsider"));
  }, 60_000);

  it("refuses signatures made for another chain and breaker", async () => {
    const result = await expectRefused(submit("req.json", ["r1.sig.json", "r2.sig.json"]), [
      "SIGNATURE_FOR_OTHER_REQUEST",
      "SIGNATURE_FOR_OTHER_REQUEST",
      "INSUFFICIENT_SIGNATURES",
    ]);
    expect(result.refusals[0].message).toContain("chain 31338");
    expect(result.refusals[0].message).toContain(breakerOf("remote"));
  }, 60_000);

  it("refuses a keeper as submitter, and an RPC endpoint serving another chain", async () => {
    await expectRefused(
      submit("req.json", ["s1.sig.json", "s2.sig.json"], "keeper"),
      ["SUBMITTER_IS_KEEPER"],
      {},
      addressOf("keeper"),
    );
    await expectRefused(submit("req.json", ["s1.sig.json", "s2.sig.json"]), ["CHAIN_ID_MISMATCH"], {
      RESERVE_KEEPER__CHAINS__HOME__RPC__HTTP: devnet.manifest.chains[1]!.rpcHttpUrl,
    });
  }, 60_000);

  it("dry run: verifies and simulates, sends nothing", async () => {
    const before = await txCount(submitter);
    const r = await ok(submit("req.json", ["s2.sig.json", "s1.sig.json"], "submitter", "--dry-run"));
    expect(r.stdout).toMatch(/passes every check and simulates; nothing was sent/);
    expect(await txCount(submitter)).toBe(before);
    expect(await read<boolean>("home", "paused")).toBe(true);
  }, 60_000);

  it("two signatures (in any order) unpause the breaker; the tx is printed", async () => {
    const before = await txCount(submitter);
    const r = await ok(submit("req.json", ["s2.sig.json", "s1.sig.json"], "submitter", "--json"));
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({
      ok: true,
      outcome: "succeeded",
      chainId: 31337,
      nonce: "0",
      published: true,
    });
    expect(result.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await read<boolean>("home", "paused")).toBe(false);
    expect(await read<boolean>("remote", "paused")).toBe(true);
    expect(await read<bigint>("home", "nonce")).toBe(1n);
    expect(await txCount(submitter)).toBe(before + 1);
    const receipt = await client("home").getTransactionReceipt({ hash: result.txHash });
    expect(getAddress(receipt.from)).toBe(submitter);
    const [event] = parseEventLogs({
      abi: reserveCircuitBreakerAbi,
      logs: receipt.logs,
      eventName: "BreakerUnpaused",
    });
    expect(event?.args.signers).toEqual(sortAddresses([addressOf("signer1"), addressOf("signer2")]));
    expect(event?.args.submittedBy).toBe(submitter);
  }, 60_000);

  it("refuses the same request replayed after success (paused again)", async () => {
    await pauseHome("paused again after the unpause");
    const result = await expectRefused(submit("req.json", ["s1.sig.json", "s2.sig.json"]), ["NONCE_USED"]);
    expect(result.refusals[0].message).toMatch(/nonce 0 was already consumed \(the breaker is at nonce 1\)/);
    expect(await read<boolean>("home", "paused")).toBe(true);
  }, 60_000);

  it("refuses an expired request (short TTL, then the chain's clock moves past the deadline)", async () => {
    await ok([
      "unpause",
      "prepare",
      "--asset",
      "dusd",
      "--chain",
      "home",
      "--reason",
      "short-lived",
      "--ttl",
      "60s",
      "--out",
      file("short.json"),
    ]);
    await signOffline("unpause", file("short.json"), file("signer1.keystore.json"), file("short1.sig.json"));
    await signOffline("unpause", file("short.json"), file("signer2.keystore.json"), file("short2.sig.json"));
    const deadline = BigInt(JSON.parse(await readFile(file("short.json"), "utf8")).deadline);
    await client("home").request({ method: "evm_increaseTime" as never, params: [3_600] as never });
    await client("home").request({ method: "evm_mine" as never, params: [] as never });
    expect((await client("home").getBlock()).timestamp).toBeGreaterThan(deadline);
    const result = await expectRefused(submit("short.json", ["short1.sig.json", "short2.sig.json"]), [
      "EXPIRED",
    ]);
    expect(result.refusals[0].message).toContain(`expired at ${deadline}`);
  }, 120_000);

  it("rotates the signer set by quorum; the removed signer is then refused and the new set unpauses", async () => {
    const newSet = sortAddresses([addressOf("signer2"), addressOf("signer3"), addressOf("outsider")]);
    await ok([
      "signers",
      "propose",
      "--asset",
      "dusd",
      "--chain",
      "home",
      "--signers",
      [addressOf("outsider"), addressOf("signer3"), addressOf("signer2")].join(","),
      "--threshold",
      "2",
      "--reason",
      "retire signer1",
      "--out",
      file("rotate.json"),
    ]);
    const rotate = JSON.parse(await readFile(file("rotate.json"), "utf8"));
    expect(rotate).toMatchObject({ kind: "updateSigners", nonce: "1", newSigners: newSet, newThreshold: 2 });
    await signOffline("signers", file("rotate.json"), file("signer1.keystore.json"), file("rot1.sig.json"));
    await signOffline("signers", file("rotate.json"), file("signer2.keystore.json"), file("rot2.sig.json"));
    // An unpause command does not take a signer-set request.
    const wrongKind = await admin(submit("rotate.json", ["rot1.sig.json", "rot2.sig.json"]));
    expect(wrongKind.code).toBe(2);
    expect(wrongKind.stderr).toMatch(/is a updateSigners request: use `reserve-keeper admin signers/);

    const rotated = await ok([
      "signers",
      "submit",
      "--request",
      file("rotate.json"),
      "--signatures",
      `${file("rot1.sig.json")},${file("rot2.sig.json")}`,
      "--from-keystore",
      file("submitter.keystore.json"),
      "--json",
    ]);
    expect(JSON.parse(rotated.stdout)).toMatchObject({ outcome: "succeeded", kind: "updateSigners" });
    expect(await read<Address[]>("home", "signers")).toEqual(newSet);
    expect(await read<bigint>("home", "nonce")).toBe(2n);
    const status = JSON.parse((await ok(["status", "--asset", "dusd", "--chain", "home", "--json"])).stdout);
    expect(status.chains[0]).toMatchObject({ signers: newSet, threshold: 2, nonce: "2", paused: true });

    // The old signer1 no longer counts.
    await ok([
      "unpause",
      "prepare",
      "--asset",
      "dusd",
      "--chain",
      "home",
      "--reason",
      "after rotation",
      "--out",
      file("after.json"),
    ]);
    await signOffline("unpause", file("after.json"), file("signer1.keystore.json"), file("after1.sig.json"));
    await signOffline("unpause", file("after.json"), file("signer2.keystore.json"), file("after2.sig.json"));
    const refused = await expectRefused(submit("after.json", ["after1.sig.json", "after2.sig.json"]), [
      "UNKNOWN_SIGNER",
      "INSUFFICIENT_SIGNATURES",
    ]);
    expect(refused.refusals[0].message).toContain(addressOf("signer1"));
    // The new member (the former outsider) and signer2 make a quorum.
    await signOffline("unpause", file("after.json"), file("outsider.keystore.json"), file("after3.sig.json"));
    await ok(submit("after.json", ["after3.sig.json", "after2.sig.json"]));
    expect(await read<boolean>("home", "paused")).toBe(false);
  }, 180_000);

  it("never writes a key or a password to stdout, stderr, request or signature files", async () => {
    expect(runs.length).toBeGreaterThan(30);
    for (const r of runs) {
      for (const s of secrets) {
        expect(r.stdout.toLowerCase()).not.toContain(s.toLowerCase());
        expect(r.stderr.toLowerCase()).not.toContain(s.toLowerCase());
      }
    }
    const files = (await readdir(devnet.dir)).filter((f) => f.endsWith(".json"));
    expect(files.filter((f) => f.endsWith(".sig.json")).length).toBeGreaterThan(8);
    for (const f of files) {
      const text = (await readFile(file(f), "utf8")).toLowerCase();
      for (const s of secrets) expect(text, f).not.toContain(s.toLowerCase());
    }
  });
});

import { createPublicClient, getAddress, http, keccak256, parseEventLogs, toHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevnetManifest } from "../../deploy/devnet/manifest.ts";
import { runCli } from "../helpers/cli.ts";
import { type Devnet, startDevnet } from "../helpers/keeperHarness.ts";

// End to end over JSON-RPC: two real `hardhat node` processes started by the CLI, as a user would.
describe("devnet (two hardhat nodes, CLI over JSON-RPC)", () => {
  let devnet: Devnet | undefined;
  let manifest: DevnetManifest;
  const m = () => devnet!.m;
  const status = async () => {
    const r = await runCli(["devnet", "status", "--asset", "dusd", "--json", ...m()]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };

  beforeAll(async () => {
    devnet = await startDevnet({ tmpPrefix: "rk-devnet-" });
    manifest = devnet.manifest;
  }, 180_000);

  afterAll(async () => {
    await devnet?.stop();
  });

  it("writes a manifest with both chains, every contract and the role holders", () => {
    expect(manifest.chains.map((c) => [c.name, c.chainId])).toEqual([
      ["home", 31337],
      ["remote", 31338],
    ]);
    const dusd = manifest.assets.find((a) => a.id === "dusd");
    expect(dusd?.chains.map((c) => c.chain)).toEqual(["home", "remote"]);
    const home = dusd!.chains[0]!;
    for (const k of [
      "token",
      "breaker",
      "gate",
      "redeemer",
      "verifier",
      "minter",
      "feed",
      "aggregator",
    ] as const) {
      expect(home[k], k).toMatch(/^0x[0-9a-fA-F]{40}$/);
    }
    expect(dusd!.chains[1]!.verifier).toBeUndefined();
    expect(manifest.unpause.threshold).toBe(2);
    expect(manifest.unpause.signers.map((s) => BigInt(s))).toEqual(
      [...manifest.unpause.signers].map((s) => BigInt(s)).sort((a, b) => (a < b ? -1 : 1)),
    );
  });

  it("reports dusd healthy and unpaused on both chains after bring-up", async () => {
    const s = await status();
    expect(s.status).toBe("Healthy");
    expect(s.verifierStatus).toBe("Healthy");
    expect(s.chains.map((c: { chain: string; paused: boolean }) => [c.chain, c.paused])).toEqual([
      ["home", false],
      ["remote", false],
    ]);
    // 10,000,000 reserves vs 4,000,000 + 2,000,000 supply (6 decimals).
    expect(s.reserves).toBe("10000000000000");
    expect(s.totalSupply).toBe("6000000000000");
    expect(s.ratioBps).toBe("16666");
  });

  it("mints and burns on both chains and the supply follows", async () => {
    let r = await runCli([
      "devnet",
      "mint",
      "--asset",
      "dusd",
      "--chain",
      "remote",
      "--to",
      "carol",
      "--amount",
      "1000",
      ...m(),
    ]);
    expect(r.code, r.stderr).toBe(0);
    r = await runCli([
      "devnet",
      "burn",
      "--asset",
      "dusd",
      "--chain",
      "home",
      "--from",
      "alice",
      "--amount",
      "1000",
      ...m(),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const s = await status();
    expect(s.totalSupply).toBe("6000000000000");
    expect(s.chains.map((c: { supply: string }) => c.supply)).toEqual(["3999000000000", "2001000000000"]);
  });

  it("refuses a Secure-Mint above reserves with the contract's reason", async () => {
    const r = await runCli([
      "devnet",
      "mint",
      "--asset",
      "dusd",
      "--chain",
      "home",
      "--to",
      "alice",
      "--amount",
      "7000000",
      ...m(),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("InsufficientReserves");
  });

  it("rejects bad arguments with the field named and exit code 2 or 1", async () => {
    const unknownOpt = await runCli(["devnet", "status", "--asset", "dusd", "--bogus", ...m()]);
    expect(unknownOpt.code).toBe(2);
    expect(unknownOpt.stderr).toContain("--bogus");
    const missing = await runCli(["devnet", "set-reserves", "--asset", "dusd", ...m()]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--amount");
    const badAmount = await runCli(["devnet", "set-reserves", "--asset", "dusd", "--amount=-5", ...m()]);
    expect(badAmount.code).toBe(1);
    expect(badAmount.stderr).toContain('--amount "-5" is not a positive decimal number');
    const tooPrecise = await runCli([
      "devnet",
      "mint",
      "--asset",
      "dusd",
      "--chain",
      "home",
      "--to",
      "alice",
      "--amount",
      "1.1234567",
      ...m(),
    ]);
    expect(tooPrecise.code).toBe(1);
    expect(tooPrecise.stderr).toContain("more than 6 decimal places");
    const badAsset = await runCli(["devnet", "status", "--asset", "eurx", ...m()]);
    expect(badAsset.code).toBe(1);
    expect(badAsset.stderr).toContain('Unknown asset "eurx"');
    const badChain = await runCli([
      "devnet",
      "mint",
      "--asset",
      "dusd",
      "--chain",
      "mars",
      "--to",
      "alice",
      "--amount",
      "1",
      ...m(),
    ]);
    expect(badChain.code).toBe(1);
    expect(badChain.stderr).toContain('"mars"');
    const badAccount = await runCli([
      "devnet",
      "mint",
      "--asset",
      "dusd",
      "--chain",
      "home",
      "--to",
      "mallory",
      "--amount",
      "1",
      ...m(),
    ]);
    expect(badAccount.code).toBe(1);
    expect(badAccount.stderr).toContain('--to "mallory"');
  });

  it("after reserves drop below supply, status is Undercollateralized and a no-role account trips the home breaker", async () => {
    const r = await runCli(["devnet", "set-reserves", "--asset", "dusd", "--amount", "3000000", ...m()]);
    expect(r.code, r.stderr).toBe(0);
    const s = await status();
    expect(s.status).toBe("Undercollateralized");
    expect(s.verifierStatus).toBe("Undercollateralized");
    expect(s.chains[0].paused).toBe(false);

    const home = manifest.chains[0]!;
    const breaker = manifest.assets[0]!.chains[0]!.breaker;
    const outsider = manifest.accounts.outsider!;
    const client = createPublicClient({ transport: http(home.rpcHttpUrl) });
    const { reserveCircuitBreakerAbi } = await import("../../keeper/abi/index.ts");
    // The outsider holds no role at all on the breaker.
    for (const role of [keccak256(toHex("KEEPER_ROLE")), `0x${"00".repeat(32)}` as const]) {
      expect(
        await client.readContract({
          address: breaker,
          abi: reserveCircuitBreakerAbi,
          functionName: "hasRole",
          args: [role, outsider],
        }),
      ).toBe(false);
    }

    const t = await runCli([
      "devnet",
      "trip",
      "--asset",
      "dusd",
      "--chain",
      "home",
      "--from",
      "outsider",
      ...m(),
    ]);
    expect(t.code, t.stderr).toBe(0);
    const hash = t.stdout.match(/tx (0x[0-9a-f]{64})/)?.[1] as `0x${string}`;
    const receipt = await client.getTransactionReceipt({ hash });
    expect(getAddress(receipt.from)).toBe(outsider);
    const [tripped] = parseEventLogs({
      abi: reserveCircuitBreakerAbi,
      logs: receipt.logs,
      eventName: "BreakerTripped",
    });
    expect(tripped?.args.by).toBe(outsider);
    expect(tripped?.args.status).toBe(1); // Undercollateralized
    expect(tripped?.args.reserves).toBe(3_000_000_000_000n);
    expect(
      await client.readContract({ address: breaker, abi: reserveCircuitBreakerAbi, functionName: "paused" }),
    ).toBe(true);

    const after = await status();
    expect(after.chains.map((c: { paused: boolean }) => c.paused)).toEqual([true, false]);
  });

  it("a 2-of-3 signed unpause (devnet signers) resumes the home breaker and consumes the nonce", async () => {
    const u = await runCli([
      "devnet",
      "unpause",
      "--asset",
      "dusd",
      "--chain",
      "home",
      "--reason",
      "reserves restored",
      ...m(),
    ]);
    expect(u.code, u.stderr).toBe(0);
    const s = await status();
    expect(s.chains.map((c: { paused: boolean }) => c.paused)).toEqual([false, false]);
    const again = await runCli([
      "devnet",
      "unpause",
      "--asset",
      "dusd",
      "--chain",
      "home",
      "--reason",
      "again",
      ...m(),
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("ExpectedPause");
  });
});

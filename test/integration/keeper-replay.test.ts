// `reserve-keeper replay` as a user runs it (a child process) over a devnet's recorded history: mints on
// both chains, then the reserves fall below supply and recover. Deterministic output, decisions in
// order, bigints as decimal strings, and bad command lines rejected with exit code 2.
import { createPublicClient, http } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mint, setReserves, type TxResult } from "../../deploy/devnet/scenario.ts";
import { runCli } from "../helpers/cli.ts";
import { type Devnet, startDevnet, waitFor } from "../helpers/keeperHarness.ts";
import { writeKeeperConfigFile } from "../helpers/keeperProcess.ts";

const asset = "dusd";
const DIGITS = /^\d+$/;

/** One NDJSON line as printed (bigints are decimal strings). */
type Line = {
  assetId: string;
  trigger: { id: string; type: string; chainId: number; block: string };
  at: string;
  decision: {
    type: string;
    decidedAt: string;
    shouldPause: boolean;
    reserves?: string;
    supply?: string;
    ratioBps?: string;
    inputs: {
      reserve?: { answer: string; block: { number: string; hash: string } };
      supplies: { chainId: number; totalSupply: string; block: { number: string } }[];
    };
  };
};

describe("reserve-keeper replay (devnet, real nodes)", () => {
  let devnet: Devnet;
  let configPath: string;
  let from: bigint;
  let to: bigint;
  const tx: Record<"homeMint" | "remoteMint" | "shortfall" | "recovered", TxResult> = {} as never;

  beforeAll(async () => {
    devnet = await startDevnet();
    configPath = await writeKeeperConfigFile(devnet, "replay");
    const [home, remote] = devnet.manifest.chains.map((c) =>
      createPublicClient({ transport: http(c.rpcHttpUrl) }),
    ) as [ReturnType<typeof createPublicClient>, ReturnType<typeof createPublicClient>];
    from = await home.getBlockNumber();
    // Bring-up state: reserves 10,000,000; supply 4,000,000 (home) + 2,000,000 (remote).
    tx.homeMint = await mint(devnet.manifest, { asset, chain: "home", to: "alice", amount: "1000" });
    tx.remoteMint = await mint(devnet.manifest, { asset, chain: "remote", to: "bob", amount: "2000" });
    // Replay orders the chains by block timestamp (ties: by chain id): let the home chain move past the
    // remote mint's second, so the shortfall comes after the mint in the replay as it did here.
    const mintedAt = (await remote.getBlock({ blockNumber: tx.remoteMint.blockNumber })).timestamp;
    await waitFor("a home block after the remote mint's timestamp", async () =>
      (await home.getBlock()).timestamp > mintedAt ? true : undefined,
    );
    tx.shortfall = await setReserves(devnet.manifest, asset, "5000000"); // 5,000,000 < 6,003,000: breach
    tx.recovered = await setReserves(devnet.manifest, asset, "7000000"); // 116 %: healthy again
    to = tx.recovered.blockNumber;
  }, 180_000);

  afterAll(async () => {
    await devnet?.stop();
  });

  const replay = (args: string[]) => runCli(["replay", ...args]);

  it("prints the same bytes on every run: NDJSON, decisions in order, healthy → breach → healthy", async () => {
    const args = ["--config", configPath, "--from", String(from), "--to", String(to)];
    const first = await replay(args);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const second = await replay(args);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);

    expect(first.stdout.endsWith("\n")).toBe(true);
    const lines = first.stdout
      .slice(0, -1)
      .split("\n")
      .map((l) => JSON.parse(l) as Line);

    // Decision time is the trigger block's timestamp, never the wall clock; lines are in time order.
    for (const l of lines) {
      expect(l.assetId).toBe(asset);
      expect(l.at).toMatch(DIGITS);
      expect(l.decision.decidedAt).toBe(l.at);
      expect(l.trigger.block).toMatch(DIGITS);
      if (l.decision.reserves !== undefined) {
        expect(l.decision.reserves).toMatch(DIGITS);
        expect(l.decision.supply).toMatch(DIGITS);
        expect(l.decision.ratioBps).toMatch(DIGITS);
      }
      for (const s of l.decision.inputs.supplies) expect(s.totalSupply).toMatch(DIGITS);
    }
    const times = lines.map((l) => BigInt(l.at));
    expect(times).toEqual([...times].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(lines.map((l) => l.trigger.id)).size).toBe(lines.length);

    // The state moves as the chains did: unknown until every input is read, then healthy → breach → healthy.
    const types = lines.map((l) => l.decision.type).filter((t, i, all) => i === 0 || all[i - 1] !== t);
    expect(types).toEqual(["unknown", "healthy", "breach", "healthy"]);

    const triggeredBy = (r: TxResult, chainId: number) =>
      lines.filter((l) => l.trigger.chainId === chainId && l.trigger.block === String(r.blockNumber));
    const [homeId, remoteId] = devnet.manifest.chains.map((c) => c.chainId) as [number, number];

    const [homeMint] = triggeredBy(tx.homeMint, homeId);
    expect(homeMint?.trigger.type).toBe("supply.observed");
    expect(homeMint?.decision.type).toBe("healthy");
    expect(homeMint?.decision.inputs.supplies.find((s) => s.chainId === homeId)?.totalSupply).toBe(
      String(4_001_000n * 10n ** 6n),
    );

    const [remoteMint] = triggeredBy(tx.remoteMint, remoteId);
    expect(remoteMint?.trigger.type).toBe("supply.observed");
    expect(remoteMint?.decision.type).toBe("healthy");
    expect(remoteMint?.decision.supply).toBe(String(6_003_000n * 10n ** 18n));

    const [shortfall] = triggeredBy(tx.shortfall, homeId);
    expect(shortfall?.trigger.type).toBe("reserve.observed");
    expect(shortfall?.decision).toMatchObject({
      type: "breach",
      shouldPause: true,
      reserves: String(5_000_000n * 10n ** 18n),
      supply: String(6_003_000n * 10n ** 18n),
      ratioBps: String((5_000_000n * 10_000n) / 6_003_000n),
    });
    expect(shortfall?.decision.inputs.reserve?.answer).toBe(String(5_000_000n * 10n ** 8n));

    const [recovered] = triggeredBy(tx.recovered, homeId);
    expect(recovered?.trigger.type).toBe("reserve.observed");
    expect(recovered?.decision).toMatchObject({ type: "healthy", shouldPause: false });
    expect(lines.at(-1)).toEqual(recovered);
  }, 120_000);

  it("a range that ends before the shortfall shows no breach", async () => {
    const { code, stdout } = await replay([
      "--config",
      configPath,
      "--from",
      String(from),
      "--to",
      String(tx.shortfall.blockNumber - 1n),
    ]);
    expect(code).toBe(0);
    const types = stdout
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as Line).decision.type);
    expect(types.at(-1)).toBe("healthy");
    expect(types).not.toContain("breach");
  }, 60_000);

  it.each([
    [
      "--from after --to",
      () => ["--config", configPath, "--from", String(to), "--to", String(from)],
      "--from",
    ],
    ["a non-numeric --from", () => ["--config", configPath, "--from", "abc", "--to", String(to)], "--from"],
    ["a negative --to", () => ["--config", configPath, "--from", "1", "--to", "-5"], "--to"],
    ["no --config", () => ["--from", "1", "--to", "2"], "--config"],
    ["no --to", () => ["--config", configPath, "--from", "1"], "--to"],
    ["an unknown option", () => ["--config", configPath, "--from", "1", "--to", "2", "--frm", "3"], "--frm"],
  ])("rejects %s with exit code 2, naming the option", async (_what, args, option) => {
    const { code, stdout, stderr } = await replay(args());
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.split("\n")[0]).toContain(option);
    expect(stderr).toContain("replay --config");
  });
});

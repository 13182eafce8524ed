import { createPublicClient, http, parseEventLogs } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mint, setReserves, unpause } from "../../deploy/devnet/scenario.ts";
import { reserveCircuitBreakerAbi } from "../../keeper/abi/index.ts";
import type { Envelope } from "../../keeper/bus/types.ts";
import {
  type Devnet,
  devnetConfig,
  type KeeperRun,
  startDevnet,
  startTestKeeper,
  waitFor,
} from "../helpers/keeperHarness.ts";

// The keeper against a real two-chain devnet (hardhat nodes, 1 s interval mining) with the in-process bus.
describe("keeper pauses on shortfall (devnet, real nodes)", () => {
  let devnet: Devnet;
  let run: KeeperRun;
  const asset = "dusd";
  const home = () => devnet.manifest.chains[0]!;
  const remote = () => devnet.manifest.chains[1]!;
  const breakerOf = (chain: number) => devnet.manifest.assets[0]!.chains[chain]!.breaker;
  const clientOf = (chain: number) =>
    createPublicClient({ transport: http(devnet.manifest.chains[chain]!.rpcHttpUrl) });
  const paused = (chain: number) =>
    clientOf(chain).readContract({
      address: breakerOf(chain),
      abi: reserveCircuitBreakerAbi,
      functionName: "paused",
    });
  const since = (from: number) => run.messages.slice(from);
  const minedOn = (msgs: Envelope[], chainId: number) =>
    msgs.find((m) => m.type === "pause.mined" && m.payload.chainId === chainId) as
      | Envelope<"pause.mined">
      | undefined;

  beforeAll(async () => {
    devnet = await startDevnet();
    run = await startTestKeeper(devnetConfig(devnet));
    await waitFor("a healthy decision", () =>
      run.messages.find((m) => m.type === "decision" && m.payload.type === "healthy"),
    );
  }, 180_000);

  afterAll(async () => {
    await run?.stop();
    await devnet?.stop();
  });

  /** Back to healthy and unpaused on both chains, waiting until the keeper has seen it. */
  async function restore(): Promise<void> {
    const mark = run.messages.length;
    await setReserves(devnet.manifest, asset, "10000000");
    for (const chain of ["home", "remote"] as const) {
      if (await paused(chain === "home" ? 0 : 1)) {
        await unpause(devnet.manifest, { asset, chain, reason: "test: reserves restored" });
      }
    }
    await waitFor("healthy again", () =>
      since(mark).find((m) => m.type === "decision" && m.payload.type === "healthy"),
    );
  }

  it("pauses home and remote when reserves drop below supply; home pause mined in the block after AnswerUpdated (20 trials)", async () => {
    const gaps: bigint[] = [];
    for (let trial = 0; trial < 20; trial++) {
      const mark = run.messages.length;
      const answer = await setReserves(devnet.manifest, asset, String(3_000_000 + trial));
      const homeMined = await waitFor(`trial ${trial}: home pause mined`, () =>
        minedOn(since(mark), home().chainId),
      );
      const remoteMined = await waitFor(`trial ${trial}: remote pause mined`, () =>
        minedOn(since(mark), remote().chainId),
      );
      gaps.push(homeMined.payload.blockNumber - answer.blockNumber);

      // The decision is on reserve.decisions, the pause on breaker.events with its tx hash.
      const breach = since(mark).find((m) => m.type === "decision" && m.payload.type === "breach");
      expect(breach, `trial ${trial}`).toBeDefined();
      expect(homeMined.payload.decisionId).toBe(breach!.id);
      const receipt = await clientOf(0).getTransactionReceipt({ hash: homeMined.payload.txHash });
      const [ev] = parseEventLogs({
        abi: reserveCircuitBreakerAbi,
        logs: receipt.logs,
        eventName: "BreakerPaused",
      });
      expect(ev?.args.by).toBe(devnet.manifest.accounts.keeper);
      expect(receipt.blockNumber).toBe(homeMined.payload.blockNumber);
      expect(remoteMined.payload.txHash).toMatch(/^0x[0-9a-f]{64}$/);
      expect(await paused(0)).toBe(true);
      expect(await paused(1)).toBe(true);
      await restore();
    }
    expect(gaps.map(String)).toEqual(gaps.map(() => "1"));
  }, 600_000);

  it("pauses when a mint on the remote chain pushes total supply above reserves", async () => {
    // Reserves 10,000,000; supply 6,000,000 → mint 4,500,000 on remote → 10,500,000 > reserves.
    const mark = run.messages.length;
    const minted = await mint(devnet.manifest, { asset, chain: "remote", to: "carol", amount: "4500000" });
    const remoteMined = await waitFor("remote pause mined", () => minedOn(since(mark), remote().chainId));
    await waitFor("home pause mined", () => minedOn(since(mark), home().chainId));
    const breach = since(mark).find((m) => m.type === "decision" && m.payload.type === "breach") as
      | Envelope<"decision">
      | undefined;
    expect(breach?.payload.inputs.supplies.find((s) => s.chainId === remote().chainId)?.block.number).toBe(
      minted.blockNumber,
    );
    expect(remoteMined.payload.blockNumber).toBeGreaterThan(minted.blockNumber);
    expect(await paused(0)).toBe(true);
    expect(await paused(1)).toBe(true);
  }, 120_000);
});

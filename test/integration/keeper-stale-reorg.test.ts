import { createPublicClient, createWalletClient, type Hex, http, parseUnits } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setReserves, unpause } from "../../deploy/devnet/scenario.ts";
import { devPorAggregatorAbi, reserveCircuitBreakerAbi } from "../../keeper/abi/index.ts";
import type { Envelope } from "../../keeper/bus/types.ts";
import {
  type Devnet,
  devnetConfig,
  type KeeperRun,
  startDevnet,
  startTestKeeper,
  waitFor,
} from "../helpers/keeperHarness.ts";

describe("keeper: stale feed and reorgs (devnet, real nodes)", () => {
  let devnet: Devnet;
  const asset = "dusd";
  const homeUrl = () => devnet.manifest.chains[0]!.rpcHttpUrl;
  const client = () => createPublicClient({ transport: http(homeUrl()) });
  const rpc = (method: string, params: unknown[] = []) =>
    client().request({ method: method as never, params: params as never }) as Promise<unknown>;
  const paused = (chain: number) =>
    createPublicClient({ transport: http(devnet.manifest.chains[chain]!.rpcHttpUrl) }).readContract({
      address: devnet.manifest.assets[0]!.chains[chain]!.breaker,
      abi: reserveCircuitBreakerAbi,
      functionName: "paused",
    });

  beforeAll(async () => {
    devnet = await startDevnet();
  }, 180_000);
  afterAll(async () => {
    await devnet?.stop();
  });

  it("a feed that stops updating past heartbeat + grace gives a stale decision and, with staleAction pause, pauses — with no event from the chain", async () => {
    const run: KeeperRun = await startTestKeeper(
      devnetConfig(devnet, (doc) => {
        const a = doc.assets[0]!;
        Object.assign(a, { heartbeatSeconds: 4, graceSeconds: 1, staleAction: "pause" });
      }),
    );
    try {
      const fresh = await setReserves(devnet.manifest, asset, "10000000");
      const lastAnswerBlock = fresh.blockNumber;
      const stale = (await waitFor("a stale decision", () =>
        run.messages.find((m) => m.type === "decision" && m.payload.type === "stale"),
      )) as Envelope<"decision">;
      expect(stale.payload.shouldPause).toBe(true);
      expect(stale.payload.reasons[0]?.type).toBe("reserve.stale");
      // Nothing new came from the feed: the last round seen is the one we published.
      const rounds = run.messages.filter(
        (m) => m.type === "reserve.observed" && m.payload.source === "event",
      );
      expect(
        rounds.every((m) => (m as Envelope<"reserve.observed">).payload.block.number <= lastAnswerBlock),
      ).toBe(true);
      await waitFor(
        "both breakers paused",
        async () => ((await paused(0)) && (await paused(1))) || undefined,
      );
      // The receipt (and so pause.mined) can come a moment after the chain state: wait for the messages.
      const minedChains = () =>
        new Set(
          run.messages
            .filter((m) => m.type === "pause.mined")
            .map((m) => (m as Envelope<"pause.mined">).payload.chainId),
        );
      await waitFor("pause.mined on both chains", () => minedChains().size === 2 || undefined);
      const mined = run.messages.filter((m) => m.type === "pause.mined");
      expect(
        mined.every((m) => (m as Envelope<"pause.mined">).payload.decisionId.startsWith("dusd:decision:")),
      ).toBe(true);
      expect(new Set(mined.map((m) => (m as Envelope<"pause.mined">).payload.chainId)).size).toBe(2);
    } finally {
      await run.stop();
      for (const chain of ["home", "remote"] as const) {
        if (await paused(chain === "home" ? 0 : 1))
          await unpause(devnet.manifest, { asset, chain, reason: "test done" });
      }
    }
  }, 120_000);

  it("a reorg that removes the shortfall retracts the observation, and no pause happens when the policy waits for 3 confirmations", async () => {
    const run = await startTestKeeper(
      devnetConfig(devnet, (doc) => {
        doc.chains[0]!.confirmations = 3;
      }),
    );
    await waitFor("healthy", () =>
      run.messages.find((m) => m.type === "decision" && m.payload.type === "healthy"),
    );
    await rpc("evm_setIntervalMining", [0]);
    try {
      const snapshot = (await rpc("evm_snapshot")) as Hex;
      const mark = run.messages.length;
      const wallet = createWalletClient({ transport: http(homeUrl()) });
      const aggregator = devnet.manifest.assets[0]!.chains[0]!.aggregator!;
      await wallet.writeContract({
        account: devnet.manifest.accounts.feedOperator!,
        address: aggregator,
        abi: devPorAggregatorAbi,
        functionName: "submit",
        args: [parseUnits("3000000", 8)],
        chain: null,
      });
      await rpc("evm_mine");
      const breach = (await waitFor("breach decision (waiting for confirmations)", () =>
        run.messages.slice(mark).find((m) => m.type === "decision" && m.payload.type === "breach"),
      )) as Envelope<"decision">;
      const shortfallBlock = breach.payload.inputs.reserve!.block;
      await rpc("evm_mine"); // 2 confirmations: still below the policy's 3
      expect(run.messages.slice(mark).some((m) => m.type.startsWith("pause."))).toBe(false);

      await rpc("evm_revert", [snapshot]);
      // A different history: a block with another transaction, then enough blocks to pass the old height.
      await wallet.sendTransaction({
        account: devnet.manifest.accounts.alice!,
        to: devnet.manifest.accounts.bob!,
        value: 1n,
        chain: null,
      });
      for (let i = 0; i < 4; i++) await rpc("evm_mine");

      const reorg = (await waitFor("block.reorged", () =>
        run.messages.slice(mark).find((m) => m.type === "block.reorged"),
      )) as Envelope<"block.reorged">;
      expect(reorg.payload.dropped.map((b) => b.hash)).toContain(shortfallBlock.hash);
      await waitFor("healthy after the reorg", () =>
        run.messages
          .slice(run.messages.indexOf(reorg))
          .find((m) => m.type === "decision" && m.payload.type === "healthy"),
      );
      await run.running.keeper.idle();
      expect(run.messages.slice(mark).filter((m) => m.type.startsWith("pause."))).toEqual([]);
      expect(await paused(0)).toBe(false);
      expect(await paused(1)).toBe(false);
    } finally {
      await rpc("evm_setIntervalMining", [1000]);
      await run.stop();
    }
  }, 120_000);
});

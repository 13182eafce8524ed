import { type Address, createPublicClient, http, type PublicClient, webSocket } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevnetManifest } from "../../deploy/devnet/manifest.ts";
import { burn, mint, setReserves, trip } from "../../deploy/devnet/scenario.ts";
import { reserveBackedStablecoinAbi } from "../../keeper/abi/index.ts";
import type { SupplyObserved } from "../../keeper/engine/types.ts";
import { backfill } from "../../keeper/sources/backfill.ts";
import { type BreakerSource, createBreakerSource } from "../../keeper/sources/breaker.ts";
import { createSupplySource, type SupplySource } from "../../keeper/sources/supply.ts";
import { eventId, type SourceEvent } from "../../keeper/sources/types.ts";
import { type Devnet, startDevnet, waitFor as waitUntil } from "../helpers/keeperHarness.ts";

/** Polls `check` every 20 ms until it returns a value (not undefined) or 20 s pass. */
const waitFor = <T>(what: string, check: () => T | undefined | Promise<T | undefined>) =>
  waitUntil(what, check, 20_000, 20);

type ChainUnderTest = {
  name: "home" | "remote";
  chainId: number;
  token: Address;
  breaker: Address;
  http: PublicClient;
  ws: PublicClient;
  startBlock: bigint;
  supply: SupplySource;
  breakerSource: BreakerSource;
  events: SourceEvent[];
};

// Supply and breaker sources on both chains of a real devnet, then backfill over the same range.
describe("supply and breaker sources on both chains (real devnet)", () => {
  let devnet: Devnet | undefined;
  let manifest: DevnetManifest;
  const chains: ChainUnderTest[] = [];
  const byName = (name: "home" | "remote") => chains.find((c) => c.name === name)!;
  const liveSupply = (c: ChainUnderTest) =>
    c.events.filter((e): e is SupplyObserved => e.type === "supply.observed" && e.source === "event");

  beforeAll(async () => {
    devnet = await startDevnet({ tmpPrefix: "rk-sources-supply-" });
    manifest = devnet.manifest;
    for (const entry of manifest.assets[0]!.chains) {
      const chain = manifest.chains.find((c) => c.name === entry.chain)!;
      const httpClient = createPublicClient({ transport: http(chain.rpcHttpUrl), pollingInterval: 100 });
      const wsClient = createPublicClient({ transport: webSocket(chain.rpcWsUrl) });
      const startBlock = await httpClient.getBlockNumber();
      const events: SourceEvent[] = [];
      // Home subscribes over WebSocket; remote has no ws client and polls over HTTP (eth_newFilter).
      const common = {
        assetId: "dusd",
        chainId: chain.chainId,
        clients: chain.name === "home" ? { http: httpClient, ws: wsClient } : { http: httpClient },
        pollingIntervalMs: 100,
        emit: (e: SourceEvent) => events.push(e),
        startBlock,
      };
      const c: ChainUnderTest = {
        name: chain.name as "home" | "remote",
        chainId: chain.chainId,
        token: entry.token,
        breaker: entry.breaker,
        http: httpClient,
        ws: wsClient,
        startBlock,
        events,
        // Reconciles run when the test asks (periodic ones are 10 min apart), so every log below must
        // arrive through the subscription, not through a reconcile sweep.
        supply: createSupplySource({ ...common, token: entry.token, reconcileIntervalMs: 600_000 }),
        breakerSource: createBreakerSource({
          ...common,
          breaker: entry.breaker,
          reconcileIntervalMs: 600_000,
        }),
      };
      await c.supply.start();
      await c.breakerSource.start();
      chains.push(c);
    }
  }, 180_000);

  afterAll(async () => {
    for (const c of chains) {
      await c.supply.stop();
      await c.breakerSource.stop();
      await (await c.ws.transport.getRpcClient()).close();
    }
    await devnet?.stop();
  });

  it("starts from totalSupply() on each chain and reads the breakers unpaused", () => {
    expect(byName("home").supply.totalSupply()).toBe(4_000_000_000_000n);
    expect(byName("remote").supply.totalSupply()).toBe(2_000_000_000_000n);
    for (const c of chains) expect(c.breakerSource.paused()).toBe(false);
  });

  it("delivers mints and burns on both chains as supply.observed with totals matching totalSupply()", async () => {
    const actions = [
      {
        chain: "remote" as const,
        tx: () => mint(manifest, { asset: "dusd", chain: "remote", to: "carol", amount: "1000" }),
      },
      {
        chain: "home" as const,
        tx: () => burn(manifest, { asset: "dusd", chain: "home", from: "alice", amount: "2500" }),
      },
      {
        chain: "home" as const,
        tx: () => mint(manifest, { asset: "dusd", chain: "home", to: "bob", amount: "700" }),
      },
      {
        chain: "remote" as const,
        tx: () => burn(manifest, { asset: "dusd", chain: "remote", from: "bob", amount: "300" }),
      },
    ];
    for (const a of actions) {
      const result = await a.tx();
      const c = byName(a.chain);
      const hit = await waitFor(`the ${a.chain} supply log of block ${result.blockNumber}`, () =>
        liveSupply(c).find((e) => e.block.number === result.blockNumber),
      );
      const onChain = await c.http.readContract({
        address: c.token,
        abi: reserveBackedStablecoinAbi,
        functionName: "totalSupply",
        blockNumber: result.blockNumber,
      });
      expect(hit.totalSupply, `${a.chain} block ${result.blockNumber}`).toBe(onChain);
      expect(hit.logIndex).toBeTypeOf("number");
      expect(hit.tokenDecimals).toBe(6);
    }
    expect(byName("home").supply.totalSupply()).toBe(4_000_000_000_000n - 2_500_000_000n + 700_000_000n);
    expect(byName("remote").supply.totalSupply()).toBe(2_000_000_000_000n + 1_000_000_000n - 300_000_000n);
    for (const c of chains) {
      await c.supply.reconcile();
      expect(c.supply.mismatches()).toBe(0);
    }
  });

  it("delivers a permissionless trip of the home breaker as breaker.observed and paused() follows", async () => {
    await setReserves(manifest, "dusd", "3000000");
    const result = await trip(manifest, { asset: "dusd", chain: "home", from: "outsider" });
    const home = byName("home");
    const tripped = await waitFor("breaker.observed tripped", () =>
      home.events.find((e) => e.type === "breaker.observed" && e.kind === "tripped"),
    );
    expect(tripped).toMatchObject({
      chainId: home.chainId,
      breaker: home.breaker,
      by: manifest.accounts.outsider,
      txHash: result.hash,
      block: { number: result.blockNumber },
      source: "event",
      args: { status: 1, reserves: 3_000_000_000_000n },
    });
    expect(home.breakerSource.paused()).toBe(true);
    expect(byName("remote").breakerSource.paused()).toBe(false);
  });

  it("backfill over the same range yields the same ids (and totals) as the live run, without duplicates", async () => {
    for (const c of chains) {
      await c.supply.reconcile();
      await c.breakerSource.reconcile();
      const to = c.supply.coveredTo()!;
      const backfilled: SourceEvent[] = [];
      await backfill({
        assetId: "dusd",
        chainId: c.chainId,
        from: c.startBlock,
        to,
        maxLogRange: 2n,
        clients: { http: c.http },
        token: c.token,
        breaker: c.breaker,
        emit: (e) => backfilled.push(e),
      });
      const fromLogs = (events: SourceEvent[]) =>
        events
          .filter(
            (e) =>
              (e.type === "supply.observed" || e.type === "breaker.observed") &&
              e.logIndex !== undefined &&
              e.block.number <= to,
          )
          .map((e) => [eventId(e), e.type === "supply.observed" ? e.totalSupply : e.type] as const)
          .sort(([a], [b]) => (a < b ? -1 : 1));
      const live = fromLogs(c.events);
      expect(live.length, c.name).toBeGreaterThanOrEqual(c.name === "home" ? 3 : 2);
      expect(live, c.name).toEqual(fromLogs(backfilled));
      const ids = c.events.map(eventId);
      expect(new Set(ids).size, c.name).toBe(ids.length);
      // Every live log came through the subscription; none had to be recovered by a reconcile sweep.
      const sources = c.events.flatMap((e) =>
        (e.type === "supply.observed" || e.type === "breaker.observed") && e.logIndex !== undefined
          ? [e.source]
          : [],
      );
      expect(new Set(sources), c.name).toEqual(new Set(["event"]));
    }
  });
});

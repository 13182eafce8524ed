import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type Abi,
  type Address,
  createPublicClient,
  createWalletClient,
  encodeEventTopics,
  getAddress,
  type Hex,
  http,
  type PublicClient,
  webSocket,
} from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevnetManifest } from "../../deploy/devnet/manifest.ts";
import { setReserves } from "../../deploy/devnet/scenario.ts";
import { devAggregatorProxyAbi, devPorAggregatorAbi } from "../../keeper/abi/index.ts";
import { backfill } from "../../keeper/sources/backfill.ts";
import { createReserveFeedSource, type ReserveFeedSource } from "../../keeper/sources/reserveFeed.ts";
import { eventId, type SourceEvent } from "../../keeper/sources/types.ts";
import { type Devnet, startDevnet, waitFor as waitUntil } from "../helpers/keeperHarness.ts";

/** Polls `check` every 20 ms until it returns a value (not undefined) or 20 s pass. */
const waitFor = <T>(what: string, check: () => T | undefined | Promise<T | undefined>) =>
  waitUntil(what, check, 20_000, 20);

type Received = { event: SourceEvent; receivedAtMs: number };

// The PoR feed source against a real devnet (two hardhat nodes started by the CLI, one block a second).
describe("reserve feed source (real devnet)", () => {
  let devnet: Devnet | undefined;
  let manifest: DevnetManifest;
  let httpClient: PublicClient;
  let wsClient: PublicClient;
  let proxy: Address;
  let firstAggregator: Address;
  let newAggregator: Address | undefined;
  let source: ReserveFeedSource;
  let startBlock: bigint;
  const received: Received[] = [];
  /** performance.now() at which each new head arrived over ws (keyed by block number). */
  const headsAt = new Map<bigint, number>();
  let unwatchHeads: () => void = () => {};
  const wallet = () => createWalletClient({ transport: http(manifest.chains[0]!.rpcHttpUrl) });
  const live = () =>
    received.filter(
      (r): r is Received & { event: Extract<SourceEvent, { type: "reserve.observed" }> } =>
        r.event.type === "reserve.observed" && r.event.source === "event",
    );

  beforeAll(async () => {
    devnet = await startDevnet({ tmpPrefix: "rk-sources-feed-" });
    manifest = devnet.manifest;
    const chain = manifest.chains[0]!;
    const entry = manifest.assets[0]!.chains[0]!;
    proxy = entry.feed!;
    firstAggregator = entry.aggregator!;
    httpClient = createPublicClient({ transport: http(chain.rpcHttpUrl), pollingInterval: 100 });
    wsClient = createPublicClient({ transport: webSocket(chain.rpcWsUrl) });
    unwatchHeads = wsClient.watchBlockNumber({
      onBlockNumber: (n) => {
        if (!headsAt.has(n)) headsAt.set(n, performance.now());
      },
    });
    startBlock = await httpClient.getBlockNumber();
    source = createReserveFeedSource({
      assetId: "dusd",
      chainId: chain.chainId,
      proxy,
      clients: { http: httpClient, ws: wsClient },
      heartbeatSeconds: 3_600n,
      graceSeconds: 60n,
      // Periodic reconciles 10 min apart: the answers below must arrive through the subscription.
      reconcileIntervalMs: 600_000,
      now: () => BigInt(Math.floor(Date.now() / 1000)),
      emit: (event, meta) => received.push({ event, receivedAtMs: meta.receivedAtMs }),
      startBlock,
    });
    await source.start();
  }, 180_000);

  afterAll(async () => {
    await source?.stop();
    unwatchHeads();
    await (await wsClient?.transport.getRpcClient())?.close();
    await devnet?.stop();
  });

  it("turns set-reserves' AnswerUpdated into reserve.observed with the phase-encoded round id, before the next block", async () => {
    expect(source.aggregator()).toBe(firstAggregator);
    expect(source.phaseId()).toBe(1);
    const tx = await setReserves(manifest, "dusd", "5000000");
    const receipt = await httpClient.getTransactionReceipt({ hash: tx.hash });
    const hit = await waitFor("the AnswerUpdated observation", () =>
      live().find((r) => r.event.block.number === tx.blockNumber),
    );
    const aggregatorRound = await httpClient.readContract({
      address: firstAggregator,
      abi: devPorAggregatorAbi,
      functionName: "latestRound",
      blockNumber: tx.blockNumber,
    });
    const answerUpdatedTopic = encodeEventTopics({ abi: devPorAggregatorAbi, eventName: "AnswerUpdated" })[0];
    const answerLog = receipt.logs.find((l) => l.topics[0] === answerUpdatedTopic);
    expect(answerLog).toBeDefined();
    expect(hit.event).toMatchObject({
      feed: proxy,
      aggregator: firstAggregator,
      roundId: (1n << 64n) | aggregatorRound,
      answer: 5_000_000n * 10n ** 8n,
      feedDecimals: 8,
      block: { number: tx.blockNumber, hash: receipt.blockHash },
      logIndex: answerLog?.logIndex,
    });
    const block = await httpClient.getBlock({ blockNumber: tx.blockNumber });
    expect(hit.event.updatedAt).toBe(block.timestamp);
    // Detection within the block: the observation was in hand before the next head was announced.
    const nextHeadAt = await waitFor("the next head", () => headsAt.get(tx.blockNumber + 1n));
    expect(hit.receivedAtMs).toBeLessThan(nextHeadAt);
  });

  it("follows an aggregator swap: new aggregator, new decimals, round ids jump phase", async () => {
    const deployer = manifest.accounts.deployer!;
    const artifact = JSON.parse(
      await readFile(
        join(import.meta.dirname, "../../artifacts/contracts/dev/DevPorAggregator.sol/DevPorAggregator.json"),
        "utf8",
      ),
    ) as { abi: Abi; bytecode: Hex };
    const w = wallet();
    const deployHash = await w.deployContract({
      abi: artifact.abi,
      bytecode: artifact.bytecode,
      args: [18, 8_000_000n * 10n ** 18n, "DUSD PoR v2 (devnet)", deployer],
      account: deployer,
      chain: null,
    });
    const deployed = await httpClient.waitForTransactionReceipt({ hash: deployHash });
    newAggregator = getAddress(deployed.contractAddress!);
    const send = async (functionName: "proposeAggregator" | "confirmAggregator") => {
      const hash = await w.writeContract({
        address: proxy,
        abi: devAggregatorProxyAbi,
        functionName,
        args: [newAggregator!],
        account: deployer,
        chain: null,
      });
      const r = await httpClient.waitForTransactionReceipt({ hash });
      expect(r.status).toBe("success");
      return r;
    };
    await send("proposeAggregator");
    const confirmed = await send("confirmAggregator");
    await waitFor("the source to follow the new aggregator", () =>
      source.aggregator() === newAggregator ? true : undefined,
    );
    expect(source.phaseId()).toBe(2);
    // The constructor round of the new aggregator predates the swap: it is not a proxy answer.
    expect(live().some((r) => r.event.block.number === deployed.blockNumber)).toBe(false);

    const hash = await w.writeContract({
      address: newAggregator,
      abi: devPorAggregatorAbi,
      functionName: "submit",
      args: [9_000_000n * 10n ** 18n],
      account: deployer,
      chain: null,
    });
    const submitted = await httpClient.waitForTransactionReceipt({ hash });
    const hit = await waitFor("an answer from the new aggregator", () =>
      live().find((r) => r.event.block.number === submitted.blockNumber),
    );
    expect(hit.event).toMatchObject({
      aggregator: newAggregator,
      roundId: (2n << 64n) | 2n,
      answer: 9_000_000n * 10n ** 18n,
      feedDecimals: 18,
    });
    const viaProxy = await httpClient.readContract({
      address: proxy,
      abi: devAggregatorProxyAbi,
      functionName: "latestRoundData",
      blockNumber: submitted.blockNumber,
    });
    expect(viaProxy[0]).toBe(hit.event.roundId);
    expect(confirmed.blockNumber).toBeLessThan(submitted.blockNumber);
  });

  it("backfill over the range, across the swap, yields the same ids as the live run; no duplicates", async () => {
    await source.reconcile();
    const to = source.coveredTo()!;
    expect(to).toBeGreaterThan(startBlock);
    const backfilled: SourceEvent[] = [];
    const last = await backfill({
      assetId: "dusd",
      chainId: manifest.chains[0]!.chainId,
      from: startBlock,
      to,
      maxLogRange: 3n,
      clients: { http: httpClient },
      feed: { proxy },
      emit: (e) => backfilled.push(e),
    });
    expect(last).toBe(to);
    const logIds = (events: SourceEvent[]) =>
      events
        .filter((e) => e.type === "reserve.observed" && e.logIndex !== undefined && e.block.number <= to)
        .map(eventId);
    const liveIds = logIds(received.map((r) => r.event));
    expect(new Set(liveIds).size).toBe(liveIds.length);
    expect([...liveIds].sort()).toEqual([...logIds(backfilled)].sort());
    const rounds = backfilled.filter((e) => e.type === "reserve.observed" && e.logIndex !== undefined);
    expect(rounds.map((e) => (e.type === "reserve.observed" ? e.roundId >> 64n : 0n))).toEqual([1n, 2n]);
    const all = received.map((r) => eventId(r.event));
    expect(new Set(all).size).toBe(all.length);
  });

  it("reports a feed that stops updating by time alone (feed.heartbeat_missed)", async () => {
    // The devnet feed's heartbeat is an hour; a second source watching it with a 2 s heartbeat sees the
    // same feed go stale within seconds, with no new data and no reconcile due (interval: 10 minutes).
    // Devnet block timestamps run ahead of the wall clock (bring-up mines many blocks a second), so the
    // watchdog's clock is the wall clock shifted by that lead, as a keeper's clock would be on that chain.
    const head = await httpClient.getBlock();
    const lead = head.timestamp - BigInt(Math.floor(Date.now() / 1000));
    const chainNow = () => BigInt(Math.floor(Date.now() / 1000)) + (lead > 0n ? lead : 0n);
    const events: SourceEvent[] = [];
    const watchdog = createReserveFeedSource({
      assetId: "dusd",
      chainId: manifest.chains[0]!.chainId,
      proxy,
      clients: { http: httpClient, ws: wsClient },
      heartbeatSeconds: 2n,
      graceSeconds: 1n,
      reconcileIntervalMs: 600_000,
      now: chainNow,
      emit: (e) => events.push(e),
    });
    await watchdog.start();
    try {
      const [start] = events.filter((e) => e.type === "reserve.observed");
      expect(start).toBeDefined();
      const missed = await waitFor("feed.heartbeat_missed", () =>
        events.find((e) => e.type === "feed.heartbeat_missed"),
      );
      expect(missed).toMatchObject({ feed: proxy, chainId: manifest.chains[0]!.chainId });
      const updatedAt = start!.type === "reserve.observed" ? start!.updatedAt : 0n;
      expect(missed.type === "feed.heartbeat_missed" && missed.now - updatedAt).toBeGreaterThan(3n);
      expect(events.filter((e) => e.type === "reserve.observed" && e.source === "event")).toHaveLength(0);
    } finally {
      await watchdog.stop();
    }
  });
});

// The keeper as a real child process (`reserve-keeper run`) on a real two-chain devnet and a REAL Kafka
// broker (deploy/kafka: Kafka 3.9.1). Done when: "Keeper killed, events happen, keeper restarted →
// backfill finds them; no duplicate message ids on the topics". No sleeps: every wait polls a condition
// until a deadline. Needs the broker jars (`npm run kafka:fetch`, Java 17 + Maven).
import { randomUUID } from "node:crypto";
import { createPublicClient, http, parseEventLogs } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devnetPrivateKey } from "../../deploy/devnet/accounts.ts";
import { burn, mint, setReserves, type TxResult, unpause } from "../../deploy/devnet/scenario.ts";
import {
  devPorAggregatorAbi,
  reserveBackedStablecoinAbi,
  reserveCircuitBreakerAbi,
} from "../../keeper/abi/index.ts";
import { createKafkaBus, type KafkaBus } from "../../keeper/bus/kafka.ts";
import type { Bus } from "../../keeper/bus/port.ts";
import { createTopicNames, TOPIC_IDS } from "../../keeper/bus/topics.ts";
import type { Envelope } from "../../keeper/bus/types.ts";
import { startKeeper as startKeeperInProcess } from "../../keeper/main.ts";
import { createLogger } from "../../keeper/telemetry/logger.ts";
import { freePorts, type KafkaBroker, kafkaUnavailableReason, startKafkaBroker } from "../helpers/kafka.ts";
import { followTopics, readTopics, type TopicRecord } from "../helpers/kafkaTopics.ts";
import { type Devnet, startDevnet, waitFor } from "../helpers/keeperHarness.ts";
import {
  type KeeperProcess,
  sampleValue,
  startKeeperProcess,
  writeKeeperConfigFile,
} from "../helpers/keeperProcess.ts";

const asset = "dusd";
const TOKEN = 10n ** 6n; // dusd has 6 decimals
const CANONICAL = 10n ** 18n;

describe("keeper process on Kafka: SIGKILL, events while down, restart (devnet + real broker)", () => {
  let broker: KafkaBroker | undefined;
  let devnet: Devnet | undefined;
  const processes: KeeperProcess[] = [];
  const prefix = `restart-${randomUUID().slice(0, 8)}.`;
  const keeperId = `restart-keeper-${randomUUID().slice(0, 8)}`;
  const names = createTopicNames({ prefix });
  const dataTopics = [names.observations, names.decisions, names.breakerEvents, names.checkpoints];

  const d = () => devnet!;
  const chainOf = (i: number) => d().manifest.chains[i]!;
  const entryOf = (i: number) => d().manifest.assets[0]!.chains[i]!;
  const clientOf = (i: number) => createPublicClient({ transport: http(chainOf(i).rpcHttpUrl) });
  const paused = (i: number) =>
    clientOf(i).readContract({
      address: entryOf(i).breaker,
      abi: reserveCircuitBreakerAbi,
      functionName: "paused",
    });
  const supplyOf = (i: number) =>
    clientOf(i).readContract({
      address: entryOf(i).token,
      abi: reserveBackedStablecoinAbi,
      functionName: "totalSupply",
    });

  /** The event id the keeper gives the log `eventName` of `tx` (chain, block hash, log index). */
  async function logIdOf(i: number, tx: TxResult, which: "Transfer" | "AnswerUpdated"): Promise<string> {
    const receipt = await clientOf(i).getTransactionReceipt({ hash: tx.hash });
    const logs =
      which === "Transfer"
        ? parseEventLogs({
            abi: reserveBackedStablecoinAbi,
            logs: receipt.logs,
            eventName: "Transfer",
          }).filter((l) => l.address.toLowerCase() === entryOf(i).token.toLowerCase())
        : parseEventLogs({ abi: devPorAggregatorAbi, logs: receipt.logs, eventName: "AnswerUpdated" });
    expect(logs, `${which} logs of ${tx.hash}`).toHaveLength(1);
    return `${chainOf(i).chainId}:${receipt.blockHash}:${logs[0]!.logIndex}`;
  }

  async function startKeeper(configPath: string): Promise<KeeperProcess> {
    const [port] = await freePorts(1);
    const p = startKeeperProcess({
      args: ["run", "--config", configPath, "--metrics-port", String(port)],
      metricsPort: port!,
    });
    processes.push(p);
    await p.ready();
    return p;
  }

  beforeAll(async () => {
    const reason = kafkaUnavailableReason();
    if (reason) throw new Error(`Cannot run the Kafka restart test: ${reason}`);
    const [b, dn] = await Promise.allSettled([startKafkaBroker(), startDevnet()]);
    if (b.status === "fulfilled") broker = b.value;
    if (dn.status === "fulfilled") devnet = dn.value;
    if (b.status === "rejected") throw b.reason;
    if (dn.status === "rejected") throw dn.reason;
  }, 180_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.dispose()));
    await devnet?.stop();
    await broker?.stop();
  });

  it("backfills what happened while it was down, pauses on the shortfall it finds, and publishes no id twice", async () => {
    const brokers = broker!.brokers;
    const configPath = await writeKeeperConfigFile(d(), "kafka-restart", (doc) => {
      doc.keeperId = keeperId;
      doc.bus = { type: "kafka", brokers, topicPrefix: prefix };
    });

    // ---- first run: ready, metrics, a live event -------------------------------------------------
    const first = await startKeeper(configPath);
    const metrics = await first.scrape();
    expect(sampleValue(metrics, "keeper_up")).toBe(1);
    // 10,000,000 reserves vs 4,000,000 + 2,000,000 supply at bring-up.
    expect(sampleValue(metrics, `keeper_reserve_ratio_bps{asset="${asset}"}`)).toBe(16_666);
    expect(sampleValue(metrics, `keeper_supply{asset="${asset}",chain="${chainOf(0).chainId}"}`)).toBe(
      4_000_000,
    );
    expect(sampleValue(metrics, `keeper_supply{asset="${asset}",chain="${chainOf(1).chainId}"}`)).toBe(
      2_000_000,
    );
    expect(metrics).toMatch(/^keeper_decisions_total\{asset="dusd",decision="healthy"\} [1-9]/m);

    let downtime: { mint: string; burn: string; answer: string } | undefined;
    let blocks: { minted: bigint; burned: bigint; answer: bigint } | undefined;
    let liveAnswerId: string | undefined;
    const live = await followTopics({ brokers, topics: dataTopics });
    try {
      const liveAnswer = await setReserves(d().manifest, asset, "10000001");
      liveAnswerId = await logIdOf(0, liveAnswer, "AnswerUpdated");
      await waitFor(
        "the live AnswerUpdated on reserve.observations",
        () => live.records.find((r) => r.envelope.id === liveAnswerId),
        60_000,
      );

      // ---- crash: no graceful stop ---------------------------------------------------------------
      first.kill("SIGKILL");
      expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });

      // ---- while it is down: mint on remote, burn on home, reserves below supply -------------------
      const [homeBefore, remoteBefore] = [await supplyOf(0), await supplyOf(1)];
      const minted = await mint(d().manifest, { asset, chain: "remote", to: "carol", amount: "5000" });
      const burned = await burn(d().manifest, { asset, chain: "home", from: "alice", amount: "1000" });
      const answer = await setReserves(d().manifest, asset, "5000000");
      const homeAfter = homeBefore - 1_000n * TOKEN;
      const remoteAfter = remoteBefore + 5_000n * TOKEN;
      expect([await supplyOf(0), await supplyOf(1)]).toEqual([homeAfter, remoteAfter]);
      expect(await paused(0)).toBe(false); // nobody tripped it: the keeper must, after the restart
      downtime = {
        mint: await logIdOf(1, minted, "Transfer"),
        burn: await logIdOf(0, burned, "Transfer"),
        answer: await logIdOf(0, answer, "AnswerUpdated"),
      };
      blocks = { minted: minted.blockNumber, burned: burned.blockNumber, answer: answer.blockNumber };
      const ids = downtime;

      // ---- restart with the same config ------------------------------------------------------------
      const second = await startKeeper(configPath);
      const found = await waitFor(
        "the downtime's mint, burn and answer on reserve.observations",
        () => {
          const got = Object.values(ids).map((id) => live.records.find((r) => r.envelope.id === id));
          return got.every((r) => r !== undefined) ? (got as TopicRecord[]) : undefined;
        },
        60_000,
      );
      for (const r of found) {
        expect(r.topic).toBe(names.observations);
        expect((r.envelope as Envelope<"supply.observed" | "reserve.observed">).payload.source).toBe(
          "backfill",
        );
      }
      const [mintObs, burnObs, answerObs] = found.map((r) => r.envelope) as [
        Envelope<"supply.observed">,
        Envelope<"supply.observed">,
        Envelope<"reserve.observed">,
      ];
      expect(mintObs.payload).toMatchObject({ chainId: chainOf(1).chainId, totalSupply: remoteAfter });
      expect(burnObs.payload).toMatchObject({ chainId: chainOf(0).chainId, totalSupply: homeAfter });
      expect(answerObs.payload.answer).toBe(5_000_000n * 10n ** 8n);

      // The shortfall it found is a breach on reserve.decisions and a pause on breaker.events.
      const isAfterDowntime = (e: Envelope<"decision">) =>
        e.payload.inputs.reserve?.block.number === answer.blockNumber &&
        e.payload.inputs.supplies.some(
          (s) => s.chainId === chainOf(1).chainId && s.block.number === minted.blockNumber,
        );
      const breach = (await waitFor("a breach decision with the downtime's inputs", () =>
        live.records.find(
          (r) => r.envelope.type === "decision" && isAfterDowntime(r.envelope as Envelope<"decision">),
        ),
      )) as TopicRecord & { envelope: Envelope<"decision"> };
      expect(breach.topic).toBe(names.decisions);
      expect(breach.envelope.payload).toMatchObject({
        type: "breach",
        shouldPause: true,
        reserves: 5_000_000n * CANONICAL,
        supply: (homeAfter + remoteAfter) * 10n ** 12n,
      });
      const homeSupplyInput = breach.envelope.payload.inputs.supplies.find(
        (s) => s.chainId === chainOf(0).chainId,
      );
      expect(homeSupplyInput?.block.number).toBeGreaterThanOrEqual(burned.blockNumber);
      expect(homeSupplyInput?.totalSupply).toBe(homeAfter);

      const minedOn = (chainId: number) =>
        live.records.find(
          (r) =>
            r.envelope.type === "pause.mined" &&
            (r.envelope as Envelope<"pause.mined">).payload.chainId === chainId,
        ) as (TopicRecord & { envelope: Envelope<"pause.mined"> }) | undefined;
      const homeMined = await waitFor("home pause mined", () => minedOn(chainOf(0).chainId), 60_000);
      const remoteMined = await waitFor("remote pause mined", () => minedOn(chainOf(1).chainId), 60_000);
      for (const [i, mined] of [homeMined, remoteMined].entries()) {
        expect(mined.topic).toBe(names.breakerEvents);
        const receipt = await clientOf(i).getTransactionReceipt({ hash: mined.envelope.payload.txHash });
        const [ev] = parseEventLogs({
          abi: reserveCircuitBreakerAbi,
          logs: receipt.logs,
          eventName: "BreakerPaused",
        });
        expect(ev?.args.by).toBe(d().manifest.accounts.keeper);
        expect(receipt.blockNumber).toBe(mined.envelope.payload.blockNumber);
        const decision = live.records.find((r) => r.envelope.id === mined.envelope.payload.decisionId);
        expect(decision?.envelope.type, "the decision that asked for the pause").toBe("decision");
        expect((decision!.envelope as Envelope<"decision">).payload.type).toBe("breach");
      }
      expect(await paused(0)).toBe(true);
      expect(await paused(1)).toBe(true);

      // Metrics of the second run reflect the new figures: 5,000,000 / 6,004,000.
      const after = await second.scrape();
      expect(sampleValue(after, `keeper_reserve_ratio_bps{asset="${asset}"}`)).toBe(
        Number((5_000_000n * 10_000n * TOKEN) / (homeAfter + remoteAfter)),
      );
      expect(sampleValue(after, `keeper_decision_state{asset="${asset}",decision="breach"}`)).toBe(1);

      // The checkpoint moves past the downtime's blocks before the graceful stop.
      const covers = (e: Envelope) => {
        if (e.type !== "keeper.checkpoint") return false;
        const home = e.payload.chains[chainOf(0).chainId]?.blockNumber ?? -1n;
        const remote = e.payload.chains[chainOf(1).chainId]?.blockNumber ?? -1n;
        return home >= answer.blockNumber && home >= burned.blockNumber && remote >= minted.blockNumber;
      };
      await waitFor("a checkpoint past the downtime's blocks", () =>
        live.records.find((r) => covers(r.envelope)),
      );

      // ---- graceful stop ---------------------------------------------------------------------------
      second.kill("SIGTERM");
      expect(await second.exited).toEqual({ code: 0, signal: null });
      expect(second.stderr()).toContain('"msg":"keeper stopped"');
    } finally {
      await live.close();
    }

    // ---- every topic from the beginning --------------------------------------------------------------
    const all = await readTopics({ brokers, topics: TOPIC_IDS.map((id) => names[id]) });
    expect(repeatedIds(all), "ids published more than once, per topic").toEqual({});
    expect(all.filter((r) => r.topic === names.observations).length).toBeGreaterThan(0);
    expect(all.filter((r) => r.topic === names.decisions).length).toBeGreaterThan(0);
    // Every topic carries only what belongs there.
    for (const r of all) {
      const expected =
        r.envelope.type === "decision"
          ? names.decisions
          : r.envelope.type === "keeper.checkpoint"
            ? names.checkpoints
            : r.envelope.type.startsWith("pause.") || r.envelope.type === "breaker.observed"
              ? names.breakerEvents
              : names.observations;
      expect(r.topic, r.envelope.id).toBe(expected);
    }
    // The live answer of the first run and every log made during the downtime: exactly once.
    const observations = all.filter((r) => r.topic === names.observations);
    for (const id of [liveAnswerId!, ...Object.values(downtime!)]) {
      expect(
        observations.filter((r) => r.envelope.id === id),
        id,
      ).toHaveLength(1);
    }
    // The last checkpoint record points at or beyond the downtime's blocks.
    const lastCheckpoint = all.filter((r) => r.topic === names.checkpoints).at(-1)?.envelope as
      | Envelope<"keeper.checkpoint">
      | undefined;
    expect(lastCheckpoint?.payload.keeperId).toBe(keeperId);
    const homeCp = lastCheckpoint!.payload.chains[chainOf(0).chainId]!.blockNumber;
    expect(homeCp).toBeGreaterThanOrEqual(blocks!.answer);
    expect(homeCp).toBeGreaterThanOrEqual(blocks!.burned);
    expect(lastCheckpoint!.payload.chains[chainOf(1).chainId]!.blockNumber).toBeGreaterThanOrEqual(
      blocks!.minted,
    );
  }, 300_000);
  /** Repeated envelope ids per topic (expected: none). */
  function repeatedIds(all: TopicRecord[]): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const r of all) out[r.topic] = [...(out[r.topic] ?? []), r.envelope.id];
    for (const [topic, ids] of Object.entries(out))
      out[topic] = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
    return Object.fromEntries(Object.entries(out).filter(([, ids]) => ids.length > 0));
  }

  /**
   * The Kafka bus of an in-process keeper that "dies" on demand: from then on every publish fails (as if
   * the process were gone: nothing more reaches the broker), while what was committed stays committed.
   */
  function crashable(inner: KafkaBus, onPublished: (messages: Parameters<Bus["publish"]>[0]) => boolean) {
    let dead = false;
    const bus: Bus = {
      async publish(messages, options) {
        if (dead) throw new Error("test: the keeper crashed");
        await inner.publish(messages, options);
        if (onPublished(messages)) dead = true;
      },
      subscribe: (a) => inner.subscribe(a),
      checkpoints: {
        load: () => inner.checkpoints.load(),
        save: (c) =>
          dead ? Promise.reject(new Error("test: the keeper crashed")) : inner.checkpoints.save(c),
      },
      close: () => inner.close(),
    };
    return {
      bus,
      crashed: () => dead,
      crash: () => {
        dead = true;
      },
    };
  }

  it("a crash during the restart's backfill does not make the next run republish what the first run published", async () => {
    // Healthy and unpaused again (the previous test leaves a breach and paused breakers).
    await setReserves(d().manifest, asset, "10000000");
    for (const [i, chain] of [
      [0, "home"],
      [1, "remote"],
    ] as const) {
      if (await paused(i)) await unpause(d().manifest, { asset, chain, reason: "test: restored" });
    }
    const brokers = broker!.brokers;
    const topicPrefix = `crash-${randomUUID().slice(0, 8)}.`;
    const id = `crash-keeper-${randomUUID().slice(0, 8)}`;
    const configPath = await writeKeeperConfigFile(d(), "kafka-crash", (doc) => {
      doc.keeperId = id;
      doc.bus = { type: "kafka", brokers, topicPrefix };
      doc.telemetry = { logLevel: "silent" };
    });
    const logger = createLogger({ level: "silent" });
    const kafkaBus = () => createKafkaBus({ connection: { brokers }, keeperId: id, topicPrefix, logger });
    const run = (bus: Bus) =>
      startKeeperInProcess({
        config: configPath,
        env: { RESERVE_KEEPER_SIGNER_KEY: devnetPrivateKey("keeper") },
        metricsPort: null,
        logger,
        bus,
      });

    // Run 1 publishes a live answer and dies right after that batch: its checkpoint lists the answer's
    // id as published above the checkpointed block.
    const bus1 = await kafkaBus();
    const c1 = crashable(bus1, (msgs) =>
      msgs.some((m) => m.payload.type === "reserve.observed" && m.payload.source === "event"),
    );
    const run1 = await run(c1.bus);
    const live = await setReserves(d().manifest, asset, "10000002");
    const liveId = await logIdOf(0, live, "AnswerUpdated");
    await waitFor("run 1 crashed after publishing the live answer", () => c1.crashed() || undefined, 60_000);
    await run1.stop();
    await bus1.close();

    // Run 2 dies right after its first batch, early in its backfill (before it reaches the answer):
    // its start fails as the process would have died.
    const bus2 = await kafkaBus();
    let run2Batches = 0;
    const c2 = crashable(bus2, () => ++run2Batches >= 1);
    await expect(run(c2.bus)).rejects.toThrow("test: the keeper crashed");
    expect(run2Batches).toBe(1);
    await bus2.close();

    // Run 3 backfills from what run 2 committed, goes live, and stops.
    const bus3 = await kafkaBus();
    const run3 = await run(bus3);
    await run3.stop();
    await bus3.close();

    const names3 = createTopicNames({ prefix: topicPrefix });
    const all = await readTopics({ brokers, topics: TOPIC_IDS.map((t) => names3[t]) });
    expect(all.filter((r) => r.envelope.id === liveId).map((r) => r.topic)).toEqual([names3.observations]);
    // No chain-derived message, pause event or checkpoint twice. (Decisions are left out here: runs this
    // close together can decide within the same second from the same inputs, which is the same decision
    // and so, by design, the same id.)
    expect(repeatedIds(all.filter((r) => r.topic !== names3.decisions))).toEqual({});
  }, 180_000);
});

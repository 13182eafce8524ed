// The services around the keeper on a REAL Kafka broker (deploy/kafka) and a real two-chain devnet: the
// keeper (in-process, `bus.type: kafka`), the compliance service and the CCTP transfer service, each
// service with its OWN Kafka bus (own transactional producer, own consumer group). The PoR answer drops
// below supply, the keeper pauses dusd on both chains, and the services learn it from `breaker.events`
// only (their periodic breaker re-reads are set to an hour): compliance refuses with BREAKER_PAUSED
// (latency from the keeper's envelope measured and printed), a new dusd transfer is held while USDC
// moves; after the reserves recover and the 2-of-3 unpause, compliance allows again and the held dusd
// transfer completes. No sleeps: every wait polls a condition until a deadline. Needs the broker jars
// (`npm run kafka:fetch`, Java 17 + Maven).
import { randomUUID } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Consumer, Kafka, logLevel } from "kafkajs";
import { createPublicClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devnetPrivateKey } from "../../deploy/devnet/accounts.ts";
import { setReserves, unpause } from "../../deploy/devnet/scenario.ts";
import { reserveCircuitBreakerAbi } from "../../keeper/abi/index.ts";
import { decodeEnvelope } from "../../keeper/bus/envelope.ts";
import { createTopicNames } from "../../keeper/bus/topics.ts";
import type { Envelope } from "../../keeper/bus/types.ts";
import { devnetCctpConfigDocument } from "../../keeper/cctp/devnet.ts";
import { resolveCctpSetup } from "../../keeper/cctp/transfer/setup.ts";
import {
  CCTP_PRODUCER_NAME,
  type RunningCctpTransferServer,
  startCctpTransferServer,
} from "../../keeper/consumers/cctp/server.ts";
import { devnetComplianceSection, devnetKycRegistry } from "../../keeper/consumers/compliance/devnet.ts";
import {
  COMPLIANCE_PRODUCER_NAME,
  type RunningComplianceService,
  startComplianceService,
} from "../../keeper/consumers/compliance/service.ts";
import { type RunningKeeper, startKeeper } from "../../keeper/main.ts";
import { createLogger } from "../../keeper/telemetry/logger.ts";
import { type CctpTestEnv, startCctp } from "../helpers/cctp.ts";
import { type KafkaBroker, kafkaUnavailableReason, startKafkaBroker } from "../helpers/kafka.ts";
import { type Devnet, devnetConfig, startDevnet, waitFor } from "../helpers/keeperHarness.ts";

const asset = "dusd";
const ONE_TOKEN = 10n ** 6n; // dusd has 6 decimals
/** Longer than the test: the services' periodic breaker re-reads never run, so pauses come from Kafka only. */
const NO_RECONCILE_MS = 3_600_000;
type Json = Record<string, unknown>;
type Recorded = { readonly at: number; readonly topic: string; readonly envelope: Envelope };

describe("compliance and CCTP services follow the keeper's pause over a real Kafka broker (devnet)", () => {
  let broker: KafkaBroker | undefined;
  let devnet: Devnet | undefined;
  let cctp: CctpTestEnv | undefined;
  let keeper: RunningKeeper | undefined;
  let compliance: RunningComplianceService | undefined;
  let transfers: RunningCctpTransferServer | undefined;
  let recorder: Consumer | undefined;
  const recorded: Recorded[] = [];
  const prefix = `svc-${randomUUID().slice(0, 8)}.`;
  const names = createTopicNames({ prefix });
  const groups = { compliance: `${prefix}compliance`, cctp: `${prefix}cctp` };
  const logger = createLogger({
    level: process.env.KEEPER_TEST_LOG ?? "silent",
    destination: process.stderr as never,
  });

  const d = () => devnet!;
  const chainIds = () => d().manifest.chains.map((c) => c.chainId);
  const paused = (i: number) =>
    createPublicClient({ transport: http(d().manifest.chains[i]!.rpcHttpUrl) }).readContract({
      address: d().manifest.assets[0]!.chains[i]!.breaker,
      abi: reserveCircuitBreakerAbi,
      functionName: "paused",
    });

  async function request(
    base: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${base}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, body: (await res.json()) as Json };
  }
  const check = async () => {
    const r = await request(`http://127.0.0.1:${compliance!.apiPort}`, "/v1/compliance/check", {
      account: d().manifest.accounts.alice,
      asset,
      operation: "mint",
      amount: ONE_TOKEN.toString(),
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as { allowed: boolean; reasons: string[] };
  };
  const transfer = async (id: string) => (await request(transfers!.apiUrl, `/v1/transfers/${id}`)).body;
  /** Polls GET /v1/transfers/{id} until `status` (fails at once on failed). */
  const untilStatus = (id: string, status: string, timeoutMs = 30_000) =>
    waitFor(
      `transfer ${id} ${status}`,
      async () => {
        const t = await transfer(id);
        if (t.status === "failed") throw new Error(`${id} failed: ${JSON.stringify(t.error)}`);
        return t.status === status ? t : undefined;
      },
      timeoutMs,
    );

  beforeAll(async () => {
    const reason = kafkaUnavailableReason();
    if (reason) throw new Error(`Cannot run the services-on-Kafka test: ${reason}`);
    const [b, dn] = await Promise.allSettled([
      startKafkaBroker(),
      startDevnet({ tmpPrefix: "rk-services-kafka-" }),
    ]);
    if (b.status === "fulfilled") broker = b.value;
    if (dn.status === "fulfilled") devnet = dn.value;
    if (b.status === "rejected") throw b.reason;
    if (dn.status === "rejected") throw dn.reason;
    const manifest = d().manifest;
    cctp = await startCctp(d());

    const bus = { type: "kafka", brokers: broker!.brokers, topicPrefix: prefix } as const;
    keeper = await startKeeper({
      config: devnetConfig(d(), (doc) => {
        doc.bus = bus;
      }),
      env: { RESERVE_KEEPER_SIGNER_KEY: devnetPrivateKey("keeper") },
      metricsPort: null,
      logger,
    });

    // A reader of the keeper's and the services' topics (read committed), stamping each record on arrival.
    const kafka = new Kafka({
      clientId: `services-kafka-recorder-${randomUUID()}`,
      brokers: broker!.brokers,
      logLevel: logLevel.NOTHING,
    });
    const reader = kafka.consumer({
      groupId: `test-recorder-${randomUUID()}`,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
    });
    recorder = reader;
    await reader.connect();
    await reader.subscribe({
      topics: [names.decisions, names.breakerEvents, names.complianceDecisions, names.cctpTransfers],
      fromBeginning: true,
    });
    await reader.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        if (message.value === null) return;
        recorded.push({
          at: Date.now(),
          topic,
          envelope: decodeEnvelope(message.value, { topic, partition, offset: message.offset }),
        });
      },
    });
    await waitFor(
      "a healthy dusd decision on Kafka",
      () => recorded.find((r) => r.envelope.type === "decision" && r.envelope.payload.type === "healthy"),
      60_000,
    );

    const kycPath = join(d().dir, "kyc.json");
    await writeFile(kycPath, JSON.stringify(devnetKycRegistry(manifest, Math.floor(Date.now() / 1000))));
    const complianceConfig = devnetConfig(d(), (doc) => {
      doc.bus = bus;
      doc.compliance = {
        ...devnetComplianceSection(manifest, { kycPath }),
        gateSync: { enabled: false },
        onRamp: { enabled: false },
        pause: { reconcileIntervalMs: NO_RECONCILE_MS },
      };
    });
    const cctpConfig = devnetConfig(d(), (doc) => {
      doc.bus = bus;
      doc.cctp = devnetCctpConfigDocument(manifest, {
        attestationUrl: cctp!.url,
        pollIntervalMs: 200,
        maxPollIntervalMs: 1_000,
        timeoutMs: 60_000,
      });
    });
    const [c, t] = await Promise.allSettled([
      startComplianceService({
        config: complianceConfig,
        logger,
        apiPort: 0,
        metricsPort: null,
        groupId: groups.compliance,
      }),
      startCctpTransferServer({
        config: cctpConfig,
        setup: resolveCctpSetup(cctpConfig),
        account: privateKeyToAccount(devnetPrivateKey("alice")),
        logger,
        apiPort: 0,
        metricsPort: null,
        reconcileIntervalMs: NO_RECONCILE_MS,
        groupId: groups.cctp,
      }),
    ]);
    if (c.status === "fulfilled") compliance = c.value;
    if (t.status === "fulfilled") transfers = t.value;
    if (c.status === "rejected") throw c.reason;
    if (t.status === "rejected") throw t.reason;
  }, 180_000);

  afterAll(async () => {
    await transfers?.stop().catch((e: unknown) => console.error("cctp server stop failed", e));
    await compliance?.stop().catch((e: unknown) => console.error("compliance stop failed", e));
    await keeper?.stop().catch((e: unknown) => console.error("keeper stop failed", e));
    await recorder?.disconnect().catch(() => {});
    await cctp?.stop().catch(() => {});
    await devnet?.stop();
    await broker?.stop();
  }, 120_000);

  it("both services run on their own Kafka bus: own consumer group, own transactional producer", async () => {
    expect(compliance!.bus).not.toBe(keeper!.bus);
    expect((await check()).allowed).toBe(true);
    const admin = new Kafka({ brokers: broker!.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const { groups: listed } = await admin.listGroups();
      expect(listed.map((g) => g.groupId)).toEqual(expect.arrayContaining(Object.values(groups)));
    } finally {
      await admin.disconnect();
    }
    const audit = await waitFor("the check's audit on compliance.decisions", () =>
      recorded.find((r) => r.envelope.type === "compliance.decision"),
    );
    expect(audit.topic).toBe(names.complianceDecisions);
    expect(audit.envelope.producer.name).toBe(COMPLIANCE_PRODUCER_NAME);
  });

  it("pause on both chains: compliance refuses (BREAKER_PAUSED), dusd is held while USDC moves; after the unpause both resume", async () => {
    const mark = recorded.length;
    const pauseSignal = (r: Recorded) =>
      (r.envelope.type === "pause.mined" ||
        (r.envelope.type === "breaker.observed" && r.envelope.payload.kind !== "unpaused")) &&
      r.envelope.payload.assetId === asset;
    const dropped = await setReserves(d().manifest, asset, "3000000"); // below the 6,000,000 supply
    // Poll the compliance API and the CCTP service from the drop on; the first pause envelope on Kafka
    // is found in parallel.
    const [refused, cctpPausedAt, signal] = await Promise.all([
      waitFor(
        "BREAKER_PAUSED from the compliance API",
        async () => {
          const answer = await check();
          return answer.reasons.includes("BREAKER_PAUSED") && { answer, at: Date.now() };
        },
        30_000,
        10,
      ),
      waitFor(
        "the CCTP service sees dusd paused",
        () => transfers!.service.isPaused(asset) && Date.now(),
        30_000,
        5,
      ),
      waitFor(
        "the keeper's first dusd pause envelope on Kafka",
        () => recorded.slice(mark).find(pauseSignal),
        30_000,
        5,
      ),
    ]);
    expect(refused.answer.allowed).toBe(false);
    expect(signal.topic).toBe(names.breakerEvents);
    const producedAt = Date.parse(signal.envelope.producedAt);
    // The services re-read no breaker during the test: the pause can only have come over Kafka.
    expect(refused.at).toBeGreaterThanOrEqual(producedAt);
    expect(cctpPausedAt).toBeGreaterThanOrEqual(producedAt);
    console.info(
      [
        `services on Kafka: setReserves block ${dropped.blockNumber}; first pause envelope ${signal.envelope.type} (${signal.envelope.id})`,
        `  compliance refusal: ${refused.at - producedAt} ms after the envelope was built, ${refused.at - signal.at} ms after a test consumer received it`,
        `  cctp service paused: ${cctpPausedAt - producedAt} ms after the envelope was built, ${cctpPausedAt - signal.at} ms after a test consumer received it`,
      ].join("\n"),
    );
    expect(refused.at - producedAt).toBeLessThan(1_000);

    // The keeper pauses both chains; both services follow both.
    await waitFor(
      "both breakers paused on chain",
      async () => (await paused(0)) && (await paused(1)),
      30_000,
    );
    await waitFor("both chains paused in both services", () => {
      const inCompliance = compliance!.pauses.snapshot().get(asset) ?? [];
      const inCctp = transfers!.service.pauseState.pausedChains(asset);
      return chainIds().every((id) => inCompliance.includes(id) && inCctp.includes(id));
    });
    expect((await check()).reasons).toEqual(["BREAKER_PAUSED"]);

    // (2) A new dusd transfer is held before its burn (at once: the service knows dusd is paused); a USDC
    // transfer completes meanwhile.
    const held = await request(transfers!.apiUrl, "/v1/transfers", {
      asset,
      from: "home",
      to: "remote",
      amount: "2",
      speed: "fast",
      requestId: "dusd-held",
    });
    expect(held).toEqual({
      status: 202,
      body: { transferId: "dusd-held", status: "held", created: true },
    });
    expect((await untilStatus("dusd-held", "held")).held).toMatchObject({
      stage: "burn",
      pausedChainIds: expect.arrayContaining(chainIds()),
    });
    const usdc = await request(transfers!.apiUrl, "/v1/transfers", {
      asset: "usdc",
      from: "home",
      to: "remote",
      amount: "3",
      speed: "fast",
      requestId: "usdc-1",
    });
    expect(usdc.status).toBe(202);
    await untilStatus("usdc-1", "received");
    const stillHeld = await transfer("dusd-held");
    expect(stillHeld.status).toBe("held");
    expect(stillHeld.burnTxHash).toBeUndefined();

    // (3) Reserves recover (healthy is not unpaused), then 2-of-3 signers unpause both chains.
    const recovered = recorded.length;
    await setReserves(d().manifest, asset, "10000000");
    await waitFor("a healthy decision after the recovery", () =>
      recorded
        .slice(recovered)
        .find((r) => r.envelope.type === "decision" && r.envelope.payload.type === "healthy"),
    );
    expect((await check()).reasons).toEqual(["BREAKER_PAUSED"]);
    expect((await transfer("dusd-held")).status).toBe("held");
    await unpause(d().manifest, { asset, chain: "home", reason: "services-kafka: reserves restored" });
    await unpause(d().manifest, { asset, chain: "remote", reason: "services-kafka: reserves restored" });
    const allowed = await waitFor(
      "compliance allows dusd again",
      async () => {
        const answer = await check();
        return answer.allowed && answer;
      },
      15_000,
      20,
    );
    expect(allowed.reasons).toEqual([]);
    const done = await untilStatus("dusd-held", "received");
    expect(
      (done.events as { event: string; stage?: string }[]).map((e) =>
        e.event === "held" || e.event === "resumed" ? `${e.event}:${e.stage}` : e.event,
      ),
    ).toEqual(["held:burn", "resumed:burn", "burned", "attested", "received"]);
    expect(await paused(0)).toBe(false);
    expect(await paused(1)).toBe(false);

    // Each service published under its own producer name.
    const lifecycle = await waitFor("the held transfer's receive on cctp.transfers", () =>
      recorded.find((r) => r.envelope.id === "cctp:dusd-held:received"),
    );
    expect(lifecycle.topic).toBe(names.cctpTransfers);
    expect(lifecycle.envelope.producer.name).toBe(CCTP_PRODUCER_NAME);
    expect(signal.envelope.producer.name).not.toBe(CCTP_PRODUCER_NAME);
    expect(signal.envelope.producer.name).not.toBe(COMPLIANCE_PRODUCER_NAME);
  }, 120_000);
});

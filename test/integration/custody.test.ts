import { rename, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createPublicClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devnetPrivateKey } from "../../deploy/devnet/accounts.ts";
import { setReserves } from "../../deploy/devnet/scenario.ts";
import { reserveCircuitBreakerAbi } from "../../keeper/abi/index.ts";
import type { Subscription } from "../../keeper/bus/port.ts";
import type { Envelope } from "../../keeper/bus/types.ts";
import type { KeeperConfigInput } from "../../keeper/config/schema.ts";
import { createFileCustodyProvider } from "../../keeper/consumers/custody/fileProvider.ts";
import { createHttpCustodyProvider } from "../../keeper/consumers/custody/httpProvider.ts";
import { type CustodyPauser, openCustodyPauser } from "../../keeper/consumers/custody/pauser.ts";
import { type CustodyServer, createCustodyServer } from "../../keeper/consumers/custody/server.ts";
import { type CustodyService, createCustodyService } from "../../keeper/consumers/custody/service.ts";
import { reportDocument, sha256Of } from "../../keeper/consumers/custody/testSupport.ts";
import type { CustodyProvider } from "../../keeper/consumers/custody/types.ts";
import { createLogger } from "../../keeper/telemetry/logger.ts";
import {
  type Devnet,
  devnetConfig,
  type KeeperRun,
  startDevnet,
  startTestKeeper,
  waitFor,
} from "../helpers/keeperHarness.ts";
import { sampleValue, startKeeperProcess, writeKeeperConfigFile } from "../helpers/keeperProcess.ts";
import { freePort } from "../helpers/ports.ts";

// The custody service beside the real keeper on a real two-chain devnet (hardhat nodes, 1 s blocks), both
// on the keeper's in-process bus; a local HTTP server plays the custodian API and the attestation host.
describe("custody service on the devnet", () => {
  let devnet: Devnet;
  let run: KeeperRun;
  let host: Server;
  let base: string;
  let recorder: Subscription;
  /** Every custody.events message (the keeper harness records observations, decisions and breaker events). */
  const custodyEvents: Envelope[] = [];
  const docs = new Map<string, { status: number; body: string }>();
  let apiReport: unknown;
  const stops: (() => Promise<void>)[] = [];
  const logger = createLogger({
    level: process.env.KEEPER_TEST_LOG ?? "silent",
    destination: process.stderr as never,
  });
  const nowIso = () => new Date().toISOString();
  /** A report of `amount` whole tokens (2 decimals) taken now, its SOC report current for 180 more days. */
  const reportOf = (amount: string, attestations: unknown[] = []) => {
    const day = 86_400_000;
    const iso = (ms: number) => new Date(ms).toISOString();
    return reportDocument("dusd", {
      asOf: nowIso(),
      balance: { amount: `${amount}00`, decimals: 2 },
      accounts: undefined,
      socReport: {
        type: "SOC2",
        typeII: true,
        period: { start: iso(Date.now() - 365 * day), end: iso(Date.now() - day) },
        expiresAt: iso(Date.now() + 180 * day),
      },
      attestations,
    });
  };

  beforeAll(async () => {
    host = createServer((req, res) => {
      if (req.url === "/api/v1/reports/dusd") {
        return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(apiReport));
      }
      const doc = docs.get(req.url ?? "");
      if (!doc) return void res.writeHead(404).end("not found");
      res.writeHead(doc.status).end(doc.body);
    });
    await new Promise<void>((r) => host.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
    devnet = await startDevnet({ tmpPrefix: "rk-custody-" });
    run = await startTestKeeper(devnetConfig(devnet));
    recorder = await run.bus.subscribe({
      topics: ["custodyEvents"],
      groupId: "custody-test-recorder",
      onMessage: (e) => {
        custodyEvents.push(e);
      },
    });
    await waitFor("a healthy decision", () =>
      run.messages.find((m) => m.type === "decision" && m.payload.type === "healthy"),
    );
  }, 180_000);

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await recorder?.close();
    await run?.stop();
    await devnet?.stop();
    host?.closeAllConnections();
    host?.close();
  });

  /** A custody service on the keeper's bus and metrics, with `custody` merged into the devnet config. */
  async function startCustody(
    custody: Record<string, unknown>,
    provider: CustodyProvider,
    opts: { pauser?: CustodyPauser } = {},
  ): Promise<CustodyService> {
    const config = devnetConfig(devnet, (doc) => {
      (doc as KeeperConfigInput & Record<string, unknown>).custody = {
        provider: { type: "file", path: join(devnet.dir, "unused.json") },
        pollIntervalMs: 200,
        dualSource: { toleranceBps: 50, maxAsOfSkewSeconds: 3_600 },
        assets: [{ id: "dusd" }],
        ...custody,
      };
    });
    const service = createCustodyService({
      config,
      bus: run.bus,
      provider,
      logger,
      metrics: run.running.metrics,
      pauser: opts.pauser,
      groupId: `custody-${Math.random()}`,
    });
    await service.start();
    stops.push(() => service.stop());
    return service;
  }

  const metric = async (name: string, labels: Record<string, string>) => {
    const m = (await run.running.metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
    return m?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value;
  };
  const since = (list: Envelope[], mark: number) => list.slice(mark);

  it("(a) a custodian balance below the PoR answer raises reserve.sources_disagree; equal again agrees", async () => {
    const file = join(devnet.dir, "custody-reports.json");
    const writeReport = async (doc: unknown) => {
      await writeFile(`${file}.tmp`, JSON.stringify([doc]));
      await rename(`${file}.tmp`, file);
    };
    await writeReport(reportOf("10000000"));
    const mark = run.messages.length;
    const service = await startCustody(
      { provider: { type: "file", path: file } },
      createFileCustodyProvider({ path: file }),
    );
    const server: CustodyServer = createCustodyServer({
      host: "127.0.0.1",
      port: 0,
      service,
      registry: run.running.metrics.registry,
    });
    const port = await server.start();
    stops.push(() => server.stop());

    const agree = await waitFor("sources agree at start", () =>
      since(run.messages, mark).find((m) => m.type === "reserve.sources_agree"),
    );
    expect(agree.payload).toMatchObject({ assetId: "dusd", diffBps: 0n, decimals: 8, direction: "equal" });

    // The custodian reports 9,000,000 while the feed says 10,000,000: 1000 bps apart, tolerance 50.
    await writeReport(reportOf("9000000"));
    const disagree = (await waitFor("reserve.sources_disagree", () =>
      since(run.messages, mark).find((m) => m.type === "reserve.sources_disagree"),
    )) as Envelope<"reserve.sources_disagree">;
    expect(disagree.payload).toMatchObject({
      action: "alert",
      custodianAmount: 9_000_000n * 10n ** 8n,
      porAmount: 10_000_000n * 10n ** 8n,
      difference: 1_000_000n * 10n ** 8n,
      diffBps: 1_000n,
      toleranceBps: 50n,
      direction: "custodian_below",
      porChainId: devnet.manifest.chains[0]!.chainId,
    });
    expect(await metric("keeper_reserve_sources_disagree", { asset: "dusd" })).toBe(1);
    expect(await metric("keeper_reserve_sources_diff_bps", { asset: "dusd" })).toBe(1_000);
    const view = (await (await fetch(`http://127.0.0.1:${port}/v1/custody`)).json()) as {
      assets: {
        comparison: { type: string; diffBps: string };
        custodian: string;
        health: { status: string };
      }[];
    };
    expect(view.assets[0]).toMatchObject({
      custodian: "Example Trust Co.",
      comparison: { type: "disagree", diffBps: "1000" },
      health: { status: "healthy" },
    });

    // The PoR answer moves to the custodian's figure: the keeper publishes the new round, the sources agree.
    const beforeAgain = run.messages.length;
    await setReserves(devnet.manifest, "dusd", "9000000");
    const again = await waitFor("agree again", () =>
      since(run.messages, beforeAgain).find((m) => m.type === "reserve.sources_agree"),
    );
    expect(again.payload).toMatchObject({ diffBps: 0n, porAmount: 9_000_000n * 10n ** 8n });
    expect(await metric("keeper_reserve_sources_disagree", { asset: "dusd" })).toBe(0);
    await service.stop();
  }, 120_000);

  it("(b) a changed attestation document raises a hash-mismatch event, a dead link an unreachable one", async () => {
    docs.set("/docs/june.pdf", { status: 200, body: "June 2025 reserve attestation, v1" });
    const file = join(devnet.dir, "custody-reports-b.json");
    await writeFile(file, JSON.stringify([reportOf("9000000")]));
    const link = (path: string, sha256: string) => ({
      url: `${base}${path}`,
      auditor: "Example Audit LLP",
      period: { start: "2025-06-01", end: "2025-06-30" },
      sha256,
    });
    const mark = custodyEvents.length;
    const service = await startCustody(
      {
        provider: { type: "file", path: file },
        attestations: { verifyIntervalSeconds: 1, timeoutMs: 5_000 },
        assets: [
          {
            id: "dusd",
            attestations: [
              link("/docs/june.pdf", sha256Of("June 2025 reserve attestation, v1")),
              link("/docs/gone.pdf", sha256Of("anything")),
            ],
          },
        ],
      },
      createFileCustodyProvider({ path: file }),
    );
    const checked = () =>
      since(custodyEvents, mark).filter(
        (m): m is Envelope<"custody.attestation_checked"> => m.type === "custody.attestation_checked",
      );
    // The first verification round runs inside start(); its two events are the first two.
    const first = await waitFor("the first verification round", () =>
      checked().length >= 2 ? checked() : undefined,
    );
    expect(first.slice(0, 2).map((m) => [m.payload.url, m.payload.outcome])).toEqual([
      [`${base}/docs/june.pdf`, "verified"],
      [`${base}/docs/gone.pdf`, "unreachable"],
    ]);
    expect(first[1]!.payload).toMatchObject({ httpStatus: 404, source: "config" });
    const health = await waitFor("a custody.health event", () =>
      since(custodyEvents, mark).find((m) => m.type === "custody.health"),
    );
    expect(health.payload).toMatchObject({
      status: "healthy",
      provider: "up",
    });

    // The host replaces the document: the next periodic verification (every second) sees another digest.
    docs.set("/docs/june.pdf", { status: 200, body: "June 2025 reserve attestation, v2 (quietly edited)" });
    const mismatch = await waitFor("a hash_mismatch event", () =>
      checked().find((m) => m.payload.outcome === "hash_mismatch"),
    );
    expect(mismatch.payload).toMatchObject({
      url: `${base}/docs/june.pdf`,
      expectedSha256: sha256Of("June 2025 reserve attestation, v1"),
      actualSha256: sha256Of("June 2025 reserve attestation, v2 (quietly edited)"),
    });
    expect(mismatch.key).toBe("dusd");
    expect(
      await metric("keeper_custody_attestation_state", {
        url: `${base}/docs/june.pdf`,
        outcome: "hash_mismatch",
      }),
    ).toBe(1);
    expect(
      await metric("keeper_custody_attestation_state", {
        url: `${base}/docs/gone.pdf`,
        outcome: "unreachable",
      }),
    ).toBe(1);
    await service.stop();
  }, 120_000);

  it("(c) with onDisagree: pause, the custodian (HTTP API) below the PoR answer pauses the breakers on chain", async () => {
    const breakerPaused = (i: number) =>
      createPublicClient({ transport: http(devnet.manifest.chains[i]!.rpcHttpUrl) }).readContract({
        address: devnet.manifest.assets[0]!.chains[i]!.breaker,
        abi: reserveCircuitBreakerAbi,
        functionName: "paused",
      });
    expect(await breakerPaused(0)).toBe(false);
    expect(await breakerPaused(1)).toBe(false);
    const beforeRound = run.messages.length;
    await setReserves(devnet.manifest, "dusd", "10000000");
    await waitFor("the keeper's new round", () =>
      since(run.messages, beforeRound).find(
        (m) => m.type === "reserve.observed" && m.payload.answer === 10_000_000n * 10n ** 8n,
      ),
    );
    apiReport = reportOf("8000000");
    const custodyConfig = {
      provider: { type: "http", url: `${base}/api`, timeoutMs: 2_000, maxAttempts: 2, backoffBaseMs: 50 },
      dualSource: { toleranceBps: 50, maxAsOfSkewSeconds: 3_600, onDisagree: "pause" },
    };
    const pauserConfig = devnetConfig(devnet, (doc) => {
      (doc as Record<string, unknown>).custody = { ...custodyConfig, assets: [{ id: "dusd" }] };
    });
    const pauser = await openCustodyPauser({
      config: pauserConfig,
      account: privateKeyToAccount(devnetPrivateKey("keeper")),
      bus: run.bus,
      logger,
      metrics: run.running.metrics,
    });
    stops.push(() => pauser.close());
    const mark = run.messages.length;
    const provider = createHttpCustodyProvider({
      url: `${base}/api`,
      timeoutMs: 2_000,
      maxAttempts: 2,
      backoffBaseMs: 50,
      backoffMaxMs: 500,
      maxResponseBytes: 1_048_576,
    });
    const service = await startCustody(custodyConfig, provider, { pauser });

    const disagree = await waitFor("reserve.sources_disagree (pause)", () =>
      since(run.messages, mark).find((m) => m.type === "reserve.sources_disagree"),
    );
    expect(disagree.payload).toMatchObject({
      action: "pause",
      diffBps: 2_000n,
      direction: "custodian_below",
    });
    const mined = await waitFor("pause.mined on both chains", () => {
      const m = since(run.messages, mark).filter((e) => e.type === "pause.mined");
      return m.length >= 2 ? m : undefined;
    });
    for (const m of mined) expect((m as Envelope<"pause.mined">).payload.decisionId).toBe(disagree.id);
    expect(await breakerPaused(0)).toBe(true);
    expect(await breakerPaused(1)).toBe(true);
    // The keeper itself saw healthy reserves all along: the pause came from the custody check.
    expect(since(run.messages, mark).some((m) => m.type === "decision" && m.payload.type === "breach")).toBe(
      false,
    );
    expect(service.assets()[0]!.pause).toMatchObject({ state: "paused", decisionId: disagree.id });
    await service.stop();
  }, 120_000);
  it("(d) `reserve-keeper custody serve --with-keeper` serves the same views and stops cleanly on SIGTERM", async () => {
    const file = join(devnet.dir, "custody-reports-d.json");
    await writeFile(file, JSON.stringify([reportOf("10000000")]));
    const keeperPort = await freePort();
    const custodyPort = await freePort();
    const configPath = await writeKeeperConfigFile(devnet, "custody-serve.json", (doc) => {
      doc.telemetry = { metricsPort: keeperPort, logLevel: "warn" };
      doc.signer = { type: "none" };
      doc.actions = { enabled: false };
      (doc as Record<string, unknown>).custody = {
        provider: { type: "file", path: file },
        pollIntervalMs: 200,
        dualSource: { toleranceBps: 50, maxAsOfSkewSeconds: 3_600 },
        server: { port: custodyPort },
        assets: [{ id: "dusd" }],
      };
    });
    const child = startKeeperProcess({
      args: ["custody", "serve", "--config", configPath, "--with-keeper"],
      metricsPort: keeperPort,
    });
    stops.push(() => child.dispose());
    await child.ready();
    const custodyUrl = `http://127.0.0.1:${custodyPort}`;
    const view = await waitFor("the service's comparison", async () => {
      const body = (await fetch(`${custodyUrl}/v1/custody`)
        .then((r) => r.json())
        .catch(() => undefined)) as { assets: { comparison: { type: string } | null }[] } | undefined;
      return body?.assets[0]?.comparison ? body.assets[0] : undefined;
    });
    expect(view.comparison).toMatchObject({ type: "agree", diffBps: "0" });
    expect((await fetch(`${custodyUrl}/healthz`)).status).toBe(200);
    const text = await (await fetch(`${custodyUrl}/metrics`)).text();
    expect(sampleValue(text, "keeper_custody_up")).toBe(1);
    expect(sampleValue(text, 'keeper_reserve_sources_disagree{asset="dusd"}')).toBe(0);
    child.kill("SIGTERM");
    expect(await child.exited).toEqual({ code: 0, signal: null });
  }, 120_000);
});

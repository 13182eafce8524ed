import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Address, createPublicClient, erc20Abi, http, parseEventLogs } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devnetPrivateKey, HARDHAT_TEST_MNEMONIC } from "../../deploy/devnet/accounts.ts";
import { setReserves, unpause } from "../../deploy/devnet/scenario.ts";
import { complianceGateAbi, reserveCircuitBreakerAbi, stablecoinMinterAbi } from "../../keeper/abi/index.ts";
import { createFileCheckpointStore } from "../../keeper/bus/checkpoint.ts";
import { createInProcessBus, type InProcessBus } from "../../keeper/bus/inprocess.ts";
import type { Envelope } from "../../keeper/bus/types.ts";
import { parseConfig } from "../../keeper/config/load.ts";
import type { KeeperConfig } from "../../keeper/config/schema.ts";
import {
  DEVNET_COMPLIANCE_KEY_ENV,
  DEVNET_ISSUER_KEY_ENV,
  devnetComplianceConfigDocument,
} from "../../keeper/consumers/compliance/devnet.ts";
import {
  expectedGateAnswer,
  GATE_REASONS,
  gateReasonCode,
} from "../../keeper/consumers/compliance/gateReason.ts";
import type { KycRegistryInput } from "../../keeper/consumers/compliance/kycRecordSchema.ts";
import {
  type RunningComplianceService,
  startComplianceService,
} from "../../keeper/consumers/compliance/service.ts";
import { decodeRevert } from "../../keeper/internal/revert.ts";
import { createLogger } from "../../keeper/telemetry/logger.ts";
import { runCli } from "../helpers/cli.ts";
import {
  type Devnet,
  devnetConfig,
  type KeeperRun,
  startDevnet,
  startTestKeeper,
  waitFor,
} from "../helpers/keeperHarness.ts";
import { keeperEnv, startKeeperProcess } from "../helpers/keeperProcess.ts";
import { freePort } from "../helpers/ports.ts";

// The compliance service against a real two-chain devnet (hardhat nodes, 1 s blocks), the real keeper on
// a shared in-process bus, and the service's HTTP API: gate sync, on/off-chain agreement, the on-ramp
// minting through Secure Mint, and the pause reaction (measured).
describe("compliance service (devnet, real nodes, real keeper)", () => {
  let devnet: Devnet;
  let bus: InProcessBus;
  let keeper: KeeperRun;
  let service: RunningComplianceService;
  let serviceConfig: KeeperConfig;
  let serviceDoc: Record<string, unknown>;
  let base: string;
  const busMessages: { at: number; envelope: Envelope }[] = [];
  const asset = "dusd";
  const now = Math.floor(Date.now() / 1000);
  const ONE_TOKEN = 10n ** 6n;
  const QP_THRESHOLD = 1_000_000n * ONE_TOKEN;
  const env = {
    [DEVNET_COMPLIANCE_KEY_ENV]: devnetPrivateKey("complianceOfficer"),
    [DEVNET_ISSUER_KEY_ENV]: devnetPrivateKey("issuer"),
  };
  /** Extra devnet accounts (Hardhat test accounts #12–#15) for the refusal cases. */
  const extra = (index: number) => mnemonicToAccount(HARDHAT_TEST_MNEMONIC, { addressIndex: index }).address;
  const who = {
    alice: "" as Address,
    outsider: "" as Address,
    dave: extra(12), // jurisdiction IR (blocked)
    erin: extra(13), // expired record
    frank: extra(14), // tier 2 US, not a qualified party
    grace: extra(15), // tier 1 (redeem needs tier 2 here)
  };
  const homeEntry = () => devnet.manifest.assets[0]!.chains[0]!;
  const clientOf = (i: number) =>
    createPublicClient({ transport: http(devnet.manifest.chains[i]!.rpcHttpUrl) });
  const gateOf = (i: number) => devnet.manifest.assets[0]!.chains[i]!.gate;
  const paused = (i: number) =>
    clientOf(i).readContract({
      address: devnet.manifest.assets[0]!.chains[i]!.breaker,
      abi: reserveCircuitBreakerAbi,
      functionName: "paused",
    });

  async function post(
    path: string,
    body: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
  const check = async (account: Address, operation: "mint" | "redeem" | "transfer", amount: bigint) => {
    const r = await post("/v1/compliance/check", { account, asset, operation, amount: amount.toString() });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as { allowed: boolean; reasons: string[]; decisionId: string };
  };

  beforeAll(async () => {
    devnet = await startDevnet({ tmpPrefix: "rk-compliance-" });
    who.alice = devnet.manifest.accounts.alice!;
    who.outsider = devnet.manifest.accounts.outsider!;
    const registry: KycRegistryInput = {
      version: 1,
      records: [
        ...(["alice", "bob", "carol"] as const).map((user) => ({
          account: devnet.manifest.accounts[user]!,
          recordId: `kyc-${user}`,
          tier: 2,
          jurisdiction: "US",
          qualifiedParty: true,
          expiresAt: now + 365 * 86_400,
          verifiedAt: now,
        })),
        {
          account: who.dave,
          recordId: "kyc-dave",
          tier: 2,
          jurisdiction: "IR",
          qualifiedParty: true,
          expiresAt: now + 86_400,
        },
        {
          account: who.erin,
          recordId: "kyc-erin",
          tier: 2,
          jurisdiction: "US",
          qualifiedParty: true,
          expiresAt: now - 3_600,
        },
        {
          account: who.frank,
          recordId: "kyc-frank",
          tier: 2,
          jurisdiction: "US",
          qualifiedParty: false,
          expiresAt: now + 86_400,
        },
        {
          account: who.grace,
          recordId: "kyc-grace",
          tier: 1,
          jurisdiction: "CH",
          qualifiedParty: false,
          expiresAt: now + 86_400,
        },
      ],
    };
    const kycPath = join(devnet.dir, "kyc.json");
    await writeFile(kycPath, JSON.stringify(registry));
    const doc = devnetComplianceConfigDocument(devnet.manifest, { kycPath }) as Record<string, unknown> & {
      compliance: Record<string, unknown> & { assets: Record<string, unknown>[] };
    };
    doc.telemetry = { logLevel: (process.env.KEEPER_TEST_LOG ?? "silent") as "silent" };
    doc.compliance.assets[0]!.minKycTier = { mint: 1, redeem: 2, transfer: 1 };
    doc.compliance.api = { port: 0 };
    doc.compliance.gateSync = { enabled: true, intervalMs: 3_600_000, backoffBaseMs: 200 };
    serviceConfig = parseConfig(doc, { env: {} }).config;
    serviceDoc = doc;

    const keeperConfig = devnetConfig(devnet);
    const logger = createLogger({
      level: keeperConfig.telemetry.logLevel,
      destination: process.stderr as never,
    });
    bus = createInProcessBus({
      keeperId: keeperConfig.keeperId,
      checkpoints: createFileCheckpointStore({
        path: keeperConfig.checkpoint.path,
        keeperId: keeperConfig.keeperId,
      }),
      logger,
    });
    await bus.subscribe({
      topics: ["breakerEvents", "complianceDecisions", "decisions"],
      groupId: "test-recorder",
      onMessage: (envelope) => {
        busMessages.push({ at: performance.now(), envelope });
      },
    });
    keeper = await startTestKeeper(keeperConfig, { bus });
    await waitFor("a healthy decision", () =>
      keeper.messages.find((m) => m.type === "decision" && m.payload.type === "healthy"),
    );
    service = await startComplianceService({ config: serviceConfig, env, bus, logger, metricsPort: null });
    base = `http://127.0.0.1:${service.apiPort}`;
    // The first gate sync pass starts with the service.
    await waitFor(
      "the first gate sync on both chains",
      () => {
        const reports = service.gateSync!.lastReports();
        return (
          reports.length === 2 &&
          reports.every((r) => r.outcome === "synced" || r.outcome === "in_sync") &&
          reports
        );
      },
      60_000,
    );
  }, 240_000);

  afterAll(async () => {
    await service?.stop();
    await keeper?.stop();
    await bus?.close();
    await devnet?.stop();
  });

  it("gate sync writes records and rules to every gate (expiry equal), and a second pass sends nothing", async () => {
    for (const report of service.gateSync!.lastReports()) {
      expect(report.outcome, `${report.chainId}: ${report.error}`).toBe("synced");
      expect(report.writes.map((w) => w.change).sort()).toEqual([
        "jurisdictions",
        "min_tier",
        "qp_threshold",
        "records",
      ]);
    }
    for (const i of [0, 1]) {
      const read = (functionName: string, args: readonly unknown[] = []) =>
        clientOf(i).readContract({ address: gateOf(i), abi: complianceGateAbi, functionName, args } as never);
      expect(await read("recordOf", [who.erin])).toEqual({
        kycTier: 2,
        jurisdiction: "0x5553",
        qualifiedParty: true,
        expiresAt: BigInt(now - 3_600),
      });
      expect(await read("isJurisdictionBlocked", ["0x4952"])).toBe(true); // IR
      expect(await read("qualifiedPartyThreshold")).toBe(QP_THRESHOLD);
      expect(await read("minKycTier", [1])).toBe(2);
    }
    const again = await service.gateSync!.runOnce();
    expect(again.map((r) => [r.chainId, r.outcome, r.differences, r.writes.length])).toEqual([
      [31337, "in_sync", 0, 0],
      [31338, "in_sync", 0, 0],
    ]);
  });

  it("off-chain and on-chain answers agree for every devnet case (API vs ComplianceGate.check on both chains)", async () => {
    const cases: [keyof typeof who, "mint" | "redeem" | "transfer", bigint, string[]][] = [
      ["alice", "mint", 100n * ONE_TOKEN, []],
      ["alice", "mint", 2n * QP_THRESHOLD, []],
      ["dave", "mint", ONE_TOKEN, ["JURISDICTION_BLOCKED"]],
      ["erin", "mint", ONE_TOKEN, ["RECORD_EXPIRED"]],
      ["frank", "mint", ONE_TOKEN, []],
      ["frank", "mint", 2n * QP_THRESHOLD, ["QUALIFIED_PARTY_REQUIRED"]],
      ["grace", "mint", ONE_TOKEN, []],
      ["grace", "redeem", ONE_TOKEN, ["KYC_TIER_TOO_LOW"]],
      ["outsider", "transfer", ONE_TOKEN, ["NO_RECORD"]],
    ];
    for (const [name, operation, amount, reasons] of cases) {
      const answer = await check(who[name], operation, amount);
      expect(answer.reasons, `${name} ${operation} ${amount}`).toEqual(reasons);
      expect(answer.allowed).toBe(reasons.length === 0);
      const expected = expectedGateAnswer({ allowed: answer.allowed, reasons: answer.reasons as never });
      for (const i of [0, 1]) {
        const [allowed, reason] = await clientOf(i).readContract({
          address: gateOf(i),
          abi: complianceGateAbi,
          functionName: "check",
          args: [who[name], ["mint", "redeem", "transfer"].indexOf(operation), amount],
        });
        expect({ allowed, reason: GATE_REASONS[reason] }, `${name} ${operation} on chain ${i}`).toEqual(
          expected,
        );
        expect(reason === 0 ? [] : [gateReasonCode(reason)]).toEqual(reasons);
      }
    }
  });

  it("the minter refuses the refused recipients on chain after gate sync (ComplianceCheckFailed with the reason)", async () => {
    const refusals: [Address, bigint, string][] = [
      [who.dave, ONE_TOKEN, "JURISDICTION_BLOCKED"],
      [who.erin, ONE_TOKEN, "RECORD_EXPIRED"],
      [who.frank, 2n * QP_THRESHOLD, "QUALIFIED_PARTY_REQUIRED"],
      [who.outsider, ONE_TOKEN, "NO_RECORD"],
    ];
    for (const [to, amount, code] of refusals) {
      const err = await clientOf(0)
        .simulateContract({
          account: devnet.manifest.accounts.issuer!,
          address: homeEntry().minter!,
          abi: stablecoinMinterAbi,
          functionName: "mint",
          args: [to, amount],
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      const revert = decodeRevert(err);
      expect(revert?.errorName, code).toBe("ComplianceCheckFailed");
      expect(gateReasonCode(Number(revert?.args[3]))).toBe(code);
    }
  });

  it("on-ramp: alice gets a quote, orders it and the settlement mints on chain through Secure Mint (once)", async () => {
    const token = homeEntry().token;
    const balance = () =>
      clientOf(0).readContract({
        address: token,
        abi: erc20Abi,
        functionName: "balanceOf",
        args: [who.alice],
      });
    const before = await balance();
    const quote = await post("/v1/onramp/quotes", { asset, recipient: who.alice, fiatAmount: "250.00" });
    expect(quote.status).toBe(201);
    expect(quote.body).toMatchObject({ fiatAmount: "250.00", fee: "1.25", tokenAmount: "248750000" });
    const order = await post("/v1/onramp/orders", {
      quoteId: quote.body.quoteId,
      idempotencyKey: "e2e-order-alice-1",
    });
    expect(order.status).toBe(201);
    const settle = () => post(`/v1/onramp/orders/${String(order.body.orderId)}/settle`, {});
    const [first, concurrent] = await Promise.all([settle(), settle()]);
    expect(first.body).toMatchObject({ status: "minted", chainId: 31337 });
    expect(concurrent.body.txHash).toBe(first.body.txHash);
    expect(await balance()).toBe(before + 248_750_000n);
    const receipt = await clientOf(0).getTransactionReceipt({ hash: first.body.txHash as `0x${string}` });
    const [minted] = parseEventLogs({ abi: stablecoinMinterAbi, logs: receipt.logs, eventName: "Minted" });
    expect(minted?.args).toMatchObject({
      issuer: devnet.manifest.accounts.issuer,
      to: who.alice,
      amount: 248_750_000n,
    });
    // Settling again returns the same order and mints nothing more.
    expect((await settle()).body.txHash).toBe(first.body.txHash);
    expect(await balance()).toBe(before + 248_750_000n);
    const audit = busMessages.find(
      (m) =>
        m.envelope.type === "compliance.decision" && m.envelope.payload.decisionId === first.body.decisionId,
    );
    expect(audit?.envelope.payload).toMatchObject({
      origin: "onramp",
      operation: "mint",
      allowed: true,
      recordId: "kyc-alice",
    });
  });

  it("on-ramp: a refused recipient's order fails with the reason and nothing is minted", async () => {
    const quote = await post("/v1/onramp/quotes", { asset, recipient: who.dave, fiatAmount: "10.00" });
    const order = await post("/v1/onramp/orders", {
      quoteId: quote.body.quoteId,
      idempotencyKey: "e2e-order-dave-1",
    });
    const settled = await post(`/v1/onramp/orders/${String(order.body.orderId)}/settle`, {});
    expect(settled.body).toMatchObject({
      status: "failed",
      failure: { type: "refused", reasons: ["JURISDICTION_BLOCKED"] },
    });
    const balance = await clientOf(0).readContract({
      address: homeEntry().token,
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [who.dave],
    });
    expect(balance).toBe(0n);
  });

  it("after a real pause of dusd every check is refused with BREAKER_PAUSED within 1 s, and allowed again after the M-of-N unpause", async () => {
    const mark = busMessages.length;
    const pausedSignal = () =>
      busMessages
        .slice(mark)
        .find(
          (m) =>
            (m.envelope.type === "pause.mined" ||
              (m.envelope.type === "breaker.observed" && m.envelope.payload.kind !== "unpaused")) &&
            m.envelope.payload.assetId === asset,
        );
    await setReserves(devnet.manifest, asset, "3000000"); // below the 6,000,000+ supply: the keeper pauses
    const signal = await waitFor("the keeper's first pause event for dusd", pausedSignal, 30_000, 5);
    const refused = await waitFor(
      "BREAKER_PAUSED from the API",
      async () => {
        const answer = await check(who.alice, "mint", ONE_TOKEN);
        return answer.reasons.includes("BREAKER_PAUSED") && { answer, at: performance.now() };
      },
      1_000,
      10,
    );
    const latencyMs = refused.at - signal.at;
    console.info(
      `compliance: pause event (${signal.envelope.type}) → API refusal with BREAKER_PAUSED: ${latencyMs.toFixed(1)} ms`,
    );
    expect(latencyMs).toBeLessThan(1_000);
    expect(refused.answer.allowed).toBe(false);
    // Every operation and every account, including otherwise allowed ones.
    for (const [account, operation] of [
      [who.alice, "redeem"],
      [who.frank, "transfer"],
      [who.grace, "mint"],
    ] as const) {
      expect((await check(account, operation, ONE_TOKEN)).reasons).toContain("BREAKER_PAUSED");
    }
    // An on-ramp settlement while paused fails with BREAKER_PAUSED and mints nothing.
    const quote = await post("/v1/onramp/quotes", { asset, recipient: who.alice, fiatAmount: "5.00" });
    const order = await post("/v1/onramp/orders", {
      quoteId: quote.body.quoteId,
      idempotencyKey: "e2e-order-paused",
    });
    expect((await post(`/v1/onramp/orders/${String(order.body.orderId)}/settle`, {})).body).toMatchObject({
      status: "failed",
      failure: { reasons: ["BREAKER_PAUSED"] },
    });

    // A service started while dusd is paused refuses from its first answer (it reads paused() on chain).
    const late = await startComplianceService({
      config: {
        ...serviceConfig,
        compliance: {
          ...serviceConfig.compliance!,
          gateSync: { ...serviceConfig.compliance!.gateSync, enabled: false },
          onRamp: { ...serviceConfig.compliance!.onRamp, enabled: false },
        },
      },
      env,
      bus,
      apiPort: 0,
      metricsPort: null,
      groupId: "late-compliance",
    });
    try {
      const r = await fetch(`http://127.0.0.1:${late.apiPort}/v1/compliance/check`, {
        method: "POST",
        body: JSON.stringify({ account: who.alice, asset, operation: "mint", amount: "1" }),
      });
      expect(((await r.json()) as { reasons: string[] }).reasons).toEqual(["BREAKER_PAUSED"]);
    } finally {
      await late.stop();
    }

    // Recover: reserves back, both breakers paused by the keeper, then the 2-of-3 signed unpause.
    await waitFor("both breakers paused", async () => (await paused(0)) && (await paused(1)), 30_000);
    const recovered = busMessages.length;
    await setReserves(devnet.manifest, asset, "10000000");
    await waitFor("a healthy decision", () =>
      busMessages
        .slice(recovered)
        .find((m) => m.envelope.type === "decision" && m.envelope.payload.type === "healthy"),
    );
    expect((await check(who.alice, "mint", ONE_TOKEN)).reasons).toEqual(["BREAKER_PAUSED"]); // healthy is not unpaused
    await unpause(devnet.manifest, { asset, chain: "home", reason: "e2e: reserves restored" });
    expect((await check(who.alice, "mint", ONE_TOKEN)).reasons).toEqual(["BREAKER_PAUSED"]); // remote still paused
    const lastUnpause = await unpause(devnet.manifest, {
      asset,
      chain: "remote",
      reason: "e2e: reserves restored",
    });
    const allowed = await waitFor(
      "allowed again after the unpause",
      async () => {
        const answer = await check(who.alice, "mint", ONE_TOKEN);
        return answer.allowed && answer;
      },
      10_000,
      20,
    );
    expect(allowed.reasons).toEqual([]);
    expect(lastUnpause.hash).toMatch(/^0x[0-9a-f]{64}$/);
    const audits = busMessages.slice(mark).filter((m) => m.envelope.type === "compliance.decision");
    expect(
      audits.some(
        (m) => m.envelope.type === "compliance.decision" && m.envelope.payload.pausedChainIds.length > 0,
      ),
    ).toBe(true);
  }, 180_000);

  it("CLI: devnet-config, sync --dry-run, serve (until SIGTERM) and check with documented exit codes", async () => {
    const written = await runCli([
      "compliance",
      "devnet-config",
      ...devnet.m,
      "--out",
      join(devnet.dir, "c.yaml"),
      "--kyc",
      join(devnet.dir, "c.kyc.json"),
    ]);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout.trim().split("\n")).toEqual([
      join(devnet.dir, "c.yaml"),
      join(devnet.dir, "c.kyc.json"),
    ]);

    const configPath = join(devnet.dir, "compliance-cli.json");
    const compliance = serviceDoc.compliance as Record<string, unknown>;
    await writeFile(
      configPath,
      JSON.stringify({
        ...serviceDoc,
        telemetry: { logLevel: "info" },
        compliance: { ...compliance, gateSync: { enabled: false }, onRamp: { enabled: false } },
      }),
    );
    const dry = await runCli(
      ["compliance", "sync", "--config", configPath, "--dry-run", "--json"],
      keeperEnv(),
    );
    expect(dry.code, dry.stderr).toBe(0);
    expect(
      (JSON.parse(dry.stdout) as { outcome: string; differences: number }[]).map((r) => [
        r.outcome,
        r.differences,
      ]),
    ).toEqual([
      ["in_sync", 0],
      ["in_sync", 0],
    ]);

    const [apiPort, metricsPort] = [await freePort(), await freePort()];
    const serve = startKeeperProcess({
      args: [
        "compliance",
        "serve",
        "--config",
        configPath,
        "--devnet-keys",
        "--api-port",
        String(apiPort),
        "--metrics-port",
        String(metricsPort),
      ],
      metricsPort,
    });
    try {
      await serve.ready(60_000);
      const url = `http://127.0.0.1:${apiPort}`;
      const allowed = await runCli([
        "compliance",
        "check",
        "--url",
        url,
        "--account",
        who.alice,
        "--asset",
        asset,
        "--operation",
        "mint",
        "--amount",
        "1000000",
        "--json",
      ]);
      expect(allowed.code, allowed.stderr).toBe(0);
      expect(JSON.parse(allowed.stdout)).toMatchObject({
        allowed: true,
        reasons: [],
        asset,
        operation: "mint",
      });
      const refused = await runCli([
        "compliance",
        "check",
        "--url",
        url,
        "--account",
        who.outsider,
        "--asset",
        asset,
        "--operation",
        "redeem",
        "--amount",
        "1",
      ]);
      expect(refused.code).toBe(3);
      expect(refused.stdout).toMatch(/^refused: NO_RECORD \(decision /);
      const bad = await runCli([
        "compliance",
        "check",
        "--url",
        url,
        "--account",
        who.alice,
        "--asset",
        asset,
        "--operation",
        "burn",
        "--amount",
        "1",
      ]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/Field operation/);
      const metrics = await serve.scrape();
      expect(metrics).toMatch(
        /keeper_compliance_decisions_total\{asset="dusd",operation="redeem",outcome="refused"\} 1/,
      );
      expect(metrics).toMatch(/keeper_compliance_asset_paused\{asset="dusd"\} 0/);
      serve.kill("SIGTERM");
      expect(await serve.exited).toEqual({ code: 0, signal: null });
      expect(serve.stderr()).toMatch(/"msg":"compliance service stopped"/);
    } finally {
      await serve.dispose();
    }
  }, 120_000);
});

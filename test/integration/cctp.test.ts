// CCTP on a private devnet (two hardhat nodes, the CCTP devnet contracts from `devnet up`), with the
// local attestation service in-process: standard and fast transfers of USDC and dusd both ways (fees),
// treasury hooks (standard and fast) executed atomically with the mint, a V1 route, a replayed receive
// recognised as already received, and the pause-aware service holding dusd while its breaker is paused
// (USDC keeps moving) until the M-of-N unpause.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { decodeEventLog, type Hex, parseAbi, stringToHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devnetPrivateKey } from "../../deploy/devnet/accounts.ts";
import { unpause } from "../../deploy/devnet/scenario.ts";
import { reserveCircuitBreakerAbi } from "../../keeper/abi/index.ts";
import { createInProcessBus, type InProcessBus } from "../../keeper/bus/inprocess.ts";
import type { CctpTransferEvent, Envelope } from "../../keeper/bus/types.ts";
import { decodeMessage } from "../../keeper/cctp/decode.ts";
import { addressToBytes32 } from "../../keeper/cctp/hex.ts";
import { createCctpChainClients } from "../../keeper/cctp/transfer/clients.ts";
import { feeAtRate } from "../../keeper/cctp/transfer/fees.ts";
import { createIrisClient } from "../../keeper/cctp/transfer/irisClient.ts";
import { createTransferClient } from "../../keeper/cctp/transfer/transferClient.ts";
import { createCctpTransferService } from "../../keeper/consumers/cctp/transferService.ts";
import { decodeBreakerLog } from "../../keeper/sources/breaker.ts";
import type { MinedLog } from "../../keeper/sources/logs.ts";
import {
  type CctpTestEnv,
  devnetAddress,
  type RunTransferResult,
  runTransfer,
  startCctp,
} from "../helpers/cctp.ts";
import { PROJECT_ROOT, runCli } from "../helpers/cli.ts";
import { type Devnet, startDevnet, waitFor } from "../helpers/keeperHarness.ts";

const USDC = { type: "usdc" } as const;
const DUSD = { type: "asset", assetId: "dusd" } as const;
const units = (whole: number) => BigInt(whole) * 1_000_000n; // USDC and dusd: 6 decimals
/** The service's fast fee: 1 bps (cctp.attestationService.fastFeeBps default), rounded up. */
const fastFee = (amount: bigint) => feeAtRate(amount, 1_000n);

const treasuryAbi = parseAbi([
  "function balanceOf(bytes32 account, address token) view returns (uint256)",
  "event Credited(bytes32 indexed account, address indexed token, uint256 amount, bytes32 nonce, uint32 sourceDomain, bytes32 sender)",
]);

let devnet: Devnet;
let cctp: CctpTestEnv;

beforeAll(async () => {
  devnet = await startDevnet({ tmpPrefix: "rk-cctp-" });
  cctp = await startCctp(devnet);
}, 180_000);

afterAll(async () => {
  await cctp?.stop();
  await devnet?.stop();
});

const eventsOf = (events: readonly CctpTransferEvent[]) => events.map((e) => e.event);

describe("CCTP transfers on the devnet", () => {
  it("moves USDC and dusd both ways, standard and fast; fast recipients get amount - fee, the fee recipient the fee", async () => {
    const feeRecipient = devnet.manifest.accounts.feeRecipient!;
    const feeBefore = {
      usdc: await cctp.balance("home", USDC, feeRecipient),
      dusd: await cctp.balance("home", DUSD, feeRecipient),
    };
    const [usdcStd, dusdFast, usdcFast] = await Promise.all([
      runTransfer(cctp, {
        account: "alice",
        request: { token: USDC, from: "home", to: "remote", amount: units(100), speed: "standard" },
      }),
      runTransfer(cctp, {
        account: "bob",
        request: { token: DUSD, from: "remote", to: "home", amount: units(1_000), speed: "fast" },
      }),
      runTransfer(cctp, {
        account: "carol",
        request: { token: USDC, from: "remote", to: "home", amount: units(50), speed: "fast" },
      }),
    ]);

    expect(usdcStd.result).toMatchObject({
      type: "received",
      speed: "standard",
      feeExecuted: 0n,
      finalityThresholdExecuted: 2000,
    });
    expect(usdcStd.result.route.version).toBe(2);
    expect(eventsOf(usdcStd.events)).toEqual(["burned", "attested", "received"]);
    expect(usdcStd.balances.sourceBefore - usdcStd.balances.sourceAfter).toBe(units(100));
    expect(usdcStd.balances.destinationAfter - usdcStd.balances.destinationBefore).toBe(units(100));

    for (const [run, amount] of [
      [dusdFast, units(1_000)],
      [usdcFast, units(50)],
    ] as const) {
      const fee = fastFee(amount);
      expect(run.result).toMatchObject({
        type: "received",
        speed: "fast",
        maxFee: fee,
        feeExecuted: fee,
        finalityThresholdExecuted: 1000,
        fee,
        received: amount - fee,
      });
      expect(run.balances.sourceBefore - run.balances.sourceAfter).toBe(amount);
      expect(run.balances.destinationAfter - run.balances.destinationBefore).toBe(amount - fee);
    }
    expect((await cctp.balance("home", DUSD, feeRecipient)) - feeBefore.dusd).toBe(fastFee(units(1_000)));
    expect((await cctp.balance("home", USDC, feeRecipient)) - feeBefore.usdc).toBe(fastFee(units(50)));

    // dusd home -> remote, standard.
    const dusdStd = await runTransfer(cctp, {
      account: "alice",
      request: { token: DUSD, from: "home", to: "remote", amount: units(250), speed: "standard" },
    });
    expect(dusdStd.result).toMatchObject({ type: "received", received: units(250), fee: 0n });
    expect(dusdStd.balances.destinationAfter - dusdStd.balances.destinationBefore).toBe(units(250));

    // The other half of {USDC, dusd} × {standard, fast} × {home → remote, remote → home}.
    const rest: RunTransferResult[] = await Promise.all([
      runTransfer(cctp, {
        account: "alice",
        request: { token: DUSD, from: "home", to: "remote", amount: units(300), speed: "fast" },
      }),
      runTransfer(cctp, {
        account: "bob",
        request: { token: DUSD, from: "remote", to: "home", amount: units(40), speed: "standard" },
      }),
      runTransfer(cctp, {
        account: "carol",
        request: { token: USDC, from: "home", to: "remote", amount: units(70), speed: "fast" },
      }),
    ]);
    rest.push(
      await runTransfer(cctp, {
        account: "carol",
        request: { token: USDC, from: "remote", to: "home", amount: units(20), speed: "standard" },
      }),
    );
    for (const [run, amount, speed] of [
      [rest[0], units(300), "fast"],
      [rest[1], units(40), "standard"],
      [rest[2], units(70), "fast"],
      [rest[3], units(20), "standard"],
    ] as const) {
      const fee = speed === "fast" ? fastFee(amount) : 0n;
      expect(run?.result).toMatchObject({
        type: "received",
        speed,
        feeExecuted: fee,
        received: amount - fee,
      });
      expect(run!.balances.sourceBefore - run!.balances.sourceAfter).toBe(amount);
      expect(run!.balances.destinationAfter - run!.balances.destinationBefore).toBe(amount - fee);
    }

    // A second receive of a received transfer (resume from its burn) is recognised, not failed.
    const replay: CctpTransferEvent[] = [];
    const again = await cctp
      .client({ account: "alice", onEvent: (e) => void replay.push(e) })
      .resume({ chain: "home", burnTxHash: usdcStd.result.burnTxHash });
    expect(again.type).toBe("already_received");
    expect(again.nonce).toBe(usdcStd.result.nonce);
    expect(eventsOf(replay)).toEqual(["attested", "already_received"]);
    expect(await cctp.balance("remote", USDC, devnetAddress("alice"))).toBe(
      usdcStd.balances.destinationAfter,
    );
  });

  it("executes a treasury hook in the same transaction as the mint, standard and fast (credits amount - fee)", async () => {
    const treasury = cctp.setup.chainByName("home")!.treasury!;
    const homeUsdc = cctp.setup.chainByName("home")!.usdc!;
    const credited = (account: Hex) =>
      cctp.publicClient("home").readContract({
        address: treasury,
        abi: treasuryAbi,
        functionName: "balanceOf",
        args: [account, homeUsdc],
      });
    const cases = [
      { account: stringToHex("cust-42", { size: 32 }), sender: "bob", speed: "standard", fee: 0n },
      {
        account: stringToHex("cust-43", { size: 32 }),
        sender: "alice",
        speed: "fast",
        fee: fastFee(units(20)),
      },
    ] as const;
    const before = await Promise.all(cases.map((c) => credited(c.account)));
    const runs = await Promise.all(
      cases.map((c) =>
        runTransfer(cctp, {
          account: c.sender,
          request: {
            token: USDC,
            from: "remote",
            to: "home",
            amount: units(20),
            speed: c.speed,
            hook: { type: "treasury", account: c.account },
          },
        }),
      ),
    );
    for (const [i, c] of cases.entries()) {
      const run = runs[i]!;
      const net = units(20) - c.fee;
      expect(run.result).toMatchObject({
        type: "received",
        speed: c.speed,
        via: "hook_executor",
        feeExecuted: c.fee,
        received: net,
      });
      expect((await credited(c.account)) - before[i]!).toBe(net);
      // The credit is a log of the receive transaction itself (the mint's transaction).
      const receipt = await cctp
        .publicClient("home")
        .getTransactionReceipt({ hash: run.result.type === "received" ? run.result.receiveTxHash : "0x" });
      const credits = receipt.logs
        .filter((l) => l.address.toLowerCase() === treasury.toLowerCase())
        .map((l) => decodeEventLog({ abi: treasuryAbi, data: l.data, topics: l.topics }));
      expect(credits).toEqual([
        expect.objectContaining({
          eventName: "Credited",
          args: expect.objectContaining({ account: c.account, amount: net, nonce: run.result.nonce }),
        }),
      ]);
    }
  });

  it("falls back to V1 on a route configured V1-only", async () => {
    const v1Only = cctp.setupWith({ remote: [1] });
    const run = await runTransfer(cctp, {
      account: "carol",
      setup: v1Only,
      // depositForBurnWithCaller: only carol (the sender) may receive.
      request: {
        token: USDC,
        from: "home",
        to: "remote",
        amount: units(7),
        speed: "standard",
        destinationCaller: devnetAddress("carol"),
      },
    });
    expect(run.result.route.version).toBe(1);
    expect(run.result).toMatchObject({ type: "received", received: units(7), fee: 0n });
    expect(run.result.nonce).toMatch(/^\d+$/);
    const message = decodeMessage(run.result.message);
    expect(message.type).toBe("v1");
    expect(message.message.destinationCaller).toBe(addressToBytes32(devnetAddress("carol")));
    expect(run.balances.destinationAfter - run.balances.destinationBefore).toBe(units(7));
    expect(() =>
      cctp
        .client({ account: "carol", setup: v1Only })
        .plan({ token: USDC, from: "home", to: "remote", amount: 1n, speed: "fast" }),
    ).toThrow(
      "CCTP route home -> remote is not supported: fast transfers need CCTP V2 on both ends (this route is V1).",
    );
  });
});

describe("the pause-aware transfer service on the devnet", () => {
  let bus: InProcessBus;
  beforeAll(() => {
    bus = createInProcessBus({ keeperId: "cctp-test" });
  });
  afterAll(async () => {
    await bus?.close();
  });

  /** Publishes the breaker's events of a transaction as the keeper's sources do (breaker.observed). */
  async function publishBreakerEvents(chain: string, txHash: Hex): Promise<void> {
    const d = cctp.setup.assets[0]!.deployments.find((x) => x.chain === chain)!;
    const receipt = await cctp.publicClient(chain).getTransactionReceipt({ hash: txHash });
    const payloads = receipt.logs
      .map(
        (log) =>
          decodeBreakerLog({
            assetId: "dusd",
            chainId: d.chainId,
            breaker: d.breaker,
            log: log as unknown as MinedLog,
            source: "event",
          }).observation,
      )
      .filter((o) => o !== undefined);
    expect(payloads.length).toBeGreaterThan(0);
    await bus.publish(payloads.map((payload) => ({ payload })));
  }

  it("holds dusd while its breaker is paused, keeps moving USDC, and completes dusd after the M-of-N unpause", async () => {
    const published: Envelope[] = [];
    await bus.subscribe({
      topics: ["cctpTransfers"],
      groupId: "recorder",
      onMessage: (e) => void published.push(e),
    });
    const account = privateKeyToAccount(devnetPrivateKey("alice"));
    const clients = createCctpChainClients({ account });
    const service = createCctpTransferService({
      setup: cctp.setup,
      bus,
      logger: cctp.logger,
      metrics: cctp.metrics,
      chainClients: clients,
      createClient: (onEvent) =>
        createTransferClient({
          setup: cctp.setup,
          clients,
          iris: createIrisClient({ baseUrl: cctp.url }),
          logger: cctp.logger,
          metrics: cctp.metrics,
          onEvent,
        }),
    });
    await service.start();
    try {
      expect(service.isPaused("dusd")).toBe(false);
      // The keeper pauses the home breaker for real (KEEPER_ROLE) and its sources publish breaker.observed.
      const keeper = createCctpChainClients({ account: privateKeyToAccount(devnetPrivateKey("keeper")) })(
        cctp.setup.chainByName("home")!,
      );
      const homeBreaker = cctp.setup.assets[0]!.deployments.find((d) => d.chain === "home")!.breaker;
      const pauseTx = await keeper.wallet.writeContract({
        address: homeBreaker,
        abi: reserveCircuitBreakerAbi,
        functionName: "pause",
        args: ["cctp integration test", 0n, 0n],
      });
      expect((await keeper.public.waitForTransactionReceipt({ hash: pauseTx })).status).toBe("success");
      await publishBreakerEvents("home", pauseTx);
      await waitFor("the service sees dusd paused", () => service.isPaused("dusd"), 10_000);

      const dusdBefore = await cctp.balance("remote", DUSD, account.address);
      const held = service.submit({
        requestId: "held-dusd",
        token: DUSD,
        from: "home",
        to: "remote",
        amount: units(5),
        speed: "standard",
      });
      await waitFor("dusd held", () => service.held("dusd") === 1, 10_000);
      expect(held.events.map((e) => e.event)).toEqual(["held"]);

      const usdc = service.submit({
        requestId: "usdc-while-paused",
        token: USDC,
        from: "home",
        to: "remote",
        amount: units(3),
        speed: "fast",
      });
      expect((await usdc.done).type).toBe("received");
      expect(held.events.map((e) => e.event)).toEqual(["held"]); // still waiting, nothing burned
      expect(await cctp.balance("remote", DUSD, account.address)).toBe(dusdBefore);

      // 2-of-3 signers unpause; the keeper's sources publish the unpause.
      const unpaused = await unpause(devnet.manifest, {
        asset: "dusd",
        chain: "home",
        reason: "cctp test done",
      });
      await publishBreakerEvents("home", unpaused.hash);
      const result = await held.done;
      expect(result).toMatchObject({ type: "received", received: units(5) });
      expect(held.events.map((e) => e.event)).toEqual(["held", "resumed", "burned", "attested", "received"]);
      expect(await cctp.balance("remote", DUSD, account.address)).toBe(dusdBefore + units(5));
      await bus.idle();
      const ids = published
        .filter((e) => (e.payload as CctpTransferEvent).transferId === "held-dusd")
        .map((e) => e.id);
      expect(ids).toEqual([
        "cctp:held-dusd:held:burn:1",
        "cctp:held-dusd:resumed:burn:1",
        "cctp:held-dusd:burned",
        "cctp:held-dusd:attested",
        "cctp:held-dusd:received",
      ]);
      expect((await cctp.metrics.cctpTransfersHeld.get()).values).toContainEqual({
        labels: { asset: "dusd", stage: "burn" },
        value: 0,
      });
    } finally {
      await service.stop();
    }
  });
});

describe("reserve-keeper cctp (CLI) on the devnet", () => {
  it("transfer prints every step and exits 0; a fee above --max-fee exits 1 with the reason", async () => {
    const ok = await runCli([
      "cctp",
      "transfer",
      "--usdc",
      "--from",
      "remote",
      "--to",
      "home",
      "--amount",
      "12.5",
      "--fast",
      "--manifest",
      devnet.manifestPath,
      "--attestation-url",
      cctp.url,
      "--account",
      "carol",
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    const fee = fastFee(12_500_000n);
    expect(ok.stdout).toMatch(/^transfer {3}12\.5 usdc remote -> home {2}CCTP v2 fast/m);
    expect(ok.stdout).toMatch(/^burned {5}tx 0x[0-9a-f]{64} on remote/m);
    expect(ok.stdout).toMatch(/^attested {3}after \d+ polls/m);
    expect(ok.stdout).toContain(`amount ${(12_500_000 - Number(fee)) / 1e6}  fee ${Number(fee) / 1e6}`);

    const json = await runCli([
      "cctp",
      "transfer",
      "--asset",
      "dusd",
      "--from",
      "home",
      "--to",
      "remote",
      "--amount",
      "2",
      "--manifest",
      devnet.manifestPath,
      "--attestation-url",
      cctp.url,
      "--json",
    ]);
    expect(json.code, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({
      ok: true,
      outcome: "received",
      asset: "dusd",
      version: 2,
      speed: "standard",
      amount: "2000000",
      received: "2000000",
      fee: "0",
    });
    expect((doc.events as { event: string }[]).map((e) => e.event)).toEqual([
      "burned",
      "attested",
      "received",
    ]);

    const v1 = await runCli([
      "cctp",
      "transfer",
      "--usdc",
      "--from",
      "home",
      "--to",
      "remote",
      "--amount",
      "1",
      "--version",
      "1",
      "--manifest",
      devnet.manifestPath,
      "--attestation-url",
      cctp.url,
      "--json",
    ]);
    expect(v1.code, v1.stderr).toBe(0);
    expect(JSON.parse(v1.stdout)).toMatchObject({
      ok: true,
      outcome: "received",
      version: 1,
      received: "1000000",
    });

    const resumed = await runCli([
      "cctp",
      "resume",
      "--burn-tx",
      doc.burnTxHash as string,
      "--from",
      "home",
      "--manifest",
      devnet.manifestPath,
      "--attestation-url",
      cctp.url,
    ]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/^received {3}already \(nonce 0x[0-9a-f]{64} is used on remote\)$/m);

    const capped = await runCli([
      "cctp",
      "transfer",
      "--usdc",
      "--from",
      "home",
      "--to",
      "remote",
      "--amount",
      "100",
      "--fast",
      "--max-fee",
      "0.001",
      "--manifest",
      devnet.manifestPath,
      "--attestation-url",
      cctp.url,
    ]);
    expect(capped.code).toBe(1);
    expect(capped.stderr).toContain(
      "error: Fast-transfer fee 10000 on route home -> remote is above the caller's maxFee 1000.",
    );

    const bad = await runCli([
      "cctp",
      "transfer",
      "--usdc",
      "--asset",
      "dusd",
      "--from",
      "home",
      "--to",
      "remote",
      "--amount",
      "1",
      "--manifest",
      devnet.manifestPath,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Give exactly one of --asset <id> and --usdc.");
  });

  it("attestation-service serves the Iris API until SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [
        join(PROJECT_ROOT, "bin", "reserve-keeper.js"),
        "cctp",
        "attestation-service",
        "--manifest",
        devnet.manifestPath,
        "--port",
        "0",
      ],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, LOG_LEVEL: "silent" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    try {
      const url = await waitFor(
        "the service's URL",
        () => /listening on (http:\/\/\S+)/.exec(stdout)?.[1],
        30_000,
      );
      const fees = await fetch(`${url}/v2/burn/USDC/fees/0/6`);
      expect(await fees.json()).toEqual([
        { finalityThreshold: 1000, minimumFee: 1 },
        { finalityThreshold: 2000, minimumFee: 0 },
      ]);
      expect((await fetch(`${url}/v2/messages/6?transactionHash=0x${"00".repeat(32)}`)).status).toBe(404);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });
});

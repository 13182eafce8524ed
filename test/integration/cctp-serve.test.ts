// `reserve-keeper cctp serve` as a child process on a private devnet (the attestation service
// in-process): a dusd transfer submitted over HTTP is received; while the home dusd breaker is paused
// for real, a new dusd transfer is held before its burn and a transfer burned and attested before the
// pause (resumed over HTTP) is held before its receive, while USDC keeps moving; after the 2-of-3
// unpause both complete. The service learns pause and unpause from its periodic breaker reads (no bus).
// SIGTERM stops it with exit code 0.
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devnetPrivateKey } from "../../deploy/devnet/accounts.ts";
import { unpause } from "../../deploy/devnet/scenario.ts";
import { reserveCircuitBreakerAbi } from "../../keeper/abi/index.ts";
import { createCctpChainClients } from "../../keeper/cctp/transfer/clients.ts";
import type { BurnedTransfer } from "../../keeper/cctp/transfer/transferClient.ts";
import { type CctpTestEnv, devnetAddress, startCctp } from "../helpers/cctp.ts";
import { type Devnet, startDevnet, waitFor } from "../helpers/keeperHarness.ts";
import { type KeeperProcess, keeperEnv, sampleValue, startKeeperProcess } from "../helpers/keeperProcess.ts";
import { freePort } from "../helpers/ports.ts";

const DUSD = { type: "asset", assetId: "dusd" } as const;
type Json = Record<string, unknown>;

let devnet: Devnet;
let cctp: CctpTestEnv;
let serve: KeeperProcess;
let base: string;

beforeAll(async () => {
  devnet = await startDevnet({ tmpPrefix: "rk-cctp-serve-" });
  cctp = await startCctp(devnet);
  const [apiPort, metricsPort] = [await freePort(), await freePort()];
  base = `http://127.0.0.1:${apiPort}`;
  serve = startKeeperProcess({
    args: [
      "cctp",
      "serve",
      "--manifest",
      devnet.manifestPath,
      "--attestation-url",
      cctp.url,
      "--port",
      String(apiPort),
      "--metrics-port",
      String(metricsPort),
      "--reconcile-interval-ms",
      "200",
    ],
    metricsPort,
    env: keeperEnv({ LOG_LEVEL: "info" }),
  });
  await serve.ready(60_000);
}, 180_000);

afterAll(async () => {
  await serve?.dispose();
  await cctp?.stop();
  await devnet?.stop();
});

async function post(path: string, body: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function get(path: string): Promise<Json> {
  const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(10_000) });
  return (await res.json()) as Json;
}

/** Polls GET /v1/transfers/{id} until its status is `status` (fails at once on failed). */
function untilStatus(id: string, status: string, timeoutMs = 30_000): Promise<Json> {
  return waitFor(
    `transfer ${id} ${status}`,
    async () => {
      const t = await get(`/v1/transfers/${encodeURIComponent(id)}`);
      if (t.status === "failed" && status !== "failed")
        throw new Error(`${id} failed: ${JSON.stringify(t.error)}`);
      return t.status === status ? t : undefined;
    },
    timeoutMs,
  );
}

const eventNames = (t: Json) =>
  (t.events as { event: string; stage?: string }[]).map((e) =>
    e.event === "held" || e.event === "resumed" ? `${e.event}:${e.stage}` : e.event,
  );

describe("reserve-keeper cctp serve on the devnet", () => {
  let early: BurnedTransfer;

  it("receives a dusd transfer submitted over HTTP (while bob burns and gets attested a transfer of his own)", async () => {
    const bob = cctp.client({ account: "bob" });
    const bobBurn = (async () => {
      const burned = await bob.burn(
        bob.plan({ token: DUSD, from: "remote", to: "home", amount: 3_000_000n, speed: "fast" }),
      );
      await bob.awaitAttestation(burned);
      return burned;
    })();
    const accepted = await post("/v1/transfers", {
      asset: "dusd",
      from: "home",
      to: "remote",
      amount: "5",
      speed: "fast",
      requestId: "dusd-1",
    });
    expect(accepted).toEqual({
      status: 202,
      body: { transferId: "dusd-1", status: "pending", created: true },
    });
    const done = await untilStatus("dusd-1", "received");
    expect(eventNames(done)).toEqual(["burned", "attested", "received"]);
    expect(done).toMatchObject({ asset: "dusd", from: "home", to: "remote", amount: "5000000" });
    expect(done.burnTxHash).toMatch(/^0x[0-9a-f]{64}$/);
    early = await bobBurn;
    // The same requestId is the same transfer.
    expect(
      (
        await post("/v1/transfers", {
          asset: "dusd",
          from: "home",
          to: "remote",
          amount: "5",
          speed: "fast",
          requestId: "dusd-1",
        })
      ).body,
    ).toEqual({ transferId: "dusd-1", status: "received", created: false });
  }, 60_000);

  it("holds dusd (burn, and an attested receive) while the breaker is paused, moves USDC, completes both after the 2-of-3 unpause", async () => {
    const home = cctp.setup.chainByName("home")!;
    const keeper = createCctpChainClients({ account: privateKeyToAccount(devnetPrivateKey("keeper")) })(home);
    const homeBreaker = cctp.setup.assets[0]!.deployments.find((d) => d.chain === "home")!.breaker;
    const pauseTx = await keeper.wallet.writeContract({
      address: homeBreaker,
      abi: reserveCircuitBreakerAbi,
      functionName: "pause",
      args: ["cctp serve integration test", 0n, 0n],
    });
    expect((await keeper.public.waitForTransactionReceipt({ hash: pauseTx })).status).toBe("success");
    await waitFor(
      "the service reads dusd paused",
      async () => {
        const paused = ((await get("/healthz")).details as { pausedAssets: Record<string, number[]> })
          .pausedAssets;
        return paused.dusd?.includes(home.chainId);
      },
      10_000,
    );

    const bobHomeBefore = await cctp.balance("home", DUSD, devnetAddress("bob"));
    await post("/v1/transfers", {
      asset: "dusd",
      from: "home",
      to: "remote",
      amount: "2",
      speed: "fast",
      requestId: "dusd-held",
    });
    const resumed = await post("/v1/transfers/resume", { chain: "remote", burnTxHash: early.burnTxHash });
    expect(resumed.status).toBe(202);
    const resumeId = resumed.body.transferId as string;
    expect((await untilStatus("dusd-held", "held")).held).toMatchObject({
      stage: "burn",
      pausedChainIds: [home.chainId],
    });
    expect((await untilStatus(resumeId, "held")).held).toMatchObject({ stage: "receive" });

    await post("/v1/transfers", {
      asset: "usdc",
      from: "home",
      to: "remote",
      amount: "3",
      speed: "fast",
      requestId: "usdc-1",
    });
    await untilStatus("usdc-1", "received");
    const stillHeld = await get("/v1/transfers/dusd-held");
    expect(stillHeld.status).toBe("held");
    expect(stillHeld.burnTxHash).toBeUndefined();
    expect(
      ((await get("/v1/transfers?status=held")).transfers as Json[]).map((t) => t.transferId).sort(),
    ).toEqual(["dusd-held", resumeId].sort());
    expect(((await get("/healthz")).details as Json).held).toEqual({ dusd: { burn: 1, receive: 1 } });
    expect(await cctp.balance("home", DUSD, devnetAddress("bob"))).toBe(bobHomeBefore);

    await unpause(devnet.manifest, { asset: "dusd", chain: "home", reason: "cctp serve test done" });
    const held = await untilStatus("dusd-held", "received");
    expect(eventNames(held)).toEqual(["held:burn", "resumed:burn", "burned", "attested", "received"]);
    const late = await untilStatus(resumeId, "received");
    expect(eventNames(late)).toEqual(["attested", "held:receive", "resumed:receive", "received"]);
    const received = BigInt((late.receive as { received: string }).received);
    expect(received).toBeGreaterThan(0n);
    expect((await cctp.balance("home", DUSD, devnetAddress("bob"))) - bobHomeBefore).toBe(received);
    const metrics = await serve.scrape();
    expect(sampleValue(metrics, 'keeper_cctp_asset_paused{asset="dusd"}')).toBe(0);
    expect(sampleValue(metrics, 'keeper_cctp_transfers_held{asset="dusd",stage="burn"}')).toBe(0);
  }, 60_000);

  it("stops on SIGTERM with exit code 0", async () => {
    serve.kill("SIGTERM");
    expect(await serve.exited).toEqual({ code: 0, signal: null });
    expect(serve.stderr()).toContain("cctp transfer service stopped");
  }, 20_000);
});

import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { formatUnits, parseUnits } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createAttestationService } from "../../keeper/cctp/attestationService/attestationService.ts";
import { attestationServiceConfigSchema } from "../../keeper/cctp/config.ts";
import { devnetCctpConfigDocument } from "../../keeper/cctp/devnet.ts";
import { createCctpChainClients } from "../../keeper/cctp/transfer/clients.ts";
import { createIrisClient } from "../../keeper/cctp/transfer/irisClient.ts";
import { resolveCctpSetup } from "../../keeper/cctp/transfer/setup.ts";
import { createTransferClient } from "../../keeper/cctp/transfer/transferClient.ts";
import { configFromDevnetManifest } from "../../keeper/config/fromDevnet.ts";
import type { Decision } from "../../keeper/engine/types.ts";
import { waitFor } from "../../keeper/internal/waitFor.ts";
import { startKeeper } from "../../keeper/main.ts";
import { describeDecision } from "../../keeper/runtime/format.ts";
import { createLogger } from "../../keeper/telemetry/logger.ts";
import { devnetPrivateKey } from "./accounts.ts";
import { DEVNET_CCTP_ATTESTER_ROLES } from "./cctp.ts";
import { freePort } from "./ports.ts";
import { burn, mint, setReserves, unpause } from "./scenario.ts";
import { DEFAULT_STATE_DIR, devnetDown, devnetUp } from "./up.ts";

/**
 * `npm start`: a private devnet on free ports, the keeper on the in-process bus, and a scenario —
 * mint on both chains, reserves drop below supply (the keeper pauses both breakers), reserves recover
 * (the decision clears), 2-of-3 signed unpause, then a CCTP transfer home → remote through the local
 * attestation service (the keeper counts it in flight: supply stays put) — printed as a timeline with
 * measured latencies.
 * `follow` keeps everything running with metrics served until Ctrl-C.
 */
export async function runDemo(opts: {
  follow?: boolean;
  metricsPort?: number;
  out: (line: string) => void;
  log: (line: string) => void;
}) {
  const { out, log } = opts;
  const stateDir = join(DEFAULT_STATE_DIR, "demo");
  await mkdir(stateDir, { recursive: true });
  await devnetDown({ stateDir });
  await rm(join(stateDir, "keeper-checkpoint.json"), { force: true });
  const t0 = performance.now();
  const clock = () => `${((performance.now() - t0) / 1000).toFixed(3).padStart(7)}s`;
  const manifest = await devnetUp({
    stateDir,
    manifestPath: join(stateDir, "devnet.json"),
    homePort: await freePort(),
    remotePort: await freePort(),
    log,
  });
  const chainName = new Map(manifest.chains.map((c) => [c.chainId, c.name]));
  const name = (id: number) => (chainName.get(id) ?? String(id)).padEnd(6);
  const asset = manifest.assets[0]!;
  const tokens = (raw: bigint) => Number(formatUnits(raw, asset.tokenDecimals)).toLocaleString("en-US");
  const tokens18 = (v: bigint) => Number(formatUnits(v, 18)).toLocaleString("en-US");
  const line = (text: string) => out(`${clock()}  ${text}`);

  out(`devnet: ${manifest.chains.map((c) => `${c.name} chain ${c.chainId} ${c.rpcHttpUrl}`).join(", ")}`);
  const decisions: Decision[] = [];
  const mined = new Map<number, bigint>();
  const unpaused = new Set<number>();
  let lastAnswerBlock: bigint | undefined;
  const config = configFromDevnetManifest(manifest, {
    checkpoint: { path: join(stateDir, "keeper-checkpoint.json") },
    telemetry: { logLevel: "warn" },
  });
  const running = await startKeeper({
    config,
    env: { RESERVE_KEEPER_SIGNER_KEY: devnetPrivateKey("keeper") },
    metricsPort: opts.follow ? (opts.metricsPort ?? config.telemetry.metricsPort) : null,
    logger: createLogger({ level: "warn" }),
    hooks: {
      onEvent: (e) => {
        if (e.type === "reserve.observed" && e.source === "event") {
          lastAnswerBlock = e.block.number;
          line(
            `${name(e.chainId)} block ${e.block.number}  AnswerUpdated: reserves ${formatUnits(e.answer, e.feedDecimals)} (round ${e.roundId & 0xffffffffn}, phase ${e.roundId >> 64n})`,
          );
        } else if (e.type === "supply.observed" && e.source === "event") {
          line(`${name(e.chainId)} block ${e.block.number}  supply on chain now ${tokens(e.totalSupply)}`);
        } else if (e.type === "breaker.observed") {
          if (e.kind === "unpaused") unpaused.add(e.chainId);
          line(`${name(e.chainId)} block ${e.block.number}  breaker ${e.kind} (by ${e.by.slice(0, 10)}…)`);
        } else if (e.type === "block.reorged") {
          line(`${name(e.chainId)} reorg: dropped ${e.dropped.length} block(s)`);
        }
      },
      onDecision: (d, { detectionMs }) => {
        const before = decisions.at(-1)?.inFlight;
        decisions.push(d);
        if (d.inFlight !== undefined && before !== undefined && d.inFlight !== before) {
          line(
            `keeper    supply ${tokens18(d.supply)} = on chains ${tokens18(d.supply - d.inFlight)} + in flight ${tokens18(d.inFlight)}`,
          );
        }
        if (!d.changed) return;
        const lat = detectionMs === undefined ? "" : `  [log → decision ${detectionMs.toFixed(1)} ms]`;
        line(`decision  ${describeDecision(d)}${lat}`);
      },
      onPauseEvent: (e) => {
        if (e.type === "pause.sent") {
          line(
            `${name(e.chainId)} pause tx ${e.txHash.slice(0, 18)}… broadcast  [decision → broadcast ${e.sinceDecisionMs.toFixed(1)} ms]`,
          );
        } else if (e.type === "pause.mined") {
          mined.set(e.chainId, e.blockNumber);
          const gap =
            e.chainId === manifest.chains[0]!.chainId && lastAnswerBlock !== undefined
              ? `  [AnswerUpdated block ${lastAnswerBlock} → +${e.blockNumber - lastAnswerBlock}]`
              : "";
          line(`${name(e.chainId)} pause mined in block ${e.blockNumber}${gap}`);
        } else if (e.type === "pause.already_paused") {
          line(`${name(e.chainId)} breaker already paused: nothing to send`);
        } else if (e.type === "pause.failed") {
          line(`${name(e.chainId)} pause FAILED: ${e.reason}`);
        }
      },
    },
  });
  const lastType = () => decisions.at(-1)?.type;

  /** One CCTP transfer of the asset, alice home → remote, with its steps on the timeline. */
  async function transferOverCctp(amount: bigint): Promise<void> {
    const quiet = createLogger({ level: "warn" });
    const base = configFromDevnetManifest(manifest);
    const service = createAttestationService({
      setup: resolveCctpSetup(base),
      settings: attestationServiceConfigSchema.parse({ port: 0, pollIntervalMs: 200 }),
      attesterKeys: DEVNET_CCTP_ATTESTER_ROLES.map((r) => devnetPrivateKey(r)),
      logger: quiet,
    });
    const { url } = await service.start();
    try {
      const setup = resolveCctpSetup(
        configFromDevnetManifest(manifest, {
          cctp: devnetCctpConfigDocument(manifest, { attestationUrl: url, pollIntervalMs: 200 }),
        } as never),
      );
      const client = createTransferClient({
        setup,
        clients: createCctpChainClients({ account: privateKeyToAccount(devnetPrivateKey("alice")) }),
        iris: createIrisClient({ baseUrl: url }),
        logger: quiet,
        onEvent: (e) => {
          if (e.event === "burned") {
            line(
              `${name(e.sourceChainId)} block ${e.blockNumber}  CCTP burn ${tokens(e.amount)} (tx ${e.burnTxHash.slice(0, 18)}…)`,
            );
          } else if (e.event === "attested") {
            line(
              `cctp      attested by ${DEVNET_CCTP_ATTESTER_ROLES.length} attesters after ${e.polls} poll(s), fee ${tokens(e.feeExecuted)}`,
            );
          } else if (e.event === "received") {
            line(
              `${name(e.destinationChainId)} block ${e.blockNumber}  CCTP mint ${tokens(e.received)} + fee ${tokens(e.fee)} (tx ${e.receiveTxHash.slice(0, 18)}…)`,
            );
          }
        },
      });
      await client.run({
        token: { type: "asset", assetId: asset.id },
        from: "home",
        to: "remote",
        amount,
        speed: "fast",
      });
    } finally {
      await service.stop();
    }
  }
  try {
    out(
      `keeper: in-process bus, signer ${manifest.accounts.keeper} (devnet key), policy warn < ${Number(config.assets[0]!.thresholds.warnRatioBps) / 100}% / pause < ${Number(config.assets[0]!.thresholds.pauseRatioBps) / 100}%`,
    );
    await waitFor("the first decision", () => decisions.length > 0);
    line(`start     ${describeDecision(decisions.at(-1)!)}`);

    line("scenario: mint 500,000 on home (Secure Mint) and 250,000 on remote, redeem 100,000 on home");
    await mint(manifest, { asset: asset.id, chain: "home", to: "carol", amount: "500000" });
    await mint(manifest, { asset: asset.id, chain: "remote", to: "carol", amount: "250000" });
    await burn(manifest, { asset: asset.id, chain: "home", from: "alice", amount: "100000" });
    await waitFor("the keeper to see the supply", () => decisions.at(-1)?.supply === 6_650_000n * 10n ** 18n);

    line("scenario: the PoR answer drops to 6,500,000 (below supply)");
    await setReserves(manifest, asset.id, "6500000");
    await waitFor("both pauses mined", () => mined.size === 2, 60_000);

    line("scenario: reserves partly recover to 6,700,000 (above supply, under the warning threshold)");
    await setReserves(manifest, asset.id, "6700000");
    await waitFor("a warning", () => lastType() === "warning");

    line("scenario: reserves recover to 10,000,000");
    await setReserves(manifest, asset.id, "10000000");
    await waitFor("the warning to clear", () => lastType() === "healthy");

    line("scenario: 2-of-3 signers approve the unpause on both chains");
    for (const chain of ["home", "remote"]) {
      await unpause(manifest, { asset: asset.id, chain, reason: "reserves restored, reviewed" });
    }
    await waitFor("both breakers unpaused", () => unpaused.size === 2);

    line("scenario: alice moves 100,000 dusd home → remote over CCTP V2 (fast), local attestation service");
    const supplyBefore = decisions.at(-1)?.supply;
    await transferOverCctp(parseUnits("100000", asset.tokenDecimals));
    await waitFor("the keeper to see the mint on remote", () => {
      const d = decisions.at(-1);
      return (
        d?.inFlight === 0n && d.supply === supplyBefore && decisions.some((x) => (x.inFlight ?? 0n) > 0n)
      );
    });
    line(`keeper    total supply unchanged across the transfer: ${tokens18(supplyBefore ?? 0n)}`);
    await running.keeper.idle();

    out("");
    out(
      `summary: ${decisions.length} decisions, pauses mined on ${mined.size} chains (${[...mined].map(([c, b]) => `${chainName.get(c)} block ${b}`).join(", ")}), final decision ${lastType()}`,
    );
    if (opts.follow) {
      out(
        `following: devnet and keeper keep running; metrics on http://${config.telemetry.host}:${running.metricsPort}/metrics; Ctrl-C stops`,
      );
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
    }
  } finally {
    await running.stop();
    await devnetDown({ stateDir });
    log("devnet stopped");
  }
}

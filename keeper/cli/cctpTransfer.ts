/**
 * `reserve-keeper cctp transfer` and `reserve-keeper cctp resume`: one CCTP transfer from this process,
 * printing each step. Dispatched from keeper/cli/cctp.ts.
 */
import { pino } from "pino";
import {
  type Account,
  type Address,
  formatUnits,
  getAddress,
  type Hex,
  isAddress,
  isHex,
  parseUnits,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { DEVNET_ROLE_INDEX, type DevnetRole, devnetPrivateKey } from "../../deploy/devnet/accounts.ts";
import { type DevnetManifest, readDevnetManifest } from "../../deploy/devnet/manifest.ts";
import type { Bus } from "../bus/port.ts";
import type { CctpTransferEvent } from "../bus/types.ts";
import { devnetCctpConfigDocument } from "../cctp/devnet.ts";
import { erc20Abi } from "../cctp/transfer/abi.ts";
import { createCctpChainClients } from "../cctp/transfer/clients.ts";
import { parseHookSpec } from "../cctp/transfer/hooks.ts";
import { createIrisClient } from "../cctp/transfer/irisClient.ts";
import { type CctpSetup, type CctpTokenRef, resolveCctpSetup, tokenOn } from "../cctp/transfer/setup.ts";
import {
  createTransferClient,
  reasonOf,
  type TransferClient,
  type TransferResult,
} from "../cctp/transfer/transferClient.ts";
import { configFromDevnetManifest } from "../config/fromDevnet.ts";
import { loadConfig } from "../config/load.ts";
import type { KeeperConfig } from "../config/schema.ts";
import { loadSigner } from "../config/signer.ts";
import { KeeperError } from "../internal/errors.ts";
import { createBusFromConfig } from "../main.ts";
import { createLogger, type Logger } from "../telemetry/logger.ts";
import { createMetrics } from "../telemetry/metrics.ts";
import { EXIT, json, parseOptions, required, UsageError } from "./usage.ts";

export const CCTP_TRANSFER_USAGE = `reserve-keeper cctp transfer (--asset <id> | --usdc) --from <chain> --to <chain> --amount <decimal>
    [--fast] [--max-fee <decimal>] [--hook treasury:<account>] [--version 1|2] [--recipient <address>]
    [--destination-caller <address>]
    (--config f | --manifest deployments/devnet.json [--attestation-url URL] [--account alice]) [--json]
reserve-keeper cctp resume --burn-tx <hash> --from <chain> (--config f | --manifest …) [--json]

  transfer   burn on --from (approve the exact amount first), wait for the attestation, check it against
             the burn and the configured attesters, receive on --to; prints the burn tx, attestation
             status and poll count, the receive tx, the amount received and the fee.
             --fast: fast transfer (fee from the attestation API's fees endpoint; maxFee = that fee);
             --max-fee refuses a fast transfer whose fee is above it. --hook treasury:<account> credits
             the destination treasury account (bytes32 or text) atomically with the mint, with what
             arrives (amount - fee, so with --fast too).
             The route uses CCTP V2 when both chains support it, else V1; --version forces one.
             --destination-caller: only that address may receive (V1: depositForBurnWithCaller); this
             command receives only when it is the sender.
  resume     continue a transfer from its burn transaction (attestation, then receive); a transfer
             already received is reported as such.

Signer: the config's signer (keystore, or env for devnets); with --manifest, the devnet account
--account (default alice). With --config, every step is also published on the bus (cctp.transfers).
Amounts are token units with decimals ("12.5"). --json prints one JSON object at the end.

Exit codes: 0 received or already received, 1 failure (reason on stderr), 2 bad command line.`;

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

/** JSON logs on stderr, written synchronously; LOG_LEVEL overrides (default warn: stdout carries the steps). */
export function cctpCliLogger(level = "warn"): Logger {
  return createLogger({
    level: process.env.LOG_LEVEL ?? level,
    destination: pino.destination({ dest: 2, sync: true }),
  });
}

export const SOURCE_OPTIONS = {
  config: { type: "string" },
  manifest: { type: "string" },
  "attestation-url": { type: "string" },
  account: { type: "string" },
  json: { type: "boolean" },
} as const;

/** What a CCTP command runs on: the config (from --config or generated from --manifest) and its CCTP setup. */
export type CctpCliContext = {
  readonly config: KeeperConfig;
  readonly setup: CctpSetup;
  readonly manifest: DevnetManifest | undefined;
};

/** --config f, or --manifest m (devnet: the cctp section generated from the manifest). */
export async function cctpContext(values: Record<string, unknown>): Promise<CctpCliContext> {
  const configPath = values.config as string | undefined;
  const manifestPath = values.manifest as string | undefined;
  if ((configPath === undefined) === (manifestPath === undefined)) {
    throw new UsageError("Give exactly one of --config <file> and --manifest <devnet manifest>.");
  }
  if (configPath !== undefined) {
    const { config } = await loadConfig({ path: configPath, env: process.env });
    return { config, setup: resolveCctpSetup(config, configPath), manifest: undefined };
  }
  const manifest = await readDevnetManifest(manifestPath as string);
  const url = values["attestation-url"] as string | undefined;
  const cctp = devnetCctpConfigDocument(manifest, url === undefined ? {} : { attestationUrl: url });
  const config = configFromDevnetManifest(manifest, { cctp } as never);
  return { config, setup: resolveCctpSetup(config), manifest };
}

/**
 * The sending account of a CCTP command: the config's signer, or with --manifest the devnet account
 * --account (default alice). `user` names what needs it in the error for a signer of type none.
 */
export async function transferAccount(
  ctx: CctpCliContext,
  values: Record<string, unknown>,
  user = "a transfer",
): Promise<Account> {
  if (ctx.manifest !== undefined) {
    const role = (values.account as string | undefined) ?? "alice";
    if (!Object.hasOwn(DEVNET_ROLE_INDEX, role)) {
      throw new UsageError(
        `--account "${role}" is not a devnet account (${Object.keys(DEVNET_ROLE_INDEX).join(", ")}).`,
      );
    }
    return privateKeyToAccount(devnetPrivateKey(role as DevnetRole));
  }
  if (values.account !== undefined)
    throw new UsageError("--account only works with --manifest; --config uses its signer.");
  const account = await loadSigner(ctx.config.signer, process.env);
  if (account === undefined) throw new UsageError(`The config's signer is "none": ${user} needs a signer.`);
  return account;
}

function tokenOption(values: Record<string, unknown>): CctpTokenRef {
  const asset = values.asset as string | undefined;
  if ((asset === undefined) === (values.usdc !== true))
    throw new UsageError("Give exactly one of --asset <id> and --usdc.");
  return asset === undefined ? { type: "usdc" } : { type: "asset", assetId: asset };
}

function decimalOption(values: Record<string, unknown>, name: string, decimals: number): bigint | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const text = String(v);
  if (!/^\d+(\.\d+)?$/.test(text))
    throw new UsageError(`--${name} "${text}" is not a positive decimal number.`);
  if ((text.split(".")[1] ?? "").length > decimals)
    throw new UsageError(`--${name} "${text}" has more than ${decimals} decimals.`);
  return parseUnits(text, decimals);
}

/** A CLI run of the transfer client: events printed as they come, published when a bus is given. */
async function withClient<T>(
  ctx: CctpCliContext,
  values: Record<string, unknown>,
  run: (client: TransferClient, decimals: (token: Address, chain: string) => Promise<number>) => Promise<T>,
  print: (event: CctpTransferEvent, decimals: number) => void,
): Promise<{ result: T; events: CctpTransferEvent[] }> {
  const logger = cctpCliLogger();
  const account = await transferAccount(ctx, values);
  const clients = createCctpChainClients({ account });
  const iris = createIrisClient({
    baseUrl: ctx.setup.config.attestationApi.url,
    requestTimeoutMs: ctx.setup.config.attestationApi.requestTimeoutMs,
  });
  const bus: Bus | undefined =
    ctx.manifest === undefined
      ? await createBusFromConfig(ctx.config, logger, createMetrics(), {
          producerName: "reserve-keeper-cctp",
        })
      : undefined;
  const events: CctpTransferEvent[] = [];
  const decimalsCache = new Map<string, number>();
  const decimals = async (token: Address, chain: string) => {
    const key = `${chain}:${token}`;
    const cached = decimalsCache.get(key);
    if (cached !== undefined) return cached;
    const c = ctx.setup.chainByName(chain);
    if (c === undefined) throw new UsageError(`Unknown CCTP chain "${chain}".`);
    const d = Number(
      await clients(c).public.readContract({
        address: token,
        abi: [
          ...erc20Abi,
          {
            type: "function",
            name: "decimals",
            stateMutability: "view",
            inputs: [],
            outputs: [{ type: "uint8" }],
          },
        ] as const,
        functionName: "decimals",
      }),
    );
    decimalsCache.set(key, d);
    return d;
  };
  let lastStatus = "";
  let tokenDecimals = 6;
  const client = createTransferClient({
    setup: ctx.setup,
    clients,
    iris,
    logger,
    onEvent: async (event) => {
      events.push(event);
      print(event, tokenDecimals);
      if (bus !== undefined) {
        try {
          await bus.publish([{ payload: event }]);
        } catch (e) {
          err(`warning: ${event.event} not published on the bus: ${reasonOf(e)}`);
        }
      }
    },
    onPoll: ({ polls, status }) => {
      if (values.json === true || status === lastStatus) return;
      lastStatus = status;
      out(`attesting  ${status} (poll ${polls})`);
    },
  });
  try {
    const result = await run(client, async (token, chain) => {
      tokenDecimals = await decimals(token, chain);
      return tokenDecimals;
    });
    return { result, events };
  } finally {
    await bus?.close();
  }
}

/** One line per lifecycle event (text mode). */
function printer(asJson: boolean, setup: CctpSetup) {
  return (e: CctpTransferEvent, decimals: number) => {
    if (asJson) return;
    const amt = (v: bigint) => formatUnits(v, decimals);
    const chain = (id: number) => setup.chains.find((c) => c.chainId === id)?.chain ?? String(id);
    switch (e.event) {
      case "burned":
        out(
          `burned     tx ${e.burnTxHash} on ${chain(e.sourceChainId)} (block ${e.blockNumber})  ${amt(e.amount)} ${e.assetId}  maxFee ${amt(e.maxFee)}${e.hook ? "  with hook" : ""}`,
        );
        return;
      case "attested":
        out(
          `attested   after ${e.polls} polls (${(e.waitMs / 1000).toFixed(1)} s)  nonce ${e.nonce}  finality ${e.finalityThresholdExecuted}  feeExecuted ${amt(e.feeExecuted)}`,
        );
        return;
      case "received":
        out(
          `received   tx ${e.receiveTxHash} on ${chain(e.destinationChainId)} (block ${e.blockNumber})  amount ${amt(e.received)}  fee ${amt(e.fee)}${e.via === "hook_executor" ? "  via hook executor" : ""}`,
        );
        return;
      case "already_received":
        out(`received   already (nonce ${e.nonce} is used on ${chain(e.destinationChainId)})`);
        return;
      case "failed":
        err(`failed     at ${e.stage}: ${e.reason}`);
        return;
      case "held":
      case "resumed":
        return;
      default:
        return e satisfies never;
    }
  };
}

function resultJson(result: TransferResult, events: CctpTransferEvent[]) {
  const base = {
    ok: true,
    outcome: result.type,
    transferId: result.transferId,
    asset: result.assetId,
    version: result.route.version,
    speed: result.speed,
    from: result.route.source.chain,
    to: result.route.destination.chain,
    amount: result.amount,
    burnTxHash: result.burnTxHash,
    nonce: result.nonce,
    feeExecuted: result.feeExecuted,
    polls: result.polls,
    ...(result.type === "received"
      ? { receiveTxHash: result.receiveTxHash, received: result.received, fee: result.fee, via: result.via }
      : {}),
  };
  return { ...base, events };
}

async function fail(e: unknown, asJson: boolean, events: CctpTransferEvent[]): Promise<number> {
  if (e instanceof UsageError) throw e;
  const code = e instanceof KeeperError ? e.code : undefined;
  if (asJson) out(json({ ok: false, code, reason: reasonOf(e), events }));
  err(`error: ${reasonOf(e)}`);
  return EXIT.failure;
}

/** Runs a command; a bad command line prints this file's usage (exit 2), `help` prints it (exit 0). */
export async function withUsage(usage: string, argv: string[], run: () => Promise<number>): Promise<number> {
  if (argv[0] === "help" || argv[0] === "--help") {
    out(usage);
    return EXIT.ok;
  }
  try {
    return await run();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`error: ${e.message}\n\n${usage}`);
    return EXIT.usage;
  }
}

/** `reserve-keeper cctp transfer` */
export async function runCctpTransfer(argv: string[]): Promise<number> {
  return withUsage(CCTP_TRANSFER_USAGE, argv, () => transfer(argv));
}

/** `reserve-keeper cctp resume` */
export async function runCctpResume(argv: string[]): Promise<number> {
  return withUsage(CCTP_TRANSFER_USAGE, argv, () => resume(argv));
}

async function transfer(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, {
    ...SOURCE_OPTIONS,
    asset: { type: "string" },
    usdc: { type: "boolean" },
    from: { type: "string" },
    to: { type: "string" },
    amount: { type: "string" },
    fast: { type: "boolean" },
    "max-fee": { type: "string" },
    hook: { type: "string" },
    version: { type: "string" },
    recipient: { type: "string" },
    "destination-caller": { type: "string" },
  });
  const token = tokenOption(values);
  const from = required(values, "from");
  const to = required(values, "to");
  const amountText = required(values, "amount");
  const version = values.version === undefined ? undefined : Number(values.version);
  if (version !== undefined && version !== 1 && version !== 2)
    throw new UsageError(`--version must be 1 or 2, got "${values.version}".`);
  const hook = values.hook === undefined ? undefined : parseHookSpec(values.hook);
  const recipient = values.recipient;
  const caller = values["destination-caller"];
  if (caller !== undefined && !isAddress(caller, { strict: false }))
    throw new UsageError(`--destination-caller "${caller}" is not an address.`);
  if (recipient !== undefined && !isAddress(recipient, { strict: false }))
    throw new UsageError(`--recipient "${recipient}" is not an address.`);
  const ctx = await cctpContext(values);
  const asJson = values.json === true;
  const events: CctpTransferEvent[] = [];
  try {
    const { result, events: all } = await withClient(
      ctx,
      values,
      async (client, decimalsOf) => {
        const source = ctx.setup.chainByName(from);
        if (source === undefined)
          throw new UsageError(
            `--from "${from}" is not a CCTP chain (${ctx.setup.chains.map((c) => c.chain).join(", ")}).`,
          );
        const decimals = await decimalsOf(tokenOn(ctx.setup, token, source), from);
        const amount = decimalOption({ amount: amountText }, "amount", decimals)!;
        if (amount === 0n) throw new UsageError("--amount must be above 0.");
        const maxFee = decimalOption(values, "max-fee", decimals);
        const request = {
          token,
          from,
          to,
          amount,
          speed: values.fast === true ? ("fast" as const) : ("standard" as const),
          maxFee,
          hook,
          version: version as 1 | 2 | undefined,
          recipient: recipient === undefined ? undefined : getAddress(recipient),
          destinationCaller: caller === undefined ? undefined : getAddress(caller),
        };
        const planned = client.plan(request);
        if (!asJson) {
          out(
            `transfer   ${formatUnits(amount, decimals)} ${planned.assetId} ${from} -> ${to}  CCTP v${planned.route.version} ${planned.speed}  from ${client.sender}`,
          );
        }
        return client.run({ ...request, requestId: planned.transferId });
      },
      (e, d) => {
        events.push(e);
        printer(asJson, ctx.setup)(e, d);
      },
    );
    if (asJson) out(json(resultJson(result, all)));
    return EXIT.ok;
  } catch (e) {
    return fail(e, asJson, events);
  }
}

async function resume(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, {
    ...SOURCE_OPTIONS,
    "burn-tx": { type: "string" },
    from: { type: "string" },
  });
  const burnTx = required(values, "burn-tx");
  if (!isHex(burnTx) || burnTx.length !== 66)
    throw new UsageError(`--burn-tx "${burnTx}" is not a transaction hash (0x + 64 hex digits).`);
  const from = required(values, "from");
  const ctx = await cctpContext(values);
  const asJson = values.json === true;
  const events: CctpTransferEvent[] = [];
  try {
    const { result, events: all } = await withClient(
      ctx,
      values,
      async (client, decimalsOf) => {
        const burned = await client.findBurn({ chain: from, burnTxHash: burnTx as Hex });
        const decimals = await decimalsOf(tokenOn(ctx.setup, burned.token, burned.route.source), from);
        if (!asJson) {
          out(
            `resuming   ${formatUnits(burned.amount, decimals)} ${burned.assetId} ${burned.route.source.chain} -> ${burned.route.destination.chain}  CCTP v${burned.route.version} ${burned.speed}  burn ${burnTx}`,
          );
        }
        return client.resume({ chain: from, burnTxHash: burnTx as Hex, transferId: burned.transferId });
      },
      (e, d) => {
        events.push(e);
        printer(asJson, ctx.setup)(e, d);
      },
    );
    if (asJson) out(json(resultJson(result, all)));
    return EXIT.ok;
  } catch (e) {
    return fail(e, asJson, events);
  }
}

/**
 * CCTP on a test devnet: the in-process attestation service, transfer clients per devnet account, and
 * `runTransfer` — one complete transfer (burn → attestation → receive) with its events and the balances
 * around it. For test/integration/cctp*.test.ts and any test that needs a real transfer (e.g. the
 * keeper's supply accounting across a transfer).
 *
 *   const devnet = await startDevnet();
 *   const cctp = await startCctp(devnet);
 *   const { result, events } = await runTransfer(cctp, { account: "alice", request: { token: { type: "usdc" },
 *     from: "home", to: "remote", amount: 100_000_000n, speed: "standard" } });
 *   await cctp.stop();
 */
import {
  type Address,
  createPublicClient,
  defineChain,
  getAddress,
  type Hex,
  http,
  type PublicClient,
  parseAbi,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { type DevnetRole, devnetPrivateKey } from "../../deploy/devnet/accounts.ts";
import { DEVNET_CCTP_ATTESTER_ROLES } from "../../deploy/devnet/cctp.ts";
import type { CctpTransferEvent } from "../../keeper/bus/types.ts";
import {
  type AttestationService,
  createAttestationService,
} from "../../keeper/cctp/attestationService/attestationService.ts";
import { attestationServiceConfigSchema, type CctpConfigInput } from "../../keeper/cctp/config.ts";
import { type DevnetCctpOptions, devnetCctpConfigDocument } from "../../keeper/cctp/devnet.ts";
import { createCctpChainClients } from "../../keeper/cctp/transfer/clients.ts";
import { createIrisClient } from "../../keeper/cctp/transfer/irisClient.ts";
import {
  type CctpSetup,
  type CctpTokenRef,
  resolveCctpSetup,
  tokenOn,
} from "../../keeper/cctp/transfer/setup.ts";
import {
  createTransferClient,
  type TransferClient,
  type TransferRequest,
  type TransferResult,
} from "../../keeper/cctp/transfer/transferClient.ts";
import { configFromDevnetManifest } from "../../keeper/config/fromDevnet.ts";
import type { KeeperConfig } from "../../keeper/config/schema.ts";
import { createLogger, type Logger } from "../../keeper/telemetry/logger.ts";
import { createMetrics, type KeeperMetrics } from "../../keeper/telemetry/metrics.ts";
import type { Devnet } from "./keeperHarness.ts";

export type CctpTestEnv = {
  readonly devnet: Devnet;
  readonly url: string;
  readonly service: AttestationService;
  readonly metrics: KeeperMetrics;
  readonly logger: Logger;
  /** The devnet keeper config with the cctp section (both chains V1 + V2). */
  readonly config: KeeperConfig;
  readonly setup: CctpSetup;
  /** A setup with other chain versions (e.g. { remote: [1] } for a V1-only route). */
  setupWith(versions: Readonly<Record<string, readonly (1 | 2)[]>>): CctpSetup;
  /** A transfer client signing as a devnet account. */
  client(args: {
    account: DevnetRole;
    setup?: CctpSetup;
    onEvent?: (e: CctpTransferEvent) => void | Promise<void>;
  }): TransferClient;
  /** A read client of a chain. */
  publicClient(chain: string): PublicClient;
  /** ERC-20 balance of `owner` for `token` (USDC or an asset) on `chain`. */
  balance(chain: string, token: CctpTokenRef, owner: Address): Promise<bigint>;
  stop(): Promise<void>;
};

const erc20 = parseAbi(["function balanceOf(address) view returns (uint256)"]);

/**
 * Starts the attestation service in-process on a free port for `devnet` (fast: 1 confirmation,
 * standard: 3; fast fee 1 bps) and builds the cctp config around it. Logs follow KEEPER_TEST_LOG.
 */
export async function startCctp(
  devnet: Devnet,
  opts: { attestationService?: CctpConfigInput["attestationService"] } = {},
): Promise<CctpTestEnv> {
  const logger = createLogger({
    level: process.env.KEEPER_TEST_LOG ?? "silent",
    destination: process.stderr as never,
  });
  const metrics = createMetrics();
  const build = (url: string, more: DevnetCctpOptions = {}) =>
    configFromDevnetManifest(devnet.manifest, {
      cctp: devnetCctpConfigDocument(devnet.manifest, {
        attestationUrl: url,
        pollIntervalMs: 200,
        maxPollIntervalMs: 1_000,
        timeoutMs: 60_000,
        ...more,
      }),
    } as never);
  const base = resolveCctpSetup(build("http://127.0.0.1:1"));
  const service = createAttestationService({
    setup: base,
    settings: attestationServiceConfigSchema.parse({
      port: 0,
      pollIntervalMs: 200,
      ...opts.attestationService,
    }),
    attesterKeys: DEVNET_CCTP_ATTESTER_ROLES.map((r) => devnetPrivateKey(r)),
    logger,
    metrics,
  });
  const { url } = await service.start();
  const config = build(url);
  const setup = resolveCctpSetup(config);
  const readers = new Map<string, PublicClient>();
  const publicClient = (chain: string): PublicClient => {
    const cached = readers.get(chain);
    if (cached) return cached;
    const c = setup.chainByName(chain);
    if (c === undefined) throw new Error(`No CCTP chain ${chain}.`);
    const client = createPublicClient({
      chain: defineChain({
        id: c.chainId,
        name: chain,
        nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
        rpcUrls: { default: { http: [] } },
      }),
      transport: http(c.rpcHttpUrl),
    }) as PublicClient;
    readers.set(chain, client);
    return client;
  };
  const iris = createIrisClient({ baseUrl: url });
  return {
    devnet,
    url,
    service,
    metrics,
    logger,
    config,
    setup,
    setupWith: (versions) => resolveCctpSetup(build(url, { versions })),
    client: ({ account, setup: s = setup, onEvent }) =>
      createTransferClient({
        setup: s,
        clients: createCctpChainClients({ account: privateKeyToAccount(devnetPrivateKey(account)) }),
        iris,
        logger,
        metrics,
        onEvent,
      }),
    publicClient,
    async balance(chain, token, owner) {
      const c = setup.chainByName(chain);
      if (c === undefined) throw new Error(`No CCTP chain ${chain}.`);
      return publicClient(chain).readContract({
        address: tokenOn(setup, token, c),
        abi: erc20,
        functionName: "balanceOf",
        args: [getAddress(owner)],
      });
    },
    stop: () => service.stop(),
  };
}

export type RunTransferResult = {
  readonly result: TransferResult;
  readonly events: readonly CctpTransferEvent[];
  /** The sender's balance on the source chain and the recipient's on the destination, before and after. */
  readonly balances: {
    readonly sourceBefore: bigint;
    readonly sourceAfter: bigint;
    readonly destinationBefore: bigint;
    readonly destinationAfter: bigint;
  };
};

/**
 * One complete transfer as devnet account `account` (default alice): plan, burn, attestation, receive.
 * The recipient defaults to the same account on the destination (with a hook: the executor receives).
 */
export async function runTransfer(
  env: CctpTestEnv,
  args: { account?: DevnetRole; request: TransferRequest; setup?: CctpSetup },
): Promise<RunTransferResult> {
  const events: CctpTransferEvent[] = [];
  const account = args.account ?? "alice";
  const client = env.client({
    account,
    ...(args.setup ? { setup: args.setup } : {}),
    onEvent: (e) => void events.push(e),
  });
  const recipient = args.request.recipient ?? privateKeyToAccount(devnetPrivateKey(account)).address;
  const { from, to, token } = args.request;
  const sourceBefore = await env.balance(from, token, client.sender);
  const destinationBefore = await env.balance(to, token, recipient);
  const result = await client.run(args.request);
  return {
    result,
    events,
    balances: {
      sourceBefore,
      sourceAfter: await env.balance(from, token, client.sender),
      destinationBefore,
      destinationAfter: await env.balance(to, token, recipient),
    },
  };
}

/** The address of a devnet account. */
export function devnetAddress(role: DevnetRole): Address {
  return privateKeyToAccount(devnetPrivateKey(role)).address;
}

export type { Hex };

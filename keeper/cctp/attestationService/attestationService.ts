/**
 * The devnet attestation service: a local stand-in for Circle's Iris. It watches the V2 and V1
 * MessageTransmitters of every CCTP chain of the config (HTTP polling, backfill from each chain's
 * deployment block), decides and signs as Iris does (book.ts) once a message has its confirmations
 * (watcher.ts), and serves Iris's API shapes on 127.0.0.1 (server.ts). DEVNET ONLY: it signs with keys
 * it is given, and a real network's attestations come from Circle.
 *
 *   const service = createAttestationService({ setup, settings, attesterKeys, logger, metrics });
 *   const { url } = await service.start();   // http://127.0.0.1:<port>
 *   …
 *   await service.stop();
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type Address,
  createPublicClient,
  decodeAbiParameters,
  defineChain,
  type Hex,
  http,
  keccak256,
  toBytes,
} from "viem";
import { InvalidArgumentError } from "../../internal/errors.ts";
import { closeServer, listen } from "../../internal/http.ts";
import { getLogsSplitting } from "../../sources/logs.ts";
import type { Logger } from "../../telemetry/logger.ts";
import type { KeeperMetrics } from "../../telemetry/metrics.ts";
import type { AttestationServiceConfig } from "../config.ts";
import type { CctpSetup, ResolvedCctpChain } from "../transfer/setup.ts";
import { type AttestationBook, createAttestationBook } from "./book.ts";
import { createIrisHandler } from "./server.ts";
import { type ChainReader, type ChainWatcher, createChainWatcher } from "./watcher.ts";

const MESSAGE_SENT_TOPIC = keccak256(toBytes("MessageSent(bytes)"));

export type CreateAttestationServiceArgs = {
  readonly setup: CctpSetup;
  readonly settings: AttestationServiceConfig;
  /** The attester private keys (never logged); their addresses must be the transmitters' attesters. */
  readonly attesterKeys: readonly Hex[];
  readonly logger: Logger;
  readonly metrics?: Pick<
    KeeperMetrics,
    | "cctpAttestationMessagesSeenTotal"
    | "cctpAttestationMessagesSignedTotal"
    | "cctpAttestationMessagesPending"
  >;
  /** Chain readers by chain name (tests); default viem over each chain's HTTP RPC URL. */
  readonly readers?: ReadonlyMap<string, ChainReader>;
};

export type AttestationService = {
  readonly book: AttestationBook;
  /** Binds the HTTP server, runs a first tick of every chain (backfill) and starts polling. */
  start(): Promise<{ url: string }>;
  /** One poll of every chain (tests step the service by hand). */
  tickAll(): Promise<void>;
  url(): string;
  stop(): Promise<void>;
};

/** A ChainReader over viem HTTP. */
export function createViemChainReader(chain: ResolvedCctpChain): ChainReader {
  const client = createPublicClient({
    chain: defineChain({
      id: chain.chainId,
      name: chain.chain,
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [] } },
    }),
    transport: http(chain.rpcHttpUrl, { timeout: 10_000, retryCount: 1 }),
  });
  return {
    blockNumber: () => client.getBlockNumber({ cacheTime: 0 }),
    async blockHash(n) {
      try {
        return (await client.getBlock({ blockNumber: n })).hash ?? undefined;
      } catch {
        return undefined;
      }
    },
    async messageSentLogs(from, to, addresses) {
      const logs = await getLogsSplitting({
        client: client as never,
        chainId: chain.chainId,
        filter: { address: addresses as Address[], topics: [MESSAGE_SENT_TOPIC] },
        fromBlock: from,
        toBlock: to,
      });
      return logs.map((l) => ({
        address: l.address,
        blockNumber: l.blockNumber,
        blockHash: l.blockHash,
        logIndex: l.logIndex,
        transactionHash: l.transactionHash as Hex,
        message: decodeAbiParameters([{ type: "bytes" }], l.data)[0],
      }));
    },
  };
}

export function createAttestationService(args: CreateAttestationServiceArgs): AttestationService {
  const { setup, settings, attesterKeys, metrics } = args;
  const logger = args.logger.child({ component: "cctp_attestation_service" });
  if (attesterKeys.length === 0)
    throw new InvalidArgumentError({ name: "attesterKeys", reason: "must hold at least one key" });
  const domains = new Map(setup.chains.map((c) => [c.chain, c.domain] as const));
  const book = createAttestationBook({
    settings,
    domains,
    attesterKeys,
    logger,
    ...(metrics ? { metrics } : {}),
  });
  const watchers: ChainWatcher[] = setup.chains.map((c) =>
    createChainWatcher({
      chain: {
        name: c.chain,
        domain: c.domain,
        transmitters: [
          ...(c.v2 ? [{ address: c.v2.messageTransmitter, version: 2 as const }] : []),
          ...(c.v1 ? [{ address: c.v1.messageTransmitter, version: 1 as const }] : []),
        ],
        deployedAtBlock: c.deployedAtBlock,
      },
      reader: args.readers?.get(c.chain) ?? createViemChainReader(c),
      book,
      settings,
      headOfDomain: (domain) => watchers.find((w) => w.chain.domain === domain)?.head(),
      logger,
    }),
  );
  const handler = createIrisHandler({ book, domains: new Set(domains.values()) });
  let server: Server | undefined;
  let url = "";
  let stopped = false;
  const loops: Promise<void>[] = [];
  const abort = new AbortController();

  async function loop(watcher: ChainWatcher): Promise<void> {
    while (!stopped) {
      await new Promise<void>((resolve) => {
        const onAbort = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          abort.signal.removeEventListener("abort", onAbort);
          resolve();
        }, settings.pollIntervalMs);
        abort.signal.addEventListener("abort", onAbort, { once: true });
      });
      if (stopped) return;
      await watcher.tick();
    }
  }

  return {
    book,
    url: () => url,
    async tickAll() {
      for (const w of watchers) await w.tick();
    },
    async start() {
      server = createServer(handler);
      await listen(server, settings.port, settings.host);
      const address = server.address() as AddressInfo;
      const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
      url = `http://${host}:${address.port}`;
      for (const w of watchers) await w.tick();
      for (const w of watchers) loops.push(loop(w));
      logger.info(
        {
          url,
          chains: setup.chains.map((c) => `${c.chain}:${c.domain}`),
          attesters: book.attesters.map((a) => a.address),
          fast_confirmations: settings.fastConfirmations.toString(),
          standard_confirmations: settings.standardConfirmations.toString(),
        },
        "cctp attestation service started",
      );
      return { url };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      abort.abort();
      await Promise.all(loops);
      if (server !== undefined) await closeServer(server);
      logger.info({ url }, "cctp attestation service stopped");
    },
  };
}

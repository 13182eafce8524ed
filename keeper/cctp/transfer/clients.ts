/**
 * viem clients of every CCTP chain for one account: a public client (reads, simulations, receipts) and a
 * wallet client signing locally with the account (the node never sees the key). HTTP only; URLs may
 * carry credentials and are never logged.
 */
import {
  type Account,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type PublicClient,
} from "viem";
import type { ResolvedCctpChain } from "./setup.ts";
import type { CctpChainClients } from "./types.ts";

export type CreateCctpChainClientsArgs = {
  readonly account: Account;
  /** Request timeout, ms (default 15 s). */
  readonly timeoutMs?: number;
  /** Receipt polling interval, ms (default 250). */
  readonly pollingIntervalMs?: number;
};

/** Returns a memoized `(chain) => clients` for the transfer client. */
export function createCctpChainClients({
  account,
  timeoutMs = 15_000,
  pollingIntervalMs = 250,
}: CreateCctpChainClientsArgs): (chain: ResolvedCctpChain) => CctpChainClients {
  const cache = new Map<string, CctpChainClients>();
  return (c) => {
    const cached = cache.get(c.chain);
    if (cached) return cached;
    const chain = defineChain({
      id: c.chainId,
      name: c.chain,
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [] } },
    });
    const transport = http(c.rpcHttpUrl, { timeout: timeoutMs, retryCount: 2 });
    const clients: CctpChainClients = {
      public: createPublicClient({ chain, transport, pollingInterval: pollingIntervalMs }) as PublicClient,
      wallet: createWalletClient({ account, chain, transport, pollingInterval: pollingIntervalMs }),
    };
    cache.set(c.chain, clients);
    return clients;
  };
}

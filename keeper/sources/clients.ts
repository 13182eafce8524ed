import {
  BaseError,
  type Chain,
  createPublicClient,
  defineChain,
  type HttpTransport,
  http,
  type PublicClient,
  RpcRequestError,
  type Transport,
  type WebSocketTransport,
  webSocket,
} from "viem";
import { NonRetryableError, RetryableError } from "../internal/errors.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { KeeperMetrics } from "../telemetry/metrics.ts";

/** The viem clients of one chain. `http` is the source of truth; `ws` (optional) carries subscriptions. */
export type ChainClients = {
  readonly chainId: number;
  readonly http: PublicClient<HttpTransport, Chain>;
  /**
   * WebSocket client (keep-alive pings; a lost socket is replaced on the next request or subscribe, and
   * its subscriptions end with onError — re-subscribe then); absent without a wsUrl.
   */
  readonly ws: PublicClient<WebSocketTransport, Chain> | undefined;
  /** Closes the WebSocket connection, if any (subscriptions on it end). */
  close(): Promise<void>;
};

export type CreateChainClientsArgs = {
  chainId: number;
  /** HTTP(S) JSON-RPC URL. May carry credentials (userinfo, key in the path or query): they are never logged. */
  httpUrl: string;
  /** WS(S) JSON-RPC URL for subscriptions. */
  wsUrl?: string | undefined;
  logger: Logger;
  metrics: Pick<KeeperMetrics, "rpcErrorsTotal">;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** Retries of a failed request before it counts as failed (default 2; viem backs off exponentially). */
  retryCount?: number;
};

/** A JSON-RPC request that failed after retries (transport error, timeout or a JSON-RPC error reply). */
export class RpcRequestFailedError extends RetryableError {
  declare readonly code: "RPC_REQUEST_FAILED";
  constructor({
    chainId,
    method,
    transport,
    cause,
  }: {
    chainId: number;
    method: string;
    transport: string;
    cause?: unknown;
  }) {
    super({
      shortMessage: `RPC request ${method} on chain ${chainId} failed.`,
      code: "RPC_REQUEST_FAILED",
      // viem's own message names the URL; rendering reduces every URL to its origin.
      details: { chainId, method, transport, reason: describeCause(cause) },
      cause,
    });
  }
}

/** An RPC endpoint that serves a different chain than the one it is configured for. */
export class ChainIdMismatchError extends NonRetryableError {
  declare readonly code: "CHAIN_ID_MISMATCH";
  readonly expected: number;
  readonly actual: number;
  constructor({ expected, actual, transport }: { expected: number; actual: number; transport: string }) {
    super({
      shortMessage: `RPC endpoint (${transport}) serves chain ${actual}, expected chain ${expected}.`,
      code: "CHAIN_ID_MISMATCH",
      details: { expected, actual, transport },
    });
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * Builds the HTTP (and, with `wsUrl`, WebSocket) viem clients of one chain. Every failed request (after
 * viem's retries) counts in `keeper_rpc_errors_total{chain}`, including JSON-RPC error envelopes in an
 * HTTP 200 reply (viem throws RpcRequestError for them), but not "execution reverted" replies (a
 * contract answer, not an RPC failure). URLs are logged as their origin only.
 */
export function createChainClients(args: CreateChainClientsArgs): ChainClients {
  const { chainId, httpUrl, wsUrl, logger, metrics } = args;
  const timeout = args.timeoutMs ?? 10_000;
  const retryCount = args.retryCount ?? 2;
  const chain = chainFor(chainId);
  const log = logger.child({ component: "chain_clients", chain_id: chainId });
  const label = { chain: String(chainId) };

  const onError = (transport: "http" | "ws") => (error: unknown, method: string) => {
    if (!isRpcFailure(error)) return;
    metrics.rpcErrorsTotal.inc(label);
    log.debug(
      { transport, method, err: new RpcRequestFailedError({ chainId, method, transport, cause: error }) },
      "rpc request failed",
    );
  };

  const httpClient = createPublicClient({
    chain,
    transport: countingErrors(http(httpUrl, { timeout, retryCount }), onError("http")),
  });
  const wsClient =
    wsUrl === undefined
      ? undefined
      : createPublicClient({
          chain,
          transport: countingErrors(
            replacingDeadSockets(
              webSocket(wsUrl, {
                timeout,
                retryCount,
                keepAlive: { interval: 15_000 },
                // Reconnecting is ours (replacingDeadSockets): viem's gives up after one failed attempt
                // and prints the raw ErrorEvent with console.error, around the logger.
                reconnect: false,
              }),
            ),
            onError("ws"),
          ),
        });

  log.info({ http_url: redactUrl(httpUrl), ws_url: wsUrl && redactUrl(wsUrl) }, "created chain clients");

  return {
    chainId,
    http: httpClient,
    ws: wsClient,
    async close() {
      if (!wsClient) return;
      try {
        (await wsClient.transport.getRpcClient()).close();
      } catch {
        // never connected
      }
    },
  };
}

/**
 * Reads the chain id the client's endpoint serves and throws ChainIdMismatchError (naming both ids) if
 * it is not `expected`; RpcRequestFailedError if the endpoint does not answer.
 */
export async function assertChainId(client: PublicClient, expected: number): Promise<void> {
  const transport = client.transport.type === "webSocket" ? "ws" : client.transport.type;
  let actual: number;
  try {
    actual = await client.getChainId();
  } catch (cause) {
    throw new RpcRequestFailedError({ chainId: expected, method: "eth_chainId", transport, cause });
  }
  if (actual !== expected) throw new ChainIdMismatchError({ expected, actual, transport });
}

/** `scheme://host:port` of a URL: no userinfo, path or query (where providers put API keys). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return "[invalid-url]";
  }
}

/** A minimal viem chain for an id (no public RPC URLs: ours may carry credentials). */
function chainFor(chainId: number): Chain {
  return defineChain({
    id: chainId,
    name: `Chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [] } },
  });
}

/** True for failures that say something about the RPC endpoint (not a contract's revert reply). */
function isRpcFailure(error: unknown): boolean {
  if (error instanceof RpcRequestError) {
    if (error.code === 3) return false;
    if (/revert/i.test(error.details)) return false;
  }
  return true;
}

function describeCause(cause: unknown): string | undefined {
  if (cause instanceof BaseError) return cause.details || cause.shortMessage;
  if (cause instanceof Error) return cause.message.split("\n")[0];
  return cause === undefined ? undefined : String(cause);
}

const WS_CLOSING = 2;

/**
 * Reconnect on demand. viem caches one socket per URL; once it closes, the dead socket stays cached and
 * every later call fails (viem's own `reconnect` retries, but in viem 2.57 it stops after one failed
 * attempt against a restarted node and logs through console.error, so it is off). This wrapper evicts a
 * closed socket before each request or subscribe, so the next one opens a fresh connection.
 * Subscriptions on a lost socket end with onError(SocketClosedError): subscribers re-subscribe.
 */
function replacingDeadSockets(transport: WebSocketTransport): WebSocketTransport {
  return (params) => {
    const built = transport(params);
    const value = built.value!;
    const evictDead = async () => {
      const rpcClient = await value.getRpcClient();
      if (rpcClient.socket.readyState >= WS_CLOSING) rpcClient.close();
    };
    const request = (async (req: unknown, options?: unknown) => {
      await evictDead();
      return (built.request as (r: unknown, o?: unknown) => Promise<unknown>)(req, options);
    }) as typeof built.request;
    const subscribe: typeof value.subscribe = async (subscribeArgs) => {
      await evictDead();
      return value.subscribe(subscribeArgs);
    };
    return { ...built, request, value: { ...value, subscribe } };
  };
}

/** Wraps a transport so every request that finally fails (after retries) is reported to `onError`. */
function countingErrors<T extends Transport>(
  transport: T,
  onError: (error: unknown, method: string) => void,
): T {
  const wrapped = (params: Parameters<T>[0]) => {
    const built = transport(params);
    const request = (async (req: { method: string; params?: unknown }, options?: unknown) => {
      try {
        return await (built.request as (r: unknown, o?: unknown) => Promise<unknown>)(req, options);
      } catch (error) {
        onError(error, req.method);
        throw error;
      }
    }) as typeof built.request;
    return { ...built, request };
  };
  return wrapped as T;
}

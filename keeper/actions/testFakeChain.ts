// Test-only: an in-memory EIP-1559 chain with one breaker, a mempool keyed by nonce and manual mining,
// shaped like the parts of a viem PublicClient the pause executor uses. Not imported by runtime code.
import {
  type Address,
  decodeFunctionData,
  encodeAbiParameters,
  encodeErrorResult,
  encodeEventTopics,
  encodeFunctionResult,
  type Hash,
  type Hex,
  keccak256,
  type PublicClient,
  parseTransaction,
  recoverTransactionAddress,
  TransactionReceiptNotFoundError,
  toHex,
} from "viem";
import { projectErrorsAbi, reserveCircuitBreakerAbi } from "../abi/index.ts";

export type FakeTx = {
  hash: Hash;
  from: Address;
  nonce: number;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  reason: string;
};

export type FakeChain = ReturnType<typeof createFakeChain>;

const KEEPER_ROLE = keccak256(toHex("KEEPER_ROLE"));

/** Node-style error with the message in the cause chain, as viem surfaces eth_sendRawTransaction errors. */
const nodeError = (message: string) =>
  Object.assign(new Error("RPC Request failed."), { details: message, cause: new Error(message) });

export function createFakeChain({ breaker, keepers }: { breaker: Address; keepers: Address[] }) {
  const s = {
    paused: false,
    keepers: new Set(keepers.map((k) => k.toLowerCase())),
    baseFee: 10n,
    priorityFee: 1n,
    block: 100n,
    /** Mined transaction count per sender. */
    nonces: new Map<string, number>(),
    pool: new Map<string, FakeTx>(), // `${from}:${nonce}`
    receipts: new Map<
      Hash,
      {
        status: "success" | "reverted";
        blockNumber: bigint;
        logs: unknown[];
        transactionHash: Hash;
        gasUsed: bigint;
      }
    >(),
    sends: [] as FakeTx[],
    /** Return an error to refuse a send (checked before the pool rules). */
    sendHook: undefined as ((tx: FakeTx) => Error | undefined) | undefined,
    /** Return true to make the next mined pause revert. */
    revertOnChain: false,
    calls: 0,
  };
  const latest = (from: string) => s.nonces.get(from.toLowerCase()) ?? 0;
  const pendingCount = (from: string) => {
    let n = latest(from);
    while (s.pool.has(`${from.toLowerCase()}:${n}`)) n++;
    return n;
  };

  const client = {
    async call({ account, data }: { account: Address; to: Address; data: Hex }) {
      s.calls++;
      if (!s.keepers.has(account.toLowerCase())) {
        const raw = encodeErrorResult({
          abi: projectErrorsAbi,
          errorName: "AccessControlUnauthorizedAccount",
          args: [account, KEEPER_ROLE],
        });
        throw Object.assign(new Error("execution reverted"), { cause: { data: raw } });
      }
      decodeFunctionData({ abi: reserveCircuitBreakerAbi, data });
      return {
        data: encodeFunctionResult({
          abi: reserveCircuitBreakerAbi,
          functionName: "pause",
          result: !s.paused,
        }),
      };
    },
    async getBlock() {
      return { baseFeePerGas: s.baseFee, number: s.block };
    },
    async getGasPrice() {
      return s.baseFee;
    },
    async getTransactionCount({ address, blockTag }: { address: Address; blockTag: "latest" | "pending" }) {
      return blockTag === "latest" ? latest(address) : pendingCount(address);
    },
    async getTransactionReceipt({ hash }: { hash: Hash }) {
      const r = s.receipts.get(hash);
      if (!r) throw new TransactionReceiptNotFoundError({ hash });
      return r;
    },
    async request({ method, params }: { method: string; params?: unknown[] }) {
      if (method === "eth_maxPriorityFeePerGas") return toHex(s.priorityFee);
      if (method !== "eth_sendRawTransaction") throw new Error(`unsupported ${method}`);
      const raw = (params as [Hex])[0];
      const parsed = parseTransaction(raw);
      const from = (
        await recoverTransactionAddress({ serializedTransaction: raw as never })
      ).toLowerCase() as Address;
      const { args } = decodeFunctionData({ abi: reserveCircuitBreakerAbi, data: parsed.data! });
      const tx: FakeTx = {
        hash: keccak256(raw),
        from,
        nonce: parsed.nonce!,
        maxFeePerGas: parsed.maxFeePerGas!,
        maxPriorityFeePerGas: parsed.maxPriorityFeePerGas!,
        reason: String(args?.[0]),
      };
      const refused = s.sendHook?.(tx);
      if (refused) throw refused;
      if (tx.nonce < latest(from))
        throw nodeError(`nonce too low: next nonce ${latest(from)}, tx nonce ${tx.nonce}`);
      const key = `${from}:${tx.nonce}`;
      const old = s.pool.get(key);
      if (old?.hash === tx.hash) throw nodeError("already known");
      if (
        old &&
        (tx.maxFeePerGas < (old.maxFeePerGas * 110n) / 100n ||
          tx.maxPriorityFeePerGas < (old.maxPriorityFeePerGas * 110n) / 100n)
      ) {
        throw nodeError("replacement transaction underpriced");
      }
      s.pool.set(key, tx);
      s.sends.push(tx);
      return tx.hash;
    },
  };

  /** Mines one block: per sender, consecutive nonces whose fee covers the base fee. */
  function mine() {
    s.block++;
    const mined: FakeTx[] = [];
    for (const sender of new Set([...s.pool.values()].map((t) => t.from))) {
      for (;;) {
        const tx = s.pool.get(`${sender}:${latest(sender)}`);
        if (!tx || tx.maxFeePerGas < s.baseFee) break;
        s.pool.delete(`${sender}:${tx.nonce}`);
        s.nonces.set(sender, tx.nonce + 1);
        mined.push(tx);
        let logs: unknown[] = [];
        let status: "success" | "reverted" = "success";
        if (s.revertOnChain) {
          status = "reverted";
          s.revertOnChain = false;
        } else if (!s.paused) {
          s.paused = true;
          logs = [
            {
              address: breaker,
              topics: encodeEventTopics({
                abi: reserveCircuitBreakerAbi,
                eventName: "BreakerPaused",
                args: { by: tx.from },
              }),
              data: encodeAbiParameters(
                [{ type: "string" }, { type: "uint256" }, { type: "uint256" }],
                [tx.reason, 1n, 2n],
              ),
              blockNumber: s.block,
              logIndex: 0,
              transactionHash: tx.hash,
            },
          ];
        }
        s.receipts.set(tx.hash, {
          status,
          blockNumber: s.block,
          logs,
          transactionHash: tx.hash,
          gasUsed: 50_000n,
        });
      }
    }
    return mined;
  }

  /** A transaction from `from` that is not a pause (consumes a nonce). */
  function consumeNonce(from: Address) {
    s.nonces.set(from.toLowerCase(), latest(from) + 1);
  }

  return { state: s, client: client as unknown as PublicClient, mine, consumeNonce, latest, pendingCount };
}

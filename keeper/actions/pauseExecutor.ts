import {
  type Address,
  createPublicClient,
  decodeFunctionResult,
  encodeFunctionData,
  type Hash,
  type Hex,
  http,
  isAddressEqual,
  keccak256,
  type LocalAccount,
  type PublicClient,
  parseEventLogs,
  type TransactionReceipt,
} from "viem";
import { reserveCircuitBreakerAbi } from "../abi/index.ts";
import {
  InvalidArgumentError,
  KeeperError,
  PauseNotConfirmedError,
  PauseRevertedError,
  PauseTxRejectedError,
  PauseUnauthorizedError,
} from "../internal/errors.ts";
import { decodeRevert, formatRevert } from "../internal/revert.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { KeeperMetrics } from "../telemetry/metrics.ts";
import { classifySendError, type SendErrorKind } from "./classifySendError.ts";
import {
  type Eip1559Fees,
  type FeeConfig,
  feeCapFor,
  pauseGasLimit,
  planInitialFees,
  planReplacementFees,
  validateFeeConfig,
} from "./fees.ts";
import { createNonceManager, type NonceManager, type NonceReservation } from "./nonces.ts";

/** Sends a signed transaction; a viem WalletClient fits. */
export type RawTransactionSender = {
  sendRawTransaction(args: { serializedTransaction: Hex }): Promise<Hash>;
};

export type PauseExecutorChain = {
  readonly chainId: number;
  /** Reads: simulation, receipts, nonces, fees. */
  readonly publicClient: PublicClient;
  /** Where signed transactions go (e.g. a private / builder RPC). Default: the public client. */
  readonly walletClient?: RawTransactionSender | undefined;
  /** URL of a separate send endpoint (never logged: it may carry an API key). Ignored with walletClient. */
  readonly transportUrl?: string | undefined;
  /** Share one per (chain, key) inside a process; default: a new one for this executor. */
  readonly nonceManager?: NonceManager | undefined;
  /** Per-chain overrides of the executor's fee settings. */
  readonly fees?: Partial<FeeConfig> | undefined;
};

export type PauseTarget = { readonly chainId: number; readonly breaker: Address };

export type PauseRequest = {
  readonly assetId: string;
  readonly decisionId: string;
  readonly reason: string;
  readonly observedReserves: bigint;
  readonly observedSupply: bigint;
  readonly targets: readonly PauseTarget[];
  /** When the decision was taken, `performance.now()` ms; default: when `pause` is called. */
  readonly decidedAtMs?: number | undefined;
  /** Stops waiting for a pending transaction (the result is then `failed`, retryable). */
  readonly signal?: AbortSignal | undefined;
};

export type PauseOutcome = "mined" | "already_paused" | "failed";

/** How "already paused" was established. */
export type AlreadyPausedVia = "simulation" | "noop_tx" | "nonce_consumed" | "reverted_after_pause";

export type PauseResult = {
  readonly chainId: number;
  readonly breaker: Address;
  readonly outcome: PauseOutcome;
  /** The mined transaction (or, on failure, the last one broadcast). */
  readonly txHash?: Hash | undefined;
  readonly blockNumber?: bigint | undefined;
  /** Transactions signed and broadcast (first send + replacements). */
  readonly attempts: number;
  readonly nonce?: number | undefined;
  readonly alreadyPausedVia?: AlreadyPausedVia | undefined;
  readonly error?: KeeperError | undefined;
};

type EventBase = {
  readonly assetId: string;
  readonly decisionId: string;
  readonly chainId: number;
  readonly breaker: Address;
};

export type PauseWaitReason = "fee_cap" | "max_attempts" | "nonce_occupied";

/** Every step of a pause, per chain. */
export type PauseEvent =
  | (EventBase & { readonly type: "pause.requested" })
  | (EventBase & {
      readonly type: "pause.sent";
      readonly txHash: Hash;
      readonly nonce: number;
      readonly maxFeePerGas: bigint;
      readonly maxPriorityFeePerGas: bigint;
      readonly attempt: number;
      /** Decision → broadcast, ms. */
      readonly sinceDecisionMs: number;
      /** "exact": sent after this call's own simulation; "primed": on a per-head simulation (see warm). */
      readonly simulation: "exact" | "primed";
    })
  | (EventBase & {
      readonly type: "pause.replaced";
      readonly txHash: Hash;
      readonly replacedTxHash: Hash | undefined;
      readonly nonce: number;
      readonly maxFeePerGas: bigint;
      readonly maxPriorityFeePerGas: bigint;
      readonly attempt: number;
    })
  | (EventBase & {
      readonly type: "pause.waiting";
      readonly reason: PauseWaitReason;
      readonly txHash: Hash | undefined;
      readonly nonce: number;
      readonly maxFeePerGas: bigint;
      readonly capPerGas: bigint;
    })
  | (EventBase & {
      readonly type: "pause.mined";
      readonly txHash: Hash;
      readonly blockNumber: bigint;
      readonly nonce: number;
      readonly attempts: number;
    })
  | (EventBase & {
      readonly type: "pause.already_paused";
      readonly via: AlreadyPausedVia;
      readonly txHash?: Hash | undefined;
      readonly blockNumber?: bigint | undefined;
    })
  | (EventBase & {
      readonly type: "pause.failed";
      readonly reason: string;
      readonly code: string;
      readonly txHash?: Hash | undefined;
      readonly nonce?: number | undefined;
    });

export type PauseExecutorArgs = {
  /** The keeper's signer. Transactions are signed locally; the key never leaves the account object. */
  readonly account: LocalAccount;
  readonly chains: readonly PauseExecutorChain[];
  readonly fees: FeeConfig;
  readonly metrics?: KeeperMetrics | undefined;
  readonly logger?: Logger | undefined;
  readonly onEvent?: ((event: PauseEvent) => void) | undefined;
  /** Receipt / nonce poll interval while waiting; new heads (onHead) wake the wait early. Default 250. */
  readonly pollIntervalMs?: number | undefined;
  /**
   * How long a per-head simulation of a warmed breaker may stand in for the pause's own eth_call
   * (default 5000 ms; 0 disables the primed path). Each head refreshes it.
   */
  readonly primedSimulationMaxAgeMs?: number | undefined;
};

export interface PauseExecutor {
  /** Pauses every target in parallel; resolves with one result per target, never rejects. */
  pause(request: PauseRequest): Promise<PauseResult[]>;
  /**
   * Pre-fetches nonces and fees on every chain and warms the signer, so a pause needs one eth_call
   * before sending. `targets` are remembered and simulated now and on every head (`onHead`): while
   * that simulation says "would pause" and is fresh, a pause of that breaker is sent right after
   * signing, without waiting for its own eth_call (the receipt then tells the truth; a pause that
   * turns out redundant mines as a harmless no-op).
   */
  warm(targets?: readonly PauseTarget[]): Promise<void>;
  /** Feed new heads: refreshes the cached base fee, priority fee and nonce, and wakes receipt waits. */
  onHead(chainId: number, baseFeePerGas: bigint | undefined): void;
  /** Aborts every wait in progress (their results become `failed`, retryable). */
  close(): void;
}

type ChainState = {
  readonly chainId: number;
  readonly label: string;
  readonly client: PublicClient;
  readonly send: (raw: Hex) => Promise<unknown>;
  readonly nonces: NonceManager;
  readonly fees: FeeConfig;
  baseFee: bigint | undefined;
  priorityFee: bigint | undefined;
  feeRefresh: Promise<void> | undefined;
  /** Breakers simulated on every head, by lower-case address. */
  readonly watched: Map<string, Address>;
  readonly primed: Map<string, { readonly wouldPause: boolean; readonly atMs: number }>;
  primeRefresh: Promise<void> | undefined;
  readonly wakers: Set<() => void>;
  readonly inflight: Map<string, Promise<PauseResult>>;
};

type Sent = { readonly hash: Hash; readonly raw: Hex; readonly nonce: number; readonly fees: Eip1559Fees };

type WaitResult =
  | { type: "mined"; receipt: TransactionReceipt; sent: Sent }
  | { type: "consumed" }
  | { type: "timeout"; latest: number | undefined }
  | { type: "aborted" };

const noopLogger = {
  info() {},
  warn() {},
  error() {},
  debug() {},
} as unknown as Logger;

/** Where a chain's signed transactions go: the wallet client, a separate endpoint, or the public client. */
function rawSender(c: PauseExecutorChain): (raw: Hex) => Promise<unknown> {
  const { walletClient, transportUrl, publicClient } = c;
  if (walletClient) return (raw) => walletClient.sendRawTransaction({ serializedTransaction: raw });
  // No transport retries for sends: a retry after a lost answer is handled (and classified) by us.
  const client = transportUrl
    ? createPublicClient({ transport: http(transportUrl, { retryCount: 0 }) })
    : publicClient;
  return (raw) => client.request({ method: "eth_sendRawTransaction", params: [raw] });
}

/**
 * The keeper's only chain writer for pauses: read → simulate → write → wait, per chain, all chains in
 * parallel. One eth_call of `pause(...)` from the keeper answers "already paused?" (it returns
 * `changed`) and "would it revert?" at once; signing with a pre-fetched nonce and fees overlaps that
 * call, so the transaction goes out one RPC round trip after the decision. Pending transactions are
 * replaced with bumped fees (same nonce) after `receiptTimeoutMs`, up to the emergency fee cap; at the
 * cap the transaction is kept and awaited, never abandoned. "Already paused" at any step is success.
 */
export function createPauseExecutor(args: PauseExecutorArgs): PauseExecutor {
  const { account, metrics, onEvent } = args;
  const logger = args.logger ? args.logger.child({ module: "actions.pause" }) : noopLogger;
  const pollIntervalMs = args.pollIntervalMs ?? 250;
  const primedMaxAgeMs = args.primedSimulationMaxAgeMs ?? 5_000;
  /** pause("", 0, 0): same paused/role answer as the real call, for per-head simulations. */
  const probeData = encodeFunctionData({
    abi: reserveCircuitBreakerAbi,
    functionName: "pause",
    args: ["", 0n, 0n],
  });
  const base = validateFeeConfig(args.fees);
  const closing = new AbortController();

  const chains = new Map<number, ChainState>();
  for (const c of args.chains) {
    if (chains.has(c.chainId)) {
      throw new InvalidArgumentError({
        name: "chains",
        reason: "chain ids must be unique",
        value: c.chainId,
      });
    }
    if (c.publicClient === undefined) {
      throw new InvalidArgumentError({ name: `chains[${c.chainId}].publicClient`, reason: "is required" });
    }
    const sender = rawSender(c);
    chains.set(c.chainId, {
      chainId: c.chainId,
      label: String(c.chainId),
      client: c.publicClient,
      send: sender,
      nonces: c.nonceManager ?? createNonceManager({ client: c.publicClient, address: account.address }),
      fees: validateFeeConfig({ ...base, ...c.fees }),
      baseFee: undefined,
      priorityFee: undefined,
      feeRefresh: undefined,
      wakers: new Set(),
      inflight: new Map(),
      watched: new Map(),
      primed: new Map(),
      primeRefresh: undefined,
    });
  }

  const emit = (event: PauseEvent) => {
    try {
      onEvent?.(event);
    } catch (err) {
      logger.warn({ err, event_type: event.type }, "pause event handler threw");
    }
  };
  const count = (assetId: string, chainId: number, result: string) =>
    metrics?.pauseTxTotal.inc({ asset: assetId, chain: String(chainId), result });
  const rpcError = (state: ChainState, err: unknown, method: string) => {
    metrics?.rpcErrorsTotal.inc({ chain: state.label });
    logger.warn({ chain_id: state.chainId, method, err }, "rpc call failed");
  };

  // ---------------------------------------------------------------------------------------------
  // Fees and heads
  // ---------------------------------------------------------------------------------------------

  async function fetchFees(state: ChainState): Promise<void> {
    const [block, priority] = await Promise.all([
      state.client.getBlock({ blockTag: "latest" }),
      state.client.request({ method: "eth_maxPriorityFeePerGas" }).then(
        (hex) => BigInt(hex),
        () => 0n,
      ),
    ]);
    state.baseFee = block.baseFeePerGas ?? (await state.client.getGasPrice());
    state.priorityFee = priority;
  }

  function refreshFees(state: ChainState): Promise<void> {
    state.feeRefresh ??= fetchFees(state).finally(() => {
      state.feeRefresh = undefined;
    });
    return state.feeRefresh;
  }

  async function currentFees(state: ChainState): Promise<{ baseFee: bigint; priorityFee: bigint }> {
    if (state.baseFee === undefined || state.priorityFee === undefined) await refreshFees(state);
    return { baseFee: state.baseFee!, priorityFee: state.priorityFee! };
  }

  function wake(state: ChainState) {
    for (const w of [...state.wakers]) w();
  }

  function sleep(state: ChainState, ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        state.wakers.delete(done);
        signal?.removeEventListener("abort", done);
        closing.signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      state.wakers.add(done);
      signal?.addEventListener("abort", done, { once: true });
      closing.signal.addEventListener("abort", done, { once: true });
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Chain steps
  // ---------------------------------------------------------------------------------------------

  type Simulation =
    | { type: "would_pause" }
    | { type: "already_paused" }
    | { type: "error"; error: KeeperError };

  /** One eth_call of the exact pause call from the keeper: `changed` tells paused-or-not, a revert why not. */
  async function simulate(state: ChainState, breaker: Address, data: Hex): Promise<Simulation> {
    try {
      const { data: out } = await state.client.call({ account: account.address, to: breaker, data });
      if (out === undefined) {
        return {
          type: "error",
          error: new PauseRevertedError({
            chainId: state.chainId,
            breaker,
            revert: "empty return data (no contract?)",
          }),
        };
      }
      const changed = decodeFunctionResult({
        abi: reserveCircuitBreakerAbi,
        functionName: "pause",
        data: out,
      });
      return changed ? { type: "would_pause" } : { type: "already_paused" };
    } catch (err) {
      const revert = classifyRevert(state, breaker, err);
      if (revert === "already_paused") return { type: "already_paused" };
      return { type: "error", error: revert ?? rpcFailure(state, breaker, err, "eth_call") };
    }
  }

  function classifyRevert(state: ChainState, breaker: Address, err: unknown, txHash?: Hash) {
    const revert = decodeRevert(err);
    if (!revert) return undefined;
    if (revert.errorName === "EnforcedPause") return "already_paused" as const;
    if (revert.errorName === "AccessControlUnauthorizedAccount") {
      const [who, role] = revert.args as [string, string];
      return new PauseUnauthorizedError({
        chainId: state.chainId,
        breaker,
        account: who ?? account.address,
        role: role ?? "",
        revert: formatRevert(revert),
      });
    }
    return new PauseRevertedError({
      chainId: state.chainId,
      breaker,
      revert: formatRevert(revert),
      txHash,
      cause: err,
    });
  }

  function rpcFailure(state: ChainState, breaker: Address, err: unknown, method: string) {
    rpcError(state, err, method);
    return new PauseNotConfirmedError({
      chainId: state.chainId,
      breaker,
      reason: `${method} failed`,
      cause: err,
    });
  }

  async function sign(
    state: ChainState,
    breaker: Address,
    data: Hex,
    gas: bigint,
    nonce: number,
    fees: Eip1559Fees,
  ) {
    const raw = await account.signTransaction({
      chainId: state.chainId,
      type: "eip1559",
      to: breaker,
      data,
      value: 0n,
      gas,
      nonce,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    });
    return { raw, hash: keccak256(raw), nonce, fees } satisfies Sent;
  }

  async function broadcast(
    state: ChainState,
    raw: Hex,
  ): Promise<{ kind: SendErrorKind | "ok"; err?: unknown }> {
    try {
      await state.send(raw);
      return { kind: "ok" };
    } catch (err) {
      const kind = classifySendError(err);
      if (kind === "transport") rpcError(state, err, "eth_sendRawTransaction");
      else logger.info({ chain_id: state.chainId, kind, err }, "pause transaction refused by node");
      return { kind, err };
    }
  }

  async function receiptOf(state: ChainState, hash: Hash): Promise<TransactionReceipt | undefined> {
    try {
      return await state.client.getTransactionReceipt({ hash });
    } catch (err) {
      if ((err as { name?: string }).name !== "TransactionReceiptNotFoundError")
        rpcError(state, err, "eth_getTransactionReceipt");
      return undefined;
    }
  }

  /** Waits until one of our transactions mines, the nonce is consumed by something else, or the deadline. */
  async function waitForNonce(
    state: ChainState,
    nonce: number,
    sent: readonly Sent[],
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<WaitResult> {
    const deadline = performance.now() + timeoutMs;
    let latest: number | undefined;
    for (;;) {
      if (signal?.aborted || closing.signal.aborted) return { type: "aborted" };
      try {
        latest = await state.client.getTransactionCount({ address: account.address, blockTag: "latest" });
        if (latest > nonce) {
          for (const s of [...sent].reverse()) {
            const receipt = await receiptOf(state, s.hash);
            if (receipt) return { type: "mined", receipt, sent: s };
          }
          return { type: "consumed" };
        }
      } catch (err) {
        rpcError(state, err, "eth_getTransactionCount");
      }
      const left = deadline - performance.now();
      if (left <= 0) return { type: "timeout", latest };
      await sleep(state, Math.min(pollIntervalMs, left), signal);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // One chain
  // ---------------------------------------------------------------------------------------------

  async function pauseOnChain(
    req: PauseRequest,
    target: PauseTarget,
    data: Hex,
    reasonBytes: number,
    t0: number,
  ): Promise<PauseResult> {
    const { chainId, breaker } = target;
    const ev = { assetId: req.assetId, decisionId: req.decisionId, chainId, breaker };
    const log = { asset: req.assetId, decision_id: req.decisionId, chain_id: chainId, breaker };
    let attempts = 0;
    let reservation: NonceReservation | undefined;
    const sent: Sent[] = [];
    /** The transaction we consider live at the reservation's nonce (may have been refused by the pool). */
    let current: Sent | undefined;
    /** The last transaction signed (accepted by the pool or not): replacements bump from its fees. */
    let lastTx: Sent | undefined;
    /** Whether pause.sent was emitted (the first transaction a node accepted). */
    let announced = false;
    let waitingFor: PauseWaitReason | undefined;

    emit({ type: "pause.requested", ...ev });
    const state = chains.get(chainId);
    if (!state) {
      const error = new InvalidArgumentError({
        name: "targets.chainId",
        reason: "no chain configured",
        value: chainId,
      });
      return fail(error, 0);
    }
    const labels = { asset: req.assetId, chain: state.label };
    const fees = state.fees;
    const cap = feeCapFor("pause", fees);
    const gas = pauseGasLimit(reasonBytes, fees.gasLimit);

    function fail(error: KeeperError, n: number, txHash?: Hash): PauseResult {
      count(req.assetId, chainId, "failed");
      emit({
        type: "pause.failed",
        ...ev,
        reason: error.shortMessage,
        code: error.code,
        txHash,
        nonce: reservation?.nonce,
      });
      logger.error({ ...log, err: error, code: error.code, tx_hash: txHash, attempts: n }, "pause failed");
      return { chainId, breaker, outcome: "failed", attempts: n, txHash, nonce: reservation?.nonce, error };
    }
    function alreadyPaused(via: AlreadyPausedVia, txHash?: Hash, blockNumber?: bigint): PauseResult {
      state?.primed.set(breaker.toLowerCase(), { wouldPause: false, atMs: performance.now() });
      count(req.assetId, chainId, "already_paused");
      metrics?.breakerPaused.set(labels, 1);
      emit({ type: "pause.already_paused", ...ev, via, txHash, blockNumber });
      logger.info(
        { ...log, via, tx_hash: txHash, block_number: blockNumber, attempts },
        "breaker was already paused",
      );
      return {
        chainId,
        breaker,
        outcome: "already_paused",
        attempts,
        txHash,
        blockNumber,
        nonce: txHash ? reservation?.nonce : undefined,
        alreadyPausedVia: via,
      };
    }
    const settle = (used: boolean) => reservation?.release(used);

    // --- Hot path: simulate ∥ (reserve nonce → fees → sign) ---------------------------------
    // A fresh per-head simulation saying "would pause" stands in for this call's own eth_call (the
    // receipt is the truth); otherwise simulate the exact call while the transaction is signed.
    const primed = state.primed.get(breaker.toLowerCase());
    const usePrimed = primed?.wouldPause === true && performance.now() - primed.atMs < primedMaxAgeMs;
    const simulation: Promise<Simulation> = usePrimed
      ? Promise.resolve({ type: "would_pause" })
      : simulate(state, breaker, data);
    const prepared = (async () => {
      const r = await state.nonces.reserve();
      try {
        const { baseFee, priorityFee } = await currentFees(state);
        const plan = planInitialFees({
          baseFeePerGas: baseFee,
          suggestedPriorityFeePerGas: priorityFee,
          minPriorityFeePerGas: fees.minPriorityFeePerGas,
          capPerGas: cap,
        });
        return { r, tx: await sign(state, breaker, data, gas, r.nonce, plan.fees) };
      } catch (err) {
        r.release(false);
        throw err;
      }
    })();
    const sim = await simulation;
    if (sim.type !== "would_pause") {
      prepared.then(
        ({ r }) => r.release(false),
        () => {},
      );
      if (sim.type === "already_paused") return alreadyPaused("simulation");
      return fail(sim.error, 0);
    }
    metrics?.breakerPaused.set(labels, 0);
    let next: Sent;
    try {
      const p = await prepared;
      reservation = p.r;
      next = p.tx;
    } catch (err) {
      return fail(err instanceof KeeperError ? err : rpcFailure(state, breaker, err, "prepare"), 0);
    }

    // --- Send / wait / replace loop ------------------------------------------------------------
    /** `resend`: the same signed transaction again (not a new attempt). */
    let toSend: { tx: Sent; resend: boolean } | undefined = { tx: next, resend: false };
    let nextWaitMs = fees.receiptTimeoutMs;
    try {
      for (;;) {
        if (toSend) {
          const { tx, resend }: { tx: Sent; resend: boolean } = toSend;
          toSend = undefined;
          if (!resend) {
            attempts++;
            lastTx = tx;
          }
          const replacing =
            current !== undefined && current.nonce === tx.nonce && current.hash !== tx.hash
              ? current
              : undefined;
          const { kind, err: sendError } = await broadcast(state, tx.raw);
          const sinceDecisionMs = performance.now() - t0;
          nextWaitMs = fees.receiptTimeoutMs;
          if (kind === "ok" || kind === "already_known" || kind === "transport") {
            const isNew = !sent.some((s) => s.hash === tx.hash);
            current = tx;
            if (isNew) {
              sent.push(tx);
              waitingFor = undefined;
            }
            const feeLog = {
              max_fee_per_gas: tx.fees.maxFeePerGas,
              max_priority_fee_per_gas: tx.fees.maxPriorityFeePerGas,
            };
            if (!isNew) {
              // A rebroadcast of a transaction already reported.
            } else if (!announced) {
              announced = true;
              metrics?.pauseLatencySeconds.observe(labels, sinceDecisionMs / 1000);
              count(req.assetId, chainId, "sent");
              emit({
                type: "pause.sent",
                ...ev,
                txHash: tx.hash,
                nonce: tx.nonce,
                ...tx.fees,
                attempt: attempts,
                sinceDecisionMs,
                simulation: usePrimed ? "primed" : "exact",
              });
              logger.info(
                {
                  ...log,
                  tx_hash: tx.hash,
                  nonce: tx.nonce,
                  ...feeLog,
                  since_decision_ms: sinceDecisionMs,
                  simulation: usePrimed ? "primed" : "exact",
                  send: kind,
                },
                "pause transaction sent",
              );
            } else {
              count(req.assetId, chainId, "replaced");
              emit({
                type: "pause.replaced",
                ...ev,
                txHash: tx.hash,
                replacedTxHash: replacing?.hash,
                nonce: tx.nonce,
                ...tx.fees,
                attempt: attempts,
              });
              logger.info(
                {
                  ...log,
                  tx_hash: tx.hash,
                  replaced_tx_hash: replacing?.hash,
                  nonce: tx.nonce,
                  ...feeLog,
                  attempt: attempts,
                  send: kind,
                },
                "pause transaction replaced",
              );
            }
          } else if (kind === "fee_too_low") {
            // The pool refuses this fee outright: re-plan at once (a rebroadcast waits a full timeout).
            logger.warn(
              { ...log, nonce: tx.nonce, max_fee_per_gas: tx.fees.maxFeePerGas, err: sendError },
              "pause transaction fee refused by the node",
            );
            if (!resend) nextWaitMs = 0;
          } else if (kind === "replacement_underpriced") {
            // Another transaction holds this nonce in the pool (another replica with this key, or our
            // own earlier attempt): do not fight it; wait for the nonce to be consumed, bump on timeout.
            if (waitingFor !== "nonce_occupied") {
              waitingFor = "nonce_occupied";
              emit({
                type: "pause.waiting",
                ...ev,
                reason: "nonce_occupied",
                txHash: current?.hash,
                nonce: tx.nonce,
                maxFeePerGas: tx.fees.maxFeePerGas,
                capPerGas: cap,
              });
              logger.info(
                { ...log, nonce: tx.nonce, tx_hash: current?.hash },
                "pause nonce occupied by another pending transaction; waiting",
              );
            }
          } else if (kind === "nonce_too_low") {
            nextWaitMs = 0; // the wait below sees the consumed nonce at once
          } else if (kind === "nonce_too_high") {
            const moved = await reservation.resync("nonce_too_high").catch((err) => {
              rpcError(state, err, "eth_getTransactionCount");
              return reservation!.nonce;
            });
            if (moved !== tx.nonce && attempts < fees.maxAttempts) {
              toSend = { tx: await sign(state, breaker, data, gas, moved, tx.fees), resend: false };
              continue;
            }
          } else {
            // insufficient_funds / rejected: nothing of this attempt is in the pool.
            if (!current) {
              settle(false);
              return fail(
                new PauseTxRejectedError({ chainId, breaker, kind, nonce: tx.nonce, cause: sendError }),
                attempts,
              );
            }
            // An earlier attempt is still pending: keep it and wait for it.
          }
        }

        const nonce = reservation.nonce;
        const w = await waitForNonce(state, nonce, sent, nextWaitMs, req.signal);

        if (w.type === "mined") {
          settle(true);
          const { receipt } = w;
          if (receipt.status === "success") {
            const paused = parseEventLogs({
              abi: reserveCircuitBreakerAbi,
              logs: receipt.logs,
              eventName: "BreakerPaused",
            }).find((l) => isAddressEqual(l.address, breaker));
            if (!paused) return alreadyPaused("noop_tx", receipt.transactionHash, receipt.blockNumber);
            count(req.assetId, chainId, "mined");
            state.primed.set(breaker.toLowerCase(), { wouldPause: false, atMs: performance.now() });
            metrics?.breakerPaused.set(labels, 1);
            emit({
              type: "pause.mined",
              ...ev,
              txHash: receipt.transactionHash,
              blockNumber: receipt.blockNumber,
              nonce: w.sent.nonce,
              attempts,
            });
            logger.info(
              {
                ...log,
                tx_hash: receipt.transactionHash,
                block_number: receipt.blockNumber,
                nonce: w.sent.nonce,
                attempts,
                gas_used: receipt.gasUsed,
              },
              "pause transaction mined",
            );
            return {
              chainId,
              breaker,
              outcome: "mined",
              txHash: receipt.transactionHash,
              blockNumber: receipt.blockNumber,
              attempts,
              nonce: w.sent.nonce,
            };
          }
          count(req.assetId, chainId, "reverted");
          const again = await simulate(state, breaker, data);
          if (again.type === "already_paused")
            return alreadyPaused("reverted_after_pause", receipt.transactionHash, receipt.blockNumber);
          const error =
            again.type === "error"
              ? again.error
              : new PauseRevertedError({
                  chainId,
                  breaker,
                  revert: "reverted on chain",
                  txHash: receipt.transactionHash,
                });
          return fail(error, attempts, receipt.transactionHash);
        }

        if (w.type === "consumed") {
          // Our nonce was taken by a transaction that is not ours (another replica with this key, or an
          // unrelated send). Is the breaker paused now?
          const again = await simulate(state, breaker, data);
          if (again.type === "already_paused") {
            settle(true);
            return alreadyPaused("nonce_consumed");
          }
          if (again.type === "error") {
            settle(true);
            return fail(again.error, attempts);
          }
          if (attempts >= fees.maxAttempts) {
            settle(true);
            return fail(
              new PauseNotConfirmedError({
                chainId,
                breaker,
                reason: "nonce consumed by other transactions on every attempt",
                attempts,
              }),
              attempts,
            );
          }
          const moved = await reservation.resync("nonce_too_low").catch((err) => {
            rpcError(state, err, "eth_getTransactionCount");
            return reservation!.nonce + 1;
          });
          current = undefined;
          waitingFor = undefined;
          await refreshFees(state).catch((err) => rpcError(state, err, "eth_getBlockByNumber"));
          const f = await currentFees(state);
          const plan = planInitialFees({
            baseFeePerGas: f.baseFee,
            suggestedPriorityFeePerGas: f.priorityFee,
            minPriorityFeePerGas: fees.minPriorityFeePerGas,
            capPerGas: cap,
          });
          toSend = { tx: await sign(state, breaker, data, gas, moved, plan.fees), resend: false };
          continue;
        }

        if (w.type === "aborted") {
          settle(sent.length > 0);
          return fail(
            new PauseNotConfirmedError({
              chainId,
              breaker,
              reason: "stopped while the transaction was pending",
              txHash: current?.hash,
              nonce,
              attempts,
            }),
            attempts,
            current?.hash,
          );
        }

        // Timeout: the transaction at our nonce has not mined.
        if (w.latest !== undefined && w.latest < nonce) {
          // An older transaction from this key is stuck below ours: take its nonce (replace it).
          const moved = await reservation.resync("stuck").catch(() => nonce);
          if (moved < nonce) {
            logger.warn(
              { ...log, from_nonce: nonce, to_nonce: moved },
              "older pending transaction blocks the pause; replacing it",
            );
            current = undefined;
          }
        }
        await refreshFees(state).catch((err) => rpcError(state, err, "eth_getBlockByNumber"));
        const f = await currentFees(state);
        const plan = planReplacementFees({
          previous: (lastTx ?? next).fees,
          baseFeePerGas: f.baseFee,
          suggestedPriorityFeePerGas: f.priorityFee,
          minPriorityFeePerGas: fees.minPriorityFeePerGas,
          feeBumpPercent: fees.feeBumpPercent,
          capPerGas: cap,
        });
        const reason: PauseWaitReason | undefined =
          plan.type === "wait" ? "fee_cap" : attempts >= fees.maxAttempts ? "max_attempts" : undefined;
        if (reason) {
          if (waitingFor !== reason) {
            waitingFor = reason;
            emit({
              type: "pause.waiting",
              ...ev,
              reason,
              txHash: current?.hash,
              nonce: reservation.nonce,
              maxFeePerGas: (lastTx ?? next).fees.maxFeePerGas,
              capPerGas: cap,
            });
            logger.warn(
              {
                ...log,
                reason,
                tx_hash: current?.hash,
                nonce: reservation.nonce,
                max_fee_per_gas: (lastTx ?? next).fees.maxFeePerGas,
                cap_per_gas: cap,
                base_fee_per_gas: f.baseFee,
              },
              "pause transaction kept pending without replacement; waiting",
            );
          }
          // Keep the transaction in the pool (a node may have dropped it, or refused its fee before the
          // base fee fell): rebroadcasting the same signed transaction is harmless.
          const keep = [current, lastTx].find((t) => t !== undefined && t.nonce === reservation!.nonce);
          if (keep) toSend = { tx: keep, resend: true };
          else nextWaitMs = fees.receiptTimeoutMs;
          continue;
        }
        toSend = { tx: await sign(state, breaker, data, gas, reservation.nonce, plan.fees), resend: false };
      }
    } finally {
      // Whatever ended the loop (including a bug), the nonce must not stay locked: a broadcast
      // transaction may hold it, so count it as used then. No-op when already settled.
      settle(sent.length > 0);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // API
  // ---------------------------------------------------------------------------------------------

  async function pause(req: PauseRequest): Promise<PauseResult[]> {
    const t0 = req.decidedAtMs ?? performance.now();
    const data = encodeFunctionData({
      abi: reserveCircuitBreakerAbi,
      functionName: "pause",
      args: [req.reason, req.observedReserves, req.observedSupply],
    });
    const reasonBytes = new TextEncoder().encode(req.reason).length;
    return Promise.all(
      req.targets.map((target) => {
        const state = chains.get(target.chainId);
        const key = target.breaker.toLowerCase();
        const running = state?.inflight.get(key);
        if (running) {
          logger.info(
            { asset: req.assetId, decision_id: req.decisionId, chain_id: target.chainId },
            "pause joined one in progress",
          );
          return running;
        }
        const run = pauseOnChain(req, target, data, reasonBytes, t0).catch((err: unknown) => {
          const error =
            err instanceof KeeperError
              ? err
              : new PauseNotConfirmedError({
                  chainId: target.chainId,
                  breaker: target.breaker,
                  reason: "unexpected error",
                  cause: err,
                });
          logger.error({ chain_id: target.chainId, err: error }, "pause failed unexpectedly");
          return {
            chainId: target.chainId,
            breaker: target.breaker,
            outcome: "failed",
            attempts: 0,
            error,
          } satisfies PauseResult;
        });
        if (state) {
          state.inflight.set(key, run);
          void run.finally(() => state.inflight.delete(key));
        }
        return run;
      }),
    );
  }

  /** Re-simulates every watched breaker of a chain (one refresh in flight per chain). */
  function refreshPrimed(state: ChainState): Promise<void> {
    if (state.watched.size === 0 || primedMaxAgeMs <= 0) return Promise.resolve();
    state.primeRefresh ??= Promise.all(
      [...state.watched].map(async ([key, breaker]) => {
        const atMs = performance.now();
        const sim = await simulate(state, breaker, probeData);
        state.primed.set(key, { wouldPause: sim.type === "would_pause", atMs });
      }),
    )
      .then(() => undefined)
      .finally(() => {
        state.primeRefresh = undefined;
      });
    return state.primeRefresh;
  }

  async function warm(targets: readonly PauseTarget[] = []): Promise<void> {
    for (const t of targets) chains.get(t.chainId)?.watched.set(t.breaker.toLowerCase(), t.breaker);
    await Promise.all(
      [...chains.values()].map(async (state) => {
        await Promise.all([
          refreshPrimed(state),
          refreshFees(state).catch((err) => rpcError(state, err, "fees")),
          state.nonces.sync().catch((err) => rpcError(state, err, "eth_getTransactionCount")),
          // The first signature builds the curve's precomputed tables and the first eth_call runs
          // cold code paths (tens of ms each): do both now, not on the hot path. Nothing is sent.
          sign(state, account.address, "0x", 21_000n, 0, { maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }),
          state.client
            .call({ account: account.address, to: account.address, data: "0x" })
            .catch((err) => rpcError(state, err, "eth_call")),
        ]);
      }),
    );
  }

  function onHead(chainId: number, baseFeePerGas: bigint | undefined): void {
    const state = chains.get(chainId);
    if (!state) return;
    if (baseFeePerGas === undefined) {
      // No base fee with the head: read the latest block (and the priority fee) instead.
      void refreshFees(state).catch((err) => rpcError(state, err, "eth_getBlockByNumber"));
    } else {
      state.baseFee = baseFeePerGas;
      void state.client
        .request({ method: "eth_maxPriorityFeePerGas" })
        .then((hex) => {
          state.priorityFee = BigInt(hex);
        })
        .catch((err) => rpcError(state, err, "eth_maxPriorityFeePerGas"));
    }
    void state.nonces.sync().catch((err) => rpcError(state, err, "eth_getTransactionCount"));
    void refreshPrimed(state);
    wake(state);
  }

  return { pause, warm, onHead, close: () => closing.abort() };
}

/**
 * The CCTP transfer client: burn on the source chain, wait for the attestation, receive on the
 * destination — for V2 (standard, fast, with hooks) and V1 — as separate steps, so a caller (the
 * pause-aware service in keeper/consumers/cctp) can hold a transfer between them.
 *
 *   plan(request)            route (V2 when both ends support it, else V1), tokens, recipient, hook   (sync)
 *   burn(planned)            fast fee from the fees endpoint → maxFee; approve (exact) → deposit → MessageSent
 *   awaitAttestation(burned) poll the attestation API (404/pending are normal; errors back off; deadline),
 *                            check the message against the burn (stable fields, codec) and verify the
 *                            signatures against the configured attesters
 *   receive(attested)        usedNonces != 0 → already_received; else receiveMessage (or relay on the hook
 *                            executor when the burn names it) → MintAndWithdraw → received, fee
 *   run(request)             all of the above;  resume({ chain, burnTxHash })  from a burn on chain
 *
 * Every step reports a `cctp.transfer` event (burned, attested, received, already_received) through
 * `onEvent`; `fail(transfer, stage, error)` reports `failed`. Transactions of one chain are sent one at a
 * time (one account, one nonce sequence). Keys never leave the account object.
 */
import { randomUUID } from "node:crypto";
import {
  type Account,
  type Address,
  type Chain,
  decodeAbiParameters,
  decodeEventLog,
  encodePacked,
  getAddress,
  type Hex,
  isAddress,
  keccak256,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import type { CctpTransferEvent, CctpTransferStage } from "../../bus/types.ts";
import { InvalidArgumentError, KeeperError } from "../../internal/errors.ts";
import { decodeRevert, formatRevert } from "../../internal/revert.ts";
import type { Logger } from "../../telemetry/logger.ts";
import type { KeeperMetrics } from "../../telemetry/metrics.ts";
import { verifyAttestation } from "../attestation.ts";
import { toMilliBps } from "../config.ts";
import { decodeMessage, messageHash } from "../decode.ts";
import { addressToBytes32, bytes32AsAddress, ZERO_BYTES32 } from "../hex.ts";
import {
  cctpErrorsAbi,
  erc20Abi,
  hookExecutorAbi,
  messageTransmitterAbi,
  tokenMessengerV1Abi,
  tokenMessengerV2Abi,
} from "./abi.ts";
import {
  AttestationInvalidError,
  AttestationMismatchError,
  AttestationTimeoutError,
  CctpBurnNotFoundError,
  CctpFeeAboveCapError,
  CctpReceiptTimeoutError,
  CctpRouteUnsupportedError,
  CctpTokenPausedError,
  CctpTxRevertedError,
  TransferRequestInvalidError,
} from "./errors.ts";
import {
  bpsToMilliBps,
  FINALITY_FAST,
  FINALITY_STANDARD,
  feeAtRate,
  formatMilliBps,
  isFastThreshold,
} from "./fees.ts";
import { type TransferHook, treasuryHookData } from "./hooks.ts";
import type { IrisClient } from "./irisClient.ts";
import { type PollClock, pollUntilComplete } from "./poll.ts";
import {
  assetIdOf,
  type CctpRoute,
  type CctpSetup,
  type CctpTokenRef,
  type CctpVersion,
  chooseRoute,
  type ResolvedCctpChain,
  routeName,
  tokenOn,
  tokenRefOf,
} from "./setup.ts";

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

export type TransferSpeed = "fast" | "standard";

/** What to transfer. Amounts are token base units. */
export type TransferRequest = {
  /** Idempotency / correlation id (event ids derive from it). Default: a random UUID. */
  readonly requestId?: string | undefined;
  readonly token: CctpTokenRef;
  /** cctp.chains[].chain of the source and destination. */
  readonly from: string;
  readonly to: string;
  readonly amount: bigint;
  readonly speed: TransferSpeed;
  /** Largest fee the caller accepts for a fast transfer (base units); above it the transfer is refused. */
  readonly maxFee?: bigint | undefined;
  /** Who receives on the destination (default: the sender). Ignored with a hook (the executor receives). */
  readonly recipient?: Address | undefined;
  readonly hook?: TransferHook | undefined;
  /**
   * Only this address may receive on the destination (V1: depositForBurnWithCaller; V2: the burn's
   * destinationCaller). Default: anyone. This client receives only when it is the sender (or a hook's
   * executor). Not with a hook (the hook executor is the caller).
   */
  readonly destinationCaller?: Address | undefined;
  /** Force a CCTP version (default: V2 when both ends support it, else V1). */
  readonly version?: CctpVersion | undefined;
};

/** The fields every step (and event) shares. */
export type TransferInfo = {
  readonly transferId: string;
  readonly assetId: string;
  readonly token: CctpTokenRef;
  readonly route: CctpRoute;
  readonly speed: TransferSpeed;
  readonly amount: bigint;
};

export type PlannedTransfer = TransferInfo & {
  readonly type: "planned";
  readonly burnToken: Address;
  readonly destinationToken: Address;
  readonly mintRecipient: Hex;
  readonly destinationCaller: Hex;
  readonly hookData: Hex | undefined;
  readonly callerMaxFee: bigint | undefined;
};

export type BurnedTransfer = TransferInfo & {
  readonly type: "burned";
  readonly burnTxHash: Hex;
  readonly blockNumber: bigint;
  readonly logIndex: number;
  /** Position of this burn among the transaction's MessageSent logs (API order). */
  readonly position: number;
  readonly sourceMessage: Hex;
  readonly maxFee: bigint;
  readonly hook: boolean;
};

export type AttestedTransfer = Omit<BurnedTransfer, "type"> & {
  readonly type: "attested";
  readonly message: Hex;
  readonly attestation: Hex;
  /** V2: the bytes32 nonce; V1: the uint64 nonce in decimal. */
  readonly nonce: string;
  /** The destination's usedNonces key (V2: the nonce; V1: keccak256(sourceDomain, nonce)). */
  readonly nonceKey: Hex;
  readonly feeExecuted: bigint;
  readonly finalityThresholdExecuted: number;
  readonly polls: number;
  readonly waitMs: number;
};

export type TransferResult =
  | (Omit<AttestedTransfer, "type"> & {
      readonly type: "received";
      readonly receiveTxHash: Hex;
      readonly receiveBlockNumber: bigint;
      readonly received: bigint;
      readonly fee: bigint;
      readonly via: "transmitter" | "hook_executor";
    })
  | (Omit<AttestedTransfer, "type"> & { readonly type: "already_received" });

/** A transfer at any step (what `fail` reports). */
export type AnyTransfer = PlannedTransfer | BurnedTransfer | AttestedTransfer | TransferResult;

/** The viem clients of one chain: reads, and writes as the transfer account. */
export type CctpChainClients = {
  readonly public: PublicClient;
  readonly wallet: WalletClient<Transport, Chain, Account>;
};

export type CreateTransferClientArgs = {
  readonly setup: CctpSetup;
  /** Clients of a CCTP chain (keeper/cctp/transfer/clients.ts createCctpChainClients). */
  readonly clients: (chain: ResolvedCctpChain) => CctpChainClients;
  readonly iris: IrisClient;
  readonly logger: Logger;
  readonly metrics?: Pick<KeeperMetrics, "cctpTransfersTotal" | "cctpAttestationWaitSeconds"> | undefined;
  /** Every lifecycle event (burned, attested, received, already_received, failed). Awaited. */
  readonly onEvent?: ((event: CctpTransferEvent) => void | Promise<void>) | undefined;
  /** Each attestation poll (for progress output). */
  readonly onPoll?: ((info: { transferId: string; polls: number; status: string }) => void) | undefined;
  readonly pollClock?: PollClock | undefined;
};

export interface TransferClient {
  readonly setup: CctpSetup;
  /** The sending account. */
  readonly sender: Address;
  plan(request: TransferRequest): PlannedTransfer;
  burn(planned: PlannedTransfer, opts?: { signal?: AbortSignal }): Promise<BurnedTransfer>;
  awaitAttestation(burned: BurnedTransfer, opts?: { signal?: AbortSignal }): Promise<AttestedTransfer>;
  /** Whether the destination already used the transfer's nonce. */
  isReceived(attested: AttestedTransfer): Promise<boolean>;
  receive(attested: AttestedTransfer): Promise<TransferResult>;
  /** Reads the burn back from its transaction (resume). */
  findBurn(args: { chain: string; burnTxHash: Hex; transferId?: string }): Promise<BurnedTransfer>;
  run(request: TransferRequest, opts?: { signal?: AbortSignal }): Promise<TransferResult>;
  resume(args: {
    chain: string;
    burnTxHash: Hex;
    transferId?: string;
    signal?: AbortSignal;
  }): Promise<TransferResult>;
  /** Reports `failed` for a transfer at `stage` (event, metric, log) and returns the error. */
  fail(transfer: AnyTransfer, stage: CctpTransferStage, error: unknown): Promise<unknown>;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const MESSAGE_SENT_TOPIC = keccak256(new TextEncoder().encode("MessageSent(bytes)"));

/** Route label of metrics: `<source chain id>-<destination chain id>`. */
function routeLabel(info: TransferInfo): string {
  return `${info.route.source.chainId}-${info.route.destination.chainId}`;
}

function common(info: TransferInfo) {
  return {
    type: "cctp.transfer" as const,
    transferId: info.transferId,
    assetId: info.assetId,
    version: info.route.version,
    speed: info.speed,
    sourceChainId: info.route.source.chainId,
    destinationChainId: info.route.destination.chainId,
    sourceDomain: info.route.source.domain,
    destinationDomain: info.route.destination.domain,
    amount: info.amount,
  };
}

/** The common event fields of a transfer (for the service's held/resumed events). */
export function transferEventCommon(info: TransferInfo) {
  return common(info);
}

/** One-sentence reason of any error (shortMessage of KeeperErrors). */
export function reasonOf(error: unknown): string {
  if (error instanceof KeeperError) return error.shortMessage;
  if (error instanceof Error)
    return (
      (error as Error & { shortMessage?: string }).shortMessage ?? error.message.split("\n")[0] ?? "error"
    );
  return String(error);
}

function eq(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The first stable field that differs between a source V2 message and an attested one, if any. */
export function firstStableDifference(
  source: Hex,
  attested: Hex,
): { field: string; expected: string; actual: string } | undefined {
  const s = decodeMessage(source, { body: "burn" });
  const a = decodeMessage(attested, { body: "burn" });
  if (s.type !== a.type) return { field: "version", expected: s.type, actual: a.type };
  const header = [
    "version",
    "sourceDomain",
    "destinationDomain",
    "sender",
    "recipient",
    "destinationCaller",
  ] as const;
  for (const f of header) {
    const x = String(s.message[f]);
    const y = String(a.message[f]);
    if (!eq(x, y)) return { field: f, expected: x, actual: y };
  }
  if (s.type === "v2" && a.type === "v2") {
    if (s.message.minFinalityThreshold !== a.message.minFinalityThreshold) {
      return {
        field: "minFinalityThreshold",
        expected: String(s.message.minFinalityThreshold),
        actual: String(a.message.minFinalityThreshold),
      };
    }
    const sb = s.burn!;
    const ab = a.burn!;
    for (const f of [
      "version",
      "burnToken",
      "mintRecipient",
      "amount",
      "messageSender",
      "maxFee",
      "hookData",
    ] as const) {
      const x = String(sb[f]);
      const y = String(ab[f]);
      if (!eq(x, y)) return { field: `messageBody.${f}`, expected: x, actual: y };
    }
    return undefined;
  }
  if (!eq(s.message.messageBody, a.message.messageBody)) {
    return { field: "messageBody", expected: s.message.messageBody, actual: a.message.messageBody };
  }
  if (s.type === "v1" && a.type === "v1" && s.message.nonce !== a.message.nonce) {
    return { field: "nonce", expected: String(s.message.nonce), actual: String(a.message.nonce) };
  }
  return undefined;
}

/** The `bytes message` of a MessageSent log's data. */
function messageSentBytes(data: Hex): Hex {
  return decodeAbiParameters([{ type: "bytes" }], data)[0];
}

/** usedNonces key of a V1 message: keccak256(abi.encodePacked(uint32 sourceDomain, uint64 nonce)). */
export function v1NonceKey(sourceDomain: number, nonce: bigint): Hex {
  return keccak256(encodePacked(["uint32", "uint64"], [sourceDomain, nonce]));
}

/** One promise chain per key: transactions of one chain go out one at a time. */
function createSerializer() {
  const tails = new Map<string, Promise<unknown>>();
  return async <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    tails.set(
      key,
      run.catch(() => {}),
    );
    return run;
  };
}

// ---------------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------------

/** Creates the transfer client. */
export function createTransferClient(args: CreateTransferClientArgs): TransferClient {
  const { setup, iris, metrics, onEvent } = args;
  const logger = args.logger.child({ component: "cctp_transfer" });
  const serialize = createSerializer();
  const api = setup.config.attestationApi;
  const firstChain = setup.chains[0];
  if (firstChain === undefined)
    throw new InvalidArgumentError({ name: "setup.chains", reason: "must not be empty" });
  const sender = getAddress(args.clients(firstChain).wallet.account.address);

  async function emit(event: CctpTransferEvent): Promise<void> {
    await onEvent?.(event);
  }

  function chainOf(name: string): ResolvedCctpChain {
    const c = setup.chainByName(name);
    if (c === undefined)
      throw new CctpRouteUnsupportedError({
        route: name,
        reason: `chain "${name}" has no cctp.chains entry`,
      });
    return c;
  }

  function transmitterOf(chain: ResolvedCctpChain, version: CctpVersion): Address {
    const t = version === 2 ? chain.v2?.messageTransmitter : chain.v1?.messageTransmitter;
    if (t === undefined)
      throw new CctpRouteUnsupportedError({
        route: chain.chain,
        reason: `no V${version} contracts on ${chain.chain}`,
      });
    return t;
  }

  function messengerOf(chain: ResolvedCctpChain, version: CctpVersion): Address {
    const m = version === 2 ? chain.v2?.tokenMessenger : chain.v1?.tokenMessenger;
    if (m === undefined)
      throw new CctpRouteUnsupportedError({
        route: chain.chain,
        reason: `no V${version} contracts on ${chain.chain}`,
      });
    return m;
  }

  /** Simulates then sends a write as the account and waits for a successful receipt. */
  async function send(
    chain: ResolvedCctpChain,
    step: string,
    call: { address: Address; abi: readonly unknown[]; functionName: string; args: readonly unknown[] },
    token?: Address,
  ): Promise<{
    hash: Hex;
    blockNumber: bigint;
    logs: readonly { address: Address; topics: readonly Hex[]; data: Hex; logIndex: number }[];
  }> {
    const { public: pc, wallet } = args.clients(chain);
    const abi = [...call.abi, ...cctpErrorsAbi] as never;
    return serialize(chain.chain, async () => {
      let request: unknown;
      try {
        ({ request } = await pc.simulateContract({
          address: call.address,
          abi,
          functionName: call.functionName as never,
          args: call.args as never,
          account: wallet.account,
        }));
      } catch (cause) {
        throw revertError(step, chain, cause, token);
      }
      const hash = await wallet.writeContract(request as never);
      let receipt: Awaited<ReturnType<PublicClient["waitForTransactionReceipt"]>>;
      try {
        receipt = await pc.waitForTransactionReceipt({ hash, timeout: setup.config.receiptTimeoutMs });
      } catch (cause) {
        if ((cause as { name?: string }).name === "WaitForTransactionReceiptTimeoutError") {
          throw new CctpReceiptTimeoutError({
            step,
            chainId: chain.chainId,
            txHash: hash,
            timeoutMs: setup.config.receiptTimeoutMs,
          });
        }
        throw cause;
      }
      if (receipt.status !== "success") {
        throw new CctpTxRevertedError({
          step,
          chainId: chain.chainId,
          revert: "(reverted on chain)",
          txHash: hash,
        });
      }
      logger.debug(
        { step, chain_id: chain.chainId, tx_hash: hash, block: receipt.blockNumber },
        "cctp transaction mined",
      );
      return {
        hash,
        blockNumber: receipt.blockNumber,
        logs: receipt.logs.map((l) => ({
          address: l.address,
          topics: l.topics as Hex[],
          data: l.data,
          logIndex: l.logIndex,
        })),
      };
    });
  }

  function revertError(step: string, chain: ResolvedCctpChain, cause: unknown, token?: Address): Error {
    const revert = decodeRevert(cause);
    if (revert?.errorName === "TokenPaused") {
      return new CctpTokenPausedError({
        step,
        chainId: chain.chainId,
        token: String(revert.args[0] ?? token ?? ""),
      });
    }
    if (revert)
      return new CctpTxRevertedError({ step, chainId: chain.chainId, revert: formatRevert(revert), cause });
    const reason = (cause as { shortMessage?: string }).shortMessage ?? reasonOf(cause);
    if (/revert/i.test(reason)) {
      const text = /reverted with the following reason:\s*\n?(.*)/
        .exec((cause as Error).message ?? "")?.[1]
        ?.trim();
      return new CctpTxRevertedError({
        step,
        chainId: chain.chainId,
        revert: text ? `"${text}"` : "(no reason)",
        cause,
      });
    }
    return cause instanceof Error ? cause : new Error(String(cause));
  }

  // --- plan ---------------------------------------------------------------------------------

  function plan(request: TransferRequest): PlannedTransfer {
    if (typeof request.amount !== "bigint" || request.amount <= 0n) {
      throw new TransferRequestInvalidError({
        field: "amount",
        reason: "must be a positive number of base units",
        value: String(request.amount),
      });
    }
    if (request.maxFee !== undefined && request.maxFee < 0n) {
      throw new TransferRequestInvalidError({
        field: "maxFee",
        reason: "must be >= 0",
        value: request.maxFee,
      });
    }
    if (request.recipient !== undefined && !isAddress(request.recipient, { strict: false })) {
      throw new TransferRequestInvalidError({
        field: "recipient",
        reason: "must be an address",
        value: String(request.recipient),
      });
    }
    const route = chooseRoute(setup, { from: request.from, to: request.to, version: request.version });
    const name = routeName(request.from, request.to);
    if (request.speed === "fast" && route.version === 1) {
      throw new CctpRouteUnsupportedError({
        route: name,
        reason: "fast transfers need CCTP V2 on both ends (this route is V1)",
      });
    }
    const burnToken = tokenOn(setup, request.token, route.source);
    const destinationToken = tokenOn(setup, request.token, route.destination);
    const recipient = getAddress(request.recipient ?? sender);
    let mintRecipient = addressToBytes32(recipient);
    if (request.destinationCaller !== undefined && !isAddress(request.destinationCaller, { strict: false })) {
      throw new TransferRequestInvalidError({
        field: "destinationCaller",
        reason: "must be an address",
        value: String(request.destinationCaller),
      });
    }
    let destinationCaller: Hex =
      request.destinationCaller === undefined ? ZERO_BYTES32 : addressToBytes32(request.destinationCaller);
    let hookData: Hex | undefined;
    if (request.hook !== undefined) {
      if (request.destinationCaller !== undefined) {
        throw new TransferRequestInvalidError({
          field: "destinationCaller",
          reason: "cannot be set with a hook (the hook executor is the destination caller)",
        });
      }
      if (route.version !== 2)
        throw new CctpRouteUnsupportedError({
          route: name,
          reason: "hooks need CCTP V2 on both ends (this route is V1)",
        });
      const executor = route.destination.v2?.hookExecutor;
      if (executor === undefined)
        throw new CctpRouteUnsupportedError({
          route: name,
          reason: `no hook executor on ${route.destination.chain} (cctp.chains[].v2.hookExecutor)`,
        });
      const treasury = route.destination.treasury;
      if (treasury === undefined)
        throw new CctpRouteUnsupportedError({
          route: name,
          reason: `no treasury on ${route.destination.chain} (cctp.chains[].treasury)`,
        });
      mintRecipient = addressToBytes32(executor);
      destinationCaller = addressToBytes32(executor);
      // The executor pays the treasury what was minted (amount - feeExecuted) and tells it the amount, so
      // the hook data names only the account: fast transfers (fee fixed at attestation) work too.
      hookData = treasuryHookData({ treasury, account: request.hook.account });
    }
    return {
      type: "planned",
      transferId: request.requestId ?? `req:${randomUUID()}`,
      assetId: assetIdOf(request.token),
      token: request.token,
      route,
      speed: request.speed,
      amount: request.amount,
      burnToken,
      destinationToken,
      mintRecipient,
      destinationCaller,
      hookData,
      callerMaxFee: request.maxFee,
    };
  }

  // --- burn ---------------------------------------------------------------------------------

  /** maxFee of a V2 burn: the fee at the fees endpoint's rate for the transfer's finality. */
  async function maxFeeFor(planned: PlannedTransfer): Promise<bigint> {
    const { route, speed, amount } = planned;
    if (route.version === 1) return 0n;
    const name = routeName(route.source.chain, route.destination.chain);
    const threshold = speed === "fast" ? FINALITY_FAST : FINALITY_STANDARD;
    const fees = await iris.getFees({
      sourceDomain: route.source.domain,
      destinationDomain: route.destination.domain,
    });
    const entry = fees.find((f) => f.finalityThreshold === threshold);
    if (entry === undefined) {
      if (speed === "fast")
        throw new CctpRouteUnsupportedError({
          route: name,
          reason: "the fees endpoint lists no fast (finality 1000) fee",
        });
      return 0n;
    }
    const rate = bpsToMilliBps(entry.minimumFeeBps);
    if (rate === undefined) {
      throw new CctpRouteUnsupportedError({
        route: name,
        reason: `the fees endpoint's minimumFee ${entry.minimumFeeBps} is not a bps value with at most 3 decimals`,
      });
    }
    const cap = toMilliBps(setup.config.maxFastFeeBps);
    if (speed === "fast" && rate > cap) {
      throw new CctpFeeAboveCapError({
        route: name,
        fee: `${formatMilliBps(rate)} bps`,
        cap: `${formatMilliBps(cap)} bps`,
        capSource: "configured cctp.maxFastFeeBps",
      });
    }
    const maxFee = feeAtRate(amount, rate);
    if (planned.callerMaxFee !== undefined && maxFee > planned.callerMaxFee) {
      throw new CctpFeeAboveCapError({
        route: name,
        fee: maxFee.toString(),
        cap: planned.callerMaxFee.toString(),
        capSource: "caller's maxFee",
      });
    }
    if (maxFee >= amount) {
      throw new TransferRequestInvalidError({
        field: "amount",
        reason: `must be above the fee ${maxFee}`,
        value: amount,
      });
    }
    return maxFee;
  }

  async function burn(planned: PlannedTransfer): Promise<BurnedTransfer> {
    const { route, amount } = planned;
    const source = route.source;
    const messenger = messengerOf(source, route.version);
    const maxFee = await maxFeeFor(planned);
    const { public: pc } = args.clients(source);
    const allowance = await pc.readContract({
      address: planned.burnToken,
      abi: erc20Abi,
      functionName: "allowance",
      args: [sender, messenger],
    });
    if (allowance !== amount) {
      await send(source, "approve", {
        address: planned.burnToken,
        abi: erc20Abi,
        functionName: "approve",
        args: [messenger, amount],
      });
    }
    const call =
      route.version === 2
        ? planned.hookData !== undefined
          ? {
              address: messenger,
              abi: tokenMessengerV2Abi,
              functionName: "depositForBurnWithHook",
              args: [
                amount,
                route.destination.domain,
                planned.mintRecipient,
                planned.burnToken,
                planned.destinationCaller,
                maxFee,
                planned.speed === "fast" ? FINALITY_FAST : FINALITY_STANDARD,
                planned.hookData,
              ],
            }
          : {
              address: messenger,
              abi: tokenMessengerV2Abi,
              functionName: "depositForBurn",
              args: [
                amount,
                route.destination.domain,
                planned.mintRecipient,
                planned.burnToken,
                planned.destinationCaller,
                maxFee,
                planned.speed === "fast" ? FINALITY_FAST : FINALITY_STANDARD,
              ],
            }
        : planned.destinationCaller !== ZERO_BYTES32
          ? {
              address: messenger,
              abi: tokenMessengerV1Abi,
              functionName: "depositForBurnWithCaller",
              args: [
                amount,
                route.destination.domain,
                planned.mintRecipient,
                planned.burnToken,
                planned.destinationCaller,
              ],
            }
          : {
              address: messenger,
              abi: tokenMessengerV1Abi,
              functionName: "depositForBurn",
              args: [amount, route.destination.domain, planned.mintRecipient, planned.burnToken],
            };
    const mined = await send(source, "burn", call, planned.burnToken);
    const burned = burnFromLogs({
      info: planned,
      chain: source,
      txHash: mined.hash,
      blockNumber: mined.blockNumber,
      logs: mined.logs,
    });
    if (burned === undefined) {
      throw new CctpBurnNotFoundError({
        chainId: source.chainId,
        txHash: mined.hash,
        reason: "the receipt has no MessageSent of the transmitter",
      });
    }
    logger.info(
      {
        transfer_id: planned.transferId,
        asset: planned.assetId,
        chain_id: source.chainId,
        tx_hash: mined.hash,
        amount: amount.toString(),
        max_fee: maxFee.toString(),
        version: route.version,
        speed: planned.speed,
      },
      "cctp burn mined",
    );
    await emit({
      ...common(burned),
      event: "burned",
      burnTxHash: burned.burnTxHash,
      blockNumber: burned.blockNumber,
      logIndex: burned.logIndex,
      sourceMessageHash: messageHash(burned.sourceMessage),
      maxFee: burned.maxFee,
      hook: burned.hook,
    });
    return burned;
  }

  /** The burn of `info` in a receipt's logs: the first MessageSent of the route's source transmitter. */
  function burnFromLogs(a: {
    info: TransferInfo;
    chain: ResolvedCctpChain;
    txHash: Hex;
    blockNumber: bigint;
    logs: readonly { address: Address; topics: readonly Hex[]; data: Hex; logIndex: number }[];
    logIndex?: number;
  }): BurnedTransfer | undefined {
    const transmitters = [a.chain.v2?.messageTransmitter, a.chain.v1?.messageTransmitter].filter(
      (t): t is Address => t !== undefined,
    );
    const sent = a.logs
      .filter((l) => l.topics[0] === MESSAGE_SENT_TOPIC && transmitters.some((t) => eq(t, l.address)))
      .sort((x, y) => x.logIndex - y.logIndex);
    const own = transmitterOf(a.chain, a.info.route.version);
    const position = sent.findIndex(
      (l) => eq(l.address, own) && (a.logIndex === undefined || l.logIndex === a.logIndex),
    );
    const log = sent[position];
    if (log === undefined) return undefined;
    const sourceMessage = messageSentBytes(log.data);
    const m = decodeMessage(sourceMessage, { body: "burn" });
    const maxFee = m.type === "v2" ? (m.burn?.maxFee ?? 0n) : 0n;
    const hook = m.type === "v2" && (m.burn?.hookData ?? "0x") !== "0x";
    return {
      ...a.info,
      type: "burned",
      burnTxHash: a.txHash,
      blockNumber: a.blockNumber,
      logIndex: log.logIndex,
      position,
      sourceMessage,
      maxFee,
      hook,
    };
  }

  // --- attestation --------------------------------------------------------------------------

  async function awaitAttestation(
    burned: BurnedTransfer,
    opts: { signal?: AbortSignal } = {},
  ): Promise<AttestedTransfer> {
    const { route } = burned;
    const attesters = setup.attestersFor(route.version);
    const fetchOnce = async (): Promise<
      { type: "done"; value: { message: Hex; attestation: Hex } } | { type: "waiting"; status: string }
    > => {
      if (route.version === 1) {
        const r = await iris.getV1Attestation(messageHash(burned.sourceMessage));
        if (r.type === "not_found") return { type: "waiting", status: "not_found" };
        if (r.type === "pending") return { type: "waiting", status: "pending_confirmations" };
        return { type: "done", value: { message: burned.sourceMessage, attestation: r.attestation } };
      }
      const r = await iris.getMessages({
        sourceDomain: route.source.domain,
        transactionHash: burned.burnTxHash,
      });
      if (r.type === "not_found") return { type: "waiting", status: "not_found" };
      const entry = r.messages[burned.position];
      if (entry === undefined) return { type: "waiting", status: "not_found" };
      if (entry.status !== "complete" || entry.attestation === undefined) {
        return {
          type: "waiting",
          status: entry.delayReason ? `${entry.status} (${entry.delayReason})` : entry.status,
        };
      }
      return { type: "done", value: { message: entry.message, attestation: entry.attestation } };
    };
    const outcome = await pollUntilComplete({
      check: fetchOnce,
      timeoutMs: api.timeoutMs,
      initialIntervalMs: api.pollIntervalMs,
      maxIntervalMs: api.maxPollIntervalMs,
      onTimeout: ({ polls, lastStatus }) =>
        new AttestationTimeoutError({
          burnTxHash: burned.burnTxHash,
          timeoutMs: api.timeoutMs,
          polls,
          lastStatus,
        }),
      onPoll: ({ polls, status }) => {
        args.onPoll?.({ transferId: burned.transferId, polls, status });
        logger.debug({ transfer_id: burned.transferId, polls, status }, "cctp attestation polled");
      },
      ...(args.pollClock ? { clock: args.pollClock } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const { message, attestation } = outcome.value;
    const diff = firstStableDifference(burned.sourceMessage, message);
    if (diff !== undefined) throw new AttestationMismatchError({ burnTxHash: burned.burnTxHash, ...diff });
    const verification = await verifyAttestation({
      message,
      attestation,
      attesters: attesters.addresses,
      threshold: attesters.threshold,
    });
    if (!verification.valid) {
      throw new AttestationInvalidError({
        burnTxHash: burned.burnTxHash,
        reason: verification.reason,
        detail: verification.detail,
      });
    }
    const decoded = decodeMessage(message, { body: "burn" });
    let nonce: string;
    let nonceKey: Hex;
    let feeExecuted = 0n;
    let finalityThresholdExecuted = FINALITY_STANDARD;
    if (decoded.type === "v2") {
      nonce = decoded.message.nonce;
      nonceKey = decoded.message.nonce;
      feeExecuted = decoded.burn?.feeExecuted ?? 0n;
      finalityThresholdExecuted = decoded.message.finalityThresholdExecuted;
      if (nonce === ZERO_BYTES32) {
        throw new AttestationMismatchError({
          burnTxHash: burned.burnTxHash,
          field: "nonce",
          expected: "a nonce assigned by the attestation service",
          actual: ZERO_BYTES32,
        });
      }
      if (feeExecuted > burned.maxFee) {
        throw new AttestationMismatchError({
          burnTxHash: burned.burnTxHash,
          field: "messageBody.feeExecuted",
          expected: `at most maxFee ${burned.maxFee}`,
          actual: feeExecuted.toString(),
        });
      }
    } else {
      nonce = decoded.message.nonce.toString();
      nonceKey = v1NonceKey(decoded.message.sourceDomain, decoded.message.nonce);
    }
    const attested: AttestedTransfer = {
      ...burned,
      type: "attested",
      message,
      attestation,
      nonce,
      nonceKey,
      feeExecuted,
      finalityThresholdExecuted,
      polls: outcome.polls,
      waitMs: outcome.waitMs,
    };
    metrics?.cctpAttestationWaitSeconds.observe(
      { version: String(route.version), speed: burned.speed },
      outcome.waitMs / 1000,
    );
    logger.info(
      {
        transfer_id: burned.transferId,
        tx_hash: burned.burnTxHash,
        polls: outcome.polls,
        wait_ms: outcome.waitMs,
        fee_executed: feeExecuted.toString(),
        finality_executed: finalityThresholdExecuted,
      },
      "cctp attestation verified",
    );
    await emit({
      ...common(attested),
      event: "attested",
      burnTxHash: attested.burnTxHash,
      nonce,
      messageHash: messageHash(message),
      feeExecuted,
      finalityThresholdExecuted,
      polls: outcome.polls,
      waitMs: outcome.waitMs,
    });
    return attested;
  }

  // --- receive ------------------------------------------------------------------------------

  async function isReceived(attested: AttestedTransfer): Promise<boolean> {
    const destination = attested.route.destination;
    const used = await args.clients(destination).public.readContract({
      address: transmitterOf(destination, attested.route.version),
      abi: messageTransmitterAbi,
      functionName: "usedNonces",
      args: [attested.nonceKey],
    });
    return used !== 0n;
  }

  async function alreadyReceived(attested: AttestedTransfer): Promise<TransferResult> {
    logger.info(
      { transfer_id: attested.transferId, tx_hash: attested.burnTxHash },
      "cctp transfer was already received",
    );
    metrics?.cctpTransfersTotal.inc({
      asset: attested.assetId,
      route: routeLabel(attested),
      version: String(attested.route.version),
      speed: attested.speed,
      outcome: "already_received",
    });
    await emit({
      ...common(attested),
      event: "already_received",
      burnTxHash: attested.burnTxHash,
      nonce: attested.nonce,
    });
    return { ...attested, type: "already_received" };
  }

  async function receive(attested: AttestedTransfer): Promise<TransferResult> {
    if (await isReceived(attested)) return alreadyReceived(attested);
    const { route } = attested;
    const destination = route.destination;
    const decoded = decodeMessage(attested.message, { body: "burn" });
    const destinationCaller = decoded.message.destinationCaller;
    const executor = destination.v2?.hookExecutor;
    const viaExecutor =
      route.version === 2 && executor !== undefined && eq(destinationCaller, addressToBytes32(executor));
    if (
      !viaExecutor &&
      destinationCaller !== ZERO_BYTES32 &&
      !eq(destinationCaller, addressToBytes32(sender))
    ) {
      throw new CctpRouteUnsupportedError({
        route: routeName(route.source.chain, destination.chain),
        reason: `the burn names destinationCaller ${bytes32AsAddress(destinationCaller) ?? destinationCaller}, which is neither this account nor the hook executor`,
      });
    }
    const call = viaExecutor
      ? {
          address: executor as Address,
          abi: hookExecutorAbi,
          functionName: "relay",
          args: [attested.message, attested.attestation],
        }
      : {
          address: transmitterOf(destination, route.version),
          abi: messageTransmitterAbi,
          functionName: "receiveMessage",
          args: [attested.message, attested.attestation],
        };
    let mined: Awaited<ReturnType<typeof send>>;
    try {
      mined = await send(destination, "receive", call);
    } catch (error) {
      // Someone else may have received it between the check and the send.
      if (error instanceof CctpTxRevertedError && (await isReceived(attested).catch(() => false)))
        return alreadyReceived(attested);
      throw error;
    }
    const messenger = messengerOf(destination, route.version);
    let received = 0n;
    let fee = 0n;
    for (const l of mined.logs) {
      if (!eq(l.address, messenger)) continue;
      try {
        if (route.version === 2) {
          const e = decodeEventLog({
            abi: tokenMessengerV2Abi,
            eventName: "MintAndWithdraw",
            topics: l.topics as [Hex],
            data: l.data,
          });
          received += e.args?.amount ?? 0n;
          fee += e.args?.feeCollected ?? 0n;
        } else {
          const e = decodeEventLog({
            abi: tokenMessengerV1Abi,
            eventName: "MintAndWithdraw",
            topics: l.topics as [Hex],
            data: l.data,
          });
          received += e.args?.amount ?? 0n;
        }
      } catch {
        // another event of the messenger
      }
    }
    const via = viaExecutor ? "hook_executor" : "transmitter";
    metrics?.cctpTransfersTotal.inc({
      asset: attested.assetId,
      route: routeLabel(attested),
      version: String(route.version),
      speed: attested.speed,
      outcome: "received",
    });
    logger.info(
      {
        transfer_id: attested.transferId,
        chain_id: destination.chainId,
        tx_hash: mined.hash,
        received: received.toString(),
        fee: fee.toString(),
        via,
      },
      "cctp transfer received",
    );
    await emit({
      ...common(attested),
      event: "received",
      burnTxHash: attested.burnTxHash,
      nonce: attested.nonce,
      receiveTxHash: mined.hash,
      blockNumber: mined.blockNumber,
      received,
      fee,
      via,
    });
    return {
      ...attested,
      type: "received",
      receiveTxHash: mined.hash,
      receiveBlockNumber: mined.blockNumber,
      received,
      fee,
      via,
    };
  }

  // --- resume -------------------------------------------------------------------------------

  async function findBurn({
    chain: chainName,
    burnTxHash,
    transferId,
  }: {
    chain: string;
    burnTxHash: Hex;
    transferId?: string;
  }): Promise<BurnedTransfer> {
    const source = chainOf(chainName);
    const { public: pc } = args.clients(source);
    let receipt: Awaited<ReturnType<PublicClient["getTransactionReceipt"]>>;
    try {
      receipt = await pc.getTransactionReceipt({ hash: burnTxHash });
    } catch {
      throw new CctpBurnNotFoundError({
        chainId: source.chainId,
        txHash: burnTxHash,
        reason: "no receipt (not mined, or another chain)",
      });
    }
    if (receipt.status !== "success")
      throw new CctpBurnNotFoundError({
        chainId: source.chainId,
        txHash: burnTxHash,
        reason: "the transaction reverted",
      });
    const logs = receipt.logs.map((l) => ({
      address: l.address,
      topics: l.topics as Hex[],
      data: l.data,
      logIndex: l.logIndex,
    }));
    const transmitters = [
      { version: 2 as const, address: source.v2?.messageTransmitter },
      { version: 1 as const, address: source.v1?.messageTransmitter },
    ];
    const log = logs
      .filter(
        (l) =>
          l.topics[0] === MESSAGE_SENT_TOPIC &&
          transmitters.some((t) => t.address !== undefined && eq(t.address, l.address)),
      )
      .sort((x, y) => x.logIndex - y.logIndex)[0];
    if (log === undefined)
      throw new CctpBurnNotFoundError({
        chainId: source.chainId,
        txHash: burnTxHash,
        reason: "it has no MessageSent of a configured transmitter",
      });
    const version = transmitters.find((t) => t.address !== undefined && eq(t.address, log.address))!.version;
    const sourceMessage = messageSentBytes(log.data);
    const m = decodeMessage(sourceMessage, { body: "burn" });
    const destination = setup.chainByDomain(m.message.destinationDomain);
    if (destination === undefined) {
      throw new CctpRouteUnsupportedError({
        route: `${chainName} -> domain ${m.message.destinationDomain}`,
        reason: "no cctp.chains entry has that domain",
      });
    }
    const burnToken = bytes32AsAddress(m.burn!.burnToken);
    const token = burnToken === undefined ? undefined : tokenRefOf(setup, source, burnToken);
    if (token === undefined)
      throw new CctpBurnNotFoundError({
        chainId: source.chainId,
        txHash: burnTxHash,
        reason: `its burn token ${m.burn!.burnToken} is neither USDC nor a configured asset`,
      });
    const info: TransferInfo = {
      transferId: transferId ?? `burn:${source.chainId}:${burnTxHash}:${log.logIndex}`,
      assetId: assetIdOf(token),
      token,
      route: { version, source, destination },
      speed: m.type === "v2" && isFastThreshold(m.message.minFinalityThreshold) ? "fast" : "standard",
      amount: m.burn!.amount,
    };
    const burned = burnFromLogs({
      info,
      chain: source,
      txHash: burnTxHash,
      blockNumber: receipt.blockNumber,
      logs,
      logIndex: log.logIndex,
    });
    if (burned === undefined)
      throw new CctpBurnNotFoundError({
        chainId: source.chainId,
        txHash: burnTxHash,
        reason: "its MessageSent could not be read",
      });
    return burned;
  }

  async function fail(transfer: AnyTransfer, stage: CctpTransferStage, error: unknown): Promise<unknown> {
    const burnTxHash = "burnTxHash" in transfer ? transfer.burnTxHash : undefined;
    metrics?.cctpTransfersTotal.inc({
      asset: transfer.assetId,
      route: routeLabel(transfer),
      version: String(transfer.route.version),
      speed: transfer.speed,
      outcome: "failed",
    });
    logger.error(
      { transfer_id: transfer.transferId, stage, tx_hash: burnTxHash, err: error },
      "cctp transfer failed",
    );
    await emit({
      ...common(transfer),
      event: "failed",
      stage,
      reason: reasonOf(error).slice(0, 4_000),
      code: error instanceof KeeperError ? error.code : undefined,
      burnTxHash,
    });
    return error;
  }

  async function finish(attested: AttestedTransfer): Promise<TransferResult> {
    try {
      return await receive(attested);
    } catch (error) {
      throw await fail(attested, "receive", error);
    }
  }

  async function attest(burned: BurnedTransfer, signal?: AbortSignal): Promise<AttestedTransfer> {
    try {
      return await awaitAttestation(burned, signal ? { signal } : {});
    } catch (error) {
      throw await fail(burned, "attestation", error);
    }
  }

  return {
    setup,
    sender,
    plan,
    burn,
    awaitAttestation,
    isReceived,
    receive,
    findBurn,
    fail,
    async run(request, opts = {}) {
      const planned = plan(request);
      let burned: BurnedTransfer;
      try {
        burned = await burn(planned);
      } catch (error) {
        throw await fail(planned, "burn", error);
      }
      return finish(await attest(burned, opts.signal));
    },
    async resume({ chain, burnTxHash, transferId, signal }) {
      const burned = await findBurn({ chain, burnTxHash, ...(transferId ? { transferId } : {}) });
      return finish(await attest(burned, signal));
    },
  };
}

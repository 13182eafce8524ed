/**
 * The transfers the HTTP API started, by id: each one's handle from the transfer service, when each
 * lifecycle event arrived, how it ended, and its status. Idempotent: a requestId names one transfer (the
 * same request again returns it; a different request under the same id is a CctpRequestConflictError),
 * and a resume of the same burn returns the running (or ended) resume unless that one failed or was
 * interrupted, which starts it again. In memory only: after a restart, resume a transfer from its burn.
 *
 *   const registry = createTransferRegistry({ service, maxTransfers: 10_000 });
 *   const { transfer, created } = registry.submit({ ...request, requestId: "order-42" });
 *   statusOf(transfer) → "pending" | "held" | "burned" | … ;  transferView(transfer, chainName) → JSON
 */
import { randomUUID } from "node:crypto";
import type { Hex } from "viem";
import type { CctpTransferEvent, CctpTransferStage } from "../../bus/types.ts";
import { assetIdOf } from "../../cctp/transfer/setup.ts";
import { reasonOf, type TransferRequest, type TransferResult } from "../../cctp/transfer/transferClient.ts";
import { KeeperError, UnhandledVariantError } from "../../internal/errors.ts";
import { CctpRequestConflictError, CctpServiceStoppedError } from "./errors.ts";
import type { CctpTransferService, TransferHandle } from "./transferService.ts";

export const TRANSFER_STATUSES = [
  "pending",
  "held",
  "burned",
  "attested",
  "received",
  "already_received",
  "failed",
  "interrupted",
] as const;

/**
 * pending: waiting for its burn (queued, or resumed and not yet burned); held: waiting because the asset
 * is paused (stage burn or receive); burned / attested: the last step done; received / already_received:
 * ended; failed: ended with an error; interrupted: the service stopped first (resume it from its burn).
 */
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];

export type TransferOutcome =
  | { readonly type: "running" }
  | { readonly type: "ended"; readonly result: TransferResult }
  | { readonly type: "error"; readonly error: unknown };

/** What was asked: a new transfer, or a resume from a burn. */
export type TrackedRequest =
  | {
      readonly type: "transfer";
      readonly asset: string;
      readonly from: string;
      readonly to: string;
      readonly amount: bigint;
      readonly speed: "fast" | "standard";
    }
  | { readonly type: "resume"; readonly chain: string; readonly burnTxHash: Hex };

export type TrackedTransfer = {
  readonly transferId: string;
  readonly request: TrackedRequest;
  /** Canonical form of the request (idempotency check). */
  readonly key: string;
  readonly submittedAt: number;
  readonly handle: TransferHandle;
  /** Unix ms of each of handle.events, by index. */
  readonly times: number[];
  outcome: TransferOutcome;
};

export type TransferRegistry = {
  /** Starts a transfer (requestId: its id; default a random UUID), or returns the one with that requestId. */
  submit(request: TransferRequest): { transfer: TrackedTransfer; created: boolean };
  /** Continues a transfer from its burn, or returns the resume of that burn already running or ended. */
  resume(args: { chain: string; burnTxHash: Hex }): { transfer: TrackedTransfer; created: boolean };
  get(transferId: string): TrackedTransfer | undefined;
  /** Every tracked transfer, oldest first (only those with `status`). */
  list(status?: TransferStatus): TrackedTransfer[];
  /** Transfers not ended yet. */
  running(): TrackedTransfer[];
};

export type CreateTransferRegistryArgs = {
  readonly service: Pick<CctpTransferService, "submit" | "resume">;
  /** Beyond this many, the oldest ended transfers are forgotten. */
  readonly maxTransfers: number;
  readonly now?: () => number;
};

/** The status of a transfer from its events so far and how it ended. */
export function statusOf(t: Pick<TrackedTransfer, "handle" | "outcome">): TransferStatus {
  let status: TransferStatus = "pending";
  for (const e of t.handle.events) status = statusAfter(e);
  switch (t.outcome.type) {
    case "running":
      return status;
    case "ended":
      return t.outcome.result.type;
    case "error":
      return t.outcome.error instanceof CctpServiceStoppedError ? "interrupted" : "failed";
    default:
      throw new UnhandledVariantError({ subject: "transfer outcome", value: t.outcome satisfies never });
  }
}

function statusAfter(e: CctpTransferEvent): TransferStatus {
  switch (e.event) {
    case "burned":
    case "attested":
    case "received":
    case "already_received":
    case "held":
    case "failed":
      return e.event;
    case "resumed":
      return resumedStatus(e.stage);
    default:
      throw new UnhandledVariantError({ subject: "CCTP transfer event", value: e satisfies never });
  }
}

/** Where a resumed transfer stands: before its burn, or attested before its receive. */
function resumedStatus(stage: CctpTransferStage): TransferStatus {
  switch (stage) {
    case "burn":
      return "pending";
    case "attestation":
      return "burned";
    case "receive":
      return "attested";
    default:
      throw new UnhandledVariantError({ subject: "transfer stage", value: stage satisfies never });
  }
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The JSON of a transfer (bigints as decimal strings by the caller's serializer); `events` only with full. */
export function transferView(
  t: TrackedTransfer,
  chainName: (chainId: number) => string,
  opts: { full?: boolean } = {},
) {
  const events = t.handle.events;
  const status = statusOf(t);
  const first = events[0];
  const route =
    first !== undefined
      ? {
          asset: first.assetId,
          from: chainName(first.sourceChainId),
          to: chainName(first.destinationChainId),
          amount: first.amount,
          speed: first.speed,
          version: first.version,
        }
      : t.request.type === "transfer"
        ? {
            asset: t.request.asset,
            from: t.request.from,
            to: t.request.to,
            amount: t.request.amount,
            speed: t.request.speed,
          }
        : { from: t.request.chain };
  let burnTxHash: Hex | undefined = t.request.type === "resume" ? t.request.burnTxHash : undefined;
  let attestation: Record<string, unknown> | undefined;
  let receive: Record<string, unknown> | undefined;
  let failure: { code?: string | undefined; reason: string; stage?: CctpTransferStage } | undefined;
  const holds: { stage: CctpTransferStage; pausedChainIds: readonly number[]; hold: number; at?: string }[] =
    [];
  for (const [i, e] of events.entries()) {
    switch (e.event) {
      case "burned":
        burnTxHash = e.burnTxHash;
        continue;
      case "attested":
        attestation = {
          nonce: e.nonce,
          polls: e.polls,
          waitMs: e.waitMs,
          feeExecuted: e.feeExecuted,
          finalityThresholdExecuted: e.finalityThresholdExecuted,
        };
        burnTxHash = e.burnTxHash;
        continue;
      case "received":
        receive = {
          receiveTxHash: e.receiveTxHash,
          blockNumber: e.blockNumber,
          received: e.received,
          fee: e.fee,
          via: e.via,
        };
        continue;
      case "already_received":
        receive = { alreadyReceived: true };
        continue;
      case "held":
        holds.push({ stage: e.stage, pausedChainIds: e.pausedChainIds, hold: e.hold, at: iso(t.times[i]) });
        continue;
      case "resumed":
        continue;
      case "failed":
        failure = { stage: e.stage, reason: e.reason, code: e.code };
        continue;
      default:
        throw new UnhandledVariantError({ subject: "CCTP transfer event", value: e satisfies never });
    }
  }
  if (failure === undefined && t.outcome.type === "error") {
    const error = t.outcome.error;
    failure = { reason: reasonOf(error), code: error instanceof KeeperError ? error.code : undefined };
  }
  const lastHold = holds.at(-1);
  return {
    transferId: t.transferId,
    kind: t.request.type,
    status,
    ...route,
    submittedAt: iso(t.submittedAt),
    ...(burnTxHash === undefined ? {} : { burnTxHash }),
    ...(attestation === undefined ? {} : { attestation }),
    ...(receive === undefined ? {} : { receive }),
    ...(status === "held" && lastHold !== undefined ? { held: lastHold } : {}),
    holds,
    ...(failure === undefined ? {} : { error: failure }),
    ...(opts.full ? { events: events.map((e, i) => ({ at: iso(t.times[i]), ...e })) } : {}),
  };
}

/** Canonical form of a transfer request (without its requestId). */
function requestKey(r: TransferRequest): string {
  return JSON.stringify([
    assetIdOf(r.token),
    r.from,
    r.to,
    r.amount.toString(),
    r.speed,
    r.maxFee?.toString() ?? null,
    r.recipient?.toLowerCase() ?? null,
    r.hook ?? null,
    r.destinationCaller?.toLowerCase() ?? null,
    r.version ?? null,
  ]);
}

export function createTransferRegistry(args: CreateTransferRegistryArgs): TransferRegistry {
  const now = args.now ?? Date.now;
  const transfers = new Map<string, TrackedTransfer>();

  function track(
    transferId: string,
    request: TrackedRequest,
    key: string,
    handle: TransferHandle,
  ): TrackedTransfer {
    const at = now();
    const t: TrackedTransfer = {
      transferId,
      request,
      key,
      submittedAt: at,
      handle,
      times: handle.events.map(() => at), // events dispatched while submitting (a hold)
      outcome: { type: "running" },
    };
    handle.onEvent(() => {
      while (t.times.length < handle.events.length) t.times.push(now());
    });
    handle.done.then(
      (result) => {
        t.outcome = { type: "ended", result };
      },
      (error: unknown) => {
        t.outcome = { type: "error", error };
      },
    );
    transfers.delete(transferId);
    transfers.set(transferId, t);
    evict();
    return t;
  }

  function evict(): void {
    if (transfers.size <= args.maxTransfers) return;
    for (const [id, t] of transfers) {
      if (transfers.size <= args.maxTransfers) return;
      if (t.outcome.type !== "running") transfers.delete(id);
    }
  }

  return {
    submit(request) {
      const transferId = request.requestId ?? randomUUID();
      const key = requestKey(request);
      const existing = transfers.get(transferId);
      if (existing !== undefined) {
        if (existing.key !== key) throw new CctpRequestConflictError({ requestId: transferId });
        return { transfer: existing, created: false };
      }
      const handle = args.service.submit({ ...request, requestId: transferId });
      const summary: TrackedRequest = {
        type: "transfer",
        asset: assetIdOf(request.token),
        from: request.from,
        to: request.to,
        amount: request.amount,
        speed: request.speed,
      };
      return { transfer: track(transferId, summary, key, handle), created: true };
    },

    resume({ chain, burnTxHash }) {
      const hash = burnTxHash.toLowerCase() as Hex;
      const transferId = `resume:${chain}:${hash}`;
      const key = JSON.stringify(["resume", chain, hash]);
      const existing = transfers.get(transferId);
      if (existing !== undefined) {
        const status = statusOf(existing);
        if (status !== "failed" && status !== "interrupted") return { transfer: existing, created: false };
      }
      const handle = args.service.resume({ chain, burnTxHash: hash, transferId });
      return {
        transfer: track(transferId, { type: "resume", chain, burnTxHash: hash }, key, handle),
        created: true,
      };
    },

    get: (transferId) => transfers.get(transferId),

    list(status) {
      const all = [...transfers.values()];
      return status === undefined ? all : all.filter((t) => statusOf(t) === status);
    },

    running: () => [...transfers.values()].filter((t) => t.outcome.type === "running"),
  };
}

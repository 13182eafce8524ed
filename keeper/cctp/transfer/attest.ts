/**
 * The attestation step: poll the attestation API for the burn's message, compare it with the burn's
 * (stable fields only), verify the signatures, and read the nonce and executed fee.
 */
import type { Hex } from "viem";
import { verifyAttestation } from "../attestation.ts";
import { decodeMessage, messageHash } from "../decode.ts";
import { ZERO_BYTES32 } from "../hex.ts";
import { eq } from "./chains.ts";
import type { TransferContext } from "./context.ts";
import { AttestationInvalidError, AttestationMismatchError, AttestationTimeoutError } from "./errors.ts";
import { transferEventCommon } from "./events.ts";
import { FINALITY_STANDARD } from "./fees.ts";
import { pollUntilComplete } from "./poll.ts";
import { v1NonceKey } from "./receive.ts";
import type { AttestedTransfer, BurnedTransfer } from "./types.ts";

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

/**
 * Polls the attestation API (404/pending are normal; errors back off; deadline), checks the message
 * against the burn (stable fields, codec) and verifies the signatures against the configured attesters.
 */
export async function awaitAttestation(
  ctx: TransferContext,
  burned: BurnedTransfer,
  opts: { signal?: AbortSignal } = {},
): Promise<AttestedTransfer> {
  const { setup, iris, logger, metrics, emit } = ctx;
  const api = setup.config.attestationApi;
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
      ctx.onPoll?.({ transferId: burned.transferId, polls, status });
      logger.debug({ transfer_id: burned.transferId, polls, status }, "cctp attestation polled");
    },
    ...(ctx.pollClock ? { clock: ctx.pollClock } : {}),
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
    ...transferEventCommon(attested),
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

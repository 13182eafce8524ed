/**
 * `unpause sign` / `signers sign`: OFFLINE. Reads a request file (already checked against its own
 * typed data and digest by readRequestFile), shows what is being signed, signs with a local account
 * (from an encrypted keystore) and returns the signature. No RPC, no bus, no config.
 */
import type { LocalAccount } from "viem";
import { AdminCommandError } from "./errors.ts";
import type { BreakerRequest, BreakerSignature } from "./requests.ts";
import { digestOf, isoOf, signRequest } from "./requests.ts";

/** What a signer is asked to approve, one fact per line (printed before the password prompt). */
export function describeRequest(r: BreakerRequest): string[] {
  const lines = [
    r.kind === "unpause"
      ? `UNPAUSE breaker of ${r.asset} on chain ${r.chain} (${r.chainId})`
      : `CHANGE THE SIGNER SET of the ${r.asset} breaker on chain ${r.chain} (${r.chainId})`,
    `  breaker   ${r.breaker}`,
    `  nonce     ${r.nonce}`,
    `  deadline  ${r.deadline} (${isoOf(r.deadline)})`,
    `  reason    ${JSON.stringify(r.reason)}${r.kind === "updateSigners" ? " (a note: not part of the signed data)" : ""}`,
  ];
  if (r.kind === "updateSigners") {
    lines.push(`  new set   ${r.newThreshold} of ${r.newSigners.length}: ${r.newSigners.join(", ")}`);
    lines.push(
      `  old set   ${r.current.threshold} of ${r.current.signers.length}: ${r.current.signers.join(", ")}`,
    );
  }
  lines.push(`  digest    ${digestOf(r)}`);
  return lines;
}

export type SignArgs = {
  readonly request: BreakerRequest;
  readonly account: LocalAccount;
  /** Default new Date(). */
  readonly now?: () => Date;
};

export type Signed = { readonly signature: BreakerSignature; readonly warnings: readonly string[] };

/**
 * Signs the request. Refuses a request whose deadline has passed by the local clock (the breaker
 * would reject it); warns when the account is not in the signer set recorded at prepare time.
 */
export async function signBreakerRequest({ request, account, now }: SignArgs): Promise<Signed> {
  const at = now?.() ?? new Date();
  const nowSeconds = BigInt(Math.floor(at.getTime() / 1000));
  if (nowSeconds > request.deadline) {
    throw new AdminCommandError({
      reason: `EXPIRED: the request expired at ${isoOf(request.deadline)} (local clock ${isoOf(nowSeconds)}); prepare a new one.`,
    });
  }
  const warnings: string[] = [];
  const known = request.current.signers.some((s) => s.toLowerCase() === account.address.toLowerCase());
  if (!known) {
    warnings.push(
      `${account.address} was not in the breaker's signer set when the request was prepared (${request.current.signers.join(", ")}); the submitter will refuse this signature unless the set changed`,
    );
  }
  const signed = await signRequest(account, request);
  return {
    signature: {
      kind: request.kind,
      asset: request.asset,
      chainId: request.chainId,
      breaker: request.breaker,
      nonce: request.nonce,
      digest: digestOf(request),
      signer: signed.signer,
      signature: signed.signature,
      signedAt: at.toISOString(),
    },
    warnings,
  };
}

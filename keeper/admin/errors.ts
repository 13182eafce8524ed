import { NonRetryableError, redactUrls } from "../internal/errors.ts";

/**
 * Errors of `reserve-keeper admin` (keeper/admin). None carries a key or a password: they name files,
 * environment variables, addresses, digests and the checks that failed.
 */

/** Why a signed request is refused before anything is sent. */
export type RefusalCode =
  /** The RPC endpoint serves another chain than the request's. */
  | "CHAIN_ID_MISMATCH"
  /** The request names another breaker than the config's for its asset and chain. */
  | "BREAKER_MISMATCH"
  /** No contract at the breaker address on that chain. */
  | "BREAKER_NOT_FOUND"
  /** The breaker computes another digest for the request (not a ReserveCircuitBreaker, or another domain). */
  | "DIGEST_MISMATCH"
  /** A signature file is for another request (digest, chain, breaker or nonce differ). */
  | "SIGNATURE_FOR_OTHER_REQUEST"
  /** A signature is not a well-formed 65-byte low-s secp256k1 signature. */
  | "SIGNATURE_MALFORMED"
  /** The signature does not recover to the signer its file names (edited file, or signed other data). */
  | "SIGNATURE_SIGNER_MISMATCH"
  /** The recovered signer is not in the breaker's current signer set. */
  | "UNKNOWN_SIGNER"
  /** Two signatures of the same signer. */
  | "DUPLICATE_SIGNER"
  /** Fewer valid signatures of distinct set members than the threshold. */
  | "INSUFFICIENT_SIGNATURES"
  /** The request's deadline is before the chain's latest block time. */
  | "EXPIRED"
  /** The request's nonce was already consumed (the request, or another one, was executed). */
  | "NONCE_USED"
  /** The request's nonce is ahead of the breaker's. */
  | "NONCE_AHEAD"
  /** Unpause of a breaker that is not paused. */
  | "NOT_PAUSED"
  /** The submitter holds KEEPER_ROLE: the breaker rejects unpauses from keepers. */
  | "SUBMITTER_IS_KEEPER"
  /** The simulation of the transaction reverts. */
  | "SIMULATION_REVERTED";

/** One failed check, with a sentence naming the values that failed. */
export type Refusal = {
  readonly code: RefusalCode;
  readonly message: string;
  /** The signature file concerned, if any. */
  readonly source?: string | undefined;
};

/** Renders a refusal as one line: `CODE: message (file)`. */
export function formatRefusal(r: Refusal): string {
  return `${r.code}: ${r.message}${r.source === undefined ? "" : ` (${r.source})`}`;
}

/** A signed request that is refused: nothing was sent. Lists every failed check. */
export class AdminRefusedError extends NonRetryableError {
  declare readonly code: "ADMIN_REFUSED";
  readonly refusals: readonly Refusal[];
  constructor({
    subject,
    refusals,
    chainId,
    breaker,
  }: {
    subject: string;
    refusals: readonly Refusal[];
    chainId?: number;
    breaker?: string;
  }) {
    super({
      shortMessage: `Refused ${subject}: ${refusals.map((r) => r.code).join(", ")}; nothing was sent.`,
      code: "ADMIN_REFUSED",
      details: { chainId, breaker, refusals: refusals.map(formatRefusal) },
    });
    this.refusals = refusals;
  }
}

/** A request, signature or keystore file that cannot be used (unreadable, malformed, tampered). */
export class AdminFileError extends NonRetryableError {
  declare readonly code: "ADMIN_FILE_INVALID";
  readonly path: string;
  constructor({ path, reason }: { path: string; reason: string }) {
    super({
      shortMessage: `${path}: ${reason}.`,
      code: "ADMIN_FILE_INVALID",
      details: { path },
    });
    this.path = path;
  }
}

/** A secret (password, private key) that cannot be obtained: names the variable, never the value. */
export class SecretUnavailableError extends NonRetryableError {
  declare readonly code: "SECRET_UNAVAILABLE";
  constructor({ what, reason, envVar }: { what: string; reason: string; envVar?: string }) {
    super({
      shortMessage: `The ${what} is unavailable: ${reason}.`,
      code: "SECRET_UNAVAILABLE",
      details: { envVar },
    });
  }
}

/** An admin command that cannot run as asked (unknown asset or chain, no signer, chain unreachable). */
export class AdminCommandError extends NonRetryableError {
  declare readonly code: "ADMIN_COMMAND_FAILED";
  constructor({ reason, cause }: { reason: string; cause?: unknown }) {
    super({ shortMessage: reason, code: "ADMIN_COMMAND_FAILED", cause });
  }
}

/** One line describing any error for output and bus messages: its shortMessage, URLs reduced to origins. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return redactUrls(String(err));
  const short = (err as Error & { shortMessage?: string }).shortMessage;
  return redactUrls(short ?? err.message.split("\n")[0] ?? err.name);
}

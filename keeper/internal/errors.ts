/**
 * The keeper's ONE error hierarchy.
 *
 * ```
 * KeeperError (abstract: shortMessage, code, details, cause, retryable)
 * ├── RetryableError      transient: retry with backoff (RPC timeout, broker unavailable, …)
 * └── NonRetryableError   permanent: dead-letter / exit (bad config, invalid input, bug)
 *     ├── InvalidDecimalsError       DECIMALS_INVALID
 *     ├── InvalidReserveAnswerError  RESERVE_ANSWER_NOT_POSITIVE
 *     ├── InvalidObservationError    OBSERVATION_INVALID
 *     ├── InvalidPolicyError         POLICY_INVALID
 *     ├── InvalidArgumentError       ARGUMENT_INVALID
 *     ├── UnhandledVariantError      VARIANT_UNHANDLED
 *     ├── ConfigError                CONFIG_INVALID         (config: lists every problem)
 *     ├── WrongPasswordError         KEYSTORE_WRONG_PASSWORD (keystore: MAC mismatch)
 *     ├── UnsupportedKeystoreError   KEYSTORE_UNSUPPORTED   (keystore: version/kdf/prf/cipher)
 *     ├── InvalidKeystoreError       KEYSTORE_INVALID       (keystore: malformed file)
 *     ├── SignerUnavailableError     SIGNER_UNAVAILABLE     (config: missing env var, unreadable file)
 *     ├── InvalidMessageError        MESSAGE_INVALID        (bus: undecodable message)
 *     ├── BusPublishRejectedError    BUS_PUBLISH_REJECTED   (bus)
 *     ├── BusProducerFencedError     BUS_PRODUCER_FENCED    (bus: another keeper with our keeperId)
 *     ├── BusClosedError             BUS_CLOSED             (bus)
 *     ├── CheckpointInvalidError     CHECKPOINT_INVALID     (bus: corrupted checkpoint)
 *     └── LogRangeTooLargeError      LOG_RANGE_TOO_LARGE    (sources: one block's logs exceed eth_getLogs limits)
 * RetryableError (bus): BusUnavailableError BUS_UNAVAILABLE, BusBufferFullError BUS_BUFFER_FULL
 * RetryableError (sources): SourceReadError SOURCE_READ_FAILED
 * ```
 *
 * Adding an error in another module (config, sources, actions, bus): subclass `RetryableError`
 * or `NonRetryableError`, narrow `code` with a `declare` field (erasable syntax) and build the
 * message from one args object:
 *
 * ```ts
 * export class RpcTimeoutError extends RetryableError {
 *   declare readonly code: "RPC_TIMEOUT";
 *   constructor({ chainId, method, cause }: { chainId: number; method: string; cause?: unknown }) {
 *     super({ shortMessage: `RPC call ${method} on chain ${chainId} timed out.`, code: "RPC_TIMEOUT",
 *             details: { chainId, method }, cause });
 *   }
 * }
 * ```
 *
 * Rules:
 * - `shortMessage` is ONE sentence naming the subject ("Feed decimals must be …, got 40.").
 * - `code` is an UPPER_SNAKE string literal, subject first ("CONFIG_INVALID", "RPC_TIMEOUT").
 * - `details` holds the structured facts; `message` = shortMessage + one `key: value` line per detail.
 * - SECRETS NEVER GO INTO ERRORS: no private keys, mnemonics, API keys, passwords, auth headers
 *   or full RPC URLs in `shortMessage`, `details` or a hand-built `cause`. As a second line of
 *   defence, rendering (a) replaces detail values whose key looks sensitive (secret, password,
 *   mnemonic, privateKey, apiKey, auth, credential, seed) with `[redacted]` and (b) reduces every
 *   http(s)/ws(s) URL in the rendered message to its origin, since providers put API keys in the
 *   path or query (…/v2/<key>). `details` itself is kept as given: do not log it raw if you put
 *   anything sensitive there — just don't.
 */

/** One structured fact about an error. bigint is allowed (amounts, block numbers). */
export type ErrorDetailValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | undefined
  | readonly (string | number | bigint | boolean)[];

export type ErrorDetails = Readonly<Record<string, ErrorDetailValue>>;

export type KeeperErrorArgs = {
  /** One sentence naming the subject. */
  shortMessage: string;
  /** UPPER_SNAKE code, subject first. */
  code: string;
  details?: ErrorDetails;
  cause?: unknown;
};

const SENSITIVE_KEY = /secret|passw(or)?d|passphrase|mnemonic|private_?key|api_?key|auth|credential|seed/i;
const URL_IN_TEXT = /\b(?:https?|wss?):\/\/[^\s"'`<>]+/gi;

/** Replaces every URL in `text` by its origin (drops userinfo, path, query, fragment). */
export function redactUrls(text: string): string {
  return text.replace(URL_IN_TEXT, (raw) => {
    try {
      return new URL(raw).origin;
    } catch {
      return "[redacted-url]";
    }
  });
}

function renderDetailValue(key: string, value: ErrorDetailValue): string {
  if (SENSITIVE_KEY.test(key)) return "[redacted]";
  if (Array.isArray(value)) return value.map((v) => String(v)).join(", ");
  return String(value);
}

function renderMessage(shortMessage: string, details: ErrorDetails | undefined, cause: unknown): string {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(details ?? {})) {
    if (value === undefined) continue;
    lines.push(`${key}: ${renderDetailValue(key, value as ErrorDetailValue)}`);
  }
  if (cause instanceof Error) lines.push(`cause: ${cause.message.split("\n")[0]}`);
  const text = lines.length === 0 ? shortMessage : `${shortMessage}\n\n${lines.join("\n")}`;
  return redactUrls(text);
}

export abstract class KeeperError extends Error {
  readonly shortMessage: string;
  readonly code: string;
  readonly details: ErrorDetails | undefined;
  /** true: retry with backoff; false: dead-letter / give up. Set by the two subclasses. */
  abstract readonly retryable: boolean;

  constructor({ shortMessage, code, details, cause }: KeeperErrorArgs) {
    super(renderMessage(shortMessage, details, cause), cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.shortMessage = redactUrls(shortMessage);
    this.code = code;
    this.details = details;
  }
}

/** Transient failure: the same operation may succeed later. */
export class RetryableError extends KeeperError {
  readonly retryable = true;
}

/** Permanent failure: retrying the same input cannot help. */
export class NonRetryableError extends KeeperError {
  readonly retryable = false;
}

/**
 * Decides retry vs dead-letter. A KeeperError answers for itself; any other error that wraps a
 * cause delegates to the cause; anything unclassified is NOT retryable (it is a bug or an
 * unknown failure — wrap transient third-party errors in a RetryableError at the boundary).
 */
export function isRetryable(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    if (current instanceof KeeperError) return current.retryable;
    seen.add(current);
    current = current.cause;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Engine errors (keeper/engine). All permanent: the same input always fails the same way.
// ---------------------------------------------------------------------------------------------

/** A decimals value outside the supported 0..36 integer range. */
export class InvalidDecimalsError extends NonRetryableError {
  declare readonly code: "DECIMALS_INVALID";
  constructor({ field, value }: { field: string; value: unknown }) {
    super({
      shortMessage: `Decimals ${field} must be an integer from 0 to 36, got ${String(value)}.`,
      code: "DECIMALS_INVALID",
      details: { field, value: String(value) },
    });
  }
}

/** A Proof-of-Reserve answer that is zero or negative (the feed reports invalid data). */
export class InvalidReserveAnswerError extends NonRetryableError {
  declare readonly code: "RESERVE_ANSWER_NOT_POSITIVE";
  constructor({ answer, feed, roundId }: { answer: bigint; feed?: string; roundId?: bigint }) {
    super({
      shortMessage: `Reserve answer must be greater than zero, got ${answer}.`,
      code: "RESERVE_ANSWER_NOT_POSITIVE",
      details: { answer, feed, roundId },
    });
  }
}

/** An Observation that breaks the contract between sources and engine. */
export class InvalidObservationError extends NonRetryableError {
  declare readonly code: "OBSERVATION_INVALID";
  constructor({
    observationType,
    reason,
    details,
  }: {
    observationType: string;
    reason: string;
    details?: ErrorDetails;
  }) {
    super({
      shortMessage: `Observation ${observationType} is invalid: ${reason}.`,
      code: "OBSERVATION_INVALID",
      details: { observationType, ...details },
    });
  }
}

export type PolicyProblem = { readonly field: string; readonly message: string };

/** A decision policy that cannot be applied; lists every problem, each naming its field. */
export class InvalidPolicyError extends NonRetryableError {
  declare readonly code: "POLICY_INVALID";
  readonly problems: readonly PolicyProblem[];
  constructor({ problems }: { problems: readonly PolicyProblem[] }) {
    const [first] = problems;
    const shortMessage =
      problems.length === 1 && first
        ? `Policy field ${first.field} is invalid: ${first.message}.`
        : `Policy has ${problems.length} invalid fields: ${problems.map((p) => p.field).join(", ")}.`;
    super({
      shortMessage,
      code: "POLICY_INVALID",
      details: Object.fromEntries(problems.map((p) => [p.field, p.message])),
    });
    this.problems = problems;
  }
}

/** A function argument outside its documented domain (a caller bug). */
export class InvalidArgumentError extends NonRetryableError {
  declare readonly code: "ARGUMENT_INVALID";
  constructor({ name, reason, value }: { name: string; reason: string; value?: ErrorDetailValue }) {
    super({
      shortMessage: `Argument ${name} is invalid: ${reason}.`,
      code: "ARGUMENT_INVALID",
      details: { name, value },
    });
  }
}

/**
 * Thrown from the `default:` branch of an exhaustive switch over a discriminated union:
 * `default: throw new UnhandledVariantError({ subject: "observation", value: obs satisfies never })`.
 */
export class UnhandledVariantError extends NonRetryableError {
  declare readonly code: "VARIANT_UNHANDLED";
  constructor({ subject, value }: { subject: string; value: unknown }) {
    const type =
      typeof value === "object" && value !== null && "type" in value ? String(value.type) : String(value);
    super({
      shortMessage: `Unhandled ${subject} variant ${type}.`,
      code: "VARIANT_UNHANDLED",
      details: { subject, type },
    });
  }
}

/** A condition polled with a deadline (waitFor) did not hold in time. */
export class WaitTimeoutError extends RetryableError {
  declare readonly code: "WAIT_TIMEOUT";
  constructor({ what, timeoutMs }: { what: string; timeoutMs: number }) {
    super({
      shortMessage: `Timed out after ${timeoutMs} ms waiting for ${what}.`,
      code: "WAIT_TIMEOUT",
      details: { what, timeoutMs },
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Config, keystore and signer errors (keeper/config, keeper/internal/keystore). All permanent.
// ---------------------------------------------------------------------------------------------

/** One problem of a config: `path` is a config path (`chains[0].rpc.ws`), an env var or `(file)`. */
export type ConfigProblem = { readonly path: string; readonly message: string };

/**
 * A config that cannot be used; lists EVERY problem, one `path: message` line each. Messages never
 * carry sensitive values (the loader prints `[sensitive]` instead).
 */
export class ConfigError extends NonRetryableError {
  declare readonly code: "CONFIG_INVALID";
  readonly problems: readonly ConfigProblem[];
  readonly file: string | undefined;
  constructor({ problems, file }: { problems: readonly ConfigProblem[]; file?: string }) {
    const n = problems.length;
    super({
      shortMessage: `Config ${file ?? "(inline)"} is invalid: ${n} problem${n === 1 ? "" : "s"}.`,
      code: "CONFIG_INVALID",
      details: { file },
    });
    this.problems = problems;
    this.file = file;
    this.message = redactUrls(
      [this.shortMessage, ...problems.map((p) => `  ${p.path}: ${p.message}`)].join("\n"),
    );
  }
}

/** A keystore whose MAC does not match: the password is wrong (or the file was tampered with). */
export class WrongPasswordError extends NonRetryableError {
  declare readonly code: "KEYSTORE_WRONG_PASSWORD";
  constructor({ path, envVar }: { path?: string; envVar?: string } = {}) {
    const subject = path === undefined ? "Keystore" : `Keystore ${path}`;
    const from = envVar === undefined ? "the password" : `the password in ${envVar}`;
    super({
      shortMessage: `${subject} could not be decrypted: ${from} is wrong (MAC mismatch).`,
      code: "KEYSTORE_WRONG_PASSWORD",
      details: { path, envVar },
    });
  }
}

/** A keystore that uses a version, kdf, prf or cipher this implementation does not support. */
export class UnsupportedKeystoreError extends NonRetryableError {
  declare readonly code: "KEYSTORE_UNSUPPORTED";
  constructor({
    field,
    value,
    supported,
    path,
  }: {
    field: string;
    value: unknown;
    supported: readonly string[];
    path?: string;
  }) {
    super({
      shortMessage: `Keystore ${field} ${JSON.stringify(value) ?? String(value)} is not supported; supported: ${supported.join(", ")}.`,
      code: "KEYSTORE_UNSUPPORTED",
      details: { field, path },
    });
  }
}

/** A keystore file that is not a well-formed Web3 Secret Storage v3 document. */
export class InvalidKeystoreError extends NonRetryableError {
  declare readonly code: "KEYSTORE_INVALID";
  constructor({ reason, path }: { reason: string; path?: string }) {
    super({
      shortMessage: `Keystore${path === undefined ? "" : ` ${path}`} is malformed: ${reason}.`,
      code: "KEYSTORE_INVALID",
      details: { path },
    });
  }
}

/**
 * The configured signer cannot be loaded. Names the keystore path or the environment variable,
 * never the password or the key.
 */
export class SignerUnavailableError extends NonRetryableError {
  declare readonly code: "SIGNER_UNAVAILABLE";
  constructor({
    reason,
    path,
    envVar,
    cause,
  }: {
    reason: string;
    path?: string;
    envVar?: string;
    cause?: unknown;
  }) {
    super({
      shortMessage: `Signer unavailable: ${reason}.`,
      code: "SIGNER_UNAVAILABLE",
      details: { path, envVar },
      cause,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Bus errors (keeper/bus).
// ---------------------------------------------------------------------------------------------

/**
 * A bus message that cannot be decoded: malformed JSON, unknown envelope version, unknown type or a
 * field that fails its schema. `field` names the first offending field as a dotted path
 * ("payload.block.number", "v", "type", "(json)"). Permanent: the same bytes always fail; the consumer
 * reports it (dead-letter) and moves on.
 */
export class InvalidMessageError extends NonRetryableError {
  declare readonly code: "MESSAGE_INVALID";
  readonly field: string;
  /** What is wrong with the field (no trailing period). */
  readonly reason: string;
  constructor({
    field,
    reason,
    messageType,
    messageId,
    topic,
    partition,
    offset,
    cause,
  }: {
    field: string;
    reason: string;
    messageType?: string;
    messageId?: string;
    topic?: string;
    partition?: number;
    offset?: string;
    cause?: unknown;
  }) {
    super({
      shortMessage: `Bus message field ${field} is invalid: ${reason}.`,
      code: "MESSAGE_INVALID",
      details: { field, messageType, messageId, topic, partition, offset },
      cause,
    });
    this.field = field;
    this.reason = reason;
  }
}

/** The broker could not take a batch within the retry budget (broker down, leader moving, timeouts). */
export class BusUnavailableError extends RetryableError {
  declare readonly code: "BUS_UNAVAILABLE";
  constructor({
    operation,
    topics,
    attempts,
    cause,
  }: {
    operation: string;
    topics: readonly string[];
    attempts: number;
    cause?: unknown;
  }) {
    super({
      shortMessage: `Bus ${operation} failed after ${attempts} attempts.`,
      code: "BUS_UNAVAILABLE",
      details: { operation, topics, attempts },
      cause,
    });
  }
}

/** The broker refused a batch for a reason retrying cannot fix (record too large, invalid record, …). */
export class BusPublishRejectedError extends NonRetryableError {
  declare readonly code: "BUS_PUBLISH_REJECTED";
  constructor({ topics, reason, cause }: { topics: readonly string[]; reason: string; cause?: unknown }) {
    super({
      shortMessage: `Bus publish was rejected: ${reason}.`,
      code: "BUS_PUBLISH_REJECTED",
      details: { topics, reason },
      cause,
    });
  }
}

/**
 * Another producer with the same transactional id (the same keeperId) took over: this process is a
 * zombie and must stop publishing. Two keepers configured with one keeperId fence each other.
 */
export class BusProducerFencedError extends NonRetryableError {
  declare readonly code: "BUS_PRODUCER_FENCED";
  constructor({ transactionalId, cause }: { transactionalId: string; cause?: unknown }) {
    super({
      shortMessage: `Bus producer ${transactionalId} was fenced by a newer producer with the same id.`,
      code: "BUS_PRODUCER_FENCED",
      details: { transactionalId },
      cause,
    });
  }
}

/** An in-process subscriber is too far behind: the publish would overflow its bounded buffer. */
export class BusBufferFullError extends RetryableError {
  declare readonly code: "BUS_BUFFER_FULL";
  constructor({
    groupId,
    buffered,
    incoming,
    limit,
  }: { groupId: string; buffered: number; incoming: number; limit: number }) {
    super({
      shortMessage: `Bus subscriber ${groupId} buffer is full (${buffered} buffered + ${incoming} incoming > ${limit}).`,
      code: "BUS_BUFFER_FULL",
      details: { groupId, buffered, incoming, limit },
    });
  }
}

/** Publish or subscribe after close(). */
export class BusClosedError extends NonRetryableError {
  declare readonly code: "BUS_CLOSED";
  constructor({ operation }: { operation: string }) {
    super({
      shortMessage: `Bus ${operation} was called after close.`,
      code: "BUS_CLOSED",
      details: { operation },
    });
  }
}

/** A stored checkpoint that cannot be read back (corrupted file, wrong keeper, bad field): never reset silently. */
export class CheckpointInvalidError extends NonRetryableError {
  declare readonly code: "CHECKPOINT_INVALID";
  constructor({
    location,
    field,
    reason,
    cause,
  }: { location: string; field: string; reason: string; cause?: unknown }) {
    super({
      shortMessage: `Checkpoint at ${location} is invalid: ${field} ${reason}.`,
      code: "CHECKPOINT_INVALID",
      details: { location, field },
      cause,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Action errors (keeper/actions): the pause transaction path.
// ---------------------------------------------------------------------------------------------

/** The keeper's signer lacks KEEPER_ROLE on a breaker (decoded AccessControlUnauthorizedAccount). */
export class PauseUnauthorizedError extends NonRetryableError {
  declare readonly code: "PAUSE_UNAUTHORIZED";
  constructor({
    chainId,
    breaker,
    account,
    role,
    revert,
  }: {
    chainId: number;
    breaker: string;
    account: string;
    role: string;
    revert: string;
  }) {
    super({
      shortMessage: `Account ${account} may not pause breaker ${breaker} on chain ${chainId}: it lacks KEEPER_ROLE.`,
      code: "PAUSE_UNAUTHORIZED",
      details: { chainId, breaker, account, role, revert },
    });
  }
}

/** The pause call reverts (in simulation or on chain) for a reason other than a missing role. */
export class PauseRevertedError extends NonRetryableError {
  declare readonly code: "PAUSE_REVERTED";
  constructor({
    chainId,
    breaker,
    revert,
    txHash,
    cause,
  }: {
    chainId: number;
    breaker: string;
    revert: string;
    txHash?: string;
    cause?: unknown;
  }) {
    super({
      shortMessage: `Pause of breaker ${breaker} on chain ${chainId} reverted with ${revert}.`,
      code: "PAUSE_REVERTED",
      details: { chainId, breaker, revert, txHash },
      cause,
    });
  }
}

/** The node refused the pause transaction outright (insufficient funds, invalid transaction, …). */
export class PauseTxRejectedError extends NonRetryableError {
  declare readonly code: "PAUSE_TX_REJECTED";
  constructor({
    chainId,
    breaker,
    kind,
    nonce,
    cause,
  }: {
    chainId: number;
    breaker: string;
    kind: string;
    nonce?: number;
    cause?: unknown;
  }) {
    super({
      shortMessage: `Chain ${chainId} rejected the pause transaction for breaker ${breaker} (${kind}).`,
      code: "PAUSE_TX_REJECTED",
      details: { chainId, breaker, kind, nonce },
      cause,
    });
  }
}

/** A pause could not be confirmed: a read failed, or the transaction was still pending when we stopped. */
export class PauseNotConfirmedError extends RetryableError {
  declare readonly code: "PAUSE_NOT_CONFIRMED";
  constructor({
    chainId,
    breaker,
    reason,
    txHash,
    nonce,
    attempts,
    cause,
  }: {
    chainId: number;
    breaker: string;
    reason: string;
    txHash?: string;
    nonce?: number;
    attempts?: number;
    cause?: unknown;
  }) {
    super({
      shortMessage: `Pause of breaker ${breaker} on chain ${chainId} is not confirmed: ${reason}.`,
      code: "PAUSE_NOT_CONFIRMED",
      details: { chainId, breaker, reason, txHash, nonce, attempts },
      cause,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Source errors (keeper/sources): chain reads of the reserve feed, supply and breaker sources.
// ---------------------------------------------------------------------------------------------

/** A chain read a source needs failed (transport error, timeout, node error). Retry later. */
export class SourceReadError extends RetryableError {
  declare readonly code: "SOURCE_READ_FAILED";
  constructor({
    chainId,
    operation,
    address,
    blockNumber,
    cause,
  }: {
    chainId: number;
    operation: string;
    address?: string;
    blockNumber?: bigint;
    cause?: unknown;
  }) {
    super({
      shortMessage: `Source read ${operation} on chain ${chainId} failed.`,
      code: "SOURCE_READ_FAILED",
      details: { chainId, operation, address, blockNumber },
      cause,
    });
  }
}

/** The node refuses eth_getLogs even for a single block (too many logs in one block for its limits). */
export class LogRangeTooLargeError extends NonRetryableError {
  declare readonly code: "LOG_RANGE_TOO_LARGE";
  constructor({ chainId, blockNumber, cause }: { chainId: number; blockNumber: bigint; cause?: unknown }) {
    super({
      shortMessage: `Logs of block ${blockNumber} on chain ${chainId} exceed the node's eth_getLogs limits.`,
      code: "LOG_RANGE_TOO_LARGE",
      details: { chainId, blockNumber },
      cause,
    });
  }
}

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
 *     └── UnhandledVariantError      VARIANT_UNHANDLED
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

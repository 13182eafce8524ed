/**
 * What a failed `eth_sendRawTransaction` means for the sender. Node software words these errors
 * differently (geth/erigon/reth, Hardhat/EDR, anvil, Nethermind, Besu, Arbitrum's sequencer), so we
 * match the text of the whole cause chain.
 *
 * - `already_known`: this exact transaction is already in the pool → treat as sent.
 * - `nonce_too_low`: the nonce was consumed on chain (by us or by another sender with this key).
 * - `nonce_too_high`: a gap below us; on mempool-less chains (Arbitrum) a transport retry can leave
 *   the local nonce ahead of the chain → resync from the chain.
 * - `replacement_underpriced`: another transaction with this nonce sits in the pool with higher or
 *   equal fees (another keeper replica, or our own earlier attempt).
 * - `fee_too_low`: the pool refuses the fee outright (below base fee / pool minimum).
 * - `insufficient_funds`: the key cannot pay for gas.
 * - `transport`: no answer (timeout, connection refused, HTTP 5xx): the node may or may not have it.
 * - `rejected`: anything else the node refused.
 */
export type SendErrorKind =
  | "already_known"
  | "nonce_too_low"
  | "nonce_too_high"
  | "replacement_underpriced"
  | "fee_too_low"
  | "insufficient_funds"
  | "transport"
  | "rejected";

const PATTERNS: readonly (readonly [SendErrorKind, RegExp])[] = [
  [
    "already_known",
    /already known|known transaction|already imported|alreadyknown|already_known|already in (the )?(mempool|pool)/i,
  ],
  [
    "replacement_underpriced",
    /replacement (transaction )?underpriced|replacement_underpriced|replacementunderpriced/i,
  ],
  [
    "nonce_too_low",
    /nonce too low|nonce_too_low|oldnonce|nonce has already been used|invalid transaction nonce.*lower/i,
  ],
  ["nonce_too_high", /nonce too high|nonce_too_high|nonce gap|nonce too far/i],
  [
    "fee_too_low",
    /max fee per gas less than block base fee|too low for the next block|transaction underpriced|feetoolow|fee too low|gas price too low|underpriced/i,
  ],
  [
    "insufficient_funds",
    /insufficient funds|doesn't have enough funds|not enough funds|insufficient balance/i,
  ],
];

const TRANSPORT_NAMES = new Set([
  "HttpRequestError",
  "TimeoutError",
  "WebSocketRequestError",
  "SocketClosedError",
]);
const TRANSPORT_TEXT =
  /fetch failed|econnrefused|econnreset|socket hang up|timed? ?out|network error|etimedout/i;

/** Every message, shortMessage and details string along the cause chain, joined. */
function chainText(err: unknown): { text: string; names: string[] } {
  const parts: string[] = [];
  const names: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur && depth < 12; depth++) {
    if (typeof cur === "string") {
      parts.push(cur);
      break;
    }
    const e = cur as {
      name?: unknown;
      message?: unknown;
      shortMessage?: unknown;
      details?: unknown;
      cause?: unknown;
    };
    for (const v of [e.shortMessage, e.details, e.message]) if (typeof v === "string") parts.push(v);
    if (typeof e.name === "string") names.push(e.name);
    cur = e.cause;
  }
  return { text: parts.join("\n"), names };
}

/** Classifies an error thrown by eth_sendRawTransaction. */
export function classifySendError(err: unknown): SendErrorKind {
  const { text, names } = chainText(err);
  for (const [kind, re] of PATTERNS) if (re.test(text)) return kind;
  if (names.some((n) => TRANSPORT_NAMES.has(n)) || TRANSPORT_TEXT.test(text)) return "transport";
  return "rejected";
}

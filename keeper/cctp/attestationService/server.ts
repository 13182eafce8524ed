/**
 * The HTTP face of the devnet attestation service: the endpoints and response shapes of Circle's Iris
 * API (JSON, GET only).
 *
 *   GET /v2/messages/{sourceDomain}?transactionHash=0x…|nonce=…   404 until seen; messages by log index
 *   GET /v2/burn/USDC/fees/{sourceDomain}/{destinationDomain}     [{finalityThreshold, minimumFee}] (bps)
 *   GET /v2/fastBurn/USDC/allowance                               {allowance, lastUpdated}
 *   GET /v1/attestations/{messageHash}                            {attestation, status} (404 until seen)
 *   GET /v1/messages/{sourceDomain}/{transactionHash}             {messages: [{attestation, message, eventNonce}]}
 *   GET /v2/publicKeys, /v1/publicKeys                            {publicKeys: [...]}
 *   GET /healthz                                                  {ok: true}
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { decodeMessage } from "../decode.ts";
import { bytes32AsAddress } from "../hex.ts";
import type { AttestationBook, AttestationRecord } from "./book.ts";

type Json = Record<string, unknown> | unknown[];

const TX_HASH = /^0x[0-9a-fA-F]{64}$/;
const DOMAIN = /^(0|[1-9][0-9]{0,9})$/;

function send(res: ServerResponse, status: number, body: Json): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** A bytes32 field as Iris shows it: the address when it is one, else the 32 bytes. */
function asAddressOrBytes32(value: string): string {
  return bytes32AsAddress(value)?.toLowerCase() ?? value;
}

/** Iris's `decodedMessage`: every value a string; the burn body under decodedMessageBody (null otherwise). */
export function decodedMessageOf(message: string): Record<string, unknown> | null {
  let d: ReturnType<typeof decodeMessage>;
  try {
    d = decodeMessage(message);
  } catch {
    return null;
  }
  const m = d.message;
  const header: Record<string, unknown> = {
    sourceDomain: String(m.sourceDomain),
    destinationDomain: String(m.destinationDomain),
    nonce: String(m.nonce),
    sender: asAddressOrBytes32(m.sender),
    recipient: asAddressOrBytes32(m.recipient),
    destinationCaller: asAddressOrBytes32(m.destinationCaller),
  };
  if (d.type === "v2") {
    header.minFinalityThreshold = String(d.message.minFinalityThreshold);
    header.finalityThresholdExecuted = String(d.message.finalityThresholdExecuted);
  }
  header.messageBody = m.messageBody;
  if (d.burn === null) {
    header.decodedMessageBody = null;
  } else if (d.type === "v2" && d.burn !== null) {
    const b = d.burn;
    header.decodedMessageBody = {
      burnToken: asAddressOrBytes32(b.burnToken),
      mintRecipient: asAddressOrBytes32(b.mintRecipient),
      amount: String(b.amount),
      messageSender: asAddressOrBytes32(b.messageSender),
      maxFee: String(b.maxFee),
      feeExecuted: String(b.feeExecuted),
      expirationBlock: String(b.expirationBlock),
      hookData: b.hookData,
    };
  } else if (d.type === "v1" && d.burn !== null) {
    const b = d.burn;
    header.decodedMessageBody = {
      burnToken: asAddressOrBytes32(b.burnToken),
      mintRecipient: asAddressOrBytes32(b.mintRecipient),
      amount: String(b.amount),
      messageSender: asAddressOrBytes32(b.messageSender),
    };
  }
  return header;
}

/** One entry of `GET /v2/messages`. Pending: message "0x", attestation "PENDING", the source decoded. */
export function messageEntry(r: AttestationRecord): Record<string, unknown> {
  const complete = r.status === "complete" && r.attested !== undefined;
  return {
    message: complete ? r.attested!.message : "0x",
    eventNonce: r.eventNonce,
    attestation: complete ? r.attested!.attestation : "PENDING",
    cctpVersion: r.version,
    status: complete ? "complete" : "pending_confirmations",
    delayReason: complete ? null : r.delayReason,
    decodedMessage: decodedMessageOf(complete ? r.attested!.message : r.message),
  };
}

/** The request handler over a book; `domains` are the served source domains. */
export function createIrisHandler({
  book,
  domains,
}: {
  book: AttestationBook;
  domains: ReadonlySet<number>;
}): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== "GET") {
      send(res, 405, { error: "Method not allowed" });
      return;
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    const parts = url.pathname.split("/").filter((p) => p !== "");
    const badDomain = (d: string | undefined) =>
      d === undefined || !DOMAIN.test(d) || !domains.has(Number(d));

    // /v2/messages/{sourceDomain}
    if (parts.length === 3 && parts[0] === "v2" && parts[1] === "messages") {
      if (badDomain(parts[2])) {
        send(res, 400, { error: `Invalid source domain ${parts[2]}` });
        return;
      }
      const domain = Number(parts[2]);
      const tx = url.searchParams.get("transactionHash");
      const nonce = url.searchParams.get("nonce");
      if (tx === null && nonce === null) {
        send(res, 400, { error: "transactionHash or nonce is required" });
        return;
      }
      if (tx !== null && !TX_HASH.test(tx)) {
        send(res, 400, { error: "transactionHash must be 0x + 64 hex digits" });
        return;
      }
      let found = tx !== null ? book.byTransaction(domain, tx) : book.byNonce(domain, nonce!);
      if (tx !== null && nonce !== null)
        found = found.filter((r) => r.eventNonce.toLowerCase() === nonce.toLowerCase());
      if (found.length === 0) {
        send(res, 404, { error: "Message not found" });
        return;
      }
      send(res, 200, { messages: found.map(messageEntry) });
      return;
    }
    // /v2/burn/USDC/fees/{src}/{dst}
    if (
      parts.length === 6 &&
      parts[0] === "v2" &&
      parts[1] === "burn" &&
      parts[2] === "USDC" &&
      parts[3] === "fees"
    ) {
      if (badDomain(parts[4]) || badDomain(parts[5]) || parts[4] === parts[5]) {
        send(res, 400, { error: `Invalid route ${parts[4]} -> ${parts[5]}` });
        return;
      }
      send(res, 200, book.fees(Number(parts[4]), Number(parts[5])));
      return;
    }
    // /v2/fastBurn/USDC/allowance
    if (parts.join("/") === "v2/fastBurn/USDC/allowance") {
      send(res, 200, book.allowance());
      return;
    }
    // /v1/attestations/{messageHash}
    if (parts.length === 3 && parts[0] === "v1" && parts[1] === "attestations") {
      const hash = parts[2]!;
      if (!TX_HASH.test(hash)) {
        send(res, 400, { error: "messageHash must be 0x + 64 hex digits" });
        return;
      }
      const r = book.byV1Hash(hash);
      if (r === undefined) {
        send(res, 404, { error: "Message hash not found" });
        return;
      }
      const complete = r.status === "complete" && r.attested !== undefined;
      send(res, 200, {
        attestation: complete ? r.attested!.attestation : null,
        status: complete ? "complete" : "pending_confirmations",
      });
      return;
    }
    // /v1/messages/{sourceDomain}/{transactionHash}
    if (parts.length === 4 && parts[0] === "v1" && parts[1] === "messages") {
      if (badDomain(parts[2]) || !TX_HASH.test(parts[3]!)) {
        send(res, 400, { error: "Invalid source domain or transaction hash" });
        return;
      }
      const found = book.byTransaction(Number(parts[2]), parts[3]!).filter((r) => r.version === 1);
      if (found.length === 0) {
        send(res, 404, { error: "Message not found" });
        return;
      }
      send(res, 200, {
        messages: found.map((r) => ({
          attestation: r.status === "complete" && r.attested ? r.attested.attestation : "PENDING",
          message: r.message,
          eventNonce: r.eventNonce,
        })),
      });
      return;
    }
    if (parts.length === 2 && (parts[0] === "v1" || parts[0] === "v2") && parts[1] === "publicKeys") {
      send(res, 200, { publicKeys: book.attesters.map((a) => a.publicKey) });
      return;
    }
    if (parts.length === 1 && parts[0] === "healthz") {
      send(res, 200, { ok: true });
      return;
    }
    send(res, 404, { error: "Not found" });
  };
}

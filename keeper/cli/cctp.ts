/** `reserve-keeper cctp …`: offline CCTP tools (decode a message, verify an attestation). One switch per subcommand. */
import { readFile } from "node:fs/promises";
import { type Address, getAddress, type Hex, isAddress } from "viem";
import { type AttestationVerification, CIRCLE_ATTESTERS, verifyAttestation } from "../cctp/attestation.ts";
import { type BodyMode, type DecodedMessage, decodeMessage, messageHash } from "../cctp/decode.ts";
import { CctpDecodeError } from "../cctp/errors.ts";
import { bytes32AsAddress, hexProblem } from "../cctp/hex.ts";
import { transferKey } from "../cctp/iris.ts";
import { UnhandledVariantError } from "../internal/errors.ts";
import { EXIT, json, parseOptions, required, UsageError } from "./usage.ts";

export const CCTP_USAGE = `reserve-keeper cctp <command> [options]

Commands:
  decode <hex> [--body auto|burn|raw] [--json]
      decode a CCTP V1 or V2 message: every header field, the USDC burn body when the body is one,
      the messageHash (keccak256 of the bytes) and, for a V2 burn, the transferKey (the same for the
      source log's bytes and the attested bytes). bytes32 fields that hold an EVM address are shown
      as the checksummed address and the raw bytes32; amounts are integers in token base units.
      --body auto (default) decodes the body when it is a burn body of the message's version,
             burn requires one, raw never decodes it
  verify --message <hex> --attestation <hex> --attesters <a,b,…> [--threshold n] [--json]
      verify an attestation exactly as Circle's MessageTransmitter does (length 65 × threshold,
      keccak256(message) raw, v 27/28 and low s, signers strictly ascending, each an attester) and
      print the recovered signers. --attesters takes addresses, or circle-v1 / circle-v2 for Circle's
      production sets as last recovered (check getEnabledAttester on chain). --threshold defaults to
      the preset's threshold, else to the number of attesters.
      Reason codes when invalid: INVALID_LENGTH, INVALID_SIGNATURE, SIGNER_ORDER, NOT_ATTESTER.
  transfer (--asset <id> | --usdc) --from <chain> --to <chain> --amount <decimal> [--fast] …
      burn, attest, receive one CCTP transfer (\`reserve-keeper cctp transfer help\`)
  resume --burn-tx <hash> --from <chain> …
      continue a transfer from its burn transaction
  serve (--config f | --manifest deployments/devnet.json) [--port 8660] [--metrics-port 9466]
      the pause-aware transfer service with its HTTP API until SIGINT/SIGTERM (\`reserve-keeper cctp serve help\`)
  attestation-service (--manifest deployments/devnet.json | --config f) [--port 8790]
      DEVNET ONLY: the local attestation service (Iris API shapes)

<hex> arguments are 0x-prefixed (or bare) hex, @file to read the hex from a file, or - to read it
from standard input (whitespace is ignored). --json prints machine-readable results on stdout.

Exit codes: 0 success (decode: decoded; verify: the attestation is valid), 1 failure (decode: a
malformed message; verify: an invalid attestation, its reason code and one sentence on stderr),
2 bad command line (missing or ill-formed option, named).`;

export type CctpIo = {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** All of standard input (for `-` arguments). */
  readonly readStdin: () => Promise<string>;
};

const defaultIo: CctpIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks).toString("utf8");
  },
};

/** `reserve-keeper cctp …` */
export async function runCctp(argv: string[], io: Partial<CctpIo> = {}): Promise<number> {
  const resolved: CctpIo = { ...defaultIo, ...io };
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "decode":
        return await runDecode(rest, resolved);
      case "verify":
        return await runVerify(rest, resolved);
      case "transfer":
        return await (await import("./cctpTransfer.ts")).runCctpTransfer(rest);
      case "resume":
        return await (await import("./cctpTransfer.ts")).runCctpResume(rest);
      case "attestation-service":
        return await (await import("./cctpService.ts")).runCctpAttestationService(rest);
      case "serve":
        return await (await import("./cctpServe.ts")).runCctpServe(rest);
      case undefined:
      case "help":
      case "--help":
        resolved.stdout(`${CCTP_USAGE}\n`);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw new UsageError(`Unknown cctp command "${command}".`);
    }
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    resolved.stderr(`error: ${err.message}\n\n${CCTP_USAGE}\n`);
    return EXIT.usage;
  }
}

// ---------------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------------

/**
 * Reads a hex argument given inline, as @file or as - (stdin); whitespace is dropped and a missing
 * 0x prefix added. Anything that is not whole bytes of hex is a UsageError naming the argument.
 */
async function hexArgument(value: string, name: string, io: CctpIo): Promise<Hex> {
  let text = value;
  if (value === "-") {
    text = await io.readStdin();
  } else if (value.startsWith("@")) {
    const path = value.slice(1);
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
      throw new UsageError(`${name} ${value}: cannot read the file (${code}).`);
    }
  }
  const compact = text.replace(/\s+/g, "");
  const hex = /^0x/i.test(compact) ? compact : `0x${compact}`;
  const problem = hexProblem(hex);
  if (problem !== undefined) {
    throw new UsageError(`${name} is not hex: expected ${problem.expected}, got ${problem.actual}.`);
  }
  return hex.toLowerCase() as Hex;
}

function bodyMode(value: unknown): BodyMode {
  if (value === undefined) return "auto";
  if (value === "auto" || value === "burn" || value === "raw") return value;
  throw new UsageError(`--body must be auto, burn or raw, got "${String(value)}".`);
}

/** `--attesters a,b` (or a preset) and `--threshold n` (default: the preset's, else every attester). */
function attesterOptions(values: Record<string, unknown>): { attesters: Address[]; threshold: number } {
  const raw = required(values, "attesters").trim();
  const preset =
    raw === "circle-v1" ? CIRCLE_ATTESTERS.v1 : raw === "circle-v2" ? CIRCLE_ATTESTERS.v2 : undefined;
  const list = preset === undefined ? raw.split(",").map((a) => a.trim()) : [...preset.attesters];
  if (list.length === 0 || list.some((a) => a === "")) {
    throw new UsageError("--attesters must list addresses separated by commas, without empty entries.");
  }
  const attesters = list.map((a) => {
    if (!isAddress(a, { strict: true })) {
      throw new UsageError(
        `--attesters: "${a}" is not an EVM address (mixed case must be a valid checksum).`,
      );
    }
    return getAddress(a);
  });
  const count = new Set(attesters).size;
  const t = values.threshold;
  const threshold = t === undefined ? (preset?.threshold ?? count) : Number(t);
  if (typeof t === "string" && !/^[0-9]+$/.test(t)) {
    throw new UsageError(`--threshold must be a whole number from 1 to ${count}, got "${t}".`);
  }
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > count) {
    throw new UsageError(
      `--threshold must be a whole number from 1 to ${count} (the number of --attesters), got ${String(t ?? threshold)}.`,
    );
  }
  return { attesters, threshold };
}

/** Rows of `name  value`, names padded to one column. */
function table(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`.trimEnd()).join("\n");
}

// ---------------------------------------------------------------------------------------------
// decode
// ---------------------------------------------------------------------------------------------

/** A bytes32 with the checksummed address it holds (null when its top 12 bytes are not zero). */
type Bytes32View = { readonly bytes32: Hex; readonly address: Address | null };

const b32 = (value: Hex): Bytes32View => ({ bytes32: value, address: bytes32AsAddress(value) ?? null });

/** The decoded message as printed by `--json` (bigints become decimal strings). */
function messageView(decoded: DecodedMessage, hex: Hex) {
  const common = {
    cctpVersion: decoded.type === "v1" ? 1 : 2,
    length: (hex.length - 2) / 2,
    messageHash: messageHash(hex),
  };
  switch (decoded.type) {
    case "v1": {
      const { message: m, burn } = decoded;
      return {
        ...common,
        header: {
          version: m.version,
          sourceDomain: m.sourceDomain,
          destinationDomain: m.destinationDomain,
          nonce: m.nonce,
          sender: b32(m.sender),
          recipient: b32(m.recipient),
          destinationCaller: b32(m.destinationCaller),
        },
        body:
          burn === null
            ? { type: "raw" as const, length: (m.messageBody.length - 2) / 2 }
            : {
                type: "burn" as const,
                version: burn.version,
                burnToken: b32(burn.burnToken),
                mintRecipient: b32(burn.mintRecipient),
                amount: burn.amount,
                messageSender: b32(burn.messageSender),
              },
        messageBody: m.messageBody,
      };
    }
    case "v2": {
      const { message: m, burn } = decoded;
      return {
        ...common,
        transferKey: burn === null ? null : transferKey(hex),
        header: {
          version: m.version,
          sourceDomain: m.sourceDomain,
          destinationDomain: m.destinationDomain,
          nonce: m.nonce,
          sender: b32(m.sender),
          recipient: b32(m.recipient),
          destinationCaller: b32(m.destinationCaller),
          minFinalityThreshold: m.minFinalityThreshold,
          finalityThresholdExecuted: m.finalityThresholdExecuted,
        },
        body:
          burn === null
            ? { type: "raw" as const, length: (m.messageBody.length - 2) / 2 }
            : {
                type: "burn" as const,
                version: burn.version,
                burnToken: b32(burn.burnToken),
                mintRecipient: b32(burn.mintRecipient),
                amount: burn.amount,
                messageSender: b32(burn.messageSender),
                maxFee: burn.maxFee,
                feeExecuted: burn.feeExecuted,
                expirationBlock: burn.expirationBlock,
                hookData: burn.hookData,
              },
        messageBody: m.messageBody,
      };
    }
    default:
      throw new UnhandledVariantError({ subject: "CCTP message version", value: decoded satisfies never });
  }
}

function cell(name: string, value: unknown): string {
  if (typeof value === "object" && value !== null && "bytes32" in value) {
    const { bytes32, address } = value as Bytes32View;
    const anyone = name === "destinationCaller" && BigInt(bytes32) === 0n ? " (any caller)" : "";
    return address === null ? bytes32 : `${address}  bytes32 ${bytes32}${anyone}`;
  }
  if (name === "hookData" || name === "messageBody") {
    const hex = value as Hex;
    return hex === "0x" ? "0x (empty)" : `${hex} (${(hex.length - 2) / 2} bytes)`;
  }
  return String(value);
}

function decodeTable(view: ReturnType<typeof messageView>): string {
  const rows: [string, string][] = [];
  const kind = view.body.type === "burn" ? "USDC burn body" : "raw body (not a burn message)";
  rows.push(["message", `CCTP V${view.cctpVersion}, ${view.length} bytes, ${kind}`]);
  rows.push(["messageHash", view.messageHash]);
  if ("transferKey" in view && view.transferKey !== null) rows.push(["transferKey", view.transferKey]);
  for (const [name, value] of Object.entries(view.header)) rows.push([name, cell(name, value)]);
  if (view.body.type === "burn") {
    for (const [name, value] of Object.entries(view.body)) {
      if (name !== "type") rows.push([`messageBody.${name}`, cell(name, value)]);
    }
  } else {
    rows.push(["messageBody", cell("messageBody", view.messageBody)]);
  }
  return table(rows);
}

async function runDecode(argv: string[], io: CctpIo): Promise<number> {
  const { values, positionals } = parseOptions(
    argv,
    { body: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    true,
  );
  if (values.help) {
    io.stdout(`${CCTP_USAGE}\n`);
    return EXIT.ok;
  }
  if (positionals.length === 0)
    throw new UsageError("Missing the message argument <hex> (or @file, or - for stdin).");
  if (positionals.length > 1)
    throw new UsageError(`Expected one message argument, got ${positionals.length}.`);
  const body = bodyMode(values.body);
  const hex = await hexArgument(positionals[0] as string, "<hex>", io);
  let decoded: DecodedMessage;
  try {
    decoded = decodeMessage(hex, { body });
  } catch (err) {
    if (!(err instanceof CctpDecodeError)) throw err;
    if (values.json) {
      const { code, shortMessage, field, offset, expected, actual } = err;
      io.stdout(
        `${json({ valid: false, error: { code, message: shortMessage, field, offset, expected, actual } })}\n`,
      );
    }
    io.stderr(`error: ${err.shortMessage}\n`);
    return EXIT.failure;
  }
  const view = messageView(decoded, hex);
  io.stdout(`${values.json ? json(view) : decodeTable(view)}\n`);
  return EXIT.ok;
}

// ---------------------------------------------------------------------------------------------
// verify
// ---------------------------------------------------------------------------------------------

function verifyTable(result: AttestationVerification, threshold: number, attesters: number): string {
  const rows: [string, string][] = [
    ["valid", result.valid ? "yes" : "no"],
    ["messageHash", result.digest],
    ["threshold", `${threshold} of ${attesters} attesters`],
  ];
  if (!result.valid) {
    rows.push(["reason", result.reason], ["detail", result.detail]);
    if (result.recovered !== undefined) rows.push(["recovered", result.recovered]);
  }
  const label = result.valid ? "signer" : "accepted";
  result.signers.forEach((s, i) => {
    rows.push([`${label} ${i}`, s]);
  });
  return table(rows);
}

async function runVerify(argv: string[], io: CctpIo): Promise<number> {
  const { values } = parseOptions(argv, {
    message: { type: "string" },
    attestation: { type: "string" },
    attesters: { type: "string" },
    threshold: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout(`${CCTP_USAGE}\n`);
    return EXIT.ok;
  }
  const messageArg = required(values, "message");
  const attestationArg = required(values, "attestation");
  if (messageArg === "-" && attestationArg === "-") {
    throw new UsageError("Only one of --message and --attestation can be read from stdin (-).");
  }
  const { attesters, threshold } = attesterOptions(values);
  const message = await hexArgument(messageArg, "--message", io);
  const attestation = await hexArgument(attestationArg, "--attestation", io);
  const result = await verifyAttestation({ message, attestation, attesters, threshold });
  const count = new Set(attesters).size;
  if (values.json) {
    const { digest, ...rest } = result;
    io.stdout(`${json({ ...rest, messageHash: digest, threshold, attesters })}\n`);
  } else {
    io.stdout(`${verifyTable(result, threshold, count)}\n`);
  }
  if (result.valid) return EXIT.ok;
  io.stderr(`error: ${result.reason}: ${result.detail}\n`);
  return EXIT.failure;
}

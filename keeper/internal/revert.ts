import { decodeErrorResult, type Hex, isHex } from "viem";
import { projectErrorsAbi } from "../abi/index.ts";

export interface DecodedRevert {
  errorName: string;
  args: readonly unknown[];
}

/**
 * Finds the contract revert in an error's cause chain and decodes it against every custom error the
 * project's contracts declare, so errors that bubble up through another contract (a verifier's
 * InsufficientReserves seen through the minter) still get their name and arguments.
 */
export function decodeRevert(err: unknown): DecodedRevert | undefined {
  let raw: Hex | undefined;
  let cur: unknown = err;
  for (let depth = 0; cur && depth < 12; depth++) {
    const c = cur as { data?: unknown; raw?: unknown; cause?: unknown };
    const data = c.data as { errorName?: string; args?: readonly unknown[] } | Hex | undefined;
    if (data && typeof data === "object" && data.errorName && data.errorName !== "Error") {
      return { errorName: data.errorName, args: data.args ?? [] };
    }
    if (typeof data === "string" && isHex(data) && data.length >= 10) raw ??= data;
    if (typeof c.raw === "string" && isHex(c.raw) && c.raw.length >= 10) raw ??= c.raw;
    cur = c.cause;
  }
  if (!raw) return undefined;
  try {
    const decoded = decodeErrorResult({ abi: projectErrorsAbi, data: raw });
    return { errorName: decoded.errorName, args: decoded.args ?? [] };
  } catch {
    return { errorName: `unknown error ${raw.slice(0, 10)}`, args: [] };
  }
}

/** `Name(arg1, arg2)` with bigints in decimal. */
export function formatRevert(r: DecodedRevert): string {
  const fmt = (a: unknown): string =>
    typeof a === "bigint"
      ? a.toString()
      : typeof a === "string"
        ? a
        : JSON.stringify(a, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
  return `${r.errorName}(${r.args.map(fmt).join(", ")})`;
}

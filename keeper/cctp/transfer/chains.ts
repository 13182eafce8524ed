/**
 * Lookups of the transfer client in the CCTP setup: a chain by name, the message transmitter and token
 * messenger of a chain for a CCTP version (each refuses a route the setup cannot serve).
 */
import type { Address } from "viem";
import { CctpRouteUnsupportedError } from "./errors.ts";
import type { CctpSetup, CctpVersion, ResolvedCctpChain } from "./setup.ts";

/** The cctp.chains entry named `name`. */
export function chainOf(setup: CctpSetup, name: string): ResolvedCctpChain {
  const c = setup.chainByName(name);
  if (c === undefined)
    throw new CctpRouteUnsupportedError({
      route: name,
      reason: `chain "${name}" has no cctp.chains entry`,
    });
  return c;
}

/** The MessageTransmitter of `chain` for `version`. */
export function transmitterOf(chain: ResolvedCctpChain, version: CctpVersion): Address {
  const t = version === 2 ? chain.v2?.messageTransmitter : chain.v1?.messageTransmitter;
  if (t === undefined)
    throw new CctpRouteUnsupportedError({
      route: chain.chain,
      reason: `no V${version} contracts on ${chain.chain}`,
    });
  return t;
}

/** The TokenMessenger of `chain` for `version`. */
export function messengerOf(chain: ResolvedCctpChain, version: CctpVersion): Address {
  const m = version === 2 ? chain.v2?.tokenMessenger : chain.v1?.tokenMessenger;
  if (m === undefined)
    throw new CctpRouteUnsupportedError({
      route: chain.chain,
      reason: `no V${version} contracts on ${chain.chain}`,
    });
  return m;
}

/** Case-insensitive equality of two hex strings (addresses, bytes32, message fields). */
export function eq(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

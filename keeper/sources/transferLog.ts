import { decodeEventLog, encodeEventTopics, getAbiItem, type Hex, zeroAddress } from "viem";
import { reserveBackedStablecoinAbi } from "../abi/index.ts";
import type { SourceLog } from "./logs.ts";

/**
 * Reading supply changes from ERC-20 Transfer logs: shared by the supply source, backfill and the
 * bridge (CCTP) flow classification.
 */

/** The ERC-20 Transfer event (mints: from = 0, burns: to = 0). */
export const TRANSFER_EVENT = getAbiItem({ abi: reserveBackedStablecoinAbi, name: "Transfer" });
const TRANSFER_TOPIC = encodeEventTopics({ abi: [TRANSFER_EVENT], eventName: "Transfer" })[0];
const ZERO_TOPIC: Hex = `0x${"00".repeat(32)}`;
/** Transfer(from = 0): mints. */
export const MINT_TOPICS: readonly (Hex | null)[] = [TRANSFER_TOPIC, ZERO_TOPIC];
/** Transfer(to = 0): burns. */
export const BURN_TOPICS: readonly (Hex | null)[] = [TRANSFER_TOPIC, null, ZERO_TOPIC];

/**
 * The supply change a Transfer log makes: +value for a mint (from = 0), -value for a burn (to = 0),
 * undefined for any other log (a plain transfer, another event, undecodable data).
 */
export function supplyDeltaOf(log: SourceLog): bigint | undefined {
  if (log.topics[0] !== TRANSFER_TOPIC) return undefined;
  try {
    const { args } = decodeEventLog({
      abi: [TRANSFER_EVENT],
      data: log.data,
      topics: log.topics as [Hex, ...Hex[]],
    });
    const from = args.from.toLowerCase() === zeroAddress;
    const to = args.to.toLowerCase() === zeroAddress;
    if (from && to) return 0n;
    if (from) return args.value;
    if (to) return -args.value;
    return undefined;
  } catch {
    return undefined;
  }
}

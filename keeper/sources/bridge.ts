import { type Address, decodeEventLog, encodeEventTopics, getAddress, type Hex, parseAbi } from "viem";
import { getLogsSplitting, type MinedLog, sortLogs } from "./logs.ts";
import { supplyDeltaOf } from "./transferLog.ts";

/**
 * Cross-chain transfer (CCTP) flows of one token on one chain, read from the chain's TokenMessenger
 * contracts (V1 and V2 emit differently shaped events under the same names). The keeper uses them so a
 * transfer never looks like a supply drop (burned on the source, not yet minted on the destination) or
 * a double count (minted on the destination while the burn still counts as in flight).
 *
 * - A burn into a transfer is `DepositForBurn` (burnToken = the token): its `amount` is the gross
 *   amount burned.
 * - A mint out of a transfer is `MintAndWithdraw` (mintToken = the token): V2's `amount` is what the
 *   recipient got and `feeCollected` what the fee recipient got (gross = amount + fee); V1 has no fee.
 */
export const BRIDGE_EVENTS_ABI = parseAbi([
  "event DepositForBurn(address indexed burnToken, uint256 amount, address indexed depositor, bytes32 mintRecipient, uint32 destinationDomain, bytes32 destinationTokenMessenger, bytes32 destinationCaller, uint256 maxFee, uint32 indexed minFinalityThreshold, bytes hookData)",
  "event DepositForBurn(uint64 indexed nonce, address indexed burnToken, uint256 amount, address indexed depositor, bytes32 mintRecipient, uint32 destinationDomain, bytes32 destinationTokenMessenger, bytes32 destinationCaller)",
  "event MintAndWithdraw(address indexed mintRecipient, uint256 amount, address indexed mintToken, uint256 feeCollected)",
  "event MintAndWithdraw(address indexed mintRecipient, uint256 amount, address indexed mintToken)",
]);

const [DEPOSIT_V2, DEPOSIT_V1, MINT_V2, MINT_V1] = BRIDGE_EVENTS_ABI;
const topicOf = (item: (typeof BRIDGE_EVENTS_ABI)[number]): Hex =>
  encodeEventTopics({ abi: [item] } as never)[0] as Hex;

/** topic0 of each messenger event, as Circle's contracts emit them. */
export const BRIDGE_TOPICS = {
  depositForBurnV2: topicOf(DEPOSIT_V2),
  depositForBurnV1: topicOf(DEPOSIT_V1),
  mintAndWithdrawV2: topicOf(MINT_V2),
  mintAndWithdrawV1: topicOf(MINT_V1),
} as const;

/** One burn into or mint out of a cross-chain transfer, for one token. */
export type BridgeLog = {
  readonly kind: "burn" | "mint";
  readonly version: 1 | 2;
  readonly token: Address;
  /** Gross amount burned or minted (V2 mints: amount + feeCollected). */
  readonly amount: bigint;
  readonly log: MinedLog;
};

/** Decodes a messenger log; undefined for any other log or another token. */
export function decodeBridgeLog(log: MinedLog, token: Address): BridgeLog | undefined {
  const want = token.toLowerCase();
  const topics = log.topics as [Hex, ...Hex[]];
  try {
    switch (log.topics[0]) {
      case BRIDGE_TOPICS.depositForBurnV2: {
        const { args } = decodeEventLog({ abi: [DEPOSIT_V2], data: log.data, topics });
        if (args.burnToken.toLowerCase() !== want) return undefined;
        return { kind: "burn", version: 2, token: getAddress(token), amount: args.amount, log };
      }
      case BRIDGE_TOPICS.depositForBurnV1: {
        const { args } = decodeEventLog({ abi: [DEPOSIT_V1], data: log.data, topics });
        if (args.burnToken.toLowerCase() !== want) return undefined;
        return { kind: "burn", version: 1, token: getAddress(token), amount: args.amount, log };
      }
      case BRIDGE_TOPICS.mintAndWithdrawV2: {
        const { args } = decodeEventLog({ abi: [MINT_V2], data: log.data, topics });
        if (args.mintToken.toLowerCase() !== want) return undefined;
        const amount = args.amount + args.feeCollected;
        return { kind: "mint", version: 2, token: getAddress(token), amount, log };
      }
      case BRIDGE_TOPICS.mintAndWithdrawV1: {
        const { args } = decodeEventLog({ abi: [MINT_V1], data: log.data, topics });
        if (args.mintToken.toLowerCase() !== want) return undefined;
        return { kind: "mint", version: 1, token: getAddress(token), amount: args.amount, log };
      }
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/** The token's bridge logs emitted by `messengers` in [fromBlock, toBlock], in (block, logIndex) order. */
export async function getBridgeLogs(args: {
  client: Parameters<typeof getLogsSplitting>[0]["client"];
  chainId: number;
  messengers: readonly Address[];
  token: Address;
  fromBlock: bigint;
  toBlock: bigint;
  maxLogRange?: bigint | undefined;
}): Promise<BridgeLog[]> {
  if (args.messengers.length === 0 || args.toBlock < args.fromBlock) return [];
  const logs = await getLogsSplitting({
    client: args.client,
    chainId: args.chainId,
    filter: { address: [...args.messengers], topics: [Object.values(BRIDGE_TOPICS)] },
    fromBlock: args.fromBlock,
    toBlock: args.toBlock,
    maxLogRange: args.maxLogRange,
  });
  return sortLogs(logs).flatMap((log) => decodeBridgeLog(log, args.token) ?? []);
}

/** Burns minus mints (gross, raw token units): the flow these logs put into transfers in flight. */
export function sumBridgeFlows(logs: readonly BridgeLog[]): bigint {
  return logs.reduce((sum, l) => (l.kind === "burn" ? sum + l.amount : sum - l.amount), 0n);
}

/**
 * The bridge flow a mint/burn Transfer log of the token carries: its transaction also holds a
 * messenger event for the token (`bridgeTxs`, lower-case tx hashes), so a burn of `x` is `+x` in
 * flight and a mint of `x` (to the recipient or the fee recipient) is `-x`. undefined for every other
 * log. A transaction that mixes a transfer with an unrelated mint/burn of the same token would be
 * counted as a transfer as a whole: Circle's messengers never do that.
 */
export function bridgedFlowOf(log: MinedLog, bridgeTxs: ReadonlySet<string>): bigint | undefined {
  if (log.transactionHash === null || !bridgeTxs.has(log.transactionHash.toLowerCase())) return undefined;
  const delta = supplyDeltaOf(log);
  return delta === undefined || delta === 0n ? undefined : -delta;
}

/** Lower-case transaction hashes of these bridge logs. */
export function bridgeTxsOf(logs: readonly BridgeLog[]): Set<string> {
  return new Set(logs.flatMap((l) => l.log.transactionHash?.toLowerCase() ?? []));
}

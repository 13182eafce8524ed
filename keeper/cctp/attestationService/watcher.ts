/**
 * Follows one chain for the devnet attestation service: new heads, MessageSent logs of its V1 and V2
 * transmitters (backfilled from the deployment block at start), reorgs, and signing once a message has
 * its confirmations. One `tick()` per poll:
 *
 * 1. read the head; if the hash of the last scanned head changed, walk back through the remembered
 *    heads to the fork point, forget pending messages above it and rescan from there;
 * 2. fetch MessageSent logs of (scanned, head] into the book;
 * 3. for every pending message with enough confirmations (head − block + 1 ≥ fast/standard
 *    confirmations), re-read its block's hash: still canonical → sign; else → forget it (reorged out)
 *    and rescan from its block. Nothing is signed for a block that is not canonical at signing time.
 */
import type { Address, Hex } from "viem";
import { isRetryable } from "../../internal/errors.ts";
import type { Logger } from "../../telemetry/logger.ts";
import type { AttestationServiceConfig } from "../config.ts";
import type { AttestationBook } from "./book.ts";

/** What the watcher reads from a chain (viem in production, a fake in tests). */
export type ChainReader = {
  blockNumber(): Promise<bigint>;
  /** Hash of the canonical block at `n`, undefined when there is none. */
  blockHash(n: bigint): Promise<Hex | undefined>;
  /** MessageSent logs of `addresses` in [from, to], ordered by (block, logIndex). */
  messageSentLogs(
    from: bigint,
    to: bigint,
    addresses: readonly Address[],
  ): Promise<
    readonly {
      address: Address;
      blockNumber: bigint;
      blockHash: Hex;
      logIndex: number;
      transactionHash: Hex;
      message: Hex;
    }[]
  >;
};

export type WatchedChain = {
  readonly name: string;
  readonly domain: number;
  readonly transmitters: readonly { readonly address: Address; readonly version: 1 | 2 }[];
  readonly deployedAtBlock: bigint;
};

export type ChainWatcher = {
  readonly chain: WatchedChain;
  tick(): Promise<void>;
  /** Last head read (undefined before the first tick). */
  head(): bigint | undefined;
};

/** Heads remembered for fork detection. */
const HEAD_MEMORY = 256;

export function createChainWatcher(args: {
  chain: WatchedChain;
  reader: ChainReader;
  book: AttestationBook;
  settings: Pick<AttestationServiceConfig, "fastConfirmations" | "standardConfirmations">;
  /** The last head of another chain by domain (a fast message's expirationBlock). */
  headOfDomain: (domain: number) => bigint | undefined;
  logger: Logger;
}): ChainWatcher {
  const { chain, reader, book, settings } = args;
  const logger = args.logger.child({ component: "cctp_attestation_watcher", chain: chain.name });
  const addresses = chain.transmitters.map((t) => t.address);
  const versionOf = (a: Address) =>
    chain.transmitters.find((t) => t.address.toLowerCase() === a.toLowerCase())?.version;
  let scannedTo = chain.deployedAtBlock - 1n;
  let head: bigint | undefined;
  /** (number, hash) of scanned heads, oldest first. */
  const heads: { n: bigint; hash: Hex }[] = [];

  async function findForkBase(): Promise<bigint | undefined> {
    const last = heads.at(-1);
    if (last === undefined) return undefined;
    if ((await reader.blockHash(last.n)) === last.hash) return undefined;
    for (let i = heads.length - 2; i >= 0; i--) {
      const h = heads[i]!;
      if ((await reader.blockHash(h.n)) === h.hash) return h.n;
    }
    return chain.deployedAtBlock - 1n;
  }

  function rewind(to: bigint, why: string): void {
    const dropped = book.dropAbove(chain.name, to);
    while (heads.length > 0 && heads.at(-1)!.n > to) heads.pop();
    if (to < scannedTo) scannedTo = to;
    logger.warn(
      { rescan_from: (to + 1n).toString(), dropped, reason: why },
      "cctp watcher rewound after a reorg",
    );
  }

  async function scan(to: bigint): Promise<void> {
    if (to <= scannedTo) return;
    const logs = await reader.messageSentLogs(scannedTo + 1n, to, addresses);
    for (const log of logs) {
      const version = versionOf(log.address);
      if (version === undefined) continue;
      try {
        book.add({
          chain: chain.name,
          version,
          txHash: log.transactionHash,
          blockNumber: log.blockNumber,
          blockHash: log.blockHash,
          logIndex: log.logIndex,
          message: log.message,
        });
      } catch (err) {
        logger.error(
          { tx_hash: log.transactionHash, log_index: log.logIndex, err },
          "cctp message skipped: not decodable",
        );
      }
    }
    scannedTo = to;
    const hash = await reader.blockHash(to);
    if (hash !== undefined) {
      heads.push({ n: to, hash });
      if (heads.length > HEAD_MEMORY) heads.shift();
    }
  }

  async function signReady(current: bigint): Promise<void> {
    for (const record of book.pending(chain.name)) {
      const required = record.speed === "fast" ? settings.fastConfirmations : settings.standardConfirmations;
      if (current - record.blockNumber + 1n < required) continue;
      const canonical = await reader.blockHash(record.blockNumber);
      if (canonical !== record.blockHash) {
        book.drop(record);
        rewind(record.blockNumber - 1n, "message block no longer canonical");
        continue;
      }
      await book.sign(record, args.headOfDomain(record.destinationDomain));
    }
  }

  return {
    chain,
    head: () => head,
    async tick() {
      try {
        const current = await reader.blockNumber();
        head = current;
        const fork = await findForkBase();
        if (fork !== undefined) rewind(fork, "scanned head no longer canonical");
        await scan(current);
        await signReady(current);
      } catch (err) {
        if (
          !isRetryable(err) &&
          !(err instanceof Error && /fetch|HTTP|timed out|socket/i.test(err.message))
        ) {
          logger.error({ err }, "cctp watcher tick failed");
        } else {
          logger.warn({ err }, "cctp watcher tick failed; retrying at the next poll");
        }
      }
    },
  };
}

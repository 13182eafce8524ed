/**
 * Keeps every ComplianceGate of each asset equal to the provider's records and the asset's rules.
 *
 * A pass: (1) read the desired records once (every account the provider lists, the configured
 * accounts, the accounts the API has decided on, and the accounts synced before, so a removed record
 * is cleared) — a provider failure aborts the pass, a record is never cleared because the provider
 * could not answer; (2) per gate: read its state at one block, plan only the differences
 * (gatePlan.ts), write them through actions/complianceGateSync.ts as the compliance officer. A pass
 * with nothing to change sends nothing. Retryable failures are retried with exponential backoff and
 * jitter (each retry re-reads the gate, so a write that did land is not repeated).
 */
import type { Address, Hex } from "viem";
import { complianceGateAbi } from "../../abi/index.ts";
import {
  type ComplianceGateWriter,
  GATE_OPERATION,
  type GateChange,
  type GateOperationName,
  type GateRecordValue,
  type GateWrite,
  jurisdictionBytes,
} from "../../actions/complianceGateSync.ts";
import { isRetryable } from "../../internal/errors.ts";
import type { Logger } from "../../telemetry/logger.ts";
import type { KeeperMetrics } from "../../telemetry/metrics.ts";
import { GateSyncError } from "./errors.ts";
import {
  countDifferences,
  type DesiredRecordInput,
  desiredGateState,
  type GateState,
  jurisdictionsToCheck,
  planGateChanges,
} from "./gatePlan.ts";
import type { AssetRules, KycProvider, QualifiedPartyVerifier } from "./types.ts";

export type GateTarget = {
  readonly assetId: string;
  readonly chainId: number;
  readonly gate: Address;
};

/** The reads a sync needs from a chain (a viem PublicClient fits). */
export type GateReader = {
  getBlockNumber(): Promise<bigint>;
  readContract(args: {
    address: Address;
    abi: typeof complianceGateAbi;
    functionName: string;
    args?: readonly unknown[];
    blockNumber: bigint;
  }): Promise<unknown>;
};

export type GateSyncReport = {
  readonly assetId: string;
  readonly chainId: number;
  readonly gate: Address;
  /** Differences found by the read. */
  readonly differences: number;
  readonly changes: readonly GateChange[];
  /** Transactions mined (none in a dry run or when in sync). */
  readonly writes: readonly GateWrite[];
  readonly outcome: "in_sync" | "synced" | "dry_run" | "failed";
  readonly error?: string | undefined;
};

export type GateSync = {
  /** One pass over every gate (with retries unless `retry: false`); never rejects, failures are in the reports. */
  runOnce(options?: { dryRun?: boolean; retry?: boolean }): Promise<GateSyncReport[]>;
  /** Runs a pass now and every intervalMs; provider changes trigger a pass. */
  start(): void;
  /** Asks for a pass soon (coalesced with one already queued). */
  trigger(): void;
  stop(): Promise<void>;
  /** The last report per gate. */
  lastReports(): readonly GateSyncReport[];
};

export type CreateGateSyncArgs = {
  readonly targets: readonly GateTarget[];
  readonly rules: ReadonlyMap<string, AssetRules>;
  readonly readers: ReadonlyMap<number, GateReader>;
  readonly provider: KycProvider;
  readonly qualifiedParty: QualifiedPartyVerifier;
  /** undefined: read-only (dry runs). */
  readonly writer: ComplianceGateWriter | undefined;
  /** Accounts synced besides the provider's listed ones. */
  readonly accounts?: Iterable<Address>;
  /** More accounts to cover (e.g. the API's decided accounts), read at each pass. */
  readonly moreAccounts?: () => Iterable<Address>;
  readonly intervalMs: number;
  readonly retry: {
    readonly maxAttempts: number;
    readonly backoffBaseMs: number;
    readonly backoffMaxMs: number;
  };
  readonly metrics: KeeperMetrics;
  readonly logger: Logger;
  /** Unix ms. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
};

const OPERATIONS: readonly GateOperationName[] = ["mint", "redeem", "transfer"];
const READ_CONCURRENCY = 25;

/** Reads a gate's state for `accounts` and `codes` at one block. */
export async function readGateState(
  reader: GateReader,
  gate: Address,
  accounts: readonly Address[],
  codes: readonly string[],
): Promise<GateState> {
  const blockNumber = await reader.getBlockNumber();
  const read = (functionName: string, args: readonly unknown[] = []) =>
    reader.readContract({ address: gate, abi: complianceGateAbi, functionName, args, blockNumber });
  const records = new Map<Address, GateRecordValue | undefined>();
  for (let i = 0; i < accounts.length; i += READ_CONCURRENCY) {
    const batch = accounts.slice(i, i + READ_CONCURRENCY);
    const values = (await Promise.all(batch.map((a) => read("recordOf", [a])))) as {
      kycTier: number;
      jurisdiction: Hex;
      qualifiedParty: boolean;
      expiresAt: bigint;
    }[];
    batch.forEach((account, j) => {
      const r = values[j]!;
      records.set(
        account,
        r.kycTier === 0 && r.expiresAt === 0n
          ? undefined
          : {
              kycTier: r.kycTier,
              jurisdiction: Buffer.from(r.jurisdiction.slice(2), "hex").toString("latin1"),
              qualifiedParty: r.qualifiedParty,
              expiresAt: r.expiresAt,
            },
      );
    });
  }
  const blocked = new Map<string, boolean>();
  const flags = (await Promise.all(
    codes.map((c) => read("isJurisdictionBlocked", [jurisdictionBytes(c)])),
  )) as boolean[];
  codes.forEach((c, i) => {
    blocked.set(c, flags[i]!);
  });
  const tiers = (await Promise.all(
    OPERATIONS.map((op) => read("minKycTier", [GATE_OPERATION[op]])),
  )) as number[];
  const threshold = (await read("qualifiedPartyThreshold")) as bigint;
  return {
    records,
    blocked,
    minKycTier: { mint: tiers[0]!, redeem: tiers[1]!, transfer: tiers[2]! },
    qualifiedPartyThreshold: threshold,
  };
}

export function createGateSync(args: CreateGateSyncArgs): GateSync {
  const log = args.logger.child({ component: "gate_sync" });
  const now = args.now ?? (() => Date.now());
  const sleep = args.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const configured = new Set(args.accounts ?? []);
  /** Accounts and codes synced before, per gate (so removals are written too). */
  const synced = new Map<string, { accounts: Set<Address>; codes: Set<string> }>();
  const reports = new Map<string, GateSyncReport>();
  const keyOf = (t: GateTarget) => `${t.assetId}@${t.chainId}`;
  for (const t of args.targets) synced.set(keyOf(t), { accounts: new Set(), codes: new Set() });

  async function desiredRecords(): Promise<Map<Address, DesiredRecordInput | undefined>> {
    const accounts = new Set<Address>(configured);
    for (const a of (await args.provider.listAccounts?.()) ?? []) accounts.add(a);
    for (const a of args.moreAccounts?.() ?? []) accounts.add(a);
    for (const s of synced.values()) for (const a of s.accounts) accounts.add(a);
    const out = new Map<Address, DesiredRecordInput | undefined>();
    for (const account of [...accounts].sort()) {
      const record = await args.provider.getRecord(account);
      if (!record) {
        out.set(account, undefined);
        continue;
      }
      const qp = await args.qualifiedParty.isQualifiedParty({ account, record });
      out.set(account, {
        tier: record.tier,
        jurisdiction: record.jurisdiction,
        qualifiedParty: qp,
        expiresAt: record.expiresAt,
      });
    }
    return out;
  }

  async function syncTarget(
    target: GateTarget,
    records: Map<Address, DesiredRecordInput | undefined>,
    dryRun: boolean,
  ): Promise<GateSyncReport> {
    const rules = args.rules.get(target.assetId);
    const reader = args.readers.get(target.chainId);
    if (!rules || !reader) throw new Error(`No rules or chain client for ${keyOf(target)}.`);
    const memory = synced.get(keyOf(target))!;
    const codes = jurisdictionsToCheck(rules, records, memory.codes);
    const desired = desiredGateState(rules, records, codes);
    let observed: GateState;
    try {
      observed = await readGateState(reader, target.gate, [...records.keys()], codes);
    } catch (cause) {
      throw new GateSyncError({
        assetId: target.assetId,
        chainId: target.chainId,
        gate: target.gate,
        step: "reading the gate",
        cause,
      });
    }
    const changes = planGateChanges(desired, observed);
    const differences = countDifferences(changes);
    const labels = { asset: target.assetId, chain: String(target.chainId) };
    args.metrics.complianceGateSyncPendingDifferences.set(labels, differences);
    const base = {
      assetId: target.assetId,
      chainId: target.chainId,
      gate: target.gate,
      differences,
      changes,
    };
    if (differences === 0) return { ...base, writes: [], outcome: "in_sync" };
    if (dryRun || !args.writer) return { ...base, writes: [], outcome: "dry_run" };
    const writes = await args.writer.apply({ chainId: target.chainId, gate: target.gate, changes });
    for (const w of writes) args.metrics.complianceGateSyncWritesTotal.inc({ ...labels, change: w.change });
    for (const a of records.keys()) memory.accounts.add(a);
    for (const c of codes) memory.codes.add(c);
    args.metrics.complianceGateSyncPendingDifferences.set(labels, 0);
    log.info(
      {
        asset: target.assetId,
        chain_id: target.chainId,
        differences,
        transactions: writes.map((w) => ({ change: w.change, tx_hash: w.txHash, items: w.items })),
      },
      "gate synced",
    );
    return { ...base, writes, outcome: "synced" };
  }

  async function withRetry<T>(
    what: GateTarget | undefined,
    retry: boolean,
    run: () => Promise<T>,
  ): Promise<T> {
    const { maxAttempts, backoffBaseMs, backoffMaxMs } = args.retry;
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (err) {
        if (!retry || !isRetryable(err) || attempt >= maxAttempts) throw err;
        const delay = Math.min(backoffMaxMs, backoffBaseMs * 2 ** (attempt - 1));
        const jittered = delay / 2 + Math.random() * (delay / 2);
        log.warn(
          { err, attempt, retry_in_ms: Math.round(jittered), asset: what?.assetId, chain_id: what?.chainId },
          "gate sync attempt failed; retrying",
        );
        await sleep(jittered);
      }
    }
  }

  async function runOnce({ dryRun = false, retry = true } = {}): Promise<GateSyncReport[]> {
    let records: Map<Address, DesiredRecordInput | undefined>;
    try {
      records = await withRetry(undefined, retry, desiredRecords);
    } catch (err) {
      log.error({ err }, "gate sync could not read the desired records; nothing written");
      return args.targets.map((t) => fail(t, err));
    }
    return Promise.all(
      args.targets.map(async (target) => {
        try {
          const report = await withRetry(target, retry, () => syncTarget(target, records, dryRun));
          reports.set(keyOf(target), report);
          if (report.outcome !== "dry_run") {
            args.metrics.complianceGateSyncLastSuccessSeconds.set(
              { asset: target.assetId, chain: String(target.chainId) },
              Math.floor(now() / 1000),
            );
          }
          return report;
        } catch (err) {
          log.error({ err, asset: target.assetId, chain_id: target.chainId }, "gate sync failed");
          return fail(target, err);
        }
      }),
    );
  }

  function fail(target: GateTarget, err: unknown): GateSyncReport {
    args.metrics.complianceGateSyncFailuresTotal.inc({
      asset: target.assetId,
      chain: String(target.chainId),
    });
    const report: GateSyncReport = {
      assetId: target.assetId,
      chainId: target.chainId,
      gate: target.gate,
      differences: reports.get(keyOf(target))?.differences ?? 0,
      changes: [],
      writes: [],
      outcome: "failed",
      error:
        err instanceof Error
          ? ((err as { shortMessage?: string }).shortMessage ?? err.message.split("\n")[0])
          : String(err),
    };
    reports.set(keyOf(target), report);
    return report;
  }

  let running: Promise<unknown> | undefined;
  let queued = false;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  function trigger(): void {
    if (stopped) return;
    if (running) {
      queued = true;
      return;
    }
    running = runOnce().finally(() => {
      running = undefined;
      if (queued) {
        queued = false;
        trigger();
      }
    });
  }

  return {
    runOnce,
    trigger,
    start() {
      stopped = false;
      trigger();
      timer = setInterval(trigger, args.intervalMs);
      timer.unref?.();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => {});
    },
    lastReports: () => [...reports.values()],
  };
}

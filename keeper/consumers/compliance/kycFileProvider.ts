/**
 * KycProvider over a JSON registry file (devnet, small deployments): read at start, reloaded when the
 * file changes (watching its folder, so an atomic rename is seen) and on demand (`reload()`). A reload
 * that fails (unreadable or invalid file) keeps the last good records and is logged; the first load
 * must succeed.
 */
import { watch } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import type { Address } from "viem";
import { getAddress } from "viem";
import type { Logger } from "../../telemetry/logger.ts";
import { KycProviderInvalidResponseError } from "./errors.ts";
import { firstIssue, kycRegistrySchema, toKycRecord } from "./kycRecordSchema.ts";
import type { KycProvider, KycRecord } from "./types.ts";

export type KycFileProvider = KycProvider & {
  reload(): Promise<number>;
  listAccounts(): Promise<readonly Address[]>;
  onChange(listener: () => void): () => void;
  close(): Promise<void>;
};

export type CreateKycFileProviderArgs = {
  readonly path: string;
  /** Reload on change (default true). */
  readonly watch?: boolean;
  readonly logger?: Logger | undefined;
  /** Called when a reload failed (the service counts it as a provider error). */
  readonly onReloadError?: ((error: unknown) => void) | undefined;
};

/** Reads and validates a registry file into records keyed by checksummed address. */
export async function readKycRegistry(path: string): Promise<Map<Address, KycRecord>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? "unknown error";
    throw new KycProviderInvalidResponseError({
      provider: "file",
      field: "file",
      reason: `${path} is not readable (${code})`,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KycProviderInvalidResponseError({
      provider: "file",
      field: "file",
      reason: `${path} is not JSON`,
    });
  }
  const parsed = kycRegistrySchema.safeParse(json);
  if (!parsed.success) {
    const { field, reason } = firstIssue(parsed.error);
    throw new KycProviderInvalidResponseError({ provider: "file", field, reason });
  }
  const records = new Map<Address, KycRecord>();
  parsed.data.records.forEach((entry, i) => {
    if (records.has(entry.account)) {
      throw new KycProviderInvalidResponseError({
        provider: "file",
        field: `records.${i}.account`,
        reason: `duplicate account ${entry.account}`,
      });
    }
    const { account, ...record } = entry;
    records.set(account, toKycRecord(record));
  });
  return records;
}

export async function createKycFileProvider(args: CreateKycFileProviderArgs): Promise<KycFileProvider> {
  const path = resolve(args.path);
  const log = args.logger?.child({ component: "kyc_file_provider" });
  let records = await readKycRegistry(path);
  const listeners = new Set<() => void>();
  let reloading: Promise<number> | undefined;
  let again = false;

  async function reload(): Promise<number> {
    if (reloading) {
      again = true;
      return reloading;
    }
    reloading = (async () => {
      try {
        do {
          again = false;
          records = await readKycRegistry(path);
        } while (again);
        log?.info({ records: records.size }, "kyc registry reloaded");
        for (const l of listeners) l();
        return records.size;
      } finally {
        reloading = undefined;
      }
    })();
    return reloading;
  }

  let timer: NodeJS.Timeout | undefined;
  const watcher =
    args.watch === false
      ? undefined
      : watch(dirname(path), (_event, file) => {
          if (file !== null && file !== basename(path)) return;
          clearTimeout(timer);
          timer = setTimeout(() => {
            reload().catch((err: unknown) => {
              log?.error({ err }, "kyc registry reload failed; kept the previous records");
              args.onReloadError?.(err);
            });
          }, 50);
        });
  watcher?.on("error", (err) => log?.error({ err }, "kyc registry watch failed"));

  log?.info({ records: records.size, watch: watcher !== undefined }, "kyc registry loaded");

  return {
    name: "file",
    async getRecord(account) {
      return records.get(getAddress(account));
    },
    async listAccounts() {
      return [...records.keys()];
    },
    reload,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}

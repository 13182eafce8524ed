/**
 * The file custody provider (devnet, tests, air-gapped setups): a JSON file holding an array of report
 * documents (the HTTP contract's response bodies), read on every call so edits take effect at the next
 * poll. Write it atomically (write a temporary file, then rename) so a poll never reads half a file.
 */
import { readFile } from "node:fs/promises";
import {
  CustodyProviderRejectedError,
  CustodyProviderUnavailableError,
  CustodyReportInvalidError,
} from "./errors.ts";
import { parseCustodyReport } from "./report.ts";
import type { CustodyProvider } from "./types.ts";

export type CreateFileCustodyProviderArgs = {
  /** JSON file: `[ <report document>, … ]`, one per asset (a single document is accepted too). */
  readonly path: string;
  readonly readTextFile?: ((path: string) => Promise<string>) | undefined;
};

const PROVIDER = "file";

export function createFileCustodyProvider(args: CreateFileCustodyProviderArgs): CustodyProvider {
  const read = args.readTextFile ?? ((path: string) => readFile(path, "utf8"));
  return {
    kind: "file",
    async getReport(assetId) {
      let text: string;
      try {
        text = await read(args.path);
      } catch (cause) {
        const errorCode = (cause as NodeJS.ErrnoException).code;
        throw new CustodyProviderUnavailableError({
          provider: PROVIDER,
          assetId,
          reason: "file_unreadable",
          ...(typeof errorCode === "string" ? { errorCode } : {}),
        });
      }
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        throw new CustodyReportInvalidError({ assetId, field: "(json)", reason: "is not valid JSON" });
      }
      const documents = Array.isArray(data) ? data : [data];
      const index = documents.findIndex(
        (d) => typeof d === "object" && d !== null && (d as { assetId?: unknown }).assetId === assetId,
      );
      if (index < 0) {
        throw new CustodyProviderRejectedError({
          provider: PROVIDER,
          assetId,
          reason: "the file has no report with this assetId",
        });
      }
      try {
        return parseCustodyReport(assetId, documents[index]);
      } catch (err) {
        if (err instanceof CustodyReportInvalidError && Array.isArray(data)) {
          throw new CustodyReportInvalidError({
            assetId,
            field: `[${index}].${err.field}`,
            reason: err.reason,
          });
        }
        throw err;
      }
    },
  };
}

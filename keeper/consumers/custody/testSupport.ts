/** Fixtures of the custody tests (tests only; not exported from index.ts). */
import { createHash } from "node:crypto";
import type { CustodyReportDocument } from "./report.ts";

export const sha256Of = (bytes: string | Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** A valid report document for `assetId` (override any field). */
export function reportDocument(
  assetId = "dusd",
  overrides: Partial<Record<keyof CustodyReportDocument, unknown>> = {},
): Record<string, unknown> {
  return {
    version: 1,
    assetId,
    custodian: "Example Trust Co.",
    asOf: "2025-06-30T12:00:00Z",
    balance: { amount: "1000000000", decimals: 2 },
    accounts: [
      { id: "acct-cash-1", kind: "cash", amount: "400000000" },
      { id: "acct-tbill-1", kind: "treasury_bills", amount: "600000000" },
    ],
    socReport: {
      type: "SOC2",
      typeII: true,
      period: { start: "2024-07-01", end: "2025-06-30" },
      expiresAt: "2026-03-31T00:00:00Z",
    },
    attestations: [
      {
        url: "https://attest.example.com/dusd/2025-06.pdf",
        period: { start: "2025-06-01", end: "2025-06-30" },
        auditor: "Example Audit LLP",
        sha256: sha256Of("june attestation"),
      },
    ],
    ...overrides,
  };
}

/** Unix seconds of an ISO time. */
export const unix = (iso: string) => BigInt(Math.floor(Date.parse(iso) / 1000));

/**
 * The custodian report document (HTTP response body, file provider entries): a strict zod schema and
 * `parseCustodyReport`, which returns a fully validated CustodyReport or throws
 * CustodyReportInvalidError naming the first bad field. Nothing of a rejected report is used.
 *
 * Wire form (README.md has the full contract): amounts are decimal strings with their `decimals`;
 * times are ISO-8601 (a date `2025-06-30` = midnight UTC, or a date-time with `Z` or an offset); SHA-256
 * digests are 64 hex characters (stored lowercase); URLs are http or https without credentials.
 */
import { z } from "zod";
import { httpUrlProblem } from "../../config/fields.ts";
import { CustodyReportInvalidError } from "./errors.ts";
import type { CustodyReport, HoldingKind } from "./types.ts";

/** 2^256 has 78 digits; anything much longer is not an amount. */
const MAX_DIGITS = 100;
export const MAX_ATTESTATIONS = 100;
export const MAX_ACCOUNTS = 1_000;
export const HOLDING_KINDS = [
  "cash",
  "treasury_bills",
  "repo",
  "money_market_fund",
  "other",
] as const satisfies readonly HoldingKind[];

/** ISO-8601 date or date-time (with offset) → unix seconds. */
export function isoTimestamp() {
  return z
    .union([z.iso.date(), z.iso.datetime({ offset: true })], {
      error: "must be an ISO-8601 date (2025-06-30) or date-time with offset (2025-06-30T12:00:00Z)",
    })
    .transform((s) => BigInt(Math.floor(Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s) / 1000)));
}

/** A non-negative integer amount as a decimal string → bigint. */
export function amountString() {
  return z
    .string()
    .max(MAX_DIGITS, { error: `must have at most ${MAX_DIGITS} digits` })
    .regex(/^(0|[1-9][0-9]*)$/, { error: 'must be a non-negative decimal integer string (e.g. "1250000")' })
    .transform((s) => BigInt(s));
}

/** 64 hex characters (any case) → lowercase. */
export function sha256Hex() {
  return z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, { error: "must be a SHA-256 digest: 64 hex characters" })
    .transform((s) => s.toLowerCase());
}

/** An http(s) URL without credentials, at most 2048 characters. */
export function httpUrl() {
  return z
    .string()
    .max(2_048, { error: "must be at most 2048 characters" })
    .superRefine((value, ctx) => {
      const problem = httpUrlProblem(value);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    });
}

const text = (max: number) => z.string().trim().min(1, { error: "must not be empty" }).max(max);

export const periodSchema = z
  .strictObject({ start: isoTimestamp(), end: isoTimestamp() })
  .refine((p) => p.start <= p.end, { error: "start must not be after end", path: ["end"] });

export const attestationDocumentSchema = z.strictObject({
  url: httpUrl(),
  period: periodSchema,
  auditor: text(200),
  sha256: sha256Hex(),
});

const reportSchema = z
  .strictObject({
    version: z.literal(1, { error: "must be 1" }),
    assetId: text(64),
    custodian: text(200),
    asOf: isoTimestamp(),
    balance: z.strictObject({
      amount: amountString(),
      decimals: z.int({ error: "must be an integer from 0 to 36" }).min(0).max(36),
    }),
    accounts: z
      .array(z.strictObject({ id: text(128), kind: z.enum(HOLDING_KINDS), amount: amountString() }))
      .max(MAX_ACCOUNTS)
      .optional(),
    socReport: z.strictObject({
      type: z.enum(["SOC1", "SOC2"]),
      typeII: z.boolean().optional(),
      period: periodSchema,
      expiresAt: isoTimestamp(),
    }),
    attestations: z.array(attestationDocumentSchema).max(MAX_ATTESTATIONS),
  })
  .superRefine((r, ctx) => {
    if (r.accounts !== undefined && r.accounts.length > 0) {
      const sum = r.accounts.reduce((s, a) => s + a.amount, 0n);
      if (sum !== r.balance.amount) {
        ctx.addIssue({
          code: "custom",
          path: ["accounts"],
          message: `amounts sum to ${sum}, but balance.amount is ${r.balance.amount}`,
        });
      }
      const ids = new Set<string>();
      r.accounts.forEach((a, i) => {
        if (ids.has(a.id))
          ctx.addIssue({
            code: "custom",
            path: ["accounts", i, "id"],
            message: `duplicate account id "${a.id}"`,
          });
        ids.add(a.id);
      });
    }
    if (r.socReport.expiresAt < r.socReport.period.end) {
      ctx.addIssue({
        code: "custom",
        path: ["socReport", "expiresAt"],
        message: "must not be before period.end",
      });
    }
  });

/** What a report document may contain (input side). */
export type CustodyReportDocument = z.input<typeof reportSchema>;

/** Dotted path of a zod issue; an unknown key is named itself. */
function issueField(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String);
  if (issue.code === "unrecognized_keys" && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  return path.join(".") || "(report)";
}

/** The value at a zod issue's path in the input (undefined when absent). */
function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let node = data;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function issueReason(issue: z.core.$ZodIssue, data: unknown): string {
  if (issue.code === "unrecognized_keys") return "is not a known field";
  if (issue.code !== "custom" && issue.path.length > 0 && valueAt(data, issue.path) === undefined)
    return "is required";
  return issue.message.replace(/\.$/, "");
}

/**
 * Validates a decoded JSON report for `assetId`: every field, the accounts summing to the balance, the
 * SOC report not expiring before its period ends, and `assetId` being the one asked for. Throws
 * CustodyReportInvalidError naming the first bad field.
 */
export function parseCustodyReport(assetId: string, data: unknown): CustodyReport {
  const result = reportSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new CustodyReportInvalidError({
      assetId,
      field: issue ? issueField(issue) : "(report)",
      reason: issue ? issueReason(issue, data) : "is invalid",
      cause: result.error,
    });
  }
  const r = result.data;
  if (r.assetId !== assetId) {
    throw new CustodyReportInvalidError({
      assetId,
      field: "assetId",
      reason: `expected "${assetId}", got "${r.assetId}"`,
    });
  }
  return {
    assetId: r.assetId,
    custodian: r.custodian,
    asOf: r.asOf,
    balance: { amount: r.balance.amount, decimals: r.balance.decimals },
    ...(r.accounts === undefined ? {} : { accounts: r.accounts }),
    soc: {
      type: r.socReport.type,
      ...(r.socReport.typeII === undefined ? {} : { typeII: r.socReport.typeII }),
      period: r.socReport.period,
      expiresAt: r.socReport.expiresAt,
    },
    attestations: r.attestations,
  };
}

/** Parses a JSON text first (a body that is not JSON is field `(json)`). */
export function parseCustodyReportJson(assetId: string, textBody: string): CustodyReport {
  let data: unknown;
  try {
    data = JSON.parse(textBody);
  } catch {
    throw new CustodyReportInvalidError({ assetId, field: "(json)", reason: "is not valid JSON" });
  }
  return parseCustodyReport(assetId, data);
}

const iso = (s: bigint) => new Date(Number(s) * 1000).toISOString().replace(".000Z", "Z");

/** The wire document of a report (tests, the file provider's examples, docs). */
export function custodyReportDocument(report: CustodyReport): CustodyReportDocument {
  return {
    version: 1,
    assetId: report.assetId,
    custodian: report.custodian,
    asOf: iso(report.asOf),
    balance: { amount: report.balance.amount.toString(), decimals: report.balance.decimals },
    ...(report.accounts === undefined
      ? {}
      : { accounts: report.accounts.map((a) => ({ id: a.id, kind: a.kind, amount: a.amount.toString() })) }),
    socReport: {
      type: report.soc.type,
      ...(report.soc.typeII === undefined ? {} : { typeII: report.soc.typeII }),
      period: { start: iso(report.soc.period.start), end: iso(report.soc.period.end) },
      expiresAt: iso(report.soc.expiresAt),
    },
    attestations: report.attestations.map((a) => ({
      url: a.url,
      period: { start: iso(a.period.start), end: iso(a.period.end) },
      auditor: a.auditor,
      sha256: a.sha256,
    })),
  };
}

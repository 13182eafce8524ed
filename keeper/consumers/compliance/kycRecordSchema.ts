/**
 * The wire form of a KYC record, shared by the file registry and the HTTP provider
 * (keeper/consumers/compliance/README.md documents both). Strict: unknown fields are errors (a provider
 * adding personal data to the answer must not have it flow further).
 */
import { getAddress } from "viem";
import { z } from "zod";
import type { KycRecord } from "./types.ts";

const UINT64_MAX = 2n ** 64n - 1n;

/** Unix seconds as an integer or a decimal string, 0 … 2^64-1. */
const unixSeconds = z
  .union([z.int().min(0), z.string().regex(/^(0|[1-9][0-9]{0,19})$/)])
  .transform((v, ctx) => {
    const n = BigInt(v);
    if (n > UINT64_MAX) {
      ctx.addIssue({ code: "custom", message: "must fit in uint64" });
      return z.NEVER;
    }
    return n;
  });

const recordFields = {
  recordId: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, {
    error: "must be 1-128 characters: letters, digits, '.', '_', ':', '-'",
  }),
  tier: z.int().min(0).max(255),
  jurisdiction: z.string().regex(/^[A-Z]{2}$/, { error: "must be an ISO 3166-1 alpha-2 code in upper case" }),
  qualifiedParty: z.boolean(),
  expiresAt: unixSeconds,
  verifiedAt: unixSeconds.optional(),
};

/** One record as the HTTP provider returns it. */
export const kycRecordSchema = z.strictObject(recordFields);

/** The file registry (version 1). */
export const kycRegistrySchema = z.strictObject({
  version: z.literal(1),
  records: z
    .array(
      z.strictObject({
        account: z
          .string()
          .regex(/^0x[0-9a-fA-F]{40}$/, { error: "must be a 0x-prefixed 20-byte hex address" })
          .transform((a) => getAddress(a.toLowerCase())),
        ...recordFields,
      }),
    )
    .max(1_000_000),
});

export type KycRegistryInput = z.input<typeof kycRegistrySchema>;

/** The record in memory (drops undefined verifiedAt). */
export function toKycRecord(parsed: z.output<typeof kycRecordSchema>): KycRecord {
  return {
    recordId: parsed.recordId,
    tier: parsed.tier,
    jurisdiction: parsed.jurisdiction,
    qualifiedParty: parsed.qualifiedParty,
    expiresAt: parsed.expiresAt,
    ...(parsed.verifiedAt === undefined ? {} : { verifiedAt: parsed.verifiedAt }),
  };
}

/** The first issue of a zod error as (field, reason). */
export function firstIssue(error: z.ZodError): { field: string; reason: string } {
  const issue = error.issues[0];
  return {
    field: issue?.path.length ? issue.path.join(".") : "(root)",
    reason: issue?.message ?? "invalid",
  };
}

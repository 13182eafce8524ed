import { describe, expect, it } from "vitest";
import { CustodyReportInvalidError } from "./errors.ts";
import { custodyReportDocument, parseCustodyReport, parseCustodyReportJson } from "./report.ts";
import { reportDocument, sha256Of, unix } from "./testSupport.ts";

/** The field and reason a malformed document is rejected with (fails if it is accepted). */
function rejection(doc: unknown, assetId = "dusd"): { field: string; reason: string; message: string } {
  try {
    parseCustodyReport(assetId, doc);
  } catch (err) {
    expect(err).toBeInstanceOf(CustodyReportInvalidError);
    const e = err as CustodyReportInvalidError;
    return { field: e.field, reason: e.reason, message: e.shortMessage };
  }
  throw new Error("the document was accepted");
}

const patch = (path: string, value: unknown) => {
  const doc = reportDocument() as Record<string, unknown>;
  const segments = path.split(".");
  let node = doc as Record<string, unknown>;
  for (const s of segments.slice(0, -1)) node = node[s] as Record<string, unknown>;
  const last = segments.at(-1)!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return doc;
};

describe("parseCustodyReport", () => {
  it("returns the typed report: bigint amounts, unix-second times, lowercase digests", () => {
    const upper = sha256Of("x").toUpperCase();
    const r = parseCustodyReport(
      "dusd",
      patch("attestations", [{ ...(reportDocument().attestations as object[])[0], sha256: upper }]),
    );
    expect(r).toEqual({
      assetId: "dusd",
      custodian: "Example Trust Co.",
      asOf: unix("2025-06-30T12:00:00Z"),
      balance: { amount: 1_000_000_000n, decimals: 2 },
      accounts: [
        { id: "acct-cash-1", kind: "cash", amount: 400_000_000n },
        { id: "acct-tbill-1", kind: "treasury_bills", amount: 600_000_000n },
      ],
      soc: {
        type: "SOC2",
        typeII: true,
        period: { start: unix("2024-07-01T00:00:00Z"), end: unix("2025-06-30T00:00:00Z") },
        expiresAt: unix("2026-03-31T00:00:00Z"),
      },
      attestations: [
        {
          url: "https://attest.example.com/dusd/2025-06.pdf",
          period: { start: unix("2025-06-01T00:00:00Z"), end: unix("2025-06-30T00:00:00Z") },
          auditor: "Example Audit LLP",
          sha256: upper.toLowerCase(),
        },
      ],
    });
  });

  it("accepts a report without accounts, typeII or attestations, and offsets in times", () => {
    const doc = patch("accounts", undefined);
    delete (doc.socReport as Record<string, unknown>).typeII;
    doc.attestations = [];
    doc.asOf = "2025-06-30T14:00:00+02:00";
    const r = parseCustodyReport("dusd", doc);
    expect(r.accounts).toBeUndefined();
    expect(r.soc.typeII).toBeUndefined();
    expect(r.asOf).toBe(unix("2025-06-30T12:00:00Z"));
  });

  it("round-trips through custodyReportDocument", () => {
    const r = parseCustodyReport("dusd", reportDocument());
    expect(parseCustodyReport("dusd", custodyReportDocument(r))).toEqual(r);
  });

  it.each([
    ["balance.amount", "-5", /non-negative decimal integer/],
    ["balance.amount", 1000, /expected string/],
    ["balance.amount", "1.5", /non-negative decimal integer/],
    ["balance.amount", "01", /non-negative decimal integer/],
    ["balance.decimals", 37, /.+/],
    ["balance.decimals", 1.5, /integer/],
    ["asOf", "yesterday", /ISO-8601/],
    ["asOf", undefined, /is required/],
    ["custodian", "", /must not be empty/],
    ["version", 2, /must be 1/],
    ["socReport.type", "SOC3", /.+/],
    ["socReport.expiresAt", "2025-01-01", /must not be before period.end/],
    ["socReport.period.end", "2024-01-01", /start must not be after end/],
  ])("names %s when it is %j", (path, value, reason) => {
    const r = rejection(patch(path, value));
    expect(r.field).toBe(path);
    expect(r.reason).toMatch(reason);
    expect(r.message).toContain(path);
  });

  it("names the attestation field: sha256, a non-http scheme, credentials in the URL", () => {
    const att = (a: Record<string, unknown>) =>
      patch("attestations", [{ ...(reportDocument().attestations as object[])[0], ...a }]);
    expect(rejection(att({ sha256: "abc" }))).toMatchObject({
      field: "attestations.0.sha256",
      reason: /64 hex/,
    });
    expect(rejection(att({ url: "ftp://attest.example.com/x.pdf" }))).toMatchObject({
      field: "attestations.0.url",
      reason: "must use http or https",
    });
    expect(rejection(att({ url: "file:///etc/passwd" }))).toMatchObject({ field: "attestations.0.url" });
    expect(rejection(att({ url: "https://u:p@attest.example.com/x.pdf" }))).toMatchObject({
      field: "attestations.0.url",
      reason: /credentials/,
    });
    expect(rejection(att({ auditor: undefined }))).toMatchObject({ field: "attestations.0.auditor" });
  });

  it("rejects unknown fields everywhere, naming them", () => {
    expect(rejection({ ...reportDocument(), extra: 1 })).toMatchObject({
      field: "extra",
      reason: "is not a known field",
    });
    expect(rejection(patch("balance", { amount: "1", decimals: 2, currency: "USD" }))).toMatchObject({
      field: "balance.currency",
    });
  });

  it("rejects accounts that do not sum to the balance, and duplicate account ids", () => {
    const doc = patch("accounts", [{ id: "a", kind: "cash", amount: "999999999" }]);
    expect(rejection(doc)).toMatchObject({
      field: "accounts",
      reason: "amounts sum to 999999999, but balance.amount is 1000000000",
    });
    const dup = patch("accounts", [
      { id: "a", kind: "cash", amount: "500000000" },
      { id: "a", kind: "repo", amount: "500000000" },
    ]);
    expect(rejection(dup)).toMatchObject({ field: "accounts.1.id", reason: /duplicate/ });
  });

  it("rejects a report for another asset, and a body that is not JSON", () => {
    expect(rejection(reportDocument("eurc"))).toMatchObject({
      field: "assetId",
      reason: 'expected "dusd", got "eurc"',
    });
    expect(() => parseCustodyReportJson("dusd", "{ not json")).toThrow(
      /field \(json\) is invalid: is not valid JSON/,
    );
    expect(rejection(null)).toMatchObject({ field: "(report)" });
  });
});

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CustodyProviderRejectedError, CustodyProviderUnavailableError } from "./errors.ts";
import { createFileCustodyProvider } from "./fileProvider.ts";
import { reportDocument } from "./testSupport.ts";

describe("the file custody provider", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "custody-file-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads the asset's report from an array, re-reading the file on every call", async () => {
    const path = join(dir, "reports.json");
    await writeFile(path, JSON.stringify([reportDocument("eurc"), reportDocument("dusd")]));
    const provider = createFileCustodyProvider({ path });
    expect((await provider.getReport("dusd")).assetId).toBe("dusd");
    await writeFile(
      path,
      JSON.stringify([
        reportDocument("dusd", { balance: { amount: "5", decimals: 0 }, accounts: undefined }),
      ]),
    );
    expect((await provider.getReport("dusd")).balance).toEqual({ amount: 5n, decimals: 0 });
  });

  it("accepts a single document, and names the bad field with its index in an array", async () => {
    const path = join(dir, "single.json");
    await writeFile(path, JSON.stringify(reportDocument("dusd")));
    expect((await createFileCustodyProvider({ path }).getReport("dusd")).custodian).toBe("Example Trust Co.");
    await writeFile(path, JSON.stringify([reportDocument("eurc"), reportDocument("dusd", { asOf: "soon" })]));
    await expect(createFileCustodyProvider({ path }).getReport("dusd")).rejects.toMatchObject({
      field: "[1].asOf",
    });
  });

  it("fails retryably on a missing file and refuses an asset the file does not have", async () => {
    const missing = createFileCustodyProvider({ path: join(dir, "nope.json") });
    const err = await missing.getReport("dusd").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CustodyProviderUnavailableError);
    expect((err as CustodyProviderUnavailableError).reason).toBe("file_unreadable");
    const path = join(dir, "other.json");
    await writeFile(path, JSON.stringify([reportDocument("eurc")]));
    await expect(createFileCustodyProvider({ path }).getReport("dusd")).rejects.toBeInstanceOf(
      CustodyProviderRejectedError,
    );
    await writeFile(path, "[{");
    await expect(createFileCustodyProvider({ path }).getReport("dusd")).rejects.toMatchObject({
      field: "(json)",
    });
  });
});

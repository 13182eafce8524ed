import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { validConfigInput } from "../config/testFixtures.ts";
import { reportDocument, sha256Of } from "../consumers/custody/testSupport.ts";
import { runCustody } from "./custody.ts";
import { EXIT } from "./usage.ts";

describe("reserve-keeper custody (CLI)", () => {
  let server: Server;
  let base: string;
  let dir: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === "/a.pdf") return void res.writeHead(200).end("document A");
      if (req.url === "/b.pdf") return void res.writeHead(200).end("document B, edited");
      if (req.url === "/api/v1/reports/dusd") {
        const doc = reportDocument("dusd", {
          attestations: [
            {
              url: `${base}/a.pdf`,
              period: { start: "2025-06-01", end: "2025-06-30" },
              auditor: "R",
              sha256: sha256Of("document A"),
            },
          ],
        });
        return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(doc));
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = await mkdtemp(join(tmpdir(), "custody-cli-"));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  async function run(argv: string[]) {
    let stdout = "";
    let stderr = "";
    const code = await runCustody(argv, {
      stdout: (t) => {
        stdout += t;
      },
      stderr: (t) => {
        stderr += t;
      },
    });
    return { code, stdout, stderr };
  }

  async function configFile(custody: unknown, extra: Record<string, unknown> = {}): Promise<string> {
    const path = join(dir, `keeper-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(path, YAML.stringify({ ...validConfigInput(), ...extra, custody }));
    return path;
  }

  const link = (path: string, sha: string) => ({
    url: `${base}${path}`,
    auditor: "Audit LLP",
    period: { start: "2025-06-01", end: "2025-06-30" },
    sha256: sha,
  });

  it("attestations verify --url/--sha256: exit 0 when the document verifies, 1 when it changed", async () => {
    const ok = await run([
      "attestations",
      "verify",
      "--url",
      `${base}/a.pdf`,
      "--sha256",
      sha256Of("document A"),
    ]);
    expect(ok.code).toBe(EXIT.ok);
    expect(ok.stdout).toBe(`VERIFIED      - ${base}/a.pdf sha256 ${sha256Of("document A")}\n`);
    const bad = await run([
      "attestations",
      "verify",
      "--url",
      `${base}/b.pdf`,
      "--sha256",
      sha256Of("document B"),
      "--json",
    ]);
    expect(bad.code).toBe(EXIT.failure);
    expect(JSON.parse(bad.stdout)).toEqual([
      expect.objectContaining({
        outcome: "hash_mismatch",
        sha256Expected: sha256Of("document B"),
        sha256Actual: sha256Of("document B, edited"),
        httpStatus: 200,
      }),
    ]);
    expect(bad.stderr).toMatch(/1 of 1 attestation documents did not verify/);
  });

  it("attestations verify --config: the pinned links, plus the report's with --from-report", async () => {
    const config = await configFile({
      provider: { type: "http", url: `${base}/api` },
      assets: [
        {
          id: "dusd",
          attestations: [link("/b.pdf", sha256Of("document B, edited")), link("/gone.pdf", sha256Of("x"))],
        },
      ],
    });
    const pinned = await run(["attestations", "verify", "--config", config, "--json"]);
    expect(pinned.code).toBe(EXIT.failure);
    expect(
      JSON.parse(pinned.stdout).map((r: { outcome: string; source: string }) => [r.source, r.outcome]),
    ).toEqual([
      ["config", "verified"],
      ["config", "unreachable"],
    ]);
    const withReport = await run([
      "attestations",
      "verify",
      "--config",
      config,
      "--asset",
      "dusd",
      "--from-report",
    ]);
    expect(withReport.stdout.split("\n").filter(Boolean)).toEqual([
      expect.stringMatching(/^VERIFIED {6}dusd .*\/b\.pdf sha256/),
      expect.stringMatching(/^UNREACHABLE {3}dusd .*\/gone\.pdf The server answered HTTP 404\.$/),
      expect.stringMatching(/^VERIFIED {6}dusd .*\/a\.pdf sha256/),
    ]);
  });

  it("exits 2 on a bad command line and 1 on a config without custody", async () => {
    expect((await run(["attestations", "verify", "--url", `${base}/a.pdf`])).code).toBe(EXIT.usage);
    expect(
      (await run(["attestations", "verify", "--url", "ftp://x/y", "--sha256", sha256Of("a")])).code,
    ).toBe(EXIT.usage);
    expect((await run(["attestations", "verify"])).code).toBe(EXIT.usage);
    expect((await run(["attestations", "sign"])).code).toBe(EXIT.usage);
    expect((await run(["bogus"])).code).toBe(EXIT.usage);
    const usage = await run(["attestations", "verify", "--nope"]);
    expect(usage.stderr).toMatch(/reserve-keeper custody <command>/);
    const noCustody = join(dir, "plain.yaml");
    await writeFile(noCustody, YAML.stringify(validConfigInput()));
    const r = await run(["serve", "--config", noCustody]);
    expect(r.code).toBe(EXIT.failure);
    expect(r.stderr).toMatch(/custody: is required by this command/);
    expect((await run(["help"])).stdout).toMatch(/Exit codes: 0 success/);
  });

  it("serve refuses the in-process bus without --with-keeper (it would see no keeper)", async () => {
    const config = await configFile({ provider: { type: "file", path: "x.json" }, assets: [{ id: "dusd" }] });
    const r = await run(["serve", "--config", config]);
    expect(r.code).toBe(EXIT.failure);
    expect(r.stderr).toMatch(/bus.type kafka, or add --with-keeper/);
  });
});

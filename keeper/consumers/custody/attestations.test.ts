import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../internal/errors.ts";
import { createAttestationRegistry, verifyAttestation } from "./attestations.ts";
import { sha256Of } from "./testSupport.ts";

const DOC = "the attestation document, version 1";

describe("verifyAttestation against a local HTTP server", () => {
  let server: Server;
  let base: string;
  let closedPort: number;
  beforeAll(async () => {
    server = createServer((req, res) => {
      switch (req.url) {
        case "/doc.pdf":
          res.writeHead(200, { "content-type": "application/pdf" }).end(DOC);
          return;
        case "/moved":
          res.writeHead(302, { location: "/doc.pdf" }).end();
          return;
        case "/big-announced":
          res.writeHead(200, { "content-length": "5000" }).end("x".repeat(5000));
          return;
        case "/big-chunked":
          // No Content-Length: the cap is enforced while reading.
          res.writeHead(200, { "transfer-encoding": "chunked" });
          for (let i = 0; i < 10; i++) res.write("y".repeat(600));
          res.end();
          return;
        case "/hang":
          res.writeHead(200);
          res.write("partial");
          return; // never ends
        default:
          res.writeHead(404).end("not here");
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const verify = (
    path: string,
    expected = sha256Of(DOC),
    opts: { maxBytes?: number; timeoutMs?: number } = {},
  ) =>
    verifyAttestation({
      url: path.startsWith("http") ? path : `${base}${path}`,
      expectedSha256: expected,
      timeoutMs: opts.timeoutMs ?? 5_000,
      maxBytes: opts.maxBytes ?? 4_096,
    });

  it("verifies a document whose bytes hash to the expected digest (following a redirect)", async () => {
    expect(await verify("/doc.pdf")).toEqual({
      outcome: "verified",
      actualSha256: sha256Of(DOC),
      bytes: DOC.length,
      httpStatus: 200,
    });
    expect(await verify("/moved")).toMatchObject({ outcome: "verified", httpStatus: 200 });
    expect(await verify("/doc.pdf", sha256Of(DOC).toUpperCase())).toMatchObject({ outcome: "verified" });
  });

  it("reports a hash mismatch with the actual digest", async () => {
    const expected = sha256Of("the attestation document, version 0");
    expect(await verify("/doc.pdf", expected)).toEqual({
      outcome: "hash_mismatch",
      actualSha256: sha256Of(DOC),
      bytes: DOC.length,
      httpStatus: 200,
    });
  });

  it("reports unreachable for a 404, a refused connection and a timeout", async () => {
    expect(await verify("/missing")).toEqual({
      outcome: "unreachable",
      httpStatus: 404,
      detail: "The server answered HTTP 404.",
    });
    expect(await verify(`http://127.0.0.1:${closedPort}/doc.pdf`)).toMatchObject({
      outcome: "unreachable",
      detail: expect.stringMatching(/^Network error/),
    });
    expect(await verify("/hang", undefined, { timeoutMs: 300 })).toMatchObject({
      outcome: "unreachable",
      detail: "No complete answer within 300 ms.",
    });
  });

  it("stops at the size cap: by Content-Length, and while reading without one", async () => {
    expect(await verify("/big-announced")).toEqual({
      outcome: "too_large",
      httpStatus: 200,
      bytes: 5_000,
      detail: "The document announces 5000 bytes (limit 4096).",
    });
    const chunked = await verify("/big-chunked");
    expect(chunked).toMatchObject({
      outcome: "too_large",
      detail: "The document is larger than 4096 bytes.",
    });
    expect(chunked.bytes).toBeGreaterThan(4_096);
    expect(await verify("/big-chunked", undefined, { maxBytes: 6_000 })).toMatchObject({
      outcome: "hash_mismatch",
    });
  });

  it("refuses URLs that are not http or https (never fetched)", async () => {
    await expect(verify("file:///etc/passwd")).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(verify("ftp://example.com/x")).rejects.toThrow(/http or https/);
  });
});

describe("createAttestationRegistry", () => {
  const doc = (url: string, sha: string) => ({
    url,
    sha256: sha,
    auditor: "A",
    period: { start: 1n, end: 2n },
  });
  const A = sha256Of("a");
  const B = sha256Of("b");

  it("keeps config and report links, once per (asset, url, sha256), config first", () => {
    const r = createAttestationRegistry();
    r.setLinks("dusd", "config", [doc("https://x/1", A)]);
    r.setLinks("dusd", "report", [doc("https://x/1", A), doc("https://x/1", B), doc("https://x/2", A)]);
    r.setLinks("eurc", "report", [doc("https://x/1", A)]);
    expect(r.links().map((l) => [l.assetId, l.url, l.sha256, l.source])).toEqual([
      ["dusd", "https://x/1", A, "config"],
      ["dusd", "https://x/1", B, "report"],
      ["dusd", "https://x/2", A, "report"],
      ["eurc", "https://x/1", A, "report"],
    ]);
  });

  it("drops links the report stops listing (and their last check), returns them, keeps config links", () => {
    const r = createAttestationRegistry();
    r.setLinks("dusd", "config", [doc("https://x/1", A)]);
    r.setLinks("dusd", "report", [doc("https://x/2", A)]);
    const [first, second] = r.links();
    expect(r.record(second!, { outcome: "verified", checkedAt: 5n })).toBe(true);
    r.record(first!, { outcome: "hash_mismatch", checkedAt: 5n });
    expect(r.lastOutcome(second!)).toBe("verified");
    const removed = r.setLinks("dusd", "report", []);
    expect(removed.map((l) => l.url)).toEqual(["https://x/2"]);
    expect(r.links().map((l) => [l.url, l.lastCheck?.outcome])).toEqual([["https://x/1", "hash_mismatch"]]);
    expect(r.lastOutcome(second!)).toBeUndefined();
    expect(r.record(second!, { outcome: "verified", checkedAt: 6n })).toBe(false); // removed meanwhile: ignored
    expect(r.lastOutcome(second!)).toBeUndefined();
  });
});

import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { NonRetryableError } from "./errors.ts";
import {
  closeServer,
  HttpError,
  invalidField,
  listen,
  parseJsonObject,
  readJsonBody,
  sendJson,
  sendText,
  toJsonText,
} from "./http.ts";

const MAX_BYTES = 64;

const bodySchema = z.strictObject({
  name: z.string().min(1),
  amount: z.string().regex(/^[0-9]+$/, { error: "must be a string of digits" }),
  note: z.string().optional(),
});

/** A POST endpoint as the services write them: bounded JSON body, zod-validated, HttpError as JSON. */
async function echo(req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const body = parseJsonObject(bodySchema, await readJsonBody(req, MAX_BYTES));
    sendJson(res, 200, { ...body, amount: BigInt(body.amount) * 2n }, { "x-echo": "yes" });
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    sendJson(res, err.status, err.body);
  }
}

const servers: Server[] = [];

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  return `http://127.0.0.1:${await listen(server, 0, "127.0.0.1")}`;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => closeServer(s)));
});

/** POSTs `chunks` with chunked transfer encoding (no content-length), so only the streamed size counts. */
function postChunked(url: string, chunks: string[]): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers: { "transfer-encoding": "chunked" } }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString("utf8")) }),
      );
      res.on("error", reject);
    });
    // The server may answer 413 and close before every chunk is written.
    req.on("error", reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe("toJsonText / sendJson / sendText", () => {
  it("writes bigints as decimal strings with one trailing newline", () => {
    expect(toJsonText({ a: 1n, list: [2n, 3], big: 2n ** 255n })).toBe(
      `{"a":"1","list":["2",3],"big":"${(2n ** 255n).toString()}"}\n`,
    );
  });

  it("answers JSON with content type, length, no-store and the extra headers", async () => {
    const base = await serve((_req, res) => sendJson(res, 201, { amount: 10n ** 30n }, { location: "/x/1" }));
    const res = await fetch(base);
    const text = await res.text();
    expect(res.status).toBe(201);
    expect(text).toBe(`{"amount":"${(10n ** 30n).toString()}"}\n`);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(res.headers.get("content-length")).toBe(String(Buffer.byteLength(text)));
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("location")).toBe("/x/1");
  });

  it("answers text as is with the given content type", async () => {
    const base = await serve((_req, res) => sendText(res, 503, "text/plain; version=0.0.4", "é metric 1\n"));
    const res = await fetch(base);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe("é metric 1\n");
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4");
    expect(res.headers.get("content-length")).toBe(String(Buffer.byteLength("é metric 1\n")));
    expect(res.headers.get("cache-control")).toBe("no-store");
  });
});

describe("readJsonBody / parseJsonObject", () => {
  const post = async (base: string, body: string) => {
    const res = await fetch(base, { method: "POST", body, headers: { "content-type": "application/json" } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it("parses a valid body and answers with bigints as strings", async () => {
    const base = await serve(echo);
    const res = await fetch(base, { method: "POST", body: JSON.stringify({ name: "a", amount: "21" }) });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-echo")).toBe("yes");
    expect(await res.json()).toEqual({ name: "a", amount: "42" });
  });

  it("answers 413 for a declared content-length above the limit", async () => {
    const base = await serve(echo);
    const big = JSON.stringify({ name: "x".repeat(MAX_BYTES), amount: "1" });
    expect(await post(base, big)).toEqual({
      status: 413,
      body: { error: "payload_too_large", message: `Body exceeds ${MAX_BYTES} bytes.` },
    });
  });

  it("answers 413 for a streamed body above the limit (no content-length)", async () => {
    const base = await serve(echo);
    const res = await postChunked(base, ['{"name":"', "y".repeat(40), "z".repeat(40), '","amount":"1"}']);
    expect(res).toEqual({
      status: 413,
      body: { error: "payload_too_large", message: `Body exceeds ${MAX_BYTES} bytes.` },
    });
  });

  it("accepts a streamed body within the limit", async () => {
    const base = await serve(echo);
    expect(await postChunked(base, ['{"name":"s",', '"amount":"5"}'])).toEqual({
      status: 200,
      body: { name: "s", amount: "10" },
    });
  });

  it.each([
    ["not JSON", "{name:", "(body)", "Body is not valid JSON."],
    ["an empty body", "", "(body)", "Body is not valid JSON."],
    ["an array", "[1,2]", "(body)", "Body must be a JSON object."],
    ["null", "null", "(body)", "Body must be a JSON object."],
    ["a number", "7", "(body)", "Body must be a JSON object."],
    ["an unknown key", '{"name":"a","amount":"1","extra":1}', "extra", "Field extra is not allowed."],
    ["a missing field", '{"name":"a"}', "amount", "Field amount is required."],
    ["a field of the wrong type", '{"name":"a","amount":5}', "amount", "Field amount is invalid: "],
    [
      "a field failing a rule",
      '{"name":"a","amount":"1.5"}',
      "amount",
      "Field amount must be a string of digits.",
    ],
  ])("answers 400 naming the field for %s", async (_what, body, field, message) => {
    const base = await serve(echo);
    const res = await post(base, body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("invalid_request");
    expect(res.body.field).toBe(field);
    expect(String(res.body.message).startsWith(message)).toBe(true);
  });

  it("names a nested field by its path", () => {
    const nested = z.strictObject({ outer: z.strictObject({ inner: z.number() }) });
    try {
      parseJsonObject(nested, { outer: { inner: "x" } });
      expect.unreachable("parseJsonObject accepted a bad nested field");
    } catch (err) {
      expect(err).toBeInstanceOf(HttpError);
      expect((err as HttpError).body.field).toBe("outer.inner");
    }
  });
});

describe("HttpError", () => {
  it("is a non-retryable keeper error carrying status and body", () => {
    const e = invalidField("asset", "Field asset is not a configured asset.");
    expect(e).toBeInstanceOf(NonRetryableError);
    expect(e.retryable).toBe(false);
    expect(e.code).toBe("HTTP_REQUEST_REFUSED");
    expect(e.status).toBe(400);
    expect(e.body).toEqual({
      error: "invalid_request",
      field: "asset",
      message: "Field asset is not a configured asset.",
    });
    expect(e.shortMessage).toBe("Field asset is not a configured asset.");
    expect(new HttpError(405, { error: "method_not_allowed" }).shortMessage).toBe("method_not_allowed");
  });
});

describe("listen / closeServer", () => {
  it("resolves with the bound port", async () => {
    const server = createServer((_req, res) => sendJson(res, 200, { ok: true }));
    servers.push(server);
    const port = await listen(server, 0, "127.0.0.1");
    expect(port).toBeGreaterThan(0);
    expect((server.address() as AddressInfo).port).toBe(port);
    expect(await (await fetch(`http://127.0.0.1:${port}`)).json()).toEqual({ ok: true });
  });

  it("rejects when the port is taken", async () => {
    const first = createServer();
    servers.push(first);
    const port = await listen(first, 0, "127.0.0.1");
    const second = createServer();
    await expect(listen(second, port, "127.0.0.1")).rejects.toMatchObject({ code: "EADDRINUSE" });
    expect(second.listening).toBe(false);
  });

  it("resolves for a server that never listened and for one closed twice", async () => {
    await expect(closeServer(createServer())).resolves.toBeUndefined();
    const server = createServer();
    await listen(server, 0, "127.0.0.1");
    await closeServer(server);
    expect(server.listening).toBe(false);
    await expect(closeServer(server)).resolves.toBeUndefined();
  });

  /** A server whose requests hang until `release()`; `busy` resolves when one has arrived. */
  async function hangingServer() {
    let release = () => {};
    let arrived = () => {};
    const busy = new Promise<void>((r) => {
      arrived = r;
    });
    const server = createServer((_req, res) => {
      release = () => sendJson(res, 200, { done: true });
      arrived();
    });
    const port = await listen(server, 0, "127.0.0.1");
    const answer = new Promise<{ status: number } | { error: string }>((resolve) => {
      const req = request({ host: "127.0.0.1", port, path: "/", headers: { connection: "close" } }, (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
      });
      req.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
      req.end();
    });
    await busy;
    return { server, answer, release: () => release() };
  }

  it("with no grace closes a busy connection at once", async () => {
    const { server, answer } = await hangingServer();
    await closeServer(server);
    expect(await answer).toEqual({ error: "ECONNRESET" });
  });

  it("with a grace lets a busy request finish", async () => {
    const { server, answer, release } = await hangingServer();
    const closed = closeServer(server, 60_000);
    expect(server.listening).toBe(false);
    release();
    expect(await answer).toEqual({ status: 200 });
    await closed;
  });
});

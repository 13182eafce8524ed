import type { Hex } from "viem";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CctpTransferEvent } from "../../bus/types.ts";
import { CctpRouteUnsupportedError } from "../../cctp/transfer/errors.ts";
import { testCctpSetup } from "../../cctp/transfer/testSupport.ts";
import type { TransferRequest, TransferResult } from "../../cctp/transfer/transferClient.ts";
import { HttpError } from "../../internal/http.ts";
import { silentLogger } from "../../sources/logs.ts";
import { type CctpTransferApi, createCctpTransferApi, parseTransferRequest } from "./api.ts";
import { CctpServiceStoppedError } from "./errors.ts";
import { createTransferRegistry, type TransferRegistry } from "./transferRegistry.ts";
import type { TransferHandle } from "./transferService.ts";

const setup = testCctpSetup();
const HOME = setup.chainByName("home")!;
const REMOTE = setup.chainByName("remote")!;
const ctx = { setup, decimals: () => 6 };
const hash = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;

/** A transfer the test drives: emit(event), end(result), fail(error). */
type Driven = {
  request: TransferRequest | { chain: string; burnTxHash: Hex; transferId?: string };
  emit(e: Partial<CctpTransferEvent> & { event: CctpTransferEvent["event"] }): void;
  end(result: Partial<TransferResult>): void;
  fail(error: unknown): void;
};

function fakeService() {
  const driven = new Map<string, Driven>();
  function handle(transferId: string, request: Driven["request"]): TransferHandle {
    const events: CctpTransferEvent[] = [];
    const listeners = new Set<(e: CctpTransferEvent) => void>();
    let resolve!: (r: TransferResult) => void;
    let reject!: (e: unknown) => void;
    const done = new Promise<TransferResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    done.catch(() => {});
    driven.set(transferId, {
      request,
      emit(partial) {
        const e = {
          type: "cctp.transfer",
          transferId,
          assetId: "dusd",
          version: 2,
          speed: "standard",
          sourceChainId: HOME.chainId,
          destinationChainId: REMOTE.chainId,
          sourceDomain: 0,
          destinationDomain: 6,
          amount: 5_000_000n,
          ...partial,
        } as CctpTransferEvent;
        events.push(e);
        for (const l of listeners) l(e);
      },
      end: (r) => resolve(r as TransferResult),
      fail: (e) => reject(e),
    });
    return {
      transferId,
      events,
      onEvent(l) {
        listeners.add(l);
        return () => listeners.delete(l);
      },
      done,
    };
  }
  return {
    driven,
    service: {
      submit(request: TransferRequest): TransferHandle {
        if (request.speed === "fast" && request.version === 1)
          throw new CctpRouteUnsupportedError({ route: "home -> remote", reason: "fast needs V2" });
        return handle(request.requestId!, request);
      },
      resume(args: { chain: string; burnTxHash: Hex; transferId?: string }): TransferHandle {
        return handle(args.transferId!, args);
      },
    },
  };
}

describe("parseTransferRequest", () => {
  const ok = { asset: "dusd", from: "home", to: "remote", amount: "12.5" };
  const field = (body: unknown) => {
    try {
      parseTransferRequest(body, ctx);
    } catch (e) {
      expect(e).toBeInstanceOf(HttpError);
      return [(e as HttpError).status, (e as HttpError).body.field, (e as HttpError).body.message];
    }
    throw new Error("accepted");
  };

  it("turns a valid body into a transfer request (token units to base units)", () => {
    expect(
      parseTransferRequest(
        {
          ...ok,
          speed: "fast",
          maxFee: "0.01",
          recipient: "0x00000000000000000000000000000000000000ab",
          hook: "treasury:cust-1",
          version: 2,
          requestId: "order-1",
        },
        ctx,
      ),
    ).toMatchObject({
      token: { type: "asset", assetId: "dusd" },
      from: "home",
      to: "remote",
      amount: 12_500_000n,
      speed: "fast",
      maxFee: 10_000n,
      recipient: "0x00000000000000000000000000000000000000AB",
      hook: { type: "treasury" },
      version: 2,
      requestId: "order-1",
    });
    expect(parseTransferRequest({ ...ok, asset: "usdc" }, ctx)).toMatchObject({
      token: { type: "usdc" },
      speed: "standard",
    });
  });

  it("names the field of every bad input", () => {
    expect(field({ ...ok, asset: "eurx" })).toEqual([
      400,
      "asset",
      'Field asset is not a CCTP asset ("eurx"); assets: usdc, dusd.',
    ]);
    expect(field({ ...ok, from: "mars" })[1]).toBe("from");
    expect(field({ ...ok, to: "home" })).toEqual([400, "to", 'Field to must differ from from ("home").']);
    expect(field({ ...ok, amount: "1.0000001" })).toEqual([
      400,
      "amount",
      'Field amount has more than 6 decimals ("1.0000001").',
    ]);
    expect(field({ ...ok, amount: "-1" })[1]).toBe("amount");
    expect(field({ ...ok, amount: 5 })[1]).toBe("amount");
    expect(field({ ...ok, amount: "0" })).toEqual([400, "amount", "Field amount must be above 0."]);
    expect(field({ ...ok, extra: 1 })).toEqual([400, "extra", "Field extra is not allowed."]);
    expect(field({ from: "home", to: "remote", amount: "1" })).toEqual([
      400,
      "asset",
      "Field asset is required.",
    ]);
    expect(field({ ...ok, speed: "warp" })[1]).toBe("speed");
    expect(field({ ...ok, maxFee: "1" })).toEqual([
      400,
      "maxFee",
      "Field maxFee only applies to fast transfers (speed fast).",
    ]);
    expect(field({ ...ok, recipient: "0x12" })[1]).toBe("recipient");
    expect(field({ ...ok, hook: "vault:x" })[1]).toBe("hook");
    expect(field({ ...ok, version: 3 })[1]).toBe("version");
    expect(field({ ...ok, requestId: "a:b" })[1]).toBe("requestId");
    expect(field([ok])).toEqual([400, "(body)", "Body must be a JSON object."]);
  });

  it("refuses an asset that does not live on a chain of the route", () => {
    const only = { setup, decimals: (_t: unknown, chain: string) => (chain === "home" ? 6 : undefined) };
    expect(() => parseTransferRequest(ok, only)).toThrow(
      "Field asset dusd does not live on chain remote (field to).",
    );
  });
});

describe("the CCTP transfer API (fake service)", () => {
  let api: CctpTransferApi;
  let registry: TransferRegistry;
  let fake: ReturnType<typeof fakeService>;
  let base: string;
  let healthOk = true;

  beforeEach(async () => {
    fake = fakeService();
    registry = createTransferRegistry({ service: fake.service, maxTransfers: 100 });
    healthOk = true;
    api = createCctpTransferApi({
      ...ctx,
      host: "127.0.0.1",
      port: 0,
      maxBodyBytes: 1_024,
      registry,
      health: () => ({ ok: healthOk, details: { pausedAssets: { dusd: [HOME.chainId] } } }),
      logger: silentLogger,
    });
    base = `http://127.0.0.1:${await api.start()}`;
  });
  afterEach(async () => {
    await api.stop();
  });

  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
  };
  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const transfer = { asset: "dusd", from: "home", to: "remote", amount: "5", requestId: "r1" };

  it("accepts a transfer (202), is idempotent on requestId and refuses the id with another request (409)", async () => {
    const first = await post("/v1/transfers", transfer);
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ transferId: "r1", status: "pending", created: true });
    expect(first.headers.get("location")).toBe("/v1/transfers/r1");
    const again = await post("/v1/transfers", transfer);
    expect(again.body).toEqual({ transferId: "r1", status: "pending", created: false });
    expect(fake.driven.size).toBe(1);
    const conflict = await post("/v1/transfers", { ...transfer, amount: "6" });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ error: "conflict", field: "requestId" });
    const noId = await post("/v1/transfers", { ...transfer, requestId: undefined });
    expect(noId.body.transferId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("reports the lifecycle: held with its reason, then burned, attested, received", async () => {
    await post("/v1/transfers", transfer);
    const d = fake.driven.get("r1")!;
    d.emit({ event: "held", stage: "burn", pausedChainIds: [HOME.chainId], hold: 1 });
    const held = await get("/v1/transfers/r1");
    expect(held.body).toMatchObject({
      transferId: "r1",
      kind: "transfer",
      status: "held",
      asset: "dusd",
      from: "home",
      to: "remote",
      amount: "5000000",
      held: { stage: "burn", pausedChainIds: [HOME.chainId], hold: 1 },
    });
    expect((await get("/v1/transfers?status=held")).body.transfers).toHaveLength(1);
    expect((await get("/v1/transfers?status=received")).body.transfers).toHaveLength(0);
    d.emit({ event: "resumed", stage: "burn", hold: 1, heldMs: 5 });
    expect((await get("/v1/transfers/r1")).body.status).toBe("pending");
    d.emit({ event: "burned", burnTxHash: hash(1), blockNumber: 7n, logIndex: 0, maxFee: 0n, hook: false });
    expect((await get("/v1/transfers/r1")).body).toMatchObject({ status: "burned", burnTxHash: hash(1) });
    d.emit({
      event: "attested",
      burnTxHash: hash(1),
      nonce: hash(2),
      messageHash: hash(3),
      feeExecuted: 0n,
      finalityThresholdExecuted: 2000,
      polls: 3,
      waitMs: 1500,
    });
    d.emit({
      event: "received",
      burnTxHash: hash(1),
      nonce: hash(2),
      receiveTxHash: hash(4),
      blockNumber: 9n,
      received: 5_000_000n,
      fee: 0n,
      via: "transmitter",
    });
    d.end({ type: "received" });
    const done = await get("/v1/transfers/r1");
    expect(done.body).toMatchObject({
      status: "received",
      burnTxHash: hash(1),
      attestation: { nonce: hash(2), polls: 3 },
      receive: { receiveTxHash: hash(4), received: "5000000", fee: "0" },
      holds: [{ stage: "burn", hold: 1 }],
    });
    expect((done.body.events as { event: string }[]).map((e) => e.event)).toEqual([
      "held",
      "resumed",
      "burned",
      "attested",
      "received",
    ]);
  });

  it("reports failed with the reason, and interrupted when the service stopped first", async () => {
    await post("/v1/transfers", transfer);
    await post("/v1/transfers", { ...transfer, requestId: "r2" });
    fake.driven.get("r1")!.fail(new CctpRouteUnsupportedError({ route: "home -> remote", reason: "x" }));
    fake.driven.get("r2")!.fail(new CctpServiceStoppedError({ transferId: "r2" }));
    await new Promise((r) => setImmediate(r));
    expect((await get("/v1/transfers/r1")).body).toMatchObject({
      status: "failed",
      error: { code: "CCTP_ROUTE_UNSUPPORTED", reason: "CCTP route home -> remote is not supported: x." },
    });
    expect((await get("/v1/transfers/r2")).body.status).toBe("interrupted");
  });

  it("resumes from a burn (idempotent while it runs) and validates the body", async () => {
    const body = { chain: "home", burnTxHash: hash(0xab) };
    const r = await post("/v1/transfers/resume", body);
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ transferId: `resume:home:${hash(0xab)}`, status: "pending", created: true });
    expect((await post("/v1/transfers/resume", body)).body.created).toBe(false);
    fake.driven.get(`resume:home:${hash(0xab)}`)!.fail(new CctpServiceStoppedError({ transferId: "x" }));
    await new Promise((r) => setImmediate(r));
    expect((await post("/v1/transfers/resume", body)).body.created).toBe(true); // interrupted: again
    expect(
      (await get(`/v1/transfers/${encodeURIComponent(`resume:home:${hash(0xab)}`)}`)).body,
    ).toMatchObject({ kind: "resume", from: "home", burnTxHash: hash(0xab), status: "pending" });
    expect((await post("/v1/transfers/resume", { chain: "mars", burnTxHash: hash(1) })).body).toMatchObject({
      field: "chain",
    });
    expect((await post("/v1/transfers/resume", { chain: "home", burnTxHash: "0x12" })).body.field).toBe(
      "burnTxHash",
    );
  });

  it("answers 400 / 404 / 405 / 413, refuses route errors from the planner, and 503 while draining", async () => {
    const notJson = await post("/v1/transfers", "{not json");
    expect(notJson.status).toBe(400);
    expect(notJson.body).toMatchObject({ field: "(body)", message: "Body is not valid JSON." });
    const route = await post("/v1/transfers", { ...transfer, speed: "fast", version: 1 });
    expect(route.status).toBe(400);
    expect(route.body.field).toBe("to");
    expect((await get("/v1/transfers/nope")).status).toBe(404);
    expect((await get("/v2/nothing")).status).toBe(404);
    expect((await get("/v1/transfers?status=lost")).body.field).toBe("status");
    expect((await get("/v1/transfers?colour=red")).body.field).toBe("colour");
    const del = await fetch(`${base}/v1/transfers/r1`, { method: "DELETE" });
    expect(del.status).toBe(405);
    expect(del.headers.get("allow")).toBe("GET, HEAD");
    const big = await post("/v1/transfers", { ...transfer, hook: "x".repeat(2_000) });
    expect(big.status).toBe(413);
    expect((await get("/healthz")).body).toEqual({
      status: "ok",
      ok: true,
      details: { pausedAssets: { dusd: [HOME.chainId] } },
    });
    api.drain();
    expect((await post("/v1/transfers", transfer)).status).toBe(503);
    expect((await get("/healthz")).status).toBe(503);
  });

  it("answers 503 on /healthz while the service is not ready", async () => {
    healthOk = false;
    expect((await get("/healthz")).body).toMatchObject({ status: "unavailable", ok: false });
  });
});

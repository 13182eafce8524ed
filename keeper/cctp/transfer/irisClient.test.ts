import { describe, expect, it } from "vitest";
import { AttestationApiUnavailableError, AttestationResponseInvalidError } from "./errors.ts";
import { createIrisClient } from "./irisClient.ts";

const TX = `0x${"ab".repeat(32)}` as const;

/** A fetch answering every request with `status` and `body` (string or JSON), recording the URLs. */
function fakeFetch(status: number, body: unknown) {
  const urls: string[] = [];
  const fetch = (async (url: string) => {
    urls.push(String(url));
    return new Response(typeof body === "string" ? body : JSON.stringify(body), { status });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, urls };
}

const complete = {
  message: "0x0102",
  eventNonce: "0x99",
  attestation: "0xaabb",
  cctpVersion: 2,
  status: "complete",
  delayReason: null,
  decodedMessage: { sourceDomain: "0" },
  forwardState: "PENDING",
};

describe("iris client", () => {
  it("treats 404 as not seen yet and builds the documented URL", async () => {
    const f = fakeFetch(404, { error: "Message not found" });
    const iris = createIrisClient({ baseUrl: "http://127.0.0.1:8790/", fetch: f.fetch });
    expect(await iris.getMessages({ sourceDomain: 6, transactionHash: TX })).toEqual({ type: "not_found" });
    expect(f.urls).toEqual([`http://127.0.0.1:8790/v2/messages/6?transactionHash=${TX}`]);
  });

  it("parses pending and complete messages (extra fields accepted, string versions coerced)", async () => {
    const pending = {
      ...complete,
      message: "0x",
      attestation: "PENDING",
      status: "pending_confirmations",
      cctpVersion: "2",
      delayReason: "insufficient_fee",
    };
    const f = fakeFetch(200, { messages: [pending, complete] });
    const iris = createIrisClient({ baseUrl: "https://iris-api.circle.com", fetch: f.fetch });
    expect(await iris.getMessages({ sourceDomain: 0, nonce: "0x99" })).toEqual({
      type: "found",
      messages: [
        {
          message: "0x",
          eventNonce: "0x99",
          attestation: undefined,
          cctpVersion: 2,
          status: "pending_confirmations",
          delayReason: "insufficient_fee",
        },
        {
          message: "0x0102",
          eventNonce: "0x99",
          attestation: "0xaabb",
          cctpVersion: 2,
          status: "complete",
          delayReason: null,
        },
      ],
    });
    expect(f.urls[0]).toBe("https://iris-api.circle.com/v2/messages/0?nonce=0x99");
  });

  it("names the malformed field", async () => {
    const cases: [unknown, string][] = [
      [{ messages: [{ ...complete, status: "done" }] }, "messages[0].status"],
      [{ messages: [{ ...complete, attestation: 42 }] }, "messages[0].attestation"],
      [{ messages: [{ ...complete, cctpVersion: 3 }] }, "messages[0].cctpVersion"],
      [{ messages: [{ ...complete, attestation: "PENDING" }] }, "messages[0].attestation"],
      [{ messages: [{ ...complete, message: "0x" }] }, "messages[0].message"],
      [{ messages: [complete, { ...complete, eventNonce: undefined }] }, "messages[1].eventNonce"],
      [{ msgs: [] }, "messages"],
      ["not json", "(body)"],
    ];
    for (const [body, field] of cases) {
      const iris = createIrisClient({ baseUrl: "http://127.0.0.1:1", fetch: fakeFetch(200, body).fetch });
      const err = await iris.getMessages({ sourceDomain: 0, transactionHash: TX }).catch((e: unknown) => e);
      expect(err, field).toBeInstanceOf(AttestationResponseInvalidError);
      expect((err as AttestationResponseInvalidError).field, JSON.stringify(body)).toBe(field);
      expect((err as Error).message).toContain(`invalid ${field}`);
    }
  });

  it("reports HTTP errors, network errors and timeouts as retryable unavailability", async () => {
    for (const status of [500, 503, 429, 400]) {
      const iris = createIrisClient({ baseUrl: "http://127.0.0.1:1", fetch: fakeFetch(status, "x").fetch });
      const err = await iris.getMessages({ sourceDomain: 0, transactionHash: TX }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AttestationApiUnavailableError);
      expect((err as AttestationApiUnavailableError).status).toBe(status);
      expect((err as AttestationApiUnavailableError).retryable).toBe(true);
    }
    const refused = createIrisClient({ baseUrl: "http://127.0.0.1:1", requestTimeoutMs: 500 });
    await expect(refused.getFees({ sourceDomain: 0, destinationDomain: 6 })).rejects.toThrow(
      "Attestation API /v2/burn/USDC/fees/{source}/{destination} is unavailable (network).",
    );
    const slow = createIrisClient({
      baseUrl: "http://127.0.0.1:1",
      requestTimeoutMs: 20,
      fetch: ((_u: string, init: RequestInit) =>
        new Promise((_r, reject) =>
          init.signal?.addEventListener("abort", () => reject(init.signal?.reason)),
        )) as never,
    });
    await expect(slow.getFastAllowance()).rejects.toThrow("(timeout)");
  });

  it("reads fees, the fast allowance and V1 attestations", async () => {
    const fees = createIrisClient({
      baseUrl: "http://x.localhost",
      fetch: fakeFetch(200, [
        { finalityThreshold: 1000, minimumFee: 1.3, forwardFee: { low: 1 } },
        { finalityThreshold: 2000, minimumFee: 0 },
      ]).fetch,
    });
    expect(await fees.getFees({ sourceDomain: 0, destinationDomain: 6 })).toEqual([
      { finalityThreshold: 1000, minimumFeeBps: 1.3 },
      { finalityThreshold: 2000, minimumFeeBps: 0 },
    ]);
    const bad = createIrisClient({
      baseUrl: "http://x.localhost",
      fetch: fakeFetch(200, [{ finalityThreshold: 1000, minimumFee: -1 }]).fetch,
    });
    await expect(bad.getFees({ sourceDomain: 0, destinationDomain: 6 })).rejects.toThrow(
      "invalid [0].minimumFee",
    );
    const allowance = createIrisClient({
      baseUrl: "http://x.localhost",
      fetch: fakeFetch(200, { allowance: 12.5, lastUpdated: "2025-01-01T00:00:00Z" }).fetch,
    });
    expect(await allowance.getFastAllowance()).toEqual({
      allowance: 12.5,
      lastUpdated: "2025-01-01T00:00:00Z",
    });
    const v1 = (status: number, body: unknown) =>
      createIrisClient({ baseUrl: "http://x.localhost", fetch: fakeFetch(status, body).fetch });
    expect(await v1(404, {}).getV1Attestation(TX)).toEqual({ type: "not_found" });
    expect(
      await v1(200, { attestation: null, status: "pending_confirmations" }).getV1Attestation(TX),
    ).toEqual({ type: "pending" });
    expect(await v1(200, { attestation: "0xab", status: "complete" }).getV1Attestation(TX)).toEqual({
      type: "complete",
      attestation: "0xab",
    });
    await expect(v1(200, { attestation: null, status: "complete" }).getV1Attestation(TX)).rejects.toThrow(
      "invalid attestation",
    );
  });
});

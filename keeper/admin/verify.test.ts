import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { sortAddresses } from "../internal/breakerTypedData.ts";
import type { BreakerRequest, BreakerSignature, UpdateSignersBreakerRequest } from "./requests.ts";
import { digestOf } from "./requests.ts";
import { signBreakerRequest } from "./sign.ts";
import {
  type BreakerState,
  checkTarget,
  type SignatureInput,
  signatureShapeProblem,
  verifySubmission,
} from "./verify.ts";

const key = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;
const accounts = [1, 2, 3, 4].map((n) => privateKeyToAccount(key(0x1000 + n)));
const [a, b, c, foreign] = accounts as [
  (typeof accounts)[0],
  (typeof accounts)[0],
  (typeof accounts)[0],
  (typeof accounts)[0],
];
const set = sortAddresses([a.address, b.address, c.address]);
const breaker = "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707" as Address;
const otherBreaker = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0" as Address;
const submitter = "0x00000000000000000000000000000000000000a1" as Address;
const NOW = new Date("2025-06-01T00:00:00Z");
const nowSeconds = BigInt(NOW.getTime() / 1000);

function unpauseRequest(over: Partial<BreakerRequest> = {}): BreakerRequest {
  return {
    kind: "unpause",
    asset: "dusd",
    chain: "home",
    chainId: 31337,
    breaker,
    nonce: 3n,
    deadline: nowSeconds + 3_600n,
    reason: "reserves restored",
    preparedAt: NOW.toISOString(),
    current: { signers: set, threshold: 2 },
    ...over,
  } as BreakerRequest;
}

function state(over: Partial<BreakerState> = {}): BreakerState {
  return {
    signers: set,
    threshold: 2n,
    nonce: 3n,
    paused: true,
    blockTimestamp: nowSeconds + 10n,
    submitter,
    submitterIsKeeper: false,
    ...over,
  };
}

async function sig(
  account: typeof a,
  request: BreakerRequest,
  source = `${account.address}.sig.json`,
): Promise<SignatureInput> {
  const { signature } = await signBreakerRequest({ request, account, now: () => NOW });
  return { source, signature };
}

const codes = (v: Awaited<ReturnType<typeof verifySubmission>>) =>
  v.ok ? [] : v.refusals.map((r) => r.code);

describe("verifySubmission", () => {
  it("accepts a quorum in any order and sorts the signatures by ascending signer", async () => {
    const r = unpauseRequest();
    const inputs = [await sig(c, r), await sig(a, r)];
    const v = await verifySubmission(r, inputs, state());
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    const expected = sortAddresses([a.address, c.address]);
    expect(v.signers).toEqual(expected);
    const bySigner = new Map(inputs.map((i) => [i.signature.signer, i.signature.signature]));
    expect(v.signatures).toEqual(expected.map((s) => bySigner.get(s)));
    expect(v.digest).toBe(digestOf(r));
  });

  it("accepts more than the threshold (every signer distinct and in the set)", async () => {
    const r = unpauseRequest();
    const v = await verifySubmission(r, [await sig(a, r), await sig(b, r), await sig(c, r)], state());
    expect(v.ok && v.signers.length).toBe(3);
  });

  it("refuses one signature short", async () => {
    const r = unpauseRequest();
    const v = await verifySubmission(r, [await sig(a, r)], state());
    expect(codes(v)).toEqual(["INSUFFICIENT_SIGNATURES"]);
    expect(!v.ok && v.refusals[0]!.message).toMatch(/1 valid signature .* needs 2/);
  });

  it("refuses a signer outside the set (foreign key), naming it and the file", async () => {
    const r = unpauseRequest();
    const v = await verifySubmission(r, [await sig(a, r), await sig(foreign, r, "foreign.json")], state());
    expect(codes(v)).toEqual(["UNKNOWN_SIGNER", "INSUFFICIENT_SIGNATURES"]);
    const unknown = !v.ok ? v.refusals[0]! : undefined;
    expect(unknown?.message).toContain(foreign.address);
    expect(unknown?.source).toBe("foreign.json");
  });

  it("refuses the same signer twice", async () => {
    const r = unpauseRequest();
    const s = await sig(a, r);
    const v = await verifySubmission(r, [s, { ...s, source: "copy.json" }], state());
    expect(codes(v)).toEqual(["DUPLICATE_SIGNER", "INSUFFICIENT_SIGNATURES"]);
  });

  it("refuses signatures for another chain, breaker or nonce", async () => {
    const r = unpauseRequest();
    for (const other of [
      unpauseRequest({ chainId: 31338, chain: "remote" }),
      unpauseRequest({ breaker: otherBreaker }),
      unpauseRequest({ nonce: 2n }),
      unpauseRequest({ reason: "another reason" }),
    ]) {
      const v = await verifySubmission(r, [await sig(a, other), await sig(b, other)], state());
      expect(codes(v)).toEqual([
        "SIGNATURE_FOR_OTHER_REQUEST",
        "SIGNATURE_FOR_OTHER_REQUEST",
        "INSUFFICIENT_SIGNATURES",
      ]);
    }
  });

  it("refuses a signature file edited to claim the request's digest (recovers to someone else)", async () => {
    const r = unpauseRequest();
    const remote = unpauseRequest({ chainId: 31338, chain: "remote", breaker: otherBreaker });
    const forged = await sig(b, remote);
    const edited: BreakerSignature = { ...forged.signature, chainId: 31337, breaker, digest: digestOf(r) };
    const v = await verifySubmission(
      r,
      [await sig(a, r), { source: "edited.json", signature: edited }],
      state(),
    );
    expect(codes(v)).toEqual(["SIGNATURE_SIGNER_MISMATCH", "INSUFFICIENT_SIGNATURES"]);
  });

  it("refuses a signature that names another signer than the one it recovers to", async () => {
    const r = unpauseRequest();
    const s = await sig(a, r);
    const renamed = { source: "renamed.json", signature: { ...s.signature, signer: b.address } };
    const v = await verifySubmission(r, [s, renamed], state());
    expect(codes(v)).toContain("SIGNATURE_SIGNER_MISMATCH");
  });

  it("refuses malformed signatures: length, high s, bad v", async () => {
    const r = unpauseRequest();
    const good = await sig(b, r);
    const raw = good.signature.signature;
    const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const s = BigInt(`0x${raw.slice(66, 130)}`);
    const v = Number.parseInt(raw.slice(130), 16);
    const highS =
      `${raw.slice(0, 66)}${(N - s).toString(16).padStart(64, "0")}${(v === 27 ? 28 : 27).toString(16)}` as Hex;
    for (const bad of [raw.slice(0, 130) as Hex, highS, `${raw.slice(0, 130)}01` as Hex]) {
      const input = { source: "bad.json", signature: { ...good.signature, signature: bad } };
      const result = await verifySubmission(r, [await sig(a, r), input], state());
      expect(codes(result)).toEqual(["SIGNATURE_MALFORMED", "INSUFFICIENT_SIGNATURES"]);
    }
    expect(signatureShapeProblem(highS)).toMatch(/high/);
    expect(signatureShapeProblem(raw)).toBeUndefined();
  });

  it("refuses an expired request (deadline before the latest block), and accepts deadline == block time", async () => {
    const r = unpauseRequest({ deadline: nowSeconds });
    const inputs = [await sig(a, r), await sig(b, r)];
    expect(codes(await verifySubmission(r, inputs, state({ blockTimestamp: nowSeconds + 1n })))).toEqual([
      "EXPIRED",
    ]);
    expect((await verifySubmission(r, inputs, state({ blockTimestamp: nowSeconds }))).ok).toBe(true);
  });

  it("refuses a replayed request (nonce consumed) and one ahead of the breaker", async () => {
    const r = unpauseRequest();
    const inputs = [await sig(a, r), await sig(b, r)];
    const used = await verifySubmission(r, inputs, state({ nonce: 4n }));
    expect(codes(used)).toEqual(["NONCE_USED"]);
    expect(!used.ok && used.refusals[0]!.message).toMatch(/nonce 3 was already consumed .* at nonce 4/);
    expect(codes(await verifySubmission(r, inputs, state({ nonce: 2n })))).toEqual(["NONCE_AHEAD"]);
  });

  it("refuses an unpause of an active breaker and from a keeper", async () => {
    const r = unpauseRequest();
    const inputs = [await sig(a, r), await sig(b, r)];
    expect(codes(await verifySubmission(r, inputs, state({ paused: false })))).toEqual(["NOT_PAUSED"]);
    expect(codes(await verifySubmission(r, inputs, state({ submitterIsKeeper: true })))).toEqual([
      "SUBMITTER_IS_KEEPER",
    ]);
  });

  it("refuses when the breaker computes another digest", async () => {
    const r = unpauseRequest();
    const inputs = [await sig(a, r), await sig(b, r)];
    const v = await verifySubmission(r, inputs, state({ onChainDigest: `0x${"ab".repeat(32)}` }));
    expect(codes(v)).toEqual(["DIGEST_MISMATCH"]);
    expect((await verifySubmission(r, inputs, state({ onChainDigest: digestOf(r) }))).ok).toBe(true);
  });

  it("reports every failed check at once", async () => {
    const r = unpauseRequest({ deadline: nowSeconds });
    const v = await verifySubmission(
      r,
      [await sig(foreign, r)],
      state({ nonce: 9n, paused: false, submitterIsKeeper: true }),
    );
    expect(codes(v)).toEqual([
      "NONCE_USED",
      "EXPIRED",
      "NOT_PAUSED",
      "SUBMITTER_IS_KEEPER",
      "UNKNOWN_SIGNER",
      "INSUFFICIENT_SIGNATURES",
    ]);
  });

  it("checks signer-set changes against the CURRENT set; paused/keeper do not apply", async () => {
    const newSet = sortAddresses([b.address, c.address, foreign.address]);
    const r: UpdateSignersBreakerRequest = {
      ...unpauseRequest(),
      kind: "updateSigners",
      newSigners: newSet,
      newThreshold: 2,
    };
    const ok = await verifySubmission(
      r,
      [await sig(a, r), await sig(b, r)],
      state({ paused: false, submitterIsKeeper: true }),
    );
    expect(ok.ok).toBe(true);
    // After the rotation a is out: its signature no longer counts.
    const after = unpauseRequest({ nonce: 4n });
    const refused = await verifySubmission(
      after,
      [await sig(a, after), await sig(b, after)],
      state({ nonce: 4n, signers: newSet }),
    );
    expect(codes(refused)).toEqual(["UNKNOWN_SIGNER", "INSUFFICIENT_SIGNATURES"]);
    // An unpause signature does not count for a signer-set change with the same nonce.
    const mixed = await verifySubmission(r, [await sig(a, unpauseRequest()), await sig(b, r)], state());
    expect(codes(mixed)).toEqual(["SIGNATURE_FOR_OTHER_REQUEST", "INSUFFICIENT_SIGNATURES"]);
  });
});

describe("checkTarget", () => {
  const r = unpauseRequest();
  it("passes the configured breaker on the right chain", () => {
    expect(checkTarget(r, { rpcChainId: 31337, configuredBreaker: breaker, breakerHasCode: true })).toEqual(
      [],
    );
  });
  it("refuses an RPC serving another chain, and stops there", () => {
    const refusals = checkTarget(r, {
      rpcChainId: 31338,
      configuredBreaker: otherBreaker,
      breakerHasCode: false,
    });
    expect(refusals.map((x) => x.code)).toEqual(["CHAIN_ID_MISMATCH"]);
    expect(refusals[0]!.message).toMatch(/serves chain 31338, the request is for chain 31337/);
  });
  it("refuses a breaker the config does not name, and a missing contract", () => {
    const refusals = checkTarget(r, {
      rpcChainId: 31337,
      configuredBreaker: otherBreaker,
      breakerHasCode: false,
    });
    expect(refusals.map((x) => x.code)).toEqual(["BREAKER_MISMATCH", "BREAKER_NOT_FOUND"]);
  });
});

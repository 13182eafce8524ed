import { type Address, recoverAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { type BreakerRequest, digestOf } from "./requests.ts";
import { describeRequest, signBreakerRequest } from "./sign.ts";

const member = privateKeyToAccount(`0x${"01".repeat(32)}`);
const stranger = privateKeyToAccount(`0x${"02".repeat(32)}`);
const NOW = new Date("2025-06-01T00:00:00Z");
const request: BreakerRequest = {
  kind: "unpause",
  asset: "dusd",
  chain: "home",
  chainId: 31337,
  breaker: "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707" as Address,
  nonce: 0n,
  deadline: BigInt(NOW.getTime() / 1000) + 60n,
  reason: "reserves restored",
  preparedAt: NOW.toISOString(),
  current: { signers: [member.address], threshold: 1 },
};

describe("signBreakerRequest (offline)", () => {
  it("signs the request's digest and records who signed what", async () => {
    const { signature, warnings } = await signBreakerRequest({ request, account: member, now: () => NOW });
    expect(warnings).toEqual([]);
    expect(signature).toMatchObject({
      kind: "unpause",
      chainId: 31337,
      breaker: request.breaker,
      nonce: 0n,
      digest: digestOf(request),
      signer: member.address,
    });
    expect(await recoverAddress({ hash: digestOf(request), signature: signature.signature })).toBe(
      member.address,
    );
  });

  it("warns when the key is not in the set recorded at prepare time", async () => {
    const { warnings } = await signBreakerRequest({ request, account: stranger, now: () => NOW });
    expect(warnings[0]).toMatch(new RegExp(`${stranger.address} was not in the breaker's signer set`));
  });

  it("refuses a request past its deadline by the local clock", async () => {
    const later = new Date(NOW.getTime() + 61_000);
    await expect(signBreakerRequest({ request, account: member, now: () => later })).rejects.toThrow(
      /EXPIRED/,
    );
  });

  it("shows what is signed, and that a signer-set change's reason is only a note", () => {
    expect(describeRequest(request).join("\n")).toMatch(/UNPAUSE .*nonce +0.*reserves restored.*digest/s);
    const rotate: BreakerRequest = {
      ...request,
      kind: "updateSigners",
      newSigners: [stranger.address],
      newThreshold: 1,
    };
    expect(describeRequest(rotate).join("\n")).toMatch(
      /CHANGE THE SIGNER SET.*not part of the signed data.*new set +1 of 1/s,
    );
  });
});

import { describe, expect, it } from "vitest";
import { parseConfig } from "../../config/load.ts";
import { validConfigInput } from "../../config/testFixtures.ts";
import { ConfigError } from "../../internal/errors.ts";
import { CctpRouteUnsupportedError } from "./errors.ts";
import { assetIdOf, chooseRoute, resolveCctpSetup, tokenOn, tokenRefOf } from "./setup.ts";
import { CCTP_ADDR, cctpConfigInput, testCctpSetup } from "./testSupport.ts";

describe("resolveCctpSetup", () => {
  it("joins CCTP chains with chain ids and RPC URLs, assets with their tokens and breakers", () => {
    const setup = testCctpSetup();
    expect(setup.chains.map((c) => [c.chain, c.chainId, c.domain])).toEqual([
      ["home", 31337, 0],
      ["remote", 31338, 6],
    ]);
    expect(setup.chainByDomain(6)?.chain).toBe("remote");
    expect(setup.assets[0]?.deployments.map((d) => d.chainId)).toEqual([31337, 31338]);
  });

  it("is a ConfigError without a cctp section or with an unknown chain", () => {
    const config = parseConfig(validConfigInput(), { env: {} }).config;
    expect(() => resolveCctpSetup(config)).toThrow(/cctp: is required/);
    const input = cctpConfigInput();
    (input.chains[1] as { chain: string }).chain = "mars";
    const bad = parseConfig({ ...validConfigInput(), cctp: input }, { env: {} }).config;
    const err = (() => {
      try {
        resolveCctpSetup(bad);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      { path: "cctp.chains[1].chain", message: 'unknown chain "mars"; chains are: home, remote' },
    ]);
  });
});

describe("chooseRoute", () => {
  it("uses V2 when both ends support it", () => {
    expect(chooseRoute(testCctpSetup(), { from: "home", to: "remote" }).version).toBe(2);
  });

  it("falls back to V1 when one end is V1-only, and honours a forced version", () => {
    const input = cctpConfigInput();
    (input.chains[1] as { versions: number[] }).versions = [1];
    const setup = testCctpSetup({ chains: input.chains });
    expect(chooseRoute(setup, { from: "home", to: "remote" }).version).toBe(1);
    expect(chooseRoute(testCctpSetup(), { from: "remote", to: "home", version: 1 }).version).toBe(1);
    expect(() => chooseRoute(setup, { from: "home", to: "remote", version: 2 })).toThrow(
      "CCTP route home -> remote is not supported: version 2 is not supported by both ends (home: 1, 2; remote: 1).",
    );
  });

  it("names the route when no version is shared or a chain is unknown", () => {
    const input = cctpConfigInput();
    (input.chains[0] as { versions: number[] }).versions = [2];
    delete (input.chains[0] as { v1?: unknown }).v1;
    (input.chains[1] as { versions: number[] }).versions = [1];
    const setup = testCctpSetup({ chains: input.chains });
    expect(() => chooseRoute(setup, { from: "home", to: "remote" })).toThrow(
      "CCTP route home -> remote is not supported: no CCTP version both chains support (home: 2; remote: 1).",
    );
    expect(() => chooseRoute(setup, { from: "home", to: "mars" })).toThrow(CctpRouteUnsupportedError);
    expect(() => chooseRoute(setup, { from: "home", to: "home" })).toThrow(/same chain/);
  });
});

describe("tokens", () => {
  it("finds USDC and asset tokens per chain, and maps a burn token back", () => {
    const setup = testCctpSetup();
    const remote = setup.chainByName("remote")!;
    expect(tokenOn(setup, { type: "usdc" }, remote)).toBe(CCTP_ADDR.remoteUsdc);
    const dusd = tokenOn(setup, { type: "asset", assetId: "dusd" }, remote);
    expect(tokenRefOf(setup, remote, dusd)).toEqual({ type: "asset", assetId: "dusd" });
    expect(
      tokenRefOf(setup, remote, CCTP_ADDR.remoteUsdc.toUpperCase().replace("0X", "0x") as never),
    ).toEqual({
      type: "usdc",
    });
    expect(assetIdOf({ type: "usdc" })).toBe("usdc");
    expect(() => tokenOn(setup, { type: "asset", assetId: "eurx" }, remote)).toThrow(/unknown asset "eurx"/);
  });
});

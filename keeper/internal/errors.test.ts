import { describe, expect, it } from "vitest";
import {
  InvalidArgumentError,
  InvalidDecimalsError,
  InvalidObservationError,
  InvalidPolicyError,
  InvalidReserveAnswerError,
  isRetryable,
  KeeperError,
  NonRetryableError,
  RetryableError,
  redactUrls,
  UnhandledVariantError,
} from "./errors.ts";

class RpcTimeoutError extends RetryableError {
  declare readonly code: "RPC_TIMEOUT";
  constructor({ chainId, cause }: { chainId: number; cause?: unknown }) {
    super({
      shortMessage: `RPC call on chain ${chainId} timed out.`,
      code: "RPC_TIMEOUT",
      details: { chainId },
      cause,
    });
  }
}

class ConfigInvalidError extends NonRetryableError {
  declare readonly code: "CONFIG_INVALID";
  constructor({ details }: { details: Record<string, string> }) {
    super({ shortMessage: "Config file keeper.yaml is invalid.", code: "CONFIG_INVALID", details });
  }
}

describe("KeeperError", () => {
  it("carries shortMessage, code, details, cause, name and a message with one line per detail", () => {
    const cause = new Error("socket hang up\nstack-ish second line");
    const error = new RpcTimeoutError({ chainId: 1, cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(KeeperError);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.name).toBe("RpcTimeoutError");
    expect(error.code).toBe("RPC_TIMEOUT");
    expect(error.shortMessage).toBe("RPC call on chain 1 timed out.");
    expect(error.details).toEqual({ chainId: 1 });
    expect(error.cause).toBe(cause);
    expect(error.message).toBe("RPC call on chain 1 timed out.\n\nchainId: 1\ncause: socket hang up");
  });

  it("has message === shortMessage when there are no details and no cause", () => {
    const error = new ConfigInvalidError({ details: {} });
    expect(error.message).toBe("Config file keeper.yaml is invalid.");
    expect("cause" in error).toBe(false);
  });

  it("renders bigint and array details and skips undefined ones", () => {
    const error = new InvalidArgumentError({ name: "chains", reason: "must not repeat", value: [1n, 2n] });
    expect(error.message).toBe("Argument chains is invalid: must not repeat.\n\nname: chains\nvalue: 1, 2");
    const noValue = new InvalidArgumentError({ name: "x", reason: "r" });
    expect(noValue.message).toBe("Argument x is invalid: r.\n\nname: x");
  });

  it("never renders secrets: sensitive detail keys are redacted", () => {
    const error = new ConfigInvalidError({
      details: { privateKey: "0xdeadbeef", apiKey: "k-123", rpcPassword: "hunter2", mnemonic: "word word" },
    });
    expect(error.message).not.toMatch(/deadbeef|k-123|hunter2|word word/);
    expect(error.message).toContain("privateKey: [redacted]");
  });

  it("never renders secrets: URLs are reduced to their origin (keys live in paths and queries)", () => {
    const error = new RpcTimeoutError({
      chainId: 1,
      cause: new Error("fetch https://user:pw@eth-mainnet.g.alchemy.com/v2/SECRETKEY?key=abc failed"),
    });
    expect(error.message).not.toMatch(/SECRETKEY|abc|user|pw@/);
    expect(error.message).toContain("https://eth-mainnet.g.alchemy.com failed");
    expect(redactUrls("wss://node.example:8546/ws/TOKEN")).toBe("wss://node.example:8546");
  });

  it("lets other modules narrow code to a literal type", () => {
    const error: KeeperError = new ConfigInvalidError({ details: { path: "keeper.yaml" } });
    if (error instanceof ConfigInvalidError) {
      const code: "CONFIG_INVALID" = error.code;
      expect(code).toBe("CONFIG_INVALID");
    }
  });
});

describe("isRetryable", () => {
  it("is true for RetryableError and false for NonRetryableError", () => {
    expect(isRetryable(new RpcTimeoutError({ chainId: 1 }))).toBe(true);
    expect(isRetryable(new ConfigInvalidError({ details: {} }))).toBe(false);
  });

  it("delegates through plain wrapper errors to their cause", () => {
    const wrapped = new Error("outer", {
      cause: new Error("middle", { cause: new RpcTimeoutError({ chainId: 5 }) }),
    });
    expect(isRetryable(wrapped)).toBe(true);
  });

  it("lets the outermost KeeperError decide", () => {
    const error = new ConfigInvalidError({ details: {} });
    Object.defineProperty(error, "cause", { value: new RpcTimeoutError({ chainId: 1 }) });
    expect(isRetryable(error)).toBe(false);
  });

  it("is false for unclassified errors, non-errors and cause cycles", () => {
    expect(isRetryable(new Error("boom"))).toBe(false);
    expect(isRetryable("boom")).toBe(false);
    expect(isRetryable(undefined)).toBe(false);
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    Object.defineProperty(a, "cause", { value: b });
    expect(isRetryable(a)).toBe(false);
  });
});

describe("engine errors", () => {
  it("InvalidDecimalsError names the field and the value", () => {
    const error = new InvalidDecimalsError({ field: "feedDecimals", value: 40 });
    expect(error.code).toBe("DECIMALS_INVALID");
    expect(error.shortMessage).toBe("Decimals feedDecimals must be an integer from 0 to 36, got 40.");
    expect(isRetryable(error)).toBe(false);
  });

  it("InvalidReserveAnswerError names the answer", () => {
    const error = new InvalidReserveAnswerError({ answer: -5n, roundId: 7n });
    expect(error.code).toBe("RESERVE_ANSWER_NOT_POSITIVE");
    expect(error.shortMessage).toBe("Reserve answer must be greater than zero, got -5.");
    expect(error.message).toContain("roundId: 7");
    expect(error).toBeInstanceOf(NonRetryableError);
  });

  it("InvalidObservationError names the observation type and reason", () => {
    const error = new InvalidObservationError({
      observationType: "supply.observed",
      reason: "chain 9 unknown",
    });
    expect(error.code).toBe("OBSERVATION_INVALID");
    expect(error.shortMessage).toBe("Observation supply.observed is invalid: chain 9 unknown.");
  });

  it("InvalidPolicyError names one field, or lists every field", () => {
    const one = new InvalidPolicyError({
      problems: [{ field: "hysteresisBps", message: "must be >= 0, got -1" }],
    });
    expect(one.code).toBe("POLICY_INVALID");
    expect(one.shortMessage).toBe("Policy field hysteresisBps is invalid: must be >= 0, got -1.");
    const two = new InvalidPolicyError({
      problems: [
        { field: "pauseRatioBps", message: "a" },
        { field: "graceSeconds", message: "b" },
      ],
    });
    expect(two.shortMessage).toBe("Policy has 2 invalid fields: pauseRatioBps, graceSeconds.");
    expect(two.message).toContain("pauseRatioBps: a\ngraceSeconds: b");
    expect(two.problems).toHaveLength(2);
  });

  it("UnhandledVariantError names the variant's type", () => {
    const error = new UnhandledVariantError({ subject: "observation", value: { type: "chain.exploded" } });
    expect(error.code).toBe("VARIANT_UNHANDLED");
    expect(error.shortMessage).toBe("Unhandled observation variant chain.exploded.");
  });
});

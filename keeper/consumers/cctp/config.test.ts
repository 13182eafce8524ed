import { describe, expect, it } from "vitest";
import { cctpServiceConfigSchema } from "./config.ts";

describe("cctpServiceConfigSchema", () => {
  it("fills every default", () => {
    expect(cctpServiceConfigSchema.parse({})).toEqual({
      api: { host: "127.0.0.1", port: 8_660, maxBodyBytes: 16_384 },
      metricsPort: 9_466,
      pause: { reconcileIntervalMs: 5_000 },
      maxTrackedTransfers: 10_000,
      shutdownGraceMs: 30_000,
    });
  });

  it("names the field out of range and refuses unknown keys", () => {
    const bad = cctpServiceConfigSchema.safeParse({ pause: { reconcileIntervalMs: 10 } });
    expect(bad.error?.issues[0]).toMatchObject({
      path: ["pause", "reconcileIntervalMs"],
      message: "must be an integer from 100 to 3600000, got 10",
    });
    const unknown = cctpServiceConfigSchema.safeParse({ api: { tls: true } });
    expect(unknown.error?.issues[0]).toMatchObject({ code: "unrecognized_keys", keys: ["tls"] });
  });
});

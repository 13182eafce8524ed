import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { isSensitivePath, pathMatches, SENSITIVE_PATHS, sensitiveLogPaths } from "./introspect.ts";
import { parseConfig } from "./load.ts";
import { kafkaConfigInput, SECRETS } from "./testFixtures.ts";

describe("sensitive paths", () => {
  it("match concrete paths (list indexes for []) and everything under them", () => {
    expect(SENSITIVE_PATHS).toContain("chains[].rpc.http");
    expect(isSensitivePath(["chains", 3, "rpc", "http"])).toBe(true);
    expect(isSensitivePath(["bus", "sasl", "password"])).toBe(true);
    expect(isSensitivePath(["bus", "sasl", "username"])).toBe(false);
    expect(isSensitivePath(["chains", 3, "rpc"])).toBe(false);
    expect(pathMatches(["chains", "x", "rpc", "http"], "chains[].rpc.http")).toBe(false);
  });

  it("sensitiveLogPaths make pino censor the config's secrets", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = pino({ redact: { paths: sensitiveLogPaths(), censor: "[sensitive]" } }, sink);
    const { config } = parseConfig(kafkaConfigInput());
    logger.info(
      { config: JSON.parse(JSON.stringify(config, (_k, v) => (typeof v === "bigint" ? String(v) : v))) },
      "loaded",
    );
    expect(sensitiveLogPaths()).toEqual([
      "config.chains[*].rpc.http",
      "config.chains[*].rpc.ws",
      "config.bus.sasl.password",
      "config.alerts.sinks[*].routingKey",
      "config.alerts.sinks[*].webhookUrl",
      "config.alerts.sinks[*].url",
      "config.alerts.sinks[*].secret",
    ]);
    for (const secret of Object.values(SECRETS)) expect(lines.join("")).not.toContain(secret);
    expect(lines.join("")).toContain('"username":"keeper"');
  });
});

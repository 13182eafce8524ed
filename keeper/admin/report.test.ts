import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createEnvelope, decodeEnvelope, encodeEnvelope } from "../bus/envelope.ts";
import { createInProcessBus } from "../bus/inprocess.ts";
import type { Bus } from "../bus/port.ts";
import type { AdminAction, Envelope } from "../bus/types.ts";
import { BusUnavailableError } from "../internal/errors.ts";
import { createLogger } from "../telemetry/logger.ts";
import { ADMIN_PRODUCER_NAME, createAdminReporter } from "./report.ts";

function capturedLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ level: "info", destination: destination as never }), lines };
}

const action: Omit<AdminAction, "type"> = {
  action: "unpause",
  assetId: "dusd",
  chainId: 31337,
  breaker: "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707",
  actor: "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
  requestDigest: `0x${"ab".repeat(32)}`,
  txHash: `0x${"cd".repeat(32)}`,
  outcome: "succeeded",
  reason: "reserves restored",
};

describe("admin.action on the bus", () => {
  it("round-trips through the envelope codec, keyed by asset (or 'admin'), with a deterministic id", () => {
    const producer = { name: ADMIN_PRODUCER_NAME, keeperId: "k" };
    const payload: AdminAction = { type: "admin.action", ...action };
    const envelope = createEnvelope({ payload, producer });
    expect(envelope).toMatchObject({ type: "admin.action", key: "dusd" });
    expect(decodeEnvelope(encodeEnvelope(envelope))).toStrictEqual(envelope);
    expect(createEnvelope({ payload, producer }).id).toBe(envelope.id);
    const bare: AdminAction = { type: "admin.action", action: "pause", actor: action.actor, outcome: "noop" };
    expect(createEnvelope({ payload: bare, producer }).key).toBe("admin");
    expect(() =>
      encodeEnvelope(createEnvelope({ payload: { ...payload, actor: "0x12" } as AdminAction, producer })),
    ).toThrow(/payload.actor/);
  });

  it("logs and publishes every act on admin.actions; undefined fields are dropped", async () => {
    const { logger, lines } = capturedLogger();
    const bus = createInProcessBus({ keeperId: "k", producerName: ADMIN_PRODUCER_NAME });
    const received: Envelope[] = [];
    await bus.subscribe({
      topics: ["adminActions"],
      groupId: "test",
      onMessage: (e) => {
        received.push(e);
      },
    });
    const reporter = createAdminReporter({ logger, openBus: async () => bus });
    expect(
      await reporter.report({ ...action, txHash: undefined, outcome: "refused", reason: "NONCE_USED: …" }),
    ).toBe(true);
    await bus.idle();
    expect(received).toHaveLength(1);
    expect(received[0]!.type).toBe("admin.action");
    expect(received[0]!.producer.name).toBe(ADMIN_PRODUCER_NAME);
    expect(received[0]!.payload).toStrictEqual({
      type: "admin.action",
      action: "unpause",
      assetId: "dusd",
      chainId: 31337,
      breaker: action.breaker,
      actor: action.actor,
      requestDigest: action.requestDigest,
      outcome: "refused",
      reason: "NONCE_USED: …",
    });
    const logged = lines.map((l) => JSON.parse(l));
    expect(logged[0]).toMatchObject({
      level: "warn",
      msg: "admin action",
      action: "unpause",
      outcome: "refused",
    });
    expect(logged[1]).toMatchObject({ msg: "admin action published", topic: "admin.actions" });
    await reporter.close();
  });

  it("never throws when the bus is down: logs a warning and reports false", async () => {
    const { logger, lines } = capturedLogger();
    const down: Bus = {
      publish: async () => {
        throw new BusUnavailableError({ operation: "publish", topics: ["admin.actions"], attempts: 3 });
      },
      subscribe: async () => {
        throw new Error("unused");
      },
      checkpoints: undefined as never,
      close: async () => {},
    };
    const reporter = createAdminReporter({ logger, openBus: async () => down });
    expect(await reporter.report(action)).toBe(false);
    const failing = createAdminReporter({
      logger,
      openBus: () => Promise.reject(new Error("broker unreachable")),
    });
    expect(await failing.report(action)).toBe(false);
    await failing.close();
    expect(lines.filter((l) => l.includes("could not be published"))).toHaveLength(2);
    expect(await createAdminReporter({ logger }).report(action)).toBe(false);
  });
});

/**
 * Every admin act is logged and published on the bus (topic admin.actions, type admin.action).
 * The payload never carries keys, passwords or signatures (see keeper/bus/types.ts AdminAction).
 *
 * Publishing is best effort AFTER the act: a transaction that was mined stays mined when the bus is
 * down, so a failed publish is logged (warn) and reported back, never thrown.
 */
import type { Bus } from "../bus/port.ts";
import { messageIdOf, topicOf } from "../bus/routing.ts";
import { TOPICS } from "../bus/topics.ts";
import type { AdminAction } from "../bus/types.ts";
import type { Logger } from "../telemetry/logger.ts";

/** Envelope producer name of the admin CLI (and its Kafka transactional-id prefix: never the keeper's). */
export const ADMIN_PRODUCER_NAME = "reserve-keeper-admin";

export type AdminActionReport = Omit<AdminAction, "type">;

export interface AdminReporter {
  /** Logs the act and publishes it; resolves true when the bus took it. Never rejects. */
  report(action: AdminActionReport): Promise<boolean>;
  /** Closes the bus if it was opened. */
  close(): Promise<void>;
}

export type CreateAdminReporterArgs = {
  readonly logger: Logger;
  /** Opens the bus on the first report (undefined: log only, e.g. no config). */
  readonly openBus?: (() => Promise<Bus>) | undefined;
};

/** Strips undefined fields (absent optionals) so the payload matches its strict schema. */
function payloadOf(action: AdminActionReport): AdminAction {
  return Object.fromEntries(
    Object.entries({ type: "admin.action", ...action }).filter(([, v]) => v !== undefined),
  ) as AdminAction;
}

export function createAdminReporter({ logger, openBus }: CreateAdminReporterArgs): AdminReporter {
  const log = logger.child({ component: "admin" });
  let bus: Promise<Bus> | undefined;
  return {
    async report(action) {
      const payload = payloadOf(action);
      const id = messageIdOf(payload);
      const fields = {
        action: payload.action,
        outcome: payload.outcome,
        asset: payload.assetId,
        chain_id: payload.chainId,
        breaker: payload.breaker,
        actor: payload.actor,
        digest: payload.requestDigest,
        tx_hash: payload.txHash,
        reason: payload.reason,
        message_id: id,
      };
      const level = payload.outcome === "failed" || payload.outcome === "refused" ? "warn" : "info";
      log[level](fields, "admin action");
      if (!openBus) return false;
      try {
        bus ??= openBus();
        await (await bus).publish([{ payload }]);
        log.info({ message_id: id, topic: TOPICS[topicOf("admin.action")].name }, "admin action published");
        return true;
      } catch (err) {
        log.warn({ err, message_id: id }, "admin action could not be published on the bus");
        return false;
      }
    },
    async close() {
      if (!bus) return;
      try {
        await (await bus).close();
      } catch {
        // opening failed: already reported
      }
    },
  };
}

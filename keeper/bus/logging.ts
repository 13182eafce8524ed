import { type LogEntry, type logCreator, logLevel } from "kafkajs";
import { pino } from "pino";
import type { Logger } from "../telemetry/logger.ts";

/** A logger that drops everything (default when the caller passes none). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

/**
 * Messages kafkajs logs that are expected and handled, shown at debug level only:
 * - "[Connection] Response …": an error response kafkajs then retries itself (e.g. CONCURRENT_TRANSACTIONS
 *   right after a commit, "The coordinator is loading" on a new broker).
 * - "Limiting retries for the idempotent producer …": we cap kafkajs' own retries on purpose; a failed
 *   transaction is aborted and the producer re-initialised, so no partial batch can become visible.
 */
function isExpectedNoise(namespace: string, message: string): boolean {
  return (
    (namespace === "Connection" && message.startsWith("Response ")) ||
    message.startsWith("Limiting retries for the idempotent producer") ||
    message.startsWith("KafkaJS v2.0.0 switched default partitioner")
  );
}

/**
 * Routes kafkajs' own log lines into the keeper's pino logger (which scrubs secrets by key and by
 * shape). kafkajs never logs SASL passwords; the bus never passes its config to a log line.
 */
export function kafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _t, logger: _l, ...extra } = log;
      const fields = { kafkajs: namespace, ...extra };
      const text = `kafkajs: ${String(message)}`;
      if (isExpectedNoise(namespace, String(message))) return logger.debug(fields, text);
      switch (level) {
        case logLevel.ERROR:
          return logger.error(fields, text);
        case logLevel.WARN:
          return logger.warn(fields, text);
        case logLevel.INFO:
          return logger.info(fields, text);
        default:
          return logger.debug(fields, text);
      }
    };
}

import { startKeeper } from "../main.ts";
import { EXIT, parseOptions, portOption, required } from "./usage.ts";

export const RUN_USAGE = `reserve-keeper run --config <file> [--metrics-port 9464]

Runs the keeper until SIGINT/SIGTERM: backfills from the last checkpoint, follows every chain live,
publishes observations and decisions, pauses breakers on shortfall. Logs are JSON on stderr.`;

/** `reserve-keeper run` */
export async function runRun(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, { config: { type: "string" }, "metrics-port": { type: "string" } });
  const running = await startKeeper({
    config: required(values, "config"),
    metricsPort: portOption(values, "metrics-port"),
  });
  await new Promise<void>((resolve) => {
    const done = (signal: string) => {
      running.logger.info({ signal }, "shutdown requested");
      resolve();
    };
    process.once("SIGINT", () => done("SIGINT"));
    process.once("SIGTERM", () => done("SIGTERM"));
  });
  await running.stop();
  return EXIT.ok;
}

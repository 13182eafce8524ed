import { z } from "zod";
import { describe, intIn } from "../../config/fields.ts";

/**
 * The `cctpService:` section of the keeper config: the long-lived CCTP transfer service
 * (`reserve-keeper cctp serve`, keeper/consumers/cctp/server.ts). Written the way keeper/config/schema.ts
 * writes its sections: strict objects, every leaf with a range and a default, `.meta({ description })`
 * on every leaf (keeper/config/fields.ts). The CCTP contracts, attestation API and attesters are in the
 * `cctp:` section; the signer is the config's `signer`. Nothing here is sensitive.
 */

/** Default port of the transfer service's HTTP API. */
export const DEFAULT_CCTP_API_PORT = 8_660;
/** Default port of the transfer service's /metrics, /healthz, /readyz. */
export const DEFAULT_CCTP_METRICS_PORT = 9_466;

/** Mount as `cctpService: cctpServiceConfigSchema.optional()` in keeper/config/schema.ts. */
export const cctpServiceConfigSchema = z.strictObject({
  api: z
    .strictObject({
      host: describe(
        z.string().min(1).prefault("127.0.0.1"),
        "Address the transfer service's HTTP API binds to (it moves funds: keep it on loopback or behind an authenticating proxy).",
      ),
      port: describe(
        intIn(0, 65_535).prefault(DEFAULT_CCTP_API_PORT),
        "Port of the transfer service's HTTP API (0 = any free port).",
      ),
      maxBodyBytes: describe(intIn(256, 1_048_576).prefault(16_384), "Largest request body accepted, bytes."),
    })
    .prefault({}),
  metricsPort: describe(
    intIn(0, 65_535).prefault(DEFAULT_CCTP_METRICS_PORT),
    "Port of the service's /metrics, /healthz, /readyz (on telemetry.host; 0 = any free port).",
  ),
  pause: z
    .strictObject({
      reconcileIntervalMs: describe(
        intIn(100, 3_600_000).prefault(5_000),
        "Re-read paused() of every asset breaker this often, besides following breakerEvents, ms (with an in-process bus the reads are how the service learns of pauses).",
      ),
    })
    .prefault({}),
  maxTrackedTransfers: describe(
    intIn(10, 1_000_000).prefault(10_000),
    "Transfers kept for GET /v1/transfers; beyond it the oldest ended ones are forgotten (in memory only).",
  ),
  shutdownGraceMs: describe(
    intIn(0, 600_000).prefault(30_000),
    "On SIGINT/SIGTERM, wait this long for transactions in flight to be mined before closing, ms.",
  ),
});

/** The parsed `cctpService:` section. */
export type CctpServiceConfig = z.output<typeof cctpServiceConfigSchema>;
/** What a config file may contain under `cctpService:`. */
export type CctpServiceConfigInput = z.input<typeof cctpServiceConfigSchema>;

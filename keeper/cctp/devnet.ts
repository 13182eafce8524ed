/**
 * The `cctp:` config section for a devnet manifest (its `cctp` part, written by `npm run devnet`): both
 * chains with V1 and V2 contracts, the hook executor and treasury, USDC, the manifest's attesters for
 * both versions, and the local attestation service as the attestation API. DEVNET ONLY.
 */
import type { DevnetManifest } from "../../deploy/devnet/manifest.ts";
import { type CctpConfigInput, DEFAULT_ATTESTATION_SERVICE_PORT } from "./config.ts";

export type DevnetCctpOptions = {
  /** Attestation API base URL (default the local service on its default port). */
  readonly attestationUrl?: string;
  /** Versions per chain name (default [1, 2] everywhere), e.g. { remote: [1] } for a V1-only chain. */
  readonly versions?: Readonly<Record<string, readonly (1 | 2)[]>>;
  /** Attestation API polling (default: 250 ms first interval, 2 s at most, 2 minutes deadline). */
  readonly pollIntervalMs?: number;
  readonly maxPollIntervalMs?: number;
  readonly timeoutMs?: number;
  /** The local attestation service settings (cctp.attestationService). */
  readonly attestationService?: NonNullable<CctpConfigInput["attestationService"]>;
};

/** Throws when the manifest has no cctp section (a devnet brought up before CCTP existed). */
export function devnetCctpConfigDocument(
  manifest: DevnetManifest,
  opts: DevnetCctpOptions = {},
): CctpConfigInput {
  const cctp = manifest.cctp;
  if (cctp === undefined) {
    throw new Error(
      "The devnet manifest has no cctp section; bring the devnet up again with `npm run devnet`.",
    );
  }
  const attesters = { addresses: [...cctp.attesters], threshold: cctp.threshold };
  return {
    attestationApi: {
      url: opts.attestationUrl ?? `http://127.0.0.1:${DEFAULT_ATTESTATION_SERVICE_PORT}`,
      pollIntervalMs: opts.pollIntervalMs ?? 250,
      maxPollIntervalMs: opts.maxPollIntervalMs ?? 2_000,
      timeoutMs: opts.timeoutMs ?? 120_000,
    },
    attesters: { v1: attesters, v2: attesters },
    chains: cctp.chains.map((c) => ({
      chain: c.chain,
      domain: c.domain,
      versions: [...(opts.versions?.[c.chain] ?? [1, 2])],
      v2: {
        tokenMessenger: c.messengerV2,
        messageTransmitter: c.transmitterV2,
        hookExecutor: c.hookExecutor,
      },
      v1: { tokenMessenger: c.messengerV1, messageTransmitter: c.transmitterV1 },
      usdc: c.usdc,
      treasury: c.treasury,
      deployedAtBlock: c.deployedAtBlock,
    })),
    ...(opts.attestationService ? { attestationService: opts.attestationService } : {}),
  };
}

/**
 * One gate sync pass outside the service (`reserve-keeper compliance sync`): the same setup, provider
 * and planning as the service, without the API or the bus. `dryRun` reads and plans only.
 */
import type { PublicClient } from "viem";
import { createComplianceGateWriter } from "../../actions/complianceGateSync.ts";
import { createContractWriter } from "../../actions/contractWriter.ts";
import type { ConfigEnv } from "../../config/load.ts";
import type { KeeperConfig } from "../../config/schema.ts";
import { loadSigner } from "../../config/signer.ts";
import { assertChainId, createChainClients } from "../../sources/clients.ts";
import type { Logger } from "../../telemetry/logger.ts";
import { createMetrics } from "../../telemetry/metrics.ts";
import { ComplianceSetupError } from "./errors.ts";
import { createGateSync, type GateReader, type GateSyncReport } from "./gateSync.ts";
import { createRecordQualifiedPartyVerifier } from "./qualifiedPartyVerifier.ts";
import { createKycProvider, resolveComplianceSetup } from "./service.ts";

export async function runGateSyncOnce({
  config,
  env,
  dryRun,
  logger,
}: {
  config: KeeperConfig;
  env: ConfigEnv;
  dryRun: boolean;
  logger: Logger;
}): Promise<GateSyncReport[]> {
  const setup = resolveComplianceSetup(config);
  const { section } = setup;
  const metrics = createMetrics();
  const clients = setup.chains.map((chain) =>
    createChainClients({ chainId: chain.id, httpUrl: chain.rpc.http, logger, metrics }),
  );
  const provider = await createKycProvider(
    { ...section, kyc: { ...section.kyc, ...(section.kyc.type === "file" ? { watch: false } : {}) } },
    env,
    logger,
    metrics,
  );
  try {
    await Promise.all(clients.map((c) => assertChainId(c.http as unknown as PublicClient, c.chainId)));
    const officer = dryRun ? undefined : await loadSigner(section.signers.complianceOfficer, env);
    if (!dryRun && !officer) {
      throw new ComplianceSetupError({
        problems: ["compliance.signers.complianceOfficer: needed to write (or use --dry-run)"],
      });
    }
    const http = (id: number) => clients.find((c) => c.chainId === id)!.http as unknown as PublicClient;
    const sync = createGateSync({
      targets: setup.gates,
      rules: setup.rules,
      readers: new Map(clients.map((c) => [c.chainId, http(c.chainId) as unknown as GateReader])),
      provider,
      qualifiedParty: createRecordQualifiedPartyVerifier(),
      writer: officer
        ? createComplianceGateWriter({
            writer: createContractWriter({
              account: officer,
              chains: clients.map((c) => ({ chainId: c.chainId, client: http(c.chainId) })),
              logger,
            }),
            batchSize: section.gateSync.batchSize,
            receiptTimeoutMs: section.gateSync.receiptTimeoutMs,
          })
        : undefined,
      accounts: section.gateSync.accounts,
      intervalMs: section.gateSync.intervalMs,
      retry: section.gateSync,
      metrics,
      logger,
    });
    return await sync.runOnce({ dryRun });
  } finally {
    await provider.close?.();
    await Promise.all(clients.map((c) => c.close()));
  }
}

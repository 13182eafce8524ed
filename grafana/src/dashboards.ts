// Every reserve-keeper dashboard, built fresh on each call (builders hand out their internal objects).
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { buildCctpTransfers } from "./cctpTransfers.ts";
import { buildComplianceService } from "./complianceService.ts";
import { buildCustodyService } from "./custodyService.ts";
import { buildKeeperOperations } from "./keeperOperations.ts";
import { buildReserveOverview } from "./reserveOverview.ts";

/** Builds every dashboard, in a stable order. */
export function buildDashboards(): dashboard.Dashboard[] {
  return [
    buildReserveOverview(),
    buildKeeperOperations(),
    buildCustodyService(),
    buildCctpTransfers(),
    buildComplianceService(),
  ];
}

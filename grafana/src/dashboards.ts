// Every reserve-keeper dashboard, built fresh on each call (builders hand out their internal objects).
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { buildKeeperOperations } from "./keeperOperations.ts";
import { buildReserveOverview } from "./reserveOverview.ts";

/** Builds every dashboard, in a stable order. */
export function buildDashboards(): dashboard.Dashboard[] {
  return [buildReserveOverview(), buildKeeperOperations()];
}

/** The custody service: custodian reports, attestation links, custody health, dual-source reserve check. */

export type {
  AttestationCheckRecord,
  AttestationLinkState,
  AttestationRegistry,
  FetchLike,
} from "./attestations.ts";
export { createAttestationRegistry, linkKey, verifyAttestation } from "./attestations.ts";
export type { CompareReservesArgs } from "./compare.ts";
export { compareReserves } from "./compare.ts";
export type {
  CustodyAssetConfig,
  CustodyConfig,
  CustodyConfigInput,
  CustodyProviderConfig,
} from "./config.ts";
export { checkCustodyReferences, custodyConfigSchema } from "./config.ts";
export {
  CustodyProviderRejectedError,
  CustodyProviderUnavailableError,
  CustodyReportInvalidError,
  type ProviderFailureReason,
} from "./errors.ts";
export { createFileCustodyProvider } from "./fileProvider.ts";
export { evaluateCustodyHealth } from "./health.ts";
export { createHttpCustodyProvider } from "./httpProvider.ts";
export type { CustodyPauseRequest, CustodyPauser } from "./pauser.ts";
export { openCustodyPauser } from "./pauser.ts";
export { createCustodyProvider } from "./provider.ts";
export { custodyReportDocument, parseCustodyReport, parseCustodyReportJson } from "./report.ts";
export type { CustodyServer } from "./server.ts";
export { createCustodyServer } from "./server.ts";
export type { AttestationCheckResult, CustodyAssetView, CustodyService } from "./service.ts";
export { createCustodyService } from "./service.ts";
export type * from "./types.ts";

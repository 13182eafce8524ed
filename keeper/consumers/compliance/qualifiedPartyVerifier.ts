import type { QualifiedPartyVerifier } from "./types.ts";

/**
 * QualifiedPartyVerifier that trusts the KYC record's flag (devnet, and providers that attest QP status
 * in the record). A real QP attestation service implements the same port.
 */
export function createRecordQualifiedPartyVerifier(): QualifiedPartyVerifier {
  return {
    name: "record",
    async isQualifiedParty({ record }) {
      return record.qualifiedParty;
    },
  };
}

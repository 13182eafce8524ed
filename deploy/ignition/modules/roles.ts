import { keccak256, toHex } from "viem";

/** AccessControl role ids, computed the way the contracts compute them: keccak256("<NAME>"). */
export const ROLES = {
  DEFAULT_ADMIN_ROLE: `0x${"00".repeat(32)}`,
  MINTER_ROLE: keccak256(toHex("MINTER_ROLE")),
  BURNER_ROLE: keccak256(toHex("BURNER_ROLE")),
  KEEPER_ROLE: keccak256(toHex("KEEPER_ROLE")),
  ISSUER_ROLE: keccak256(toHex("ISSUER_ROLE")),
  COMPLIANCE_ROLE: keccak256(toHex("COMPLIANCE_ROLE")),
} as const;

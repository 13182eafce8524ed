/**
 * Which of the devnet node's well-known, unlocked accounts plays which role.
 * These are Hardhat's public test accounts: never use them, or anything derived from them,
 * on a real network. Commands sign through the node's `eth_sendTransaction`, so no key
 * appears in this code base.
 */
export const DEVNET_ROLE_INDEX = {
  deployer: 0,
  keeper: 1,
  issuer: 2,
  complianceOfficer: 3,
  signer1: 4,
  signer2: 5,
  signer3: 6,
  feedOperator: 0,
  alice: 8,
  bob: 9,
  carol: 10,
  outsider: 11,
} as const;

export type DevnetRole = keyof typeof DEVNET_ROLE_INDEX;

/** Users that receive a KYC record at bring-up (tier 2, US, qualified party, one year). */
export const DEVNET_KYC_USERS: readonly DevnetRole[] = ["alice", "bob", "carol"];

/** Number of unpause signatures required on devnet breakers (2-of-3). */
export const DEVNET_UNPAUSE_THRESHOLD = 2;

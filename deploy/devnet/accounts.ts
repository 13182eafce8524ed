import { toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";

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
  // CCTP devnet: the 2-of-2 attesters (their keys sign attestations, see devnetPrivateKey) and the fee recipient.
  attester1: 15,
  attester2: 16,
  feeRecipient: 17,
} as const;

export type DevnetRole = keyof typeof DEVNET_ROLE_INDEX;

/** Users that receive a KYC record at bring-up (tier 2, US, qualified party, one year). */
export const DEVNET_KYC_USERS: readonly DevnetRole[] = ["alice", "bob", "carol"];

/** Number of unpause signatures required on devnet breakers (2-of-3). */
export const DEVNET_UNPAUSE_THRESHOLD = 2;

/**
 * Hardhat's public test mnemonic: every devnet account derives from it and its keys are printed by
 * `hardhat node` itself. Devnet only — anything holding value on a real network with these keys is lost.
 */
export const HARDHAT_TEST_MNEMONIC = "test test test test test test test test test test test junk";

/** The devnet keeper's private key (Hardhat account #1), for RESERVE_KEEPER_SIGNER_KEY in demos and tests. */
export function devnetPrivateKey(role: DevnetRole): `0x${string}` {
  const account = mnemonicToAccount(HARDHAT_TEST_MNEMONIC, { addressIndex: DEVNET_ROLE_INDEX[role] });
  const key = account.getHdKey().privateKey;
  if (!key) throw new Error(`Could not derive the devnet key of ${role}.`);
  return toHex(key);
}

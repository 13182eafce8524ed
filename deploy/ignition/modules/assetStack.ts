import type { ArgumentType, IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";
import { ROLES } from "./roles.ts";

/**
 * Wires one asset's stack on a chain that carries its PoR feed (the "home" chain):
 * token, verifier, breaker, compliance gate, Secure-Mint minter and redeemer, with every role granted.
 * The deployer (account 0) is the admin; production deployments hand DEFAULT_ADMIN_ROLE to a
 * multisig afterwards (see contracts/README.md).
 */
export function buildHomeStack(m: IgnitionModuleBuilder, feed: ArgumentType) {
  const admin = m.getAccount(0);
  const name = m.getParameter<string>("name");
  const symbol = m.getParameter<string>("symbol");
  const decimals = m.getParameter<number>("decimals", 6);
  const heartbeat = m.getParameter<number>("heartbeatSeconds", 86_400);
  const marginBps = m.getParameter<number>("marginBps", 0);
  const keeper = m.getParameter<string>("keeper");
  const issuer = m.getParameter<string>("issuer");
  const complianceOfficer = m.getParameter<string>("complianceOfficer");
  const signers = m.getParameter<string[]>("unpauseSigners");
  const threshold = m.getParameter<number>("unpauseThreshold");

  const token = m.contract("ReserveBackedStablecoin", [name, symbol, decimals, admin]);
  const verifier = m.contract("ReserveVerifier", [feed, token, heartbeat, marginBps, admin]);
  const breaker = m.contract("ReserveCircuitBreaker", [verifier, admin, keeper, signers, threshold]);
  const gate = m.contract("ComplianceGate", [admin, complianceOfficer]);
  const minter = m.contract("StablecoinMinter", [token, verifier, breaker, gate, admin, issuer]);
  const redeemer = m.contract("StablecoinRedeemer", [token, breaker, gate, admin]);

  m.call(token, "grantRole", [ROLES.MINTER_ROLE, minter], { id: "grantMinterToMinter" });
  m.call(token, "grantRole", [ROLES.BURNER_ROLE, redeemer], { id: "grantBurnerToRedeemer" });

  return { token, verifier, breaker, gate, minter, redeemer };
}

/**
 * Wires the asset on a chain without a PoR feed (a "remote" chain): token, a breaker with no
 * verifier (trip() is unavailable there; the keeper pauses it), gate and redeemer. Supply arrives
 * through `bridgeMinter` (MINTER_ROLE), the stand-in for the CCTP token minter.
 */
export function buildRemoteStack(m: IgnitionModuleBuilder) {
  const admin = m.getAccount(0);
  const name = m.getParameter<string>("name");
  const symbol = m.getParameter<string>("symbol");
  const decimals = m.getParameter<number>("decimals", 6);
  const keeper = m.getParameter<string>("keeper");
  const bridgeMinter = m.getParameter<string>("bridgeMinter");
  const complianceOfficer = m.getParameter<string>("complianceOfficer");
  const signers = m.getParameter<string[]>("unpauseSigners");
  const threshold = m.getParameter<number>("unpauseThreshold");
  const zero = "0x0000000000000000000000000000000000000000";

  const token = m.contract("ReserveBackedStablecoin", [name, symbol, decimals, admin]);
  const breaker = m.contract("ReserveCircuitBreaker", [zero, admin, keeper, signers, threshold]);
  const gate = m.contract("ComplianceGate", [admin, complianceOfficer]);
  const redeemer = m.contract("StablecoinRedeemer", [token, breaker, gate, admin]);

  m.call(token, "grantRole", [ROLES.MINTER_ROLE, bridgeMinter], { id: "grantMinterToBridge" });
  m.call(token, "grantRole", [ROLES.BURNER_ROLE, redeemer], { id: "grantBurnerToRedeemer" });

  return { token, breaker, gate, redeemer };
}

/**
 * The CCTP functions and events the transfer client calls, as Circle's contracts declare them (V1
 * TokenMessenger/MessageTransmitter, V2 TokenMessengerV2/MessageTransmitterV2), plus the devnet hook
 * executor's relay and ERC-20. Written against Circle's interfaces, not the devnet contracts, so the
 * client works against Circle's deployments; reverts are decoded with the project's errors too.
 */
import { parseAbi } from "viem";
import { projectErrorsAbi } from "../../abi/index.ts";

export const tokenMessengerV2Abi = parseAbi([
  "function depositForBurn(uint256 amount, uint32 destinationDomain, bytes32 mintRecipient, address burnToken, bytes32 destinationCaller, uint256 maxFee, uint32 minFinalityThreshold)",
  "function depositForBurnWithHook(uint256 amount, uint32 destinationDomain, bytes32 mintRecipient, address burnToken, bytes32 destinationCaller, uint256 maxFee, uint32 minFinalityThreshold, bytes hookData)",
  "event MintAndWithdraw(address indexed mintRecipient, uint256 amount, address indexed mintToken, uint256 feeCollected)",
]);

export const tokenMessengerV1Abi = parseAbi([
  "function depositForBurn(uint256 amount, uint32 destinationDomain, bytes32 mintRecipient, address burnToken) returns (uint64 nonce)",
  "function depositForBurnWithCaller(uint256 amount, uint32 destinationDomain, bytes32 mintRecipient, address burnToken, bytes32 destinationCaller) returns (uint64 nonce)",
  "event MintAndWithdraw(address indexed mintRecipient, uint256 amount, address indexed mintToken)",
]);

/** receiveMessage and usedNonces have the same signatures in V1 and V2 (V1 keys usedNonces by a hash). */
export const messageTransmitterAbi = parseAbi([
  "event MessageSent(bytes message)",
  "function receiveMessage(bytes message, bytes attestation) returns (bool success)",
  "function usedNonces(bytes32 nonce) view returns (uint256)",
]);

export const hookExecutorAbi = parseAbi([
  "function relay(bytes message, bytes attestation) returns (uint256 amount)",
]);

export const erc20Abi = parseAbi([
  "function approve(address spender, uint256 amount) returns (bool)",
  "function allowance(address owner, address spender) view returns (uint256)",
  "function balanceOf(address account) view returns (uint256)",
]);

/**
 * Errors decoded in simulations: the devnet token minter's TokenPaused (the asset's breaker is paused),
 * then every custom error the project's contracts declare (reverts bubble up through the messenger).
 */
export const cctpErrorsAbi = [
  ...parseAbi(["error TokenPaused(address token, address breaker)"]),
  ...projectErrorsAbi,
] as const;

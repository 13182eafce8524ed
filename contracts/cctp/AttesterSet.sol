// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

/// @title AttesterSet
/// @notice DEVNET ONLY — never deploy to a real network. The attester set of a CCTP message transmitter
/// and the attestation check of Circle's `Attestable`:
/// - an attestation is exactly `signatureThreshold` 65-byte signatures `r || s || v` (v 27 or 28),
///   concatenated;
/// - each signs the raw digest `keccak256(message)` (no EIP-191 prefix, no EIP-712);
/// - signers are recovered with OpenZeppelin's ECDSA (rejects high-s and malformed signatures), must be
///   strictly ascending by address (which rejects duplicates) and enabled attesters.
/// Accounts with `ATTESTER_MANAGER_ROLE` enable and disable attesters and set the threshold.
abstract contract AttesterSet is AccessControl {
    using EnumerableSet for EnumerableSet.AddressSet;

    /// @notice Role allowed to enable/disable attesters and set the signature threshold.
    bytes32 public constant ATTESTER_MANAGER_ROLE = keccak256("ATTESTER_MANAGER_ROLE");
    /// @notice Length of one signature in an attestation: r (32) || s (32) || v (1).
    uint256 public constant SIGNATURE_LENGTH = 65;

    EnumerableSet.AddressSet private _attesters;
    uint256 private _signatureThreshold;

    /// @notice `attester` may now sign attestations.
    event AttesterEnabled(address indexed attester);
    /// @notice `attester` may no longer sign attestations.
    event AttesterDisabled(address indexed attester);
    /// @notice The number of signatures an attestation needs changed.
    event SignatureThresholdUpdated(uint256 oldSignatureThreshold, uint256 newSignatureThreshold);

    /// @notice The attestation is not exactly `signatureThreshold` signatures long.
    error InvalidAttestationLength(uint256 length, uint256 expectedLength);
    /// @notice Signature `index` recovers to an address not above the previous one (wrong order or duplicate).
    error InvalidSignatureOrder(uint256 index, address previous, address recovered);
    /// @notice Signature `index` recovers to an address that is not an enabled attester.
    error NotAttester(uint256 index, address recovered);
    /// @notice The zero address cannot be an attester.
    error InvalidAttester(address attester);
    /// @notice `attester` is already enabled.
    error AttesterAlreadyEnabled(address attester);
    /// @notice `attester` is not enabled.
    error AttesterNotEnabled(address attester);
    /// @notice Disabling would leave no attester, or fewer attesters than the signature threshold.
    error TooFewAttesters(uint256 enabledAttesters, uint256 signatureThreshold);
    /// @notice A threshold of zero, above the number of enabled attesters, or equal to the current one.
    error InvalidSignatureThreshold(uint256 signatureThreshold, uint256 enabledAttesters);

    /// @param attesterManager Receives ATTESTER_MANAGER_ROLE.
    /// @param attesters The initial attesters (no zero address, no duplicates).
    /// @param signatureThreshold_ Signatures per attestation: 1..attesters.length.
    constructor(address attesterManager, address[] memory attesters, uint256 signatureThreshold_) {
        _grantRole(ATTESTER_MANAGER_ROLE, attesterManager);
        for (uint256 i = 0; i < attesters.length; ++i) {
            _enableAttester(attesters[i]);
        }
        _setSignatureThreshold(signatureThreshold_);
    }

    /// @notice Enables `attester`.
    /// @dev Requirements: ATTESTER_MANAGER_ROLE; `attester` non-zero ({InvalidAttester}) and not enabled
    /// ({AttesterAlreadyEnabled}). Emits {AttesterEnabled}.
    function enableAttester(address attester) external virtual onlyRole(ATTESTER_MANAGER_ROLE) {
        _enableAttester(attester);
    }

    /// @notice Disables `attester`.
    /// @dev Requirements: ATTESTER_MANAGER_ROLE; more than one attester and more attesters than the
    /// threshold remain enabled before the call ({TooFewAttesters}); `attester` is enabled
    /// ({AttesterNotEnabled}). Emits {AttesterDisabled}.
    function disableAttester(address attester) external virtual onlyRole(ATTESTER_MANAGER_ROLE) {
        uint256 enabled = _attesters.length();
        if (enabled <= 1 || enabled <= _signatureThreshold) {
            revert TooFewAttesters(enabled, _signatureThreshold);
        }
        if (!_attesters.remove(attester)) revert AttesterNotEnabled(attester);
        emit AttesterDisabled(attester);
    }

    /// @notice Sets the number of signatures an attestation needs.
    /// @dev Requirements: ATTESTER_MANAGER_ROLE; 1 <= `newThreshold` <= enabled attesters and different
    /// from the current threshold ({InvalidSignatureThreshold}). Emits {SignatureThresholdUpdated}.
    function setSignatureThreshold(uint256 newThreshold) external virtual onlyRole(ATTESTER_MANAGER_ROLE) {
        if (newThreshold == _signatureThreshold) {
            revert InvalidSignatureThreshold(newThreshold, _attesters.length());
        }
        _setSignatureThreshold(newThreshold);
    }

    /// @notice Signatures an attestation needs.
    function signatureThreshold() external view returns (uint256) {
        return _signatureThreshold;
    }

    /// @notice True when `attester` is enabled.
    function isEnabledAttester(address attester) public view returns (bool) {
        return _attesters.contains(attester);
    }

    /// @notice Number of enabled attesters.
    function getNumEnabledAttesters() external view returns (uint256) {
        return _attesters.length();
    }

    /// @notice The enabled attester at `index` (0..getNumEnabledAttesters()-1; order is not meaningful).
    function getEnabledAttester(uint256 index) external view returns (address) {
        return _attesters.at(index);
    }

    /// @notice Every enabled attester (order is not meaningful).
    function enabledAttesters() external view returns (address[] memory) {
        return _attesters.values();
    }

    /// @dev Reverts unless `attestation` is a valid attestation of `message` (see the contract notice):
    /// {InvalidAttestationLength}, OpenZeppelin's ECDSAInvalidSignature / ECDSAInvalidSignatureS,
    /// {InvalidSignatureOrder}, {NotAttester}.
    function _verifyAttestation(bytes calldata message, bytes calldata attestation) internal view virtual {
        uint256 threshold = _signatureThreshold;
        if (attestation.length != SIGNATURE_LENGTH * threshold) {
            revert InvalidAttestationLength(attestation.length, SIGNATURE_LENGTH * threshold);
        }
        bytes32 digest = keccak256(message);
        address previous = address(0);
        for (uint256 i = 0; i < threshold; ++i) {
            address recovered = ECDSA.recover(
                digest,
                attestation[i * SIGNATURE_LENGTH:(i + 1) * SIGNATURE_LENGTH]
            );
            if (recovered <= previous) revert InvalidSignatureOrder(i, previous, recovered);
            if (!_attesters.contains(recovered)) revert NotAttester(i, recovered);
            previous = recovered;
        }
    }

    /// @dev Adds `attester` to the set; see {enableAttester}.
    function _enableAttester(address attester) internal virtual {
        if (attester == address(0)) revert InvalidAttester(attester);
        if (!_attesters.add(attester)) revert AttesterAlreadyEnabled(attester);
        emit AttesterEnabled(attester);
    }

    /// @dev Sets the threshold after checking 1 <= `newThreshold` <= enabled attesters.
    function _setSignatureThreshold(uint256 newThreshold) internal virtual {
        uint256 enabled = _attesters.length();
        if (newThreshold == 0 || newThreshold > enabled) {
            revert InvalidSignatureThreshold(newThreshold, enabled);
        }
        uint256 old = _signatureThreshold;
        _signatureThreshold = newThreshold;
        emit SignatureThresholdUpdated(old, newThreshold);
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IComplianceGate} from "../interfaces/IComplianceGate.sol";

/// @title ComplianceGate
/// @notice Per-asset KYC / jurisdiction / qualified-party gate: one gate per asset, read by the minter,
/// the redeemer and off-chain services.
/// @dev Defaults after deployment: minimum KYC tier 1 for every operation, qualified-party rule disabled
/// (threshold type(uint256).max), no jurisdiction blocked, no records. check() evaluates, in order:
/// NoRecord, RecordExpired, JurisdictionBlocked, KycTierTooLow, QualifiedPartyRequired.
contract ComplianceGate is AccessControl, IComplianceGate {
    /// @notice Role that manages records, blocked jurisdictions, tiers and the threshold.
    bytes32 public constant COMPLIANCE_ROLE = keccak256("COMPLIANCE_ROLE");
    /// @notice Minimum KYC tier for every operation after deployment.
    uint8 public constant DEFAULT_MIN_KYC_TIER = 1;

    mapping(address account => Record) private _records;
    mapping(bytes2 code => bool) private _blockedJurisdictions;
    mapping(Operation operation => uint8) private _minKycTiers;
    uint256 private _qualifiedPartyThreshold;

    /// @notice A zero address where an account is required.
    error ZeroAddress();

    /// @param admin receives DEFAULT_ADMIN_ROLE.
    /// @param complianceOfficer receives COMPLIANCE_ROLE.
    /// @dev Requirements: neither address is zero. Emits {MinKycTierSet} for each operation and
    /// {QualifiedPartyThresholdSet} with the defaults.
    constructor(address admin, address complianceOfficer) {
        if (admin == address(0) || complianceOfficer == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(COMPLIANCE_ROLE, complianceOfficer);
        _setMinKycTier(Operation.Mint, DEFAULT_MIN_KYC_TIER);
        _setMinKycTier(Operation.Redeem, DEFAULT_MIN_KYC_TIER);
        _setMinKycTier(Operation.Transfer, DEFAULT_MIN_KYC_TIER);
        _setQualifiedPartyThreshold(type(uint256).max);
    }

    // ------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------

    /// @notice The stored record of `account` (all zero when there is none).
    function recordOf(address account) external view returns (Record memory) {
        return _records[account];
    }

    /// @notice Whether `code` is blocked for this asset.
    function isJurisdictionBlocked(bytes2 code) external view returns (bool) {
        return _blockedJurisdictions[code];
    }

    /// @notice Minimum KYC tier an account needs for `operation`.
    function minKycTier(Operation operation) external view returns (uint8) {
        return _minKycTiers[operation];
    }

    /// @inheritdoc IComplianceGate
    function qualifiedPartyThreshold() external view returns (uint256) {
        return _qualifiedPartyThreshold;
    }

    /// @notice Whether `account` may perform `operation` for `amount`, and why not.
    /// @return allowed true when reason is None.
    /// @return reason the first failing rule, in the order NoRecord, RecordExpired, JurisdictionBlocked,
    /// KycTierTooLow, QualifiedPartyRequired.
    function check(
        address account,
        Operation operation,
        uint256 amount
    ) external view returns (bool allowed, Reason reason) {
        reason = _check(account, operation, amount);
        allowed = reason == Reason.None;
    }

    /// @inheritdoc IComplianceGate
    /// @dev Requirements: check(account, operation, amount) allows; otherwise reverts with
    /// {ComplianceCheckFailed} carrying the reason.
    function requireAllowed(address account, Operation operation, uint256 amount) external view {
        Reason reason = _check(account, operation, amount);
        if (reason != Reason.None) revert ComplianceCheckFailed(account, operation, amount, reason);
    }

    // ------------------------------------------------------------------------------------------------
    // Administration (COMPLIANCE_ROLE)
    // ------------------------------------------------------------------------------------------------

    /// @notice Stores `records[i]` for `accounts[i]`, replacing any previous record.
    /// @dev Requirements: the caller has COMPLIANCE_ROLE; both arrays have the same length
    /// ({LengthMismatch}); every jurisdiction is two uppercase ASCII letters ({InvalidJurisdiction}).
    /// A record with kycTier 0 and expiresAt 0 is indistinguishable from no record.
    /// Emits {RecordSet} per account.
    function setRecords(
        address[] calldata accounts,
        Record[] calldata records
    ) external onlyRole(COMPLIANCE_ROLE) {
        if (accounts.length != records.length) revert LengthMismatch(accounts.length, records.length);
        for (uint256 i = 0; i < accounts.length; ++i) {
            _setRecord(accounts[i], records[i]);
        }
    }

    /// @notice Deletes the records of `accounts`.
    /// @dev Requirements: the caller has COMPLIANCE_ROLE. Emits {RecordCleared} per account (also when
    /// there was no record).
    function clearRecords(address[] calldata accounts) external onlyRole(COMPLIANCE_ROLE) {
        for (uint256 i = 0; i < accounts.length; ++i) {
            _clearRecord(accounts[i]);
        }
    }

    /// @notice Blocks or unblocks each of `codes` for this asset.
    /// @dev Requirements: the caller has COMPLIANCE_ROLE; every code is two uppercase ASCII letters
    /// ({InvalidJurisdiction}). Emits {JurisdictionBlockedSet} per code.
    function setJurisdictionsBlocked(
        bytes2[] calldata codes,
        bool blocked
    ) external onlyRole(COMPLIANCE_ROLE) {
        for (uint256 i = 0; i < codes.length; ++i) {
            _setJurisdictionBlocked(codes[i], blocked);
        }
    }

    /// @notice Sets the minimum KYC tier for `operation`.
    /// @dev Requirements: the caller has COMPLIANCE_ROLE. Tier 0 still requires an unexpired record.
    /// Emits {MinKycTierSet}.
    function setMinKycTier(Operation operation, uint8 tier) external onlyRole(COMPLIANCE_ROLE) {
        _setMinKycTier(operation, tier);
    }

    /// @notice Sets the amount at or above which a qualified party is required; type(uint256).max disables
    /// the rule, 0 requires a qualified party for every amount.
    /// @dev Requirements: the caller has COMPLIANCE_ROLE. Emits {QualifiedPartyThresholdSet}.
    function setQualifiedPartyThreshold(uint256 amount) external onlyRole(COMPLIANCE_ROLE) {
        _setQualifiedPartyThreshold(amount);
    }

    // ------------------------------------------------------------------------------------------------
    // Internal hooks
    // ------------------------------------------------------------------------------------------------

    /// @dev The rule evaluation behind check() and requireAllowed(); returns Reason.None when allowed.
    function _check(
        address account,
        Operation operation,
        uint256 amount
    ) internal view virtual returns (Reason) {
        Record memory record = _records[account];
        if (record.kycTier == 0 && record.expiresAt == 0) return Reason.NoRecord;
        if (block.timestamp >= record.expiresAt) return Reason.RecordExpired;
        if (_blockedJurisdictions[record.jurisdiction]) return Reason.JurisdictionBlocked;
        if (record.kycTier < _minKycTiers[operation]) return Reason.KycTierTooLow;
        if (amount >= _qualifiedPartyThreshold && !record.qualifiedParty)
            return Reason.QualifiedPartyRequired;
        return Reason.None;
    }

    /// @dev Validates and stores one record. Emits {RecordSet}.
    function _setRecord(address account, Record calldata record) internal virtual {
        _requireValidJurisdiction(record.jurisdiction);
        _records[account] = record;
        emit RecordSet(account, record.kycTier, record.jurisdiction, record.qualifiedParty, record.expiresAt);
    }

    /// @dev Deletes one record. Emits {RecordCleared}.
    function _clearRecord(address account) internal virtual {
        delete _records[account];
        emit RecordCleared(account);
    }

    /// @dev Validates and stores one jurisdiction flag. Emits {JurisdictionBlockedSet}.
    function _setJurisdictionBlocked(bytes2 code, bool blocked) internal virtual {
        _requireValidJurisdiction(code);
        _blockedJurisdictions[code] = blocked;
        emit JurisdictionBlockedSet(code, blocked);
    }

    /// @dev Stores the minimum tier of one operation. Emits {MinKycTierSet}.
    function _setMinKycTier(Operation operation, uint8 tier) internal virtual {
        _minKycTiers[operation] = tier;
        emit MinKycTierSet(operation, tier);
    }

    /// @dev Stores the qualified-party threshold. Emits {QualifiedPartyThresholdSet}.
    function _setQualifiedPartyThreshold(uint256 amount) internal virtual {
        _qualifiedPartyThreshold = amount;
        emit QualifiedPartyThresholdSet(amount);
    }

    /// @dev Reverts with {InvalidJurisdiction} unless both bytes of `code` are in 'A'..'Z'.
    function _requireValidJurisdiction(bytes2 code) internal pure virtual {
        bytes1 first = code[0];
        bytes1 second = code[1];
        if (first < 0x41 || first > 0x5A || second < 0x41 || second > 0x5A) revert InvalidJurisdiction(code);
    }
}

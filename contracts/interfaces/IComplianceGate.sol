// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IComplianceGate
/// @notice Per-asset KYC / jurisdiction / qualified-party gate. One gate per asset.
interface IComplianceGate {
    enum Operation {
        Mint,
        Redeem,
        Transfer
    }

    /// @notice Why a check failed; None means allowed.
    enum Reason {
        None,
        NoRecord,
        RecordExpired,
        KycTierTooLow,
        JurisdictionBlocked,
        QualifiedPartyRequired
    }

    struct Record {
        uint8 kycTier; // 0 = none
        bytes2 jurisdiction; // ISO 3166-1 alpha-2, uppercase ASCII
        bool qualifiedParty;
        uint64 expiresAt; // unix seconds; the record is invalid at and after this time
    }

    error ComplianceCheckFailed(address account, Operation operation, uint256 amount, Reason reason);
    error InvalidJurisdiction(bytes2 code);
    error LengthMismatch(uint256 accounts, uint256 records);

    event RecordSet(
        address indexed account,
        uint8 kycTier,
        bytes2 jurisdiction,
        bool qualifiedParty,
        uint64 expiresAt
    );
    event RecordCleared(address indexed account);
    event JurisdictionBlockedSet(bytes2 indexed jurisdiction, bool blocked);
    event MinKycTierSet(Operation indexed operation, uint8 tier);
    event QualifiedPartyThresholdSet(uint256 amount);

    function COMPLIANCE_ROLE() external view returns (bytes32);
    function recordOf(address account) external view returns (Record memory);
    function isJurisdictionBlocked(bytes2 code) external view returns (bool);
    function minKycTier(Operation operation) external view returns (uint8);
    /// @notice Amounts at or above this need a qualified party; type(uint256).max disables the rule.
    function qualifiedPartyThreshold() external view returns (uint256);

    function check(
        address account,
        Operation operation,
        uint256 amount
    ) external view returns (bool allowed, Reason reason);
    /// @notice Reverts with ComplianceCheckFailed when check() disallows.
    function requireAllowed(address account, Operation operation, uint256 amount) external view;

    function setRecords(address[] calldata accounts, Record[] calldata records) external;
    function clearRecords(address[] calldata accounts) external;
    function setJurisdictionsBlocked(bytes2[] calldata codes, bool blocked) external;
    function setMinKycTier(Operation operation, uint8 tier) external;
    function setQualifiedPartyThreshold(uint256 amount) external;
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {AttesterSet} from "./AttesterSet.sol";
import {CctpAddress} from "./libraries/CctpAddress.sol";

/// @title DevMessageTransmitterBase
/// @notice DEVNET ONLY — never deploy to a real network. What the V1 and V2 devnet message transmitters
/// share: the local domain and message version, the attester set, the maximum message body size, the
/// pause switch (PAUSER_ROLE) and the header checks of `receiveMessage`.
/// @dev Roles: DEFAULT_ADMIN_ROLE (roles, max body size), PAUSER_ROLE (pause/unpause),
/// ATTESTER_MANAGER_ROLE (attesters, threshold).
abstract contract DevMessageTransmitterBase is AttesterSet, Pausable {
    /// @notice Role allowed to pause and unpause sending and receiving.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    uint32 private immutable _LOCAL_DOMAIN;
    uint32 private immutable _VERSION;
    uint256 private _maxMessageBodySize;

    /// @notice The admin changed the largest message body `sendMessage` accepts.
    event MaxMessageBodySizeUpdated(uint256 newMaxMessageBodySize);

    /// @notice A zero address where an account is required.
    error ZeroAddress();
    /// @notice A maximum message body size of zero at deployment.
    error InvalidMaxMessageBodySize(uint256 maxMessageBodySize);
    /// @notice The message body is longer than the maximum.
    error MessageBodyTooLarge(uint256 length, uint256 maxMessageBodySize);
    /// @notice A zero recipient.
    error ZeroRecipient();
    /// @notice The message is shorter than its header.
    error MalformedMessage(uint256 length, uint256 minLength);
    /// @notice The message is addressed to another domain.
    error InvalidDestinationDomain(uint32 destinationDomain, uint32 localDomain);
    /// @notice The message names a destination caller and the caller is someone else.
    error InvalidDestinationCaller(bytes32 destinationCaller, address caller);
    /// @notice The message has another format version.
    error InvalidMessageVersion(uint32 version, uint32 expectedVersion);
    /// @notice The recipient's handler returned false.
    error HandlerFailed(address recipient);

    /// @param localDomain_ The CCTP domain of this chain.
    /// @param version_ The message format version (0 for V1, 1 for V2).
    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    /// @param pauser Receives PAUSER_ROLE.
    /// @param attesterManager Receives ATTESTER_MANAGER_ROLE.
    /// @param attesters The initial attesters.
    /// @param signatureThreshold_ Signatures per attestation, 1..attesters.length.
    /// @param maxMessageBodySize_ Largest message body accepted by `sendMessage`, > 0.
    constructor(
        uint32 localDomain_,
        uint32 version_,
        address admin,
        address pauser,
        address attesterManager,
        address[] memory attesters,
        uint256 signatureThreshold_,
        uint256 maxMessageBodySize_
    ) AttesterSet(attesterManager, attesters, signatureThreshold_) {
        if (admin == address(0) || pauser == address(0) || attesterManager == address(0)) {
            revert ZeroAddress();
        }
        if (maxMessageBodySize_ == 0) revert InvalidMaxMessageBodySize(maxMessageBodySize_);
        _LOCAL_DOMAIN = localDomain_;
        _VERSION = version_;
        _maxMessageBodySize = maxMessageBodySize_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PAUSER_ROLE, pauser);
    }

    /// @notice Stops sending and receiving. Requirements: PAUSER_ROLE, not paused. Emits Paused.
    function pause() external virtual onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Resumes sending and receiving. Requirements: PAUSER_ROLE, paused. Emits Unpaused.
    function unpause() external virtual onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @notice Sets the largest message body `sendMessage` accepts (like Circle's, any value).
    /// @dev Requirements: DEFAULT_ADMIN_ROLE. Emits {MaxMessageBodySizeUpdated}.
    function setMaxMessageBodySize(
        uint256 newMaxMessageBodySize
    ) external virtual onlyRole(DEFAULT_ADMIN_ROLE) {
        _maxMessageBodySize = newMaxMessageBodySize;
        emit MaxMessageBodySizeUpdated(newMaxMessageBodySize);
    }

    /// @notice The CCTP domain of this chain.
    function localDomain() public view returns (uint32) {
        return _LOCAL_DOMAIN;
    }

    /// @notice The message format version this transmitter sends and accepts.
    function version() public view returns (uint32) {
        return _VERSION;
    }

    /// @notice Largest message body `sendMessage` accepts, in bytes.
    function maxMessageBodySize() external view returns (uint256) {
        return _maxMessageBodySize;
    }

    /// @dev The checks of every send: body size ({MessageBodyTooLarge}), then recipient ({ZeroRecipient}).
    function _requireSendable(bytes32 recipient, uint256 bodyLength) internal view virtual {
        if (bodyLength > _maxMessageBodySize) revert MessageBodyTooLarge(bodyLength, _maxMessageBodySize);
        if (recipient == bytes32(0)) revert ZeroRecipient();
    }

    /// @dev Reverts with {MalformedMessage} when the message is shorter than its header.
    function _requireWellFormed(uint256 length, uint256 headerLength) internal pure virtual {
        if (length < headerLength) revert MalformedMessage(length, headerLength);
    }

    /// @dev The header checks of every receive after the length, in Circle's order: destination domain
    /// ({InvalidDestinationDomain}), destination caller when set ({InvalidDestinationCaller}), version
    /// ({InvalidMessageVersion}).
    function _requireReceivable(
        uint32 destinationDomain,
        bytes32 destinationCaller,
        uint32 messageVersion
    ) internal view virtual {
        if (destinationDomain != _LOCAL_DOMAIN)
            revert InvalidDestinationDomain(destinationDomain, _LOCAL_DOMAIN);
        if (destinationCaller != bytes32(0) && destinationCaller != CctpAddress.toBytes32(msg.sender)) {
            revert InvalidDestinationCaller(destinationCaller, msg.sender);
        }
        if (messageVersion != _VERSION) revert InvalidMessageVersion(messageVersion, _VERSION);
    }
}

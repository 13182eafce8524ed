// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title CctpMessageV2
/// @notice The CCTP V2 outer message, byte-compatible with Circle's `MessageV2` (abi.encodePacked,
/// big-endian integers):
///
/// | field                     | offset | size |
/// |---------------------------|--------|------|
/// | version (1)               | 0      | 4    |
/// | sourceDomain              | 4      | 4    |
/// | destinationDomain         | 8      | 4    |
/// | nonce                     | 12     | 32   |
/// | sender                    | 44     | 32   |
/// | recipient                 | 76     | 32   |
/// | destinationCaller         | 108    | 32   |
/// | minFinalityThreshold      | 140    | 4    |
/// | finalityThresholdExecuted | 144    | 4    |
/// | messageBody               | 148    | rest |
///
/// @dev Readers take calldata and do not check the length: call {isWellFormed} first.
library CctpMessageV2 {
    uint256 internal constant SOURCE_DOMAIN_INDEX = 4;
    uint256 internal constant DESTINATION_DOMAIN_INDEX = 8;
    uint256 internal constant NONCE_INDEX = 12;
    uint256 internal constant SENDER_INDEX = 44;
    uint256 internal constant RECIPIENT_INDEX = 76;
    uint256 internal constant DESTINATION_CALLER_INDEX = 108;
    uint256 internal constant MIN_FINALITY_THRESHOLD_INDEX = 140;
    uint256 internal constant FINALITY_THRESHOLD_EXECUTED_INDEX = 144;
    /// @notice Also the header length, the minimum length of a message.
    uint256 internal constant MESSAGE_BODY_INDEX = 148;

    /// @notice The header fields of a message, in order (the body is passed separately).
    struct Header {
        uint32 version;
        uint32 sourceDomain;
        uint32 destinationDomain;
        bytes32 nonce;
        bytes32 sender;
        bytes32 recipient;
        bytes32 destinationCaller;
        uint32 minFinalityThreshold;
        uint32 finalityThresholdExecuted;
    }

    /// @notice The packed message: `header` followed by `body`.
    function format(Header memory header, bytes memory body) internal pure returns (bytes memory) {
        return
            abi.encodePacked(
                abi.encodePacked(header.version, header.sourceDomain, header.destinationDomain, header.nonce),
                abi.encodePacked(header.sender, header.recipient, header.destinationCaller),
                abi.encodePacked(header.minFinalityThreshold, header.finalityThresholdExecuted),
                body
            );
    }

    /// @notice True when `message` is at least a header long (Circle's only format requirement).
    function isWellFormed(bytes calldata message) internal pure returns (bool) {
        return message.length >= MESSAGE_BODY_INDEX;
    }

    function version(bytes calldata message) internal pure returns (uint32) {
        return uint32(bytes4(message[0:4]));
    }

    function sourceDomain(bytes calldata message) internal pure returns (uint32) {
        return uint32(bytes4(message[SOURCE_DOMAIN_INDEX:SOURCE_DOMAIN_INDEX + 4]));
    }

    function destinationDomain(bytes calldata message) internal pure returns (uint32) {
        return uint32(bytes4(message[DESTINATION_DOMAIN_INDEX:DESTINATION_DOMAIN_INDEX + 4]));
    }

    function nonce(bytes calldata message) internal pure returns (bytes32) {
        return bytes32(message[NONCE_INDEX:NONCE_INDEX + 32]);
    }

    function sender(bytes calldata message) internal pure returns (bytes32) {
        return bytes32(message[SENDER_INDEX:SENDER_INDEX + 32]);
    }

    function recipient(bytes calldata message) internal pure returns (bytes32) {
        return bytes32(message[RECIPIENT_INDEX:RECIPIENT_INDEX + 32]);
    }

    function destinationCaller(bytes calldata message) internal pure returns (bytes32) {
        return bytes32(message[DESTINATION_CALLER_INDEX:DESTINATION_CALLER_INDEX + 32]);
    }

    function minFinalityThreshold(bytes calldata message) internal pure returns (uint32) {
        return uint32(bytes4(message[MIN_FINALITY_THRESHOLD_INDEX:MIN_FINALITY_THRESHOLD_INDEX + 4]));
    }

    function finalityThresholdExecuted(bytes calldata message) internal pure returns (uint32) {
        return
            uint32(bytes4(message[FINALITY_THRESHOLD_EXECUTED_INDEX:FINALITY_THRESHOLD_EXECUTED_INDEX + 4]));
    }

    function messageBody(bytes calldata message) internal pure returns (bytes calldata) {
        return message[MESSAGE_BODY_INDEX:];
    }
}

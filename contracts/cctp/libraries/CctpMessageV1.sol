// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title CctpMessageV1
/// @notice The CCTP V1 outer message, byte-compatible with Circle's `Message` (abi.encodePacked):
///
/// | field             | offset | size |
/// |-------------------|--------|------|
/// | version (0)       | 0      | 4    |
/// | sourceDomain      | 4      | 4    |
/// | destinationDomain | 8      | 4    |
/// | nonce (uint64)    | 12     | 8    |
/// | sender            | 20     | 32   |
/// | recipient         | 52     | 32   |
/// | destinationCaller | 84     | 32   |
/// | messageBody       | 116    | rest |
///
/// @dev Readers take calldata and do not check the length: call {isWellFormed} first.
library CctpMessageV1 {
    uint256 internal constant SOURCE_DOMAIN_INDEX = 4;
    uint256 internal constant DESTINATION_DOMAIN_INDEX = 8;
    uint256 internal constant NONCE_INDEX = 12;
    uint256 internal constant SENDER_INDEX = 20;
    uint256 internal constant RECIPIENT_INDEX = 52;
    uint256 internal constant DESTINATION_CALLER_INDEX = 84;
    /// @notice Also the header length, the minimum length of a message.
    uint256 internal constant MESSAGE_BODY_INDEX = 116;

    /// @notice The packed message.
    function format(
        uint32 version_,
        uint32 sourceDomain_,
        uint32 destinationDomain_,
        uint64 nonce_,
        bytes32 sender_,
        bytes32 recipient_,
        bytes32 destinationCaller_,
        bytes memory messageBody_
    ) internal pure returns (bytes memory) {
        return
            abi.encodePacked(
                abi.encodePacked(version_, sourceDomain_, destinationDomain_, nonce_),
                abi.encodePacked(sender_, recipient_, destinationCaller_),
                messageBody_
            );
    }

    /// @notice True when `message` is at least a header long.
    function isWellFormed(bytes calldata message) internal pure returns (bool) {
        return message.length >= MESSAGE_BODY_INDEX;
    }

    /// @notice The key of V1's `usedNonces`: keccak256(abi.encodePacked(sourceDomain, nonce)).
    function sourceAndNonceKey(uint32 sourceDomain_, uint64 nonce_) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(sourceDomain_, nonce_));
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

    function nonce(bytes calldata message) internal pure returns (uint64) {
        return uint64(bytes8(message[NONCE_INDEX:NONCE_INDEX + 8]));
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

    function messageBody(bytes calldata message) internal pure returns (bytes calldata) {
        return message[MESSAGE_BODY_INDEX:];
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title CctpBurnMessage
/// @notice The burn message (the message body of a token transfer), byte-compatible with Circle's
/// `BurnMessage` (V1, version 0) and `BurnMessageV2` (version 1). Offsets are relative to the body:
///
/// | field           | offset | size | V1 | V2 |
/// |-----------------|--------|------|----|----|
/// | version         | 0      | 4    | x  | x  |
/// | burnToken       | 4      | 32   | x  | x  |
/// | mintRecipient   | 36     | 32   | x  | x  |
/// | amount          | 68     | 32   | x  | x  |
/// | messageSender   | 100    | 32   | x  | x  |
/// | maxFee          | 132    | 32   |    | x  |
/// | feeExecuted     | 164    | 32   |    | x  |
/// | expirationBlock | 196    | 32   |    | x  |
/// | hookData        | 228    | rest |    | x  |
///
/// A V1 body is exactly 132 bytes; a V2 body at least 228.
/// @dev Readers take calldata and do not check the length: call {isWellFormedV1}/{isWellFormedV2} first.
library CctpBurnMessage {
    uint256 internal constant BURN_TOKEN_INDEX = 4;
    uint256 internal constant MINT_RECIPIENT_INDEX = 36;
    uint256 internal constant AMOUNT_INDEX = 68;
    uint256 internal constant MESSAGE_SENDER_INDEX = 100;
    uint256 internal constant MAX_FEE_INDEX = 132;
    uint256 internal constant FEE_EXECUTED_INDEX = 164;
    uint256 internal constant EXPIRATION_BLOCK_INDEX = 196;
    uint256 internal constant HOOK_DATA_INDEX = 228;
    /// @notice Exact length of a V1 burn message.
    uint256 internal constant V1_LENGTH = 132;
    /// @notice Minimum length of a V2 burn message (empty hook data).
    uint256 internal constant V2_MIN_LENGTH = 228;

    /// @notice A V1 burn message.
    function formatV1(
        uint32 version_,
        bytes32 burnToken_,
        bytes32 mintRecipient_,
        uint256 amount_,
        bytes32 messageSender_
    ) internal pure returns (bytes memory) {
        return abi.encodePacked(version_, burnToken_, mintRecipient_, amount_, messageSender_);
    }

    /// @notice A V2 burn message as the source emits it: feeExecuted and expirationBlock are zero (the
    /// attestation service fills them in).
    function formatV2ForRelay(
        uint32 version_,
        bytes32 burnToken_,
        bytes32 mintRecipient_,
        uint256 amount_,
        bytes32 messageSender_,
        uint256 maxFee_,
        bytes memory hookData_
    ) internal pure returns (bytes memory) {
        return
            abi.encodePacked(
                formatV1(version_, burnToken_, mintRecipient_, amount_, messageSender_),
                maxFee_,
                uint256(0),
                uint256(0),
                hookData_
            );
    }

    /// @notice True when `body` is exactly a V1 burn message long.
    function isWellFormedV1(bytes calldata body) internal pure returns (bool) {
        return body.length == V1_LENGTH;
    }

    /// @notice True when `body` is at least a V2 burn message long.
    function isWellFormedV2(bytes calldata body) internal pure returns (bool) {
        return body.length >= V2_MIN_LENGTH;
    }

    function version(bytes calldata body) internal pure returns (uint32) {
        return uint32(bytes4(body[0:4]));
    }

    function burnToken(bytes calldata body) internal pure returns (bytes32) {
        return bytes32(body[BURN_TOKEN_INDEX:BURN_TOKEN_INDEX + 32]);
    }

    function mintRecipient(bytes calldata body) internal pure returns (bytes32) {
        return bytes32(body[MINT_RECIPIENT_INDEX:MINT_RECIPIENT_INDEX + 32]);
    }

    function amount(bytes calldata body) internal pure returns (uint256) {
        return uint256(bytes32(body[AMOUNT_INDEX:AMOUNT_INDEX + 32]));
    }

    function messageSender(bytes calldata body) internal pure returns (bytes32) {
        return bytes32(body[MESSAGE_SENDER_INDEX:MESSAGE_SENDER_INDEX + 32]);
    }

    function maxFee(bytes calldata body) internal pure returns (uint256) {
        return uint256(bytes32(body[MAX_FEE_INDEX:MAX_FEE_INDEX + 32]));
    }

    function feeExecuted(bytes calldata body) internal pure returns (uint256) {
        return uint256(bytes32(body[FEE_EXECUTED_INDEX:FEE_EXECUTED_INDEX + 32]));
    }

    function expirationBlock(bytes calldata body) internal pure returns (uint256) {
        return uint256(bytes32(body[EXPIRATION_BLOCK_INDEX:EXPIRATION_BLOCK_INDEX + 32]));
    }

    function hookData(bytes calldata body) internal pure returns (bytes calldata) {
        return body[HOOK_DATA_INDEX:];
    }
}

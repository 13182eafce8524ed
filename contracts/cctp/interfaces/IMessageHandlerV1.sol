// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IMessageHandlerV1
/// @notice The recipient side of a CCTP V1 message, byte-compatible with Circle's V1 `IMessageHandler`.
interface IMessageHandlerV1 {
    /// @notice Handles a received V1 message; must return true.
    /// @param sourceDomain The domain the message came from.
    /// @param sender The sender on the source domain, as bytes32.
    /// @param messageBody The application payload.
    /// @return success True when the message was handled.
    function handleReceiveMessage(
        uint32 sourceDomain,
        bytes32 sender,
        bytes calldata messageBody
    ) external returns (bool success);
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IMessageHandlerV2
/// @notice The recipient side of a CCTP V2 message, byte-compatible with Circle's `IMessageHandlerV2`:
/// the V2 message transmitter calls the unfinalized handler when `finalityThresholdExecuted < 2000`
/// and the finalized handler otherwise. Each must return true.
interface IMessageHandlerV2 {
    /// @notice Handles a message attested at finalized finality (`finalityThresholdExecuted >= 2000`).
    /// @param sourceDomain The domain the message came from.
    /// @param sender The sender on the source domain, as bytes32.
    /// @param finalityThresholdExecuted The finality the attestation was made at.
    /// @param messageBody The application payload.
    /// @return success True when the message was handled.
    function handleReceiveFinalizedMessage(
        uint32 sourceDomain,
        bytes32 sender,
        uint32 finalityThresholdExecuted,
        bytes calldata messageBody
    ) external returns (bool success);

    /// @notice Handles a message attested before finality (`finalityThresholdExecuted < 2000`).
    /// @param sourceDomain The domain the message came from.
    /// @param sender The sender on the source domain, as bytes32.
    /// @param finalityThresholdExecuted The finality the attestation was made at.
    /// @param messageBody The application payload.
    /// @return success True when the message was handled.
    function handleReceiveUnfinalizedMessage(
        uint32 sourceDomain,
        bytes32 sender,
        uint32 finalityThresholdExecuted,
        bytes calldata messageBody
    ) external returns (bool success);
}

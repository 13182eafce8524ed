// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IMessageTransmitterV2
/// @notice The CCTP V2 message transmitter, with Circle's function and event signatures
/// (`sendMessage` 0x14b157ab, `receiveMessage` 0x57ecfd28, `usedNonces` 0xfeb61724).
interface IMessageTransmitterV2 {
    /// @notice A message left this domain; nonce and finalityThresholdExecuted are zero here and are filled
    /// in by the attestation service before signing.
    event MessageSent(bytes message);

    /// @notice A message was received and handled.
    event MessageReceived(
        address indexed caller,
        uint32 sourceDomain,
        bytes32 indexed nonce,
        bytes32 sender,
        uint32 indexed finalityThresholdExecuted,
        bytes messageBody
    );

    /// @notice Sends `messageBody` to `recipient` on `destinationDomain`.
    function sendMessage(
        uint32 destinationDomain,
        bytes32 recipient,
        bytes32 destinationCaller,
        uint32 minFinalityThreshold,
        bytes calldata messageBody
    ) external;

    /// @notice Receives an attested message and dispatches it to its recipient.
    function receiveMessage(
        bytes calldata message,
        bytes calldata attestation
    ) external returns (bool success);

    /// @notice 1 when `nonce` was received (nonce 0 is pre-marked), else 0.
    function usedNonces(bytes32 nonce) external view returns (uint256);
}

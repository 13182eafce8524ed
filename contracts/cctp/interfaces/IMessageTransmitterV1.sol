// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IMessageTransmitterV1
/// @notice The CCTP V1 message transmitter, with Circle's function and event signatures
/// (`sendMessage` 0x0ba469bc, `receiveMessage` 0x57ecfd28).
interface IMessageTransmitterV1 {
    /// @notice A message left this domain with its final nonce.
    event MessageSent(bytes message);

    /// @notice A message was received and handled.
    event MessageReceived(
        address indexed caller,
        uint32 sourceDomain,
        uint64 indexed nonce,
        bytes32 sender,
        bytes messageBody
    );

    /// @notice Sends `messageBody` to `recipient` on `destinationDomain`; returns the reserved nonce.
    function sendMessage(
        uint32 destinationDomain,
        bytes32 recipient,
        bytes calldata messageBody
    ) external returns (uint64 nonce);

    /// @notice Like sendMessage, receivable only by `destinationCaller`; returns the reserved nonce.
    function sendMessageWithCaller(
        uint32 destinationDomain,
        bytes32 recipient,
        bytes32 destinationCaller,
        bytes calldata messageBody
    ) external returns (uint64 nonce);

    /// @notice Receives an attested message and dispatches it to its recipient.
    function receiveMessage(
        bytes calldata message,
        bytes calldata attestation
    ) external returns (bool success);

    /// @notice 1 when keccak256(abi.encodePacked(sourceDomain, nonce)) was received, else 0.
    function usedNonces(bytes32 sourceAndNonce) external view returns (uint256);
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DevMessageTransmitterBase} from "./DevMessageTransmitterBase.sol";
import {IMessageHandlerV2} from "./interfaces/IMessageHandlerV2.sol";
import {IMessageTransmitterV2} from "./interfaces/IMessageTransmitterV2.sol";
import {CctpAddress} from "./libraries/CctpAddress.sol";
import {CctpMessageV2} from "./libraries/CctpMessageV2.sol";

/// @title DevMessageTransmitterV2
/// @notice DEVNET ONLY — never deploy to a real network. A CCTP V2 message transmitter for the local
/// devnet, byte-compatible with Circle's `MessageTransmitterV2`: same message format (version 1), function
/// selectors, events, nonce rules, attestation check and revert conditions (as custom errors).
///
/// - `sendMessage` emits the message with nonce 0 and finalityThresholdExecuted 0; the attestation
///   service fills both in (and the burn body's feeExecuted / expirationBlock) before signing.
/// - `receiveMessage` checks the attestation, the header, marks the 32-byte nonce used (nonce 0 is
///   pre-marked, so a source-emitted message can never be received) and dispatches to the recipient's
///   {IMessageHandlerV2}: unfinalized when finalityThresholdExecuted < 2000, else finalized.
contract DevMessageTransmitterV2 is DevMessageTransmitterBase, IMessageTransmitterV2 {
    /// @notice The message format version of CCTP V2.
    uint32 public constant MESSAGE_VERSION = 1;
    /// @notice Finality at or above which a message is dispatched as finalized.
    uint32 public constant FINALITY_THRESHOLD_FINALIZED = 2000;
    /// @notice Finality of a "confirmed" (fast) attestation.
    uint32 public constant FINALITY_THRESHOLD_CONFIRMED = 1000;
    /// @notice Value of {usedNonces} for a used nonce.
    uint256 public constant NONCE_USED = 1;

    mapping(bytes32 nonce => uint256) private _usedNonces;

    /// @notice `sendMessage` to this chain's own domain.
    error DestinationIsLocalDomain(uint32 destinationDomain);
    /// @notice The nonce was already received (or is nonce 0).
    error NonceAlreadyUsed(bytes32 nonce);

    /// @param localDomain_ The CCTP domain of this chain.
    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    /// @param pauser Receives PAUSER_ROLE.
    /// @param attesterManager Receives ATTESTER_MANAGER_ROLE.
    /// @param attesters The initial attesters (non-zero, distinct).
    /// @param signatureThreshold_ Signatures per attestation, 1..attesters.length.
    /// @param maxMessageBodySize_ Largest message body accepted by `sendMessage`, > 0.
    constructor(
        uint32 localDomain_,
        address admin,
        address pauser,
        address attesterManager,
        address[] memory attesters,
        uint256 signatureThreshold_,
        uint256 maxMessageBodySize_
    )
        DevMessageTransmitterBase(
            localDomain_,
            MESSAGE_VERSION,
            admin,
            pauser,
            attesterManager,
            attesters,
            signatureThreshold_,
            maxMessageBodySize_
        )
    {
        _usedNonces[bytes32(0)] = NONCE_USED;
    }

    /// @inheritdoc IMessageTransmitterV2
    /// @dev Anyone may send. Requirements: not paused; `destinationDomain` is not the local domain
    /// ({DestinationIsLocalDomain}); body within the maximum ({MessageBodyTooLarge}); `recipient` non-zero
    /// ({ZeroRecipient}). Emits {MessageSent} with nonce 0 and finalityThresholdExecuted 0.
    function sendMessage(
        uint32 destinationDomain,
        bytes32 recipient,
        bytes32 destinationCaller,
        uint32 minFinalityThreshold,
        bytes calldata messageBody
    ) external virtual whenNotPaused {
        _sendMessage(destinationDomain, recipient, destinationCaller, minFinalityThreshold, messageBody);
    }

    /// @inheritdoc IMessageTransmitterV2
    /// @dev Requirements, in Circle's order: not paused; the attestation (see {AttesterSet}); at least
    /// 148 bytes ({MalformedMessage}); destination domain, destination caller, version (see
    /// `_requireReceivable`); the nonce unused ({NonceAlreadyUsed}); the recipient's handler returns true
    /// ({HandlerFailed}; its own revert bubbles). Emits {MessageReceived} after the handler's events.
    function receiveMessage(
        bytes calldata message,
        bytes calldata attestation
    ) external virtual whenNotPaused returns (bool success) {
        _receiveMessage(message, attestation);
        return true;
    }

    /// @inheritdoc IMessageTransmitterV2
    function usedNonces(bytes32 nonce) external view returns (uint256) {
        return _usedNonces[nonce];
    }

    /// @dev See {sendMessage}.
    function _sendMessage(
        uint32 destinationDomain,
        bytes32 recipient,
        bytes32 destinationCaller,
        uint32 minFinalityThreshold,
        bytes calldata messageBody
    ) internal virtual {
        if (destinationDomain == localDomain()) revert DestinationIsLocalDomain(destinationDomain);
        _requireSendable(recipient, messageBody.length);
        CctpMessageV2.Header memory header = CctpMessageV2.Header({
            version: version(),
            sourceDomain: localDomain(),
            destinationDomain: destinationDomain,
            nonce: bytes32(0),
            sender: CctpAddress.toBytes32(msg.sender),
            recipient: recipient,
            destinationCaller: destinationCaller,
            minFinalityThreshold: minFinalityThreshold,
            finalityThresholdExecuted: 0
        });
        emit MessageSent(CctpMessageV2.format(header, messageBody));
    }

    /// @dev See {receiveMessage}.
    function _receiveMessage(bytes calldata message, bytes calldata attestation) internal virtual {
        _verifyAttestation(message, attestation);
        _requireWellFormed(message.length, CctpMessageV2.MESSAGE_BODY_INDEX);
        _requireReceivable(
            CctpMessageV2.destinationDomain(message),
            CctpMessageV2.destinationCaller(message),
            CctpMessageV2.version(message)
        );
        bytes32 nonce = CctpMessageV2.nonce(message);
        if (_usedNonces[nonce] != 0) revert NonceAlreadyUsed(nonce);
        _usedNonces[nonce] = NONCE_USED;
        _dispatch(message);
        emit MessageReceived(
            msg.sender,
            CctpMessageV2.sourceDomain(message),
            nonce,
            CctpMessageV2.sender(message),
            CctpMessageV2.finalityThresholdExecuted(message),
            CctpMessageV2.messageBody(message)
        );
    }

    /// @dev Calls the recipient's unfinalized handler when finalityThresholdExecuted < 2000, else the
    /// finalized one; reverts with {HandlerFailed} when it returns false.
    function _dispatch(bytes calldata message) internal virtual {
        address recipient = CctpAddress.toAddress(CctpMessageV2.recipient(message));
        uint32 finality = CctpMessageV2.finalityThresholdExecuted(message);
        bool handled =
            finality < FINALITY_THRESHOLD_FINALIZED
                ? IMessageHandlerV2(recipient).handleReceiveUnfinalizedMessage(
                    CctpMessageV2.sourceDomain(message),
                    CctpMessageV2.sender(message),
                    finality,
                    CctpMessageV2.messageBody(message)
                )
                : IMessageHandlerV2(recipient).handleReceiveFinalizedMessage(
                    CctpMessageV2.sourceDomain(message),
                    CctpMessageV2.sender(message),
                    finality,
                    CctpMessageV2.messageBody(message)
                );
        if (!handled) revert HandlerFailed(recipient);
    }
}

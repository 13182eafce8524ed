// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DevMessageTransmitterBase} from "./DevMessageTransmitterBase.sol";
import {IMessageHandlerV1} from "./interfaces/IMessageHandlerV1.sol";
import {IMessageTransmitterV1} from "./interfaces/IMessageTransmitterV1.sol";
import {CctpAddress} from "./libraries/CctpAddress.sol";
import {CctpMessageV1} from "./libraries/CctpMessageV1.sol";

/// @title DevMessageTransmitterV1
/// @notice DEVNET ONLY — never deploy to a real network. A CCTP V1 message transmitter for the local
/// devnet (the fallback path), byte-compatible with Circle's V1 `MessageTransmitter`: message version 0,
/// a uint64 nonce reserved at the source from `nextAvailableNonce` (0, 1, 2, …), so the source log
/// carries the final bytes the attesters sign; `usedNonces` keyed by
/// keccak256(abi.encodePacked(uint32 sourceDomain, uint64 nonce)); recipients implement
/// {IMessageHandlerV1}. The attestation rules are the V2 ones (see {AttesterSet}).
contract DevMessageTransmitterV1 is DevMessageTransmitterBase, IMessageTransmitterV1 {
    /// @notice The message format version of CCTP V1.
    uint32 public constant MESSAGE_VERSION = 0;

    uint64 private _nextAvailableNonce;
    mapping(bytes32 sourceAndNonce => uint256) private _usedNonces;

    /// @notice `sendMessageWithCaller` with a zero destination caller.
    error ZeroDestinationCaller();
    /// @notice (`sourceDomain`, `nonce`) was already received.
    error SourceNonceAlreadyUsed(uint32 sourceDomain, uint64 nonce);

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
    {}

    /// @inheritdoc IMessageTransmitterV1
    /// @dev Anyone may send. Requirements: not paused; body within the maximum ({MessageBodyTooLarge});
    /// `recipient` non-zero ({ZeroRecipient}). Like Circle's V1, the destination domain is not checked.
    /// Emits {MessageSent}.
    function sendMessage(
        uint32 destinationDomain,
        bytes32 recipient,
        bytes calldata messageBody
    ) external virtual whenNotPaused returns (uint64 nonce) {
        return _sendMessage(destinationDomain, recipient, bytes32(0), messageBody);
    }

    /// @inheritdoc IMessageTransmitterV1
    /// @dev As {sendMessage}, and `destinationCaller` must be non-zero ({ZeroDestinationCaller}).
    function sendMessageWithCaller(
        uint32 destinationDomain,
        bytes32 recipient,
        bytes32 destinationCaller,
        bytes calldata messageBody
    ) external virtual whenNotPaused returns (uint64 nonce) {
        if (destinationCaller == bytes32(0)) revert ZeroDestinationCaller();
        return _sendMessage(destinationDomain, recipient, destinationCaller, messageBody);
    }

    /// @inheritdoc IMessageTransmitterV1
    /// @dev Requirements, in Circle's order: not paused; the attestation (see {AttesterSet}); at least
    /// 116 bytes ({MalformedMessage}); destination domain, destination caller, version (see
    /// `_requireReceivable`); (sourceDomain, nonce) unused ({SourceNonceAlreadyUsed}); the recipient's
    /// handler returns true ({HandlerFailed}). Emits {MessageReceived} after the handler's events.
    function receiveMessage(
        bytes calldata message,
        bytes calldata attestation
    ) external virtual whenNotPaused returns (bool success) {
        _receiveMessage(message, attestation);
        return true;
    }

    /// @inheritdoc IMessageTransmitterV1
    function usedNonces(bytes32 sourceAndNonce) external view returns (uint256) {
        return _usedNonces[sourceAndNonce];
    }

    /// @notice The nonce the next message sent from this domain gets (the first is 0).
    function nextAvailableNonce() external view returns (uint64) {
        return _nextAvailableNonce;
    }

    /// @dev Reserves the next nonce and emits the message; see {sendMessage}.
    function _sendMessage(
        uint32 destinationDomain,
        bytes32 recipient,
        bytes32 destinationCaller,
        bytes calldata messageBody
    ) internal virtual returns (uint64 nonce) {
        _requireSendable(recipient, messageBody.length);
        nonce = _nextAvailableNonce++;
        emit MessageSent(
            CctpMessageV1.format(
                version(),
                localDomain(),
                destinationDomain,
                nonce,
                CctpAddress.toBytes32(msg.sender),
                recipient,
                destinationCaller,
                messageBody
            )
        );
    }

    /// @dev See {receiveMessage}.
    function _receiveMessage(bytes calldata message, bytes calldata attestation) internal virtual {
        _verifyAttestation(message, attestation);
        _requireWellFormed(message.length, CctpMessageV1.MESSAGE_BODY_INDEX);
        _requireReceivable(
            CctpMessageV1.destinationDomain(message),
            CctpMessageV1.destinationCaller(message),
            CctpMessageV1.version(message)
        );
        uint32 sourceDomain = CctpMessageV1.sourceDomain(message);
        uint64 nonce = CctpMessageV1.nonce(message);
        bytes32 key = CctpMessageV1.sourceAndNonceKey(sourceDomain, nonce);
        if (_usedNonces[key] != 0) revert SourceNonceAlreadyUsed(sourceDomain, nonce);
        _usedNonces[key] = 1;
        address recipient = CctpAddress.toAddress(CctpMessageV1.recipient(message));
        bytes32 sender = CctpMessageV1.sender(message);
        bytes calldata body = CctpMessageV1.messageBody(message);
        if (!IMessageHandlerV1(recipient).handleReceiveMessage(sourceDomain, sender, body)) {
            revert HandlerFailed(recipient);
        }
        emit MessageReceived(msg.sender, sourceDomain, nonce, sender, body);
    }
}

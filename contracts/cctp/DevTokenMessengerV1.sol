// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DevTokenMessengerBase} from "./DevTokenMessengerBase.sol";
import {IMessageHandlerV1} from "./interfaces/IMessageHandlerV1.sol";
import {IMessageTransmitterV1} from "./interfaces/IMessageTransmitterV1.sol";
import {CctpAddress} from "./libraries/CctpAddress.sol";
import {CctpBurnMessage} from "./libraries/CctpBurnMessage.sol";

/// @title DevTokenMessengerV1
/// @notice DEVNET ONLY — never deploy to a real network. A CCTP V1 token messenger for the local devnet
/// (the fallback path), byte-compatible with Circle's V1 `TokenMessenger`: `depositForBurn` (0x6fd3504e)
/// and `depositForBurnWithCaller` (0xf856ddb6) burn through the local minter and send a 132-byte V1 burn
/// message through the local V1 transmitter, returning its nonce; `handleReceiveMessage` mints the full
/// amount to the mint recipient (V1 has no fees).
contract DevTokenMessengerV1 is DevTokenMessengerBase, IMessageHandlerV1 {
    /// @notice The burn message version of CCTP V1.
    uint32 public constant MESSAGE_BODY_VERSION = 0;

    /// @notice A burn left this domain with message nonce `nonce` (Circle's V1 event, topic0 0x2fa9ca89…).
    event DepositForBurn(
        uint64 indexed nonce,
        address indexed burnToken,
        uint256 amount,
        address indexed depositor,
        bytes32 mintRecipient,
        uint32 destinationDomain,
        bytes32 destinationTokenMessenger,
        bytes32 destinationCaller
    );
    /// @notice A remote burn was minted to `mintRecipient` (Circle's V1 event, topic0 0x1b2a7ff0…).
    event MintAndWithdraw(address indexed mintRecipient, uint256 amount, address indexed mintToken);

    /// @notice `depositForBurnWithCaller` with a zero destination caller.
    error ZeroDestinationCaller();

    /// @param localMessageTransmitter_ The DevMessageTransmitterV1 of this chain.
    /// @param localMinter_ The DevTokenMinter of this chain.
    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    constructor(
        address localMessageTransmitter_,
        address localMinter_,
        address admin
    ) DevTokenMessengerBase(localMessageTransmitter_, localMinter_, MESSAGE_BODY_VERSION, admin) {}

    /// @notice Burns `amount` of `burnToken` from the caller and sends a V1 burn message to `destinationDomain`.
    /// @return nonce The V1 message nonce.
    /// @dev Requirements, in Circle's order: `amount` > 0 ({ZeroAmount}); `mintRecipient` non-zero
    /// ({ZeroMintRecipient}); a remote messenger for the domain ({NoRemoteTokenMessenger}); then
    /// allowance/balance (token errors), the minter's checks and the transmitter's. Emits the transmitter's
    /// MessageSent, then {DepositForBurn}.
    function depositForBurn(
        uint256 amount,
        uint32 destinationDomain,
        bytes32 mintRecipient,
        address burnToken
    ) external virtual returns (uint64 nonce) {
        return _depositForBurn(amount, destinationDomain, mintRecipient, burnToken, bytes32(0));
    }

    /// @notice As {depositForBurn}, receivable on the destination only by `destinationCaller`.
    /// @dev Requirements: `destinationCaller` non-zero ({ZeroDestinationCaller}), then as {depositForBurn}.
    function depositForBurnWithCaller(
        uint256 amount,
        uint32 destinationDomain,
        bytes32 mintRecipient,
        address burnToken,
        bytes32 destinationCaller
    ) external virtual returns (uint64 nonce) {
        if (destinationCaller == bytes32(0)) revert ZeroDestinationCaller();
        return _depositForBurn(amount, destinationDomain, mintRecipient, burnToken, destinationCaller);
    }

    /// @inheritdoc IMessageHandlerV1
    /// @dev Requirements: the local transmitter calls ({NotLocalMessageTransmitter}) for the registered
    /// messenger of `remoteDomain` ({NotRemoteTokenMessenger}); exactly 132 bytes ({MalformedBurnMessage});
    /// body version 0 ({InvalidMessageBodyVersion}); minter errors bubble. Emits {MintAndWithdraw}.
    function handleReceiveMessage(
        uint32 remoteDomain,
        bytes32 sender,
        bytes calldata messageBody
    ) external virtual returns (bool success) {
        _requireFromRemoteTokenMessenger(remoteDomain, sender);
        if (!CctpBurnMessage.isWellFormedV1(messageBody)) revert MalformedBurnMessage(messageBody.length);
        _requireBodyVersion(CctpBurnMessage.version(messageBody));
        address mintRecipient = CctpAddress.toAddress(CctpBurnMessage.mintRecipient(messageBody));
        uint256 amount = CctpBurnMessage.amount(messageBody);
        address mintToken = localMinter().mint(
            remoteDomain,
            CctpBurnMessage.burnToken(messageBody),
            mintRecipient,
            amount
        );
        emit MintAndWithdraw(mintRecipient, amount, mintToken);
        return true;
    }

    /// @dev See {depositForBurn}; a zero `destinationCaller` uses `sendMessage`, else `sendMessageWithCaller`.
    function _depositForBurn(
        uint256 amount,
        uint32 destinationDomain,
        bytes32 mintRecipient,
        address burnToken,
        bytes32 destinationCaller
    ) internal virtual returns (uint64 nonce) {
        if (amount == 0) revert ZeroAmount();
        if (mintRecipient == bytes32(0)) revert ZeroMintRecipient();
        bytes32 destinationTokenMessenger = _remoteTokenMessenger(destinationDomain);
        _depositAndBurn(burnToken, amount);
        bytes memory body = CctpBurnMessage.formatV1(
            MESSAGE_BODY_VERSION,
            CctpAddress.toBytes32(burnToken),
            mintRecipient,
            amount,
            CctpAddress.toBytes32(msg.sender)
        );
        IMessageTransmitterV1 transmitter = IMessageTransmitterV1(localMessageTransmitter());
        nonce =
            destinationCaller == bytes32(0)
                ? transmitter.sendMessage(destinationDomain, destinationTokenMessenger, body)
                : transmitter.sendMessageWithCaller(
                    destinationDomain,
                    destinationTokenMessenger,
                    destinationCaller,
                    body
                );
        emit DepositForBurn(
            nonce,
            burnToken,
            amount,
            msg.sender,
            mintRecipient,
            destinationDomain,
            destinationTokenMessenger,
            destinationCaller
        );
    }
}

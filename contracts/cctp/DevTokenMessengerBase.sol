// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ICctpTokenMinter} from "./interfaces/ICctpTokenMinter.sol";

/// @title DevTokenMessengerBase
/// @notice DEVNET ONLY — never deploy to a real network. What the V1 and V2 devnet token messengers share
/// (Circle's `BaseTokenMessenger`): the local message transmitter and token minter, the message body
/// version, the registry of remote token messengers per domain, the receive-side authentication and the
/// burn of a deposit through the minter.
/// @dev DEFAULT_ADMIN_ROLE manages the remote token messengers (and, in V2, fees).
abstract contract DevTokenMessengerBase is AccessControl {
    using SafeERC20 for IERC20;

    address private immutable _LOCAL_MESSAGE_TRANSMITTER;
    ICctpTokenMinter private immutable _LOCAL_MINTER;
    uint32 private immutable _MESSAGE_BODY_VERSION;
    mapping(uint32 domain => bytes32) private _remoteTokenMessengers;

    /// @notice Burns sent to `domain` go to `tokenMessenger`, and only its messages mint here.
    event RemoteTokenMessengerAdded(uint32 domain, bytes32 tokenMessenger);
    /// @notice `domain` has no remote token messenger any more.
    event RemoteTokenMessengerRemoved(uint32 domain, bytes32 tokenMessenger);

    /// @notice A zero address where a contract or account is required.
    error ZeroAddress();
    /// @notice A deposit of zero tokens.
    error ZeroAmount();
    /// @notice A deposit with a zero mint recipient.
    error ZeroMintRecipient();
    /// @notice No remote token messenger is registered for `domain`.
    error NoRemoteTokenMessenger(uint32 domain);
    /// @notice A zero remote token messenger for `domain`.
    error ZeroRemoteTokenMessenger(uint32 domain);
    /// @notice `domain` already has the remote token messenger `tokenMessenger`.
    error RemoteTokenMessengerAlreadySet(uint32 domain, bytes32 tokenMessenger);
    /// @notice A handler was called by someone other than the local message transmitter.
    error NotLocalMessageTransmitter(address caller);
    /// @notice The message's sender is not the registered token messenger of `remoteDomain`.
    error NotRemoteTokenMessenger(uint32 remoteDomain, bytes32 sender);
    /// @notice The burn message has the wrong length (V1: exactly 132 bytes; V2: at least 228).
    error MalformedBurnMessage(uint256 length);
    /// @notice The burn message has another body version.
    error InvalidMessageBodyVersion(uint32 version, uint32 expectedVersion);

    /// @param localMessageTransmitter_ The message transmitter of this chain (same CCTP version).
    /// @param localMinter_ The token minter of this chain.
    /// @param messageBodyVersion_ The burn message version (0 for V1, 1 for V2).
    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    constructor(
        address localMessageTransmitter_,
        address localMinter_,
        uint32 messageBodyVersion_,
        address admin
    ) {
        if (localMessageTransmitter_ == address(0) || localMinter_ == address(0) || admin == address(0)) {
            revert ZeroAddress();
        }
        _LOCAL_MESSAGE_TRANSMITTER = localMessageTransmitter_;
        _LOCAL_MINTER = ICctpTokenMinter(localMinter_);
        _MESSAGE_BODY_VERSION = messageBodyVersion_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice Registers the token messenger of `domain` (as bytes32).
    /// @dev Requirements: DEFAULT_ADMIN_ROLE; `tokenMessenger` non-zero ({ZeroRemoteTokenMessenger}); none
    /// registered for `domain` yet ({RemoteTokenMessengerAlreadySet}). Emits {RemoteTokenMessengerAdded}.
    function addRemoteTokenMessenger(
        uint32 domain,
        bytes32 tokenMessenger
    ) external virtual onlyRole(DEFAULT_ADMIN_ROLE) {
        if (tokenMessenger == bytes32(0)) revert ZeroRemoteTokenMessenger(domain);
        bytes32 current = _remoteTokenMessengers[domain];
        if (current != bytes32(0)) revert RemoteTokenMessengerAlreadySet(domain, current);
        _remoteTokenMessengers[domain] = tokenMessenger;
        emit RemoteTokenMessengerAdded(domain, tokenMessenger);
    }

    /// @notice Removes the token messenger of `domain`.
    /// @dev Requirements: DEFAULT_ADMIN_ROLE; one is registered ({NoRemoteTokenMessenger}).
    /// Emits {RemoteTokenMessengerRemoved}.
    function removeRemoteTokenMessenger(uint32 domain) external virtual onlyRole(DEFAULT_ADMIN_ROLE) {
        bytes32 current = _remoteTokenMessengers[domain];
        if (current == bytes32(0)) revert NoRemoteTokenMessenger(domain);
        delete _remoteTokenMessengers[domain];
        emit RemoteTokenMessengerRemoved(domain, current);
    }

    /// @notice The message transmitter this messenger sends through and accepts handler calls from.
    function localMessageTransmitter() public view returns (address) {
        return _LOCAL_MESSAGE_TRANSMITTER;
    }

    /// @notice The token minter that burns deposits and mints receipts.
    function localMinter() public view returns (ICctpTokenMinter) {
        return _LOCAL_MINTER;
    }

    /// @notice The burn message version this messenger sends and accepts.
    function messageBodyVersion() public view returns (uint32) {
        return _MESSAGE_BODY_VERSION;
    }

    /// @notice The token messenger registered for `domain` (zero when none).
    function remoteTokenMessengers(uint32 domain) external view returns (bytes32) {
        return _remoteTokenMessengers[domain];
    }

    /// @dev The registered messenger of `domain`; reverts with {NoRemoteTokenMessenger} when none.
    function _remoteTokenMessenger(uint32 domain) internal view virtual returns (bytes32 tokenMessenger) {
        tokenMessenger = _remoteTokenMessengers[domain];
        if (tokenMessenger == bytes32(0)) revert NoRemoteTokenMessenger(domain);
    }

    /// @dev Moves `amount` of `token` from the caller to the minter and burns it there (token and minter
    /// errors bubble, e.g. ERC20InsufficientAllowance, BurnAmountExceedsLimit, TokenPaused).
    function _depositAndBurn(address token, uint256 amount) internal virtual {
        IERC20(token).safeTransferFrom(msg.sender, address(_LOCAL_MINTER), amount);
        _LOCAL_MINTER.burn(token, amount);
    }

    /// @dev The authentication of every handler call: the caller is the local transmitter
    /// ({NotLocalMessageTransmitter}) and `sender` the registered messenger of `remoteDomain`
    /// ({NotRemoteTokenMessenger}).
    function _requireFromRemoteTokenMessenger(uint32 remoteDomain, bytes32 sender) internal view virtual {
        if (msg.sender != _LOCAL_MESSAGE_TRANSMITTER) revert NotLocalMessageTransmitter(msg.sender);
        bytes32 registered = _remoteTokenMessengers[remoteDomain];
        if (registered == bytes32(0) || registered != sender)
            revert NotRemoteTokenMessenger(remoteDomain, sender);
    }

    /// @dev Reverts with {InvalidMessageBodyVersion} unless `bodyVersion` is this messenger's.
    function _requireBodyVersion(uint32 bodyVersion) internal view virtual {
        if (bodyVersion != _MESSAGE_BODY_VERSION)
            revert InvalidMessageBodyVersion(bodyVersion, _MESSAGE_BODY_VERSION);
    }
}

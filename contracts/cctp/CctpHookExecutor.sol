// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ICctpTokenMinter} from "./interfaces/ICctpTokenMinter.sol";
import {IMessageTransmitterV2} from "./interfaces/IMessageTransmitterV2.sol";
import {CctpAddress} from "./libraries/CctpAddress.sol";
import {CctpBurnMessage} from "./libraries/CctpBurnMessage.sol";
import {CctpHookData} from "./libraries/CctpHookData.sol";
import {CctpMessageV2} from "./libraries/CctpMessageV2.sol";

/// @title CctpHookExecutor
/// @notice DEVNET ONLY — never deploy to a real network. Receives a CCTP V2 burn message and executes its
/// hook in the same transaction. Unlike Circle's sample `CCTPHookWrapper` (owner-gated, hook failure does
/// not revert the mint), a failing hook reverts the whole receive, so the nonce stays unused and the
/// message can be relayed again; therefore `relay` is permissionless (no griefing by low gas).
///
/// The burn must name this executor as both `destinationCaller` and `mintRecipient`, and carry hook data
/// in the {CctpHookData} format:
///
///     hookData = abi.encodePacked(bytes4 "rkh1" (0x726b6831), address target, bytes callData)
///
/// `relay` then: receives the message (the net amount `amount - feeExecuted` of the local token is minted
/// here); approves `target` for exactly that net amount; calls `target` with `callData` (a revert becomes
/// {HookFailed} with the target's return data); resets the allowance to 0; and requires that the hook
/// consumed exactly the net amount — this executor's token balance must be back where it was before the
/// mint ({HookAmountNotConsumed}). The hook's callData must therefore move exactly `amount - feeExecuted`
/// (e.g. `DevTreasury.credit(account, token, amount - feeExecuted)`).
contract CctpHookExecutor is ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice The magic prefix of the hook data: "rkh1".
    bytes4 public constant HOOK_MAGIC = CctpHookData.MAGIC;
    /// @notice Shortest relayable message: a V2 header and a burn body with empty hook data.
    uint256 public constant MIN_MESSAGE_LENGTH =
        CctpMessageV2.MESSAGE_BODY_INDEX + CctpBurnMessage.V2_MIN_LENGTH;

    IMessageTransmitterV2 private immutable _TRANSMITTER;
    address private immutable _TOKEN_MESSENGER;
    ICctpTokenMinter private immutable _MINTER;

    /// @notice The hook of message `nonce` ran: `target` took `amount` of `token`.
    event HookExecuted(bytes32 indexed nonce, address indexed target, address indexed token, uint256 amount);

    /// @notice A zero address where a contract is required.
    error ZeroAddress();
    /// @notice The message is shorter than a V2 burn message.
    error MalformedMessage(uint256 length, uint256 minLength);
    /// @notice The message or its body is not version 1 (CCTP V2).
    error UnsupportedVersion(uint32 messageVersion, uint32 messageBodyVersion);
    /// @notice The message's recipient is not the local V2 token messenger, so it is no burn.
    error NotBurnMessage(bytes32 recipient);
    /// @notice The message's destinationCaller is not this executor.
    error WrongDestinationCaller(bytes32 destinationCaller);
    /// @notice The burn's mintRecipient is not this executor.
    error WrongMintRecipient(bytes32 mintRecipient);
    /// @notice The hook data is shorter than 24 bytes or does not start with "rkh1".
    error InvalidHookData(bytes hookData);
    /// @notice The hook target is the zero address, this executor or the minted token.
    error InvalidHookTarget(address target);
    /// @notice The hook call reverted; `returnData` is the target's revert data.
    error HookFailed(address target, bytes returnData);
    /// @notice After the hook this executor holds `balance` of `token` instead of `expectedBalance`: the
    /// hook did not take exactly the net minted amount.
    error HookAmountNotConsumed(address target, address token, uint256 expectedBalance, uint256 balance);

    /// @param transmitter_ The DevMessageTransmitterV2 of this chain.
    /// @param tokenMessenger_ The DevTokenMessengerV2 of this chain (the recipient of burn messages).
    /// @param minter_ The DevTokenMinter of this chain (maps the burn token to the local token).
    constructor(address transmitter_, address tokenMessenger_, address minter_) {
        if (transmitter_ == address(0) || tokenMessenger_ == address(0) || minter_ == address(0)) {
            revert ZeroAddress();
        }
        _TRANSMITTER = IMessageTransmitterV2(transmitter_);
        _TOKEN_MESSENGER = tokenMessenger_;
        _MINTER = ICctpTokenMinter(minter_);
    }

    /// @notice Receives `message` with `attestation` and executes its hook, atomically. Anyone may call.
    /// @param message The attested V2 message (with the attestation service's nonce, finality and fee).
    /// @param attestation The attesters' signatures over keccak256(message).
    /// @return returnData What the hook target returned.
    /// @dev Requirements, in order: at least MIN_MESSAGE_LENGTH bytes ({MalformedMessage}); versions 1
    /// ({UnsupportedVersion}); recipient is the local token messenger ({NotBurnMessage}); destinationCaller
    /// and mintRecipient are this executor ({WrongDestinationCaller}, {WrongMintRecipient}); valid hook data
    /// ({InvalidHookData}); a valid target ({InvalidHookTarget}); the receive succeeds (transmitter,
    /// messenger and minter errors bubble); the hook succeeds ({HookFailed}) and takes exactly the net
    /// amount ({HookAmountNotConsumed}). Emits {HookExecuted} after the transmitter's MessageReceived.
    function relay(
        bytes calldata message,
        bytes calldata attestation
    ) external virtual nonReentrant returns (bytes memory returnData) {
        (address target, bytes calldata callData) = _checkRelayable(message);
        // Returns true or reverts (every transmitter, messenger and minter error bubbles).
        _TRANSMITTER.receiveMessage(message, attestation);
        return _executeHook(message, target, callData);
    }

    /// @notice The local V2 message transmitter.
    function transmitter() external view returns (IMessageTransmitterV2) {
        return _TRANSMITTER;
    }

    /// @notice The local V2 token messenger.
    function tokenMessenger() external view returns (address) {
        return _TOKEN_MESSENGER;
    }

    /// @notice The local token minter.
    function minter() external view returns (ICctpTokenMinter) {
        return _MINTER;
    }

    /// @dev The checks before the receive; returns the decoded hook.
    function _checkRelayable(
        bytes calldata message
    ) internal view virtual returns (address target, bytes calldata callData) {
        if (message.length < MIN_MESSAGE_LENGTH) revert MalformedMessage(message.length, MIN_MESSAGE_LENGTH);
        bytes calldata body = CctpMessageV2.messageBody(message);
        if (CctpMessageV2.version(message) != 1 || CctpBurnMessage.version(body) != 1) {
            revert UnsupportedVersion(CctpMessageV2.version(message), CctpBurnMessage.version(body));
        }
        bytes32 self = CctpAddress.toBytes32(address(this));
        bytes32 recipient = CctpMessageV2.recipient(message);
        if (recipient != CctpAddress.toBytes32(_TOKEN_MESSENGER)) revert NotBurnMessage(recipient);
        bytes32 destinationCaller = CctpMessageV2.destinationCaller(message);
        if (destinationCaller != self) revert WrongDestinationCaller(destinationCaller);
        bytes32 mintRecipient = CctpBurnMessage.mintRecipient(body);
        if (mintRecipient != self) revert WrongMintRecipient(mintRecipient);
        bool ok;
        (ok, target, callData) = CctpHookData.decode(CctpBurnMessage.hookData(body));
        if (!ok) revert InvalidHookData(CctpBurnMessage.hookData(body));
        if (target == address(0) || target == address(this)) revert InvalidHookTarget(target);
    }

    /// @dev Approves, calls and checks the hook of a received `message`; see the contract notice.
    function _executeHook(
        bytes calldata message,
        address target,
        bytes calldata callData
    ) internal virtual returns (bytes memory returnData) {
        bytes calldata body = CctpMessageV2.messageBody(message);
        IERC20 token = IERC20(
            _MINTER.getLocalToken(CctpMessageV2.sourceDomain(message), CctpBurnMessage.burnToken(body))
        );
        if (target == address(token)) revert InvalidHookTarget(target);
        uint256 amount = CctpBurnMessage.amount(body) - CctpBurnMessage.feeExecuted(body);
        uint256 expectedBalance = token.balanceOf(address(this)) - amount;

        token.forceApprove(target, amount);
        bool success;
        // solhint-disable-next-line avoid-low-level-calls
        (success, returnData) = target.call(callData);
        if (!success) revert HookFailed(target, returnData);
        token.forceApprove(target, 0);

        uint256 balance = token.balanceOf(address(this));
        if (balance != expectedBalance)
            revert HookAmountNotConsumed(target, address(token), expectedBalance, balance);
        emit HookExecuted(CctpMessageV2.nonce(message), target, address(token), amount);
    }
}

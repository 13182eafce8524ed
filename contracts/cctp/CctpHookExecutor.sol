// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ICctpHookReceiver} from "./interfaces/ICctpHookReceiver.sol";
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
///     hookData = abi.encodePacked(bytes4 "rkh2" (0x726b6832), address target, bytes data)
///
/// The hook is a receiver callback (like ERC-1363's `onTransferReceived`): `relay` receives the message,
/// measures what was minted here (balance after − balance before = `amount - feeExecuted`), transfers
/// exactly that to `target` and then calls {ICctpHookReceiver-onCctpHook} with the message's nonce, source
/// domain, burn sender, the token, the delivered amount and `data`; the target must return the selector.
/// Because the amount is an argument of the callback, the burn does not need to know the fee: a fast
/// transfer, whose `feeExecuted` the attester fixes, works like a standard one.
///
/// Push (transfer, then call) rather than approve + pull: the executor never leaves an allowance behind
/// and needs no "was it consumed" check, the receiver holds the tokens when it is called (it may verify
/// its balance), and a receiver that does not want them simply reverts, which reverts the mint too.
contract CctpHookExecutor is ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice The magic prefix of the hook data: "rkh2".
    bytes4 public constant HOOK_MAGIC = CctpHookData.MAGIC;
    /// @notice Shortest relayable message: a V2 header and a burn body with empty hook data.
    uint256 public constant MIN_MESSAGE_LENGTH =
        CctpMessageV2.MESSAGE_BODY_INDEX + CctpBurnMessage.V2_MIN_LENGTH;

    IMessageTransmitterV2 private immutable _TRANSMITTER;
    address private immutable _TOKEN_MESSENGER;
    ICctpTokenMinter private immutable _MINTER;

    /// @notice The hook of message `nonce` ran: `target` received `amount` of `token` and accepted it.
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
    /// @notice The hook data is shorter than 24 bytes or does not start with "rkh2".
    error InvalidHookData(bytes hookData);
    /// @notice The hook target is the zero address, this executor, the minted token or has no code.
    error InvalidHookTarget(address target);
    /// @notice The hook callback reverted; `returnData` is the target's revert data.
    error HookFailed(address target, bytes returnData);
    /// @notice The hook callback returned `returnData` instead of the {ICctpHookReceiver-onCctpHook} selector.
    error HookRejected(address target, bytes returnData);

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
    /// @return amount The amount delivered to the hook target (`amount - feeExecuted` of the burn).
    /// @dev Requirements, in order: at least MIN_MESSAGE_LENGTH bytes ({MalformedMessage}); versions 1
    /// ({UnsupportedVersion}); recipient is the local token messenger ({NotBurnMessage}); destinationCaller
    /// and mintRecipient are this executor ({WrongDestinationCaller}, {WrongMintRecipient}); valid hook data
    /// ({InvalidHookData}); a target that is a contract other than this executor and the minted token
    /// ({InvalidHookTarget}); the receive succeeds (transmitter, messenger and minter errors bubble); the
    /// transfer to the target succeeds (token errors bubble); the callback succeeds ({HookFailed}) and
    /// returns its selector ({HookRejected}). Emits {HookExecuted} after the transmitter's MessageReceived.
    function relay(
        bytes calldata message,
        bytes calldata attestation
    ) external virtual nonReentrant returns (uint256 amount) {
        (address target, bytes calldata data) = _checkRelayable(message);
        bytes calldata body = CctpMessageV2.messageBody(message);
        uint32 sourceDomain = CctpMessageV2.sourceDomain(message);
        IERC20 token = IERC20(_MINTER.getLocalToken(sourceDomain, CctpBurnMessage.burnToken(body)));
        if (target == address(token)) revert InvalidHookTarget(target);

        uint256 balanceBefore = token.balanceOf(address(this));
        // Returns true or reverts (every transmitter, messenger and minter error bubbles).
        _TRANSMITTER.receiveMessage(message, attestation);
        amount = token.balanceOf(address(this)) - balanceBefore;

        bytes32 nonce = CctpMessageV2.nonce(message);
        token.safeTransfer(target, amount);
        _callReceiver(
            target,
            abi.encodeCall(
                ICctpHookReceiver.onCctpHook,
                (nonce, sourceDomain, CctpBurnMessage.messageSender(body), address(token), amount, data)
            )
        );
        emit HookExecuted(nonce, target, address(token), amount);
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
    ) internal view virtual returns (address target, bytes calldata data) {
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
        (ok, target, data) = CctpHookData.decode(CctpBurnMessage.hookData(body));
        if (!ok) revert InvalidHookData(CctpBurnMessage.hookData(body));
        if (target == address(0) || target == address(this) || target.code.length == 0) {
            revert InvalidHookTarget(target);
        }
    }

    /// @dev Calls `target` with the encoded {ICctpHookReceiver-onCctpHook} `callData`; reverts unless it
    /// returns exactly the ABI-encoded selector.
    function _callReceiver(address target, bytes memory callData) internal virtual {
        // solhint-disable-next-line avoid-low-level-calls
        (bool success, bytes memory returnData) = target.call(callData);
        if (!success) revert HookFailed(target, returnData);
        if (
            returnData.length != 32 || bytes32(returnData) != bytes32(ICctpHookReceiver.onCctpHook.selector)
        ) {
            revert HookRejected(target, returnData);
        }
    }
}

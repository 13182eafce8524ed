// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {CctpHookExecutor} from "../../../contracts/cctp/CctpHookExecutor.sol";
import {ICctpHookReceiver} from "../../../contracts/cctp/interfaces/ICctpHookReceiver.sol";

/// @dev A configurable (and optionally malicious) {ICctpHookReceiver} for the CctpHookExecutor tests:
/// records the last callback and its own token balance at that moment, or misbehaves per `mode`.
contract TestCctpHookReceiver is ICctpHookReceiver {
    /// @dev ACCEPT returns the selector; WRONG_SELECTOR returns another bytes4; REVERT reverts with
    /// {Refused}; REENTER calls back into `relay` and bubbles its revert; NO_RETURN returns nothing.
    uint8 public constant ACCEPT = 0;
    uint8 public constant WRONG_SELECTOR = 1;
    uint8 public constant REVERT = 2;
    uint8 public constant REENTER = 3;
    uint8 public constant NO_RETURN = 4;

    uint8 public mode;
    bytes32 public lastNonce;
    uint32 public lastSourceDomain;
    bytes32 public lastSender;
    address public lastToken;
    uint256 public lastAmount;
    bytes public lastData;
    /// @dev This contract's balance of `token` when the callback ran (the executor pushes before calling).
    uint256 public balanceAtCall;

    error Refused(uint256 amount);

    function setMode(uint8 mode_) external {
        mode = mode_;
    }

    function onCctpHook(
        bytes32 nonce,
        uint32 sourceDomain,
        bytes32 sender,
        address token,
        uint256 amount,
        bytes calldata data
    ) external returns (bytes4) {
        if (mode == REVERT) revert Refused(amount);
        if (mode == REENTER) {
            // solhint-disable-next-line avoid-low-level-calls
            (bool ok, bytes memory ret) = msg.sender.call(abi.encodeCall(CctpHookExecutor.relay, ("", "")));
            if (!ok) {
                assembly ("memory-safe") {
                    revert(add(ret, 32), mload(ret))
                }
            }
        }
        if (mode == NO_RETURN) {
            assembly ("memory-safe") {
                return(0, 0)
            }
        }
        lastNonce = nonce;
        lastSourceDomain = sourceDomain;
        lastSender = sender;
        lastToken = token;
        lastAmount = amount;
        lastData = data;
        balanceAtCall = IERC20(token).balanceOf(address(this));
        return mode == WRONG_SELECTOR ? bytes4(0xdeadbeef) : ICctpHookReceiver.onCctpHook.selector;
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ICctpHookReceiver
/// @notice The callback a {CctpHookExecutor} hook target implements (the receiver-callback pattern of
/// ERC-1363 / flash-loan callbacks). The executor first transfers the net minted amount to the target,
/// then calls {onCctpHook}; anything but the selector as return value reverts the whole relay.
interface ICctpHookReceiver {
    /// @notice Called by the executor after it transferred `amount` of `token` to this contract.
    /// @param nonce The CCTP V2 nonce of the message.
    /// @param sourceDomain The CCTP domain the tokens were burned on.
    /// @param sender The burn's messageSender (the account that burned on the source, left-padded).
    /// @param token The local token received.
    /// @param amount The amount received: the minted `amount - feeExecuted`, as measured by the executor.
    /// @param data The hook's data, verbatim from the burn's hook data.
    /// @return The selector of this function, `ICctpHookReceiver.onCctpHook.selector`, to accept.
    function onCctpHook(
        bytes32 nonce,
        uint32 sourceDomain,
        bytes32 sender,
        address token,
        uint256 amount,
        bytes calldata data
    ) external returns (bytes4);
}

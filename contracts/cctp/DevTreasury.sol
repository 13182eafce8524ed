// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ICctpHookReceiver} from "./interfaces/ICctpHookReceiver.sol";

/// @title DevTreasury
/// @notice DEVNET ONLY — never deploy to a real network. A hook target for the {CctpHookExecutor}: credits
/// what a CCTP transfer delivered to an off-chain account id (e.g. a customer reference). The burn's hook
/// data is `CctpHookData.encode(treasury, abi.encode(bytes32 account))`; the executor transfers the net
/// minted amount here and calls {onCctpHook}, which credits exactly that amount — the burn never states
/// the amount, so standard and fast transfers (fee fixed at attestation) work alike.
contract DevTreasury is ICctpHookReceiver {
    address private immutable _EXECUTOR;

    mapping(bytes32 account => mapping(address token => uint256)) private _balances;

    /// @notice `amount` of `token`, burned by `sender` on `sourceDomain` (message `nonce`), was credited to
    /// `account`.
    event Credited(
        bytes32 indexed account,
        address indexed token,
        uint256 amount,
        bytes32 nonce,
        uint32 sourceDomain,
        bytes32 sender
    );

    /// @notice A zero address where the executor is required.
    error ZeroAddress();
    /// @notice {onCctpHook} was called by `caller`, not the configured executor.
    error UnauthorizedCaller(address caller);
    /// @notice The hook data is not exactly one ABI-encoded bytes32 account.
    error InvalidAccountData(bytes data);
    /// @notice A credit of zero tokens.
    error ZeroAmount();

    /// @param executor_ The {CctpHookExecutor} allowed to call {onCctpHook}.
    constructor(address executor_) {
        if (executor_ == address(0)) revert ZeroAddress();
        _EXECUTOR = executor_;
    }

    /// @notice Credits `amount` of `token`, already transferred here by the executor, to the account in
    /// `data` (`abi.encode(bytes32 account)`).
    /// @dev Requirements: the caller is the executor ({UnauthorizedCaller}); `data` is 32 bytes
    /// ({InvalidAccountData}); `amount` > 0 ({ZeroAmount}). Emits {Credited}.
    function onCctpHook(
        bytes32 nonce,
        uint32 sourceDomain,
        bytes32 sender,
        address token,
        uint256 amount,
        bytes calldata data
    ) external virtual returns (bytes4) {
        if (msg.sender != _EXECUTOR) revert UnauthorizedCaller(msg.sender);
        if (data.length != 32) revert InvalidAccountData(data);
        if (amount == 0) revert ZeroAmount();
        bytes32 account = abi.decode(data, (bytes32));
        _balances[account][token] += amount;
        emit Credited(account, token, amount, nonce, sourceDomain, sender);
        return ICctpHookReceiver.onCctpHook.selector;
    }

    /// @notice The executor allowed to call {onCctpHook}.
    function executor() external view returns (address) {
        return _EXECUTOR;
    }

    /// @notice The amount of `token` credited to `account`.
    function balanceOf(bytes32 account, address token) external view returns (uint256) {
        return _balances[account][token];
    }
}

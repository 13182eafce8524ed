// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title DevTreasury
/// @notice DEVNET ONLY — never deploy to a real network. A hook target for the {CctpHookExecutor}: credits
/// tokens to an off-chain account id (e.g. a customer reference), pulling them from the caller. A CCTP
/// transfer whose hook is `credit(account, token, amount - feeExecuted)` lands in the account atomically.
contract DevTreasury {
    using SafeERC20 for IERC20;

    mapping(bytes32 account => mapping(address token => uint256)) private _balances;

    /// @notice `from` paid `amount` of `token` into `account`.
    event Credited(bytes32 indexed account, address indexed token, uint256 amount, address from);

    /// @notice A credit of zero tokens.
    error ZeroAmount();

    /// @notice Pulls `amount` of `token` from the caller (needs its allowance) and credits `account`.
    /// @dev Requirements: `amount` > 0 ({ZeroAmount}); allowance and balance (token errors bubble).
    /// Emits {Credited}.
    function credit(bytes32 account, address token, uint256 amount) external virtual {
        if (amount == 0) revert ZeroAmount();
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        _balances[account][token] += amount;
        emit Credited(account, token, amount, msg.sender);
    }

    /// @notice The amount of `token` credited to `account`.
    function balanceOf(bytes32 account, address token) external view returns (uint256) {
        return _balances[account][token];
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IComplianceGate} from "../interfaces/IComplianceGate.sol";
import {IReserveBackedStablecoin} from "../interfaces/IReserveBackedStablecoin.sol";
import {IReserveCircuitBreaker} from "../interfaces/IReserveCircuitBreaker.sol";

/// @title StablecoinRedeemer
/// @notice Redemption of the stablecoin for fiat: a holder burns tokens here and the emitted
/// {RedemptionRequested} record is what the off-chain payout process pays against. Redemptions stop while
/// the circuit breaker is paused and require the holder to pass the compliance gate for Operation.Redeem.
/// @dev Needs the token's BURNER_ROLE; it only ever burns from the caller. The wiring (token, breaker,
/// gate) is immutable: to change it, deploy a new redeemer and move BURNER_ROLE on the token. The admin
/// (DEFAULT_ADMIN_ROLE) has no operational power here; it only administers roles of extensions.
contract StablecoinRedeemer is AccessControl {
    IReserveBackedStablecoin private immutable _TOKEN;
    IReserveCircuitBreaker private immutable _BREAKER;
    IComplianceGate private immutable _GATE;

    uint256 private _nextRedemptionId = 1;

    /// @notice `account` burned `amount` tokens; the off-chain payout of redemption `redemptionId` goes to
    /// the destination identified by `payoutRef`. `supplyAfter` is the token supply after the burn.
    event RedemptionRequested(
        uint256 indexed redemptionId,
        address indexed account,
        uint256 amount,
        bytes32 indexed payoutRef,
        uint256 supplyAfter,
        uint64 requestedAt
    );

    /// @notice A redemption of zero tokens.
    error ZeroAmount();
    /// @notice The circuit breaker is paused.
    error BreakerIsPaused(address breaker);
    /// @notice A zero payout reference.
    error InvalidPayoutRef();
    /// @notice A zero address where a contract or account is required.
    error ZeroAddress();

    /// @param token_ The token to burn (this redeemer needs its BURNER_ROLE).
    /// @param breaker_ The circuit breaker of the asset.
    /// @param gate_ The compliance gate of the asset.
    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    /// @dev Requirements: no argument is the zero address ({ZeroAddress}).
    constructor(address token_, address breaker_, address gate_, address admin) {
        if (token_ == address(0) || breaker_ == address(0) || gate_ == address(0) || admin == address(0)) {
            revert ZeroAddress();
        }
        _TOKEN = IReserveBackedStablecoin(token_);
        _BREAKER = IReserveCircuitBreaker(breaker_);
        _GATE = IComplianceGate(gate_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice Burns `amount` of the caller's tokens and records a redemption to be paid out off-chain.
    /// @param amount Tokens to redeem, in token decimals.
    /// @param payoutRef Off-chain reference of the payout destination (e.g. a hash of bank details held by
    /// the issuer); must not be zero.
    /// @return redemptionId The id of this redemption: 1 for the first, then strictly increasing by one.
    /// @dev Requirements, checked in this order:
    /// - `amount > 0` ({ZeroAmount});
    /// - `payoutRef != 0` ({InvalidPayoutRef});
    /// - the breaker is not paused ({BreakerIsPaused});
    /// - the gate allows the caller to redeem `amount` ({IComplianceGate.ComplianceCheckFailed});
    /// - the caller holds at least `amount` ({IERC20Errors.ERC20InsufficientBalance}, from the token).
    /// Emits {RedemptionRequested} (after the token's {Transfer} to the zero address).
    function redeem(uint256 amount, bytes32 payoutRef) external virtual returns (uint256 redemptionId) {
        return _redeem(_msgSender(), amount, payoutRef);
    }

    /// @notice The id the next redemption will get.
    function nextRedemptionId() external view returns (uint256) {
        return _nextRedemptionId;
    }

    /// @notice The token this redeemer burns.
    function token() external view returns (IReserveBackedStablecoin) {
        return _TOKEN;
    }

    /// @notice The circuit breaker that stops redemptions while paused.
    function breaker() external view returns (IReserveCircuitBreaker) {
        return _BREAKER;
    }

    /// @notice The compliance gate every redeemer must pass.
    function gate() external view returns (IComplianceGate) {
        return _GATE;
    }

    /// @dev The redemption sequence behind redeem(); see its requirements.
    function _redeem(
        address account,
        uint256 amount,
        bytes32 payoutRef
    ) internal virtual returns (uint256 id) {
        if (amount == 0) revert ZeroAmount();
        if (payoutRef == bytes32(0)) revert InvalidPayoutRef();
        _requireNotPaused();
        _requireCompliant(account, amount);
        id = _nextRedemptionId++;
        _TOKEN.burn(account, amount);
        emit RedemptionRequested(
            id,
            account,
            amount,
            payoutRef,
            _TOKEN.totalSupply(),
            SafeCast.toUint64(block.timestamp)
        );
    }

    /// @dev Reverts with {BreakerIsPaused} while the breaker is paused.
    function _requireNotPaused() internal view virtual {
        if (_BREAKER.paused()) revert BreakerIsPaused(address(_BREAKER));
    }

    /// @dev Reverts with {IComplianceGate.ComplianceCheckFailed} unless the gate allows `account` to redeem.
    function _requireCompliant(address account, uint256 amount) internal view virtual {
        (bool allowed, IComplianceGate.Reason reason) = _GATE.check(
            account,
            IComplianceGate.Operation.Redeem,
            amount
        );
        if (!allowed) {
            revert IComplianceGate.ComplianceCheckFailed(
                account,
                IComplianceGate.Operation.Redeem,
                amount,
                reason
            );
        }
    }
}

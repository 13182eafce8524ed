// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IComplianceGate} from "../interfaces/IComplianceGate.sol";
import {IReserveBackedStablecoin} from "../interfaces/IReserveBackedStablecoin.sol";
import {IReserveCircuitBreaker} from "../interfaces/IReserveCircuitBreaker.sol";
import {IReserveVerifier} from "../interfaces/IReserveVerifier.sol";

/// @title StablecoinMinter
/// @notice "Secure Mint": the only intended holder of the token's MINTER_ROLE on a chain with a
/// Proof-of-Reserve feed. A mint succeeds only while the circuit breaker is not paused, only for a
/// recipient the compliance gate allows, and only if the reserves cover the supply after the mint plus
/// the verifier's margin (checked against a fresh, complete, positive feed answer).
/// @dev The wiring (token, verifier, breaker, gate) is immutable on purpose: the safety checks of a
/// deployed minter can never be silently re-pointed. To change any of them, deploy a new minter and move
/// the token's MINTER_ROLE, which is visible on-chain as RoleRevoked/RoleGranted on the token. Parameters
/// that legitimately change (feed, heartbeat, margin, signer set, compliance rules) live in the verifier,
/// breaker and gate, each with its own admin and events.
contract StablecoinMinter is AccessControl {
    /// @notice Role allowed to request mints (the issuer's operations account).
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");

    IReserveBackedStablecoin private immutable _TOKEN;
    IReserveVerifier private immutable _VERIFIER;
    IReserveCircuitBreaker private immutable _BREAKER;
    IComplianceGate private immutable _GATE;

    /// @notice `issuer` minted `amount` to `to`, leaving `supplyAfter` against `reserves` (both in token
    /// decimals, as read by the verifier for this mint).
    event Minted(
        address indexed issuer,
        address indexed to,
        uint256 amount,
        uint256 reserves,
        uint256 supplyAfter
    );

    /// @notice A mint of zero tokens.
    error ZeroAmount();
    /// @notice The circuit breaker is paused.
    error BreakerIsPaused(address breaker);
    /// @notice A zero address where a contract or account is required.
    error ZeroAddress();
    /// @notice The verifier checks the supply of another token than the one this minter mints.
    error VerifierTokenMismatch(address token, address verifierToken);

    /// @param token_ The token to mint (this minter needs its MINTER_ROLE).
    /// @param verifier_ The reserve verifier; its token() must be `token_`.
    /// @param breaker_ The circuit breaker of the asset.
    /// @param gate_ The compliance gate of the asset.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (manages ISSUER_ROLE).
    /// @param issuer Receives ISSUER_ROLE.
    /// @dev Requirements: no argument is the zero address ({ZeroAddress}); `verifier_.token() == token_`
    /// ({VerifierTokenMismatch}).
    constructor(
        address token_,
        address verifier_,
        address breaker_,
        address gate_,
        address admin,
        address issuer
    ) {
        if (
            token_ == address(0) ||
            verifier_ == address(0) ||
            breaker_ == address(0) ||
            gate_ == address(0) ||
            admin == address(0) ||
            issuer == address(0)
        ) revert ZeroAddress();
        address verifierToken = IReserveVerifier(verifier_).token();
        if (verifierToken != token_) revert VerifierTokenMismatch(token_, verifierToken);
        _TOKEN = IReserveBackedStablecoin(token_);
        _VERIFIER = IReserveVerifier(verifier_);
        _BREAKER = IReserveCircuitBreaker(breaker_);
        _GATE = IComplianceGate(gate_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ISSUER_ROLE, issuer);
    }

    /// @notice Mints `amount` tokens to `to` after the Secure Mint checks.
    /// @dev Requirements, checked in this order:
    /// - the caller has ISSUER_ROLE ({AccessControlUnauthorizedAccount});
    /// - `amount > 0` ({ZeroAmount});
    /// - the breaker is not paused ({BreakerIsPaused});
    /// - the gate allows `to` to receive `amount` for Operation.Mint
    ///   ({IComplianceGate.ComplianceCheckFailed} with the gate's reason);
    /// - the verifier's checkMint(amount) passes: a usable feed answer ({IReserveVerifier.StaleAnswer},
    ///   {IReserveVerifier.InvalidAnswer}, {IReserveVerifier.IncompleteRound}) and
    ///   reserves * 10_000 >= (supply + amount) * (10_000 + marginBps) ({IReserveVerifier.InsufficientReserves});
    ///   these errors bubble up unchanged from the verifier.
    /// Emits {Minted} (after the token's {Transfer}).
    function mint(address to, uint256 amount) external virtual onlyRole(ISSUER_ROLE) {
        _secureMint(_msgSender(), to, amount);
    }

    /// @notice The token this minter mints.
    function token() external view returns (IReserveBackedStablecoin) {
        return _TOKEN;
    }

    /// @notice The reserve verifier consulted before every mint.
    function verifier() external view returns (IReserveVerifier) {
        return _VERIFIER;
    }

    /// @notice The circuit breaker that stops minting while paused.
    function breaker() external view returns (IReserveCircuitBreaker) {
        return _BREAKER;
    }

    /// @notice The compliance gate every recipient must pass.
    function gate() external view returns (IComplianceGate) {
        return _GATE;
    }

    /// @dev The Secure Mint sequence behind mint(); see its requirements.
    function _secureMint(address issuer, address to, uint256 amount) internal virtual {
        if (amount == 0) revert ZeroAmount();
        _requireNotPaused();
        _requireCompliant(to, amount);
        (uint256 reservesNow, uint256 supplyAfter) = _VERIFIER.checkMint(amount);
        _TOKEN.mint(to, amount);
        emit Minted(issuer, to, amount, reservesNow, supplyAfter);
    }

    /// @dev Reverts with {BreakerIsPaused} while the breaker is paused.
    function _requireNotPaused() internal view virtual {
        if (_BREAKER.paused()) revert BreakerIsPaused(address(_BREAKER));
    }

    /// @dev Reverts with {IComplianceGate.ComplianceCheckFailed} unless the gate allows `to` to receive a mint.
    function _requireCompliant(address to, uint256 amount) internal view virtual {
        (bool allowed, IComplianceGate.Reason reason) = _GATE.check(
            to,
            IComplianceGate.Operation.Mint,
            amount
        );
        if (!allowed) {
            revert IComplianceGate.ComplianceCheckFailed(to, IComplianceGate.Operation.Mint, amount, reason);
        }
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {IReserveCircuitBreaker} from "../interfaces/IReserveCircuitBreaker.sol";
import {IReserveVerifier} from "../interfaces/IReserveVerifier.sol";

/// @title ReserveCircuitBreaker
/// @notice The pause switch of one reserve-backed asset on one chain. Minting, redemption and bridging
/// contracts check `paused()`.
///
/// Trust model:
/// - Pausing is cheap and fast. An account with `KEEPER_ROLE` pauses with its observation (`pause`), and
///   *anyone* pauses through `trip()` while the verifier reports anything but Healthy, so the breaker trips
///   even when every keeper is down. Both are idempotent: pausing a paused breaker returns false.
/// - Unpausing is slow and collective. It needs `threshold` EIP-712 signatures from the signer set
///   (M-of-N) over a request bound to this contract, this chain, the current nonce, a deadline and a
///   reason hash. Anyone may submit the signatures, except an account holding `KEEPER_ROLE`: the keeper
///   is one-way and can never unpause, even with valid signatures.
/// - The signer set and threshold change only with a quorum of the current set (`updateSigners`), which
///   anyone (keepers included) may submit; the admin cannot change them.
/// - `DEFAULT_ADMIN_ROLE` manages roles (keepers) and the verifier. It cannot unpause or change the
///   signer set, but it can point the breaker at another verifier, or at address(0) to disable `trip()`.
/// - Unpause and signer-set requests share one nonce, consumed on use: every signed request is single
///   use, and a pending request is invalidated by any other request executed first.
/// @dev Signatures are recovered with OpenZeppelin's ECDSA (rejects malleable high-s and malformed
/// signatures) and must be ordered by strictly ascending signer address, which rejects duplicates
/// without storage. Contract (ERC-1271) signers are not supported.
contract ReserveCircuitBreaker is IReserveCircuitBreaker, AccessControl, Pausable, EIP712 {
    /// @notice Role allowed to `pause`. Holders can never `unpause`.
    bytes32 public constant KEEPER_ROLE = keccak256("KEEPER_ROLE");

    /// @notice Largest signer set accepted.
    uint256 public constant MAX_SIGNERS = 16;

    /// @notice EIP-712 type hash of an unpause request.
    bytes32 public constant UNPAUSE_TYPEHASH = keccak256(
        "Unpause(address breaker,uint256 chainId,uint256 nonce,uint256 deadline,bytes32 reasonHash)"
    );

    /// @notice EIP-712 type hash of a signer-set update.
    bytes32 public constant UPDATE_SIGNERS_TYPEHASH = keccak256(
        "UpdateSigners(address breaker,uint256 chainId,uint256 nonce,uint256 deadline,"
        "address[] signers,uint256 threshold)"
    );

    IReserveVerifier private _verifier;
    address[] private _signers;
    mapping(address account => bool) private _isSigner;
    uint256 private _threshold;
    uint256 private _nonce;

    /// @notice Deploys an unpaused breaker.
    /// @param verifier_ The reserve verifier `trip()` consults; address(0) disables `trip()` (chains
    /// without a Proof-of-Reserve feed).
    /// @param admin Receives `DEFAULT_ADMIN_ROLE`.
    /// @param keeper Receives `KEEPER_ROLE` unless it is address(0).
    /// @param initialSigners The unpause signer set: 1..MAX_SIGNERS addresses, strictly ascending, no
    /// zero address.
    /// @param initialThreshold Signatures needed for a quorum: 1..initialSigners.length.
    /// @dev Reverts with InvalidSignerSet or InvalidThreshold.
    constructor(
        address verifier_,
        address admin,
        address keeper,
        address[] memory initialSigners,
        uint256 initialThreshold
    ) EIP712("ReserveCircuitBreaker", "1") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (keeper != address(0)) {
            _grantRole(KEEPER_ROLE, keeper);
        }
        _setVerifier(IReserveVerifier(verifier_));
        _setSigners(initialSigners, initialThreshold);
    }

    // ---------------------------------------------------------------------------------------------
    // Pausing
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IReserveCircuitBreaker
    /// @dev Requirements: caller holds KEEPER_ROLE. Emits Paused and BreakerPaused when it pauses.
    /// @param reason Free-text reason, for operators.
    /// @param observedReserves Reserves the keeper observed, in token decimals.
    /// @param observedSupply Supply the keeper observed, in token decimals.
    /// @return changed True when this call paused the breaker, false when it was already paused.
    function pause(
        string calldata reason,
        uint256 observedReserves,
        uint256 observedSupply
    ) external virtual onlyRole(KEEPER_ROLE) returns (bool changed) {
        if (paused()) {
            return false;
        }
        _pause();
        emit BreakerPaused(msg.sender, reason, observedReserves, observedSupply);
        return true;
    }

    /// @inheritdoc IReserveCircuitBreaker
    /// @dev Requirements: a verifier is configured (else NoVerifier) and its snapshot status is not
    /// Healthy (else ReservesHealthy). Emits Paused and BreakerTripped when it pauses.
    /// @return changed True when this call paused the breaker, false when it was already paused.
    function trip() external virtual returns (bool changed) {
        IReserveVerifier verifier_ = _verifier;
        if (address(verifier_) == address(0)) {
            revert NoVerifier();
        }
        IReserveVerifier.Snapshot memory snap = verifier_.snapshot();
        if (snap.status == IReserveVerifier.Status.Healthy) {
            revert ReservesHealthy(snap.reserves, snap.supply, snap.ratioBps);
        }
        if (paused()) {
            return false;
        }
        _pause();
        emit BreakerTripped(
            msg.sender,
            snap.status,
            snap.reserves,
            snap.supply,
            snap.roundId,
            snap.updatedAt
        );
        return true;
    }

    /// @inheritdoc IReserveCircuitBreaker
    /// @dev Requirements, in order: caller does not hold KEEPER_ROLE (KeeperCannotUnpause); the breaker
    /// is paused (ExpectedPause); block.timestamp <= deadline (ExpiredSignature); a quorum of
    /// signatures over the current nonce (see `_verifyQuorum`). Consumes the nonce, then emits Unpaused
    /// and BreakerUnpaused.
    /// @param reasonHash Hash of the operators' reason, bound into the signatures.
    /// @param deadline Last timestamp at which the request is valid.
    /// @param signatures 65-byte signatures ordered by strictly ascending signer address.
    function unpause(bytes32 reasonHash, uint256 deadline, bytes[] calldata signatures) external virtual {
        if (hasRole(KEEPER_ROLE, msg.sender)) {
            revert KeeperCannotUnpause(msg.sender);
        }
        _requirePaused();
        _requireNotExpired(deadline);
        uint256 usedNonce = _nonce;
        address[] memory recovered = _verifyQuorum(
            _unpauseDigest(usedNonce, deadline, reasonHash),
            signatures
        );
        _nonce = usedNonce + 1;
        _unpause();
        emit BreakerUnpaused(msg.sender, usedNonce, reasonHash, recovered);
    }

    // ---------------------------------------------------------------------------------------------
    // Signer set
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IReserveCircuitBreaker
    /// @dev Requirements: block.timestamp <= deadline (ExpiredSignature); a quorum of the *current*
    /// set signed the request for the current nonce (see `_verifyQuorum`); the new set is valid
    /// (InvalidSignerSet, InvalidThreshold). Works paused or not, and any account may submit it,
    /// KEEPER_ROLE holders included: the signatures are the authorisation, and a signer-set change
    /// never unpauses. Consumes the nonce, then emits SignerSetChanged.
    /// @param newSigners The new set, strictly ascending, 1..MAX_SIGNERS, no zero address.
    /// @param newThreshold The new threshold, 1..newSigners.length.
    /// @param deadline Last timestamp at which the request is valid.
    /// @param signatures 65-byte signatures of current signers, ordered by strictly ascending address.
    function updateSigners(
        address[] calldata newSigners,
        uint256 newThreshold,
        uint256 deadline,
        bytes[] calldata signatures
    ) external virtual {
        _requireNotExpired(deadline);
        uint256 usedNonce = _nonce;
        _verifyQuorum(_updateSignersDigest(usedNonce, deadline, newSigners, newThreshold), signatures);
        _nonce = usedNonce + 1;
        _setSigners(newSigners, newThreshold);
        emit SignerSetChanged(usedNonce, newSigners, newThreshold);
    }

    // ---------------------------------------------------------------------------------------------
    // Admin
    // ---------------------------------------------------------------------------------------------

    /// @notice Points `trip()` at another verifier; address(0) disables `trip()`.
    /// @dev Requirements: caller holds DEFAULT_ADMIN_ROLE. Emits VerifierChanged.
    /// @param newVerifier The new verifier (or address(0)).
    function setVerifier(address newVerifier) external virtual onlyRole(DEFAULT_ADMIN_ROLE) {
        _setVerifier(IReserveVerifier(newVerifier));
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IReserveCircuitBreaker
    function verifier() external view returns (IReserveVerifier) {
        return _verifier;
    }

    /// @inheritdoc IReserveCircuitBreaker
    function paused() public view virtual override(IReserveCircuitBreaker, Pausable) returns (bool) {
        return super.paused();
    }

    /// @inheritdoc IReserveCircuitBreaker
    function signers() external view returns (address[] memory) {
        return _signers;
    }

    /// @inheritdoc IReserveCircuitBreaker
    function threshold() external view returns (uint256) {
        return _threshold;
    }

    /// @inheritdoc IReserveCircuitBreaker
    function isSigner(address account) external view returns (bool) {
        return _isSigner[account];
    }

    /// @inheritdoc IReserveCircuitBreaker
    function nonce() external view returns (uint256) {
        return _nonce;
    }

    /// @inheritdoc IReserveCircuitBreaker
    function unpauseDigest(
        uint256 requestNonce,
        uint256 deadline,
        bytes32 reasonHash
    ) external view returns (bytes32) {
        return _unpauseDigest(requestNonce, deadline, reasonHash);
    }

    /// @inheritdoc IReserveCircuitBreaker
    function updateSignersDigest(
        uint256 requestNonce,
        uint256 deadline,
        address[] calldata newSigners,
        uint256 newThreshold
    ) external view returns (bytes32) {
        return _updateSignersDigest(requestNonce, deadline, newSigners, newThreshold);
    }

    /// @notice ERC-165: AccessControl's interfaces plus IReserveCircuitBreaker.
    /// @param interfaceId The interface id to query.
    /// @return True when supported.
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return
            interfaceId == type(IReserveCircuitBreaker).interfaceId || super.supportsInterface(interfaceId);
    }

    // ---------------------------------------------------------------------------------------------
    // Internal hooks
    // ---------------------------------------------------------------------------------------------

    /// @dev Recovers one signer per signature over `digest` and checks the quorum. Requirements:
    /// at least `threshold` signatures (InsufficientSignatures); each signature well-formed and low-s
    /// (OZ ECDSAInvalidSignature*); each recovered signer in the set (UnknownSigner) and strictly
    /// greater than the previous one (SignersNotAscending). More than `threshold` valid signatures is
    /// accepted; since every signature must come from a distinct set member, at most n can pass.
    /// @return recovered The recovered signers, ascending.
    function _verifyQuorum(
        bytes32 digest,
        bytes[] calldata signatures
    ) internal view virtual returns (address[] memory recovered) {
        uint256 count = signatures.length;
        uint256 required = _threshold;
        if (count < required) {
            revert InsufficientSignatures(count, required);
        }
        recovered = new address[](count);
        address previous = address(0);
        for (uint256 i = 0; i < count; ++i) {
            address current = ECDSA.recover(digest, signatures[i]);
            if (!_isSigner[current]) {
                revert UnknownSigner(current, i);
            }
            if (current <= previous) {
                revert SignersNotAscending(previous, current, i);
            }
            recovered[i] = current;
            previous = current;
        }
    }

    /// @dev Replaces the signer set and threshold after validating them. Requirements: 1..MAX_SIGNERS
    /// signers, strictly ascending, none zero (InvalidSignerSet(size)); 1 <= threshold <= size
    /// (InvalidThreshold).
    function _setSigners(address[] memory newSigners, uint256 newThreshold) internal virtual {
        uint256 size = newSigners.length;
        if (size == 0 || size > MAX_SIGNERS) {
            revert InvalidSignerSet(size);
        }
        if (newThreshold == 0 || newThreshold > size) {
            revert InvalidThreshold(newThreshold, size);
        }
        address previous = address(0);
        for (uint256 i = 0; i < size; ++i) {
            // Strictly ascending from address(0) also rules out the zero address.
            if (newSigners[i] <= previous) {
                revert InvalidSignerSet(size);
            }
            previous = newSigners[i];
        }

        uint256 oldSize = _signers.length;
        for (uint256 i = 0; i < oldSize; ++i) {
            _isSigner[_signers[i]] = false;
        }
        for (uint256 i = 0; i < size; ++i) {
            _isSigner[newSigners[i]] = true;
        }
        _signers = newSigners;
        _threshold = newThreshold;
    }

    /// @dev Sets the verifier and emits VerifierChanged.
    function _setVerifier(IReserveVerifier newVerifier) internal virtual {
        IReserveVerifier previous = _verifier;
        _verifier = newVerifier;
        emit VerifierChanged(address(previous), address(newVerifier));
    }

    /// @dev Reverts with ExpiredSignature when block.timestamp > deadline.
    function _requireNotExpired(uint256 deadline) internal view virtual {
        if (block.timestamp > deadline) {
            revert ExpiredSignature(deadline, block.timestamp);
        }
    }

    /// @dev EIP-712 digest of Unpause(breaker, chainId, nonce, deadline, reasonHash).
    function _unpauseDigest(
        uint256 requestNonce,
        uint256 deadline,
        bytes32 reasonHash
    ) internal view virtual returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        UNPAUSE_TYPEHASH,
                        address(this),
                        block.chainid,
                        requestNonce,
                        deadline,
                        reasonHash
                    )
                )
            );
    }

    /// @dev EIP-712 digest of UpdateSigners(breaker, chainId, nonce, deadline, signers, threshold);
    /// the address[] is encoded as keccak256 of its 32-byte-padded elements, as EIP-712 requires.
    function _updateSignersDigest(
        uint256 requestNonce,
        uint256 deadline,
        address[] calldata newSigners,
        uint256 newThreshold
    ) internal view virtual returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        UPDATE_SIGNERS_TYPEHASH,
                        address(this),
                        block.chainid,
                        requestNonce,
                        deadline,
                        keccak256(abi.encodePacked(newSigners)),
                        newThreshold
                    )
                )
            );
    }
}

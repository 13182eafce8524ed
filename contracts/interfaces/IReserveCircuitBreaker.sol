// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IReserveVerifier} from "./IReserveVerifier.sol";

/// @title IReserveCircuitBreaker
/// @notice One-way for keepers: pause by the keeper role, trip by anyone when the verifier is unhealthy,
/// unpause only with M-of-N EIP-712 signatures of the admin signer set.
interface IReserveCircuitBreaker {
    /// @notice trip() while the verifier reports Healthy.
    error ReservesHealthy(uint256 reserves, uint256 supply, uint256 ratioBps);
    /// @notice trip() on a breaker with no verifier configured.
    error NoVerifier();
    /// @notice An account holding KEEPER_ROLE tried to unpause.
    error KeeperCannotUnpause(address keeper);
    /// @notice The signed request's deadline has passed.
    error ExpiredSignature(uint256 deadline, uint256 nowTimestamp);
    /// @notice Fewer valid signatures than the threshold.
    error InsufficientSignatures(uint256 provided, uint256 threshold);
    /// @notice A recovered signer is not in the signer set.
    error UnknownSigner(address signer, uint256 index);
    /// @notice Signers are not strictly ascending (this also rejects duplicates).
    error SignersNotAscending(address previous, address current, uint256 index);
    /// @notice An invalid signer set: empty, too large, zero address, or not strictly ascending.
    error InvalidSignerSet(uint256 size);
    /// @notice threshold == 0 or threshold > number of signers.
    error InvalidThreshold(uint256 threshold, uint256 signerCount);

    /// @notice The keeper paused with its observation.
    event BreakerPaused(address indexed by, string reason, uint256 observedReserves, uint256 observedSupply);
    /// @notice Someone tripped the breaker because the verifier reported `status`.
    event BreakerTripped(
        address indexed by,
        IReserveVerifier.Status status,
        uint256 reserves,
        uint256 supply,
        uint80 roundId,
        uint256 updatedAt
    );
    /// @notice A quorum of signers unpaused the breaker.
    event BreakerUnpaused(
        address indexed submittedBy,
        uint256 indexed nonce,
        bytes32 reasonHash,
        address[] signers
    );
    /// @notice A quorum of signers replaced the signer set and/or threshold.
    event SignerSetChanged(uint256 indexed nonce, address[] signers, uint256 threshold);
    /// @notice The admin pointed the breaker at another verifier (address(0) disables trip()).
    event VerifierChanged(address indexed previousVerifier, address indexed newVerifier);

    function KEEPER_ROLE() external view returns (bytes32);
    function verifier() external view returns (IReserveVerifier);
    function paused() external view returns (bool);
    function signers() external view returns (address[] memory);
    function threshold() external view returns (uint256);
    function isSigner(address account) external view returns (bool);
    /// @notice Next nonce a signed request must carry; shared by unpause and signer-set updates.
    function nonce() external view returns (uint256);

    /// @notice Pause by KEEPER_ROLE. A no-op (returns false, no event) when already paused.
    function pause(
        string calldata reason,
        uint256 observedReserves,
        uint256 observedSupply
    ) external returns (bool changed);
    /// @notice Pause by anyone, only when verifier.status() != Healthy. No-op when already paused.
    function trip() external returns (bool changed);
    /// @notice Unpause with `threshold` signatures over Unpause(breaker, chainId, nonce, deadline, reasonHash),
    /// ordered by strictly ascending signer address.
    function unpause(bytes32 reasonHash, uint256 deadline, bytes[] calldata signatures) external;
    /// @notice Replace the signer set and threshold with the same quorum; signature order as unpause().
    function updateSigners(
        address[] calldata newSigners,
        uint256 newThreshold,
        uint256 deadline,
        bytes[] calldata signatures
    ) external;

    /// @notice EIP-712 digest of an unpause request for `requestNonce`.
    function unpauseDigest(
        uint256 requestNonce,
        uint256 deadline,
        bytes32 reasonHash
    ) external view returns (bytes32);
    /// @notice EIP-712 digest of a signer-set update for `requestNonce`.
    function updateSignersDigest(
        uint256 requestNonce,
        uint256 deadline,
        address[] calldata newSigners,
        uint256 newThreshold
    ) external view returns (bytes32);
}

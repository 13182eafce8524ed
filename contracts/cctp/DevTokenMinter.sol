// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IReserveBackedStablecoin} from "../interfaces/IReserveBackedStablecoin.sol";
import {IReserveCircuitBreaker} from "../interfaces/IReserveCircuitBreaker.sol";
import {ICctpTokenMinter} from "./interfaces/ICctpTokenMinter.sol";

/// @title DevTokenMinter
/// @notice DEVNET ONLY — never deploy to a real network. The CCTP token minter of one devnet chain,
/// shared by the V1 and V2 token messengers (Circle's `TokenMinter` / `TokenMinterV2` + `TokenController`):
/// - token pairs: a local token ↔ (remoteDomain, remoteToken), looked up when minting a remote burn;
/// - a per-message burn limit per local token (0 = the token cannot be burned);
/// - burn and mint only by registered local token messengers.
/// Tokens are {IReserveBackedStablecoin}s: this minter holds their MINTER_ROLE and BURNER_ROLE and burns
/// with `burn(address(this), amount)` what the messenger moved to it.
///
/// Defense in depth for a reserve-backed asset: a local token may have a circuit breaker
/// ({setTokenBreaker}). While that breaker is paused, burning and minting the token revert with
/// {TokenPaused}, so a receive of a paused asset reverts as a whole (its nonce stays unused) and can be
/// relayed again after the unpause. Tokens without a breaker (USDC) are never stopped here.
/// @dev DEFAULT_ADMIN_ROLE is the token controller and manages the local messengers.
contract DevTokenMinter is AccessControl, ICctpTokenMinter {
    mapping(address messenger => bool) private _localTokenMessengers;
    mapping(bytes32 remoteDomainAndToken => address) private _remoteTokensToLocalTokens;
    mapping(address token => uint256) private _burnLimitsPerMessage;
    mapping(address token => IReserveCircuitBreaker) private _tokenBreakers;

    /// @notice `localTokenMessenger` may now burn and mint.
    event LocalTokenMessengerAdded(address localTokenMessenger);
    /// @notice `localTokenMessenger` may no longer burn and mint.
    event LocalTokenMessengerRemoved(address localTokenMessenger);
    /// @notice Burns of `remoteToken` on `remoteDomain` now mint `localToken` here.
    event TokenPairLinked(address localToken, uint32 remoteDomain, bytes32 remoteToken);
    /// @notice The pair is no longer linked.
    event TokenPairUnlinked(address localToken, uint32 remoteDomain, bytes32 remoteToken);
    /// @notice At most `burnLimitPerMessage` of `token` can be burned per message (0 disables burns).
    event SetBurnLimitPerMessage(address indexed token, uint256 burnLimitPerMessage);
    /// @notice Burns and mints of `token` now stop while `breaker` is paused (address(0): never).
    event TokenBreakerSet(address indexed token, address indexed breaker);

    /// @notice A zero address where a contract or account is required.
    error ZeroAddress();
    /// @notice The caller is not a registered local token messenger.
    error NotLocalTokenMessenger(address caller);
    /// @notice `messenger` is already registered.
    error LocalTokenMessengerAlreadyAdded(address messenger);
    /// @notice `messenger` is not registered.
    error LocalTokenMessengerNotAdded(address messenger);
    /// @notice (`remoteDomain`, `remoteToken`) is already linked, to `localToken`.
    error TokenPairAlreadyLinked(uint32 remoteDomain, bytes32 remoteToken, address localToken);
    /// @notice (`remoteDomain`, `remoteToken`) is not linked to any local token.
    error TokenPairNotLinked(uint32 remoteDomain, bytes32 remoteToken);
    /// @notice `token` has no burn limit, so it cannot be burned.
    error BurnTokenNotSupported(address token);
    /// @notice `amount` is above the per-message burn limit of `token`.
    error BurnAmountExceedsLimit(address token, uint256 amount, uint256 limit);
    /// @notice No local token is linked to `burnToken` of `sourceDomain`.
    error MintTokenNotSupported(uint32 sourceDomain, bytes32 burnToken);
    /// @notice The circuit breaker of `token` is paused.
    error TokenPaused(address token, address breaker);

    /// @param admin Receives DEFAULT_ADMIN_ROLE (token controller).
    constructor(address admin) {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ---------------------------------------------------------------------------------------------
    // Messengers: burn and mint
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ICctpTokenMinter
    /// @dev Requirements: a local messenger ({NotLocalTokenMessenger}); a burn limit is set
    /// ({BurnTokenNotSupported}) and not exceeded ({BurnAmountExceedsLimit}); the token's breaker is not
    /// paused ({TokenPaused}); this minter holds the tokens and BURNER_ROLE (token errors bubble).
    function burn(address burnToken, uint256 burnAmount) external virtual {
        _requireLocalTokenMessenger();
        uint256 limit = _burnLimitsPerMessage[burnToken];
        if (limit == 0) revert BurnTokenNotSupported(burnToken);
        if (burnAmount > limit) revert BurnAmountExceedsLimit(burnToken, burnAmount, limit);
        _requireNotPaused(burnToken);
        IReserveBackedStablecoin(burnToken).burn(address(this), burnAmount);
    }

    /// @inheritdoc ICctpTokenMinter
    /// @dev Requirements: a local messenger ({NotLocalTokenMessenger}); a linked local token
    /// ({MintTokenNotSupported}); its breaker not paused ({TokenPaused}); MINTER_ROLE on the token.
    function mint(
        uint32 sourceDomain,
        bytes32 burnToken,
        address to,
        uint256 amount
    ) external virtual returns (address mintToken) {
        mintToken = _mintableToken(sourceDomain, burnToken);
        IReserveBackedStablecoin(mintToken).mint(to, amount);
    }

    /// @inheritdoc ICctpTokenMinter
    /// @dev As the four-argument {mint}; `recipientTwo` is minted to only when `amountTwo` > 0.
    function mint(
        uint32 sourceDomain,
        bytes32 burnToken,
        address recipientOne,
        address recipientTwo,
        uint256 amountOne,
        uint256 amountTwo
    ) external virtual returns (address mintToken) {
        mintToken = _mintableToken(sourceDomain, burnToken);
        IReserveBackedStablecoin(mintToken).mint(recipientOne, amountOne);
        if (amountTwo > 0) IReserveBackedStablecoin(mintToken).mint(recipientTwo, amountTwo);
    }

    // ---------------------------------------------------------------------------------------------
    // Admin
    // ---------------------------------------------------------------------------------------------

    /// @notice Registers a local token messenger (V1 or V2).
    /// @dev Requirements: DEFAULT_ADMIN_ROLE; non-zero ({ZeroAddress}); not registered
    /// ({LocalTokenMessengerAlreadyAdded}). Emits {LocalTokenMessengerAdded}.
    function addLocalTokenMessenger(address messenger) external virtual onlyRole(DEFAULT_ADMIN_ROLE) {
        if (messenger == address(0)) revert ZeroAddress();
        if (_localTokenMessengers[messenger]) revert LocalTokenMessengerAlreadyAdded(messenger);
        _localTokenMessengers[messenger] = true;
        emit LocalTokenMessengerAdded(messenger);
    }

    /// @notice Unregisters a local token messenger.
    /// @dev Requirements: DEFAULT_ADMIN_ROLE; registered ({LocalTokenMessengerNotAdded}).
    /// Emits {LocalTokenMessengerRemoved}.
    function removeLocalTokenMessenger(address messenger) external virtual onlyRole(DEFAULT_ADMIN_ROLE) {
        if (!_localTokenMessengers[messenger]) revert LocalTokenMessengerNotAdded(messenger);
        _localTokenMessengers[messenger] = false;
        emit LocalTokenMessengerRemoved(messenger);
    }

    /// @notice Links `localToken` to `remoteToken` of `remoteDomain` (burns there mint `localToken` here).
    /// @dev Requirements: DEFAULT_ADMIN_ROLE; `localToken` non-zero ({ZeroAddress}); the remote side not
    /// linked yet ({TokenPairAlreadyLinked}). Emits {TokenPairLinked}.
    function linkTokenPair(
        address localToken,
        uint32 remoteDomain,
        bytes32 remoteToken
    ) external virtual onlyRole(DEFAULT_ADMIN_ROLE) {
        if (localToken == address(0)) revert ZeroAddress();
        bytes32 key = _pairKey(remoteDomain, remoteToken);
        address linked = _remoteTokensToLocalTokens[key];
        if (linked != address(0)) revert TokenPairAlreadyLinked(remoteDomain, remoteToken, linked);
        _remoteTokensToLocalTokens[key] = localToken;
        emit TokenPairLinked(localToken, remoteDomain, remoteToken);
    }

    /// @notice Unlinks (`remoteDomain`, `remoteToken`).
    /// @dev Requirements: DEFAULT_ADMIN_ROLE; linked ({TokenPairNotLinked}). Emits {TokenPairUnlinked}
    /// with the local token it was linked to.
    function unlinkTokenPair(
        uint32 remoteDomain,
        bytes32 remoteToken
    ) external virtual onlyRole(DEFAULT_ADMIN_ROLE) {
        bytes32 key = _pairKey(remoteDomain, remoteToken);
        address linked = _remoteTokensToLocalTokens[key];
        if (linked == address(0)) revert TokenPairNotLinked(remoteDomain, remoteToken);
        delete _remoteTokensToLocalTokens[key];
        emit TokenPairUnlinked(linked, remoteDomain, remoteToken);
    }

    /// @notice Sets the largest amount of `localToken` one message may burn (0 disables burning it).
    /// @dev Requirements: DEFAULT_ADMIN_ROLE; `localToken` non-zero ({ZeroAddress}).
    /// Emits {SetBurnLimitPerMessage}.
    function setMaxBurnAmountPerMessage(
        address localToken,
        uint256 burnLimitPerMessage
    ) external virtual onlyRole(DEFAULT_ADMIN_ROLE) {
        if (localToken == address(0)) revert ZeroAddress();
        _burnLimitsPerMessage[localToken] = burnLimitPerMessage;
        emit SetBurnLimitPerMessage(localToken, burnLimitPerMessage);
    }

    /// @notice Stops burns and mints of `localToken` while `breaker` is paused; address(0) removes it.
    /// @dev Requirements: DEFAULT_ADMIN_ROLE; `localToken` non-zero ({ZeroAddress}). Emits {TokenBreakerSet}.
    function setTokenBreaker(
        address localToken,
        IReserveCircuitBreaker breaker
    ) external virtual onlyRole(DEFAULT_ADMIN_ROLE) {
        if (localToken == address(0)) revert ZeroAddress();
        _tokenBreakers[localToken] = breaker;
        emit TokenBreakerSet(localToken, address(breaker));
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ICctpTokenMinter
    function getLocalToken(uint32 remoteDomain, bytes32 remoteToken) external view returns (address) {
        return _remoteTokensToLocalTokens[_pairKey(remoteDomain, remoteToken)];
    }

    /// @notice The local token linked to keccak256(abi.encodePacked(remoteDomain, remoteToken)).
    function remoteTokensToLocalTokens(bytes32 remoteDomainAndToken) external view returns (address) {
        return _remoteTokensToLocalTokens[remoteDomainAndToken];
    }

    /// @notice Largest amount of `token` one message may burn (0: not burnable).
    function burnLimitsPerMessage(address token) external view returns (uint256) {
        return _burnLimitsPerMessage[token];
    }

    /// @notice True when `messenger` may burn and mint.
    function isLocalTokenMessenger(address messenger) external view returns (bool) {
        return _localTokenMessengers[messenger];
    }

    /// @notice The circuit breaker of `token` (address(0) when none).
    function tokenBreaker(address token) external view returns (IReserveCircuitBreaker) {
        return _tokenBreakers[token];
    }

    // ---------------------------------------------------------------------------------------------
    // Internal
    // ---------------------------------------------------------------------------------------------

    /// @dev Checks the caller and returns the local token to mint for a burn of `burnToken` on `sourceDomain`.
    function _mintableToken(
        uint32 sourceDomain,
        bytes32 burnToken
    ) internal view virtual returns (address token) {
        _requireLocalTokenMessenger();
        token = _remoteTokensToLocalTokens[_pairKey(sourceDomain, burnToken)];
        if (token == address(0)) revert MintTokenNotSupported(sourceDomain, burnToken);
        _requireNotPaused(token);
    }

    /// @dev Reverts with {NotLocalTokenMessenger} unless the caller is a registered messenger.
    function _requireLocalTokenMessenger() internal view virtual {
        if (!_localTokenMessengers[msg.sender]) revert NotLocalTokenMessenger(msg.sender);
    }

    /// @dev Reverts with {TokenPaused} while the breaker of `token` (if any) is paused.
    function _requireNotPaused(address token) internal view virtual {
        IReserveCircuitBreaker breaker = _tokenBreakers[token];
        if (address(breaker) != address(0) && breaker.paused()) revert TokenPaused(token, address(breaker));
    }

    /// @dev Key of a remote token: keccak256(abi.encodePacked(remoteDomain, remoteToken)), like Circle's.
    function _pairKey(uint32 remoteDomain, bytes32 remoteToken) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(remoteDomain, remoteToken));
    }
}

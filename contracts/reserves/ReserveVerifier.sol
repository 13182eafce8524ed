// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Panic} from "@openzeppelin/contracts/utils/Panic.sol";
import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IReserveVerifier} from "../interfaces/IReserveVerifier.sol";

/// @title ReserveVerifier
/// @notice Reads a Chainlink Proof-of-Reserve feed (normally through its proxy) and compares the reserves with
/// the token's total supply on this chain, with a safety margin in basis points.
/// @dev An answer is usable only if it is positive, its round is complete (`updatedAt != 0`,
/// `answeredInRound >= roundId`, `updatedAt <= block.timestamp`) and it is fresh
/// (`block.timestamp - updatedAt <= heartbeat`). Feed decimals are read from the feed at call time (a proxy can
/// swap to an aggregator with other decimals), token decimals from the token; both must be in 0..36.
/// The backing is healthy iff `reserves * 10_000 >= supply * (10_000 + marginBps)` (compared exactly, in 512
/// bits). When several problems hold, the reported one follows InvalidAnswer > Stale > Undercollateralized;
/// an incomplete round, unsupported decimals or an answer too large to express in token decimals count as
/// InvalidAnswer. {reserves}, {ratioBps} and {checkMint} revert on an unusable answer; {status} and
/// {snapshot} never do (they read the feed with low-level calls). Roles: DEFAULT_ADMIN_ROLE changes the feed,
/// heartbeat and margin.
contract ReserveVerifier is IReserveVerifier, AccessControl {
    /// @notice One in basis points.
    uint256 public constant BPS = 10_000;
    /// @notice Largest accepted margin, in basis points (a 100% over-collateralisation requirement).
    uint256 public constant MAX_MARGIN_BPS = 10_000;
    /// @notice Largest supported decimals for the feed and the token.
    uint8 public constant MAX_DECIMALS = 36;

    /// @dev Why an answer is unusable, in precedence order after `None` (see {_evaluate}).
    enum Fault {
        None,
        FeedUnreadable,
        NonPositiveAnswer,
        IncompleteRound,
        UnsupportedFeedDecimals,
        UnsupportedTokenDecimals,
        AnswerOverflow,
        Stale
    }

    /// @dev One evaluated feed reading. `reserves` is set only when the answer is valid (None or Stale).
    struct Reading {
        Fault fault;
        uint80 roundId;
        int256 answer;
        uint256 updatedAt;
        uint80 answeredInRound;
        uint8 badDecimals;
        uint256 reserves;
    }

    address private immutable _TOKEN;
    AggregatorV3Interface private _feed;
    uint256 private _heartbeat;
    uint256 private _marginBps;

    /// @notice Deploys the verifier.
    /// @param feed_ The PoR feed (normally the Chainlink proxy) read through AggregatorV3Interface.
    /// @param token_ The token whose supply is checked (IERC20Metadata).
    /// @param heartbeat_ Maximum age in seconds of a usable answer.
    /// @param marginBps_ Required over-collateralisation in basis points (0..10_000).
    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    /// @dev Requirements: `feed_`, `token_` and `admin` are not zero (else {ZeroAddress}); `heartbeat_ > 0`
    /// (else {InvalidHeartbeat}); `marginBps_ <= 10_000` (else {MarginTooLarge}); the token's decimals are at
    /// most 36 (else {UnsupportedDecimals}). Emits {FeedChanged}, {HeartbeatChanged} and {MarginChanged} from
    /// zero values, and {RoleGranted}.
    constructor(address feed_, address token_, uint256 heartbeat_, uint256 marginBps_, address admin) {
        if (token_ == address(0) || admin == address(0)) revert ZeroAddress();
        uint8 tokenDecimals = IERC20Metadata(token_).decimals();
        if (tokenDecimals > MAX_DECIMALS) revert UnsupportedDecimals(tokenDecimals);
        _TOKEN = token_;
        _setFeed(feed_);
        _setHeartbeat(heartbeat_);
        _setMarginBps(marginBps_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ------------------------------------------------------------------ admin

    /// @notice Points the verifier at another PoR feed.
    /// @param newFeed The new feed.
    /// @dev Requirements: caller has DEFAULT_ADMIN_ROLE (else {AccessControlUnauthorizedAccount});
    /// `newFeed` is not zero (else {ZeroAddress}). Emits {FeedChanged}.
    function setFeed(address newFeed) external virtual onlyRole(DEFAULT_ADMIN_ROLE) {
        _setFeed(newFeed);
    }

    /// @notice Changes the maximum age of a usable answer.
    /// @param newHeartbeat Seconds; should match the feed's published heartbeat (plus some slack).
    /// @dev Requirements: caller has DEFAULT_ADMIN_ROLE; `newHeartbeat > 0` (else {InvalidHeartbeat}).
    /// Emits {HeartbeatChanged}.
    function setHeartbeat(uint256 newHeartbeat) external virtual onlyRole(DEFAULT_ADMIN_ROLE) {
        _setHeartbeat(newHeartbeat);
    }

    /// @notice Changes the required over-collateralisation.
    /// @param newMarginBps Basis points, 0..10_000.
    /// @dev Requirements: caller has DEFAULT_ADMIN_ROLE; `newMarginBps <= 10_000` (else {MarginTooLarge}).
    /// Emits {MarginChanged}.
    function setMarginBps(uint256 newMarginBps) external virtual onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMarginBps(newMarginBps);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IReserveVerifier
    function feed() external view returns (AggregatorV3Interface) {
        return _feed;
    }

    /// @inheritdoc IReserveVerifier
    function token() external view returns (address) {
        return _TOKEN;
    }

    /// @inheritdoc IReserveVerifier
    function heartbeat() external view returns (uint256) {
        return _heartbeat;
    }

    /// @inheritdoc IReserveVerifier
    function marginBps() external view returns (uint256) {
        return _marginBps;
    }

    /// @notice The feed's latest answer normalised to the token's decimals (rounded down).
    /// @dev Requirements (checked in this order): the feed call succeeds (its revert is bubbled up);
    /// answer > 0 (else {InvalidAnswer}); the round is complete (else {IncompleteRound}); feed and token
    /// decimals are at most 36 (else {UnsupportedDecimals}); the normalised answer fits in uint256 (else
    /// {InvalidAnswer}); the answer is within the heartbeat (else {StaleAnswer}).
    function reserves() public view virtual returns (uint256) {
        return _requireUsable(_readFeed());
    }

    /// @inheritdoc IReserveVerifier
    function supply() public view virtual returns (uint256) {
        return IERC20(_TOKEN).totalSupply();
    }

    /// @notice `reserves * 10_000 / supply` rounded down; type(uint256).max when supply is 0 or the ratio
    /// does not fit in uint256.
    /// @dev Requirements: as {reserves}.
    function ratioBps() external view virtual returns (uint256) {
        return _ratioBps(reserves(), supply());
    }

    /// @notice Health of the backing; never reverts (a reverting or malformed feed reports InvalidAnswer).
    /// @dev Never reverts provided the token's `decimals()` / `totalSupply()` do not and the feed does not
    /// exhaust the gas of the call.
    function status() external view virtual returns (Status) {
        return snapshot().status;
    }

    /// @notice Everything the verifier knows now; never reverts (see {status}).
    /// @dev `reserves` is 0 when the answer is invalid (including incomplete rounds and unsupported decimals)
    /// and the normalised answer when it is valid or only stale; `answer`, `roundId` and `updatedAt` are the
    /// raw feed values (0 when the feed could not be read).
    function snapshot() public view virtual returns (Snapshot memory snap) {
        Reading memory r = _tryReadFeed();
        snap.supply = supply();
        snap.reserves = r.reserves;
        snap.ratioBps = _ratioBps(r.reserves, snap.supply);
        snap.answer = r.answer;
        snap.roundId = r.roundId;
        snap.updatedAt = r.updatedAt;
        if (r.fault == Fault.None) {
            snap.status = _isHealthy(r.reserves, snap.supply) ? Status.Healthy : Status.Undercollateralized;
        } else if (r.fault == Fault.Stale) {
            snap.status = Status.Stale;
        } else {
            snap.status = Status.InvalidAnswer;
        }
    }

    /// @notice Checks that minting `amount` keeps `reserves * 10_000 >= (supply + amount) * (10_000 + marginBps)`.
    /// @param amount Tokens about to be minted, in token decimals.
    /// @return reservesNow Normalised reserves.
    /// @return supplyAfter `supply + amount`.
    /// @dev Requirements: as {reserves}; the backing suffices (else {InsufficientReserves} with
    /// `requiredReserves = ceil(supplyAfter * (10_000 + marginBps) / 10_000)`, saturated at type(uint256).max);
    /// `supply + amount` fits in uint256 (else Panic 0x11).
    function checkMint(
        uint256 amount
    ) external view virtual returns (uint256 reservesNow, uint256 supplyAfter) {
        reservesNow = reserves();
        supplyAfter = supply() + amount;
        if (!_isHealthy(reservesNow, supplyAfter)) {
            revert InsufficientReserves(reservesNow, supplyAfter, _requiredReserves(supplyAfter));
        }
    }

    /// @notice Converts `amount` from `fromDecimals` to `toDecimals`, rounding down. The one decimals conversion
    /// of the verifier.
    /// @param amount The amount in `fromDecimals`.
    /// @param fromDecimals Decimals of `amount`, 0..36.
    /// @param toDecimals Decimals of the result, 0..36.
    /// @dev Requirements: both decimals are at most 36 (else {UnsupportedDecimals}); the result fits in uint256
    /// (else Panic 0x11). Scaling up by `10**k` (k <= 36) overflows only for
    /// `amount > type(uint256).max / 10**k`, so every `amount <= 1e41` converts without overflow
    /// (type(uint256).max / 1e36 ≈ 1.16e41; e.g. a 0-decimal reserve of 1e15 becomes 1e51 at 36 decimals).
    /// Scaling down never overflows.
    function normalize(uint256 amount, uint8 fromDecimals, uint8 toDecimals) public pure returns (uint256) {
        if (fromDecimals > MAX_DECIMALS) revert UnsupportedDecimals(fromDecimals);
        if (toDecimals > MAX_DECIMALS) revert UnsupportedDecimals(toDecimals);
        (bool ok, uint256 result) = _tryNormalize(amount, fromDecimals, toDecimals);
        if (!ok) Panic.panic(Panic.UNDER_OVERFLOW);
        return result;
    }

    /// @inheritdoc AccessControl
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return interfaceId == type(IReserveVerifier).interfaceId || super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------ internal

    /// @dev Sets the feed. Reverts {ZeroAddress}; emits {FeedChanged}.
    function _setFeed(address newFeed) internal virtual {
        if (newFeed == address(0)) revert ZeroAddress();
        address previous = address(_feed);
        _feed = AggregatorV3Interface(newFeed);
        emit FeedChanged(previous, newFeed);
    }

    /// @dev Sets the heartbeat. Reverts {InvalidHeartbeat}; emits {HeartbeatChanged}.
    function _setHeartbeat(uint256 newHeartbeat) internal virtual {
        if (newHeartbeat == 0) revert InvalidHeartbeat(newHeartbeat);
        uint256 previous = _heartbeat;
        _heartbeat = newHeartbeat;
        emit HeartbeatChanged(previous, newHeartbeat);
    }

    /// @dev Sets the margin. Reverts {MarginTooLarge}; emits {MarginChanged}.
    function _setMarginBps(uint256 newMarginBps) internal virtual {
        if (newMarginBps > MAX_MARGIN_BPS) revert MarginTooLarge(newMarginBps);
        uint256 previous = _marginBps;
        _marginBps = newMarginBps;
        emit MarginChanged(previous, newMarginBps);
    }

    /// @dev Reads the feed with typed calls: a reverting feed reverts the caller with the feed's error.
    function _readFeed() internal view virtual returns (Reading memory) {
        (uint80 roundId, int256 answer, , uint256 updatedAt, uint80 answeredInRound) = _feed
            .latestRoundData();
        return _evaluate(roundId, answer, updatedAt, answeredInRound, _feed.decimals());
    }

    /// @dev Reads the feed with low-level calls; a reverting feed, short return data or out-of-range values
    /// yield `Fault.FeedUnreadable` instead of a revert.
    function _tryReadFeed() internal view virtual returns (Reading memory r) {
        address feedAddress = address(_feed);
        (bool ok, bytes memory data) = feedAddress.staticcall(
            abi.encodeCall(AggregatorV3Interface.latestRoundData, ())
        );
        if (!ok || data.length < 160) {
            r.fault = Fault.FeedUnreadable;
            return r;
        }
        (uint256 roundId, int256 answer, , uint256 updatedAt, uint256 answeredInRound) = abi.decode(
            data,
            (uint256, int256, uint256, uint256, uint256)
        );
        if (roundId > type(uint80).max || answeredInRound > type(uint80).max) {
            r.fault = Fault.FeedUnreadable;
            return r;
        }
        (ok, data) = feedAddress.staticcall(abi.encodeCall(AggregatorV3Interface.decimals, ()));
        if (!ok || data.length < 32) {
            (r.fault, r.roundId, r.answer, r.updatedAt) = (
                Fault.FeedUnreadable,
                uint80(roundId),
                answer,
                updatedAt
            );
            return r;
        }
        uint256 feedDecimals = abi.decode(data, (uint256));
        // Anything above uint8 is as unsupported as 37..255: clamp so the value stays a uint8.
        return
            _evaluate(
                uint80(roundId),
                answer,
                updatedAt,
                uint80(answeredInRound),
                uint8(Math.min(feedDecimals, type(uint8).max))
            );
    }

    /// @dev Validates one round and normalises its answer. Faults are checked in precedence order:
    /// non-positive answer, incomplete round, unsupported decimals, overflow, then staleness (a stale answer
    /// keeps its normalised `reserves`).
    function _evaluate(
        uint80 roundId,
        int256 answer,
        uint256 updatedAt,
        uint80 answeredInRound,
        uint8 feedDecimals
    ) internal view virtual returns (Reading memory r) {
        r.roundId = roundId;
        r.answer = answer;
        r.updatedAt = updatedAt;
        r.answeredInRound = answeredInRound;
        if (answer <= 0) {
            r.fault = Fault.NonPositiveAnswer;
            return r;
        }
        if (updatedAt == 0 || answeredInRound < roundId || updatedAt > block.timestamp) {
            r.fault = Fault.IncompleteRound;
            return r;
        }
        if (feedDecimals > MAX_DECIMALS) {
            (r.fault, r.badDecimals) = (Fault.UnsupportedFeedDecimals, feedDecimals);
            return r;
        }
        uint8 tokenDecimals = IERC20Metadata(_TOKEN).decimals();
        if (tokenDecimals > MAX_DECIMALS) {
            (r.fault, r.badDecimals) = (Fault.UnsupportedTokenDecimals, tokenDecimals);
            return r;
        }
        // answer > 0 was checked above, so the cast is exact.
        (bool ok, uint256 value) = _tryNormalize(uint256(answer), feedDecimals, tokenDecimals);
        if (!ok) {
            r.fault = Fault.AnswerOverflow;
            return r;
        }
        r.reserves = value;
        if (block.timestamp - updatedAt > _heartbeat) r.fault = Fault.Stale;
    }

    /// @dev Returns the reserves of a reading or reverts with the error matching its fault.
    function _requireUsable(Reading memory r) internal view virtual returns (uint256) {
        Fault fault = r.fault;
        if (fault == Fault.None) return r.reserves;
        if (fault == Fault.IncompleteRound) revert IncompleteRound(r.roundId, r.answeredInRound, r.updatedAt);
        if (fault == Fault.UnsupportedFeedDecimals || fault == Fault.UnsupportedTokenDecimals) {
            revert UnsupportedDecimals(r.badDecimals);
        }
        if (fault == Fault.Stale) revert StaleAnswer(r.updatedAt, block.timestamp, _heartbeat);
        // NonPositiveAnswer, AnswerOverflow (and FeedUnreadable, which only the low-level path produces).
        revert InvalidAnswer(r.answer, r.roundId);
    }

    /// @dev `reserves * 10_000 >= supply * (10_000 + marginBps)`, compared exactly in 512 bits.
    function _isHealthy(uint256 reservesAmount, uint256 supplyAmount) internal view virtual returns (bool) {
        (uint256 rHigh, uint256 rLow) = Math.mul512(reservesAmount, BPS);
        (uint256 sHigh, uint256 sLow) = Math.mul512(supplyAmount, BPS + _marginBps);
        return rHigh > sHigh || (rHigh == sHigh && rLow >= sLow);
    }

    /// @dev `ceil(supplyAmount * (10_000 + marginBps) / 10_000)`, saturated at type(uint256).max.
    function _requiredReserves(uint256 supplyAmount) internal view virtual returns (uint256) {
        uint256 factor = BPS + _marginBps;
        (uint256 high, ) = Math.mul512(supplyAmount, factor);
        if (high >= BPS) return type(uint256).max;
        uint256 floor = Math.mulDiv(supplyAmount, factor, BPS);
        return mulmod(supplyAmount, factor, BPS) == 0 ? floor : Math.saturatingAdd(floor, 1);
    }

    /// @dev `reservesAmount * 10_000 / supplyAmount` rounded down; type(uint256).max when supply is 0 or the
    /// quotient does not fit in uint256.
    function _ratioBps(uint256 reservesAmount, uint256 supplyAmount) internal pure virtual returns (uint256) {
        if (supplyAmount == 0) return type(uint256).max;
        (uint256 high, ) = Math.mul512(reservesAmount, BPS);
        if (high >= supplyAmount) return type(uint256).max;
        return Math.mulDiv(reservesAmount, BPS, supplyAmount);
    }

    /// @dev The single decimals conversion: `amount * 10**(to - from)` or `amount / 10**(from - to)`;
    /// `ok` is false when the product overflows. Callers ensure both decimals are at most 36.
    function _tryNormalize(
        uint256 amount,
        uint8 fromDecimals,
        uint8 toDecimals
    ) internal pure virtual returns (bool ok, uint256 result) {
        if (toDecimals >= fromDecimals) return Math.tryMul(amount, 10 ** (toDecimals - fromDecimals));
        return (true, amount / 10 ** (fromDecimals - toDecimals));
    }
}

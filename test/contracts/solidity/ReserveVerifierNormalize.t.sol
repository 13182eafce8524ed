// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IReserveVerifier} from "../../../contracts/interfaces/IReserveVerifier.sol";
import {ReserveVerifier} from "../../../contracts/reserves/ReserveVerifier.sol";
import {DevPorAggregator} from "../../../contracts/dev/DevPorAggregator.sol";
import {DevAggregatorProxy} from "../../../contracts/dev/DevAggregatorProxy.sol";
import {ReserveBackedStablecoin} from "../../../contracts/token/ReserveBackedStablecoin.sol";

/// @dev The few cheatcodes used here (forge-std is not available).
interface Vm {
    function warp(uint256 newTimestamp) external;
}

/// @notice Property tests of ReserveVerifier.normalize (the one decimals conversion) and of the health rule,
/// plus the future-`updatedAt` incomplete-round case that the TypeScript tests cannot reach (the devnet chain
/// cannot move time backwards).
contract ReserveVerifierNormalizeTest {
    Vm private constant VM = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @dev The documented no-overflow bound of normalize: every amount <= 1e41 converts for all pairs.
    uint256 private constant AMOUNT_BOUND = 1e41;
    uint256 private constant HEARTBEAT = 1 days;
    uint256 private constant PANIC_OVERFLOW = 0x11;

    ReserveVerifier private verifier;
    DevPorAggregator private aggregator;
    DevAggregatorProxy private proxy;
    ReserveBackedStablecoin private token;

    function setUp() public {
        VM.warp(1_700_000_000);
        aggregator = new DevPorAggregator(8, 1e14, "USDX PoR", address(this));
        proxy = new DevAggregatorProxy(address(aggregator), address(this));
        token = new ReserveBackedStablecoin("USD X", "USDX", 6, address(this));
        token.grantRole(token.MINTER_ROLE(), address(this));
        verifier = new ReserveVerifier(address(proxy), address(token), HEARTBEAT, 0, address(this));
    }

    // ------------------------------------------------------------------ normalize properties

    /// Scaling up then back down is the identity.
    function testFuzz_roundTripUpThenDownIsIdentity(uint256 amount, uint8 a, uint8 b) public view {
        (uint8 lo, uint8 hi) = _pair(a, b);
        amount = _bound(amount, 0, AMOUNT_BOUND);
        uint256 up = verifier.normalize(amount, lo, hi);
        _assertEq(verifier.normalize(up, hi, lo), amount, "up then down");
    }

    /// Scaling down then back up never exceeds the original and loses less than one unit of the lower precision.
    function testFuzz_downThenUpNeverExceeds(uint256 amount, uint8 a, uint8 b) public view {
        (uint8 lo, uint8 hi) = _pair(a, b);
        uint256 down = verifier.normalize(amount, hi, lo);
        uint256 back = verifier.normalize(down, lo, hi);
        _assert(back <= amount, "down then up exceeds the original");
        _assert(amount - back < 10 ** (hi - lo), "down then up lost a whole unit");
    }

    /// Monotonic (non-decreasing) in the amount, for every decimals pair.
    function testFuzz_monotonicInAmount(uint256 x, uint256 y, uint8 a, uint8 b) public view {
        uint8 from = a % 37;
        uint8 to = b % 37;
        x = _bound(x, 0, AMOUNT_BOUND);
        y = _bound(y, 0, AMOUNT_BOUND);
        if (x > y) (x, y) = (y, x);
        _assert(verifier.normalize(x, from, to) <= verifier.normalize(y, from, to), "not monotonic");
    }

    /// No overflow for amounts up to the documented bound, and the result is exactly the decimal shift.
    function testFuzz_noOverflowUpToBound(uint256 amount, uint8 a, uint8 b) public view {
        uint8 from = a % 37;
        uint8 to = b % 37;
        amount = _bound(amount, 0, AMOUNT_BOUND);
        uint256 expected = to >= from ? amount * 10 ** (to - from) : amount / 10 ** (from - to);
        _assertEq(verifier.normalize(amount, from, to), expected, "wrong conversion");
    }

    /// The worst case of the bound itself: 1e41 at 0 decimals to 36 decimals.
    function test_boundAtWidestShift() public view {
        _assertEq(verifier.normalize(AMOUNT_BOUND, 0, 36), 1e77, "1e41 -> 1e77");
        _assertEq(
            verifier.normalize(type(uint256).max / 1e36, 0, 36),
            (type(uint256).max / 1e36) * 1e36,
            "max"
        );
    }

    /// Above `type(uint256).max / 10**shift` scaling up panics with an arithmetic overflow.
    function testFuzz_overflowAboveBoundPanics(uint256 amount, uint8 a, uint8 b) public view {
        (uint8 lo, uint8 hi) = _pair(a, b);
        if (lo == hi) hi = lo == 36 ? 36 : lo + 1;
        if (lo == hi) lo = 35;
        amount = _bound(amount, type(uint256).max / 10 ** (hi - lo) + 1, type(uint256).max);
        try verifier.normalize(amount, lo, hi) returns (uint256) {
            revert("expected an overflow panic");
        } catch (bytes memory reason) {
            _assert(
                keccak256(reason) == keccak256(abi.encodeWithSignature("Panic(uint256)", PANIC_OVERFLOW)),
                "expected Panic(0x11)"
            );
        }
    }

    /// Decimals above 36 revert with UnsupportedDecimals(decimals), on either side.
    function testFuzz_decimalsAbove36Revert(
        uint256 amount,
        uint8 bad,
        uint8 good,
        bool badIsFrom
    ) public view {
        bad = uint8(_bound(bad, 37, 255));
        good = good % 37;
        (uint8 from, uint8 to) = badIsFrom ? (bad, good) : (good, bad);
        try verifier.normalize(amount, from, to) returns (uint256) {
            revert("expected UnsupportedDecimals");
        } catch (bytes memory reason) {
            _assert(
                keccak256(reason) ==
                    keccak256(abi.encodeWithSelector(IReserveVerifier.UnsupportedDecimals.selector, bad)),
                "expected UnsupportedDecimals(bad)"
            );
        }
    }

    // ------------------------------------------------------------------ health rule

    /// status() is Healthy exactly when reserves * 10_000 >= supply * (10_000 + margin), which is also exactly
    /// when checkMint(0) succeeds and when ratioBps() >= 10_000 + margin.
    function testFuzz_healthRuleAgreesEverywhere(
        uint256 answer,
        uint256 supplyAmount,
        uint256 margin
    ) public {
        answer = _bound(answer, 1, 1e30); // 8-decimal feed
        supplyAmount = _bound(supplyAmount, 0, 1e30); // 6-decimal token
        margin = _bound(margin, 0, 10_000);
        aggregator.submit(int256(answer));
        verifier.setMarginBps(margin);
        if (supplyAmount > 0) token.mint(address(0xBEEF), supplyAmount);

        uint256 reservesNow = answer / 100;
        _assertEq(verifier.reserves(), reservesNow, "reserves");
        bool healthy = reservesNow * 10_000 >= supplyAmount * (10_000 + margin);
        IReserveVerifier.Status status = verifier.status();
        _assert(
            status ==
                (healthy ? IReserveVerifier.Status.Healthy : IReserveVerifier.Status.Undercollateralized),
            "status"
        );
        _assert((verifier.ratioBps() >= 10_000 + margin) == healthy, "ratioBps disagrees");
        try verifier.checkMint(0) returns (uint256 r, uint256 s) {
            _assert(healthy, "checkMint passed while unhealthy");
            _assertEq(r, reservesNow, "checkMint reserves");
            _assertEq(s, supplyAmount, "checkMint supply");
        } catch (bytes memory reason) {
            _assert(!healthy, "checkMint reverted while healthy");
            uint256 required = (supplyAmount * (10_000 + margin) + 9_999) / 10_000;
            _assert(
                keccak256(reason) ==
                    keccak256(
                        abi.encodeWithSelector(
                            IReserveVerifier.InsufficientReserves.selector,
                            reservesNow,
                            supplyAmount,
                            required
                        )
                    ),
                "expected InsufficientReserves"
            );
        }
    }

    // ------------------------------------------------------------------ future updatedAt

    /// A round whose updatedAt lies in the future (clock skew, a buggy feed) is incomplete: status
    /// InvalidAnswer and reserves() reverts IncompleteRound(roundId, answeredInRound, updatedAt).
    function testFuzz_futureUpdatedAtIsIncompleteRound(uint256 secondsBack) public {
        secondsBack = _bound(secondsBack, 1, 1_000_000);
        uint256 submittedAt = block.timestamp;
        aggregator.submit(2e14);
        VM.warp(submittedAt - secondsBack);

        uint80 roundId = uint80((uint256(1) << 64) | 2);
        _assert(verifier.status() == IReserveVerifier.Status.InvalidAnswer, "status");
        IReserveVerifier.Snapshot memory snap = verifier.snapshot();
        _assertEq(snap.reserves, 0, "snapshot reserves");
        _assertEq(snap.updatedAt, submittedAt, "snapshot updatedAt");
        try verifier.reserves() returns (uint256) {
            revert("expected IncompleteRound");
        } catch (bytes memory reason) {
            _assert(
                keccak256(reason) ==
                    keccak256(
                        abi.encodeWithSelector(
                            IReserveVerifier.IncompleteRound.selector,
                            roundId,
                            roundId,
                            submittedAt
                        )
                    ),
                "expected IncompleteRound"
            );
        }
        VM.warp(submittedAt);
        _assert(verifier.status() == IReserveVerifier.Status.Healthy, "healthy again at updatedAt");
    }

    // ------------------------------------------------------------------ helpers

    /// @dev Two decimals in 0..36, ordered.
    function _pair(uint8 a, uint8 b) private pure returns (uint8 lo, uint8 hi) {
        (lo, hi) = (a % 37, b % 37);
        if (lo > hi) (lo, hi) = (hi, lo);
    }

    /// @dev Maps `x` into [lo, hi] without bias towards the edges mattering for these properties.
    function _bound(uint256 x, uint256 lo, uint256 hi) private pure returns (uint256) {
        if (x >= lo && x <= hi) return x;
        uint256 size = hi - lo;
        if (size == type(uint256).max) return x;
        return lo + (x % (size + 1));
    }

    function _assert(bool condition, string memory message) private pure {
        if (!condition) revert(message);
    }

    function _assertEq(uint256 actual, uint256 expected, string memory message) private pure {
        if (actual != expected) revert(string.concat(message, ": values differ"));
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ComplianceGate} from "../../../contracts/compliance/ComplianceGate.sol";
import {DevAggregatorProxy} from "../../../contracts/dev/DevAggregatorProxy.sol";
import {DevPorAggregator} from "../../../contracts/dev/DevPorAggregator.sol";
import {IComplianceGate} from "../../../contracts/interfaces/IComplianceGate.sol";
import {StablecoinMinter} from "../../../contracts/issuance/StablecoinMinter.sol";
import {StablecoinRedeemer} from "../../../contracts/issuance/StablecoinRedeemer.sol";
import {ReserveCircuitBreaker} from "../../../contracts/reserves/ReserveCircuitBreaker.sol";
import {ReserveVerifier} from "../../../contracts/reserves/ReserveVerifier.sol";
import {ReserveBackedStablecoin} from "../../../contracts/token/ReserveBackedStablecoin.sol";

/// @dev The few Foundry cheatcodes used here (forge-std is not available under Hardhat 3).
interface Vm {
    function warp(uint256 timestamp) external;
}

/// @dev Random reserve updates, clock jumps, mints (random and exactly at the headroom) and redemptions.
/// Every successful mint re-checks the Secure Mint bound against the chain's own figures.
contract SecureMintHandler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    uint256 internal constant BPS = 10_000;
    bytes32 internal constant PAYOUT_REF = keccak256("payout");

    DevPorAggregator public immutable aggregator;
    ReserveBackedStablecoin public immutable token;
    ReserveVerifier public immutable verifier;
    StablecoinMinter public immutable minter;
    StablecoinRedeemer public immutable redeemer;

    uint256 public mintsSucceeded;
    uint256 public mintsRefused;
    uint256 public redemptions;
    uint256 public totalMinted;
    uint256 public totalRedeemed;
    /// @dev Successful mints after which supply * (10_000 + margin) > reserves * 10_000.
    uint256 public violations;

    constructor(
        DevPorAggregator aggregator_,
        ReserveBackedStablecoin token_,
        ReserveVerifier verifier_,
        StablecoinMinter minter_,
        StablecoinRedeemer redeemer_
    ) {
        aggregator = aggregator_;
        token = token_;
        verifier = verifier_;
        minter = minter_;
        redeemer = redeemer_;
    }

    /// @dev Mostly positive reserves up to 20,000 USD (18 decimals); one in eight answers is zero or negative.
    function submit(uint256 seed) external {
        int256 answer;
        if (seed % 8 == 0) {
            answer = -int256((seed >> 8) % 1e18);
        } else {
            answer = int256(_bound(seed >> 8, 1, 20_000e18));
        }
        aggregator.submit(answer);
    }

    /// @dev Moves the clock by up to two heartbeats, so answers go stale now and then.
    function warp(uint256 secondsAhead) external {
        vm.warp(block.timestamp + _bound(secondsAhead, 0, 2 * verifier.heartbeat()));
    }

    function mint(uint256 amount) external {
        _mint(_bound(amount, 0, 10_000e6));
    }

    /// @dev Mints exactly the remaining headroom plus 0..2 units (the boundary of the check).
    function mintHeadroom(uint256 extra) external {
        uint256 headroom;
        try verifier.reserves() returns (uint256 reserves) {
            uint256 max = (reserves * BPS) / (BPS + verifier.marginBps());
            uint256 supply = token.totalSupply();
            headroom = max > supply ? max - supply : 0;
        } catch {
            headroom = 1;
        }
        _mint(headroom + _bound(extra, 0, 2));
    }

    function redeem(uint256 amount) external {
        amount = _bound(amount, 0, token.balanceOf(address(this)) + 1);
        try redeemer.redeem(amount, PAYOUT_REF) {
            redemptions++;
            totalRedeemed += amount;
        } catch {}
    }

    function _mint(uint256 amount) internal {
        try minter.mint(address(this), amount) {
            mintsSucceeded++;
            totalMinted += amount;
            uint256 supply = token.totalSupply();
            uint256 reserves = verifier.reserves();
            if (supply * (BPS + verifier.marginBps()) > reserves * BPS) violations++;
        } catch {
            mintsRefused++;
        }
    }

    function _bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        return min + (x % (max - min + 1));
    }
}

/// @dev Secure Mint invariants over a full asset stack (6-decimal token, 18-decimal feed, 2.5% margin).
contract SecureMintInvariantTest {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    SecureMintHandler internal handler;
    ReserveBackedStablecoin internal token;

    function setUp() public {
        DevPorAggregator aggregator = new DevPorAggregator(18, 5_000e18, "rUSD PoR", address(this));
        DevAggregatorProxy feed = new DevAggregatorProxy(address(aggregator), address(this));
        token = new ReserveBackedStablecoin("Reserve USD", "rUSD", 6, address(this));
        ReserveVerifier verifier = new ReserveVerifier(
            address(feed),
            address(token),
            1 hours,
            250,
            address(this)
        );
        address[] memory signers = new address[](1);
        signers[0] = address(0x5151);
        ReserveCircuitBreaker breaker = new ReserveCircuitBreaker(
            address(verifier),
            address(this),
            address(this),
            signers,
            1
        );
        ComplianceGate gate = new ComplianceGate(address(this), address(this));
        StablecoinMinter minter = new StablecoinMinter(
            address(token),
            address(verifier),
            address(breaker),
            address(gate),
            address(this),
            address(this)
        );
        StablecoinRedeemer redeemer = new StablecoinRedeemer(
            address(token),
            address(breaker),
            address(gate),
            address(this)
        );
        token.grantRole(token.MINTER_ROLE(), address(minter));
        token.grantRole(token.BURNER_ROLE(), address(redeemer));

        handler = new SecureMintHandler(aggregator, token, verifier, minter, redeemer);
        aggregator.transferOwnership(address(handler));
        minter.grantRole(minter.ISSUER_ROLE(), address(handler));

        address[] memory accounts = new address[](1);
        accounts[0] = address(handler);
        IComplianceGate.Record[] memory records = new IComplianceGate.Record[](1);
        records[0] = IComplianceGate.Record({
            kycTier: 1,
            jurisdiction: "US",
            qualifiedParty: false,
            expiresAt: type(uint64).max
        });
        gate.setRecords(accounts, records);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory selectors = new bytes4[](5);
        selectors[0] = SecureMintHandler.submit.selector;
        selectors[1] = SecureMintHandler.warp.selector;
        selectors[2] = SecureMintHandler.mint.selector;
        selectors[3] = SecureMintHandler.mintHeadroom.selector;
        selectors[4] = SecureMintHandler.redeem.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector({addr: address(handler), selectors: selectors});
    }

    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 40
    function invariant_noMintAboveReserves() public view {
        require(handler.violations() == 0, "a mint left supply above reserves");
    }

    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 40
    function invariant_supplyIsMintedMinusRedeemed() public view {
        require(
            token.totalSupply() == handler.totalMinted() - handler.totalRedeemed(),
            "supply changed outside the minter and redeemer"
        );
    }
}

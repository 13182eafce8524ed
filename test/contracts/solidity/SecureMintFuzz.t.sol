// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ComplianceGate} from "../../../contracts/compliance/ComplianceGate.sol";
import {DevAggregatorProxy} from "../../../contracts/dev/DevAggregatorProxy.sol";
import {DevPorAggregator} from "../../../contracts/dev/DevPorAggregator.sol";
import {IComplianceGate} from "../../../contracts/interfaces/IComplianceGate.sol";
import {IReserveVerifier} from "../../../contracts/interfaces/IReserveVerifier.sol";
import {StablecoinMinter} from "../../../contracts/issuance/StablecoinMinter.sol";
import {StablecoinRedeemer} from "../../../contracts/issuance/StablecoinRedeemer.sol";
import {ReserveCircuitBreaker} from "../../../contracts/reserves/ReserveCircuitBreaker.sol";
import {ReserveVerifier} from "../../../contracts/reserves/ReserveVerifier.sol";
import {ReserveBackedStablecoin} from "../../../contracts/token/ReserveBackedStablecoin.sol";

/// @dev Fuzz tests of the Secure Mint boundary and of the gate's jurisdiction validation.
/// The test contract is admin, feed owner, issuer, compliance officer and the (compliant) recipient.
contract SecureMintFuzzTest {
    uint256 internal constant BPS = 10_000;
    uint256 internal constant SCALE = 1e12; // 18-decimal feed, 6-decimal token

    DevPorAggregator internal aggregator;
    ReserveBackedStablecoin internal token;
    ReserveVerifier internal verifier;
    ComplianceGate internal gate;
    StablecoinMinter internal minter;
    StablecoinRedeemer internal redeemer;

    function setUp() public {
        aggregator = new DevPorAggregator(18, type(int128).max, "rUSD PoR", address(this));
        DevAggregatorProxy feed = new DevAggregatorProxy(address(aggregator), address(this));
        token = new ReserveBackedStablecoin("Reserve USD", "rUSD", 6, address(this));
        verifier = new ReserveVerifier(address(feed), address(token), 1 days, 0, address(this));
        address[] memory signers = new address[](1);
        signers[0] = address(0x5151);
        ReserveCircuitBreaker breaker = new ReserveCircuitBreaker(
            address(verifier),
            address(this),
            address(this),
            signers,
            1
        );
        gate = new ComplianceGate(address(this), address(this));
        minter = new StablecoinMinter(
            address(token),
            address(verifier),
            address(breaker),
            address(gate),
            address(this),
            address(this)
        );
        redeemer = new StablecoinRedeemer(address(token), address(breaker), address(gate), address(this));
        token.grantRole(token.MINTER_ROLE(), address(minter));
        token.grantRole(token.BURNER_ROLE(), address(redeemer));

        address[] memory accounts = new address[](1);
        accounts[0] = address(this);
        IComplianceGate.Record[] memory records = new IComplianceGate.Record[](1);
        records[0] = IComplianceGate.Record({
            kycTier: 1,
            jurisdiction: "US",
            qualifiedParty: false,
            expiresAt: type(uint64).max
        });
        gate.setRecords(accounts, records);
    }

    /// @dev A mint succeeds exactly when reserves * 10_000 >= (supply + amount) * (10_000 + margin), and
    /// otherwise reverts with InsufficientReserves carrying the figures.
    function testFuzz_mintSucceedsIffBacked(
        uint128 reservesAnswer,
        uint64 supplyBefore,
        uint64 amount,
        uint16 marginSeed
    ) public {
        uint256 margin = uint256(marginSeed) % (BPS + 1);
        verifier.setMarginBps(margin);
        if (supplyBefore > 0) minter.mint(address(this), supplyBefore); // against the huge initial answer
        if (reservesAnswer == 0) reservesAnswer = 1;
        aggregator.submit(int256(uint256(reservesAnswer)));

        uint256 reserves = uint256(reservesAnswer) / SCALE;
        uint256 supplyAfter = uint256(supplyBefore) + amount;
        bool backed = reserves * BPS >= supplyAfter * (BPS + margin);

        try minter.mint(address(this), amount) {
            require(amount > 0, "zero mint succeeded");
            require(backed, "unbacked mint succeeded");
            require(token.totalSupply() * (BPS + margin) <= reserves * BPS, "supply above reserves");
        } catch (bytes memory reason) {
            if (amount == 0) {
                require(bytes4(reason) == StablecoinMinter.ZeroAmount.selector, "expected ZeroAmount");
            } else {
                require(!backed, "backed mint refused");
                require(
                    bytes4(reason) == IReserveVerifier.InsufficientReserves.selector,
                    "expected shortfall"
                );
                (uint256 r, uint256 s, ) = abi.decode(_args(reason), (uint256, uint256, uint256));
                require(r == reserves && s == supplyAfter, "wrong figures in InsufficientReserves");
            }
        }
    }

    /// @dev Redemptions burn exactly the amount and number themselves 1, 2, 3…
    function testFuzz_redeemBurnsAndNumbers(uint64 minted, uint64 first, uint64 second) public {
        if (minted == 0) minted = 1;
        minter.mint(address(this), minted);
        uint256 a = (uint256(first) % minted) + 1;
        uint256 rest = minted - a;
        require(redeemer.redeem(a, keccak256("a")) == 1, "first id");
        require(token.totalSupply() == rest, "first burn");
        if (rest == 0) return;
        uint256 b = (uint256(second) % rest) + 1;
        require(redeemer.redeem(b, keccak256("b")) == 2, "second id");
        require(token.totalSupply() == rest - b, "second burn");
    }

    /// @dev A jurisdiction code is accepted exactly when both bytes are 'A'..'Z'.
    function testFuzz_jurisdictionValidation(bytes2 code) public {
        bool valid = code[0] >= 0x41 && code[0] <= 0x5A && code[1] >= 0x41 && code[1] <= 0x5A;
        bytes2[] memory codes = new bytes2[](1);
        codes[0] = code;
        try gate.setJurisdictionsBlocked(codes, true) {
            require(valid, "invalid code accepted");
            require(gate.isJurisdictionBlocked(code), "code not blocked");
        } catch (bytes memory reason) {
            require(!valid, "valid code refused");
            require(
                keccak256(reason) ==
                    keccak256(abi.encodeWithSelector(IComplianceGate.InvalidJurisdiction.selector, code)),
                "expected InvalidJurisdiction(code)"
            );
        }
    }

    function _args(bytes memory reason) private pure returns (bytes memory args) {
        args = new bytes(reason.length - 4);
        for (uint256 i = 0; i < args.length; ++i) args[i] = reason[i + 4];
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IReserveCircuitBreaker} from "../../../contracts/interfaces/IReserveCircuitBreaker.sol";
import {ReserveCircuitBreaker} from "../../../contracts/reserves/ReserveCircuitBreaker.sol";

/// @dev The few Foundry cheatcodes these tests use (forge-std is not available under Hardhat 3).
interface Vm {
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function addr(uint256 privateKey) external pure returns (address);
    function prank(address sender) external;
    function warp(uint256 timestamp) external;
    function chainId(uint256 newChainId) external;
    function assume(bool condition) external pure;
    function expectRevert(bytes4 selector) external;
    function expectRevert(bytes calldata revertData) external;
}

/// @dev Keys, signing and an EIP-712 digest computed independently of the breaker's own digest functions.
abstract contract QuorumKit {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    uint256 internal constant POOL_SIZE = 8;
    uint256 private constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    bytes32 internal constant DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    );
    bytes32 internal constant UNPAUSE_TYPEHASH = keccak256(
        "Unpause(address breaker,uint256 chainId,uint256 nonce,uint256 deadline,bytes32 reasonHash)"
    );
    bytes32 internal constant UPDATE_SIGNERS_TYPEHASH = keccak256(
        "UpdateSigners(address breaker,uint256 chainId,uint256 nonce,uint256 deadline,address[] signers,uint256 threshold)"
    );

    address internal constant KEEPER = address(0xBEEF);
    address internal constant RELAYER = address(0xCAFE);
    bytes32 internal constant REASON = keccak256("reserves restored");

    /// @dev POOL_SIZE private keys, ordered by ascending address.
    uint256[] internal poolKeys;
    address[] internal poolAddrs;

    function _initPool() internal {
        for (uint256 i = 0; i < POOL_SIZE; ++i) {
            uint256 key =
                (uint256(keccak256(abi.encode("reserve-keeper/quorum-key", i))) % (SECP256K1_N - 1)) + 1;
            poolKeys.push(key);
            poolAddrs.push(vm.addr(key));
        }
        // Insertion sort by address.
        for (uint256 i = 1; i < POOL_SIZE; ++i) {
            for (uint256 j = i; j > 0 && poolAddrs[j - 1] > poolAddrs[j]; --j) {
                (poolAddrs[j - 1], poolAddrs[j]) = (poolAddrs[j], poolAddrs[j - 1]);
                (poolKeys[j - 1], poolKeys[j]) = (poolKeys[j], poolKeys[j - 1]);
            }
        }
    }

    function _domainSeparator(address breaker) internal view returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    DOMAIN_TYPEHASH,
                    keccak256("ReserveCircuitBreaker"),
                    keccak256("1"),
                    block.chainid,
                    breaker
                )
            );
    }

    function _unpauseDigest(
        address breaker,
        uint256 nonce,
        uint256 deadline,
        bytes32 reasonHash
    ) internal view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(UNPAUSE_TYPEHASH, breaker, block.chainid, nonce, deadline, reasonHash)
        );
        return keccak256(abi.encodePacked(hex"1901", _domainSeparator(breaker), structHash));
    }

    function _updateSignersDigest(
        address breaker,
        uint256 nonce,
        uint256 deadline,
        address[] memory newSigners,
        uint256 newThreshold
    ) internal view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                UPDATE_SIGNERS_TYPEHASH,
                breaker,
                block.chainid,
                nonce,
                deadline,
                keccak256(abi.encodePacked(newSigners)),
                newThreshold
            )
        );
        return keccak256(abi.encodePacked(hex"1901", _domainSeparator(breaker), structHash));
    }

    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @dev Signatures of pool members `picks` (pool indices, in the given order) over `digest`.
    function _signAll(uint256[] memory picks, bytes32 digest) internal view returns (bytes[] memory sigs) {
        sigs = new bytes[](picks.length);
        for (uint256 i = 0; i < picks.length; ++i) {
            sigs[i] = _sign(poolKeys[picks[i]], digest);
        }
    }

    /// @dev The specification: at least `threshold` signatures, every signer a set member, strictly ascending.
    function _isQuorum(
        address[] memory who,
        address[] memory set,
        uint256 threshold
    ) internal pure returns (bool) {
        if (who.length < threshold) return false;
        for (uint256 i = 0; i < who.length; ++i) {
            if (!_contains(set, who[i])) return false;
            if (i > 0 && who[i] <= who[i - 1]) return false;
        }
        return true;
    }

    function _contains(address[] memory set, address account) internal pure returns (bool) {
        for (uint256 i = 0; i < set.length; ++i) {
            if (set[i] == account) return true;
        }
        return false;
    }

    /// @dev Pool indices whose bit is set in `mask`, ascending (so addresses ascend too).
    function _subset(uint256 mask) internal pure returns (uint256[] memory picks) {
        uint256 count = 0;
        for (uint256 i = 0; i < POOL_SIZE; ++i) if (mask & (1 << i) != 0) ++count;
        picks = new uint256[](count);
        uint256 k = 0;
        for (uint256 i = 0; i < POOL_SIZE; ++i) if (mask & (1 << i) != 0) picks[k++] = i;
    }

    function _addrsOf(uint256[] memory picks) internal view returns (address[] memory who) {
        who = new address[](picks.length);
        for (uint256 i = 0; i < picks.length; ++i) who[i] = poolAddrs[picks[i]];
    }
}

/// @dev Drives a breaker with random pauses, unpause attempts and signer-set rotations, and checks every
/// outcome against a model of the specification.
contract QuorumHandler is QuorumKit {
    ReserveCircuitBreaker public immutable breaker;

    // Model of the breaker.
    address[] internal modelSet;
    uint256 public modelThreshold;
    uint256 public modelNonce;
    bool public modelPaused;

    // Ghost counters.
    uint256 public unauthorisedUnpauses; // unpaused without a quorum: must stay 0
    uint256 public unauthorisedRotations; // signer set changed without a quorum: must stay 0
    uint256 public rejectedQuorums; // a valid request rejected: must stay 0
    uint256 public unpauses;
    uint256 public rejectedUnpauses;
    uint256 public rotations;

    constructor() {
        _initPool();
        // Members at pool indices 0, 2, 3, 5, 7 (interleaved with non-members 1, 4, 6), 3-of-5.
        modelSet = _addrsOf(_subset(0xAD));
        modelThreshold = 3;
        breaker = new ReserveCircuitBreaker(address(0), address(this), KEEPER, modelSet, modelThreshold);
    }

    function modelSigners() external view returns (address[] memory) {
        return modelSet;
    }

    /// @notice The keeper pauses (no-op when paused).
    function pause() external {
        vm.prank(KEEPER);
        bool changed = breaker.pause("fuzz", 1, 2);
        require(changed == !modelPaused, "pause result");
        modelPaused = true;
    }

    /// @notice Someone (never the keeper) submits an unpause with signatures built from `seed`.
    function unpause(uint256 seed) external {
        uint256 deadline = block.timestamp + 1 hours;
        // One attempt in 8 is signed for the next nonce (premature), one in 8 for the previous one (replay).
        uint256 signedNonce = modelNonce;
        if (seed % 8 == 0) signedNonce = modelNonce + 1;
        else if (seed % 8 == 1 && modelNonce > 0) signedNonce = modelNonce - 1;
        bytes32 digest = _unpauseDigest(address(breaker), signedNonce, deadline, REASON);
        uint256[] memory picks = _pick(seed >> 8);
        bytes[] memory sigs = _signAll(picks, digest);
        bool expected =
            modelPaused && signedNonce == modelNonce && _isQuorum(_addrsOf(picks), modelSet, modelThreshold);

        vm.prank(RELAYER);
        try breaker.unpause(REASON, deadline, sigs) {
            if (!expected) ++unauthorisedUnpauses;
            require(!breaker.paused(), "still paused");
            modelPaused = false;
            ++modelNonce;
            ++unpauses;
        } catch {
            if (expected) ++rejectedQuorums;
            ++rejectedUnpauses;
        }
    }

    /// @notice Someone (the keeper included) submits a signer-set update with signatures built from `seed`.
    function rotate(uint256 seed, uint8 newMask, uint8 thresholdSeed) external {
        uint256[] memory newPicks = _subset(newMask);
        address[] memory newSet = _addrsOf(newPicks);
        // Mostly valid thresholds; sometimes 0 or n + 1.
        uint256 newThreshold = newSet.length == 0 ? 1 : (uint256(thresholdSeed) % (newSet.length + 2));
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 digest = _updateSignersDigest(address(breaker), modelNonce, deadline, newSet, newThreshold);
        uint256[] memory picks = _pick(seed);
        bytes[] memory sigs = _signAll(picks, digest);
        bool validSet = newSet.length > 0 && newThreshold > 0 && newThreshold <= newSet.length;
        bool expected = validSet && _isQuorum(_addrsOf(picks), modelSet, modelThreshold);

        vm.prank(seed % 2 == 0 ? KEEPER : RELAYER);
        try breaker.updateSigners(newSet, newThreshold, deadline, sigs) {
            if (!expected) ++unauthorisedRotations;
            modelSet = newSet;
            modelThreshold = newThreshold;
            ++modelNonce;
            ++rotations;
        } catch {
            if (expected) ++rejectedQuorums;
        }
    }

    /// @notice Time passes (deadlines are always an hour ahead of the attempt).
    function warp(uint32 delta) external {
        vm.warp(block.timestamp + delta);
    }

    /// @dev A list of pool indices: an honest quorum, a mutated quorum, or a random mix, by `seed`.
    function _pick(uint256 seed) internal view returns (uint256[] memory picks) {
        uint256 mode = seed % 4;
        seed >>= 2;
        if (mode <= 1) {
            // Members of the current set, ascending, each kept with probability 3/4.
            uint256 mask = 0;
            for (uint256 i = 0; i < POOL_SIZE; ++i) {
                if (_contains(modelSet, poolAddrs[i]) && (seed >> (2 * i)) % 4 != 0) mask |= 1 << i;
            }
            picks = _subset(mask);
            seed >>= 2 * POOL_SIZE;
            if (mode == 1 && picks.length > 0) picks = _mutate(picks, seed);
        } else {
            // Any pool keys (members or not), any order, duplicates allowed.
            uint256 len = seed % (POOL_SIZE + 1);
            seed >>= 4;
            picks = new uint256[](len);
            for (uint256 i = 0; i < len; ++i) picks[i] = (seed >> (3 * i)) % POOL_SIZE;
            if (mode == 3) _sortPicks(picks);
        }
    }

    /// @dev One mutation of an honest list: swap two, duplicate one, replace one by any pool key, or drop one.
    function _mutate(uint256[] memory picks, uint256 seed) internal pure returns (uint256[] memory out) {
        uint256 kind = seed % 4;
        uint256 at = (seed >> 2) % picks.length;
        if (kind == 0) {
            uint256 other = (seed >> 10) % picks.length;
            (picks[at], picks[other]) = (picks[other], picks[at]);
            return picks;
        }
        if (kind == 1) {
            out = new uint256[](picks.length + 1);
            for (uint256 i = 0; i <= at; ++i) out[i] = picks[i];
            for (uint256 i = at; i < picks.length; ++i) out[i + 1] = picks[i];
            return out;
        }
        if (kind == 2) {
            picks[at] = (seed >> 10) % POOL_SIZE;
            return picks;
        }
        out = new uint256[](picks.length - 1);
        for (uint256 i = 0; i < picks.length; ++i) {
            if (i < at) out[i] = picks[i];
            else if (i > at) out[i - 1] = picks[i];
        }
    }

    function _sortPicks(uint256[] memory picks) internal pure {
        for (uint256 i = 1; i < picks.length; ++i) {
            for (uint256 j = i; j > 0 && picks[j - 1] > picks[j]; --j) {
                (picks[j - 1], picks[j]) = (picks[j], picks[j - 1]);
            }
        }
    }
}

/// @notice Invariant: the breaker unpauses (and rotates its signer set) only with a quorum, and every quorum works.
contract ReserveCircuitBreakerQuorumInvariantTest {
    QuorumHandler internal handler;

    function setUp() public {
        handler = new QuorumHandler();
    }

    /// @dev Only the handler is fuzzed.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 40
    function invariant_noUnpauseWithoutQuorum() public view {
        require(handler.unauthorisedUnpauses() == 0, "unpaused without a quorum");
        require(handler.unauthorisedRotations() == 0, "signer set changed without a quorum");
    }

    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 40
    function invariant_everyQuorumIsAccepted() public view {
        require(handler.rejectedQuorums() == 0, "a valid quorum was rejected");
    }

    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 40
    function invariant_breakerMatchesModel() public view {
        ReserveCircuitBreaker breaker = handler.breaker();
        require(breaker.paused() == handler.modelPaused(), "paused");
        require(breaker.nonce() == handler.modelNonce(), "nonce");
        require(breaker.threshold() == handler.modelThreshold(), "threshold");
        address[] memory onChain = breaker.signers();
        address[] memory model = handler.modelSigners();
        require(onChain.length == model.length, "signer count");
        for (uint256 i = 0; i < model.length; ++i) {
            require(onChain[i] == model[i], "signer");
            require(breaker.isSigner(model[i]), "isSigner");
        }
        require(breaker.threshold() >= 1 && breaker.threshold() <= onChain.length, "threshold range");
    }
}

/// @notice Fuzz tests of the quorum rules on a 3-of-5 breaker.
contract ReserveCircuitBreakerQuorumTest is QuorumKit {
    ReserveCircuitBreaker internal breaker;
    address[] internal set;
    uint256 internal constant THRESHOLD = 3;
    // Pool indices 0, 2, 3, 5, 7 are members; 1, 4, 6 are not.
    uint256 internal constant MEMBERS_MASK = 0xAD;

    function setUp() public {
        _initPool();
        set = _addrsOf(_subset(MEMBERS_MASK));
        breaker = new ReserveCircuitBreaker(address(0), address(this), KEEPER, set, THRESHOLD);
        vm.prank(KEEPER);
        breaker.pause("setUp", 0, 0);
    }

    function _digest() internal view returns (bytes32) {
        return _unpauseDigest(address(breaker), breaker.nonce(), block.timestamp, REASON);
    }

    function _unpause(bytes[] memory sigs) internal returns (bool ok) {
        vm.prank(RELAYER);
        try breaker.unpause(REASON, block.timestamp, sigs) {
            return true;
        } catch {
            return false;
        }
    }

    function test_digestsMatchIndependentEip712() public view {
        require(
            breaker.unpauseDigest(7, 99, REASON) == _unpauseDigest(address(breaker), 7, 99, REASON),
            "unpause"
        );
        require(
            breaker.updateSignersDigest(3, 42, set, 2) ==
                _updateSignersDigest(address(breaker), 3, 42, set, 2),
            "updateSigners"
        );
    }

    /// @notice Any list with fewer than `threshold` distinct members (plus any duplicates, non-members,
    /// in any order) reverts and leaves the breaker paused.
    function testFuzz_fewerThanThresholdDistinctSignersReverts(
        uint256 seed,
        uint8 memberMask,
        uint8 len
    ) public {
        // Distinct members that sign: a subset of the set smaller than the threshold.
        uint256[] memory members = _subset(uint256(memberMask) & MEMBERS_MASK);
        vm.assume(members.length < THRESHOLD);
        // The list: members (each may repeat) and non-members, in seed-driven order.
        uint256 n = members.length + (uint256(len) % 6);
        uint256[] memory picks = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            if (i < members.length) picks[i] = members[i];
            else if (members.length > 0 && r % 2 == 0) picks[i] = members[(r >> 8) % members.length];
            else picks[i] = [uint256(1), 4, 6][(r >> 8) % 3];
        }
        for (uint256 i = n; i > 1; --i) {
            uint256 j = uint256(keccak256(abi.encode(seed, "shuffle", i))) % i;
            (picks[i - 1], picks[j]) = (picks[j], picks[i - 1]);
        }
        uint256 nonceBefore = breaker.nonce();
        require(!_unpause(_signAll(picks, _digest())), "unpaused below threshold");
        require(breaker.paused(), "not paused");
        require(breaker.nonce() == nonceBefore, "nonce consumed");
    }

    /// @notice Any ascending list of at least `threshold` distinct members unpauses and consumes the nonce.
    function testFuzz_ascendingQuorumUnpauses(uint8 memberMask) public {
        uint256[] memory picks = _subset(uint256(memberMask) & MEMBERS_MASK);
        vm.assume(picks.length >= THRESHOLD);
        require(_unpause(_signAll(picks, _digest())), "quorum rejected");
        require(!breaker.paused(), "still paused");
        require(breaker.nonce() == 1, "nonce");
    }

    /// @notice A quorum in any non-ascending order reverts with SignersNotAscending.
    function testFuzz_nonAscendingQuorumReverts(uint8 memberMask, uint256 i, uint256 j) public {
        uint256[] memory picks = _subset(uint256(memberMask) & MEMBERS_MASK);
        vm.assume(picks.length >= THRESHOLD);
        i = i % picks.length;
        j = j % picks.length;
        vm.assume(i < j);
        (picks[i], picks[j]) = (picks[j], picks[i]);
        bytes[] memory sigs = _signAll(picks, _digest());
        // The first out-of-order position is the smallest index k with picks[k] < picks[k - 1].
        uint256 k = 1;
        while (poolAddrs[picks[k]] > poolAddrs[picks[k - 1]]) ++k;
        vm.expectRevert(
            abi.encodeWithSelector(
                IReserveCircuitBreaker.SignersNotAscending.selector,
                poolAddrs[picks[k - 1]],
                poolAddrs[picks[k]],
                k
            )
        );
        vm.prank(RELAYER);
        breaker.unpause(REASON, block.timestamp, sigs);
    }

    /// @notice The keeper can never unpause, whatever it submits.
    function testFuzz_keeperNeverUnpauses(uint8 memberMask, uint256 deadline) public {
        uint256[] memory picks = _subset(uint256(memberMask) & MEMBERS_MASK);
        bytes32 digest = _unpauseDigest(address(breaker), breaker.nonce(), deadline, REASON);
        bytes[] memory sigs = _signAll(picks, digest);
        vm.expectRevert(abi.encodeWithSelector(IReserveCircuitBreaker.KeeperCannotUnpause.selector, KEEPER));
        vm.prank(KEEPER);
        breaker.unpause(REASON, deadline, sigs);
    }

    /// @notice Signatures are bound to the chain id: a quorum signed for one chain fails on any other
    /// (after a fork, say), and a quorum signed for the new chain works there.
    function testFuzz_chainIdBinding(uint64 otherChainId) public {
        vm.assume(otherChainId != block.chainid && otherChainId != 0);
        uint256[] memory picks = _subset(MEMBERS_MASK);
        bytes[] memory here = _signAll(picks, _digest());
        vm.chainId(otherChainId);
        require(breaker.unpauseDigest(0, block.timestamp, REASON) == _digest(), "digest on the other chain");
        require(!_unpause(here), "signatures for another chain accepted");
        require(_unpause(_signAll(picks, _digest())), "signatures for this chain rejected");
    }

    /// @notice A valid quorum past its deadline reverts with ExpiredSignature.
    function testFuzz_expiredDeadlineReverts(uint32 deadline, uint32 late) public {
        vm.assume(late > 0);
        vm.warp(uint256(deadline) + late);
        bytes32 digest = _unpauseDigest(address(breaker), 0, deadline, REASON);
        bytes[] memory sigs = _signAll(_subset(MEMBERS_MASK), digest);
        vm.expectRevert(
            abi.encodeWithSelector(
                IReserveCircuitBreaker.ExpiredSignature.selector,
                uint256(deadline),
                uint256(deadline) + late
            )
        );
        vm.prank(RELAYER);
        breaker.unpause(REASON, deadline, sigs);
    }

    /// @notice The constructor accepts a signer set exactly when it is 1..16 strictly ascending non-zero
    /// addresses with 1 <= threshold <= n.
    function testFuzz_signerSetValidation(address[] memory candidate, uint256 threshold, bool sortIt) public {
        if (sortIt) {
            for (uint256 i = 1; i < candidate.length; ++i) {
                for (uint256 j = i; j > 0 && candidate[j - 1] > candidate[j]; --j) {
                    (candidate[j - 1], candidate[j]) = (candidate[j], candidate[j - 1]);
                }
            }
        }
        threshold = threshold % 20;
        bool validSet = candidate.length >= 1 && candidate.length <= 16;
        for (uint256 i = 0; validSet && i < candidate.length; ++i) {
            if (candidate[i] == address(0) || (i > 0 && candidate[i] <= candidate[i - 1])) validSet = false;
        }
        bool validThreshold = threshold >= 1 && threshold <= candidate.length;
        bool deployed;
        bytes memory reason;
        try new ReserveCircuitBreaker(address(0), address(this), KEEPER, candidate, threshold) returns (
            ReserveCircuitBreaker
        ) {
            deployed = true;
        } catch (bytes memory data) {
            reason = data;
        }
        require(deployed == (validSet && validThreshold), "acceptance");
        if (!deployed) {
            bytes memory want;
            if (candidate.length == 0 || candidate.length > 16) {
                want = abi.encodeWithSelector(
                    IReserveCircuitBreaker.InvalidSignerSet.selector,
                    candidate.length
                );
            } else if (!validThreshold) {
                want = abi.encodeWithSelector(
                    IReserveCircuitBreaker.InvalidThreshold.selector,
                    threshold,
                    candidate.length
                );
            } else {
                want = abi.encodeWithSelector(
                    IReserveCircuitBreaker.InvalidSignerSet.selector,
                    candidate.length
                );
            }
            require(keccak256(reason) == keccak256(want), "error");
        }
    }
}

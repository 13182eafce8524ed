// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AttesterSet} from "../../../contracts/cctp/AttesterSet.sol";
import {DevMessageTransmitterBase} from "../../../contracts/cctp/DevMessageTransmitterBase.sol";
import {DevMessageTransmitterV2} from "../../../contracts/cctp/DevMessageTransmitterV2.sol";
import {IMessageHandlerV2} from "../../../contracts/cctp/interfaces/IMessageHandlerV2.sol";
import {CctpBurnMessage} from "../../../contracts/cctp/libraries/CctpBurnMessage.sol";
import {CctpHookData} from "../../../contracts/cctp/libraries/CctpHookData.sol";
import {CctpMessageV1} from "../../../contracts/cctp/libraries/CctpMessageV1.sol";
import {CctpMessageV2} from "../../../contracts/cctp/libraries/CctpMessageV2.sol";

/// @dev The few Foundry cheatcodes these tests use (forge-std is not available under Hardhat 3).
interface Vm {
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function addr(uint256 privateKey) external pure returns (address);
    function assume(bool condition) external pure;
    function expectRevert(bytes calldata revertData) external;
}

/// @dev Exposes the calldata readers of the message libraries.
contract CctpReaders {
    function v2Header(
        bytes calldata m
    ) external pure returns (CctpMessageV2.Header memory h, bytes memory body) {
        h = CctpMessageV2.Header({
            version: CctpMessageV2.version(m),
            sourceDomain: CctpMessageV2.sourceDomain(m),
            destinationDomain: CctpMessageV2.destinationDomain(m),
            nonce: CctpMessageV2.nonce(m),
            sender: CctpMessageV2.sender(m),
            recipient: CctpMessageV2.recipient(m),
            destinationCaller: CctpMessageV2.destinationCaller(m),
            minFinalityThreshold: CctpMessageV2.minFinalityThreshold(m),
            finalityThresholdExecuted: CctpMessageV2.finalityThresholdExecuted(m)
        });
        body = CctpMessageV2.messageBody(m);
    }

    function burnV2(
        bytes calldata b
    )
        external
        pure
        returns (bytes32 token, bytes32 recipient, uint256 amount, uint256 maxFee, bytes memory hookBytes)
    {
        return (
            CctpBurnMessage.burnToken(b),
            CctpBurnMessage.mintRecipient(b),
            CctpBurnMessage.amount(b),
            CctpBurnMessage.maxFee(b),
            CctpBurnMessage.hookData(b)
        );
    }

    function v1(
        bytes calldata m
    ) external pure returns (uint32 src, uint32 dst, uint64 nonce, bytes memory body) {
        return (
            CctpMessageV1.sourceDomain(m),
            CctpMessageV1.destinationDomain(m),
            CctpMessageV1.nonce(m),
            CctpMessageV1.messageBody(m)
        );
    }

    function hook(bytes calldata h) external pure returns (bool ok, address target, bytes memory callData) {
        return CctpHookData.decode(h);
    }
}

/// @dev A recipient whose handlers return false (Circle's transmitter then reverts).
contract FalseHandler is IMessageHandlerV2 {
    function handleReceiveFinalizedMessage(
        uint32,
        bytes32,
        uint32,
        bytes calldata
    ) external pure returns (bool) {
        return false;
    }

    function handleReceiveUnfinalizedMessage(
        uint32,
        bytes32,
        uint32,
        bytes calldata
    ) external pure returns (bool) {
        return false;
    }
}

contract CctpMessagesTest {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    CctpReaders internal readers;

    function setUp() public {
        readers = new CctpReaders();
    }

    function testFuzz_v2FormatRoundTrips(CctpMessageV2.Header memory h, bytes memory body) public view {
        bytes memory m = CctpMessageV2.format(h, body);
        require(m.length == 148 + body.length, "length");
        (CctpMessageV2.Header memory back, bytes memory backBody) = readers.v2Header(m);
        require(keccak256(abi.encode(back)) == keccak256(abi.encode(h)), "header");
        require(keccak256(backBody) == keccak256(body), "body");
    }

    function testFuzz_burnV2RoundTrips(
        bytes32 token,
        bytes32 recipient,
        uint256 amount,
        bytes32 sender,
        uint256 maxFee,
        bytes memory hookData
    ) public view {
        bytes memory b = CctpBurnMessage.formatV2ForRelay(
            1,
            token,
            recipient,
            amount,
            sender,
            maxFee,
            hookData
        );
        require(b.length == 228 + hookData.length, "length");
        (bytes32 t, bytes32 r, uint256 a, uint256 f, bytes memory h) = readers.burnV2(b);
        require(t == token && r == recipient && a == amount && f == maxFee, "fields");
        require(keccak256(h) == keccak256(hookData), "hook");
    }

    function testFuzz_v1FormatRoundTrips(
        uint32 src,
        uint32 dst,
        uint64 nonce,
        bytes memory body
    ) public view {
        bytes memory m = CctpMessageV1.format(0, src, dst, nonce, bytes32(0), bytes32(0), bytes32(0), body);
        require(m.length == 116 + body.length, "length");
        (uint32 s, uint32 d, uint64 n, bytes memory b) = readers.v1(m);
        require(s == src && d == dst && n == nonce && keccak256(b) == keccak256(body), "fields");
    }

    function testFuzz_hookDataRoundTrips(address target, bytes memory callData) public view {
        (bool ok, address t, bytes memory c) = readers.hook(CctpHookData.encode(target, callData));
        require(ok && t == target && keccak256(c) == keccak256(callData), "hook");
    }

    function testFuzz_hookDataWithoutMagicIsRejected(bytes memory data) public view {
        vm.assume(data.length < 4 || bytes4(data) != CctpHookData.MAGIC);
        (bool ok, , ) = readers.hook(data);
        require(!ok, "accepted");
    }

    function test_handlerReturningFalseReverts() public {
        uint256 key = 0xA11CE;
        address[] memory attesters = new address[](1);
        attesters[0] = vm.addr(key);
        DevMessageTransmitterV2 t = new DevMessageTransmitterV2(
            6,
            address(this),
            address(this),
            address(this),
            attesters,
            1,
            1000
        );
        FalseHandler handler = new FalseHandler();
        bytes memory m = CctpMessageV2.format(
            CctpMessageV2.Header({
                version: 1,
                sourceDomain: 0,
                destinationDomain: 6,
                nonce: keccak256("n"),
                sender: bytes32(0),
                recipient: bytes32(uint256(uint160(address(handler)))),
                destinationCaller: bytes32(0),
                minFinalityThreshold: 2000,
                finalityThresholdExecuted: 2000
            }),
            hex"01"
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, keccak256(m));
        vm.expectRevert(
            abi.encodeWithSelector(DevMessageTransmitterBase.HandlerFailed.selector, address(handler))
        );
        t.receiveMessage(m, abi.encodePacked(r, s, v));
        require(t.usedNonces(keccak256("n")) == 0, "nonce consumed");
    }

    function testFuzz_anySingleAttesterSignatureIsAccepted(bytes memory body, bytes32 nonce) public {
        vm.assume(nonce != bytes32(0));
        uint256 key = 0xB0B;
        address[] memory attesters = new address[](1);
        attesters[0] = vm.addr(key);
        DevMessageTransmitterV2 t = new DevMessageTransmitterV2(
            6,
            address(this),
            address(this),
            address(this),
            attesters,
            1,
            1000
        );
        FalseHandler handler = new FalseHandler();
        bytes memory m = CctpMessageV2.format(
            CctpMessageV2.Header({
                version: 1,
                sourceDomain: 0,
                destinationDomain: 6,
                nonce: nonce,
                sender: bytes32(0),
                recipient: bytes32(uint256(uint160(address(handler)))),
                destinationCaller: bytes32(0),
                minFinalityThreshold: 1000,
                finalityThresholdExecuted: 1000
            }),
            body
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, keccak256(m));
        // The attestation passes and the receive reaches the handler (which refuses): proof the digest is
        // keccak256(message) and the signature r || s || v.
        vm.expectRevert(
            abi.encodeWithSelector(DevMessageTransmitterBase.HandlerFailed.selector, address(handler))
        );
        t.receiveMessage(m, abi.encodePacked(r, s, v));
        // A signature by another key is not an attester's.
        (v, r, s) = vm.sign(key + 1, keccak256(m));
        vm.expectRevert(abi.encodeWithSelector(AttesterSet.NotAttester.selector, 0, vm.addr(key + 1)));
        t.receiveMessage(m, abi.encodePacked(r, s, v));
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title CctpHookData
/// @notice The hook format the {CctpHookExecutor} executes, carried in a V2 burn message's hookData:
///
///     hookData = abi.encodePacked(bytes4 MAGIC, address target, bytes callData)
///
/// | field    | offset | size |
/// |----------|--------|------|
/// | MAGIC    | 0      | 4    | "rkh1" = 0x726b6831 (reserve-keeper hook, format 1) |
/// | target   | 4      | 20   | the contract the executor calls |
/// | callData | 24     | rest | the calldata of that call, verbatim (may be empty) |
library CctpHookData {
    /// @notice "rkh1".
    bytes4 internal constant MAGIC = 0x726b6831;
    uint256 internal constant TARGET_INDEX = 4;
    uint256 internal constant CALL_DATA_INDEX = 24;

    /// @notice The hook data that makes the executor call `target` with `callData`.
    function encode(address target, bytes memory callData) internal pure returns (bytes memory) {
        return abi.encodePacked(MAGIC, target, callData);
    }

    /// @notice Splits `hookData`; `ok` is false when it is shorter than 24 bytes or lacks the magic.
    function decode(
        bytes calldata hookData
    ) internal pure returns (bool ok, address target, bytes calldata callData) {
        if (hookData.length < CALL_DATA_INDEX || bytes4(hookData[0:TARGET_INDEX]) != MAGIC) {
            return (false, address(0), hookData[0:0]);
        }
        return (true, address(bytes20(hookData[TARGET_INDEX:CALL_DATA_INDEX])), hookData[CALL_DATA_INDEX:]);
    }
}

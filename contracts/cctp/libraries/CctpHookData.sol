// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title CctpHookData
/// @notice The hook format the {CctpHookExecutor} executes, carried in a V2 burn message's hookData:
///
///     hookData = abi.encodePacked(bytes4 MAGIC, address target, bytes data)
///
/// | field  | offset | size |
/// |--------|--------|------|
/// | MAGIC  | 0      | 4    | "rkh2" = 0x726b6832 (reserve-keeper hook, format 2: receiver callback) |
/// | target | 4      | 20   | the {ICctpHookReceiver} the executor pays and calls back |
/// | data   | 24     | rest | the `data` argument of `onCctpHook`, verbatim (may be empty) |
library CctpHookData {
    /// @notice "rkh2".
    bytes4 internal constant MAGIC = 0x726b6832;
    uint256 internal constant TARGET_INDEX = 4;
    uint256 internal constant DATA_INDEX = 24;

    /// @notice The hook data that makes the executor pay `target` and call it back with `data`.
    function encode(address target, bytes memory data) internal pure returns (bytes memory) {
        return abi.encodePacked(MAGIC, target, data);
    }

    /// @notice Splits `hookData`; `ok` is false when it is shorter than 24 bytes or lacks the magic.
    function decode(
        bytes calldata hookData
    ) internal pure returns (bool ok, address target, bytes calldata data) {
        if (hookData.length < DATA_INDEX || bytes4(hookData[0:TARGET_INDEX]) != MAGIC) {
            return (false, address(0), hookData[0:0]);
        }
        return (true, address(bytes20(hookData[TARGET_INDEX:DATA_INDEX])), hookData[DATA_INDEX:]);
    }
}

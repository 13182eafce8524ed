// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title CctpAddress
/// @notice CCTP carries every address as bytes32 (left-padded), so non-EVM domains fit the same format.
library CctpAddress {
    /// @notice `account` left-padded to 32 bytes.
    function toBytes32(address account) internal pure returns (bytes32) {
        return bytes32(uint256(uint160(account)));
    }

    /// @notice The low 20 bytes of `value` as an address (the upper 12 bytes are ignored, like Circle's).
    function toAddress(bytes32 value) internal pure returns (address) {
        return address(uint160(uint256(value)));
    }
}

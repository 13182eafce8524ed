// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ICctpTokenMinter
/// @notice What the local token messengers (V1 and V2) need from the token minter: burn what they
/// collected, mint what a remote burn released, and the token pair lookup. Same functions as Circle's
/// `ITokenMinterV2` (which keeps V1's `mint(uint32,bytes32,address,uint256)`).
interface ICctpTokenMinter {
    /// @notice Burns `burnAmount` of `burnToken` held by the minter.
    function burn(address burnToken, uint256 burnAmount) external;

    /// @notice Mints `amount` of the local token paired with (`sourceDomain`, `burnToken`) to `to`.
    /// @return mintToken The local token.
    function mint(
        uint32 sourceDomain,
        bytes32 burnToken,
        address to,
        uint256 amount
    ) external returns (address mintToken);

    /// @notice Mints `amountOne` to `recipientOne` and, when non-zero, `amountTwo` to `recipientTwo`.
    /// @return mintToken The local token.
    function mint(
        uint32 sourceDomain,
        bytes32 burnToken,
        address recipientOne,
        address recipientTwo,
        uint256 amountOne,
        uint256 amountTwo
    ) external returns (address mintToken);

    /// @notice The local token paired with `remoteToken` of `remoteDomain` (address(0) when none).
    function getLocalToken(uint32 remoteDomain, bytes32 remoteToken) external view returns (address);
}

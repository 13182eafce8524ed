// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";

/// @title IReserveBackedStablecoin
/// @notice The token: supply changes only through holders of MINTER_ROLE / BURNER_ROLE.
interface IReserveBackedStablecoin is IERC20Metadata {
    function MINTER_ROLE() external view returns (bytes32);
    function BURNER_ROLE() external view returns (bytes32);
    /// @notice Mint by MINTER_ROLE (the StablecoinMinter; later the CCTP token minter).
    function mint(address to, uint256 amount) external;
    /// @notice Burn `amount` from `from` by BURNER_ROLE (the StablecoinRedeemer; later the CCTP token minter).
    function burn(address from, uint256 amount) external;
}

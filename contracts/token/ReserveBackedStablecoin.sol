// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {IReserveBackedStablecoin} from "../interfaces/IReserveBackedStablecoin.sol";

/// @title ReserveBackedStablecoin
/// @notice A fiat-backed stablecoin whose supply changes only through role holders: MINTER_ROLE (the
/// Proof-of-Reserve-checked StablecoinMinter, later the CCTP token minter) and BURNER_ROLE (the
/// StablecoinRedeemer, later the CCTP token minter). Holders cannot burn their own tokens directly;
/// redemption goes through the redeemer so that every burn leaves an off-chain payout record.
/// @dev ERC20 + ERC2612 permit + AccessControl. The admin (DEFAULT_ADMIN_ROLE) only manages roles.
contract ReserveBackedStablecoin is ERC20, ERC20Permit, AccessControl, IReserveBackedStablecoin {
    /// @notice Role allowed to mint.
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");
    /// @notice Role allowed to burn from any account.
    bytes32 public constant BURNER_ROLE = keccak256("BURNER_ROLE");
    /// @notice The intended decimals of a fiat-backed stablecoin (the constructor takes any value up to MAX_DECIMALS).
    uint8 public constant DEFAULT_DECIMALS = 6;
    /// @notice Largest decimals value accepted; matches what the ReserveVerifier can normalise (0..36).
    uint8 public constant MAX_DECIMALS = 36;

    uint8 private immutable _DECIMALS;

    /// @notice A zero address where an account is required.
    error ZeroAddress();
    /// @notice A decimals value above MAX_DECIMALS.
    error UnsupportedDecimals(uint8 decimals);

    /// @param name_ ERC20 name; also the EIP-712 domain name used by permit.
    /// @param symbol_ ERC20 symbol.
    /// @param decimals_ ERC20 decimals (normally DEFAULT_DECIMALS = 6).
    /// @param admin receives DEFAULT_ADMIN_ROLE.
    /// @dev Requirements: `admin` is not the zero address; `decimals_` <= MAX_DECIMALS.
    constructor(
        string memory name_,
        string memory symbol_,
        uint8 decimals_,
        address admin
    ) ERC20(name_, symbol_) ERC20Permit(name_) {
        if (admin == address(0)) revert ZeroAddress();
        if (decimals_ > MAX_DECIMALS) revert UnsupportedDecimals(decimals_);
        _DECIMALS = decimals_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice Mints `amount` tokens to `to`.
    /// @dev Requirements: the caller has MINTER_ROLE; `to` is not the zero address.
    /// Emits {Transfer} from the zero address.
    function mint(address to, uint256 amount) external virtual onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }

    /// @notice Burns `amount` tokens from `from` without an allowance.
    /// @dev Requirements: the caller has BURNER_ROLE; `from` is not the zero address and holds at least `amount`.
    /// Emits {Transfer} to the zero address.
    function burn(address from, uint256 amount) external virtual onlyRole(BURNER_ROLE) {
        _burn(from, amount);
    }

    /// @inheritdoc IERC20Metadata
    function decimals() public view virtual override(ERC20, IERC20Metadata) returns (uint8) {
        return _DECIMALS;
    }

    /// @notice ERC165: AccessControl, IReserveBackedStablecoin, IERC20, IERC20Metadata and IERC20Permit.
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return
            interfaceId == type(IReserveBackedStablecoin).interfaceId ||
            interfaceId == type(IERC20).interfaceId ||
            interfaceId == type(IERC20Metadata).interfaceId ||
            interfaceId == type(IERC20Permit).interfaceId ||
            super.supportsInterface(interfaceId);
    }
}

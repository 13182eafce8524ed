// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/// @title IReserveVerifier
/// @notice Reads a Chainlink Proof-of-Reserve feed and compares it with the token supply on this chain.
/// @dev All reserve and supply figures returned are expressed in the token's decimals.
interface IReserveVerifier {
    /// @notice Health of the reserve backing, as seen on this chain.
    enum Status {
        Healthy,
        Undercollateralized,
        Stale,
        InvalidAnswer
    }

    /// @notice Everything the verifier knows at one point in time, for events and off-chain readers.
    struct Snapshot {
        Status status;
        uint256 reserves; // feed answer normalised to token decimals (0 when the answer is invalid)
        uint256 supply; // token total supply on this chain
        uint256 ratioBps; // reserves * 10_000 / supply; type(uint256).max when supply is 0
        int256 answer; // raw feed answer
        uint80 roundId; // proxy (phase-encoded) round id
        uint256 updatedAt; // feed updatedAt
    }

    /// @notice The feed answer is zero or negative.
    error InvalidAnswer(int256 answer, uint80 roundId);
    /// @notice The feed answer is older than the heartbeat allows.
    error StaleAnswer(uint256 updatedAt, uint256 nowTimestamp, uint256 heartbeat);
    /// @notice The round was not completed (updatedAt == 0, answeredInRound < roundId, or updatedAt in the future).
    error IncompleteRound(uint80 roundId, uint80 answeredInRound, uint256 updatedAt);
    /// @notice A decimals value outside 0..36.
    error UnsupportedDecimals(uint8 decimals);
    /// @notice Minting `amount` would leave supply above reserves after the margin.
    error InsufficientReserves(uint256 reserves, uint256 supplyAfter, uint256 requiredReserves);
    /// @notice A margin above 10_000 bps.
    error MarginTooLarge(uint256 marginBps);
    /// @notice A heartbeat of zero.
    error InvalidHeartbeat(uint256 heartbeat);
    /// @notice A zero address where a contract is required.
    error ZeroAddress();

    event FeedChanged(address indexed previousFeed, address indexed newFeed);
    event HeartbeatChanged(uint256 previousHeartbeat, uint256 newHeartbeat);
    event MarginChanged(uint256 previousMarginBps, uint256 newMarginBps);

    function feed() external view returns (AggregatorV3Interface);
    function token() external view returns (address);
    function heartbeat() external view returns (uint256);
    function marginBps() external view returns (uint256);

    /// @notice Reserves in token decimals; reverts with InvalidAnswer / StaleAnswer / IncompleteRound.
    function reserves() external view returns (uint256);
    /// @notice Token total supply on this chain.
    function supply() external view returns (uint256);
    /// @notice reserves * 10_000 / supply (type(uint256).max when supply is 0); reverts like reserves().
    function ratioBps() external view returns (uint256);
    /// @notice Never reverts: a broken or reverting feed reports InvalidAnswer.
    function status() external view returns (Status);
    /// @notice Never reverts; see Snapshot.
    function snapshot() external view returns (Snapshot memory);
    /// @notice Reverts unless reserves * 10_000 >= (supply + amount) * (10_000 + marginBps).
    /// @return reservesNow normalised reserves, supplyAfter supply + amount
    function checkMint(uint256 amount) external view returns (uint256 reservesNow, uint256 supplyAfter);
    /// @notice The one place decimals are converted: amount with `fromDecimals` → `toDecimals` (each 0..36),
    /// rounding down.
    function normalize(uint256 amount, uint8 fromDecimals, uint8 toDecimals) external pure returns (uint256);
}

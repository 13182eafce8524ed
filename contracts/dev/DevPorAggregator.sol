// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {AggregatorV2V3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV2V3Interface.sol";

/// @title DevPorAggregator
/// @notice DEVNET / TEST ONLY — never deploy to a real network. A Proof-of-Reserve aggregator whose owner
/// pushes answers, and which emits the legacy `NewRound` / `AnswerUpdated` events exactly like Chainlink's
/// production OCR aggregators (Chainlink's own mocks emit no events).
/// @dev Round ids are the aggregator's own uint32-style counter starting at 1 (the constructor's answer).
/// Read it through a {DevAggregatorProxy} to get phase-encoded round ids like on a real network.
/// For each normal round `answeredInRound == roundId`; {submitIncomplete} records a round whose
/// `answeredInRound` is older, like a FluxAggregator round that timed out and carried an older answer.
contract DevPorAggregator is AggregatorV2V3Interface, Ownable {
    /// @notice One stored round.
    struct Round {
        int256 answer;
        uint64 startedAt;
        uint64 updatedAt;
        uint32 answeredInRound;
    }

    /// @notice The value returned by {version}; OCR aggregators report 4, newer Chainlink aggregators 6.
    uint256 public constant VERSION = 6;

    uint8 private immutable _DECIMALS;
    string private _description;
    uint32 private _latestRoundId;
    mapping(uint256 roundId => Round) private _rounds;

    /// @notice `roundId` was never recorded by this aggregator.
    error RoundNotFound(uint256 roundId);
    /// @notice A backdated timestamp lies in the future of the current block.
    error TimestampInFuture(uint256 updatedAt, uint256 blockTimestamp);

    /// @notice Deploys the aggregator and records `initialAnswer` as round 1 (emitting {NewRound} and
    /// {AnswerUpdated} like any other round).
    /// @param decimals_ Decimals of every answer (any uint8; consumers decide what they accept).
    /// @param initialAnswer Answer of round 1.
    /// @param description_ Human-readable feed description, e.g. "USDX PoR".
    /// @param initialOwner Account allowed to submit answers.
    /// @dev Requirements: `initialOwner` is not the zero address (else {OwnableInvalidOwner}).
    constructor(
        uint8 decimals_,
        int256 initialAnswer,
        string memory description_,
        address initialOwner
    ) Ownable(initialOwner) {
        _DECIMALS = decimals_;
        _description = description_;
        _record(initialAnswer, block.timestamp, 0, true);
    }

    /// @notice Records `answer` as a new round updated now.
    /// @param answer The new answer (any value, including zero or negative, to exercise consumers).
    /// @return roundId The new aggregator round id (previous latest round + 1).
    /// @dev Requirements: caller is the owner (else {OwnableUnauthorizedAccount}).
    /// Emits {NewRound}(roundId, address(0), block.timestamp) then {AnswerUpdated}(answer, roundId, block.timestamp).
    function submit(int256 answer) external virtual onlyOwner returns (uint256 roundId) {
        return _record(answer, block.timestamp, 0, true);
    }

    /// @notice Records `answer` as a new round last updated at `updatedAt` (backdated / stale scenarios).
    /// @param answer The new answer.
    /// @param updatedAt The round's `startedAt` and `updatedAt`; zero is allowed to simulate an unset round.
    /// @return roundId The new aggregator round id.
    /// @dev Requirements: caller is the owner; `updatedAt <= block.timestamp` (else {TimestampInFuture}).
    /// Emits {NewRound}(roundId, address(0), updatedAt) then {AnswerUpdated}(answer, roundId, updatedAt).
    function submitWithTimestamp(
        int256 answer,
        uint256 updatedAt
    ) external virtual onlyOwner returns (uint256 roundId) {
        if (updatedAt > block.timestamp) revert TimestampInFuture(updatedAt, block.timestamp);
        return _record(answer, updatedAt, 0, true);
    }

    /// @notice Records an incomplete round: the round starts now but carries the answer of an older round,
    /// so `answeredInRound` is the previous round's `answeredInRound` (always `< roundId`).
    /// @param answer The answer stored for the incomplete round.
    /// @return roundId The new aggregator round id.
    /// @dev Requirements: caller is the owner.
    /// Emits only {NewRound}(roundId, address(0), block.timestamp): no fresh answer was computed, so, like
    /// production aggregators for rounds that never complete, no {AnswerUpdated} is emitted.
    function submitIncomplete(int256 answer) external virtual onlyOwner returns (uint256 roundId) {
        uint32 carried = _rounds[_latestRoundId].answeredInRound;
        return _record(answer, block.timestamp, carried, false);
    }

    /// @notice Aggregator version ({VERSION}).
    function version() external pure override returns (uint256) {
        return VERSION;
    }

    /// @notice Decimals of every answer.
    function decimals() external view override returns (uint8) {
        return _DECIMALS;
    }

    /// @notice Human-readable description of the feed.
    function description() external view override returns (string memory) {
        return _description;
    }

    /// @notice Data of round `roundId`.
    /// @param roundId An aggregator round id (not phase-encoded).
    /// @return id `roundId`
    /// @return answer The round's answer.
    /// @return startedAt When the round started.
    /// @return updatedAt When the round's answer was computed.
    /// @return answeredInRound The round the answer was computed in (`== id` unless the round is incomplete).
    /// @dev Requirements: `1 <= roundId <= latestRound()` (else {RoundNotFound}).
    function getRoundData(
        uint80 roundId
    )
        external
        view
        override
        returns (uint80 id, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        if (roundId == 0 || roundId > _latestRoundId) revert RoundNotFound(roundId);
        return _roundData(roundId);
    }

    /// @notice Data of the latest round; see {getRoundData}.
    function latestRoundData()
        external
        view
        override
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        return _roundData(_latestRoundId);
    }

    /// @notice Answer of the latest round.
    function latestAnswer() external view override returns (int256) {
        return _rounds[_latestRoundId].answer;
    }

    /// @notice `updatedAt` of the latest round.
    function latestTimestamp() external view override returns (uint256) {
        return _rounds[_latestRoundId].updatedAt;
    }

    /// @notice Id of the latest round (at least 1).
    function latestRound() external view override returns (uint256) {
        return _latestRoundId;
    }

    /// @notice Answer of round `roundId`; 0 for unknown rounds (legacy AggregatorInterface semantics).
    /// @param roundId An aggregator round id.
    function getAnswer(uint256 roundId) external view override returns (int256) {
        return _rounds[roundId].answer;
    }

    /// @notice `updatedAt` of round `roundId`; 0 for unknown rounds (legacy AggregatorInterface semantics).
    /// @param roundId An aggregator round id.
    function getTimestamp(uint256 roundId) external view override returns (uint256) {
        return _rounds[roundId].updatedAt;
    }

    /// @dev Stores a new round and emits its events. A complete round answers itself (`answeredInRound` is
    /// ignored) and emits {AnswerUpdated}; an incomplete one stores `answeredInRound` and emits only {NewRound}.
    function _record(
        int256 answer,
        uint256 updatedAt,
        uint32 answeredInRound,
        bool complete
    ) internal virtual returns (uint256 roundId) {
        uint32 id = _latestRoundId + 1;
        _latestRoundId = id;
        _rounds[id] = Round({
            answer: answer,
            startedAt: uint64(updatedAt),
            updatedAt: uint64(updatedAt),
            answeredInRound: complete ? id : answeredInRound
        });
        emit NewRound(id, address(0), updatedAt);
        if (complete) emit AnswerUpdated(answer, id, updatedAt);
        return id;
    }

    /// @dev Reads a stored round as the AggregatorV3Interface tuple.
    function _roundData(uint256 roundId) private view returns (uint80, int256, uint256, uint256, uint80) {
        Round memory r = _rounds[roundId];
        return (uint80(roundId), r.answer, r.startedAt, r.updatedAt, r.answeredInRound);
    }
}

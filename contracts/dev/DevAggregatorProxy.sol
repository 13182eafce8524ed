// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {AggregatorV2V3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV2V3Interface.sol";

/// @title DevAggregatorProxy
/// @notice DEVNET / TEST ONLY — never deploy to a real network. Behaves like Chainlink's `AggregatorProxy`
/// (v0.7+): a stable address in front of a swappable aggregator, with phase-encoded round ids.
/// @dev Each aggregator is a phase; the first one (set by the constructor) is phase 1. Proxy round ids are
/// `(uint80(phaseId) << PHASE_OFFSET) | aggregatorRoundId`, and `answeredInRound` is encoded the same way.
/// Old rounds stay readable through {getRoundData}, which routes to the aggregator of the encoded phase.
/// Like production, the proxy emits no {AnswerUpdated} / {NewRound}; watch `aggregator()`'s logs instead
/// and re-resolve after {AggregatorConfirmed}. Ownership uses OZ {Ownable} instead of `ConfirmedOwner`.
contract DevAggregatorProxy is AggregatorV2V3Interface, Ownable {
    /// @notice The current phase: its id and aggregator.
    struct Phase {
        uint16 id;
        AggregatorV2V3Interface aggregator;
    }

    /// @notice Bit offset of the phase id inside a proxy round id.
    uint256 public constant PHASE_OFFSET = 64;
    /// @notice Bit size of the phase id inside a proxy round id.
    uint256 public constant PHASE_SIZE = 16;
    /// @notice Largest valid proxy round id.
    uint256 public constant MAX_ID = 2 ** (PHASE_OFFSET + PHASE_SIZE) - 1;

    Phase private _currentPhase;
    AggregatorV2V3Interface private _proposedAggregator;
    mapping(uint16 phaseId => AggregatorV2V3Interface) private _phaseAggregators;

    /// @notice The owner proposed `proposed` to replace `current`.
    event AggregatorProposed(address indexed current, address indexed proposed);
    /// @notice The owner confirmed `latest`, which replaced `previous` and starts a new phase.
    event AggregatorConfirmed(address indexed previous, address indexed latest);

    /// @notice A zero address where an aggregator is required.
    error InvalidAggregator(address aggregatorAddress);
    /// @notice {confirmAggregator} was called with an address other than the proposed aggregator.
    error NotProposedAggregator(address aggregatorAddress, address proposed);
    /// @notice A `proposed*` read while no aggregator is proposed.
    error NoProposedAggregator();
    /// @notice A round id whose phase never had an aggregator.
    error PhaseNotFound(uint16 phaseId);

    /// @notice Deploys the proxy in front of `aggregator` (phase 1).
    /// @param aggregatorAddress The first aggregator.
    /// @param initialOwner Account allowed to propose and confirm aggregators.
    /// @dev Requirements: `aggregatorAddress` is not zero (else {InvalidAggregator}); `initialOwner` is not zero
    /// (else {OwnableInvalidOwner}).
    constructor(address aggregatorAddress, address initialOwner) Ownable(initialOwner) {
        if (aggregatorAddress == address(0)) revert InvalidAggregator(aggregatorAddress);
        _setAggregator(aggregatorAddress);
    }

    /// @notice Proposes `aggregator` as the next aggregator; it can be previewed through
    /// {proposedLatestRoundData} / {proposedGetRoundData} until confirmed.
    /// @param aggregatorAddress The proposed aggregator; zero withdraws the proposal.
    /// @dev Requirements: caller is the owner (else {OwnableUnauthorizedAccount}).
    /// Emits {AggregatorProposed}(current aggregator, `aggregatorAddress`).
    function proposeAggregator(address aggregatorAddress) external virtual onlyOwner {
        _proposedAggregator = AggregatorV2V3Interface(aggregatorAddress);
        emit AggregatorProposed(address(_currentPhase.aggregator), aggregatorAddress);
    }

    /// @notice Switches to the proposed aggregator, starting phase `phaseId() + 1`.
    /// @param aggregatorAddress Must equal {proposedAggregator} (guards against confirming the wrong proposal).
    /// @dev Requirements: caller is the owner; `aggregatorAddress` is the (non-zero) proposed aggregator
    /// (else {NotProposedAggregator}). Clears the proposal.
    /// Emits {AggregatorConfirmed}(previous, `aggregatorAddress`).
    function confirmAggregator(address aggregatorAddress) external virtual onlyOwner {
        address proposed = address(_proposedAggregator);
        if (aggregatorAddress == address(0) || aggregatorAddress != proposed) {
            revert NotProposedAggregator(aggregatorAddress, proposed);
        }
        address previous = address(_currentPhase.aggregator);
        delete _proposedAggregator;
        _setAggregator(aggregatorAddress);
        emit AggregatorConfirmed(previous, aggregatorAddress);
    }

    /// @notice The current aggregator.
    function aggregator() external view returns (address) {
        return address(_currentPhase.aggregator);
    }

    /// @notice The current phase id (1 for the constructor's aggregator).
    function phaseId() external view returns (uint16) {
        return _currentPhase.id;
    }

    /// @notice The aggregator of phase `phase`; zero for phases that never existed.
    /// @param phase A phase id.
    function phaseAggregators(uint16 phase) external view returns (address) {
        return address(_phaseAggregators[phase]);
    }

    /// @notice The proposed aggregator; zero when there is none.
    function proposedAggregator() external view returns (address) {
        return address(_proposedAggregator);
    }

    /// @notice Round data of the proposed aggregator (aggregator round ids, not phase-encoded).
    /// @param roundId An aggregator round id of the proposed aggregator.
    /// @dev Requirements: an aggregator is proposed (else {NoProposedAggregator}); reverts like the aggregator.
    function proposedGetRoundData(
        uint80 roundId
    )
        external
        view
        virtual
        returns (uint80 id, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        return _requireProposed().getRoundData(roundId);
    }

    /// @notice Latest round data of the proposed aggregator (not phase-encoded).
    /// @dev Requirements: an aggregator is proposed (else {NoProposedAggregator}).
    function proposedLatestRoundData()
        external
        view
        virtual
        returns (uint80 id, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        return _requireProposed().latestRoundData();
    }

    /// @notice Round data for a phase-encoded proxy round id, read from that phase's aggregator.
    /// @param roundId `(phaseId << 64) | aggregatorRoundId`.
    /// @return id `roundId` (phase-encoded)
    /// @return answer The round's answer.
    /// @return startedAt When the round started.
    /// @return updatedAt When the answer was computed.
    /// @return answeredInRound The phase-encoded round the answer was computed in.
    /// @dev Requirements: the phase exists (else {PhaseNotFound}); reverts like the phase's
    /// aggregator for unknown aggregator rounds.
    function getRoundData(
        uint80 roundId
    )
        public
        view
        virtual
        override
        returns (uint80 id, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        (uint16 phase, uint64 aggregatorRoundId) = _parseIds(roundId);
        AggregatorV2V3Interface phaseAggregator = _phaseAggregators[phase];
        if (address(phaseAggregator) == address(0)) revert PhaseNotFound(phase);
        (id, answer, startedAt, updatedAt, answeredInRound) = phaseAggregator.getRoundData(aggregatorRoundId);
        return _addPhaseIds(id, answer, startedAt, updatedAt, answeredInRound, phase);
    }

    /// @notice Latest round data of the current aggregator, with phase-encoded ids; see {getRoundData}.
    function latestRoundData()
        public
        view
        virtual
        override
        returns (uint80 id, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        Phase memory current = _currentPhase;
        (id, answer, startedAt, updatedAt, answeredInRound) = current.aggregator.latestRoundData();
        return _addPhaseIds(id, answer, startedAt, updatedAt, answeredInRound, current.id);
    }

    /// @notice Latest answer of the current aggregator.
    function latestAnswer() external view virtual override returns (int256) {
        return _currentPhase.aggregator.latestAnswer();
    }

    /// @notice Latest `updatedAt` of the current aggregator.
    function latestTimestamp() external view virtual override returns (uint256) {
        return _currentPhase.aggregator.latestTimestamp();
    }

    /// @notice Phase-encoded id of the current aggregator's latest round.
    function latestRound() external view virtual override returns (uint256) {
        Phase memory current = _currentPhase;
        return _addPhase(current.id, uint64(current.aggregator.latestRound()));
    }

    /// @notice Answer of a phase-encoded round; 0 for ids above {MAX_ID} or unknown phases.
    /// @param roundId A phase-encoded round id.
    function getAnswer(uint256 roundId) external view virtual override returns (int256) {
        if (roundId > MAX_ID) return 0;
        (uint16 phase, uint64 aggregatorRoundId) = _parseIds(roundId);
        AggregatorV2V3Interface phaseAggregator = _phaseAggregators[phase];
        if (address(phaseAggregator) == address(0)) return 0;
        return phaseAggregator.getAnswer(aggregatorRoundId);
    }

    /// @notice `updatedAt` of a phase-encoded round; 0 for ids above {MAX_ID} or unknown phases.
    /// @param roundId A phase-encoded round id.
    function getTimestamp(uint256 roundId) external view virtual override returns (uint256) {
        if (roundId > MAX_ID) return 0;
        (uint16 phase, uint64 aggregatorRoundId) = _parseIds(roundId);
        AggregatorV2V3Interface phaseAggregator = _phaseAggregators[phase];
        if (address(phaseAggregator) == address(0)) return 0;
        return phaseAggregator.getTimestamp(aggregatorRoundId);
    }

    /// @notice Decimals of the current aggregator (may change after an aggregator swap).
    function decimals() external view virtual override returns (uint8) {
        return _currentPhase.aggregator.decimals();
    }

    /// @notice Version of the current aggregator.
    function version() external view virtual override returns (uint256) {
        return _currentPhase.aggregator.version();
    }

    /// @notice Description of the current aggregator.
    function description() external view virtual override returns (string memory) {
        return _currentPhase.aggregator.description();
    }

    /// @dev Starts the next phase with `aggregatorAddress`.
    function _setAggregator(address aggregatorAddress) internal virtual {
        uint16 id = _currentPhase.id + 1;
        _currentPhase = Phase(id, AggregatorV2V3Interface(aggregatorAddress));
        _phaseAggregators[id] = AggregatorV2V3Interface(aggregatorAddress);
    }

    /// @dev The proposed aggregator, or revert {NoProposedAggregator}.
    function _requireProposed() private view returns (AggregatorV2V3Interface proposed) {
        proposed = _proposedAggregator;
        if (address(proposed) == address(0)) revert NoProposedAggregator();
    }

    /// @dev `(phase << PHASE_OFFSET) | originalId`.
    function _addPhase(uint16 phase, uint64 originalId) private pure returns (uint80) {
        return uint80((uint256(phase) << PHASE_OFFSET) | originalId);
    }

    /// @dev Splits a proxy round id into its phase and aggregator round id.
    function _parseIds(uint256 roundId) private pure returns (uint16 phase, uint64 aggregatorRoundId) {
        phase = uint16(roundId >> PHASE_OFFSET);
        aggregatorRoundId = uint64(roundId);
    }

    /// @dev Phase-encodes the round ids of an aggregator's round tuple.
    function _addPhaseIds(
        uint80 roundId,
        int256 answer,
        uint256 startedAt,
        uint256 updatedAt,
        uint80 answeredInRound,
        uint16 phase
    ) private pure returns (uint80, int256, uint256, uint256, uint80) {
        return (
            _addPhase(phase, uint64(roundId)),
            answer,
            startedAt,
            updatedAt,
            _addPhase(phase, uint64(answeredInRound))
        );
    }
}

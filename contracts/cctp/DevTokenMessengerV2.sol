// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DevTokenMessengerBase} from "./DevTokenMessengerBase.sol";
import {IMessageHandlerV2} from "./interfaces/IMessageHandlerV2.sol";
import {IMessageTransmitterV2} from "./interfaces/IMessageTransmitterV2.sol";
import {CctpAddress} from "./libraries/CctpAddress.sol";
import {CctpBurnMessage} from "./libraries/CctpBurnMessage.sol";

/// @title DevTokenMessengerV2
/// @notice DEVNET ONLY — never deploy to a real network. A CCTP V2 token messenger for the local devnet,
/// byte-compatible with Circle's `TokenMessengerV2`: `depositForBurn` (0x8e0250ee) and
/// `depositForBurnWithHook` (0x779b432d) burn through the local minter and send a V2 burn message
/// (feeExecuted and expirationBlock 0) through the local V2 transmitter; the two handlers mint
/// `amount - feeExecuted` to the mint recipient and the fee to the fee recipient. hookData only travels in
/// the message: this messenger never executes it (see {CctpHookExecutor}). No denylist (devnet).
contract DevTokenMessengerV2 is DevTokenMessengerBase, IMessageHandlerV2 {
    /// @notice The burn message version of CCTP V2.
    uint32 public constant MESSAGE_BODY_VERSION = 1;
    /// @notice Lowest finalityThresholdExecuted the unfinalized handler accepts.
    uint32 public constant TOKEN_MESSENGER_MIN_FINALITY_THRESHOLD = 500;
    /// @notice Denominator of `minFee` (1/1000 basis point precision).
    uint256 public constant MIN_FEE_MULTIPLIER = 10_000_000;

    address private _feeRecipient;
    uint256 private _minFee;

    /// @notice A burn left this domain (Circle's V2 event, topic0 0x0c8c1cbd…).
    event DepositForBurn(
        address indexed burnToken,
        uint256 amount,
        address indexed depositor,
        bytes32 mintRecipient,
        uint32 destinationDomain,
        bytes32 destinationTokenMessenger,
        bytes32 destinationCaller,
        uint256 maxFee,
        uint32 indexed minFinalityThreshold,
        bytes hookData
    );
    /// @notice A remote burn was minted: `amount` (net of the fee) to `mintRecipient`, `feeCollected` to
    /// the fee recipient (Circle's V2 event, topic0 0x50c55e91…).
    event MintAndWithdraw(
        address indexed mintRecipient,
        uint256 amount,
        address indexed mintToken,
        uint256 feeCollected
    );
    /// @notice Fees are now minted to `feeRecipient`.
    event FeeRecipientSet(address feeRecipient);
    /// @notice The minimum fee is now `minFee` / MIN_FEE_MULTIPLIER of the amount.
    event MinFeeSet(uint256 minFee);

    /// @notice `depositForBurnWithHook` with empty hook data.
    error EmptyHookData();
    /// @notice maxFee must be below the amount.
    error MaxFeeNotBelowAmount(uint256 maxFee, uint256 amount);
    /// @notice maxFee is below the minimum fee for the amount.
    error InsufficientMaxFee(uint256 maxFee, uint256 minFeeAmount);
    /// @notice The minimum fee needs an amount above 1.
    error AmountTooLow(uint256 amount);
    /// @notice An unfinalized message attested below TOKEN_MESSENGER_MIN_FINALITY_THRESHOLD.
    error FinalityThresholdTooLow(uint32 finalityThresholdExecuted, uint32 minFinalityThreshold);
    /// @notice The message expired at `expirationBlock` and must be re-signed.
    error MessageExpired(uint256 expirationBlock, uint256 blockNumber);
    /// @notice A non-zero fee must be below the amount.
    error FeeNotBelowAmount(uint256 feeExecuted, uint256 amount);
    /// @notice The executed fee is above the depositor's maximum.
    error FeeExceedsMaxFee(uint256 feeExecuted, uint256 maxFee);
    /// @notice A minimum fee at or above MIN_FEE_MULTIPLIER.
    error MinFeeTooHigh(uint256 minFee, uint256 limit);

    /// @dev The arguments of a deposit, in a struct to keep the stack small.
    struct Deposit {
        uint256 amount;
        uint32 destinationDomain;
        bytes32 mintRecipient;
        address burnToken;
        bytes32 destinationCaller;
        uint256 maxFee;
        uint32 minFinalityThreshold;
        bytes hookData;
    }

    /// @param localMessageTransmitter_ The DevMessageTransmitterV2 of this chain.
    /// @param localMinter_ The DevTokenMinter of this chain.
    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    /// @param feeRecipient_ Receives the executed fees (non-zero).
    /// @param minFee_ The minimum fee in 1/MIN_FEE_MULTIPLIER of the amount (< MIN_FEE_MULTIPLIER; 0 = none).
    constructor(
        address localMessageTransmitter_,
        address localMinter_,
        address admin,
        address feeRecipient_,
        uint256 minFee_
    ) DevTokenMessengerBase(localMessageTransmitter_, localMinter_, MESSAGE_BODY_VERSION, admin) {
        _setFeeRecipient(feeRecipient_);
        _setMinFee(minFee_);
    }

    // ---------------------------------------------------------------------------------------------
    // Source side
    // ---------------------------------------------------------------------------------------------

    /// @notice Burns `amount` of `burnToken` from the caller and sends a V2 burn message to `destinationDomain`.
    /// @dev Requirements, in Circle's order: `amount` > 0 ({ZeroAmount}); `mintRecipient` non-zero
    /// ({ZeroMintRecipient}); `maxFee` < `amount` ({MaxFeeNotBelowAmount}); with a minimum fee, `maxFee` >=
    /// getMinFeeAmount(amount) ({InsufficientMaxFee}, {AmountTooLow}); a remote messenger for the domain
    /// ({NoRemoteTokenMessenger}); then allowance/balance (token errors) and the minter's checks
    /// (BurnTokenNotSupported, BurnAmountExceedsLimit, TokenPaused) and the transmitter's (paused).
    /// Emits the transmitter's MessageSent, then {DepositForBurn}.
    function depositForBurn(
        uint256 amount,
        uint32 destinationDomain,
        bytes32 mintRecipient,
        address burnToken,
        bytes32 destinationCaller,
        uint256 maxFee,
        uint32 minFinalityThreshold
    ) external virtual {
        _depositForBurn(
            Deposit(
                amount,
                destinationDomain,
                mintRecipient,
                burnToken,
                destinationCaller,
                maxFee,
                minFinalityThreshold,
                ""
            )
        );
    }

    /// @notice As {depositForBurn}, with `hookData` carried to the destination (never executed by the
    /// messenger).
    /// @dev Requirements: `hookData` non-empty ({EmptyHookData}), then as {depositForBurn}.
    function depositForBurnWithHook(
        uint256 amount,
        uint32 destinationDomain,
        bytes32 mintRecipient,
        address burnToken,
        bytes32 destinationCaller,
        uint256 maxFee,
        uint32 minFinalityThreshold,
        bytes calldata hookData
    ) external virtual {
        if (hookData.length == 0) revert EmptyHookData();
        _depositForBurn(
            Deposit(
                amount,
                destinationDomain,
                mintRecipient,
                burnToken,
                destinationCaller,
                maxFee,
                minFinalityThreshold,
                hookData
            )
        );
    }

    // ---------------------------------------------------------------------------------------------
    // Destination side
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IMessageHandlerV2
    /// @dev Requirements: the local transmitter calls ({NotLocalMessageTransmitter}) for the registered
    /// messenger of `remoteDomain` ({NotRemoteTokenMessenger}); the body checks of `_mintReceived`.
    function handleReceiveFinalizedMessage(
        uint32 remoteDomain,
        bytes32 sender,
        uint32,
        bytes calldata messageBody
    ) external virtual returns (bool success) {
        _requireFromRemoteTokenMessenger(remoteDomain, sender);
        _mintReceived(remoteDomain, messageBody);
        return true;
    }

    /// @inheritdoc IMessageHandlerV2
    /// @dev As the finalized handler, and `finalityThresholdExecuted` >= 500 ({FinalityThresholdTooLow}).
    function handleReceiveUnfinalizedMessage(
        uint32 remoteDomain,
        bytes32 sender,
        uint32 finalityThresholdExecuted,
        bytes calldata messageBody
    ) external virtual returns (bool success) {
        _requireFromRemoteTokenMessenger(remoteDomain, sender);
        if (finalityThresholdExecuted < TOKEN_MESSENGER_MIN_FINALITY_THRESHOLD) {
            revert FinalityThresholdTooLow(finalityThresholdExecuted, TOKEN_MESSENGER_MIN_FINALITY_THRESHOLD);
        }
        _mintReceived(remoteDomain, messageBody);
        return true;
    }

    // ---------------------------------------------------------------------------------------------
    // Admin and views
    // ---------------------------------------------------------------------------------------------

    /// @notice Sets who receives the executed fees. Requirements: DEFAULT_ADMIN_ROLE; non-zero
    /// ({ZeroAddress}). Emits {FeeRecipientSet}.
    function setFeeRecipient(address newFeeRecipient) external virtual onlyRole(DEFAULT_ADMIN_ROLE) {
        _setFeeRecipient(newFeeRecipient);
    }

    /// @notice Sets the minimum fee, in 1/MIN_FEE_MULTIPLIER of the amount. Requirements: DEFAULT_ADMIN_ROLE;
    /// below MIN_FEE_MULTIPLIER ({MinFeeTooHigh}). Emits {MinFeeSet}.
    function setMinFee(uint256 newMinFee) external virtual onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMinFee(newMinFee);
    }

    /// @notice The smallest maxFee a deposit of `amount` may carry: 0 without a minimum fee, else
    /// max(1, amount * minFee / MIN_FEE_MULTIPLIER); reverts with {AmountTooLow} for `amount` <= 1.
    function getMinFeeAmount(uint256 amount) external view returns (uint256) {
        if (_minFee == 0) return 0;
        return _calcMinFeeAmount(amount);
    }

    /// @notice Receives the executed fees.
    function feeRecipient() external view returns (address) {
        return _feeRecipient;
    }

    /// @notice The minimum fee in 1/MIN_FEE_MULTIPLIER of the amount (0 = none).
    function minFee() external view returns (uint256) {
        return _minFee;
    }

    // ---------------------------------------------------------------------------------------------
    // Internal
    // ---------------------------------------------------------------------------------------------

    /// @dev See {depositForBurn}.
    function _depositForBurn(Deposit memory d) internal virtual {
        if (d.amount == 0) revert ZeroAmount();
        if (d.mintRecipient == bytes32(0)) revert ZeroMintRecipient();
        if (d.maxFee >= d.amount) revert MaxFeeNotBelowAmount(d.maxFee, d.amount);
        if (_minFee > 0) {
            uint256 minFeeAmount = _calcMinFeeAmount(d.amount);
            if (d.maxFee < minFeeAmount) revert InsufficientMaxFee(d.maxFee, minFeeAmount);
        }
        bytes32 destinationTokenMessenger = _remoteTokenMessenger(d.destinationDomain);
        _depositAndBurn(d.burnToken, d.amount);
        bytes memory body = CctpBurnMessage.formatV2ForRelay(
            MESSAGE_BODY_VERSION,
            CctpAddress.toBytes32(d.burnToken),
            d.mintRecipient,
            d.amount,
            CctpAddress.toBytes32(msg.sender),
            d.maxFee,
            d.hookData
        );
        IMessageTransmitterV2(localMessageTransmitter()).sendMessage(
            d.destinationDomain,
            destinationTokenMessenger,
            d.destinationCaller,
            d.minFinalityThreshold,
            body
        );
        emit DepositForBurn(
            d.burnToken,
            d.amount,
            msg.sender,
            d.mintRecipient,
            d.destinationDomain,
            destinationTokenMessenger,
            d.destinationCaller,
            d.maxFee,
            d.minFinalityThreshold,
            d.hookData
        );
    }

    /// @dev The body checks in Circle's order — at least 228 bytes ({MalformedBurnMessage}), body version
    /// ({InvalidMessageBodyVersion}), not expired ({MessageExpired}: expirationBlock is 0 or above the
    /// current block), fee 0 or below the amount ({FeeNotBelowAmount}), fee <= maxFee
    /// ({FeeExceedsMaxFee}) — then mints `amount - fee` to the mint recipient and `fee` to the fee
    /// recipient (minter errors bubble: MintTokenNotSupported, TokenPaused) and emits {MintAndWithdraw}.
    function _mintReceived(uint32 remoteDomain, bytes calldata body) internal virtual {
        if (!CctpBurnMessage.isWellFormedV2(body)) revert MalformedBurnMessage(body.length);
        _requireBodyVersion(CctpBurnMessage.version(body));
        uint256 expirationBlock = CctpBurnMessage.expirationBlock(body);
        if (expirationBlock != 0 && expirationBlock <= block.number) {
            revert MessageExpired(expirationBlock, block.number);
        }
        uint256 amount = CctpBurnMessage.amount(body);
        uint256 fee = CctpBurnMessage.feeExecuted(body);
        if (fee != 0 && fee >= amount) revert FeeNotBelowAmount(fee, amount);
        uint256 maxFee = CctpBurnMessage.maxFee(body);
        if (fee > maxFee) revert FeeExceedsMaxFee(fee, maxFee);

        address mintRecipient = CctpAddress.toAddress(CctpBurnMessage.mintRecipient(body));
        bytes32 burnToken = CctpBurnMessage.burnToken(body);
        address mintToken =
            fee == 0
                ? localMinter().mint(remoteDomain, burnToken, mintRecipient, amount)
                : localMinter().mint(
                    remoteDomain,
                    burnToken,
                    mintRecipient,
                    _feeRecipient,
                    amount - fee,
                    fee
                );
        emit MintAndWithdraw(mintRecipient, amount - fee, mintToken, fee);
    }

    /// @dev max(1, amount * minFee / MIN_FEE_MULTIPLIER); {AmountTooLow} for amount <= 1.
    function _calcMinFeeAmount(uint256 amount) internal view virtual returns (uint256) {
        if (amount <= 1) revert AmountTooLow(amount);
        uint256 minFeeAmount = (amount * _minFee) / MIN_FEE_MULTIPLIER;
        return minFeeAmount == 0 ? 1 : minFeeAmount;
    }

    /// @dev See {setFeeRecipient}.
    function _setFeeRecipient(address newFeeRecipient) internal virtual {
        if (newFeeRecipient == address(0)) revert ZeroAddress();
        _feeRecipient = newFeeRecipient;
        emit FeeRecipientSet(newFeeRecipient);
    }

    /// @dev See {setMinFee}.
    function _setMinFee(uint256 newMinFee) internal virtual {
        if (newMinFee >= MIN_FEE_MULTIPLIER) revert MinFeeTooHigh(newMinFee, MIN_FEE_MULTIPLIER);
        _minFee = newMinFee;
        emit MinFeeSet(newMinFee);
    }
}

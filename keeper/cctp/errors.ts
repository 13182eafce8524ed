import { NonRetryableError } from "../internal/errors.ts";

/**
 * CCTP codec errors (keeper/cctp). Both are permanent: the same bytes or values always fail the
 * same way. Invalid function arguments that are not message fields (a threshold of 0, a malformed
 * private key) throw the shared `InvalidArgumentError`.
 *
 * ```
 * NonRetryableError CctpDecodeError  CCTP_MESSAGE_MALFORMED  bytes that are not the expected message
 * NonRetryableError CctpEncodeError  CCTP_FIELD_INVALID      a value that does not fit its field
 * ```
 */

/**
 * Bytes that cannot be decoded as the message asked for: not hex, odd length, too short, wrong
 * message or body version, trailing bytes, a bytes32 that is not a left-padded address.
 * `field` names the offending field (`message`, `version`, `messageBody`, `messageBody.version`, …),
 * `offset` its byte offset in the decoded input (undefined when the whole input is at fault).
 */
export class CctpDecodeError extends NonRetryableError {
  declare readonly code: "CCTP_MESSAGE_MALFORMED";
  readonly field: string;
  readonly offset: number | undefined;
  readonly expected: string;
  readonly actual: string;
  constructor({
    field,
    offset,
    expected,
    actual,
  }: {
    field: string;
    offset?: number | undefined;
    expected: string;
    actual: string;
  }) {
    const where = offset === undefined ? "" : ` at byte ${offset}`;
    super({
      shortMessage: `CCTP ${field}${where} is malformed: expected ${expected}, got ${actual}.`,
      code: "CCTP_MESSAGE_MALFORMED",
      details: { field, offset, expected, actual },
    });
    this.field = field;
    this.offset = offset;
    this.expected = expected;
    this.actual = actual;
  }
}

/** A value that cannot be encoded into its CCTP field (out of range, wrong size, not hex). */
export class CctpEncodeError extends NonRetryableError {
  declare readonly code: "CCTP_FIELD_INVALID";
  readonly field: string;
  readonly expected: string;
  readonly actual: string;
  constructor({ field, expected, actual }: { field: string; expected: string; actual: string }) {
    super({
      shortMessage: `CCTP field ${field} cannot be encoded: expected ${expected}, got ${actual}.`,
      code: "CCTP_FIELD_INVALID",
      details: { field, expected, actual },
    });
    this.field = field;
    this.expected = expected;
    this.actual = actual;
  }
}

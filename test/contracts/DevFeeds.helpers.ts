import { type Abi, BaseError, ContractFunctionRevertedError, decodeErrorResult, type Hex } from "viem";
import { expect } from "vitest";

/** Awaits `action` and returns the ContractFunctionRevertedError it failed with (fails the test otherwise). */
export async function catchRevert(action: Promise<unknown>): Promise<ContractFunctionRevertedError> {
  let caught: unknown;
  try {
    await action;
  } catch (error) {
    caught = error;
  }
  expect(caught, "expected the call to revert").toBeInstanceOf(BaseError);
  const revert = (caught as BaseError).walk((e) => e instanceof ContractFunctionRevertedError);
  expect(revert, `expected a contract revert, got: ${String(caught)}`).toBeInstanceOf(
    ContractFunctionRevertedError,
  );
  return revert as ContractFunctionRevertedError;
}

/** Asserts that `action` reverts with the custom error `errorName` (and `args`, when given). */
export async function expectRevert(
  action: Promise<unknown>,
  errorName: string,
  args?: readonly unknown[],
): Promise<void> {
  const revert = await catchRevert(action);
  expect(revert.data?.errorName).toBe(errorName);
  if (args !== undefined) expect(revert.data?.args ?? []).toEqual(args);
}

/**
 * Asserts that `action` reverts with a custom error declared in `abi` — for errors bubbled up from another
 * contract, which the called contract's ABI cannot decode.
 */
export async function expectForeignRevert(
  action: Promise<unknown>,
  abi: Abi,
  errorName: string,
  args: readonly unknown[],
): Promise<void> {
  const revert = await catchRevert(action);
  expect(revert.raw, "expected revert data").toBeDefined();
  const decoded = decodeErrorResult({ abi, data: revert.raw as Hex });
  expect(decoded.errorName).toBe(errorName);
  expect(decoded.args ?? []).toEqual(args);
}

/** Asserts that `action` reverts with Solidity's arithmetic overflow panic (0x11). */
export async function expectOverflowPanic(action: Promise<unknown>): Promise<void> {
  const revert = await catchRevert(action);
  expect(revert.data?.errorName).toBe("Panic");
  expect(revert.data?.args).toEqual([0x11n]);
}

/**
 * Asserts that a contract deployment reverts with the custom error `errorName(args)` of `abi`. Deployment
 * errors are not decoded by viem, so the revert data is taken from the first error in the cause chain that
 * carries it.
 */
export async function expectDeployRevert(
  action: Promise<unknown>,
  abi: Abi,
  errorName: string,
  args: readonly unknown[],
): Promise<void> {
  let caught: unknown;
  try {
    await action;
  } catch (error) {
    caught = error;
  }
  expect(caught, "expected the deployment to revert").toBeInstanceOf(Error);
  let data: Hex | undefined;
  for (let e: unknown = caught; e instanceof Error && data === undefined; e = e.cause) {
    const candidate = (e as { data?: unknown }).data;
    if (typeof candidate === "string" && candidate.startsWith("0x")) data = candidate as Hex;
  }
  expect(data, `expected revert data in: ${String(caught)}`).toBeDefined();
  const decoded = decodeErrorResult({ abi, data: data as Hex });
  expect(decoded.errorName).toBe(errorName);
  expect(decoded.args ?? []).toEqual(args);
}

import { InvalidPolicyError, type PolicyProblem } from "../internal/errors.ts";
import type { Policy } from "./types.ts";

const BIGINT_FIELDS = [
  "warnRatioBps",
  "pauseRatioBps",
  "hysteresisBps",
  "heartbeatSeconds",
  "graceSeconds",
  "marginBps",
] as const;

/**
 * Checks a Policy and returns it unchanged; throws one InvalidPolicyError listing EVERY problem,
 * each naming its field. Rules: all numeric fields are bigint; pauseRatioBps >= 0;
 * pauseRatioBps <= warnRatioBps; hysteresisBps, graceSeconds, marginBps, clockSkewSeconds >= 0;
 * heartbeatSeconds > 0; staleAction is "alert" or "pause".
 */
export function validatePolicy(policy: Policy): Policy {
  const problems: PolicyProblem[] = [];
  const record = policy as unknown as Record<string, unknown>;
  for (const field of BIGINT_FIELDS) {
    if (typeof record[field] !== "bigint") {
      problems.push({ field, message: `must be a bigint, got ${typeof record[field]}` });
    }
  }
  if (policy.clockSkewSeconds !== undefined && typeof policy.clockSkewSeconds !== "bigint") {
    problems.push({
      field: "clockSkewSeconds",
      message: `must be a bigint, got ${typeof policy.clockSkewSeconds}`,
    });
  }
  if (policy.staleAction !== "alert" && policy.staleAction !== "pause") {
    problems.push({
      field: "staleAction",
      message: `must be "alert" or "pause", got ${String(policy.staleAction)}`,
    });
  }
  if (problems.length > 0) throw new InvalidPolicyError({ problems });

  const min = (field: keyof Policy, value: bigint, bound: bigint) => {
    if (value < bound) problems.push({ field, message: `must be >= ${bound}, got ${value}` });
  };
  min("pauseRatioBps", policy.pauseRatioBps, 0n);
  min("hysteresisBps", policy.hysteresisBps, 0n);
  min("graceSeconds", policy.graceSeconds, 0n);
  min("marginBps", policy.marginBps, 0n);
  min("heartbeatSeconds", policy.heartbeatSeconds, 1n);
  if (policy.clockSkewSeconds !== undefined) min("clockSkewSeconds", policy.clockSkewSeconds, 0n);
  if (policy.pauseRatioBps > policy.warnRatioBps) {
    problems.push({
      field: "pauseRatioBps",
      message: `must be <= warnRatioBps (${policy.warnRatioBps}), got ${policy.pauseRatioBps}`,
    });
  }
  if (problems.length > 0) throw new InvalidPolicyError({ problems });
  return policy;
}

/**
 * The custody service's attestation link verification: keeps the link registry (links from the config
 * and from each asset's latest report), re-verifies every link (bounded concurrency), records the
 * outcomes (metrics, logs) and publishes custody.attestation_checked.
 */
import { UnhandledVariantError } from "../../internal/errors.ts";
import {
  type AttestationLinkState,
  createAttestationRegistry,
  type FetchLike,
  linkKey,
  verifyAttestation,
} from "./attestations.ts";
import type { AttestationCheckResult, CustodyServiceContext } from "./serviceContext.ts";
import { ATTESTATION_OUTCOMES, type AttestationLink, type CustodyReport } from "./types.ts";

export type AttestationChecks = {
  /** Replaces the asset's links of one source; a link not seen before marks a pending verification. */
  setLinks(assetId: string, source: "config" | "report", docs: CustodyReport["attestations"]): void;
  /** Links were added since the last verification round. */
  linksAdded(): boolean;
  /** Verifies every registered link now; joins a round already running. */
  verifyAttestationsNow(): Promise<AttestationCheckResult[]>;
  /** The round running now, if any. */
  inProgress(): Promise<AttestationCheckResult[]> | undefined;
  links(): AttestationLinkState[];
};

export type CreateAttestationChecksArgs = {
  readonly ctx: CustodyServiceContext;
  /** Attestation downloads (default global fetch). */
  readonly fetch?: FetchLike | undefined;
};

const VERIFY_CONCURRENCY = 4;

/** Creates the attestation link verification of one custody service. */
export function createAttestationChecks(args: CreateAttestationChecksArgs): AttestationChecks {
  const { ctx } = args;
  const { custody, metrics, log, now } = ctx;
  const registry = createAttestationRegistry();
  const verifyInterval = BigInt(custody.attestations.verifyIntervalSeconds);
  /** Links added since the last verification round (verified at the end of the poll that found them). */
  let linksAdded = false;
  let verifying: Promise<AttestationCheckResult[]> | undefined;

  function clearLinkMetrics(link: AttestationLink): void {
    for (const outcome of ATTESTATION_OUTCOMES) {
      metrics.custodyAttestationState.remove({
        asset: link.assetId,
        url: link.url,
        sha256: link.sha256,
        outcome,
      });
    }
  }

  function setLinks(assetId: string, source: "config" | "report", docs: CustodyReport["attestations"]): void {
    const before = new Set(registry.links().map(linkKey));
    for (const removed of registry.setLinks(assetId, source, docs)) clearLinkMetrics(removed);
    if (registry.links().some((l) => !before.has(linkKey(l)))) linksAdded = true;
  }

  async function verifyOne(link: AttestationLinkState): Promise<AttestationCheckResult> {
    const v = await verifyAttestation({
      url: link.url,
      expectedSha256: link.sha256,
      timeoutMs: custody.attestations.timeoutMs,
      maxBytes: custody.attestations.maxBytes,
      fetch: args.fetch,
    });
    const checkedAt = now();
    return {
      type: "custody.attestation_checked",
      assetId: link.assetId,
      url: link.url,
      auditor: link.auditor,
      periodStart: link.period.start,
      periodEnd: link.period.end,
      source: link.source,
      outcome: v.outcome,
      expectedSha256: link.sha256,
      ...(v.actualSha256 === undefined ? {} : { actualSha256: v.actualSha256 }),
      ...(v.bytes === undefined ? {} : { bytes: v.bytes }),
      ...(v.httpStatus === undefined ? {} : { httpStatus: v.httpStatus }),
      ...(v.detail === undefined ? {} : { detail: v.detail.slice(0, 500) }),
      checkedAt,
      bucket: checkedAt / verifyInterval,
    };
  }

  function recordCheck(check: AttestationCheckResult): void {
    const link: AttestationLink = {
      assetId: check.assetId,
      url: check.url,
      sha256: check.expectedSha256,
      auditor: check.auditor,
      period: { start: check.periodStart, end: check.periodEnd },
      source: check.source,
    };
    const previous = registry.lastOutcome(link);
    const recorded = registry.record(link, {
      outcome: check.outcome,
      actualSha256: check.actualSha256,
      bytes: check.bytes,
      httpStatus: check.httpStatus,
      detail: check.detail,
      checkedAt: check.checkedAt,
    });
    // Removed while it was being fetched (a newer report dropped it): no series for it any more.
    if (!recorded) return;
    for (const outcome of ATTESTATION_OUTCOMES) {
      metrics.custodyAttestationState.set(
        { asset: check.assetId, url: check.url, sha256: check.expectedSha256, outcome },
        outcome === check.outcome ? 1 : 0,
      );
    }
    metrics.custodyAttestationChecksTotal.inc({ asset: check.assetId, outcome: check.outcome });
    const fields = {
      asset: check.assetId,
      url: check.url,
      auditor: check.auditor,
      source: check.source,
      outcome: check.outcome,
      previous_outcome: previous,
      sha256_expected: check.expectedSha256,
      sha256_actual: check.actualSha256,
      http_status: check.httpStatus,
      bytes: check.bytes,
      detail: check.detail,
    };
    switch (check.outcome) {
      case "verified":
        log.info(fields, "attestation verified");
        break;
      case "hash_mismatch":
        log.error(fields, "attestation hash mismatched: the published document changed");
        break;
      case "unreachable":
        log.warn(fields, "attestation was unreachable");
        break;
      case "too_large":
        log.warn(fields, "attestation exceeded the size cap");
        break;
      default:
        throw new UnhandledVariantError({
          subject: "attestation outcome",
          value: check.outcome satisfies never,
        });
    }
  }

  async function verifyAll(): Promise<AttestationCheckResult[]> {
    linksAdded = false;
    const links = registry.links();
    const results: AttestationCheckResult[] = [];
    let next = 0;
    const worker = async () => {
      while (next < links.length) {
        const link = links[next++]!;
        results.push(await verifyOne(link));
      }
    };
    await Promise.all(Array.from({ length: Math.min(VERIFY_CONCURRENCY, links.length) }, worker));
    await ctx.serial(async () => {
      for (const r of results) recordCheck(r);
      await ctx.publish(results);
    });
    return results;
  }

  return {
    setLinks,
    linksAdded: () => linksAdded,
    verifyAttestationsNow() {
      verifying ??= verifyAll().finally(() => {
        verifying = undefined;
      });
      return verifying;
    },
    inProgress: () => verifying,
    links: () => registry.links(),
  };
}

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidObservationError } from "../internal/errors.ts";
import { applyObservation } from "./applyObservation.ts";
import { type AssetState, createAssetState, readAssetSnapshot } from "./assetState.ts";
import { decide } from "./decide.ts";
import {
  ASSET,
  BASE,
  blockRef,
  FEED,
  MAINNET,
  POLICY,
  reserveObserved,
  supplyObserved,
  TOKEN,
} from "./testFixtures.ts";
import type { BridgeBaseline, Observation, SupplyObserved } from "./types.ts";

const E12 = 10n ** 12n; // 6-decimals token → 18 canonical
const START = 1_000_000n * 10n ** 6n;

function newState(reorgDepth = 10n): AssetState {
  return createAssetState({
    assetId: ASSET,
    feed: { chainId: MAINNET, address: FEED },
    supplyChainIds: [MAINNET, BASE],
    reorgDepth,
  });
}

const fold = (state: AssetState, observations: readonly Observation[]) =>
  observations.reduce(applyObservation, state);

/** Both chains at START at block 1 (end-of-block readings). */
function seeded(reorgDepth = 10n): AssetState {
  return fold(newState(reorgDepth), [
    supplyObserved({ chainId: MAINNET, totalSupply: START, block: blockRef(1n) }),
    supplyObserved({ chainId: BASE, totalSupply: START, block: blockRef(1n) }),
  ]);
}

/** Total supply the engine compares with reserves, canonical units. */
function totalSupply(state: AssetState): bigint {
  const { decision } = decide({
    state: undefined,
    asset: readAssetSnapshot(state),
    policy: POLICY,
    now: 1_700_000_000n,
  });
  if (decision.supply === undefined) throw new Error("no figures");
  return decision.supply;
}

/** A mint/burn log reading on `chainId`: total after it, and its bridge flow. */
function reading(
  chainId: number,
  block: bigint,
  logIndex: number,
  totalSupply: bigint,
  bridged?: bigint,
  fork = 0,
): SupplyObserved {
  return supplyObserved({
    chainId,
    totalSupply,
    block: blockRef(block, fork),
    logIndex,
    source: "event",
    ...(bridged === undefined ? {} : { bridged }),
  });
}

const withReserve = (state: AssetState) =>
  applyObservation(state, reserveObserved({ answer: 10_000_000n * 10n ** 8n, block: blockRef(1n) }));

describe("bridge flows (cross-chain transfers in flight)", () => {
  it("keeps total supply constant across a transfer: burn on one chain, mint on the other", () => {
    const x = 250_000n * 10n ** 6n;
    let s = withReserve(seeded());
    const before = totalSupply(s);
    expect(before).toBe(2n * START * E12);

    s = applyObservation(s, reading(MAINNET, 5n, 3, START - x, x)); // burned, in flight
    expect(readAssetSnapshot(s).inFlight).toBe(x * E12);
    expect(totalSupply(s)).toBe(before);

    s = applyObservation(s, reading(BASE, 7n, 1, START + x, -x)); // minted on the destination
    expect(readAssetSnapshot(s).inFlight).toBe(0n);
    expect(totalSupply(s)).toBe(before);
  });

  it("splits a mint with a fee into two flows and still nets to zero", () => {
    const gross = 1_000n * 10n ** 6n;
    const fee = 3n * 10n ** 6n;
    const s = fold(withReserve(seeded()), [
      reading(MAINNET, 5n, 3, START - gross, gross),
      reading(BASE, 7n, 1, START + gross - fee, -(gross - fee)),
      reading(BASE, 7n, 2, START + gross, -fee),
    ]);
    expect(readAssetSnapshot(s).inFlight).toBe(0n);
    expect(totalSupply(s)).toBe(2n * START * E12);
  });

  it("does not double count a mint seen before its burn (the destination chain read first)", () => {
    const x = 10n * 10n ** 6n;
    let s = withReserve(seeded());
    s = applyObservation(s, reading(BASE, 7n, 1, START + x, -x));
    expect(readAssetSnapshot(s).inFlight).toBe(-x * E12);
    expect(totalSupply(s)).toBe(2n * START * E12);
    s = applyObservation(s, reading(MAINNET, 5n, 3, START - x, x));
    expect(totalSupply(s)).toBe(2n * START * E12);
  });

  it("counts a flow once when the same log is delivered twice", () => {
    const x = 7n * 10n ** 6n;
    const burn = reading(MAINNET, 5n, 3, START - x, x);
    const s = fold(seeded(), [burn, burn, { ...burn, source: "reconcile" }]);
    expect(readAssetSnapshot(s).inFlight).toBe(x * E12);
  });

  it("counts the flow of a reading that arrives behind a newer one on its chain", () => {
    const x = 7n * 10n ** 6n;
    let s = applyObservation(seeded(), reading(MAINNET, 6n, 0, START + 1n));
    s = applyObservation(s, reading(MAINNET, 5n, 3, START - x, x)); // older position: reading ignored
    expect(readAssetSnapshot(s).supplies[0]?.observation?.block.number).toBe(6n);
    expect(readAssetSnapshot(s).inFlight).toBe(x * E12);
  });

  it("ignores a flow on a reading without logIndex (end-of-block state carries no flow)", () => {
    const s = applyObservation(seeded(), supplyObserved({ block: blockRef(9n), bridged: 5n }));
    expect(readAssetSnapshot(s).inFlight).toBe(0n);
  });

  it("drops the flow of a reorged block and falls back to the earlier total", () => {
    const x = 7n * 10n ** 6n;
    let s = withReserve(seeded());
    s = applyObservation(s, reading(MAINNET, 5n, 3, START - x, x));
    s = applyObservation(s, {
      type: "block.reorged",
      chainId: MAINNET,
      dropped: [blockRef(5n)],
      newHead: blockRef(5n, 1),
    });
    expect(readAssetSnapshot(s).inFlight).toBe(0n);
    expect(totalSupply(s)).toBe(2n * START * E12);
  });

  it("folds final flows into one sum without changing the total", () => {
    const x = 1n * 10n ** 6n;
    let s = seeded(2n);
    for (let b = 2n; b < 30n; b++) s = applyObservation(s, reading(MAINNET, b, 0, START - (b - 1n) * x, x));
    const mainnet = s.chains.get(MAINNET)!;
    expect(mainnet.bridge.flows.length).toBeLessThanOrEqual(3);
    expect(mainnet.bridge.finalFlow).toBeGreaterThan(0n);
    expect(readAssetSnapshot(s).inFlight).toBe(28n * x * E12);
  });

  describe("bridge.baseline", () => {
    const baseline = (overrides: Partial<BridgeBaseline> = {}): BridgeBaseline => ({
      type: "bridge.baseline",
      assetId: ASSET,
      chainId: MAINNET,
      token: TOKEN,
      tokenDecimals: 6,
      flow: 40n * 10n ** 6n,
      fromBlock: 0n,
      block: blockRef(10n),
      ...overrides,
    });

    it("counts transfers burned before the start position", () => {
      const s = applyObservation(seeded(), baseline());
      expect(readAssetSnapshot(s).inFlight).toBe(40n * 10n ** 6n * E12);
    });

    it("ignores flows at or below its block (they are in the baseline) and adds later ones", () => {
      const x = 5n * 10n ** 6n;
      const s = fold(seeded(), [
        reading(MAINNET, 9n, 0, START - x, x), // before the baseline arrives: replaced by it
        baseline(),
        reading(MAINNET, 10n, 1, START - 2n * x, x), // at the baseline block: already counted
        reading(MAINNET, 11n, 0, START - 3n * x, x),
      ]);
      expect(readAssetSnapshot(s).inFlight).toBe((40n * 10n ** 6n + x) * E12);
    });

    it("keeps the first baseline per chain", () => {
      const s = fold(seeded(), [baseline(), baseline({ flow: 1n, fromBlock: 5n })]);
      expect(readAssetSnapshot(s).inFlight).toBe(40n * 10n ** 6n * E12);
    });

    it("rejects a baseline of a chain the asset does not live on, or with fromBlock after its block", () => {
      expect(() => applyObservation(seeded(), baseline({ chainId: 10 }))).toThrow(InvalidObservationError);
      expect(() => applyObservation(seeded(), baseline({ fromBlock: 11n }))).toThrow(/fromBlock 11/);
    });
  });

  it("never lets supply drop or double count, whatever order two chains' transfer logs arrive in", () => {
    // Transfers both ways; each chain's logs arrive in order, the two chains interleave arbitrarily.
    const arbTransfers = fc.array(
      fc.record({ from: fc.constantFrom(MAINNET, BASE), amount: fc.bigInt({ min: 1n, max: START / 12n }) }),
      { minLength: 1, maxLength: 12 },
    );
    fc.assert(
      fc.property(
        arbTransfers,
        fc.array(fc.boolean(), { minLength: 48, maxLength: 48 }),
        (transfers, picks) => {
          const logs: Record<number, SupplyObserved[]> = { [MAINNET]: [], [BASE]: [] };
          const totals: Record<number, bigint> = { [MAINNET]: START, [BASE]: START };
          const heights: Record<number, bigint> = { [MAINNET]: 2n, [BASE]: 2n };
          const push = (chainId: number, delta: bigint) => {
            totals[chainId] = totals[chainId]! + delta;
            const block = heights[chainId]!;
            heights[chainId] = block + 1n;
            logs[chainId]!.push(reading(chainId, block, 0, totals[chainId]!, -delta));
          };
          // Every source burn comes before its destination mint on the chains themselves.
          const burned = transfers.map((t) => {
            push(t.from, -t.amount);
            return t;
          });
          for (const t of burned) push(t.from === MAINNET ? BASE : MAINNET, t.amount);

          let s = withReserve(seeded());
          const expected = 2n * START * E12;
          const queues = [logs[MAINNET]!.slice(), logs[BASE]!.slice()];
          let i = 0;
          while (queues[0]!.length + queues[1]!.length > 0) {
            const pick = picks[i++ % picks.length] ? 0 : 1;
            const q = queues[pick]!.length > 0 ? queues[pick]! : queues[1 - pick]!;
            s = applyObservation(s, q.shift()!);
            // Each reading carries the supply change and its flow together: the total never moves.
            expect(totalSupply(s)).toBe(expected);
          }
          expect(readAssetSnapshot(s).inFlight).toBe(0n);
        },
      ),
    );
  });
});

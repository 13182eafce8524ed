/**
 * Property test of Secure Mint against the EVM: random sequences of reserve updates, clock jumps, mints and
 * redemptions. A model of the feed and the supply predicts the outcome of every mint; after every successful
 * mint the supply must be covered by the reserves including the margin:
 *   totalSupply * (10_000 + marginBps) <= reserves * 10_000.
 */
import fc from "fast-check";
import { network } from "hardhat";
import { describe, expect, it } from "vitest";
import { allowAccounts, decodeRevert, deployAssetStack, getWallets } from "./helpers/stack.ts";

const { viem, networkHelpers } = await network.connect();
const wallets = await getWallets(viem);
const [admin, , issuer, , alice, bob] = wallets;
if (!admin || !issuer || !alice || !bob) throw new Error("Not enough accounts.");

const FEED_DECIMALS = 18;
const TOKEN_DECIMALS = 6;
const SCALE = 10n ** BigInt(FEED_DECIMALS - TOKEN_DECIMALS);
const HEARTBEAT = 3_600n;
const BPS = 10_000n;
const USD = 10n ** BigInt(TOKEN_DECIMALS);

async function deployPropertyStack() {
  const stack = await deployAssetStack(viem, {
    feedDecimals: FEED_DECIMALS,
    tokenDecimals: TOKEN_DECIMALS,
    initialReserves: 5_000n * USD * SCALE,
    heartbeat: HEARTBEAT,
  });
  await allowAccounts(viem, stack, [alice!.account.address, bob!.account.address]);
  return stack;
}

type Holder = 0 | 1;
type Command =
  | { type: "submit"; answer: bigint }
  | { type: "warp"; seconds: bigint }
  | { type: "mint"; to: Holder; amount: bigint }
  | { type: "mintHeadroom"; to: Holder; extra: bigint }
  | { type: "redeem"; from: Holder; amount: bigint };

const holder = fc.constantFrom<Holder>(0, 1);
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .oneof(
        { weight: 8, arbitrary: fc.bigInt({ min: 1n, max: 20_000n * USD * SCALE }) },
        { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 18n), max: 0n }) },
      )
      .map((answer) => ({ type: "submit" as const, answer })),
  },
  {
    weight: 1,
    arbitrary: fc
      .bigInt({ min: 0n, max: 2n * HEARTBEAT })
      .map((seconds) => ({ type: "warp" as const, seconds })),
  },
  {
    weight: 4,
    arbitrary: fc
      .record({ to: holder, amount: fc.bigInt({ min: 0n, max: 10_000n * USD }) })
      .map((c) => ({ type: "mint" as const, ...c })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ to: holder, extra: fc.bigInt({ min: 0n, max: 2n }) })
      .map((c) => ({ type: "mintHeadroom" as const, ...c })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ from: holder, amount: fc.bigInt({ min: 0n, max: 6_000n * USD }) })
      .map((c) => ({ type: "redeem" as const, ...c })),
  },
);

type Model = {
  now: bigint;
  answer: bigint;
  updatedAt: bigint;
  supply: bigint;
  balances: [bigint, bigint];
  marginBps: bigint;
};

/** The error the minter must raise for `amount`, or undefined when the mint must succeed. */
function expectedMintError(m: Model, amount: bigint, at: bigint): string | undefined {
  if (amount === 0n) return "ZeroAmount";
  if (m.answer <= 0n) return "InvalidAnswer";
  if (at - m.updatedAt > HEARTBEAT) return "StaleAnswer";
  const reserves = m.answer / SCALE;
  if (reserves * BPS < (m.supply + amount) * (BPS + m.marginBps)) return "InsufficientReserves";
  return undefined;
}

describe("Secure Mint property", () => {
  it("never lets a mint leave the supply above reserves (with margin); the model predicts every mint", async () => {
    const stack = await networkHelpers.loadFixture(deployPropertyStack);
    const abis = [stack.minter.abi, stack.verifier.abi, stack.token.abi, stack.redeemer.abi];
    const holders = [alice, bob] as const;
    let mintsOk = 0;
    let mintsRefused = 0;

    await fc.assert(
      fc.asyncProperty(
        fc.bigInt({ min: 0n, max: 1_000n }),
        fc.array(commandArb, { minLength: 15, maxLength: 15 }),
        async (marginBps, commands) => {
          const snapshot = await networkHelpers.takeSnapshot();
          try {
            await stack.verifier.write.setMarginBps([marginBps], { account: admin.account });
            const [, answer, , updatedAt] = await stack.feed.read.latestRoundData();
            const m: Model = {
              now: BigInt(await networkHelpers.time.latest()),
              answer,
              updatedAt,
              supply: 0n,
              balances: [0n, 0n],
              marginBps,
            };

            for (const command of commands) {
              // Every transaction gets an explicit, strictly increasing timestamp the model knows.
              m.now += 1n;
              switch (command.type) {
                case "warp": {
                  m.now += command.seconds;
                  continue;
                }
                case "submit": {
                  await networkHelpers.time.setNextBlockTimestamp(m.now);
                  await stack.aggregator.write.submit([command.answer], { account: admin.account });
                  m.answer = command.answer;
                  m.updatedAt = m.now;
                  break;
                }
                case "mint":
                case "mintHeadroom": {
                  let amount: bigint;
                  if (command.type === "mint") {
                    amount = command.amount;
                  } else {
                    const reserves = m.answer > 0n ? m.answer / SCALE : 0n;
                    const max = (reserves * BPS) / (BPS + m.marginBps);
                    amount = (max > m.supply ? max - m.supply : 0n) + command.extra;
                  }
                  const expected = expectedMintError(m, amount, m.now);
                  await networkHelpers.time.setNextBlockTimestamp(m.now);
                  let error: string | undefined;
                  try {
                    await stack.minter.write.mint([holders[command.to].account.address, amount], {
                      account: issuer.account,
                    });
                  } catch (e) {
                    error = decodeRevert(e, abis).errorName;
                  }
                  expect(error, `mint ${amount} at reserves ${m.answer}, supply ${m.supply}`).toBe(expected);
                  if (error === undefined) {
                    mintsOk++;
                    m.supply += amount;
                    m.balances[command.to] += amount;
                    // The Secure Mint invariant, against the chain's own figures.
                    const supply = await stack.token.read.totalSupply();
                    const reserves = await stack.verifier.read.reserves();
                    expect(supply * (BPS + marginBps)).toBeLessThanOrEqual(reserves * BPS);
                  } else {
                    mintsRefused++;
                  }
                  break;
                }
                case "redeem": {
                  const balance = m.balances[command.from];
                  const amount =
                    command.amount > balance && command.amount % 2n === 0n ? balance : command.amount;
                  const expected =
                    amount === 0n ? "ZeroAmount" : amount > balance ? "ERC20InsufficientBalance" : undefined;
                  await networkHelpers.time.setNextBlockTimestamp(m.now);
                  let error: string | undefined;
                  try {
                    await stack.redeemer.write.redeem([amount, `0x${"ab".repeat(32)}`], {
                      account: holders[command.from].account,
                    });
                  } catch (e) {
                    error = decodeRevert(e, abis).errorName;
                  }
                  expect(error).toBe(expected);
                  if (error === undefined) {
                    m.supply -= amount;
                    m.balances[command.from] -= amount;
                  }
                  break;
                }
              }
              expect(await stack.token.read.totalSupply()).toBe(m.supply);
            }
          } finally {
            await snapshot.restore();
          }
        },
      ),
      { numRuns: 25 },
    );
    // The generators must exercise both outcomes.
    expect(mintsOk).toBeGreaterThan(0);
    expect(mintsRefused).toBeGreaterThan(0);
  });
});

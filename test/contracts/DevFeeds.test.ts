import { network } from "hardhat";
import { getAddress, parseEventLogs, toEventSelector, zeroAddress } from "viem";
import { describe, expect, it } from "vitest";
import { expectDeployRevert, expectForeignRevert, expectRevert } from "./DevFeeds.helpers.js";

const { viem, networkHelpers } = await network.connect();
const publicClient = await viem.getPublicClient();
const walletClients = await viem.getWalletClients();
const owner = walletClients[0]!.account;
const stranger = walletClients[1]!.account;

const DECIMALS = 8;
const INITIAL_ANSWER = 1_000_000n * 10n ** 8n;
const DESCRIPTION = "USDX PoR";
const PHASE_OFFSET = 64n;
/** Proxy round id of aggregator round `round` in phase `phase`. */
const proxyRound = (phase: bigint, round: bigint) => (phase << PHASE_OFFSET) | round;

/** topic0 values from shared/reference/chainlink-feeds.md (production OCR aggregators). */
const ANSWER_UPDATED_TOPIC = "0x0559884fd3a460db3073b7fc896cc77986f16e378210ded43186175bf646fc5f";
const NEW_ROUND_TOPIC = "0x0109fc6f55cf40689f02fbaad7af7fe7bbac8a3d2186600afc7d3e10cac60271";

async function deployAggregator() {
  const { contract: aggregator, deploymentTransaction } = await viem.sendDeploymentTransaction(
    "DevPorAggregator",
    [DECIMALS, INITIAL_ANSWER, DESCRIPTION, owner.address],
  );
  const receipt = await publicClient.waitForTransactionReceipt({ hash: deploymentTransaction.hash });
  const block = await publicClient.getBlock({ blockNumber: receipt.blockNumber });
  return { aggregator, receipt, deployedAt: block.timestamp };
}

async function deployProxy() {
  const base = await deployAggregator();
  const { contract: proxy, deploymentTransaction } = await viem.sendDeploymentTransaction(
    "DevAggregatorProxy",
    [base.aggregator.address, owner.address],
  );
  const proxyReceipt = await publicClient.waitForTransactionReceipt({ hash: deploymentTransaction.hash });
  const next = await viem.deployContract("DevPorAggregator", [
    18,
    5n * 10n ** 18n,
    "USDX PoR v2",
    owner.address,
  ]);
  return { ...base, proxy, proxyReceipt, next };
}

/** Sends a transaction and returns its receipt and its block's timestamp. */
async function mined(hash: Promise<`0x${string}`>) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  expect(receipt.status).toBe("success");
  const block = await publicClient.getBlock({ blockNumber: receipt.blockNumber });
  return { receipt, timestamp: block.timestamp };
}

describe("DevPorAggregator", () => {
  it("uses the production topic0 for AnswerUpdated and NewRound", async () => {
    const { aggregator } = await networkHelpers.loadFixture(deployAggregator);
    expect(
      toEventSelector(aggregator.abi.find((x) => x.type === "event" && x.name === "AnswerUpdated")!),
    ).toBe(ANSWER_UPDATED_TOPIC);
    expect(toEventSelector(aggregator.abi.find((x) => x.type === "event" && x.name === "NewRound")!)).toBe(
      NEW_ROUND_TOPIC,
    );
  });

  it("records the initial answer as round 1 and emits NewRound then AnswerUpdated on deployment", async () => {
    const { aggregator, receipt, deployedAt } = await networkHelpers.loadFixture(deployAggregator);
    const logs = parseEventLogs({ abi: aggregator.abi, logs: receipt.logs });
    expect(logs.map((l) => l.eventName)).toEqual(["OwnershipTransferred", "NewRound", "AnswerUpdated"]);
    expect(logs[1]!.args).toEqual({ roundId: 1n, startedBy: zeroAddress, startedAt: deployedAt });
    expect(logs[2]!.args).toEqual({ current: INITIAL_ANSWER, roundId: 1n, updatedAt: deployedAt });
    expect(await aggregator.read.latestRoundData()).toEqual([1n, INITIAL_ANSWER, deployedAt, deployedAt, 1n]);
    expect(await aggregator.read.getRoundData([1n])).toEqual([
      1n,
      INITIAL_ANSWER,
      deployedAt,
      deployedAt,
      1n,
    ]);
    expect(await aggregator.read.latestRound()).toBe(1n);
    expect(await aggregator.read.latestAnswer()).toBe(INITIAL_ANSWER);
    expect(await aggregator.read.latestTimestamp()).toBe(deployedAt);
    expect(await aggregator.read.getAnswer([1n])).toBe(INITIAL_ANSWER);
    expect(await aggregator.read.getTimestamp([1n])).toBe(deployedAt);
  });

  it("reports its metadata and owner", async () => {
    const { aggregator } = await networkHelpers.loadFixture(deployAggregator);
    expect(await aggregator.read.decimals()).toBe(DECIMALS);
    expect(await aggregator.read.description()).toBe(DESCRIPTION);
    expect(await aggregator.read.version()).toBe(6n);
    expect(await aggregator.read.VERSION()).toBe(6n);
    expect(await aggregator.read.owner()).toBe(getAddress(owner.address));
  });

  it("rejects a zero initial owner", async () => {
    const { aggregator } = await networkHelpers.loadFixture(deployAggregator);
    await expectDeployRevert(
      viem.deployContract("DevPorAggregator", [DECIMALS, 1n, DESCRIPTION, zeroAddress]),
      aggregator.abi,
      "OwnableInvalidOwner",
      [zeroAddress],
    );
  });

  it("submit() opens round latest+1 and emits exactly NewRound then AnswerUpdated like OCR aggregators", async () => {
    const { aggregator } = await networkHelpers.loadFixture(deployAggregator);
    const answer = 1_234n * 10n ** 8n;
    const { result } = await aggregator.simulate.submit([answer], { account: owner.address });
    expect(result).toBe(2n);
    const { receipt, timestamp } = await mined(aggregator.write.submit([answer], { account: owner }));
    expect(receipt.logs).toHaveLength(2);
    for (const log of receipt.logs) expect(getAddress(log.address)).toBe(getAddress(aggregator.address));
    expect(receipt.logs[0]!.topics[0]).toBe(NEW_ROUND_TOPIC);
    expect(receipt.logs[1]!.topics[0]).toBe(ANSWER_UPDATED_TOPIC);
    const logs = parseEventLogs({ abi: aggregator.abi, logs: receipt.logs });
    expect(logs[0]!.eventName).toBe("NewRound");
    expect(logs[0]!.args).toEqual({ roundId: 2n, startedBy: zeroAddress, startedAt: timestamp });
    expect(logs[1]!.eventName).toBe("AnswerUpdated");
    expect(logs[1]!.args).toEqual({ current: answer, roundId: 2n, updatedAt: timestamp });
    expect(await aggregator.read.latestRoundData()).toEqual([2n, answer, timestamp, timestamp, 2n]);
    expect(await aggregator.read.latestRound()).toBe(2n);
    expect(await aggregator.read.latestAnswer()).toBe(answer);
    expect(await aggregator.read.latestTimestamp()).toBe(timestamp);
    expect(await aggregator.read.getAnswer([2n])).toBe(answer);
    expect(await aggregator.read.getTimestamp([2n])).toBe(timestamp);
    // the previous round stays readable
    expect((await aggregator.read.getRoundData([1n]))[1]).toBe(INITIAL_ANSWER);
    expect(await aggregator.read.getAnswer([1n])).toBe(INITIAL_ANSWER);
  });

  it("submit() accepts zero and negative answers (consumers must reject them)", async () => {
    const { aggregator } = await networkHelpers.loadFixture(deployAggregator);
    await mined(aggregator.write.submit([0n], { account: owner }));
    expect((await aggregator.read.latestRoundData())[1]).toBe(0n);
    const { receipt } = await mined(aggregator.write.submit([-5n], { account: owner }));
    const [, answerUpdated] = parseEventLogs({ abi: aggregator.abi, logs: receipt.logs });
    expect(answerUpdated!.args).toMatchObject({ current: -5n, roundId: 3n });
    expect(await aggregator.read.latestAnswer()).toBe(-5n);
  });

  it("submitWithTimestamp() backdates the round and its events", async () => {
    const { aggregator } = await networkHelpers.loadFixture(deployAggregator);
    const now = BigInt(await networkHelpers.time.latest());
    const updatedAt = now - 3_600n;
    const { result } = await aggregator.simulate.submitWithTimestamp([7n, updatedAt], {
      account: owner.address,
    });
    expect(result).toBe(2n);
    const { receipt } = await mined(
      aggregator.write.submitWithTimestamp([7n, updatedAt], { account: owner }),
    );
    const logs = parseEventLogs({ abi: aggregator.abi, logs: receipt.logs });
    expect(logs.map((l) => [l.eventName, l.args])).toEqual([
      ["NewRound", { roundId: 2n, startedBy: zeroAddress, startedAt: updatedAt }],
      ["AnswerUpdated", { current: 7n, roundId: 2n, updatedAt }],
    ]);
    expect(await aggregator.read.latestRoundData()).toEqual([2n, 7n, updatedAt, updatedAt, 2n]);
    expect(await aggregator.read.getTimestamp([2n])).toBe(updatedAt);
  });

  it("submitWithTimestamp() accepts updatedAt == 0 (an unset round) and the current block time", async () => {
    const { aggregator } = await networkHelpers.loadFixture(deployAggregator);
    await mined(aggregator.write.submitWithTimestamp([7n, 0n], { account: owner }));
    expect(await aggregator.read.latestRoundData()).toEqual([2n, 7n, 0n, 0n, 2n]);
    const next = BigInt(await networkHelpers.time.latest()) + 10n;
    await networkHelpers.time.setNextBlockTimestamp(next);
    await mined(aggregator.write.submitWithTimestamp([8n, next], { account: owner }));
    expect(await aggregator.read.latestRoundData()).toEqual([3n, 8n, next, next, 3n]);
  });

  it("submitWithTimestamp() rejects a timestamp in the future with TimestampInFuture", async () => {
    const { aggregator } = await networkHelpers.loadFixture(deployAggregator);
    const next = BigInt(await networkHelpers.time.latest()) + 100n;
    await networkHelpers.time.setNextBlockTimestamp(next);
    await expectRevert(
      aggregator.write.submitWithTimestamp([1n, next + 1n], { account: owner, gas: 500_000n }),
      "TimestampInFuture",
      [next + 1n, next],
    );
  });

  it("submitIncomplete() records answeredInRound < roundId and emits only NewRound", async () => {
    const { aggregator } = await networkHelpers.loadFixture(deployAggregator);
    await mined(aggregator.write.submit([11n], { account: owner })); // round 2
    const { result } = await aggregator.simulate.submitIncomplete([12n], { account: owner.address });
    expect(result).toBe(3n);
    const { receipt, timestamp } = await mined(aggregator.write.submitIncomplete([12n], { account: owner }));
    const logs = parseEventLogs({ abi: aggregator.abi, logs: receipt.logs });
    expect(logs.map((l) => [l.eventName, l.args])).toEqual([
      ["NewRound", { roundId: 3n, startedBy: zeroAddress, startedAt: timestamp }],
    ]);
    expect(await aggregator.read.latestRoundData()).toEqual([3n, 12n, timestamp, timestamp, 2n]);
    // a second incomplete round still carries the last answered round
    await mined(aggregator.write.submitIncomplete([13n], { account: owner }));
    const [roundId, , , , answeredInRound] = await aggregator.read.latestRoundData();
    expect([roundId, answeredInRound]).toEqual([4n, 2n]);
    expect((await aggregator.read.getRoundData([3n]))[4]).toBe(2n);
  });

  it("getRoundData() reverts with RoundNotFound for round 0 and rounds after the latest", async () => {
    const { aggregator } = await networkHelpers.loadFixture(deployAggregator);
    await expectRevert(aggregator.read.getRoundData([0n]), "RoundNotFound", [0n]);
    await expectRevert(aggregator.read.getRoundData([2n]), "RoundNotFound", [2n]);
    await mined(aggregator.write.submit([1n], { account: owner }));
    expect((await aggregator.read.getRoundData([2n]))[0]).toBe(2n);
  });

  it("getAnswer() and getTimestamp() return 0 for unknown rounds (legacy semantics)", async () => {
    const { aggregator } = await networkHelpers.loadFixture(deployAggregator);
    expect(await aggregator.read.getAnswer([0n])).toBe(0n);
    expect(await aggregator.read.getAnswer([99n])).toBe(0n);
    expect(await aggregator.read.getTimestamp([99n])).toBe(0n);
  });

  it("rejects submissions from accounts other than the owner with OwnableUnauthorizedAccount", async () => {
    const { aggregator } = await networkHelpers.loadFixture(deployAggregator);
    const who = [getAddress(stranger.address)];
    await expectRevert(
      aggregator.write.submit([1n], { account: stranger }),
      "OwnableUnauthorizedAccount",
      who,
    );
    await expectRevert(
      aggregator.write.submitWithTimestamp([1n, 1n], { account: stranger }),
      "OwnableUnauthorizedAccount",
      who,
    );
    await expectRevert(
      aggregator.write.submitIncomplete([1n], { account: stranger }),
      "OwnableUnauthorizedAccount",
      who,
    );
    expect(await aggregator.read.latestRound()).toBe(1n);
  });
});

describe("DevAggregatorProxy", () => {
  it("starts in phase 1 with the constructor's aggregator and emits no answer events", async () => {
    const { proxy, proxyReceipt, aggregator } = await networkHelpers.loadFixture(deployProxy);
    expect(await proxy.read.phaseId()).toBe(1);
    expect(await proxy.read.aggregator()).toBe(getAddress(aggregator.address));
    expect(await proxy.read.phaseAggregators([1])).toBe(getAddress(aggregator.address));
    expect(await proxy.read.phaseAggregators([2])).toBe(zeroAddress);
    expect(await proxy.read.proposedAggregator()).toBe(zeroAddress);
    expect(await proxy.read.owner()).toBe(getAddress(owner.address));
    expect(await proxy.read.PHASE_OFFSET()).toBe(64n);
    expect(await proxy.read.PHASE_SIZE()).toBe(16n);
    expect(await proxy.read.MAX_ID()).toBe(2n ** 80n - 1n);
    const logs = parseEventLogs({ abi: proxy.abi, logs: proxyReceipt.logs });
    expect(logs.map((l) => l.eventName)).toEqual(["OwnershipTransferred"]);
  });

  it("rejects a zero aggregator and a zero owner", async () => {
    const { proxy, aggregator } = await networkHelpers.loadFixture(deployProxy);
    await expectDeployRevert(
      viem.deployContract("DevAggregatorProxy", [zeroAddress, owner.address]),
      proxy.abi,
      "InvalidAggregator",
      [zeroAddress],
    );
    await expectDeployRevert(
      viem.deployContract("DevAggregatorProxy", [aggregator.address, zeroAddress]),
      proxy.abi,
      "OwnableInvalidOwner",
      [zeroAddress],
    );
  });

  it("passes metadata through from the current aggregator", async () => {
    const { proxy } = await networkHelpers.loadFixture(deployProxy);
    expect(await proxy.read.decimals()).toBe(DECIMALS);
    expect(await proxy.read.description()).toBe(DESCRIPTION);
    expect(await proxy.read.version()).toBe(6n);
  });

  it("phase-encodes roundId and answeredInRound: (phaseId << 64) | aggregatorRoundId", async () => {
    const { proxy, aggregator, deployedAt } = await networkHelpers.loadFixture(deployProxy);
    const r1 = proxyRound(1n, 1n);
    expect(r1).toBe(18446744073709551617n);
    expect(await proxy.read.latestRoundData()).toEqual([r1, INITIAL_ANSWER, deployedAt, deployedAt, r1]);
    expect(await proxy.read.latestRound()).toBe(r1);
    const { timestamp } = await mined(aggregator.write.submit([42n], { account: owner }));
    const r2 = proxyRound(1n, 2n);
    expect(await proxy.read.latestRoundData()).toEqual([r2, 42n, timestamp, timestamp, r2]);
    expect(await proxy.read.getRoundData([r2])).toEqual([r2, 42n, timestamp, timestamp, r2]);
    expect(await proxy.read.getRoundData([r1])).toEqual([r1, INITIAL_ANSWER, deployedAt, deployedAt, r1]);
    expect(await proxy.read.latestRound()).toBe(r2);
    expect(await proxy.read.latestAnswer()).toBe(42n);
    expect(await proxy.read.latestTimestamp()).toBe(timestamp);
    expect(await proxy.read.getAnswer([r1])).toBe(INITIAL_ANSWER);
    expect(await proxy.read.getTimestamp([r2])).toBe(timestamp);
  });

  it("phase-encodes answeredInRound of an incomplete round", async () => {
    const { proxy, aggregator } = await networkHelpers.loadFixture(deployProxy);
    await mined(aggregator.write.submitIncomplete([5n], { account: owner }));
    const [roundId, answer, , , answeredInRound] = await proxy.read.latestRoundData();
    expect([roundId, answer, answeredInRound]).toEqual([proxyRound(1n, 2n), 5n, proxyRound(1n, 1n)]);
  });

  it("getRoundData() reverts with PhaseNotFound for unknown phases and bubbles unknown aggregator rounds", async () => {
    const { proxy, aggregator } = await networkHelpers.loadFixture(deployProxy);
    await expectRevert(proxy.read.getRoundData([proxyRound(5n, 1n)]), "PhaseNotFound", [5]);
    await expectRevert(proxy.read.getRoundData([1n]), "PhaseNotFound", [0]);
    await expectForeignRevert(
      proxy.read.getRoundData([proxyRound(1n, 9n)]),
      aggregator.abi,
      "RoundNotFound",
      [9n],
    );
  });

  it("getAnswer() and getTimestamp() return 0 for unknown phases and ids above MAX_ID", async () => {
    const { proxy } = await networkHelpers.loadFixture(deployProxy);
    expect(await proxy.read.getAnswer([proxyRound(3n, 1n)])).toBe(0n);
    expect(await proxy.read.getTimestamp([proxyRound(3n, 1n)])).toBe(0n);
    expect(await proxy.read.getAnswer([2n ** 80n + 1n])).toBe(0n);
    expect(await proxy.read.getTimestamp([2n ** 80n + 1n])).toBe(0n);
    expect(await proxy.read.getAnswer([proxyRound(1n, 7n)])).toBe(0n);
  });

  it("proposeAggregator() emits AggregatorProposed and exposes the proposal's raw round data", async () => {
    const { proxy, aggregator, next } = await networkHelpers.loadFixture(deployProxy);
    const { receipt } = await mined(proxy.write.proposeAggregator([next.address], { account: owner }));
    const logs = parseEventLogs({ abi: proxy.abi, logs: receipt.logs });
    expect(logs.map((l) => [l.eventName, l.args])).toEqual([
      ["AggregatorProposed", { current: getAddress(aggregator.address), proposed: getAddress(next.address) }],
    ]);
    expect(await proxy.read.proposedAggregator()).toBe(getAddress(next.address));
    const [id, answer, , , answeredInRound] = await proxy.read.proposedLatestRoundData();
    expect([id, answer, answeredInRound]).toEqual([1n, 5n * 10n ** 18n, 1n]);
    expect((await proxy.read.proposedGetRoundData([1n]))[1]).toBe(5n * 10n ** 18n);
    await expectForeignRevert(proxy.read.proposedGetRoundData([2n]), next.abi, "RoundNotFound", [2n]);
    // the proposal does not change what the proxy serves
    expect(await proxy.read.aggregator()).toBe(getAddress(aggregator.address));
    expect(await proxy.read.phaseId()).toBe(1);
    expect(await proxy.read.decimals()).toBe(DECIMALS);
  });

  it("proposed reads revert with NoProposedAggregator when nothing is proposed", async () => {
    const { proxy } = await networkHelpers.loadFixture(deployProxy);
    await expectRevert(proxy.read.proposedLatestRoundData(), "NoProposedAggregator", []);
    await expectRevert(proxy.read.proposedGetRoundData([1n]), "NoProposedAggregator", []);
  });

  it("proposeAggregator(0) withdraws the proposal", async () => {
    const { proxy, aggregator, next } = await networkHelpers.loadFixture(deployProxy);
    await mined(proxy.write.proposeAggregator([next.address], { account: owner }));
    const { receipt } = await mined(proxy.write.proposeAggregator([zeroAddress], { account: owner }));
    const [log] = parseEventLogs({ abi: proxy.abi, logs: receipt.logs, eventName: "AggregatorProposed" });
    expect(log!.args).toEqual({ current: getAddress(aggregator.address), proposed: zeroAddress });
    expect(await proxy.read.proposedAggregator()).toBe(zeroAddress);
    await expectRevert(
      proxy.write.confirmAggregator([zeroAddress], { account: owner }),
      "NotProposedAggregator",
      [zeroAddress, zeroAddress],
    );
  });

  it("confirmAggregator() rejects anything but the proposed aggregator", async () => {
    const { proxy, aggregator, next } = await networkHelpers.loadFixture(deployProxy);
    await expectRevert(
      proxy.write.confirmAggregator([next.address], { account: owner }),
      "NotProposedAggregator",
      [getAddress(next.address), zeroAddress],
    );
    await mined(proxy.write.proposeAggregator([next.address], { account: owner }));
    await expectRevert(
      proxy.write.confirmAggregator([aggregator.address], { account: owner }),
      "NotProposedAggregator",
      [getAddress(aggregator.address), getAddress(next.address)],
    );
  });

  it("confirmAggregator() starts phase 2, emits AggregatorConfirmed and keeps phase-1 rounds readable", async () => {
    const { proxy, aggregator, next, deployedAt } = await networkHelpers.loadFixture(deployProxy);
    await mined(aggregator.write.submit([77n], { account: owner })); // phase 1, round 2
    await mined(proxy.write.proposeAggregator([next.address], { account: owner }));
    const { receipt } = await mined(proxy.write.confirmAggregator([next.address], { account: owner }));
    const logs = parseEventLogs({ abi: proxy.abi, logs: receipt.logs });
    expect(logs.map((l) => [l.eventName, l.args])).toEqual([
      ["AggregatorConfirmed", { previous: getAddress(aggregator.address), latest: getAddress(next.address) }],
    ]);
    expect(await proxy.read.phaseId()).toBe(2);
    expect(await proxy.read.aggregator()).toBe(getAddress(next.address));
    expect(await proxy.read.phaseAggregators([1])).toBe(getAddress(aggregator.address));
    expect(await proxy.read.phaseAggregators([2])).toBe(getAddress(next.address));
    expect(await proxy.read.proposedAggregator()).toBe(zeroAddress);
    await expectRevert(proxy.read.proposedLatestRoundData(), "NoProposedAggregator", []);
    // the new phase: decimals and answers of the new aggregator, ids in phase 2
    expect(await proxy.read.decimals()).toBe(18);
    expect(await proxy.read.description()).toBe("USDX PoR v2");
    const [id, answer, , , answeredInRound] = await proxy.read.latestRoundData();
    expect([id, answer, answeredInRound]).toEqual([proxyRound(2n, 1n), 5n * 10n ** 18n, proxyRound(2n, 1n)]);
    expect(await proxy.read.latestRound()).toBe(proxyRound(2n, 1n));
    expect(await proxy.read.latestAnswer()).toBe(5n * 10n ** 18n);
    // old rounds still readable through their phase
    const r11 = proxyRound(1n, 1n);
    expect(await proxy.read.getRoundData([r11])).toEqual([r11, INITIAL_ANSWER, deployedAt, deployedAt, r11]);
    expect((await proxy.read.getRoundData([proxyRound(1n, 2n)]))[1]).toBe(77n);
    expect(await proxy.read.getAnswer([proxyRound(1n, 2n)])).toBe(77n);
    expect(await proxy.read.getAnswer([proxyRound(2n, 1n)])).toBe(5n * 10n ** 18n);
    // the old aggregator keeps answering for its phase only
    await mined(aggregator.write.submit([78n], { account: owner }));
    expect(await proxy.read.getAnswer([proxyRound(1n, 3n)])).toBe(78n);
    expect(await proxy.read.latestAnswer()).toBe(5n * 10n ** 18n);
  });

  it("rejects propose/confirm from accounts other than the owner with OwnableUnauthorizedAccount", async () => {
    const { proxy, next } = await networkHelpers.loadFixture(deployProxy);
    const who = [getAddress(stranger.address)];
    await expectRevert(
      proxy.write.proposeAggregator([next.address], { account: stranger }),
      "OwnableUnauthorizedAccount",
      who,
    );
    await mined(proxy.write.proposeAggregator([next.address], { account: owner }));
    await expectRevert(
      proxy.write.confirmAggregator([next.address], { account: stranger }),
      "OwnableUnauthorizedAccount",
      who,
    );
    expect(await proxy.read.phaseId()).toBe(1);
  });

  it("never emits AnswerUpdated or NewRound: answers are only logged by the aggregators", async () => {
    const { proxy, aggregator, next } = await networkHelpers.loadFixture(deployProxy);
    await mined(aggregator.write.submit([1n], { account: owner }));
    await mined(proxy.write.proposeAggregator([next.address], { account: owner }));
    await mined(proxy.write.confirmAggregator([next.address], { account: owner }));
    const { receipt } = await mined(next.write.submit([2n], { account: owner }));
    expect(receipt.logs.map((l) => getAddress(l.address))).toEqual([
      getAddress(next.address),
      getAddress(next.address),
    ]);
    const proxyLogs = await publicClient.getLogs({ address: proxy.address, fromBlock: 0n });
    const topics = proxyLogs.map((l) => l.topics[0]);
    expect(topics.length).toBe(3); // OwnershipTransferred, AggregatorProposed, AggregatorConfirmed
    expect(topics).not.toContain(ANSWER_UPDATED_TOPIC);
    expect(topics).not.toContain(NEW_ROUND_TOPIC);
    const answerLogs = await publicClient.getLogs({ address: next.address, fromBlock: 0n });
    expect(answerLogs.map((l) => l.topics[0])).toContain(ANSWER_UPDATED_TOPIC);
  });
});

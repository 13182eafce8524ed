import hre, { network } from "hardhat";
import {
  type Abi,
  type Address,
  getAddress,
  maxUint256,
  parseEventLogs,
  toFunctionSelector,
  zeroAddress,
  zeroHash,
} from "viem";
import { describe, expect, it } from "vitest";
import { catchRevert, expectDeployRevert, expectOverflowPanic, expectRevert } from "./DevFeeds.helpers.js";

const { viem, networkHelpers } = await network.connect();
const publicClient = await viem.getPublicClient();
const walletClients = await viem.getWalletClients();
const admin = walletClients[0]!.account;
const stranger = walletClients[1]!.account;
const holder = walletClients[2]!.account.address;

const Status = { Healthy: 0, Undercollateralized: 1, Stale: 2, InvalidAnswer: 3 } as const;
const HEARTBEAT = 86_400n;
const PHASE1 = 1n << 64n;
const MAX_INT256 = 2n ** 255n - 1n;

interface SystemOptions {
  feedDecimals?: number;
  tokenDecimals?: number;
  answer?: bigint;
  heartbeat?: bigint;
  marginBps?: bigint;
  supply?: bigint;
}

/** Aggregator + proxy + token + verifier reading the proxy; `supply` is minted to `holder`. */
async function deploySystem(options: SystemOptions = {}) {
  const {
    feedDecimals = 8,
    tokenDecimals = 6,
    answer = 1_000_000n * 10n ** 8n,
    heartbeat = HEARTBEAT,
    marginBps = 0n,
    supply = 0n,
  } = options;
  const aggregator = await viem.deployContract("DevPorAggregator", [
    feedDecimals,
    answer,
    "USDX PoR",
    admin.address,
  ]);
  const proxy = await viem.deployContract("DevAggregatorProxy", [aggregator.address, admin.address]);
  const token = await viem.deployContract("ReserveBackedStablecoin", [
    "USD X",
    "USDX",
    tokenDecimals,
    admin.address,
  ]);
  await token.write.grantRole([await token.read.MINTER_ROLE(), admin.address], { account: admin });
  const { contract: verifier, deploymentTransaction } = await viem.sendDeploymentTransaction(
    "ReserveVerifier",
    [proxy.address, token.address, heartbeat, marginBps, admin.address],
  );
  const deployReceipt = await publicClient.waitForTransactionReceipt({ hash: deploymentTransaction.hash });
  if (supply > 0n) await token.write.mint([holder, supply], { account: admin });
  return { aggregator, proxy, token, verifier, deployReceipt };
}

/** 1,000,000 USDX of reserves (8-decimal feed) against 900,000 USDX (6 decimals) of supply. */
function defaultSystem() {
  return deploySystem({ supply: 900_000n * 10n ** 6n });
}

async function mined(hash: Promise<`0x${string}`>) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  expect(receipt.status).toBe("success");
  return receipt;
}

async function latestUpdatedAt(proxy: Awaited<ReturnType<typeof deploySystem>>["proxy"]): Promise<bigint> {
  const [, , , updatedAt] = await proxy.read.latestRoundData();
  return updatedAt;
}

/** Swaps the proxy to a new aggregator (the verifier keeps reading the proxy). */
async function swapAggregator(
  proxy: Awaited<ReturnType<typeof deploySystem>>["proxy"],
  decimals: number,
  answer: bigint,
) {
  const next = await viem.deployContract("DevPorAggregator", [
    decimals,
    answer,
    "USDX PoR v2",
    admin.address,
  ]);
  await mined(proxy.write.proposeAggregator([next.address], { account: admin }));
  await mined(proxy.write.confirmAggregator([next.address], { account: admin }));
  return next;
}

/** ERC-165 id of an interface: XOR of its function selectors. */
function interfaceId(abi: Abi): `0x${string}` {
  let id = 0;
  for (const item of abi)
    if (item.type === "function") id ^= Number.parseInt(toFunctionSelector(item).slice(2), 16);
  return `0x${(id >>> 0).toString(16).padStart(8, "0")}`;
}

describe("ReserveVerifier: deployment and admin", () => {
  it("stores its configuration, grants the admin role and emits the configuration events", async () => {
    const { verifier, proxy, token, deployReceipt } = await networkHelpers.loadFixture(defaultSystem);
    expect(await verifier.read.feed()).toBe(getAddress(proxy.address));
    expect(await verifier.read.token()).toBe(getAddress(token.address));
    expect(await verifier.read.heartbeat()).toBe(HEARTBEAT);
    expect(await verifier.read.marginBps()).toBe(0n);
    expect(await verifier.read.hasRole([zeroHash, admin.address])).toBe(true);
    expect(await verifier.read.hasRole([zeroHash, stranger.address])).toBe(false);
    expect(await verifier.read.BPS()).toBe(10_000n);
    expect(await verifier.read.MAX_MARGIN_BPS()).toBe(10_000n);
    expect(await verifier.read.MAX_DECIMALS()).toBe(36);
    const logs = parseEventLogs({ abi: verifier.abi, logs: deployReceipt.logs });
    expect(logs.map((l) => [l.eventName, l.args])).toEqual([
      ["FeedChanged", { previousFeed: zeroAddress, newFeed: getAddress(proxy.address) }],
      ["HeartbeatChanged", { previousHeartbeat: 0n, newHeartbeat: HEARTBEAT }],
      ["MarginChanged", { previousMarginBps: 0n, newMarginBps: 0n }],
      [
        "RoleGranted",
        { role: zeroHash, account: getAddress(admin.address), sender: getAddress(admin.address) },
      ],
    ]);
  });

  it("supports the IReserveVerifier, IAccessControl and IERC165 interfaces", async () => {
    const { verifier } = await networkHelpers.loadFixture(defaultSystem);
    const { abi } = await hre.artifacts.readArtifact("IReserveVerifier");
    expect(await verifier.read.supportsInterface([interfaceId(abi as Abi)])).toBe(true);
    expect(await verifier.read.supportsInterface(["0x7965db0b"])).toBe(true); // IAccessControl
    expect(await verifier.read.supportsInterface(["0x01ffc9a7"])).toBe(true); // IERC165
    expect(await verifier.read.supportsInterface(["0xffffffff"])).toBe(false);
  });

  it("constructor rejects zero addresses, a zero heartbeat, a margin above 100% and token decimals above 36", async () => {
    const { verifier, proxy, token } = await networkHelpers.loadFixture(defaultSystem);
    const { abi } = verifier;
    const deploy = (args: readonly [Address, Address, bigint, bigint, Address]) =>
      viem.deployContract("ReserveVerifier", [...args]);
    await expectDeployRevert(
      deploy([zeroAddress, token.address, HEARTBEAT, 0n, admin.address]),
      abi,
      "ZeroAddress",
      [],
    );
    await expectDeployRevert(
      deploy([proxy.address, zeroAddress, HEARTBEAT, 0n, admin.address]),
      abi,
      "ZeroAddress",
      [],
    );
    await expectDeployRevert(
      deploy([proxy.address, token.address, HEARTBEAT, 0n, zeroAddress]),
      abi,
      "ZeroAddress",
      [],
    );
    await expectDeployRevert(
      deploy([proxy.address, token.address, 0n, 0n, admin.address]),
      abi,
      "InvalidHeartbeat",
      [0n],
    );
    await expectDeployRevert(
      deploy([proxy.address, token.address, HEARTBEAT, 10_001n, admin.address]),
      abi,
      "MarginTooLarge",
      [10_001n],
    );
    // The project token refuses decimals > 36; any IERC20Metadata-like contract reporting 37 must be refused.
    const weird = await viem.deployContract("DevPorAggregator", [37, 1n, "37 decimals", admin.address]);
    await expectDeployRevert(
      deploy([proxy.address, weird.address, HEARTBEAT, 0n, admin.address]),
      abi,
      "UnsupportedDecimals",
      [37],
    );
    const full = await viem.deployContract("ReserveVerifier", [
      proxy.address,
      token.address,
      1n,
      10_000n,
      admin.address,
    ]);
    expect(await full.read.marginBps()).toBe(10_000n);
    expect(await full.read.heartbeat()).toBe(1n);
  });

  it("setFeed() switches the feed and emits FeedChanged; rejects the zero address", async () => {
    const { verifier, proxy } = await networkHelpers.loadFixture(defaultSystem);
    const other = await viem.deployContract("DevPorAggregator", [8, 1n, "other", admin.address]);
    const receipt = await mined(verifier.write.setFeed([other.address], { account: admin }));
    const logs = parseEventLogs({ abi: verifier.abi, logs: receipt.logs });
    expect(logs.map((l) => [l.eventName, l.args])).toEqual([
      ["FeedChanged", { previousFeed: getAddress(proxy.address), newFeed: getAddress(other.address) }],
    ]);
    expect(await verifier.read.feed()).toBe(getAddress(other.address));
    expect(await verifier.read.reserves()).toBe(0n); // 1e-8 USDX rounds down to 0 at 6 decimals
    await expectRevert(verifier.write.setFeed([zeroAddress], { account: admin }), "ZeroAddress", []);
  });

  it("setHeartbeat() emits HeartbeatChanged; rejects zero", async () => {
    const { verifier } = await networkHelpers.loadFixture(defaultSystem);
    const receipt = await mined(verifier.write.setHeartbeat([3_600n], { account: admin }));
    const logs = parseEventLogs({ abi: verifier.abi, logs: receipt.logs });
    expect(logs.map((l) => [l.eventName, l.args])).toEqual([
      ["HeartbeatChanged", { previousHeartbeat: HEARTBEAT, newHeartbeat: 3_600n }],
    ]);
    expect(await verifier.read.heartbeat()).toBe(3_600n);
    await expectRevert(verifier.write.setHeartbeat([0n], { account: admin }), "InvalidHeartbeat", [0n]);
  });

  it("setMarginBps() emits MarginChanged; accepts 10_000 and rejects 10_001", async () => {
    const { verifier } = await networkHelpers.loadFixture(defaultSystem);
    const receipt = await mined(verifier.write.setMarginBps([250n], { account: admin }));
    const logs = parseEventLogs({ abi: verifier.abi, logs: receipt.logs });
    expect(logs.map((l) => [l.eventName, l.args])).toEqual([
      ["MarginChanged", { previousMarginBps: 0n, newMarginBps: 250n }],
    ]);
    expect(await verifier.read.marginBps()).toBe(250n);
    await mined(verifier.write.setMarginBps([10_000n], { account: admin }));
    expect(await verifier.read.marginBps()).toBe(10_000n);
    await expectRevert(verifier.write.setMarginBps([10_001n], { account: admin }), "MarginTooLarge", [
      10_001n,
    ]);
  });

  it("admin setters revert with AccessControlUnauthorizedAccount for other accounts", async () => {
    const { verifier } = await networkHelpers.loadFixture(defaultSystem);
    const args = [getAddress(stranger.address), zeroHash];
    await expectRevert(
      verifier.write.setFeed([stranger.address], { account: stranger }),
      "AccessControlUnauthorizedAccount",
      args,
    );
    await expectRevert(
      verifier.write.setHeartbeat([1n], { account: stranger }),
      "AccessControlUnauthorizedAccount",
      args,
    );
    await expectRevert(
      verifier.write.setMarginBps([1n], { account: stranger }),
      "AccessControlUnauthorizedAccount",
      args,
    );
    expect(await verifier.read.heartbeat()).toBe(HEARTBEAT);
  });
});

describe("ReserveVerifier: reading the feed through the proxy", () => {
  it("healthy: normalises 8-decimal reserves to 6-decimal token units and reports the ratio", async () => {
    const { verifier, proxy } = await networkHelpers.loadFixture(defaultSystem);
    const updatedAt = await latestUpdatedAt(proxy);
    expect(await verifier.read.reserves()).toBe(1_000_000n * 10n ** 6n);
    expect(await verifier.read.supply()).toBe(900_000n * 10n ** 6n);
    expect(await verifier.read.ratioBps()).toBe(11_111n);
    expect(await verifier.read.status()).toBe(Status.Healthy);
    expect(await verifier.read.snapshot()).toEqual({
      status: Status.Healthy,
      reserves: 1_000_000n * 10n ** 6n,
      supply: 900_000n * 10n ** 6n,
      ratioBps: 11_111n,
      answer: 1_000_000n * 10n ** 8n,
      roundId: PHASE1 | 1n,
      updatedAt,
    });
  });

  it("supply 0: ratioBps is type(uint256).max and the backing is healthy", async () => {
    const { verifier } = await deploySystem();
    expect(await verifier.read.supply()).toBe(0n);
    expect(await verifier.read.ratioBps()).toBe(maxUint256);
    expect(await verifier.read.status()).toBe(Status.Healthy);
    const snap = await verifier.read.snapshot();
    expect([snap.status, snap.ratioBps, snap.supply]).toEqual([Status.Healthy, maxUint256, 0n]);
  });

  it("checkMint() allows minting exactly up to the reserves and reverts InsufficientReserves one unit above", async () => {
    const { verifier } = await networkHelpers.loadFixture(defaultSystem);
    const reserves = 1_000_000n * 10n ** 6n;
    const room = 100_000n * 10n ** 6n;
    expect(await verifier.read.checkMint([room])).toEqual([reserves, reserves]);
    expect(await verifier.read.checkMint([0n])).toEqual([reserves, 900_000n * 10n ** 6n]);
    await expectRevert(verifier.read.checkMint([room + 1n]), "InsufficientReserves", [
      reserves,
      reserves + 1n,
      reserves + 1n,
    ]);
  });

  it("checkMint() panics when supply + amount overflows and saturates requiredReserves", async () => {
    const { verifier } = await networkHelpers.loadFixture(defaultSystem);
    const supply = 900_000n * 10n ** 6n;
    await expectOverflowPanic(verifier.read.checkMint([maxUint256]));
    await expectRevert(verifier.read.checkMint([maxUint256 - supply]), "InsufficientReserves", [
      1_000_000n * 10n ** 6n,
      maxUint256,
      maxUint256,
    ]);
  });

  it("undercollateralized: supply above reserves", async () => {
    const { verifier, token } = await networkHelpers.loadFixture(defaultSystem);
    await mined(token.write.mint([holder, 200_000n * 10n ** 6n], { account: admin }));
    const supply = 1_100_000n * 10n ** 6n;
    expect(await verifier.read.status()).toBe(Status.Undercollateralized);
    expect(await verifier.read.ratioBps()).toBe(9_090n);
    expect(await verifier.read.reserves()).toBe(1_000_000n * 10n ** 6n);
    const snap = await verifier.read.snapshot();
    expect([snap.status, snap.reserves, snap.supply, snap.ratioBps]).toEqual([
      Status.Undercollateralized,
      1_000_000n * 10n ** 6n,
      supply,
      9_090n,
    ]);
    await expectRevert(verifier.read.checkMint([0n]), "InsufficientReserves", [
      1_000_000n * 10n ** 6n,
      supply,
      supply,
    ]);
  });

  it("margin: healthy iff reserves * 10_000 >= supply * (10_000 + margin); requiredReserves rounds up", async () => {
    const { verifier, aggregator } = await deploySystem({
      feedDecimals: 0,
      tokenDecimals: 0,
      answer: 1_050_000n,
      marginBps: 500n,
      supply: 1_000_000n,
    });
    expect(await verifier.read.status()).toBe(Status.Healthy); // exactly 105%
    expect(await verifier.read.ratioBps()).toBe(10_500n);
    await expectRevert(verifier.read.checkMint([1n]), "InsufficientReserves", [
      1_050_000n,
      1_000_001n,
      1_050_002n,
    ]);
    await mined(aggregator.write.submit([1_050_001n], { account: admin }));
    await expectRevert(verifier.read.checkMint([1n]), "InsufficientReserves", [
      1_050_001n,
      1_000_001n,
      1_050_002n,
    ]);
    await mined(aggregator.write.submit([1_050_002n], { account: admin }));
    expect(await verifier.read.checkMint([1n])).toEqual([1_050_002n, 1_000_001n]);
    // below the margin but above 100%: undercollateralized
    await mined(aggregator.write.submit([1_049_999n], { account: admin }));
    expect(await verifier.read.status()).toBe(Status.Undercollateralized);
    expect(await verifier.read.ratioBps()).toBe(10_499n);
    // dropping the margin makes the same figures healthy; a 100% margin needs twice the supply
    await mined(verifier.write.setMarginBps([0n], { account: admin }));
    expect(await verifier.read.status()).toBe(Status.Healthy);
    await mined(verifier.write.setMarginBps([10_000n], { account: admin }));
    expect(await verifier.read.status()).toBe(Status.Undercollateralized);
    await mined(aggregator.write.submit([2_000_000n], { account: admin }));
    expect(await verifier.read.status()).toBe(Status.Healthy);
    await expectRevert(verifier.read.checkMint([1n]), "InsufficientReserves", [
      2_000_000n,
      1_000_001n,
      2_000_002n,
    ]);
  });

  it("stale: fresh at exactly the heartbeat, Stale one second later", async () => {
    const { verifier, proxy } = await networkHelpers.loadFixture(defaultSystem);
    const updatedAt = await latestUpdatedAt(proxy);
    await networkHelpers.time.increaseTo(updatedAt + HEARTBEAT);
    expect(await verifier.read.status()).toBe(Status.Healthy);
    expect(await verifier.read.reserves()).toBe(1_000_000n * 10n ** 6n);
    await networkHelpers.time.increaseTo(updatedAt + HEARTBEAT + 1n);
    const now = updatedAt + HEARTBEAT + 1n;
    expect(await verifier.read.status()).toBe(Status.Stale);
    const staleArgs = [updatedAt, now, HEARTBEAT];
    await expectRevert(verifier.read.reserves(), "StaleAnswer", staleArgs);
    await expectRevert(verifier.read.ratioBps(), "StaleAnswer", staleArgs);
    await expectRevert(verifier.read.checkMint([1n]), "StaleAnswer", staleArgs);
    // a stale snapshot still carries the normalised reserves
    expect(await verifier.read.snapshot()).toEqual({
      status: Status.Stale,
      reserves: 1_000_000n * 10n ** 6n,
      supply: 900_000n * 10n ** 6n,
      ratioBps: 11_111n,
      answer: 1_000_000n * 10n ** 8n,
      roundId: PHASE1 | 1n,
      updatedAt,
    });
    // a longer heartbeat makes the same answer usable again
    await mined(verifier.write.setHeartbeat([HEARTBEAT * 2n], { account: admin }));
    expect(await verifier.read.status()).toBe(Status.Healthy);
  });

  it("stale: a backdated round is stale at once; a fresh round heals it", async () => {
    const { verifier, aggregator } = await networkHelpers.loadFixture(defaultSystem);
    const now = BigInt(await networkHelpers.time.latest());
    await mined(
      aggregator.write.submitWithTimestamp([2_000_000n * 10n ** 8n, now - HEARTBEAT - 10n], {
        account: admin,
      }),
    );
    expect(await verifier.read.status()).toBe(Status.Stale);
    await mined(aggregator.write.submit([2_000_000n * 10n ** 8n], { account: admin }));
    expect(await verifier.read.status()).toBe(Status.Healthy);
    expect(await verifier.read.reserves()).toBe(2_000_000n * 10n ** 6n);
  });

  it("precedence: stale beats undercollateralized", async () => {
    const { verifier, token, proxy } = await networkHelpers.loadFixture(defaultSystem);
    await mined(token.write.mint([holder, 500_000n * 10n ** 6n], { account: admin }));
    expect(await verifier.read.status()).toBe(Status.Undercollateralized);
    await networkHelpers.time.increaseTo((await latestUpdatedAt(proxy)) + HEARTBEAT + 1n);
    expect(await verifier.read.status()).toBe(Status.Stale);
    expect((await verifier.read.snapshot()).ratioBps).toBe(7_142n);
  });

  it("zero answer: InvalidAnswer with the phase-encoded round id; snapshot reserves 0", async () => {
    const { verifier, aggregator, proxy } = await networkHelpers.loadFixture(defaultSystem);
    await mined(aggregator.write.submit([0n], { account: admin }));
    const roundId = PHASE1 | 2n;
    expect(await verifier.read.status()).toBe(Status.InvalidAnswer);
    await expectRevert(verifier.read.reserves(), "InvalidAnswer", [0n, roundId]);
    await expectRevert(verifier.read.ratioBps(), "InvalidAnswer", [0n, roundId]);
    await expectRevert(verifier.read.checkMint([0n]), "InvalidAnswer", [0n, roundId]);
    expect(await verifier.read.snapshot()).toEqual({
      status: Status.InvalidAnswer,
      reserves: 0n,
      supply: 900_000n * 10n ** 6n,
      ratioBps: 0n,
      answer: 0n,
      roundId,
      updatedAt: await latestUpdatedAt(proxy),
    });
  });

  it("negative answer: InvalidAnswer, and it beats staleness", async () => {
    const { verifier, aggregator } = await networkHelpers.loadFixture(defaultSystem);
    await mined(aggregator.write.submit([-1n], { account: admin }));
    expect(await verifier.read.status()).toBe(Status.InvalidAnswer);
    await expectRevert(verifier.read.reserves(), "InvalidAnswer", [-1n, PHASE1 | 2n]);
    const now = BigInt(await networkHelpers.time.latest());
    await mined(aggregator.write.submitWithTimestamp([-5n, now - HEARTBEAT - 1n], { account: admin }));
    expect(await verifier.read.status()).toBe(Status.InvalidAnswer);
    await expectRevert(verifier.read.reserves(), "InvalidAnswer", [-5n, PHASE1 | 3n]);
    expect((await verifier.read.snapshot()).answer).toBe(-5n);
  });

  it("incomplete round (answeredInRound < roundId): IncompleteRound; status InvalidAnswer even when stale", async () => {
    const { verifier, aggregator, proxy } = await networkHelpers.loadFixture(defaultSystem);
    const receipt = await mined(
      aggregator.write.submitIncomplete([2_000_000n * 10n ** 8n], { account: admin }),
    );
    const { timestamp } = await publicClient.getBlock({ blockNumber: receipt.blockNumber });
    const args = [PHASE1 | 2n, PHASE1 | 1n, timestamp];
    expect(await verifier.read.status()).toBe(Status.InvalidAnswer);
    await expectRevert(verifier.read.reserves(), "IncompleteRound", args);
    await expectRevert(verifier.read.checkMint([0n]), "IncompleteRound", args);
    const snap = await verifier.read.snapshot();
    expect([snap.status, snap.reserves, snap.roundId, snap.answer]).toEqual([
      Status.InvalidAnswer,
      0n,
      PHASE1 | 2n,
      2_000_000n * 10n ** 8n,
    ]);
    await networkHelpers.time.increaseTo((await latestUpdatedAt(proxy)) + HEARTBEAT + 1n);
    expect(await verifier.read.status()).toBe(Status.InvalidAnswer);
    await expectRevert(verifier.read.reserves(), "IncompleteRound", args);
  });

  it("incomplete round (updatedAt == 0): IncompleteRound", async () => {
    const { verifier, aggregator } = await networkHelpers.loadFixture(defaultSystem);
    await mined(aggregator.write.submitWithTimestamp([1n, 0n], { account: admin }));
    expect(await verifier.read.status()).toBe(Status.InvalidAnswer);
    await expectRevert(verifier.read.reserves(), "IncompleteRound", [PHASE1 | 2n, PHASE1 | 2n, 0n]);
  });

  it("a reverting feed (a contract without the feed functions) reports InvalidAnswer without reverting", async () => {
    const { verifier, token } = await networkHelpers.loadFixture(defaultSystem);
    await mined(verifier.write.setFeed([token.address], { account: admin }));
    expect(await verifier.read.status()).toBe(Status.InvalidAnswer);
    expect(await verifier.read.snapshot()).toEqual({
      status: Status.InvalidAnswer,
      reserves: 0n,
      supply: 900_000n * 10n ** 6n,
      ratioBps: 0n,
      answer: 0n,
      roundId: 0n,
      updatedAt: 0n,
    });
    const revert = await catchRevert(verifier.read.reserves());
    expect(revert.data).toBeUndefined(); // the feed's own (empty) revert is bubbled up
    await catchRevert(verifier.read.checkMint([0n]));
  });

  it("a feed without code (an EOA) reports InvalidAnswer without reverting", async () => {
    const { verifier } = await networkHelpers.loadFixture(defaultSystem);
    await mined(verifier.write.setFeed([stranger.address], { account: admin }));
    expect(await verifier.read.status()).toBe(Status.InvalidAnswer);
    expect((await verifier.read.snapshot()).reserves).toBe(0n);
    await catchRevert(verifier.read.reserves());
  });

  it("feed decimals above 36 after an aggregator swap: UnsupportedDecimals; status InvalidAnswer", async () => {
    const { verifier, proxy } = await networkHelpers.loadFixture(defaultSystem);
    await swapAggregator(proxy, 37, 10n ** 40n);
    expect(await verifier.read.status()).toBe(Status.InvalidAnswer);
    await expectRevert(verifier.read.reserves(), "UnsupportedDecimals", [37]);
    const snap = await verifier.read.snapshot();
    expect([snap.status, snap.reserves, snap.answer, snap.roundId]).toEqual([
      Status.InvalidAnswer,
      0n,
      10n ** 40n,
      (2n << 64n) | 1n,
    ]);
    await swapAggregator(proxy, 255, 1n);
    expect(await verifier.read.status()).toBe(Status.InvalidAnswer);
    await expectRevert(verifier.read.reserves(), "UnsupportedDecimals", [255]);
  });

  it("reads feed decimals at call time: a swap from 8 to 18 decimals keeps the same reserves", async () => {
    const { verifier, proxy } = await networkHelpers.loadFixture(defaultSystem);
    await swapAggregator(proxy, 18, 1_000_000n * 10n ** 18n);
    expect(await verifier.read.reserves()).toBe(1_000_000n * 10n ** 6n);
    expect((await verifier.read.snapshot()).roundId).toBe((2n << 64n) | 1n);
    expect(await verifier.read.status()).toBe(Status.Healthy);
  });

  it("an answer too large to express in token decimals reports InvalidAnswer", async () => {
    const { verifier } = await deploySystem({ feedDecimals: 0, tokenDecimals: 36, answer: MAX_INT256 });
    expect(await verifier.read.status()).toBe(Status.InvalidAnswer);
    await expectRevert(verifier.read.reserves(), "InvalidAnswer", [MAX_INT256, PHASE1 | 1n]);
    expect((await verifier.read.snapshot()).reserves).toBe(0n);
  });

  it("ratioBps saturates at type(uint256).max when reserves * 10_000 / supply does not fit", async () => {
    const { verifier } = await deploySystem({
      feedDecimals: 18,
      tokenDecimals: 18,
      answer: MAX_INT256,
      supply: 1n,
    });
    expect(await verifier.read.reserves()).toBe(MAX_INT256);
    expect(await verifier.read.ratioBps()).toBe(maxUint256);
    expect(await verifier.read.status()).toBe(Status.Healthy);
    expect((await verifier.read.snapshot()).ratioBps).toBe(maxUint256);
  });

  it("1e15 whole tokens from a 0-decimal feed at 36 token decimals do not overflow", async () => {
    const reserves = 10n ** 15n * 10n ** 36n;
    const { verifier } = await deploySystem({
      feedDecimals: 0,
      tokenDecimals: 36,
      answer: 10n ** 15n,
      supply: reserves,
      marginBps: 10_000n,
    });
    expect(await verifier.read.reserves()).toBe(reserves);
    expect(await verifier.read.ratioBps()).toBe(10_000n);
    expect(await verifier.read.status()).toBe(Status.Undercollateralized);
    await expectRevert(verifier.read.checkMint([0n]), "InsufficientReserves", [
      reserves,
      reserves,
      2n * reserves,
    ]);
  });
});

describe("ReserveVerifier: feed decimals x token decimals", () => {
  const cases = [0, 8, 18, 36].flatMap((feedDecimals) =>
    [0, 6, 18, 36].map((tokenDecimals) => ({ feedDecimals, tokenDecimals })),
  );
  it.each(cases)("feed $feedDecimals → token $tokenDecimals", async ({ feedDecimals, tokenDecimals }) => {
    const fd = BigInt(feedDecimals);
    const td = BigInt(tokenDecimals);
    // 1,234,567.333… units: the fraction is truncated when the token has fewer decimals than the feed
    const answer = 1_234_567n * 10n ** fd + 10n ** fd / 3n;
    const expected = (answer * 10n ** td) / 10n ** fd;
    const { verifier, token } = await deploySystem({ feedDecimals, tokenDecimals, answer, supply: expected });
    expect(await verifier.read.normalize([answer, feedDecimals, tokenDecimals])).toBe(expected);
    expect(await verifier.read.reserves()).toBe(expected);
    expect(await verifier.read.ratioBps()).toBe(10_000n);
    expect(await verifier.read.status()).toBe(Status.Healthy);
    expect(await verifier.read.checkMint([0n])).toEqual([expected, expected]);
    await expectRevert(verifier.read.checkMint([1n]), "InsufficientReserves", [
      expected,
      expected + 1n,
      expected + 1n,
    ]);
    await mined(token.write.mint([holder, 1n], { account: admin }));
    expect(await verifier.read.status()).toBe(Status.Undercollateralized);
  });
});

describe("ReserveVerifier: normalize()", () => {
  it("scales up, scales down rounding toward zero, and is the identity for equal decimals", async () => {
    const { verifier } = await networkHelpers.loadFixture(defaultSystem);
    expect(await verifier.read.normalize([123n, 0, 36])).toBe(123n * 10n ** 36n);
    expect(await verifier.read.normalize([123_456_789n, 8, 6])).toBe(1_234_567n);
    expect(await verifier.read.normalize([10n ** 36n - 1n, 36, 0])).toBe(0n);
    expect(await verifier.read.normalize([maxUint256, 18, 18])).toBe(maxUint256);
    expect(await verifier.read.normalize([maxUint256, 36, 0])).toBe(maxUint256 / 10n ** 36n);
  });

  it("reverts with UnsupportedDecimals above 36", async () => {
    const { verifier } = await networkHelpers.loadFixture(defaultSystem);
    await expectRevert(verifier.read.normalize([1n, 37, 6]), "UnsupportedDecimals", [37]);
    await expectRevert(verifier.read.normalize([1n, 6, 37]), "UnsupportedDecimals", [37]);
    await expectRevert(verifier.read.normalize([1n, 255, 255]), "UnsupportedDecimals", [255]);
  });

  it("converts every amount up to floor(max / 1e36) and panics with overflow above it", async () => {
    const { verifier } = await networkHelpers.loadFixture(defaultSystem);
    const bound = maxUint256 / 10n ** 36n;
    expect(bound > 10n ** 41n).toBe(true); // the documented bound: every amount <= 1e41 converts
    expect(await verifier.read.normalize([bound, 0, 36])).toBe(bound * 10n ** 36n);
    await expectOverflowPanic(verifier.read.normalize([bound + 1n, 0, 36]));
    await expectOverflowPanic(verifier.read.normalize([maxUint256, 0, 1]));
  });
});

import hre, { network } from "hardhat";
import {
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  getAddress,
  type Hex,
  keccak256,
  type Log,
  type PrivateKeyAccount,
  parseEventLogs,
  parseSignature,
  recoverAddress,
  serializeSignature,
  stringToBytes,
  toFunctionSelector,
  zeroAddress,
  zeroHash,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import {
  hashReason,
  hashUnpause,
  hashUpdateSigners,
  type SignedRequest,
  signUnpause,
  signUpdateSigners,
  sortAddresses,
  sortSignaturesBySigner,
  type TypedDataSigner,
  type UnpauseRequest,
  type UpdateSignersRequest,
} from "../../keeper/internal/breakerTypedData.ts";

const { viem, networkHelpers } = await network.connect();
const publicClient = await viem.getPublicClient();
const wallets = await viem.getWalletClients();
function wallet(index: number) {
  const client = wallets[index];
  if (client === undefined) throw new Error(`Hardhat wallet client ${index} is missing.`);
  return client;
}
const [admin, keeper, relayer, stranger, walletSigner] = [0, 1, 2, 3, 4].map(wallet) as [
  ReturnType<typeof wallet>,
  ReturnType<typeof wallet>,
  ReturnType<typeof wallet>,
  ReturnType<typeof wallet>,
  ReturnType<typeof wallet>,
];
const chainId = await publicClient.getChainId();
// JSON-RPC accounts come lowercase; contracts and events return checksummed addresses.
const ADMIN = getAddress(admin.account.address);
const KEEPER = getAddress(keeper.account.address);
const RELAYER = getAddress(relayer.account.address);
const STRANGER = getAddress(stranger.account.address);
const WALLET_SIGNER = getAddress(walletSigner.account.address);

const KEEPER_ROLE = keccak256(stringToBytes("KEEPER_ROLE"));
const DEFAULT_ADMIN_ROLE = zeroHash;
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const REASON = hashReason("reserves restored: attestation 2026-11-24 reviewed");
const ONE_DAY = 86_400n;

/** Deterministic test keys (never random: no flaky tests). */
function testAccount(label: string): PrivateKeyAccount {
  return privateKeyToAccount(keccak256(stringToBytes(`reserve-keeper/ReserveCircuitBreaker.test/${label}`)));
}
function byAddress<T extends { address: Address }>(accounts: T[]): T[] {
  return [...accounts].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
}

// Signer set, ascending: s[0] < s[1] < s[2].
const s = byAddress([testAccount("signer-a"), testAccount("signer-b"), testAccount("signer-c")]);
const [s0, s1, s2] = s as [PrivateKeyAccount, PrivateKeyAccount, PrivateKeyAccount];
const signerSet = s.map((a) => a.address);
const outsider = testAccount("outsider");
const newcomers = byAddress([testAccount("new-a"), testAccount("new-b")]);

const breakerAbi = (await hre.artifacts.readArtifact("ReserveCircuitBreaker")).abi;

// ------------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------------

interface DecodedRevert {
  errorName: string;
  args: readonly unknown[];
}

/** Decodes the custom error of a reverted call, transaction or deployment. */
function decodeRevert(error: unknown): DecodedRevert {
  if (!(error instanceof BaseError)) throw error;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError && reverted.data !== undefined) {
    return { errorName: reverted.data.errorName, args: reverted.data.args ?? [] };
  }
  // Deployments carry only raw revert data.
  const raw = error.walk((e) => {
    const data = (e as { data?: unknown }).data;
    return typeof data === "string" && data.startsWith("0x") && data.length >= 10;
  }) as { data: Hex } | null;
  if (raw !== null) {
    const decoded = decodeErrorResult({ abi: breakerAbi, data: raw.data });
    return { errorName: decoded.errorName, args: decoded.args ?? [] };
  }
  throw error;
}

/** Asserts that `promise` reverts with the custom error `errorName` (and `args` when given). */
async function expectRevert(promise: Promise<unknown>, errorName: string, args?: readonly unknown[]) {
  let decoded: DecodedRevert | undefined;
  try {
    await promise;
  } catch (error) {
    decoded = decodeRevert(error);
  }
  expect(decoded, `expected a revert with ${errorName}`).toBeDefined();
  expect(decoded?.errorName).toBe(errorName);
  if (args !== undefined) expect(decoded?.args).toEqual(args);
}

async function receiptOf(hash: Hex) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  expect(receipt.status).toBe("success");
  return receipt;
}

function eventsOf(logs: Log[]) {
  return parseEventLogs({ abi: breakerAbi, logs });
}

async function deployBreaker(
  signers: readonly Address[] = signerSet,
  threshold = 2n,
  keeperAddress: Address = KEEPER,
) {
  return viem.deployContract("ReserveCircuitBreaker", [
    zeroAddress,
    ADMIN,
    keeperAddress,
    [...signers],
    threshold,
  ]);
}
type Breaker = Awaited<ReturnType<typeof deployBreaker>>;

async function unpauseRequest(
  breaker: Breaker,
  overrides: Partial<UnpauseRequest> = {},
): Promise<UnpauseRequest> {
  return {
    breaker: breaker.address,
    chainId,
    nonce: await breaker.read.nonce(),
    deadline: BigInt(await networkHelpers.time.latest()) + ONE_DAY,
    reasonHash: REASON,
    ...overrides,
  };
}

async function updateRequest(
  breaker: Breaker,
  newSigners: readonly Address[],
  threshold: bigint,
  overrides: Partial<UpdateSignersRequest> = {},
): Promise<UpdateSignersRequest> {
  return {
    breaker: breaker.address,
    chainId,
    nonce: await breaker.read.nonce(),
    deadline: BigInt(await networkHelpers.time.latest()) + ONE_DAY,
    signers: newSigners,
    threshold,
    ...overrides,
  };
}

async function signAllUnpause(signers: readonly TypedDataSigner[], request: UnpauseRequest) {
  return Promise.all(signers.map((signer) => signUnpause(signer, request)));
}

async function signAllUpdate(signers: readonly TypedDataSigner[], request: UpdateSignersRequest) {
  return Promise.all(signers.map((signer) => signUpdateSigners(signer, request)));
}

/** Who `signature` recovers to over `digest` (what the breaker sees for a mis-bound signature). */
function recoveredBy(digest: Hex, signature: Hex) {
  return recoverAddress({ hash: digest, signature });
}

async function pauseBreaker(breaker: Breaker) {
  await receiptOf(await breaker.write.pause(["test pause", 90n, 100n], { account: keeper.account }));
}

async function unpauseWith(breaker: Breaker, request: UnpauseRequest, signatures: Hex[]) {
  return breaker.write.unpause([request.reasonHash, request.deadline, signatures], {
    account: relayer.account,
  });
}

// ------------------------------------------------------------------------------------------------
// Fixtures
// ------------------------------------------------------------------------------------------------

async function deployed() {
  return { breaker: await deployBreaker() };
}

async function pausedBreaker() {
  const breaker = await deployBreaker();
  await pauseBreaker(breaker);
  return { breaker };
}

async function twoBreakersPaused() {
  const breaker = await deployBreaker();
  const other = await deployBreaker();
  await pauseBreaker(breaker);
  await pauseBreaker(other);
  return { breaker, other };
}

/** Real verifier stack: DevPorAggregator (8 decimals) behind DevAggregatorProxy, 6-decimal token, 1:1 backed. */
const FEED_DECIMALS = 8;
const TOKEN_UNIT = 10n ** 6n;
const FEED_UNIT = 10n ** 8n;
const HEARTBEAT = 3_600n;
const BACKING = 1_000_000n;

async function withVerifier() {
  const token = await viem.deployContract("ReserveBackedStablecoin", ["Reserve USD", "USDX", 6, ADMIN]);
  const aggregator = await viem.deployContract("DevPorAggregator", [
    FEED_DECIMALS,
    BACKING * FEED_UNIT,
    "USDX PoR",
    ADMIN,
  ]);
  const proxy = await viem.deployContract("DevAggregatorProxy", [aggregator.address, ADMIN]);
  const verifier = await viem.deployContract("ReserveVerifier", [
    proxy.address,
    token.address,
    HEARTBEAT,
    0n,
    ADMIN,
  ]);
  await receiptOf(
    await token.write.grantRole([await token.read.MINTER_ROLE(), ADMIN], { account: admin.account }),
  );
  await receiptOf(await token.write.mint([STRANGER, BACKING * TOKEN_UNIT], { account: admin.account }));
  const breaker = await viem.deployContract("ReserveCircuitBreaker", [
    verifier.address,
    ADMIN,
    KEEPER,
    signerSet,
    2n,
  ]);
  return { token, aggregator, proxy, verifier, breaker };
}

// ------------------------------------------------------------------------------------------------
// Tests
// ------------------------------------------------------------------------------------------------

describe("ReserveCircuitBreaker", () => {
  describe("constructor", () => {
    it("sets roles, signer set, threshold, nonce, verifier and the EIP-712 domain", async () => {
      const { breaker } = await networkHelpers.loadFixture(deployed);
      expect(await breaker.read.KEEPER_ROLE()).toBe(KEEPER_ROLE);
      expect(await breaker.read.MAX_SIGNERS()).toBe(16n);
      expect(await breaker.read.hasRole([DEFAULT_ADMIN_ROLE, ADMIN])).toBe(true);
      expect(await breaker.read.hasRole([KEEPER_ROLE, KEEPER])).toBe(true);
      expect(await breaker.read.hasRole([KEEPER_ROLE, ADMIN])).toBe(false);
      expect(await breaker.read.signers()).toEqual(signerSet);
      expect(await breaker.read.threshold()).toBe(2n);
      expect(await breaker.read.nonce()).toBe(0n);
      expect(await breaker.read.verifier()).toBe(zeroAddress);
      expect(await breaker.read.paused()).toBe(false);
      for (const account of s) expect(await breaker.read.isSigner([account.address])).toBe(true);
      expect(await breaker.read.isSigner([outsider.address])).toBe(false);
      expect(await breaker.read.isSigner([zeroAddress])).toBe(false);

      const [fields, name, version, domainChainId, verifyingContract, salt, extensions] =
        await breaker.read.eip712Domain();
      expect(fields).toBe("0x0f");
      expect(name).toBe("ReserveCircuitBreaker");
      expect(version).toBe("1");
      expect(domainChainId).toBe(BigInt(chainId));
      expect(verifyingContract.toLowerCase()).toBe(breaker.address.toLowerCase());
      expect(salt).toBe(zeroHash);
      expect(extensions).toEqual([]);
    });

    it("exposes the EIP-712 type hashes", async () => {
      const { breaker } = await networkHelpers.loadFixture(deployed);
      expect(await breaker.read.UNPAUSE_TYPEHASH()).toBe(
        keccak256(
          stringToBytes(
            "Unpause(address breaker,uint256 chainId,uint256 nonce,uint256 deadline,bytes32 reasonHash)",
          ),
        ),
      );
      expect(await breaker.read.UPDATE_SIGNERS_TYPEHASH()).toBe(
        keccak256(
          stringToBytes(
            "UpdateSigners(address breaker,uint256 chainId,uint256 nonce,uint256 deadline,address[] signers,uint256 threshold)",
          ),
        ),
      );
    });

    it("emits RoleGranted for admin and keeper and VerifierChanged", async () => {
      const verifierAddress = testAccount("some-verifier").address;
      const { contract, deploymentTransaction } = await viem.sendDeploymentTransaction(
        "ReserveCircuitBreaker",
        [verifierAddress, ADMIN, KEEPER, signerSet, 2n],
      );
      const receipt = await receiptOf(deploymentTransaction.hash);
      const events = eventsOf(receipt.logs).map((e) => ({ eventName: e.eventName, args: e.args }));
      expect(events).toEqual([
        {
          eventName: "RoleGranted",
          args: { role: DEFAULT_ADMIN_ROLE, account: ADMIN, sender: ADMIN },
        },
        {
          eventName: "RoleGranted",
          args: { role: KEEPER_ROLE, account: KEEPER, sender: ADMIN },
        },
        {
          eventName: "VerifierChanged",
          args: { previousVerifier: zeroAddress, newVerifier: verifierAddress },
        },
      ]);
      expect(await contract.read.verifier()).toBe(verifierAddress);
    });

    it("grants no keeper role when keeper is address(0)", async () => {
      const { contract, deploymentTransaction } = await viem.sendDeploymentTransaction(
        "ReserveCircuitBreaker",
        [zeroAddress, ADMIN, zeroAddress, signerSet, 2n],
      );
      const receipt = await receiptOf(deploymentTransaction.hash);
      const granted = eventsOf(receipt.logs).filter((e) => e.eventName === "RoleGranted");
      expect(granted).toHaveLength(1);
      expect(await contract.read.hasRole([KEEPER_ROLE, zeroAddress])).toBe(false);
    });

    it("accepts 1-of-1 and 16-of-16 signer sets", async () => {
      const one = await deployBreaker([s0.address], 1n);
      expect(await one.read.signers()).toEqual([s0.address]);
      const sixteen = sortAddresses(Array.from({ length: 16 }, (_, i) => testAccount(`many-${i}`).address));
      const big = await deployBreaker(sixteen, 16n);
      expect(await big.read.signers()).toEqual(sixteen);
      expect(await big.read.threshold()).toBe(16n);
    });

    it("rejects invalid signer sets with InvalidSignerSet(size)", async () => {
      const seventeen = sortAddresses(Array.from({ length: 17 }, (_, i) => testAccount(`many-${i}`).address));
      await expectRevert(deployBreaker([], 1n), "InvalidSignerSet", [0n]);
      await expectRevert(deployBreaker(seventeen, 1n), "InvalidSignerSet", [17n]);
      await expectRevert(deployBreaker([zeroAddress, s0.address], 1n), "InvalidSignerSet", [2n]);
      await expectRevert(deployBreaker([s1.address, s0.address], 1n), "InvalidSignerSet", [2n]);
      await expectRevert(deployBreaker([s0.address, s0.address], 1n), "InvalidSignerSet", [2n]);
      await expectRevert(deployBreaker([s0.address, s2.address, s1.address], 1n), "InvalidSignerSet", [3n]);
    });

    it("rejects a threshold outside 1..n with InvalidThreshold(threshold, n)", async () => {
      await expectRevert(deployBreaker(signerSet, 0n), "InvalidThreshold", [0n, 3n]);
      await expectRevert(deployBreaker(signerSet, 4n), "InvalidThreshold", [4n, 3n]);
    });

    it("supports ERC-165 for IReserveCircuitBreaker and IAccessControl", async () => {
      const { breaker } = await networkHelpers.loadFixture(deployed);
      const interfaceId = async (name: string) => {
        const { abi } = await hre.artifacts.readArtifact(name);
        let id = 0n;
        for (const item of abi) {
          if (item.type === "function") id ^= BigInt(toFunctionSelector(item));
        }
        return `0x${id.toString(16).padStart(8, "0")}` as Hex;
      };
      expect(await breaker.read.supportsInterface([await interfaceId("IReserveCircuitBreaker")])).toBe(true);
      expect(await breaker.read.supportsInterface(["0x7965db0b"])).toBe(true); // IAccessControl
      expect(await breaker.read.supportsInterface(["0x01ffc9a7"])).toBe(true);
      expect(await breaker.read.supportsInterface(["0xffffffff"])).toBe(false);
    });
  });

  describe("pause", () => {
    it("pauses, returns true and emits Paused and BreakerPaused", async () => {
      const { breaker } = await networkHelpers.loadFixture(deployed);
      const { result } = await breaker.simulate.pause(["PoR below supply", 990n, 1_000n], {
        account: KEEPER,
      });
      expect(result).toBe(true);
      const receipt = await receiptOf(
        await breaker.write.pause(["PoR below supply", 990n, 1_000n], { account: keeper.account }),
      );
      expect(eventsOf(receipt.logs).map((e) => ({ eventName: e.eventName, args: e.args }))).toEqual([
        { eventName: "Paused", args: { account: KEEPER } },
        {
          eventName: "BreakerPaused",
          args: { by: KEEPER, reason: "PoR below supply", observedReserves: 990n, observedSupply: 1_000n },
        },
      ]);
      expect(await breaker.read.paused()).toBe(true);
    });

    it("returns false without an event or a revert when already paused", async () => {
      const { breaker } = await networkHelpers.loadFixture(pausedBreaker);
      const { result } = await breaker.simulate.pause(["again", 1n, 2n], { account: KEEPER });
      expect(result).toBe(false);
      const receipt = await receiptOf(
        await breaker.write.pause(["again", 1n, 2n], { account: keeper.account }),
      );
      expect(receipt.logs).toHaveLength(0);
      expect(await breaker.read.paused()).toBe(true);
    });

    it("reverts AccessControlUnauthorizedAccount for accounts without KEEPER_ROLE (admin included)", async () => {
      const { breaker } = await networkHelpers.loadFixture(deployed);
      for (const account of [stranger, admin, relayer]) {
        await expectRevert(
          breaker.write.pause(["x", 0n, 0n], { account: account.account }),
          "AccessControlUnauthorizedAccount",
          [getAddress(account.account.address), KEEPER_ROLE],
        );
      }
      // Signers have no special power either.
      await expectRevert(
        breaker.simulate.pause(["x", 0n, 0n], { account: s0.address }),
        "AccessControlUnauthorizedAccount",
        [s0.address, KEEPER_ROLE],
      );
    });

    it("follows KEEPER_ROLE grants and revocations", async () => {
      const { breaker } = await networkHelpers.loadFixture(deployed);
      await receiptOf(await breaker.write.grantRole([KEEPER_ROLE, STRANGER], { account: admin.account }));
      await receiptOf(await breaker.write.revokeRole([KEEPER_ROLE, KEEPER], { account: admin.account }));
      await expectRevert(
        breaker.write.pause(["x", 0n, 0n], { account: keeper.account }),
        "AccessControlUnauthorizedAccount",
        [KEEPER, KEEPER_ROLE],
      );
      await receiptOf(await breaker.write.pause(["x", 0n, 0n], { account: stranger.account }));
      expect(await breaker.read.paused()).toBe(true);
    });
  });

  describe("trip (no verifier)", () => {
    it("reverts NoVerifier when the verifier is address(0)", async () => {
      const { breaker } = await networkHelpers.loadFixture(deployed);
      await expectRevert(breaker.write.trip({ account: stranger.account }), "NoVerifier", []);
    });
  });

  describe("unpause", () => {
    it("unpauses with a valid 2-of-3 quorum and emits Unpaused and BreakerUnpaused", async () => {
      const { breaker } = await networkHelpers.loadFixture(pausedBreaker);
      const request = await unpauseRequest(breaker);
      const signatures = sortSignaturesBySigner(await signAllUnpause([s2, s0], request));
      const receipt = await receiptOf(await unpauseWith(breaker, request, signatures));
      expect(eventsOf(receipt.logs).map((e) => ({ eventName: e.eventName, args: e.args }))).toEqual([
        { eventName: "Unpaused", args: { account: RELAYER } },
        {
          eventName: "BreakerUnpaused",
          args: {
            submittedBy: RELAYER,
            nonce: 0n,
            reasonHash: REASON,
            signers: [s0.address, s2.address],
          },
        },
      ]);
      expect(await breaker.read.paused()).toBe(false);
      expect(await breaker.read.nonce()).toBe(1n);
    });

    it("accepts every 2-of-3 pair and all three signers", async () => {
      for (const group of [
        [s0, s1],
        [s0, s2],
        [s1, s2],
        [s0, s1, s2],
      ]) {
        const { breaker } = await networkHelpers.loadFixture(pausedBreaker);
        const request = await unpauseRequest(breaker);
        const receipt = await receiptOf(
          await unpauseWith(breaker, request, sortSignaturesBySigner(await signAllUnpause(group, request))),
        );
        const [unpaused] = parseEventLogs({
          abi: breakerAbi,
          logs: receipt.logs,
          eventName: "BreakerUnpaused",
        });
        expect(unpaused?.args.signers).toEqual(group.map((a) => a.address));
        expect(await breaker.read.paused()).toBe(false);
      }
    });

    it("can be submitted by any non-keeper account, admin included", async () => {
      const { breaker } = await networkHelpers.loadFixture(pausedBreaker);
      const request = await unpauseRequest(breaker);
      const signatures = sortSignaturesBySigner(await signAllUnpause([s0, s1], request));
      await receiptOf(
        await breaker.write.unpause([request.reasonHash, request.deadline, signatures], {
          account: admin.account,
        }),
      );
      expect(await breaker.read.paused()).toBe(false);
    });

    it("reverts InsufficientSignatures when one signature short (and with none)", async () => {
      const { breaker } = await networkHelpers.loadFixture(pausedBreaker);
      const request = await unpauseRequest(breaker);
      const [one] = sortSignaturesBySigner(await signAllUnpause([s1], request));
      await expectRevert(unpauseWith(breaker, request, [one!]), "InsufficientSignatures", [1n, 2n]);
      await expectRevert(unpauseWith(breaker, request, []), "InsufficientSignatures", [0n, 2n]);
    });

    it("reverts SignersNotAscending for a duplicate signer", async () => {
      const { breaker } = await networkHelpers.loadFixture(pausedBreaker);
      const request = await unpauseRequest(breaker);
      const { signature } = await signUnpause(s1, request);
      await expectRevert(unpauseWith(breaker, request, [signature, signature]), "SignersNotAscending", [
        s1.address,
        s1.address,
        1n,
      ]);
    });

    it("reverts SignersNotAscending for signatures in the wrong order", async () => {
      const { breaker } = await networkHelpers.loadFixture(pausedBreaker);
      const request = await unpauseRequest(breaker);
      const [a, b] = sortSignaturesBySigner(await signAllUnpause([s0, s2], request));
      await expectRevert(unpauseWith(breaker, request, [b!, a!]), "SignersNotAscending", [
        s2.address,
        s0.address,
        1n,
      ]);
    });

    it("reverts UnknownSigner for a signature of a non-signer", async () => {
      const { breaker } = await networkHelpers.loadFixture(pausedBreaker);
      const request = await unpauseRequest(breaker);
      const signed = await signAllUnpause([s0, s1, outsider], request);
      const ordered = [...signed].sort((x, y) => (BigInt(x.signer) < BigInt(y.signer) ? -1 : 1));
      const index = ordered.findIndex((x) => x.signer === outsider.address);
      await expectRevert(
        unpauseWith(
          breaker,
          request,
          ordered.map((x) => x.signature),
        ),
        "UnknownSigner",
        [outsider.address, BigInt(index)],
      );
      // Even when the valid signatures alone would reach the threshold, the outsider fails the call.
      const outsiderFirst = [
        await signUnpause(outsider, request),
        ...(await signAllUnpause([s0, s1], request)),
      ];
      await expectRevert(
        unpauseWith(
          breaker,
          request,
          outsiderFirst.map((x) => x.signature),
        ),
        "UnknownSigner",
        [outsider.address, 0n],
      );
    });

    it("reverts ExpiredSignature after the deadline and accepts block.timestamp == deadline", async () => {
      const { breaker } = await networkHelpers.loadFixture(pausedBreaker);
      const deadline = BigInt(await networkHelpers.time.latest()) + 100n;
      const request = await unpauseRequest(breaker, { deadline });
      const signatures = sortSignaturesBySigner(await signAllUnpause([s0, s1], request));

      await networkHelpers.time.setNextBlockTimestamp(deadline + 1n);
      await expectRevert(unpauseWith(breaker, request, signatures), "ExpiredSignature", [
        deadline,
        deadline + 1n,
      ]);

      const { breaker: fresh } = await networkHelpers.loadFixture(pausedBreaker);
      const onTime = await unpauseRequest(fresh, { deadline });
      await networkHelpers.time.setNextBlockTimestamp(deadline);
      await receiptOf(
        await unpauseWith(fresh, onTime, sortSignaturesBySigner(await signAllUnpause([s0, s1], onTime))),
      );
      expect(await fresh.read.paused()).toBe(false);
    });

    it("rejects replayed signatures: the nonce is consumed", async () => {
      const { breaker } = await networkHelpers.loadFixture(pausedBreaker);
      const request = await unpauseRequest(breaker);
      const signatures = sortSignaturesBySigner(await signAllUnpause([s0, s1], request));
      await receiptOf(await unpauseWith(breaker, request, signatures));
      await pauseBreaker(breaker);

      const digestNow = await breaker.read.unpauseDigest([1n, request.deadline, request.reasonHash]);
      await expectRevert(unpauseWith(breaker, request, signatures), "UnknownSigner", [
        await recoveredBy(digestNow, signatures[0]!),
        0n,
      ]);
      expect(await breaker.read.paused()).toBe(true);
      expect(await breaker.read.nonce()).toBe(1n);
    });

    it("rejects signatures for a future nonce", async () => {
      const { breaker } = await networkHelpers.loadFixture(pausedBreaker);
      const request = await unpauseRequest(breaker, { nonce: 1n });
      const signatures = sortSignaturesBySigner(await signAllUnpause([s0, s1], request));
      const digest = await breaker.read.unpauseDigest([0n, request.deadline, request.reasonHash]);
      await expectRevert(unpauseWith(breaker, request, signatures), "UnknownSigner", [
        await recoveredBy(digest, signatures[0]!),
        0n,
      ]);
    });

    it("rejects signatures made for another chain id", async () => {
      const { breaker } = await networkHelpers.loadFixture(pausedBreaker);
      const request = await unpauseRequest(breaker);
      const foreign = { ...request, chainId: 1 };
      const signatures = sortSignaturesBySigner(await signAllUnpause([s0, s1], foreign));
      const digest = await breaker.read.unpauseDigest([request.nonce, request.deadline, request.reasonHash]);
      expect(digest).toBe(hashUnpause(request));
      expect(digest).not.toBe(hashUnpause(foreign));
      await expectRevert(unpauseWith(breaker, request, signatures), "UnknownSigner", [
        await recoveredBy(digest, signatures[0]!),
        0n,
      ]);
    });

    it("rejects signatures made for another breaker with the same signers", async () => {
      const { breaker, other } = await networkHelpers.loadFixture(twoBreakersPaused);
      const request = await unpauseRequest(breaker);
      const signatures = sortSignaturesBySigner(await signAllUnpause([s0, s1], request));
      const otherDigest = await other.read.unpauseDigest([0n, request.deadline, request.reasonHash]);
      await expectRevert(unpauseWith(other, request, signatures), "UnknownSigner", [
        await recoveredBy(otherDigest, signatures[0]!),
        0n,
      ]);
      // They still unpause the breaker they were made for.
      await receiptOf(await unpauseWith(breaker, request, signatures));
      expect(await breaker.read.paused()).toBe(false);
      expect(await other.read.paused()).toBe(true);
    });

    it("rejects signatures over another reason hash or deadline than submitted", async () => {
      const { breaker } = await networkHelpers.loadFixture(pausedBreaker);
      const request = await unpauseRequest(breaker);
      const signatures = sortSignaturesBySigner(await signAllUnpause([s0, s1], request));
      const otherReason = hashReason("something else");
      const digestReason = await breaker.read.unpauseDigest([0n, request.deadline, otherReason]);
      await expectRevert(
        breaker.write.unpause([otherReason, request.deadline, signatures], { account: relayer.account }),
        "UnknownSigner",
        [await recoveredBy(digestReason, signatures[0]!), 0n],
      );
      const digestDeadline = await breaker.read.unpauseDigest([
        0n,
        request.deadline + 1n,
        request.reasonHash,
      ]);
      await expectRevert(
        breaker.write.unpause([request.reasonHash, request.deadline + 1n, signatures], {
          account: relayer.account,
        }),
        "UnknownSigner",
        [await recoveredBy(digestDeadline, signatures[0]!), 0n],
      );
    });

    it("rejects a signer-set update signature used as an unpause signature", async () => {
      const { breaker } = await networkHelpers.loadFixture(pausedBreaker);
      const request = await unpauseRequest(breaker);
      const update = await updateRequest(breaker, signerSet, 2n, { deadline: request.deadline });
      const signatures = sortSignaturesBySigner(await signAllUpdate([s0, s1], update));
      await expectRevert(unpauseWith(breaker, request, signatures), "UnknownSigner", [
        await recoveredBy(hashUnpause(request), signatures[0]!),
        0n,
      ]);
    });

    it("reverts KeeperCannotUnpause for the keeper, even with valid signatures", async () => {
      const { breaker } = await networkHelpers.loadFixture(pausedBreaker);
      const request = await unpauseRequest(breaker);
      const signatures = sortSignaturesBySigner(await signAllUnpause([s0, s1, s2], request));
      await expectRevert(
        breaker.write.unpause([request.reasonHash, request.deadline, signatures], {
          account: keeper.account,
        }),
        "KeeperCannotUnpause",
        [KEEPER],
      );
      expect(await breaker.read.paused()).toBe(true);
      expect(await breaker.read.nonce()).toBe(0n);
      // The same signatures are still good for anyone else.
      await receiptOf(await unpauseWith(breaker, request, signatures));
      expect(await breaker.read.paused()).toBe(false);
    });

    it("reverts KeeperCannotUnpause for any account granted KEEPER_ROLE, and checks it before the pause state", async () => {
      const { breaker } = await networkHelpers.loadFixture(deployed);
      await receiptOf(await breaker.write.grantRole([KEEPER_ROLE, RELAYER], { account: admin.account }));
      await expectRevert(
        breaker.write.unpause([REASON, 0n, []], { account: keeper.account }),
        "KeeperCannotUnpause",
        [KEEPER],
      );
      await expectRevert(
        breaker.write.unpause([REASON, 0n, []], { account: relayer.account }),
        "KeeperCannotUnpause",
        [RELAYER],
      );
    });

    it("reverts ExpectedPause when not paused", async () => {
      const { breaker } = await networkHelpers.loadFixture(deployed);
      const request = await unpauseRequest(breaker);
      const signatures = sortSignaturesBySigner(await signAllUnpause([s0, s1], request));
      await expectRevert(unpauseWith(breaker, request, signatures), "ExpectedPause", []);
      expect(await breaker.read.nonce()).toBe(0n);
    });

    it("rejects malleable (high-s) signatures with ECDSAInvalidSignatureS", async () => {
      const { breaker } = await networkHelpers.loadFixture(pausedBreaker);
      const request = await unpauseRequest(breaker);
      const [low0, low1] = sortSignaturesBySigner(await signAllUnpause([s0, s1], request));
      const { r, s: sValue, yParity } = parseSignature(low1!);
      const highS = `0x${(SECP256K1_N - BigInt(sValue)).toString(16).padStart(64, "0")}` as Hex;
      const malleable = serializeSignature({ r, s: highS, yParity: yParity === 0 ? 1 : 0 });
      // The twin signature recovers to the same signer with plain ecrecover...
      expect(await recoveredBy(hashUnpause(request), malleable)).toBe(s1.address);
      // ...but OpenZeppelin's ECDSA rejects it.
      await expectRevert(unpauseWith(breaker, request, [low0!, malleable]), "ECDSAInvalidSignatureS", [
        highS,
      ]);
    });

    it("rejects malformed signatures with OpenZeppelin's ECDSA errors", async () => {
      const { breaker } = await networkHelpers.loadFixture(pausedBreaker);
      const request = await unpauseRequest(breaker);
      const [good0, good1] = sortSignaturesBySigner(await signAllUnpause([s0, s1], request));
      // 64-byte (ERC-2098 compact) and empty signatures are not accepted.
      const { r, s: sValue, yParity } = parseSignature(good1!);
      const compact =
        `0x${r.slice(2)}${(BigInt(sValue) | (BigInt(yParity ?? 0) << 255n)).toString(16).padStart(64, "0")}` as Hex;
      await expectRevert(unpauseWith(breaker, request, [good0!, compact]), "ECDSAInvalidSignatureLength", [
        64n,
      ]);
      await expectRevert(unpauseWith(breaker, request, ["0x", good1!]), "ECDSAInvalidSignatureLength", [0n]);
      // r = s = 0 recovers to address(0).
      const zeroSig = `0x${"00".repeat(64)}1b` as Hex;
      await expectRevert(unpauseWith(breaker, request, [zeroSig, good1!]), "ECDSAInvalidSignature", []);
    });

    it("rejects an EIP-191 personal_sign of the digest (not the typed data)", async () => {
      const { breaker } = await networkHelpers.loadFixture(pausedBreaker);
      const request = await unpauseRequest(breaker);
      const digest = hashUnpause(request);
      const personal: SignedRequest[] = await Promise.all(
        [s0, s1].map(async (a) => ({
          signer: a.address,
          signature: await a.signMessage({ message: { raw: digest } }),
        })),
      );
      const signatures = sortSignaturesBySigner(personal);
      await expectRevert(unpauseWith(breaker, request, signatures), "UnknownSigner", [
        await recoveredBy(digest, signatures[0]!),
        0n,
      ]);
    });

    it("unpauseDigest matches the EIP-712 hash computed off-chain for any nonce", async () => {
      const { breaker } = await networkHelpers.loadFixture(deployed);
      for (const nonce of [0n, 1n, 7n, 2n ** 255n]) {
        const request = await unpauseRequest(breaker, { nonce, deadline: 123n });
        expect(await breaker.read.unpauseDigest([nonce, 123n, REASON])).toBe(hashUnpause(request));
      }
    });

    it("accepts signatures from a JSON-RPC wallet client (eth_signTypedData_v4)", async () => {
      const { breaker } = await networkHelpers.loadFixture(deployed);
      const set = sortAddresses([WALLET_SIGNER, s0.address]);
      const rotate = await updateRequest(breaker, set, 2n);
      await receiptOf(
        await breaker.write.updateSigners(
          [set, 2n, rotate.deadline, sortSignaturesBySigner(await signAllUpdate([s0, s1], rotate))],
          { account: relayer.account },
        ),
      );
      await pauseBreaker(breaker);
      const request = await unpauseRequest(breaker);
      const signed = await signAllUnpause([walletSigner, s0], request);
      expect(signed[0]?.signer).toBe(WALLET_SIGNER);
      await receiptOf(await unpauseWith(breaker, request, sortSignaturesBySigner(signed)));
      expect(await breaker.read.paused()).toBe(false);
    });
  });

  describe("updateSigners", () => {
    async function rotate(breaker: Breaker, newSigners: readonly Address[], threshold: bigint, by = s) {
      const request = await updateRequest(breaker, newSigners, threshold);
      const signatures = sortSignaturesBySigner(await signAllUpdate(by, request));
      return breaker.write.updateSigners([[...newSigners], threshold, request.deadline, signatures], {
        account: relayer.account,
      });
    }

    it("rotates the set with a quorum of the current set and emits SignerSetChanged", async () => {
      const { breaker } = await networkHelpers.loadFixture(deployed);
      const newSet = sortAddresses([s2.address, ...newcomers.map((a) => a.address)]);
      const request = await updateRequest(breaker, newSet, 2n);
      const signatures = sortSignaturesBySigner(await signAllUpdate([s1, s0], request));
      const receipt = await receiptOf(
        await breaker.write.updateSigners([newSet, 2n, request.deadline, signatures], {
          account: relayer.account,
        }),
      );
      expect(eventsOf(receipt.logs).map((e) => ({ eventName: e.eventName, args: e.args }))).toEqual([
        { eventName: "SignerSetChanged", args: { nonce: 0n, signers: newSet, threshold: 2n } },
      ]);
      expect(await breaker.read.signers()).toEqual(newSet);
      expect(await breaker.read.threshold()).toBe(2n);
      expect(await breaker.read.nonce()).toBe(1n);
      expect(await breaker.read.isSigner([s0.address])).toBe(false);
      expect(await breaker.read.isSigner([s1.address])).toBe(false);
      expect(await breaker.read.isSigner([s2.address])).toBe(true);
      for (const a of newcomers) expect(await breaker.read.isSigner([a.address])).toBe(true);
    });

    it("after a rotation the removed signers no longer count and the new ones do", async () => {
      const { breaker } = await networkHelpers.loadFixture(deployed);
      const newSet = sortAddresses([s2.address, ...newcomers.map((a) => a.address)]);
      await receiptOf(await rotate(breaker, newSet, 2n));
      await pauseBreaker(breaker);

      const request = await unpauseRequest(breaker);
      // Old quorum s0 + s1: s0 is no longer a signer.
      const old = sortSignaturesBySigner(await signAllUnpause([s0, s1], request));
      await expectRevert(unpauseWith(breaker, request, old), "UnknownSigner", [s0.address, 0n]);
      // Old signers cannot rotate the set back either.
      const back = await updateRequest(breaker, signerSet, 2n);
      await expectRevert(
        breaker.write.updateSigners(
          [signerSet, 2n, back.deadline, sortSignaturesBySigner(await signAllUpdate([s0, s1], back))],
          { account: relayer.account },
        ),
        "UnknownSigner",
        [s0.address, 0n],
      );
      // New quorum (a newcomer and the remaining s2) works.
      const fresh = sortSignaturesBySigner(await signAllUnpause([newcomers[0]!, s2], request));
      await receiptOf(await unpauseWith(breaker, request, fresh));
      expect(await breaker.read.paused()).toBe(false);
    });

    it("changes only the threshold", async () => {
      const { breaker } = await networkHelpers.loadFixture(deployed);
      await receiptOf(await rotate(breaker, signerSet, 3n, [s0, s1]));
      expect(await breaker.read.threshold()).toBe(3n);
      expect(await breaker.read.signers()).toEqual(signerSet);
      await pauseBreaker(breaker);
      const request = await unpauseRequest(breaker);
      await expectRevert(
        unpauseWith(breaker, request, sortSignaturesBySigner(await signAllUnpause([s0, s1], request))),
        "InsufficientSignatures",
        [2n, 3n],
      );
      await receiptOf(
        await unpauseWith(breaker, request, sortSignaturesBySigner(await signAllUnpause(s, request))),
      );
      expect(await breaker.read.paused()).toBe(false);

      // Lowering to 1-of-3 needs the current 3-of-3.
      await expectRevert(rotate(breaker, signerSet, 1n, [s0, s1]), "InsufficientSignatures", [2n, 3n]);
      await receiptOf(await rotate(breaker, signerSet, 1n, s));
      await pauseBreaker(breaker);
      const single = await unpauseRequest(breaker);
      await receiptOf(await unpauseWith(breaker, single, [(await signUnpause(s1, single)).signature]));
      expect(await breaker.read.paused()).toBe(false);
    });

    it("works while paused without unpausing, and may be submitted by anyone including the keeper", async () => {
      const { breaker } = await networkHelpers.loadFixture(pausedBreaker);
      const request = await updateRequest(breaker, signerSet, 3n);
      const signatures = sortSignaturesBySigner(await signAllUpdate([s0, s2], request));
      await receiptOf(
        await breaker.write.updateSigners([signerSet, 3n, request.deadline, signatures], {
          account: keeper.account,
        }),
      );
      expect(await breaker.read.paused()).toBe(true);
      expect(await breaker.read.threshold()).toBe(3n);
      expect(await breaker.read.nonce()).toBe(1n);
    });

    it("reverts ExpiredSignature after the deadline", async () => {
      const { breaker } = await networkHelpers.loadFixture(deployed);
      const deadline = BigInt(await networkHelpers.time.latest()) + 50n;
      const request = await updateRequest(breaker, signerSet, 3n, { deadline });
      const signatures = sortSignaturesBySigner(await signAllUpdate([s0, s1], request));
      await networkHelpers.time.setNextBlockTimestamp(deadline + 1n);
      await expectRevert(
        breaker.write.updateSigners([signerSet, 3n, deadline, signatures], { account: relayer.account }),
        "ExpiredSignature",
        [deadline, deadline + 1n],
      );
    });

    it("enforces the quorum rules: short, duplicate, order, non-signer, new-set signers", async () => {
      const { breaker } = await networkHelpers.loadFixture(deployed);
      const newSet = sortAddresses(newcomers.map((a) => a.address));
      const request = await updateRequest(breaker, newSet, 1n);
      const submit = (signatures: Hex[]) =>
        breaker.write.updateSigners([newSet, 1n, request.deadline, signatures], { account: relayer.account });
      const [sig0, sig1] = sortSignaturesBySigner(await signAllUpdate([s0, s1], request));

      await expectRevert(submit([sig0!]), "InsufficientSignatures", [1n, 2n]);
      await expectRevert(submit([sig1!, sig1!]), "SignersNotAscending", [s1.address, s1.address, 1n]);
      await expectRevert(submit([sig1!, sig0!]), "SignersNotAscending", [s1.address, s0.address, 1n]);
      const { signature: outsiderSig } = await signUpdateSigners(outsider, request);
      await expectRevert(submit([outsiderSig, sig1!]), "UnknownSigner", [outsider.address, 0n]);
      // The incoming signers cannot authorise their own appointment.
      const incoming = await signAllUpdate(newcomers, request);
      await expectRevert(submit(sortSignaturesBySigner(incoming)), "UnknownSigner", [
        newcomers[0]!.address,
        0n,
      ]);
      expect(await breaker.read.signers()).toEqual(signerSet);
      expect(await breaker.read.nonce()).toBe(0n);
    });

    it("rejects signatures over different signers or threshold than submitted", async () => {
      const { breaker } = await networkHelpers.loadFixture(deployed);
      const request = await updateRequest(breaker, signerSet, 2n);
      const signatures = sortSignaturesBySigner(await signAllUpdate([s0, s1], request));
      const wantSet = [s0.address, s1.address];
      const digestSet = await breaker.read.updateSignersDigest([0n, request.deadline, wantSet, 2n]);
      await expectRevert(
        breaker.write.updateSigners([wantSet, 2n, request.deadline, signatures], {
          account: relayer.account,
        }),
        "UnknownSigner",
        [await recoveredBy(digestSet, signatures[0]!), 0n],
      );
      const digestThreshold = await breaker.read.updateSignersDigest([0n, request.deadline, signerSet, 1n]);
      await expectRevert(
        breaker.write.updateSigners([signerSet, 1n, request.deadline, signatures], {
          account: relayer.account,
        }),
        "UnknownSigner",
        [await recoveredBy(digestThreshold, signatures[0]!), 0n],
      );
    });

    it("rejects invalid new sets with InvalidSignerSet / InvalidThreshold even with a valid quorum", async () => {
      const { breaker } = await networkHelpers.loadFixture(deployed);
      const seventeen = sortAddresses(Array.from({ length: 17 }, (_, i) => testAccount(`many-${i}`).address));
      const cases: [readonly Address[], bigint, string, readonly unknown[]][] = [
        [[], 1n, "InvalidSignerSet", [0n]],
        [seventeen, 1n, "InvalidSignerSet", [17n]],
        [[s1.address, s0.address], 1n, "InvalidSignerSet", [2n]],
        [[s0.address, s0.address], 1n, "InvalidSignerSet", [2n]],
        [[zeroAddress, s0.address], 1n, "InvalidSignerSet", [2n]],
        [signerSet, 0n, "InvalidThreshold", [0n, 3n]],
        [signerSet, 4n, "InvalidThreshold", [4n, 3n]],
      ];
      for (const [newSet, threshold, errorName, args] of cases) {
        await expectRevert(rotate(breaker, newSet, threshold, [s0, s1]), errorName, args);
      }
      expect(await breaker.read.signers()).toEqual(signerSet);
      expect(await breaker.read.threshold()).toBe(2n);
      expect(await breaker.read.nonce()).toBe(0n);
    });

    it("consumes the shared nonce: replays fail and pending unpause requests are invalidated", async () => {
      const { breaker } = await networkHelpers.loadFixture(pausedBreaker);
      const pendingUnpause = await unpauseRequest(breaker);
      const unpauseSigs = sortSignaturesBySigner(await signAllUnpause([s0, s1], pendingUnpause));

      const request = await updateRequest(breaker, signerSet, 2n);
      const signatures = sortSignaturesBySigner(await signAllUpdate([s0, s1], request));
      await receiptOf(
        await breaker.write.updateSigners([signerSet, 2n, request.deadline, signatures], {
          account: relayer.account,
        }),
      );
      const replayDigest = await breaker.read.updateSignersDigest([1n, request.deadline, signerSet, 2n]);
      await expectRevert(
        breaker.write.updateSigners([signerSet, 2n, request.deadline, signatures], {
          account: relayer.account,
        }),
        "UnknownSigner",
        [await recoveredBy(replayDigest, signatures[0]!), 0n],
      );
      const unpauseDigest = await breaker.read.unpauseDigest([1n, pendingUnpause.deadline, REASON]);
      await expectRevert(unpauseWith(breaker, pendingUnpause, unpauseSigs), "UnknownSigner", [
        await recoveredBy(unpauseDigest, unpauseSigs[0]!),
        0n,
      ]);
    });

    it("updateSignersDigest matches the EIP-712 hash computed off-chain", async () => {
      const { breaker } = await networkHelpers.loadFixture(deployed);
      for (const [nonce, set, threshold] of [
        [0n, signerSet, 2n],
        [5n, [s0.address], 1n],
        [9n, [], 0n],
      ] as const) {
        const request = await updateRequest(breaker, set, threshold, { nonce, deadline: 77n });
        expect(await breaker.read.updateSignersDigest([nonce, 77n, [...set], threshold])).toBe(
          hashUpdateSigners(request),
        );
      }
    });
  });

  describe("setVerifier", () => {
    it("lets the admin change the verifier and emits VerifierChanged", async () => {
      const { breaker } = await networkHelpers.loadFixture(deployed);
      const first = testAccount("verifier-1").address;
      const receipt = await receiptOf(await breaker.write.setVerifier([first], { account: admin.account }));
      expect(eventsOf(receipt.logs).map((e) => ({ eventName: e.eventName, args: e.args }))).toEqual([
        { eventName: "VerifierChanged", args: { previousVerifier: zeroAddress, newVerifier: first } },
      ]);
      expect(await breaker.read.verifier()).toBe(first);

      const cleared = await receiptOf(
        await breaker.write.setVerifier([zeroAddress], { account: admin.account }),
      );
      expect(eventsOf(cleared.logs).map((e) => e.args)).toEqual([
        { previousVerifier: first, newVerifier: zeroAddress },
      ]);
      await expectRevert(breaker.write.trip({ account: stranger.account }), "NoVerifier", []);
    });

    it("reverts AccessControlUnauthorizedAccount for non-admins (keeper and signers included)", async () => {
      const { breaker } = await networkHelpers.loadFixture(deployed);
      for (const account of [keeper, stranger, relayer]) {
        await expectRevert(
          breaker.write.setVerifier([STRANGER], { account: account.account }),
          "AccessControlUnauthorizedAccount",
          [getAddress(account.account.address), DEFAULT_ADMIN_ROLE],
        );
      }
      await expectRevert(
        breaker.simulate.setVerifier([STRANGER], { account: s0.address }),
        "AccessControlUnauthorizedAccount",
        [s0.address, DEFAULT_ADMIN_ROLE],
      );
    });
  });

  describe("access control", () => {
    it("only the admin grants and revokes KEEPER_ROLE", async () => {
      const { breaker } = await networkHelpers.loadFixture(deployed);
      await expectRevert(
        breaker.write.grantRole([KEEPER_ROLE, STRANGER], { account: keeper.account }),
        "AccessControlUnauthorizedAccount",
        [KEEPER, DEFAULT_ADMIN_ROLE],
      );
      await expectRevert(
        breaker.write.revokeRole([KEEPER_ROLE, KEEPER], { account: stranger.account }),
        "AccessControlUnauthorizedAccount",
        [STRANGER, DEFAULT_ADMIN_ROLE],
      );
    });

    it("a keeper may renounce its role, after which it can submit unpause signatures", async () => {
      const { breaker } = await networkHelpers.loadFixture(pausedBreaker);
      await receiptOf(await breaker.write.renounceRole([KEEPER_ROLE, KEEPER], { account: keeper.account }));
      const request = await unpauseRequest(breaker);
      const signatures = sortSignaturesBySigner(await signAllUnpause([s0, s1], request));
      await receiptOf(
        await breaker.write.unpause([request.reasonHash, request.deadline, signatures], {
          account: keeper.account,
        }),
      );
      expect(await breaker.read.paused()).toBe(false);
    });
  });
  describe("trip", () => {
    /** The BreakerTripped the breaker should emit for the verifier's current reading. */
    async function expectedTrip(
      proxy: Awaited<ReturnType<typeof withVerifier>>["proxy"],
      status: number,
      reserves: bigint,
      supply: bigint,
    ) {
      const [roundId, , , updatedAt] = await proxy.read.latestRoundData();
      return { by: STRANGER, status, reserves, supply, roundId, updatedAt };
    }

    async function tripEvents(hash: Hex) {
      const receipt = await receiptOf(hash);
      return eventsOf(receipt.logs).map((e) => ({ eventName: e.eventName, args: e.args }));
    }

    it("reverts ReservesHealthy(reserves, supply, ratioBps) while the verifier reports Healthy", async () => {
      const { breaker, verifier } = await networkHelpers.loadFixture(withVerifier);
      expect(await verifier.read.status()).toBe(0);
      await expectRevert(breaker.write.trip({ account: stranger.account }), "ReservesHealthy", [
        BACKING * TOKEN_UNIT,
        BACKING * TOKEN_UNIT,
        10_000n,
      ]);
      expect(await breaker.read.paused()).toBe(false);
    });

    it("lets anyone trip when undercollateralized, emitting Paused and BreakerTripped", async () => {
      const { breaker, aggregator, proxy, verifier } = await networkHelpers.loadFixture(withVerifier);
      await receiptOf(
        await aggregator.write.submit([(BACKING - 1n) * FEED_UNIT], { account: admin.account }),
      );
      expect(await verifier.read.status()).toBe(1);
      const { result } = await breaker.simulate.trip({ account: STRANGER });
      expect(result).toBe(true);
      const expected = await expectedTrip(proxy, 1, (BACKING - 1n) * TOKEN_UNIT, BACKING * TOKEN_UNIT);
      // Phase-encoded proxy round id: phase 1, aggregator round 2.
      expect(expected.roundId).toBe((1n << 64n) | 2n);
      expect(await tripEvents(await breaker.write.trip({ account: stranger.account }))).toEqual([
        { eventName: "Paused", args: { account: STRANGER } },
        { eventName: "BreakerTripped", args: expected },
      ]);
      expect(await breaker.read.paused()).toBe(true);
    });

    it("trips on a stale answer (reserves still reported)", async () => {
      const { breaker, proxy, verifier } = await networkHelpers.loadFixture(withVerifier);
      await networkHelpers.time.increase(HEARTBEAT + 1n);
      expect(await verifier.read.status()).toBe(2);
      const expected = await expectedTrip(proxy, 2, BACKING * TOKEN_UNIT, BACKING * TOKEN_UNIT);
      expect(await tripEvents(await breaker.write.trip({ account: stranger.account }))).toEqual([
        { eventName: "Paused", args: { account: STRANGER } },
        { eventName: "BreakerTripped", args: expected },
      ]);
    });

    it("trips on an invalid (zero) answer and on an incomplete round", async () => {
      const { breaker, aggregator, proxy } = await networkHelpers.loadFixture(withVerifier);
      await receiptOf(await aggregator.write.submit([0n], { account: admin.account }));
      const zero = await expectedTrip(proxy, 3, 0n, BACKING * TOKEN_UNIT);
      expect(await tripEvents(await breaker.write.trip({ account: stranger.account }))).toEqual([
        { eventName: "Paused", args: { account: STRANGER } },
        { eventName: "BreakerTripped", args: zero },
      ]);

      const fresh = await networkHelpers.loadFixture(withVerifier);
      await receiptOf(
        await fresh.aggregator.write.submitIncomplete([BACKING * FEED_UNIT], { account: admin.account }),
      );
      expect(await fresh.verifier.read.status()).toBe(3);
      const { result } = await fresh.breaker.simulate.trip({ account: STRANGER });
      expect(result).toBe(true);
    });

    it("returns false without events when already paused and still unhealthy", async () => {
      const { breaker, aggregator } = await networkHelpers.loadFixture(withVerifier);
      await pauseBreaker(breaker);
      await receiptOf(await aggregator.write.submit([1n], { account: admin.account }));
      const { result } = await breaker.simulate.trip({ account: STRANGER });
      expect(result).toBe(false);
      const receipt = await receiptOf(await breaker.write.trip({ account: stranger.account }));
      expect(receipt.logs).toHaveLength(0);
      expect(await breaker.read.paused()).toBe(true);
    });

    it("still reverts ReservesHealthy when paused but healthy (the health check comes first)", async () => {
      const { breaker } = await networkHelpers.loadFixture(withVerifier);
      await pauseBreaker(breaker);
      await expectRevert(breaker.write.trip({ account: stranger.account }), "ReservesHealthy", [
        BACKING * TOKEN_UNIT,
        BACKING * TOKEN_UNIT,
        10_000n,
      ]);
    });

    it("re-trips after a quorum unpause while reserves are still short", async () => {
      const { breaker, aggregator } = await networkHelpers.loadFixture(withVerifier);
      await receiptOf(await aggregator.write.submit([BACKING * FEED_UNIT - 1n], { account: admin.account }));
      await receiptOf(await breaker.write.trip({ account: stranger.account }));
      const request = await unpauseRequest(breaker);
      await receiptOf(
        await unpauseWith(breaker, request, sortSignaturesBySigner(await signAllUnpause([s0, s1], request))),
      );
      expect(await breaker.read.paused()).toBe(false);
      await receiptOf(await breaker.write.trip({ account: stranger.account }));
      expect(await breaker.read.paused()).toBe(true);
    });

    it("follows setVerifier: address(0) disables trip(), a new verifier re-enables it", async () => {
      const { breaker, aggregator, verifier } = await networkHelpers.loadFixture(withVerifier);
      await receiptOf(await aggregator.write.submit([1n], { account: admin.account }));
      await receiptOf(await breaker.write.setVerifier([zeroAddress], { account: admin.account }));
      await expectRevert(breaker.write.trip({ account: stranger.account }), "NoVerifier", []);
      await receiptOf(await breaker.write.setVerifier([verifier.address], { account: admin.account }));
      await receiptOf(await breaker.write.trip({ account: stranger.account }));
      expect(await breaker.read.paused()).toBe(true);
    });
  });
});

import { network } from "hardhat";
import { keccak256, maxUint256, toHex, zeroAddress } from "viem";
import { describe, expect, it } from "vitest";
import { eventsOf, getWallets, jurisdiction, Operation, Reason, revertOf } from "./helpers/stack.ts";

const { viem, networkHelpers } = await network.connect();
const publicClient = await viem.getPublicClient();
const [admin, officer, alice, bob, carol, stranger] = await getWallets(viem);
if (!admin || !officer || !alice || !bob || !carol || !stranger) throw new Error("Not enough accounts.");

const COMPLIANCE_ROLE = keccak256(toHex("COMPLIANCE_ROLE"));
const DEFAULT_ADMIN_ROLE = `0x${"00".repeat(32)}` as const;
const US = jurisdiction("US");
const KP = jurisdiction("KP");
const DE = jurisdiction("DE");
const YEAR = 365n * 24n * 3600n;

type Record = { kycTier: number; jurisdiction: `0x${string}`; qualifiedParty: boolean; expiresAt: bigint };

async function now() {
  return BigInt(await networkHelpers.time.latest());
}

function record(overrides: Partial<Record> & { expiresAt: bigint }): Record {
  return { kycTier: 1, jurisdiction: US, qualifiedParty: false, ...overrides };
}

async function deployGate() {
  const gate = await viem.deployContract("ComplianceGate", [
    admin!.account.address,
    officer!.account.address,
  ]);
  return gate;
}

async function deployWithRecords() {
  const gate = await deployGate();
  const expiresAt = (await now()) + YEAR;
  await gate.write.setRecords(
    [
      [alice!.account.address, bob!.account.address],
      [
        record({ kycTier: 2, expiresAt }),
        record({ kycTier: 1, jurisdiction: DE, qualifiedParty: true, expiresAt }),
      ],
    ],
    { account: officer!.account },
  );
  return { gate, expiresAt };
}

describe("ComplianceGate", () => {
  describe("constructor", () => {
    it("grants the roles and sets the defaults", async () => {
      const gate = await networkHelpers.loadFixture(deployGate);
      expect(await gate.read.COMPLIANCE_ROLE()).toBe(COMPLIANCE_ROLE);
      expect(await gate.read.DEFAULT_MIN_KYC_TIER()).toBe(1);
      expect(await gate.read.hasRole([DEFAULT_ADMIN_ROLE, admin.account.address])).toBe(true);
      expect(await gate.read.hasRole([COMPLIANCE_ROLE, officer.account.address])).toBe(true);
      expect(await gate.read.hasRole([COMPLIANCE_ROLE, admin.account.address])).toBe(false);
      for (const op of Object.values(Operation)) expect(await gate.read.minKycTier([op])).toBe(1);
      expect(await gate.read.qualifiedPartyThreshold()).toBe(maxUint256);
      expect(await gate.read.isJurisdictionBlocked([US])).toBe(false);
      expect(await gate.read.recordOf([alice.account.address])).toEqual({
        kycTier: 0,
        jurisdiction: "0x0000",
        qualifiedParty: false,
        expiresAt: 0n,
      });
    });

    it("emits the default configuration", async () => {
      const { contract, deploymentTransaction } = await viem.sendDeploymentTransaction("ComplianceGate", [
        admin.account.address,
        officer.account.address,
      ]);
      const tiers = await eventsOf(publicClient, deploymentTransaction.hash, contract.abi, "MinKycTierSet");
      expect(tiers.map((e) => e.args)).toEqual([
        { operation: Operation.Mint, tier: 1 },
        { operation: Operation.Redeem, tier: 1 },
        { operation: Operation.Transfer, tier: 1 },
      ]);
      const [threshold] = await eventsOf(
        publicClient,
        deploymentTransaction.hash,
        contract.abi,
        "QualifiedPartyThresholdSet",
      );
      expect(threshold?.args).toEqual({ amount: maxUint256 });
    });

    it("reverts with ZeroAddress for a zero admin or officer", async () => {
      const gate = await networkHelpers.loadFixture(deployGate);
      for (const args of [
        [zeroAddress, officer.account.address],
        [admin.account.address, zeroAddress],
      ] as const) {
        expect(await revertOf(viem.deployContract("ComplianceGate", [...args]), gate.abi)).toEqual({
          errorName: "ZeroAddress",
          args: [],
        });
      }
    });
  });

  describe("setRecords", () => {
    it("stores each record and emits RecordSet per account", async () => {
      const gate = await networkHelpers.loadFixture(deployGate);
      const expiresAt = (await now()) + YEAR;
      const a = record({ kycTier: 3, jurisdiction: US, qualifiedParty: true, expiresAt });
      const b = record({ kycTier: 1, jurisdiction: DE, expiresAt: expiresAt + 1n });
      const hash = await gate.write.setRecords(
        [
          [alice.account.address, bob.account.address],
          [a, b],
        ],
        {
          account: officer.account,
        },
      );
      const events = await eventsOf(publicClient, hash, gate.abi, "RecordSet");
      expect(events.map((e) => e.args)).toEqual([
        { account: alice.account.address, ...a },
        { account: bob.account.address, ...b },
      ]);
      expect(await gate.read.recordOf([alice.account.address])).toEqual(a);
      expect(await gate.read.recordOf([bob.account.address])).toEqual(b);
    });

    it("replaces an existing record", async () => {
      const { gate, expiresAt } = await networkHelpers.loadFixture(deployWithRecords);
      const replacement = record({ kycTier: 5, jurisdiction: KP, expiresAt: expiresAt + 10n });
      await gate.write.setRecords([[alice.account.address], [replacement]], { account: officer.account });
      expect(await gate.read.recordOf([alice.account.address])).toEqual(replacement);
    });

    it("accepts an empty batch", async () => {
      const gate = await networkHelpers.loadFixture(deployGate);
      const hash = await gate.write.setRecords([[], []], { account: officer.account });
      expect(await eventsOf(publicClient, hash, gate.abi, "RecordSet")).toEqual([]);
    });

    it("reverts with LengthMismatch", async () => {
      const gate = await networkHelpers.loadFixture(deployGate);
      const r = record({ expiresAt: (await now()) + YEAR });
      expect(
        await revertOf(
          gate.write.setRecords([[alice.account.address, bob.account.address], [r]], {
            account: officer.account,
          }),
        ),
      ).toEqual({ errorName: "LengthMismatch", args: [2n, 1n] });
    });

    it.each([
      ["lowercase", "us"],
      ["mixed case", "Us"],
      ["digit", "U1"],
      ["just below A", "@A"],
      ["just above Z", "A["],
      ["one letter", "U"],
      ["empty", ""],
    ])(
      "reverts with InvalidJurisdiction for a %s code (%s), leaving the batch unapplied",
      async (_, code) => {
        const gate = await networkHelpers.loadFixture(deployGate);
        const expiresAt = (await now()) + YEAR;
        expect(
          await revertOf(
            gate.write.setRecords(
              [
                [alice.account.address, bob.account.address],
                [record({ expiresAt }), record({ jurisdiction: jurisdiction(code), expiresAt })],
              ],
              { account: officer.account },
            ),
          ),
        ).toEqual({ errorName: "InvalidJurisdiction", args: [jurisdiction(code)] });
        expect((await gate.read.recordOf([alice.account.address])).kycTier).toBe(0);
      },
    );

    it("accepts the boundary letters A and Z", async () => {
      const gate = await networkHelpers.loadFixture(deployGate);
      const expiresAt = (await now()) + YEAR;
      await gate.write.setRecords(
        [
          [alice.account.address, bob.account.address],
          [
            record({ jurisdiction: jurisdiction("AZ"), expiresAt }),
            record({ jurisdiction: jurisdiction("ZA"), expiresAt }),
          ],
        ],
        { account: officer.account },
      );
      expect((await gate.read.recordOf([bob.account.address])).jurisdiction).toBe(jurisdiction("ZA"));
    });

    it("reverts for an account without COMPLIANCE_ROLE (including the admin)", async () => {
      const gate = await networkHelpers.loadFixture(deployGate);
      const r = record({ expiresAt: (await now()) + YEAR });
      for (const caller of [stranger, admin]) {
        expect(
          await revertOf(gate.write.setRecords([[alice.account.address], [r]], { account: caller.account })),
        ).toEqual({
          errorName: "AccessControlUnauthorizedAccount",
          args: [caller.account.address, COMPLIANCE_ROLE],
        });
      }
    });
  });

  describe("clearRecords", () => {
    it("deletes records and emits RecordCleared per account", async () => {
      const { gate } = await networkHelpers.loadFixture(deployWithRecords);
      const hash = await gate.write.clearRecords([[alice.account.address, carol.account.address]], {
        account: officer.account,
      });
      const events = await eventsOf(publicClient, hash, gate.abi, "RecordCleared");
      expect(events.map((e) => e.args)).toEqual([
        { account: alice.account.address },
        { account: carol.account.address },
      ]);
      expect((await gate.read.recordOf([alice.account.address])).expiresAt).toBe(0n);
      expect(await gate.read.check([alice.account.address, Operation.Mint, 1n])).toEqual([
        false,
        Reason.NoRecord,
      ]);
      expect((await gate.read.recordOf([bob.account.address])).kycTier).toBe(1);
    });

    it("reverts for an account without COMPLIANCE_ROLE", async () => {
      const { gate } = await networkHelpers.loadFixture(deployWithRecords);
      expect(
        await revertOf(gate.write.clearRecords([[alice.account.address]], { account: stranger.account })),
      ).toEqual({
        errorName: "AccessControlUnauthorizedAccount",
        args: [stranger.account.address, COMPLIANCE_ROLE],
      });
    });
  });

  describe("setJurisdictionsBlocked", () => {
    it("blocks and unblocks codes and emits JurisdictionBlockedSet per code", async () => {
      const gate = await networkHelpers.loadFixture(deployGate);
      const hash = await gate.write.setJurisdictionsBlocked([[KP, US], true], { account: officer.account });
      const events = await eventsOf(publicClient, hash, gate.abi, "JurisdictionBlockedSet");
      expect(events.map((e) => e.args)).toEqual([
        { jurisdiction: KP, blocked: true },
        { jurisdiction: US, blocked: true },
      ]);
      expect(await gate.read.isJurisdictionBlocked([KP])).toBe(true);
      expect(await gate.read.isJurisdictionBlocked([US])).toBe(true);
      expect(await gate.read.isJurisdictionBlocked([DE])).toBe(false);

      const unblock = await gate.write.setJurisdictionsBlocked([[US], false], { account: officer.account });
      const [unblocked] = await eventsOf(publicClient, unblock, gate.abi, "JurisdictionBlockedSet");
      expect(unblocked?.args).toEqual({ jurisdiction: US, blocked: false });
      expect(await gate.read.isJurisdictionBlocked([US])).toBe(false);
      expect(await gate.read.isJurisdictionBlocked([KP])).toBe(true);
    });

    it("reverts with InvalidJurisdiction and applies nothing", async () => {
      const gate = await networkHelpers.loadFixture(deployGate);
      for (const bad of ["kp", "K1", ""]) {
        expect(
          await revertOf(
            gate.write.setJurisdictionsBlocked([[KP, jurisdiction(bad)], true], { account: officer.account }),
          ),
        ).toEqual({ errorName: "InvalidJurisdiction", args: [jurisdiction(bad)] });
      }
      expect(await gate.read.isJurisdictionBlocked([KP])).toBe(false);
    });

    it("reverts for an account without COMPLIANCE_ROLE", async () => {
      const gate = await networkHelpers.loadFixture(deployGate);
      expect(
        await revertOf(gate.write.setJurisdictionsBlocked([[KP], true], { account: stranger.account })),
      ).toEqual({
        errorName: "AccessControlUnauthorizedAccount",
        args: [stranger.account.address, COMPLIANCE_ROLE],
      });
    });
  });

  describe("setMinKycTier", () => {
    it("sets the tier of one operation and emits MinKycTierSet", async () => {
      const gate = await networkHelpers.loadFixture(deployGate);
      const hash = await gate.write.setMinKycTier([Operation.Redeem, 3], { account: officer.account });
      const [event] = await eventsOf(publicClient, hash, gate.abi, "MinKycTierSet");
      expect(event?.args).toEqual({ operation: Operation.Redeem, tier: 3 });
      expect(await gate.read.minKycTier([Operation.Redeem])).toBe(3);
      expect(await gate.read.minKycTier([Operation.Mint])).toBe(1);
      expect(await gate.read.minKycTier([Operation.Transfer])).toBe(1);
    });

    it("reverts for an account without COMPLIANCE_ROLE", async () => {
      const gate = await networkHelpers.loadFixture(deployGate);
      expect(
        await revertOf(gate.write.setMinKycTier([Operation.Mint, 0], { account: stranger.account })),
      ).toEqual({
        errorName: "AccessControlUnauthorizedAccount",
        args: [stranger.account.address, COMPLIANCE_ROLE],
      });
    });
  });

  describe("setQualifiedPartyThreshold", () => {
    it("sets the threshold and emits QualifiedPartyThresholdSet", async () => {
      const gate = await networkHelpers.loadFixture(deployGate);
      const hash = await gate.write.setQualifiedPartyThreshold([1_000_000n], { account: officer.account });
      const [event] = await eventsOf(publicClient, hash, gate.abi, "QualifiedPartyThresholdSet");
      expect(event?.args).toEqual({ amount: 1_000_000n });
      expect(await gate.read.qualifiedPartyThreshold()).toBe(1_000_000n);
    });

    it("reverts for an account without COMPLIANCE_ROLE", async () => {
      const gate = await networkHelpers.loadFixture(deployGate);
      expect(
        await revertOf(gate.write.setQualifiedPartyThreshold([0n], { account: stranger.account })),
      ).toEqual({
        errorName: "AccessControlUnauthorizedAccount",
        args: [stranger.account.address, COMPLIANCE_ROLE],
      });
    });
  });

  describe("check and requireAllowed", () => {
    async function expectReason(
      gate: Awaited<ReturnType<typeof deployGate>>,
      account: `0x${string}`,
      operation: number,
      amount: bigint,
      reason: number,
    ) {
      expect(await gate.read.check([account, operation, amount])).toEqual([reason === Reason.None, reason]);
      if (reason === Reason.None) {
        await gate.read.requireAllowed([account, operation, amount]);
      } else {
        expect(await revertOf(gate.read.requireAllowed([account, operation, amount]))).toEqual({
          errorName: "ComplianceCheckFailed",
          args: [account, operation, amount, reason],
        });
      }
    }

    it("allows a valid record for every operation", async () => {
      const { gate } = await networkHelpers.loadFixture(deployWithRecords);
      for (const op of Object.values(Operation)) {
        await expectReason(gate, alice.account.address, op, 10n ** 30n, Reason.None);
      }
    });

    it("NoRecord for an account without a record", async () => {
      const { gate } = await networkHelpers.loadFixture(deployWithRecords);
      await expectReason(gate, carol.account.address, Operation.Mint, 1n, Reason.NoRecord);
      await expectReason(gate, zeroAddress, Operation.Redeem, 1n, Reason.NoRecord);
    });

    it("NoRecord takes precedence even when minKycTier is 0", async () => {
      const { gate } = await networkHelpers.loadFixture(deployWithRecords);
      await gate.write.setMinKycTier([Operation.Mint, 0], { account: officer.account });
      await expectReason(gate, carol.account.address, Operation.Mint, 1n, Reason.NoRecord);
    });

    it("RecordExpired at and after expiresAt, allowed one second before", async () => {
      const { gate, expiresAt } = await networkHelpers.loadFixture(deployWithRecords);
      await networkHelpers.time.increaseTo(expiresAt - 1n);
      await expectReason(gate, alice.account.address, Operation.Mint, 1n, Reason.None);
      await networkHelpers.time.increaseTo(expiresAt);
      await expectReason(gate, alice.account.address, Operation.Mint, 1n, Reason.RecordExpired);
      await networkHelpers.time.increase(1000);
      await expectReason(gate, alice.account.address, Operation.Mint, 1n, Reason.RecordExpired);
    });

    it("RecordExpired for a tiered record with expiresAt 0", async () => {
      const gate = await networkHelpers.loadFixture(deployGate);
      await gate.write.setRecords([[alice.account.address], [record({ kycTier: 2, expiresAt: 0n })]], {
        account: officer.account,
      });
      await expectReason(gate, alice.account.address, Operation.Mint, 1n, Reason.RecordExpired);
    });

    it("a tier-0 record with an expiry exists: KycTierTooLow, allowed when the minimum is 0", async () => {
      const gate = await networkHelpers.loadFixture(deployGate);
      await gate.write.setRecords(
        [[alice.account.address], [record({ kycTier: 0, expiresAt: (await now()) + YEAR })]],
        {
          account: officer.account,
        },
      );
      await expectReason(gate, alice.account.address, Operation.Transfer, 1n, Reason.KycTierTooLow);
      await gate.write.setMinKycTier([Operation.Transfer, 0], { account: officer.account });
      await expectReason(gate, alice.account.address, Operation.Transfer, 1n, Reason.None);
    });

    it("JurisdictionBlocked when the record's jurisdiction is blocked", async () => {
      const { gate } = await networkHelpers.loadFixture(deployWithRecords);
      await gate.write.setJurisdictionsBlocked([[US], true], { account: officer.account });
      await expectReason(gate, alice.account.address, Operation.Redeem, 1n, Reason.JurisdictionBlocked);
      await expectReason(gate, bob.account.address, Operation.Redeem, 1n, Reason.None);
    });

    it("KycTierTooLow per operation", async () => {
      const { gate } = await networkHelpers.loadFixture(deployWithRecords);
      await gate.write.setMinKycTier([Operation.Mint, 3], { account: officer.account });
      await expectReason(gate, alice.account.address, Operation.Mint, 1n, Reason.KycTierTooLow);
      await expectReason(gate, alice.account.address, Operation.Redeem, 1n, Reason.None);
      await gate.write.setMinKycTier([Operation.Mint, 2], { account: officer.account });
      await expectReason(gate, alice.account.address, Operation.Mint, 1n, Reason.None);
    });

    it("QualifiedPartyRequired at and above the threshold for a non-QP", async () => {
      const { gate } = await networkHelpers.loadFixture(deployWithRecords);
      await gate.write.setQualifiedPartyThreshold([1_000n], { account: officer.account });
      await expectReason(gate, alice.account.address, Operation.Mint, 999n, Reason.None);
      await expectReason(gate, alice.account.address, Operation.Mint, 1_000n, Reason.QualifiedPartyRequired);
      await expectReason(
        gate,
        alice.account.address,
        Operation.Transfer,
        maxUint256,
        Reason.QualifiedPartyRequired,
      );
      await expectReason(gate, bob.account.address, Operation.Mint, 1_000n, Reason.None);
      await expectReason(gate, bob.account.address, Operation.Mint, maxUint256, Reason.None);
    });

    it("threshold 0 requires a QP for every amount; the default max disables the rule except at max", async () => {
      const { gate } = await networkHelpers.loadFixture(deployWithRecords);
      await expectReason(gate, alice.account.address, Operation.Mint, maxUint256 - 1n, Reason.None);
      await expectReason(
        gate,
        alice.account.address,
        Operation.Mint,
        maxUint256,
        Reason.QualifiedPartyRequired,
      );
      await gate.write.setQualifiedPartyThreshold([0n], { account: officer.account });
      await expectReason(gate, alice.account.address, Operation.Mint, 0n, Reason.QualifiedPartyRequired);
    });

    it("evaluates the rules in order: expired > blocked > tier > qualified party", async () => {
      const gate = await networkHelpers.loadFixture(deployGate);
      const expiresAt = (await now()) + 100n;
      // alice fails every rule; bob fails all but expiry; carol fails tier and QP only.
      await gate.write.setRecords(
        [
          [alice.account.address, bob.account.address, carol.account.address],
          [
            record({ kycTier: 0, jurisdiction: KP, expiresAt }),
            record({ kycTier: 0, jurisdiction: KP, expiresAt: expiresAt + YEAR }),
            record({ kycTier: 0, jurisdiction: US, expiresAt: expiresAt + YEAR }),
          ],
        ],
        { account: officer.account },
      );
      await gate.write.setJurisdictionsBlocked([[KP], true], { account: officer.account });
      await gate.write.setQualifiedPartyThreshold([1n], { account: officer.account });
      await networkHelpers.time.increaseTo(expiresAt);
      await expectReason(gate, alice.account.address, Operation.Mint, 5n, Reason.RecordExpired);
      await expectReason(gate, bob.account.address, Operation.Mint, 5n, Reason.JurisdictionBlocked);
      await expectReason(gate, carol.account.address, Operation.Mint, 5n, Reason.KycTierTooLow);
      await gate.write.setMinKycTier([Operation.Mint, 0], { account: officer.account });
      await expectReason(gate, carol.account.address, Operation.Mint, 5n, Reason.QualifiedPartyRequired);
      await expectReason(gate, carol.account.address, Operation.Mint, 0n, Reason.None);
    });
  });
});

import { network } from "hardhat";
import { getAddress, keccak256, parseSignature, toFunctionSelector, toHex, zeroAddress } from "viem";
import { describe, expect, it } from "vitest";
import { eventsOf, getWallets, revertOf } from "./helpers/stack.ts";

const { viem, networkHelpers } = await network.connect();
const publicClient = await viem.getPublicClient();
const [admin, minter, burner, alice, bob, stranger] = await getWallets(viem);
if (!admin || !minter || !burner || !alice || !bob || !stranger) throw new Error("Not enough accounts.");

const MINTER_ROLE = keccak256(toHex("MINTER_ROLE"));
const BURNER_ROLE = keccak256(toHex("BURNER_ROLE"));
const DEFAULT_ADMIN_ROLE = `0x${"00".repeat(32)}` as const;

function interfaceId(signatures: string[]): `0x${string}` {
  const id = signatures.reduce((acc, sig) => acc ^ Number.parseInt(toFunctionSelector(sig).slice(2), 16), 0);
  return `0x${(id >>> 0).toString(16).padStart(8, "0")}`;
}

async function deployToken() {
  const token = await viem.deployContract("ReserveBackedStablecoin", [
    "Reserve USD",
    "rUSD",
    6,
    admin!.account.address,
  ]);
  await token.write.grantRole([MINTER_ROLE, minter!.account.address], { account: admin!.account });
  await token.write.grantRole([BURNER_ROLE, burner!.account.address], { account: admin!.account });
  return token;
}

async function deployFunded() {
  const token = await deployToken();
  await token.write.mint([alice!.account.address, 1_000_000n], { account: minter!.account });
  return token;
}

describe("ReserveBackedStablecoin", () => {
  describe("constructor", () => {
    it("sets name, symbol, decimals and the admin", async () => {
      const token = await networkHelpers.loadFixture(deployToken);
      expect(await token.read.name()).toBe("Reserve USD");
      expect(await token.read.symbol()).toBe("rUSD");
      expect(await token.read.decimals()).toBe(6);
      expect(await token.read.DEFAULT_DECIMALS()).toBe(6);
      expect(await token.read.MAX_DECIMALS()).toBe(36);
      expect(await token.read.totalSupply()).toBe(0n);
      expect(await token.read.hasRole([DEFAULT_ADMIN_ROLE, admin.account.address])).toBe(true);
      expect(await token.read.hasRole([MINTER_ROLE, admin.account.address])).toBe(false);
      expect(await token.read.hasRole([BURNER_ROLE, admin.account.address])).toBe(false);
    });

    it("exposes the role ids", async () => {
      const token = await networkHelpers.loadFixture(deployToken);
      expect(await token.read.MINTER_ROLE()).toBe(MINTER_ROLE);
      expect(await token.read.BURNER_ROLE()).toBe(BURNER_ROLE);
    });

    it("accepts other decimals up to 36", async () => {
      const t18 = await viem.deployContract("ReserveBackedStablecoin", ["A", "A", 18, admin.account.address]);
      expect(await t18.read.decimals()).toBe(18);
      const t36 = await viem.deployContract("ReserveBackedStablecoin", ["B", "B", 36, admin.account.address]);
      expect(await t36.read.decimals()).toBe(36);
      const t0 = await viem.deployContract("ReserveBackedStablecoin", ["C", "C", 0, admin.account.address]);
      expect(await t0.read.decimals()).toBe(0);
    });

    it("reverts with UnsupportedDecimals above 36", async () => {
      const token = await networkHelpers.loadFixture(deployToken);
      expect(
        await revertOf(
          viem.deployContract("ReserveBackedStablecoin", ["A", "A", 37, admin.account.address]),
          token.abi,
        ),
      ).toEqual({ errorName: "UnsupportedDecimals", args: [37] });
    });

    it("reverts with ZeroAddress for a zero admin", async () => {
      const token = await networkHelpers.loadFixture(deployToken);
      expect(
        await revertOf(viem.deployContract("ReserveBackedStablecoin", ["A", "A", 6, zeroAddress]), token.abi),
      ).toEqual({ errorName: "ZeroAddress", args: [] });
    });
  });

  describe("mint", () => {
    it("mints to the recipient and emits Transfer from zero", async () => {
      const token = await networkHelpers.loadFixture(deployToken);
      const hash = await token.write.mint([alice.account.address, 250n], { account: minter.account });
      const [transfer] = await eventsOf(publicClient, hash, token.abi, "Transfer");
      expect(transfer?.args).toEqual({ from: zeroAddress, to: alice.account.address, value: 250n });
      expect(await token.read.balanceOf([alice.account.address])).toBe(250n);
      expect(await token.read.totalSupply()).toBe(250n);
    });

    it("reverts for an account without MINTER_ROLE (including the admin and the burner)", async () => {
      const token = await networkHelpers.loadFixture(deployToken);
      for (const caller of [stranger, admin, burner]) {
        expect(
          await revertOf(token.write.mint([alice.account.address, 1n], { account: caller.account })),
        ).toEqual({
          errorName: "AccessControlUnauthorizedAccount",
          args: [caller.account.address, MINTER_ROLE],
        });
      }
    });

    it("reverts with ERC20InvalidReceiver when minting to zero", async () => {
      const token = await networkHelpers.loadFixture(deployToken);
      expect(await revertOf(token.write.mint([zeroAddress, 1n], { account: minter.account }))).toEqual({
        errorName: "ERC20InvalidReceiver",
        args: [zeroAddress],
      });
    });
  });

  describe("burn", () => {
    it("burns from any holder without an allowance and emits Transfer to zero", async () => {
      const token = await networkHelpers.loadFixture(deployFunded);
      const hash = await token.write.burn([alice.account.address, 400n], { account: burner.account });
      const [transfer] = await eventsOf(publicClient, hash, token.abi, "Transfer");
      expect(transfer?.args).toEqual({ from: alice.account.address, to: zeroAddress, value: 400n });
      expect(await token.read.balanceOf([alice.account.address])).toBe(999_600n);
      expect(await token.read.totalSupply()).toBe(999_600n);
    });

    it("reverts for an account without BURNER_ROLE (including the holder, the admin and the minter)", async () => {
      const token = await networkHelpers.loadFixture(deployFunded);
      for (const caller of [alice, admin, minter, stranger]) {
        expect(
          await revertOf(token.write.burn([alice.account.address, 1n], { account: caller.account })),
        ).toEqual({
          errorName: "AccessControlUnauthorizedAccount",
          args: [caller.account.address, BURNER_ROLE],
        });
      }
    });

    it("reverts with ERC20InsufficientBalance above the balance", async () => {
      const token = await networkHelpers.loadFixture(deployFunded);
      expect(
        await revertOf(token.write.burn([alice.account.address, 1_000_001n], { account: burner.account })),
      ).toEqual({
        errorName: "ERC20InsufficientBalance",
        args: [alice.account.address, 1_000_000n, 1_000_001n],
      });
    });

    it("reverts with ERC20InvalidSender when burning from zero", async () => {
      const token = await networkHelpers.loadFixture(deployFunded);
      expect(await revertOf(token.write.burn([zeroAddress, 1n], { account: burner.account }))).toEqual({
        errorName: "ERC20InvalidSender",
        args: [zeroAddress],
      });
    });
  });

  describe("supply control", () => {
    it("has no state-changing function other than ERC20, permit, AccessControl, mint and burn", async () => {
      const token = await networkHelpers.loadFixture(deployToken);
      const writers = token.abi
        .filter((item) => item.type === "function" && item.stateMutability !== "view")
        .map((item) => (item as { name: string }).name)
        .sort();
      expect(writers).toEqual([
        "approve",
        "burn",
        "grantRole",
        "mint",
        "permit",
        "renounceRole",
        "revokeRole",
        "transfer",
        "transferFrom",
      ]);
    });

    it("revoking MINTER_ROLE stops minting", async () => {
      const token = await networkHelpers.loadFixture(deployToken);
      await token.write.revokeRole([MINTER_ROLE, minter.account.address], { account: admin.account });
      expect(
        (await revertOf(token.write.mint([alice.account.address, 1n], { account: minter.account })))
          .errorName,
      ).toBe("AccessControlUnauthorizedAccount");
    });

    it("only the admin grants roles", async () => {
      const token = await networkHelpers.loadFixture(deployToken);
      expect(
        await revertOf(
          token.write.grantRole([MINTER_ROLE, stranger.account.address], { account: stranger.account }),
        ),
      ).toEqual({
        errorName: "AccessControlUnauthorizedAccount",
        args: [stranger.account.address, DEFAULT_ADMIN_ROLE],
      });
      const hash = await token.write.grantRole([MINTER_ROLE, bob.account.address], {
        account: admin.account,
      });
      const [granted] = await eventsOf(publicClient, hash, token.abi, "RoleGranted");
      expect(granted?.args).toEqual({
        role: MINTER_ROLE,
        account: bob.account.address,
        sender: admin.account.address,
      });
    });
  });

  describe("ERC20", () => {
    it("transfers, approves and transfers from", async () => {
      const token = await networkHelpers.loadFixture(deployFunded);
      const transferHash = await token.write.transfer([bob.account.address, 10n], { account: alice.account });
      const [transfer] = await eventsOf(publicClient, transferHash, token.abi, "Transfer");
      expect(transfer?.args).toEqual({ from: alice.account.address, to: bob.account.address, value: 10n });

      const approveHash = await token.write.approve([bob.account.address, 50n], { account: alice.account });
      const [approval] = await eventsOf(publicClient, approveHash, token.abi, "Approval");
      expect(approval?.args).toEqual({
        owner: alice.account.address,
        spender: bob.account.address,
        value: 50n,
      });

      await token.write.transferFrom([alice.account.address, bob.account.address, 30n], {
        account: bob.account,
      });
      expect(await token.read.allowance([alice.account.address, bob.account.address])).toBe(20n);
      expect(await token.read.balanceOf([bob.account.address])).toBe(40n);
      expect(
        await revertOf(
          token.write.transferFrom([alice.account.address, bob.account.address, 21n], {
            account: bob.account,
          }),
        ),
      ).toEqual({ errorName: "ERC20InsufficientAllowance", args: [bob.account.address, 20n, 21n] });
    });
  });

  describe("permit", () => {
    async function signPermit(
      token: Awaited<ReturnType<typeof deployToken>>,
      signer: NonNullable<typeof alice>,
      owner: `0x${string}`,
      spender: `0x${string}`,
      value: bigint,
      nonce: bigint,
      deadline: bigint,
    ) {
      const signature = await signer.signTypedData({
        account: signer.account,
        domain: {
          name: "Reserve USD",
          version: "1",
          chainId: await publicClient.getChainId(),
          verifyingContract: token.address,
        },
        types: {
          Permit: [
            { name: "owner", type: "address" },
            { name: "spender", type: "address" },
            { name: "value", type: "uint256" },
            { name: "nonce", type: "uint256" },
            { name: "deadline", type: "uint256" },
          ],
        },
        primaryType: "Permit",
        message: { owner, spender, value, nonce, deadline },
      });
      const { v, r, s, yParity } = parseSignature(signature);
      return { v: Number(v ?? BigInt(yParity + 27)), r, s };
    }

    it("sets the allowance from an owner signature and bumps the nonce", async () => {
      const token = await networkHelpers.loadFixture(deployFunded);
      const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
      const { v, r, s } = await signPermit(
        token,
        alice,
        alice.account.address,
        bob.account.address,
        123n,
        0n,
        deadline,
      );
      const hash = await token.write.permit(
        [alice.account.address, bob.account.address, 123n, deadline, v, r, s],
        { account: stranger.account },
      );
      const [approval] = await eventsOf(publicClient, hash, token.abi, "Approval");
      expect(approval?.args).toEqual({
        owner: alice.account.address,
        spender: bob.account.address,
        value: 123n,
      });
      expect(await token.read.allowance([alice.account.address, bob.account.address])).toBe(123n);
      expect(await token.read.nonces([alice.account.address])).toBe(1n);

      // Replaying the same signature recovers a different signer because the nonce moved on.
      const replay = await revertOf(
        token.write.permit([alice.account.address, bob.account.address, 123n, deadline, v, r, s], {
          account: stranger.account,
        }),
      );
      expect(replay.errorName).toBe("ERC2612InvalidSigner");
      expect(replay.args[1]).toBe(alice.account.address);
    });

    it("reverts with ERC2612InvalidSigner for a signature by someone else", async () => {
      const token = await networkHelpers.loadFixture(deployFunded);
      const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
      const { v, r, s } = await signPermit(
        token,
        bob,
        alice.account.address,
        bob.account.address,
        1n,
        0n,
        deadline,
      );
      expect(
        await revertOf(
          token.write.permit([alice.account.address, bob.account.address, 1n, deadline, v, r, s], {
            account: bob.account,
          }),
        ),
      ).toEqual({ errorName: "ERC2612InvalidSigner", args: [bob.account.address, alice.account.address] });
    });

    it("reverts with ERC2612ExpiredSignature after the deadline", async () => {
      const token = await networkHelpers.loadFixture(deployFunded);
      const deadline = BigInt(await networkHelpers.time.latest()) - 1n;
      const { v, r, s } = await signPermit(
        token,
        alice,
        alice.account.address,
        bob.account.address,
        1n,
        0n,
        deadline,
      );
      expect(
        await revertOf(
          token.write.permit([alice.account.address, bob.account.address, 1n, deadline, v, r, s], {
            account: bob.account,
          }),
        ),
      ).toEqual({ errorName: "ERC2612ExpiredSignature", args: [deadline] });
    });

    it("exposes the EIP-712 domain", async () => {
      const token = await networkHelpers.loadFixture(deployToken);
      const [, name, version, chainId, verifyingContract] = await token.read.eip712Domain();
      expect({ name, version, chainId, verifyingContract }).toEqual({
        name: "Reserve USD",
        version: "1",
        chainId: BigInt(await publicClient.getChainId()),
        verifyingContract: getAddress(token.address),
      });
      expect(await token.read.DOMAIN_SEPARATOR()).toMatch(/^0x[0-9a-f]{64}$/);
    });
  });

  describe("supportsInterface", () => {
    it("reports IReserveBackedStablecoin, IERC20, IERC20Metadata, IERC20Permit, IAccessControl, IERC165", async () => {
      const token = await networkHelpers.loadFixture(deployToken);
      const ids = {
        reserveBacked: interfaceId([
          "MINTER_ROLE()",
          "BURNER_ROLE()",
          "mint(address,uint256)",
          "burn(address,uint256)",
        ]),
        erc20: interfaceId([
          "totalSupply()",
          "balanceOf(address)",
          "transfer(address,uint256)",
          "allowance(address,address)",
          "approve(address,uint256)",
          "transferFrom(address,address,uint256)",
        ]),
        erc20Metadata: interfaceId(["name()", "symbol()", "decimals()"]),
        erc20Permit: interfaceId([
          "permit(address,address,uint256,uint256,uint8,bytes32,bytes32)",
          "nonces(address)",
          "DOMAIN_SEPARATOR()",
        ]),
        accessControl: "0x7965db0b" as const,
        erc165: "0x01ffc9a7" as const,
      };
      for (const id of Object.values(ids)) expect(await token.read.supportsInterface([id])).toBe(true);
      expect(await token.read.supportsInterface(["0xffffffff"])).toBe(false);
      expect(await token.read.supportsInterface(["0x12345678"])).toBe(false);
    });
  });
});

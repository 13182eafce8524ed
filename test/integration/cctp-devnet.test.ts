import {
  type Address,
  concat,
  createPublicClient,
  createWalletClient,
  type Hash,
  type Hex,
  http,
  keccak256,
  type PublicClient,
  pad,
  parseEventLogs,
  parseUnits,
  slice,
  toHex,
} from "viem";
import { privateKeyToAccount, sign } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devnetPrivateKey } from "../../deploy/devnet/accounts.ts";
import { DEVNET_CCTP_DOMAINS } from "../../deploy/devnet/cctp.ts";
import type { DevnetCctpChain, DevnetManifest } from "../../deploy/devnet/manifest.ts";
import {
  devMessageTransmitterV1Abi,
  devMessageTransmitterV2Abi,
  devTokenMessengerV1Abi,
  devTokenMessengerV2Abi,
  devTokenMinterAbi,
  reserveBackedStablecoinAbi,
} from "../../keeper/abi/index.ts";
import { type Devnet, startDevnet } from "../helpers/keeperHarness.ts";

const MINTER_ROLE = keccak256(toHex("MINTER_ROLE"));
const BURNER_ROLE = keccak256(toHex("BURNER_ROLE"));
const ZERO32 = pad("0x", { size: 32 });
const toBytes32 = (a: Address) => pad(a.toLowerCase() as Hex, { size: 32 });

// The CCTP contracts `npm run devnet` deploys, used over JSON-RPC on the two real devnet chains: a V2
// transfer signed by the devnet attesters (Hardhat accounts #15/#16), and a V1 transfer of the
// reserve-backed asset the other way.
describe("CCTP on the devnet (two hardhat nodes)", () => {
  let devnet: Devnet | undefined;
  let manifest: DevnetManifest;
  let home: DevnetCctpChain;
  let remote: DevnetCctpChain;
  const clients = new Map<string, PublicClient>();
  const client = (chain: string) => clients.get(chain)!;
  const url = (chain: string) => manifest.chains.find((c) => c.name === chain)!.rpcHttpUrl;
  const wallet = (chain: string) => createWalletClient({ transport: http(url(chain)) });
  const role = (r: string) => manifest.accounts[r]!;

  /** Sends through the node's unlocked account and waits for a successful receipt (about a block). */
  async function send(chain: string, hash: Promise<Hash>) {
    const receipt = await client(chain).waitForTransactionReceipt({ hash: await hash });
    expect(receipt.status).toBe("success");
    return receipt;
  }

  /** The devnet attestation: keccak256(message) signed by attester1/attester2, ascending by address. */
  async function attest(message: Hex): Promise<Hex> {
    const keys = [devnetPrivateKey("attester1"), devnetPrivateKey("attester2")].sort((a, b) =>
      BigInt(privateKeyToAccount(a).address) < BigInt(privateKeyToAccount(b).address) ? -1 : 1,
    );
    return concat(
      await Promise.all(keys.map((k) => sign({ hash: keccak256(message), privateKey: k, to: "hex" }))),
    );
  }

  beforeAll(async () => {
    devnet = await startDevnet({ tmpPrefix: "rk-cctp-devnet-" });
    manifest = devnet.manifest;
    home = manifest.cctp!.chains.find((c) => c.chain === "home")!;
    remote = manifest.cctp!.chains.find((c) => c.chain === "remote")!;
    for (const c of manifest.chains) {
      clients.set(
        c.name,
        createPublicClient({ transport: http(c.rpcHttpUrl), pollingInterval: 50 }) as PublicClient,
      );
    }
  }, 180_000);

  afterAll(async () => {
    await devnet?.stop();
  });

  it("the manifest lists both chains' CCTP contracts (with code), the 2-of-2 devnet attesters and seeded USDC", async () => {
    const cctp = manifest.cctp!;
    expect(cctp.chains.map((c) => [c.chain, c.domain])).toEqual([
      ["home", DEVNET_CCTP_DOMAINS.home],
      ["remote", DEVNET_CCTP_DOMAINS.remote],
    ]);
    expect(cctp.threshold).toBe(2);
    const attesters = [role("attester1"), role("attester2")].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    expect(cctp.attesters).toEqual(attesters);
    expect(attesters).toContain(privateKeyToAccount(devnetPrivateKey("attester1")).address);
    for (const c of [home, remote]) {
      const pc = client(c.chain);
      for (const k of [
        "transmitterV2",
        "messengerV2",
        "transmitterV1",
        "messengerV1",
        "tokenMinter",
        "hookExecutor",
        "treasury",
        "usdc",
      ] as const) {
        expect((await pc.getCode({ address: c[k] }))?.length ?? 0, `${c.chain}.${k}`).toBeGreaterThan(2);
      }
      for (const user of ["alice", "bob", "carol"]) {
        expect(
          await pc.readContract({
            address: c.usdc,
            abi: reserveBackedStablecoinAbi,
            functionName: "balanceOf",
            args: [role(user)],
          }),
        ).toBe(parseUnits("1000000", 6));
      }
      expect(
        await pc.readContract({ address: c.usdc, abi: reserveBackedStablecoinAbi, functionName: "symbol" }),
      ).toBe("USDC");
      const dusd = manifest.assets[0]!.chains.find((a) => a.chain === c.chain)!;
      for (const token of [c.usdc, dusd.token]) {
        for (const r of [MINTER_ROLE, BURNER_ROLE]) {
          expect(
            await pc.readContract({
              address: token,
              abi: reserveBackedStablecoinAbi,
              functionName: "hasRole",
              args: [r, c.tokenMinter],
            }),
          ).toBe(true);
        }
      }
      expect(
        await pc.readContract({
          address: c.tokenMinter,
          abi: devTokenMinterAbi,
          functionName: "tokenBreaker",
          args: [dusd.token],
        }),
      ).toBe(dusd.breaker);
      const other = c === home ? remote : home;
      const otherDusd = manifest.assets[0]!.chains.find((a) => a.chain === other.chain)!;
      expect(
        await pc.readContract({
          address: c.messengerV2,
          abi: devTokenMessengerV2Abi,
          functionName: "remoteTokenMessengers",
          args: [other.domain],
        }),
      ).toBe(toBytes32(other.messengerV2));
      expect(
        await pc.readContract({
          address: c.messengerV1,
          abi: devTokenMessengerV1Abi,
          functionName: "remoteTokenMessengers",
          args: [other.domain],
        }),
      ).toBe(toBytes32(other.messengerV1));
      expect(
        await pc.readContract({
          address: c.tokenMinter,
          abi: devTokenMinterAbi,
          functionName: "getLocalToken",
          args: [other.domain, toBytes32(other.usdc)],
        }),
      ).toBe(c.usdc);
      expect(
        await pc.readContract({
          address: c.tokenMinter,
          abi: devTokenMinterAbi,
          functionName: "getLocalToken",
          args: [other.domain, toBytes32(otherDusd.token)],
        }),
      ).toBe(dusd.token);
    }
  });

  it("V2: alice burns USDC on home; the devnet attesters' attestation mints it to bob on remote", async () => {
    const amount = parseUnits("250", 6);
    const alice = role("alice");
    const w = wallet("home");
    await send(
      "home",
      w.writeContract({
        account: alice,
        chain: null,
        address: home.usdc,
        abi: reserveBackedStablecoinAbi,
        functionName: "approve",
        args: [home.messengerV2, amount],
      }),
    );
    const burn = await send(
      "home",
      w.writeContract({
        account: alice,
        chain: null,
        address: home.messengerV2,
        abi: devTokenMessengerV2Abi,
        functionName: "depositForBurn",
        args: [amount, remote.domain, toBytes32(role("bob")), home.usdc, ZERO32, 0n, 2000],
      }),
    );
    const [sent] = parseEventLogs({
      abi: devMessageTransmitterV2Abi,
      logs: burn.logs,
      eventName: "MessageSent",
    });
    // What Iris does: fill in the nonce (offset 12) and finalityThresholdExecuted (offset 144), then sign.
    const source = sent!.args.message;
    const nonce = keccak256(toHex(`devnet-${burn.transactionHash}`));
    const message = concat([
      slice(source, 0, 12),
      nonce,
      slice(source, 44, 144),
      toHex(2000, { size: 4 }),
      slice(source, 148),
    ]);
    const before = await client("remote").readContract({
      address: remote.usdc,
      abi: reserveBackedStablecoinAbi,
      functionName: "balanceOf",
      args: [role("bob")],
    });
    const receipt = await send(
      "remote",
      wallet("remote").writeContract({
        account: role("bob"),
        chain: null,
        address: remote.transmitterV2,
        abi: devMessageTransmitterV2Abi,
        functionName: "receiveMessage",
        args: [message, await attest(message)],
      }),
    );
    const [minted] = parseEventLogs({
      abi: devTokenMessengerV2Abi,
      logs: receipt.logs,
      eventName: "MintAndWithdraw",
    });
    expect(minted?.args).toEqual({
      mintRecipient: role("bob"),
      amount,
      mintToken: remote.usdc,
      feeCollected: 0n,
    });
    expect(
      await client("remote").readContract({
        address: remote.usdc,
        abi: reserveBackedStablecoinAbi,
        functionName: "balanceOf",
        args: [role("bob")],
      }),
    ).toBe(before + amount);
    expect(
      await client("remote").readContract({
        address: remote.transmitterV2,
        abi: devMessageTransmitterV2Abi,
        functionName: "usedNonces",
        args: [nonce],
      }),
    ).toBe(1n);
  });

  it("V1: bob burns dusd on remote (nonce 0); the attested source bytes mint it to carol on home", async () => {
    const amount = parseUnits("1000", 6);
    const bob = role("bob");
    const remoteDusd = manifest.assets[0]!.chains.find((a) => a.chain === "remote")!.token;
    const homeDusd = manifest.assets[0]!.chains.find((a) => a.chain === "home")!.token;
    const w = wallet("remote");
    await send(
      "remote",
      w.writeContract({
        account: bob,
        chain: null,
        address: remoteDusd,
        abi: reserveBackedStablecoinAbi,
        functionName: "approve",
        args: [remote.messengerV1, amount],
      }),
    );
    const burn = await send(
      "remote",
      w.writeContract({
        account: bob,
        chain: null,
        address: remote.messengerV1,
        abi: devTokenMessengerV1Abi,
        functionName: "depositForBurn",
        args: [amount, home.domain, toBytes32(role("carol")), remoteDusd],
      }),
    );
    const [deposit] = parseEventLogs({
      abi: devTokenMessengerV1Abi,
      logs: burn.logs,
      eventName: "DepositForBurn",
    });
    expect(deposit?.args.nonce).toBe(0n);
    const [sent] = parseEventLogs({
      abi: devMessageTransmitterV1Abi,
      logs: burn.logs,
      eventName: "MessageSent",
    });
    const message = sent!.args.message;
    const receipt = await send(
      "home",
      wallet("home").writeContract({
        account: role("carol"),
        chain: null,
        address: home.transmitterV1,
        abi: devMessageTransmitterV1Abi,
        functionName: "receiveMessage",
        args: [message, await attest(message)],
      }),
    );
    const [minted] = parseEventLogs({
      abi: devTokenMessengerV1Abi,
      logs: receipt.logs,
      eventName: "MintAndWithdraw",
    });
    expect(minted?.args).toEqual({ mintRecipient: role("carol"), amount, mintToken: homeDusd });
    expect(
      await client("home").readContract({
        address: homeDusd,
        abi: reserveBackedStablecoinAbi,
        functionName: "balanceOf",
        args: [role("carol")],
      }),
    ).toBe(amount);
  });
});

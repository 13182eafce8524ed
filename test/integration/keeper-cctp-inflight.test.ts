import { join } from "node:path";
import {
  type Address,
  createPublicClient,
  createWalletClient,
  decodeEventLog,
  type Hex,
  http,
  keccak256,
  pad,
  parseUnits,
  toHex,
} from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devnetPrivateKey } from "../../deploy/devnet/accounts.ts";
import {
  devMessageTransmitterV1Abi,
  devMessageTransmitterV2Abi,
  devTokenMessengerV1Abi,
  devTokenMessengerV2Abi,
  reserveBackedStablecoinAbi,
} from "../../keeper/abi/index.ts";
import type { Envelope } from "../../keeper/bus/types.ts";
import { signAttestation } from "../../keeper/cctp/attestation.ts";
import { withIrisFields } from "../../keeper/cctp/iris.ts";
import { CANONICAL_DECIMALS } from "../../keeper/engine/normalize.ts";
import type { Decision } from "../../keeper/engine/types.ts";
import {
  type Devnet,
  devnetConfig,
  type KeeperRun,
  startDevnet,
  startTestKeeper,
  waitFor,
} from "../helpers/keeperHarness.ts";

/**
 * The keeper counts CCTP transfers in flight (burned on the source chain, not yet minted on the
 * destination) in the asset's supply: across a transfer, in either direction, over V2 and V1, and across
 * a keeper restart in the middle of one, the total supply it compares with reserves never moves.
 * Transfers are driven directly against the devnet's CCTP contracts (burn → attest like Iris → receive).
 */

let devnet: Devnet;
const ASSET = "dusd";

beforeAll(async () => {
  devnet = await startDevnet({ tmpPrefix: "rk-cctp-inflight-" });
}, 120_000);
afterAll(async () => {
  await devnet?.stop();
});

function chainOf(role: "home" | "remote") {
  const chain = devnet.manifest.chains.find((c) => c.role === role)!;
  const cctp = devnet.manifest.cctp!.chains.find((c) => c.chain === chain.name)!;
  const asset = devnet.manifest.assets.find((a) => a.id === ASSET)!;
  const token = asset.chains.find((c) => c.chain === chain.name)!.token as Address;
  const transport = http(chain.rpcHttpUrl);
  return {
    chain,
    cctp,
    token,
    decimals: asset.tokenDecimals,
    pc: createPublicClient({ transport }),
    wc: createWalletClient({ transport }),
  };
}

type Side = ReturnType<typeof chainOf>;

async function sendAndWait(side: Side, tx: Promise<Hex>) {
  const receipt = await side.pc.waitForTransactionReceipt({ hash: await tx });
  if (receipt.status !== "success") throw new Error(`tx ${receipt.transactionHash} reverted`);
  return receipt;
}

/** The MessageSent bytes of a burn receipt. */
function messageSentOf(receipt: Awaited<ReturnType<typeof sendAndWait>>, side: Side, version: 1 | 2): Hex {
  const transmitter = (version === 2 ? side.cctp.transmitterV2 : side.cctp.transmitterV1).toLowerCase();
  const abi = version === 2 ? devMessageTransmitterV2Abi : devMessageTransmitterV1Abi;
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== transmitter) continue;
    const decoded = decodeEventLog({ abi, data: log.data, topics: log.topics, strict: false });
    if (decoded.eventName === "MessageSent") return (decoded.args as { message: Hex }).message;
  }
  throw new Error("no MessageSent in the burn receipt");
}

const attesterKeys = () => [devnetPrivateKey("attester1"), devnetPrivateKey("attester2")];

/** Burns `amount` of dusd from `from` on `src` towards `to` on `dst`; returns the message the destination needs. */
async function burn(src: Side, dst: Side, version: 1 | 2, amount: bigint, from: Address, to: Address) {
  const messenger = (version === 2 ? src.cctp.messengerV2 : src.cctp.messengerV1) as Address;
  await sendAndWait(
    src,
    src.wc.writeContract({
      chain: null,
      account: from,
      address: src.token,
      abi: reserveBackedStablecoinAbi,
      functionName: "approve",
      args: [messenger, amount],
    }),
  );
  const receipt =
    version === 2
      ? await sendAndWait(
          src,
          src.wc.writeContract({
            chain: null,
            account: from,
            address: messenger,
            abi: devTokenMessengerV2Abi,
            functionName: "depositForBurn",
            args: [amount, dst.cctp.domain, pad(to), src.token, pad("0x"), 0n, 2000],
          }),
        )
      : await sendAndWait(
          src,
          src.wc.writeContract({
            chain: null,
            account: from,
            address: messenger,
            abi: devTokenMessengerV1Abi,
            functionName: "depositForBurn",
            args: [amount, dst.cctp.domain, pad(to), src.token],
          }),
        );
  const sent = messageSentOf(receipt, src, version);
  // What Iris attests: V2 gets a nonce and the executed finality filled in; V1 is signed as emitted.
  const message =
    version === 2
      ? withIrisFields(sent, {
          nonce: keccak256(toHex(`nonce:${receipt.transactionHash}`)),
          finalityThresholdExecuted: 2000,
          feeExecuted: 0n,
          expirationBlock: 0n,
        })
      : sent;
  return {
    message,
    attestation: await signAttestation(message, attesterKeys()),
    burnBlock: receipt.blockNumber,
  };
}

async function receive(dst: Side, version: 1 | 2, message: Hex, attestation: Hex, by: Address) {
  return sendAndWait(
    dst,
    dst.wc.writeContract({
      chain: null,
      account: by,
      address: (version === 2 ? dst.cctp.transmitterV2 : dst.cctp.transmitterV1) as Address,
      abi: version === 2 ? devMessageTransmitterV2Abi : devMessageTransmitterV1Abi,
      functionName: "receiveMessage",
      args: [message, attestation],
    }),
  );
}

const decisionsOf = (messages: readonly Envelope[]) =>
  messages.filter((e) => e.type === "decision").map((e) => e.payload as Decision);

const canonical = (amount: bigint, decimals: number) => amount * 10n ** BigInt(CANONICAL_DECIMALS - decimals);

async function latestFigures(run: KeeperRun, match: (d: Decision) => boolean, what: string) {
  return waitFor(what, () => decisionsOf(run.messages).find((d) => d.supply !== undefined && match(d)));
}

describe("keeper: CCTP transfers in flight", () => {
  it("keeps the total supply constant across V2 and V1 transfers both ways, counting the burn as in flight until the mint", async () => {
    const home = chainOf("home");
    const remote = chainOf("remote");
    const { alice, bob } = devnet.manifest.accounts as Record<string, Address>;
    const run = await startTestKeeper(devnetConfig(devnet));
    try {
      const first = await latestFigures(run, () => true, "a first decision with figures");
      const total = first.supply!;
      expect(first.inFlight).toBe(0n);

      // V2 home → remote
      const x = parseUnits("250000", home.decimals);
      const t1 = await burn(home, remote, 2, x, alice!, bob!);
      const inFlight = await latestFigures(
        run,
        (d) => d.inFlight === canonical(x, home.decimals),
        "the V2 burn in flight",
      );
      expect(inFlight.supply).toBe(total);
      const homeSupplyAfterBurn = inFlight.perChain!.find((c) => c.chainId === home.chain.chainId)!.supply;
      expect(homeSupplyAfterBurn).toBe(
        first.perChain!.find((c) => c.chainId === home.chain.chainId)!.supply - canonical(x, home.decimals),
      );
      const seen = run.messages.length;
      await receive(remote, 2, t1.message, t1.attestation, bob!);
      const landed = await latestFigures(
        run,
        (d) =>
          d.inFlight === 0n &&
          d.perChain!.find((c) => c.chainId === remote.chain.chainId)!.supply ===
            first.perChain!.find((c) => c.chainId === remote.chain.chainId)!.supply +
              canonical(x, home.decimals),
        "the V2 mint on remote",
      );
      expect(landed.supply).toBe(total);
      expect(run.messages.length).toBeGreaterThan(seen);

      // V1 remote → home
      const y = parseUnits("1234.5", remote.decimals);
      const t2 = await burn(remote, home, 1, y, bob!, alice!);
      await latestFigures(run, (d) => d.inFlight === canonical(y, remote.decimals), "the V1 burn in flight");
      await receive(home, 1, t2.message, t2.attestation, alice!);
      await latestFigures(
        run,
        (d) =>
          d.inFlight === 0n &&
          d.perChain!.find((c) => c.chainId === home.chain.chainId)!.supply ===
            homeSupplyAfterBurn + canonical(y, remote.decimals),
        "the V1 mint on home",
      );

      // Every decision the keeper took compared reserves with the same total supply, and none paused.
      const figures = decisionsOf(run.messages).filter((d) => d.supply !== undefined);
      expect(figures.length).toBeGreaterThan(4);
      expect(new Set(figures.map((d) => d.supply))).toEqual(new Set([total]));
      expect(figures.some((d) => d.shouldPause)).toBe(false);
    } finally {
      await run.stop();
    }
  });

  it("counts a transfer burned before a keeper restart and minted after it exactly once (bridge baseline)", async () => {
    const home = chainOf("home");
    const remote = chainOf("remote");
    const { alice, carol } = devnet.manifest.accounts as Record<string, Address>;
    const config = devnetConfig(devnet, (doc) => {
      doc.keeperId = "inflight-restart";
      doc.checkpoint = { path: join(devnet.dir, "inflight-restart-checkpoint.json") };
    });
    const before = await startTestKeeper(config);
    const x = parseUnits("777", home.decimals);
    let total: bigint;
    let transfer: Awaited<ReturnType<typeof burn>>;
    try {
      total = (await latestFigures(before, () => true, "a first decision")).supply!;
      transfer = await burn(home, remote, 2, x, alice!, carol!);
      await latestFigures(before, (d) => d.inFlight === canonical(x, home.decimals), "the burn in flight");
      // The checkpoint moves past the burn block, so the restart must get the burn from the baseline.
      await waitFor("the checkpoint past the burn", async () => {
        const cp = await before.bus.checkpoints.load();
        const at = cp?.chains[home.chain.chainId]?.blockNumber;
        return at !== undefined && at > transfer.burnBlock;
      });
    } finally {
      await before.stop();
    }

    const after = await startTestKeeper(config);
    try {
      const resumed = await latestFigures(after, () => true, "a decision after the restart");
      expect(resumed.inFlight).toBe(canonical(x, home.decimals));
      expect(resumed.supply).toBe(total);

      await receive(remote, 2, transfer.message, transfer.attestation, carol!);
      const landed = await latestFigures(after, (d) => d.inFlight === 0n, "the mint after the restart");
      expect(landed.supply).toBe(total);
    } finally {
      await after.stop();
    }
  });
});

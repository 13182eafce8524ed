import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { formatUnits } from "viem";
import { freePort } from "./ports.ts";
import { burn, mint, readAssetStatus, setReserves, trip } from "./scenario.ts";
import { DEFAULT_STATE_DIR, devnetDown, devnetUp } from "./up.ts";

/**
 * The newcomer's tour: brings up a private devnet on free ports, plays a short scenario and prints
 * a timeline, then stops the nodes (unless `follow`).
 */
export async function runDemo(opts: {
  follow?: boolean;
  out: (line: string) => void;
  log: (line: string) => void;
}) {
  const { out, log } = opts;
  const stateDir = join(DEFAULT_STATE_DIR, "demo");
  await mkdir(stateDir, { recursive: true });
  await devnetDown({ stateDir });
  const t0 = performance.now();
  const ms = () => `${String(Math.round(performance.now() - t0)).padStart(6)} ms`;
  const manifest = await devnetUp({
    stateDir,
    manifestPath: join(stateDir, "devnet.json"),
    homePort: await freePort(),
    remotePort: await freePort(),
    log,
  });
  try {
    const asset = "dusd";
    const dec = manifest.assets[0]!.tokenDecimals;
    const show = async (label: string) => {
      const s = await readAssetStatus(manifest, asset);
      const ratio = s.ratioBps === null ? "n/a" : `${(Number(s.ratioBps) / 100).toFixed(2)}%`;
      const chains = s.chains
        .map((c) => `${c.chain}=${formatUnits(BigInt(c.supply), dec)}${c.paused ? " PAUSED" : ""}`)
        .join(", ");
      out(
        `${ms()}  ${label.padEnd(34)} reserves ${s.reserves === null ? "n/a" : formatUnits(BigInt(s.reserves), dec)}  supply ${formatUnits(BigInt(s.totalSupply), dec)} [${chains}]  ratio ${ratio}  ${s.status}`,
      );
    };
    const step = (label: string, r: { hash: string; blockNumber: bigint }) =>
      out(`${ms()}  ${label.padEnd(34)} tx ${r.hash.slice(0, 18)}… block ${r.blockNumber}`);

    out(
      `devnet up: ${manifest.chains.map((c) => `${c.name} (chain ${c.chainId}) ${c.rpcHttpUrl}`).join(", ")}`,
    );
    await show("after bring-up");
    step(
      "mint 500000 on home to carol",
      await mint(manifest, { asset, chain: "home", to: "carol", amount: "500000" }),
    );
    step(
      "mint 250000 on remote to carol",
      await mint(manifest, { asset, chain: "remote", to: "carol", amount: "250000" }),
    );
    step(
      "redeem 100000 on home from alice",
      await burn(manifest, { asset, chain: "home", from: "alice", amount: "100000" }),
    );
    await show("supply moved");
    step("PoR answer drops to 4000000", await setReserves(manifest, asset, "4000000"));
    await show("reserves below supply");
    step(
      "trip() by an account with no role",
      await trip(manifest, { asset, chain: "home", from: "outsider" }),
    );
    await show("home breaker tripped");
    out(
      "The remote breaker has no PoR feed on its chain, so only the keeper can pause it (see contracts/README.md).",
    );
    if (opts.follow) {
      out(`following: devnet stays up (state ${stateDir}); stop with Ctrl-C`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
    }
  } finally {
    await devnetDown({ stateDir });
    log("devnet stopped");
  }
}

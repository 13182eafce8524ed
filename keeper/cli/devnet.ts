import { formatUnits } from "viem";
import { runDemo } from "../../deploy/devnet/demo.ts";
import { readDevnetManifest } from "../../deploy/devnet/manifest.ts";
import {
  type AssetStatus,
  burn,
  mint,
  readAssetStatus,
  setReserves,
  trip,
  unpause,
} from "../../deploy/devnet/scenario.ts";
import { DEFAULT_MANIFEST, devnetDown, devnetUp } from "../../deploy/devnet/up.ts";
import { EXIT, parseOptions, portOption, required, UsageError } from "./usage.ts";

export const DEVNET_USAGE = `reserve-keeper devnet <command> [options]

Commands:
  up          start the home and remote chains, deploy dusd on both, write deployments/devnet.json
              [--home-port 8545] [--remote-port 8546] [--state-dir .devnet] [--manifest path]
  down        stop the devnet nodes                              [--state-dir .devnet]
  status      reserves, supply per chain, ratio, status, paused  --asset dusd [--json] [--manifest path]
  set-reserves  publish a new PoR answer                          --asset dusd --amount 5000000
  mint        mint on a chain                                    --asset dusd --chain home|remote --to alice --amount 100
  burn        redeem (burn) from a holder                        --asset dusd --chain home|remote --from alice --amount 100
  trip        permissionless trip() of the breaker               --asset dusd --chain home [--from outsider]
  unpause     2-of-3 signed unpause with the devnet signers       --asset dusd --chain home --reason "reserves restored"
  demo        private devnet + keeper + scenario, printed as a timeline (npm start) [--follow] [--metrics-port n]

Accounts are devnet aliases (alice, bob, carol, outsider, keeper, issuer, ...) or addresses.
Amounts are whole token units with optional decimals. Options fall back to RESERVE_KEEPER_<OPTION> env vars.`;

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

function formatStatus(s: AssetStatus): string {
  const fmt = (v: string | null) => (v === null ? "n/a" : formatUnits(BigInt(v), s.tokenDecimals));
  const ratio = s.ratioBps === null ? "n/a" : `${(Number(s.ratioBps) / 100).toFixed(2)}%`;
  const lines = [
    `${s.asset} (${s.symbol})  status ${s.status}  (home verifier: ${s.verifierStatus})`,
    `  reserves     ${fmt(s.reserves)}   feed answer ${s.feed.answer} (${s.feed.decimals} decimals) round ${s.feed.roundId} updated ${new Date(s.feed.updatedAt * 1000).toISOString()}`,
    `  total supply ${fmt(s.totalSupply)}   ratio ${ratio}`,
  ];
  for (const c of s.chains) {
    lines.push(
      `  ${c.chain.padEnd(8)} chain ${c.chainId}  supply ${fmt(c.supply)}  ${c.paused ? "PAUSED" : "active"}  block ${c.blockNumber}`,
    );
  }
  return lines.join("\n");
}

const tx = (label: string, r: { hash: string; blockNumber: bigint }) =>
  `${label}: tx ${r.hash} in block ${r.blockNumber}`;

/** `reserve-keeper devnet …` */
export async function runDevnet(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const manifestOpt = { manifest: { type: "string" } } as const;
  switch (command) {
    case "up": {
      const { values } = parseOptions(rest, {
        "home-port": { type: "string" },
        "remote-port": { type: "string" },
        "state-dir": { type: "string" },
        ...manifestOpt,
      });
      const manifest = await devnetUp({
        homePort: portOption(values, "home-port"),
        remotePort: portOption(values, "remote-port"),
        stateDir: values["state-dir"],
        manifestPath: values.manifest,
        log: err,
      });
      for (const c of manifest.chains) out(`${c.name}: chain ${c.chainId} ${c.rpcHttpUrl}`);
      out(`manifest: ${values.manifest ?? DEFAULT_MANIFEST}`);
      return EXIT.ok;
    }
    case "down": {
      const { values } = parseOptions(rest, { "state-dir": { type: "string" } });
      const stopped = await devnetDown({ stateDir: values["state-dir"] });
      out(stopped.length ? `stopped pids ${stopped.join(", ")}` : "no devnet was running");
      return EXIT.ok;
    }
    case "status": {
      const { values } = parseOptions(rest, {
        asset: { type: "string" },
        json: { type: "boolean" },
        ...manifestOpt,
      });
      const manifest = await readDevnetManifest(values.manifest ?? DEFAULT_MANIFEST);
      const status = await readAssetStatus(manifest, required(values, "asset"));
      out(values.json ? JSON.stringify(status, null, 2) : formatStatus(status));
      return EXIT.ok;
    }
    case "set-reserves": {
      const { values } = parseOptions(rest, {
        asset: { type: "string" },
        amount: { type: "string" },
        ...manifestOpt,
      });
      const manifest = await readDevnetManifest(values.manifest ?? DEFAULT_MANIFEST);
      out(
        tx(
          "set-reserves",
          await setReserves(manifest, required(values, "asset"), required(values, "amount")),
        ),
      );
      return EXIT.ok;
    }
    case "mint": {
      const { values } = parseOptions(rest, {
        asset: { type: "string" },
        chain: { type: "string" },
        to: { type: "string" },
        amount: { type: "string" },
        ...manifestOpt,
      });
      const manifest = await readDevnetManifest(values.manifest ?? DEFAULT_MANIFEST);
      const r = await mint(manifest, {
        asset: required(values, "asset"),
        chain: required(values, "chain"),
        to: required(values, "to"),
        amount: required(values, "amount"),
      });
      out(tx("mint", r));
      return EXIT.ok;
    }
    case "burn": {
      const { values } = parseOptions(rest, {
        asset: { type: "string" },
        chain: { type: "string" },
        from: { type: "string" },
        amount: { type: "string" },
        "payout-ref": { type: "string" },
        ...manifestOpt,
      });
      const manifest = await readDevnetManifest(values.manifest ?? DEFAULT_MANIFEST);
      const r = await burn(manifest, {
        asset: required(values, "asset"),
        chain: required(values, "chain"),
        from: required(values, "from"),
        amount: required(values, "amount"),
        payoutRef: values["payout-ref"],
      });
      out(tx("burn", r));
      return EXIT.ok;
    }
    case "trip": {
      const { values } = parseOptions(rest, {
        asset: { type: "string" },
        chain: { type: "string" },
        from: { type: "string" },
        ...manifestOpt,
      });
      const manifest = await readDevnetManifest(values.manifest ?? DEFAULT_MANIFEST);
      const r = await trip(manifest, {
        asset: required(values, "asset"),
        chain: required(values, "chain"),
        from: values.from,
      });
      out(tx("trip", r));
      return EXIT.ok;
    }
    case "unpause": {
      const { values } = parseOptions(rest, {
        asset: { type: "string" },
        chain: { type: "string" },
        reason: { type: "string" },
        from: { type: "string" },
        ...manifestOpt,
      });
      const manifest = await readDevnetManifest(values.manifest ?? DEFAULT_MANIFEST);
      const r = await unpause(manifest, {
        asset: required(values, "asset"),
        chain: required(values, "chain"),
        reason: required(values, "reason"),
        from: values.from,
      });
      out(tx("unpause", r));
      return EXIT.ok;
    }
    case "demo": {
      const { values } = parseOptions(rest, {
        follow: { type: "boolean" },
        "metrics-port": { type: "string" },
      });
      await runDemo({
        follow: values.follow,
        metricsPort: portOption(values, "metrics-port"),
        out,
        log: err,
      });
      return EXIT.ok;
    }
    case undefined:
    case "help":
    case "--help":
      out(DEVNET_USAGE);
      return command === undefined ? EXIT.usage : EXIT.ok;
    default:
      throw new UsageError(`Unknown devnet command "${command}".`);
  }
}

import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.ts";

// `npm start` is the newcomer's first command: it must run to completion and tell the whole story.
describe("npm start (devnet demo with the keeper)", () => {
  it("runs to completion: breach → both breakers paused → warning → healthy → signed unpause → CCTP transfer with constant supply", async () => {
    const r = await runCli(["devnet", "demo"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split("\n");
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const breach = at(/decision {2}breach: .*PAUSE/);
    const homeMined = at(/home {3}pause mined in block \d+ {2}\[AnswerUpdated block \d+ → \+\d+\]/);
    const remoteMined = at(/remote pause mined in block \d+/);
    const warning = at(/decision {2}warning: /);
    const healthy = lines.findLastIndex((l) => /decision {2}healthy: /.test(l));
    expect(breach).toBeGreaterThan(-1);
    expect(homeMined).toBeGreaterThan(breach);
    expect(remoteMined).toBeGreaterThan(breach);
    expect(warning).toBeGreaterThan(Math.max(homeMined, remoteMined));
    expect(healthy).toBeGreaterThan(warning);
    expect(lines.filter((l) => /breaker unpaused/.test(l))).toHaveLength(2);
    expect(r.stdout).toMatch(/summary: \d+ decisions, pauses mined on 2 chains/);
    // The CCTP transfer: burned on home (in flight), minted on remote, the keeper's total never moves.
    const burned = at(/home {3}block \d+ {2}CCTP burn 100,000/);
    const minted = at(/remote block \d+ {2}CCTP mint /);
    const inFlight = at(/keeper {4}supply 6,650,000 = on chains 6,550,000 \+ in flight 100,000/);
    expect(burned).toBeGreaterThan(-1);
    expect(inFlight).toBeGreaterThan(-1);
    expect(minted).toBeGreaterThan(-1);
    expect(lines.filter((l) => /keeper {4}supply /.test(l)).every((l) => /supply 6,650,000 =/.test(l))).toBe(
      true,
    );
    expect(r.stdout).toMatch(/total supply unchanged across the transfer: 6,650,000/);
  }, 180_000);
});

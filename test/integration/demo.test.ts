import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.ts";

// `npm start` is the newcomer's first command: it must run to completion and tell the whole story.
describe("npm start (devnet demo with the keeper)", () => {
  it("runs to completion: breach → both breakers paused → warning → healthy → signed unpause", async () => {
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
  }, 180_000);
});

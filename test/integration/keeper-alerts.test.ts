import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setReserves, unpause } from "../../deploy/devnet/scenario.ts";
import {
  type Devnet,
  devnetConfig,
  type KeeperRun,
  startDevnet,
  startTestKeeper,
  waitFor,
} from "../helpers/keeperHarness.ts";

type Received = { path: string; body: Record<string, unknown> };

// The whole path: real keeper on a real devnet → alert manager → a PagerDuty-shaped HTTP receiver.
describe("keeper alerts on the devnet: one page per incident", () => {
  let devnet: Devnet;
  let run: KeeperRun;
  let server: Server;
  const received: Received[] = [];
  const pd = () => received.filter((r) => r.path === "/v2/enqueue");

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        received.push({ path: req.url ?? "", body: JSON.parse(body) });
        res.writeHead(202, { "content-type": "application/json" }).end('{"status":"success"}');
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    devnet = await startDevnet();
    run = await startTestKeeper(
      devnetConfig(devnet, (doc) => {
        (doc as Record<string, unknown>).alerts = {
          cooldownMs: 60_000,
          resolveAfterMs: 0,
          sinks: [
            {
              type: "pagerduty",
              name: "pager",
              routingKey: "R0123456789abcdefghijklmnopqrstu",
              eventsUrl: `http://127.0.0.1:${port}/v2/enqueue`,
              minSeverity: "critical",
            },
          ],
        };
      }),
    );
    await waitFor("healthy", () =>
      run.messages.find((m) => m.type === "decision" && m.payload.type === "healthy"),
    );
  }, 180_000);

  afterAll(async () => {
    await run?.stop();
    await devnet?.stop();
    server?.close();
  });

  it("a breach lasting many blocks pages once; recovery resolves once, with the same dedup key", async () => {
    const mark = run.messages.length;
    await setReserves(devnet.manifest, "dusd", "3000000");
    await waitFor(
      "both pauses mined",
      () => run.messages.slice(mark).filter((m) => m.type === "pause.mined").length >= 2 || undefined,
    );
    // Let the breach persist: several more decisions (reconciles, a worse answer) while still in breach.
    await setReserves(devnet.manifest, "dusd", "2990000");
    const breachDecisions = () =>
      run.messages.slice(mark).filter((m) => m.type === "decision" && m.payload.type === "breach").length;
    await waitFor("at least 3 breach decisions", () => breachDecisions() >= 3 || undefined);
    const triggers = pd().filter((r) => r.body.event_action === "trigger");
    expect(triggers).toHaveLength(1);
    expect(triggers[0]!.body.dedup_key).toBe("reserve-keeper/dusd/shortfall");
    expect(triggers[0]!.body.routing_key).toBe("R0123456789abcdefghijklmnopqrstu");
    expect((triggers[0]!.body.payload as { severity: string }).severity).toBe("critical");

    await setReserves(devnet.manifest, "dusd", "10000000");
    const resolve = await waitFor("one resolve", () => pd().find((r) => r.body.event_action === "resolve"));
    expect(resolve.body.dedup_key).toBe("reserve-keeper/dusd/shortfall");
    await run.running.keeper.idle();
    expect(pd().filter((r) => r.body.event_action === "trigger")).toHaveLength(1);
    expect(pd().filter((r) => r.body.event_action === "resolve")).toHaveLength(1);
    for (const chain of ["home", "remote"])
      await unpause(devnet.manifest, { asset: "dusd", chain, reason: "test done" });
  }, 120_000);
});

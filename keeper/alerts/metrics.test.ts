import { describe, expect, it } from "vitest";
import type { KeeperHooks } from "../runtime/keeper.ts";
import { createMetrics } from "../telemetry/metrics.ts";
import { createAlertManager } from "./manager.ts";
import { ALERT_METRIC_NAMES, type AlertMetrics } from "./metrics.ts";
import { breach, captureLogger, scriptedSink } from "./testSupport.ts";

describe("alert metrics", () => {
  it("the keeper's registry declares AlertMetrics under the documented names", async () => {
    const declared = createMetrics();
    const registry = declared.registry;
    const metrics: AlertMetrics = declared; // type check: the keeper's metrics object can be passed as is
    for (const [key, name] of Object.entries(ALERT_METRIC_NAMES)) {
      expect((declared as Record<string, { name?: string }>)[key]).toBeDefined();
      expect((declared[key as keyof typeof declared] as unknown as { name: string }).name).toBe(name);
    }
    const sink = scriptedSink({ name: "pager" }).sink;
    const manager = createAlertManager({ sinks: [sink], logger: captureLogger().logger, metrics });
    manager.onDecision(breach());
    await manager.flush();
    const text = await registry.metrics();
    expect(text).toContain('keeper_alerts_sent_total{sink="pager",action="trigger"} 1');
    expect(text).toContain(
      'keeper_alert_notifications_total{asset="dusd",condition="shortfall",kind="new"} 1',
    );
    expect(text).toContain('keeper_alert_open{asset="dusd",condition="shortfall"} 1');
    expect(text).toContain('keeper_alert_queue_depth{sink="pager"} 0');
  });

  it("the manager's hooks fit the runtime's KeeperHooks", () => {
    const manager = createAlertManager({ sinks: [], logger: captureLogger().logger });
    const hooks: KeeperHooks = { onDecision: manager.onDecision, onPauseEvent: manager.onPauseEvent };
    expect(hooks.onDecision).toBeTypeOf("function");
  });
});

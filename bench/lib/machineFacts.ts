import os from "node:os";

export type MachineFacts = {
  readonly node: string;
  readonly platform: string;
  readonly cpuModel: string;
  readonly cpus: number;
  readonly availableParallelism: number;
  readonly totalMemoryMiB: number;
  /** 1, 5 and 15 minute load averages. */
  readonly loadAverage: readonly [number, number, number];
};

/** What the figures were measured on (call at the start and at the end: the load average moves). */
export function machineFacts(): MachineFacts {
  const cpus = os.cpus();
  const [l1 = 0, l5 = 0, l15 = 0] = os.loadavg();
  const round = (v: number) => Math.round(v * 100) / 100;
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch} (${os.release()})`,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cpus: cpus.length,
    availableParallelism: os.availableParallelism(),
    totalMemoryMiB: Math.round(os.totalmem() / 2 ** 20),
    loadAverage: [round(l1), round(l5), round(l15)],
  };
}

// Writes grafana/dashboards/<uid>.json from the typed dashboards in grafana/src (deterministic: sorted
// keys, trailing newline) and removes other .json files there. `--check` writes nothing and exits 1
// listing every file that differs, is missing or is stale.
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildDashboards } from "./dashboards.ts";
import { stableJson } from "./stableJson.ts";

export const DASHBOARDS_DIR = join(import.meta.dirname, "..", "dashboards");

/** The generated text of every dashboard file, keyed by file name (`<uid>.json`). */
export function renderDashboards(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const dashboard of buildDashboards()) {
    if (!dashboard.uid) throw new Error(`Dashboard "${dashboard.title}" has no uid.`);
    const file = `${dashboard.uid}.json`;
    if (file in files) throw new Error(`Dashboard uid "${dashboard.uid}" is used twice.`);
    files[file] = stableJson(dashboard);
  }
  return files;
}

/** Files in `dir` that differ from `files`: changed or missing ones, and stale .json files. */
export async function findDrift(files: Record<string, string>, dir = DASHBOARDS_DIR): Promise<string[]> {
  const present = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith(".json"));
  const drift: string[] = [];
  for (const [file, text] of Object.entries(files)) {
    const current = await readFile(join(dir, file), "utf8").catch(() => undefined);
    if (current !== text) drift.push(file);
  }
  for (const file of present) if (!(file in files)) drift.push(file);
  return drift.sort();
}

if (import.meta.main) {
  const files = renderDashboards();
  const drift = await findDrift(files);
  if (process.argv.includes("--check")) {
    if (drift.length) {
      console.error(
        `grafana/dashboards is out of date (${drift.join(", ")}); run \`node grafana/src/generate.ts\`.`,
      );
      process.exit(1);
    }
  } else {
    for (const file of drift) {
      const text = files[file];
      if (text === undefined) await rm(join(DASHBOARDS_DIR, file));
      else await writeFile(join(DASHBOARDS_DIR, file), text);
      console.error(`${text === undefined ? "removed" : "wrote"} grafana/dashboards/${file}`);
    }
  }
}

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderAbis } from "../../deploy/scripts/generate-abis.ts";

// keeper/abi is what the keeper uses at runtime; it must match the compiled contracts exactly.
describe("keeper/abi", () => {
  it("matches the compiled artifacts (run `npm run abi` after changing a contract)", async () => {
    const files = await renderAbis();
    expect(Object.keys(files).length).toBeGreaterThan(8);
    for (const [file, text] of Object.entries(files)) {
      expect(await readFile(join(import.meta.dirname, file), "utf8"), file).toBe(text);
    }
  });
});

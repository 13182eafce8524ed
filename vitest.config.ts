import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["keeper/**/*.test.ts", "test/**/*.test.ts", "deploy/**/*.test.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

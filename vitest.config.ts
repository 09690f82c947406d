import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// CI asks for a JSON report too, to print a plain "N passed, N failed" line at the end.
const jsonReport = process.env.VITEST_JSON_REPORT;

export default defineConfig({
  // Program modules import "setup-mac"; in tests that is this checkout's library source.
  resolve: {
    alias: { "setup-mac": fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
  },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/setup/build.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: jsonReport ? ["default", ["json", { outputFile: jsonReport }]] : ["default"],
  },
});

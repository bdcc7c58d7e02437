import { defineConfig } from "@playwright/test";

// The browser tests drive Debian's Chromium (never a downloaded one) against a real
// `keyplane serve` on a fresh SQLite file, started by tests/global-setup.ts.
const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export default defineConfig({
  testDir: "tests",
  globalSetup: "./tests/global-setup.ts",
  // One server, one account: the flows run one after another.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 7_000 },
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never" }]],
  outputDir: "test-results/artifacts",
  use: {
    baseURL: process.env.KEYPLANE_URL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: chromium,
      // This machine's network is closed: keep Chromium from reaching for Google's services.
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  projects: [
    { name: "setup", testMatch: /owner\.setup\.ts/ },
    {
      name: "console",
      testMatch: /.*\.spec\.ts/,
      dependencies: ["setup"],
      use: { storageState: "test-results/owner.json" },
    },
  ],
});

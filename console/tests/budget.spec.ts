import { gzipSync } from "node:zlib";
import { expect, test } from "@playwright/test";

// The console's first load stays small: the JavaScript a person downloads before the keys page
// shows, measured gzipped, is under 250 KB. GraphiQL is loaded only by the Playground.
const BUDGET = 250 * 1024;

test("the keys page loads under 250 KB of gzipped JavaScript, without GraphiQL", async ({ page }) => {
  const scripts = new Map<string, number>();
  page.on("response", async (response) => {
    if (response.request().resourceType() === "script") {
      scripts.set(response.url(), gzipSync(await response.body()).length);
    }
  });
  await page.goto("/console/production/keys");
  await expect(page.getByRole("table", { name: "API keys" }).getByRole("link").first()).toBeVisible();
  await page.waitForLoadState("networkidle");
  const total = [...scripts.values()].reduce((sum, n) => sum + n, 0);
  test.info().annotations.push({ type: "initial JavaScript (gzip)", description: `${(total / 1024).toFixed(1)} KB in ${scripts.size} files` });
  console.log(`initial JavaScript: ${(total / 1024).toFixed(1)} KB gzipped in ${scripts.size} files`);
  expect([...scripts.keys()].some((url) => url.includes("Playground"))).toBe(false);
  expect(total).toBeLessThan(BUDGET);
});

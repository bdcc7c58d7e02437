import { expect, test } from "@playwright/test";
import { asKey, fullAccessKey } from "./server";

// The pictures of the console in docs/console.md, made from a real server by this run.
const DOCS = "../docs";

test("the keys page and a key's detail panel, at 1280 and at 390 pixels wide", async ({ page }) => {
  for (const [name, preset] of [
    ["checkout-service", "CUSTOMERS_WRITE"],
    ["analytics-export", "READ_ONLY"],
    ["coupon-sync", "COUPONS_WRITE"],
  ] as const) {
    await asKey(fullAccessKey(), `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } } }`, {
      input: { name, preset, description: `The ${name.replace("-", " ")}`, rateLimit: { requests: 600, periodSeconds: 60 } },
    });
  }
  await page.goto("/console/production/keys?type=SCOPED&status=ACTIVE");
  await expect(page.getByRole("link", { name: "checkout-service" })).toBeVisible();
  await page.screenshot({ path: `${DOCS}/console-keys.png` });

  await page.getByRole("link", { name: "checkout-service" }).click();
  await expect(page.getByRole("tab", { name: "Overview" })).toBeVisible();
  await expect(page.getByRole("complementary").getByText("Created by")).toBeVisible();
  await page.screenshot({ path: `${DOCS}/console-key-detail.png` });

  await page.setViewportSize({ width: 390, height: 844 });
  await expect(page.getByRole("tab", { name: "Overview" })).toBeVisible();
  // Nothing wider than the screen: the page itself never scrolls sideways.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: "test-results/console-key-detail-390.png", fullPage: true });
  await page.goto("/console/production/keys");
  await page.screenshot({ path: "test-results/console-keys-390.png", fullPage: true });
});

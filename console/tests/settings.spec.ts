import { expect, test } from "@playwright/test";
import { asKey, authenticates, customerToken, server } from "./server";

test("client-side security with a working customer token", async ({ page }) => {
  await page.goto("/console/staging/publishable");
  await page.getByRole("button", { name: "Issue a new signing secret" }).click();
  const shown = page.getByRole("alertdialog", { name: "New signing secret" });
  const signingSecret = await shown.getByLabel("Signing secret").inputValue();
  expect(signingSecret).toMatch(/^kpsign-/);
  await shown.getByRole("button", { name: "I have saved it" }).click();

  await page.getByRole("checkbox", { name: "Require a signed customer token" }).check();
  await page.getByLabel("Allowed origins (one per line; empty allows any)").fill("https://app.example.com");
  await page.getByRole("button", { name: "Save client-side security" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();

  const publishable = server().environments.find((e) => e.slug === "staging")!.publishableKey;
  const query = "{ viewer { environment { slug } } }";
  const without = await asKey(publishable, query);
  expect(without.status).toBe(401);
  const signed = await asKey(publishable, query, {}, {
    "x-customer-id": "cus_42",
    "x-customer-token": customerToken(signingSecret, "cus_42"),
    origin: "https://app.example.com",
  });
  expect(signed.errors).toBeUndefined();
  const elsewhere = await asKey(publishable, query, {}, {
    "x-customer-id": "cus_42",
    "x-customer-token": customerToken(signingSecret, "cus_42"),
    origin: "https://evil.example.com",
  });
  expect(elsewhere.status).toBe(403);
  await expect(page.getByText("createHmac")).toBeVisible();
});

test("connect and disconnect an integration", async ({ page }) => {
  await page.goto("/console/development/integrations");
  await page.getByRole("button", { name: "Connect Salesforce" }).click();
  const shown = page.getByRole("alertdialog", { name: "Key for Salesforce" });
  const secret = await shown.getByLabel("Integration key").inputValue();
  await shown.getByRole("button", { name: "I have saved it" }).click();
  expect(await authenticates(secret)).toBe(true);
  const row = page.getByRole("row", { name: /Salesforce/ });
  await expect(row).toContainText("customers:write");

  await page.getByRole("button", { name: "Disconnect Salesforce" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Disconnect" }).click();
  await expect(page.getByRole("button", { name: "Connect Salesforce" })).toBeVisible();
  expect(await authenticates(secret)).toBe(false);
});

test("reveal and copy a recoverable key", async ({ page, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await page.goto("/console/development/settings");
  await page.getByRole("button", { name: "Turn recoverable keys on" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Recoverable keys are on." })).toBeVisible();

  await page.goto("/console/development/keys");
  await page.getByRole("button", { name: "+ Add scoped key" }).click();
  await page.getByRole("dialog").getByLabel("Name").fill("recoverable-key");
  await page.getByRole("dialog").getByRole("button", { name: "Create key" }).click();
  const secret = await page.getByRole("alertdialog").getByLabel("Secret").inputValue();
  await page.getByRole("button", { name: "I have saved it" }).click();

  await page.getByRole("link", { name: "recoverable-key" }).click();
  const panel = page.getByRole("complementary");
  await expect(panel.getByLabel("Masked key")).not.toHaveText(secret);
  await panel.getByRole("button", { name: "Show" }).click();
  await expect(panel.getByLabel("Full key")).toHaveText(secret);
  await panel.getByRole("button", { name: "Copy key" }).click();
  await expect(panel.getByRole("button", { name: /Copied/ })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await panel.getByRole("button", { name: "Hide" }).click();
  await expect(panel.getByLabel("Masked key")).toBeVisible();

  // The reveal is on the key's record.
  await panel.getByRole("tab", { name: "Audit log" }).click();
  await expect(panel.getByRole("row", { name: /Secret revealed/ })).toContainText("Olive Owner");
});

import { expect, test, type Page } from "@playwright/test";
import { asKey, authenticates, fullAccessKey } from "./server";

const CREATE = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id name } } }`;

/** A scoped key made through the API, as a script would: the console must show it the same. */
async function keyViaApi(name: string, extra: Record<string, unknown> = {}) {
  const answer = await asKey<{ createApiKey: { secret: string; apiKey: { id: string } } }>(fullAccessKey(), CREATE, {
    input: { name, preset: "READ_ONLY", ...extra },
  });
  expect(answer.errors).toBeUndefined();
  return answer.data!.createApiKey;
}

async function openKey(page: Page, name: string) {
  await page.goto(`/console/production/keys?q=${encodeURIComponent(name)}`);
  await page.getByRole("link", { name, exact: true }).click();
  await expect(page.getByRole("heading", { level: 2, name })).toBeVisible();
}

test("create a scoped key and see its secret once", async ({ page }) => {
  await page.goto("/console/production/keys");
  await page.getByRole("button", { name: "+ Add scoped key" }).click();
  const dialog = page.getByRole("dialog", { name: "Add a scoped key" });
  await dialog.getByLabel("Name").fill("billing-worker");
  await dialog.getByLabel("Description (optional)").fill("Charges customers nightly");
  await dialog.getByLabel("Permissions").selectOption("CUSTOM");
  await dialog.getByRole("checkbox", { name: "Customers: write" }).check();
  // Write implies read.
  await expect(dialog.getByRole("checkbox", { name: "Customers: read" })).toBeChecked();
  await dialog.getByRole("checkbox", { name: "Coupons: read" }).check();
  await dialog.getByRole("button", { name: "Create key" }).click();

  const secretDialog = page.getByRole("alertdialog", { name: "Secret of billing-worker" });
  await expect(secretDialog).toContainText("only time it is shown");
  const secret = await secretDialog.getByLabel("Secret").inputValue();
  expect(secret).toMatch(/^server-[0-9A-Za-z]{46}$/);
  expect(await authenticates(secret)).toBe(true);

  // Neither Escape nor a click outside dismisses the one-time secret.
  await page.keyboard.press("Escape");
  await page.mouse.click(5, 5);
  await expect(secretDialog).toBeVisible();
  await secretDialog.getByRole("button", { name: "I have saved it" }).click();
  await expect(secretDialog).toBeHidden();
  await expect(page.getByText(secret)).toHaveCount(0);

  const row = page.getByRole("row", { name: /billing-worker/ });
  await expect(row).toContainText("Scoped");
  await expect(row).toContainText("coupons: read · customers: write");
  await expect(row).toContainText("Active");

  // The create dialog opens empty again.
  await page.getByRole("button", { name: "+ Add scoped key" }).click();
  await expect(page.getByRole("dialog").getByLabel("Name")).toHaveValue("");
  await page.getByRole("button", { name: "Cancel" }).click();

  // A refused value is explained and creates nothing.
  await page.getByRole("button", { name: "+ Add scoped key" }).click();
  await page.getByRole("dialog").getByLabel("Name").fill("x".repeat(100) + "y");
  await page.getByRole("dialog").getByLabel("Name").evaluate((el: HTMLInputElement) => el.removeAttribute("maxlength"));
  await page.getByRole("dialog").getByLabel("Name").fill("x".repeat(101));
  await page.getByRole("dialog").getByRole("button", { name: "Create key" }).click();
  await expect(page.getByRole("dialog").getByRole("alert")).toContainText("not accepted");
  await expect(page.getByRole("dialog").getByRole("alert")).toContainText("name");
});

test("filter and paginate keys, with the view in the address", async ({ page }) => {
  for (let i = 0; i < 23; i++) await keyViaApi(`pager-${String(i).padStart(2, "0")}`);
  const revoked = await keyViaApi("pager-revoked");
  await asKey(fullAccessKey(), `mutation($id: ID!) { revokeApiKey(input: {id: $id}) { id } }`, { id: revoked.apiKey.id });

  await page.goto("/console/production/keys");
  await page.getByLabel("Name").fill("pager-");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/q=pager-/);
  const rows = page.getByRole("table", { name: "API keys" }).getByRole("row");
  await expect(rows).toHaveCount(21); // the header and 20 keys
  await expect(rows.nth(1)).toContainText("pager-revoked"); // newest first
  await page.getByRole("button", { name: "Next page" }).click();
  await expect(rows).toHaveCount(5);
  await expect(rows.nth(4)).toContainText("pager-00");
  await expect(page.getByRole("button", { name: "Next page" })).toBeDisabled();

  // Reloading keeps the page; Previous goes back to the first one.
  await page.reload();
  await expect(rows).toHaveCount(5);
  await page.getByRole("button", { name: "Previous page" }).click();
  await expect(rows).toHaveCount(21);

  // The boxes follow the address, which changes after the click: click, then wait for both.
  const revokedBox = page.getByRole("checkbox", { name: "Revoked" });
  await revokedBox.click();
  await expect(page).toHaveURL(/status=REVOKED/);
  await expect(revokedBox).toBeChecked();
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(1)).toContainText("pager-revoked");

  await revokedBox.click();
  await expect(revokedBox).not.toBeChecked();
  await page.getByLabel("Name").fill("");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByLabel("Type").selectOption("DEFAULT");
  await expect(page).toHaveURL(/type=DEFAULT/);
  await expect(rows.filter({ hasText: "Full access" }).first()).toBeVisible();
  await expect(rows.filter({ hasText: "pager-" })).toHaveCount(0);
});

test("edit a scoped key's permissions with the matrix and a preset", async ({ page }) => {
  const { apiKey } = await keyViaApi("scopes-editor");
  await openKey(page, "scopes-editor");
  await page.getByRole("tab", { name: "Permissions" }).click();
  await page.getByRole("checkbox", { name: "Subscriptions: write" }).check();
  await expect(page.getByRole("checkbox", { name: "Subscriptions: read" })).toBeChecked();
  await page.getByRole("checkbox", { name: "Coupons: read" }).uncheck();
  await page.getByRole("button", { name: "Save permissions" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Permissions saved." })).toBeVisible();

  const read = await asKey<{ apiKey: { scopes: string[] } }>(fullAccessKey(), `query($id: ID!) { apiKey(id: $id) { scopes } }`, { id: apiKey.id });
  expect(read.data?.apiKey.scopes).toContain("subscriptions:write");
  expect(read.data?.apiKey.scopes).not.toContain("coupons:read");

  await page.getByLabel("Or apply a preset").selectOption("COUPONS_WRITE");
  await expect(page.getByRole("checkbox", { name: "Coupons: write" })).toBeChecked();
  await expect(page.getByRole("checkbox", { name: "Subscriptions: read" })).not.toBeChecked();

  // The audit log shows the change with its actor and before/after.
  await page.getByRole("tab", { name: "Audit log" }).click();
  const change = page.getByRole("row", { name: /Permissions changed/ }).first();
  await expect(change).toContainText("Olive Owner");
  await expect(change).toContainText("coupons:write");
});

test("rotate a key with a one-day grace", async ({ page }) => {
  const { secret } = await keyViaApi("rotating-key");
  await openKey(page, "rotating-key");
  await page.getByRole("button", { name: "Rotate key" }).click();
  await page.getByRole("radio", { name: "In 24 hours" }).check();
  await page.getByRole("dialog").getByRole("button", { name: "Rotate key" }).click();
  const shown = page.getByRole("alertdialog", { name: "New secret for rotating-key" });
  await expect(shown).toContainText("The old key is now Expiring soon");
  const fresh = await shown.getByLabel("New secret").inputValue();
  await shown.getByRole("button", { name: "I have saved it" }).click();

  expect(await authenticates(fresh)).toBe(true);
  expect(await authenticates(secret)).toBe(true);
  await page.goto("/console/production/keys?q=rotating-key");
  const rows = page.getByRole("table", { name: "API keys" }).getByRole("row");
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(1)).toContainText("Active");
  await expect(rows.nth(2)).toContainText("Expiring soon");
});

test("change a key's expiration to an exact moment", async ({ page }) => {
  const inTwoDays = new Date(Date.now() + 2 * 24 * 3600 * 1000).toISOString();
  const { apiKey } = await keyViaApi("expiring-key", { expiresAt: inTwoDays });
  await openKey(page, "expiring-key");
  await page.getByRole("button", { name: "Change expiration" }).click();
  // 10 days ahead, 09:30 in the browser's time zone.
  const target = new Date(Date.now() + 10 * 24 * 3600 * 1000);
  target.setHours(9, 30, 0, 0);
  const pad = (n: number) => String(n).padStart(2, "0");
  const local = `${target.getFullYear()}-${pad(target.getMonth() + 1)}-${pad(target.getDate())}T09:30`;
  await page.getByLabel("Expires at (your time zone)").fill(local);
  await page.getByRole("button", { name: "Save expiration" }).click();
  await expect(page.getByRole("dialog")).toBeHidden();

  const read = await asKey<{ apiKey: { expiresAt: string; status: string } }>(fullAccessKey(), `query($id: ID!) { apiKey(id: $id) { expiresAt status } }`, {
    id: apiKey.id,
  });
  expect(new Date(read.data!.apiKey.expiresAt).getTime()).toBe(target.getTime());
  expect(read.data?.apiKey.status).toBe("ACTIVE");
});

test("revoke a key after typing its name", async ({ page }) => {
  const { secret } = await keyViaApi("doomed-key");
  await openKey(page, "doomed-key");
  await page.getByRole("button", { name: "Revoke key" }).click();
  const confirm = page.getByRole("button", { name: "Revoke for good" });
  await expect(confirm).toBeDisabled();
  await page.getByLabel("Type doomed-key to confirm").fill("doomed");
  await expect(confirm).toBeDisabled();
  await page.getByLabel("Type doomed-key to confirm").fill("doomed-key");
  await confirm.click();
  await expect(page.getByRole("complementary").getByText("Revoked").first()).toBeVisible();
  await expect(page.getByRole("button", { name: "Revoke key" })).toHaveCount(0);
  expect(await authenticates(secret)).toBe(false);
});

test("disable a key with a reason, then enable it again", async ({ page }) => {
  const { secret } = await keyViaApi("paused-key");
  await openKey(page, "paused-key");
  await page.getByRole("button", { name: "Disable key" }).click();
  await page.getByLabel("Reason").fill("investigating incident 7");
  await page.getByRole("dialog").getByRole("button", { name: "Disable key" }).click();
  const panel = page.getByRole("complementary");
  await expect(panel.getByText("investigating incident 7")).toBeVisible();
  await expect(panel.getByText("Disabled").first()).toBeVisible();
  expect(await authenticates(secret)).toBe(false);

  await page.getByRole("button", { name: "Enable key" }).click();
  await expect(page.getByRole("button", { name: "Disable key" })).toBeVisible();
  await expect(panel.getByText("investigating incident 7")).toHaveCount(0);
  expect(await authenticates(secret)).toBe(true);

  await page.getByRole("tab", { name: "Audit log" }).click();
  await expect(panel.getByRole("cell", { name: "Enabled", exact: true })).toBeVisible();
  await expect(panel.getByText("reason: investigating incident 7").first()).toBeVisible();
});

test("hold a key to an IP allow-list, then lift it", async ({ page }) => {
  const { secret } = await keyViaApi("pinned-key");
  await openKey(page, "pinned-key");
  const field = page.getByLabel(/Allowed IPs/);
  await field.fill("10.0.0.7/8\n2001:db8::/32");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await expect(page.getByRole("complementary").getByText("10.0.0.0/8, 2001:db8::/32")).toBeVisible();
  // The browser test's requests come from 127.0.0.1, outside the list.
  expect(await authenticates(secret)).toBe(false);

  await field.fill("");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("complementary").getByText("Any address", { exact: true })).toBeVisible();
  expect(await authenticates(secret)).toBe(true);
});

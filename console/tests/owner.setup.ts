import { expect, test } from "@playwright/test";
import { OWNER, server } from "./server";

test("the first owner is set up from the printed link, signs out and signs in again", async ({ page }) => {
  const link = new URL(server().ownerSetupUrl);
  await page.goto(link.pathname + link.hash);
  await expect(page.getByRole("heading", { name: "Set up the first owner" })).toBeVisible();
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Your name").fill(OWNER.name);
  await page.getByLabel("Password", { exact: true }).fill(OWNER.password);
  await page.getByLabel("Repeat the password").fill(OWNER.password);
  await page.getByRole("button", { name: "Create owner and sign in" }).click();

  await expect(page.getByRole("heading", { name: "API keys" })).toBeVisible();
  await expect(page).toHaveURL(/\/console\/production\/keys$/);
  await expect(page.getByText(`${OWNER.name} · Owner`)).toBeVisible();

  // The link works once.
  await page.goto(link.pathname + link.hash);
  await page.getByLabel("Email").fill("someone@example.com");
  await page.getByLabel("Your name").fill("Someone");
  await page.getByLabel("Password", { exact: true }).fill(OWNER.password);
  await page.getByLabel("Repeat the password").fill(OWNER.password);
  await page.getByRole("button", { name: "Create owner and sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("not valid any more");

  await page.goto("/console/production/keys");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "Sign in to Keyplane" })).toBeVisible();

  // A signed-out visit to a page asks to sign in, and comes back to it afterwards.
  await page.goto("/console/staging/activity");
  await expect(page).toHaveURL(/sign-in\?next=/);
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill("not the password at all");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("do not match");
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Activity" })).toBeVisible();
  await expect(page.getByLabel("Environment")).toHaveValue("staging");

  await page.context().storageState({ path: "test-results/owner.json" });
});

import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { server } from "./server";

/** No serious or critical WCAG 2.1 A/AA violation on what the page shows now. */
async function expectAccessible(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const grave = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(
    grave.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`),
    what,
  ).toEqual([]);
}

test("every screen and dialog passes an accessibility check", async ({ page, browser }) => {
  // A dozen axe scans take about 26 s on an idle 2-core machine: the default 30 s is too tight.
  test.slow();
  for (const path of ["keys", "publishable", "integrations", "activity", "users", "settings"]) {
    await page.goto(`/console/production/${path}`);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await page.waitForLoadState("networkidle");
    await expectAccessible(page, path);
  }

  await page.goto("/console/production/keys");
  await page.getByRole("button", { name: "+ Add scoped key" }).click();
  await page.getByRole("dialog").getByLabel("Permissions").selectOption("CUSTOM");
  await expectAccessible(page, "add scoped key dialog");
  await page.getByRole("button", { name: "Cancel" }).click();

  await page.goto("/console/production/keys?type=DEFAULT");
  await page.getByRole("link", { name: "Full access key" }).first().click();
  for (const tab of ["Overview", "Permissions", "Audit log", "Usage"]) {
    await page.getByRole("tab", { name: tab }).click();
    await page.waitForLoadState("networkidle");
    await expectAccessible(page, `key panel: ${tab}`);
  }
  await page.getByRole("button", { name: "Rotate key" }).click();
  await expectAccessible(page, "rotate dialog");
  await page.getByRole("button", { name: "Cancel" }).click();

  const signedOut = await browser.newContext({ baseURL: server().baseURL, storageState: undefined });
  const visitor = await signedOut.newPage();
  await visitor.goto("/console/sign-in");
  await expectAccessible(visitor, "sign in");
  await visitor.goto("/console/invitation#kpl_nothing");
  await expectAccessible(visitor, "invitation");
  await signedOut.close();
});

test("the console works from the keyboard alone", async ({ page }) => {
  await page.goto("/console/production/keys");
  await expect(page.getByRole("heading", { name: "API keys" })).toBeVisible();
  // The first Tab reaches the skip link, which jumps to the page's content.
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();
  await page.getByRole("button", { name: "+ Add scoped key" }).focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: "Add a scoped key" });
  await expect(dialog.getByLabel("Name")).toBeFocused();
  await page.keyboard.type("keyboard-key");
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("button", { name: "+ Add scoped key" })).toBeFocused();
});

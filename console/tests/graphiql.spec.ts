import { expect, test } from "@playwright/test";
import { fullAccessKey } from "./server";

test("GraphiQL loads with no request off this server and runs a query with a key", async ({ browser }) => {
  // A browser without a session, as a script author would open it.
  const context = await browser.newContext({ storageState: undefined });
  const page = await context.newPage();
  const base = new URL(test.info().project.use.baseURL ?? process.env.KEYPLANE_URL ?? "");
  const foreign: string[] = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.host !== base.host) {
      foreign.push(url.href);
      return route.abort();
    }
    return route.continue();
  });
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });

  await page.goto(`${base.origin}/graphql`, { waitUntil: "networkidle" });
  await expect(page.locator(".graphiql-container")).toBeVisible();
  // Put the key into the header editor, as a person would paste it.
  await page.getByRole("button", { name: "Headers" }).click();
  const headers = page.locator(".graphiql-editor-tool .CodeMirror").last();
  await headers.click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.insertText(JSON.stringify({ "X-API-Key": fullAccessKey() }));
  await page.getByRole("button", { name: /Execute query/ }).click();
  await expect(page.locator(".result-window")).toContainText('"name": "Production"', { timeout: 10_000 });
  await expect(page.locator(".result-window")).toContainText("FULL_ACCESS");

  expect(foreign).toEqual([]);
  expect(violations).toEqual([]);
  await context.close();
});

test("the console's playground runs as the signed-in user in the chosen environment", async ({ page }) => {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.goto("/console/staging/playground");
  await expect(page.locator(".graphiql-container")).toBeVisible();
  await page.getByRole("button", { name: /Execute query/ }).click();
  await expect(page.locator(".result-window")).toContainText('"name": "Staging"', { timeout: 10_000 });
  expect(violations).toEqual([]);
});

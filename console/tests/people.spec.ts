import { expect, test, type Browser, type Page } from "@playwright/test";
import { server } from "./server";

const PASSWORD = "a long enough passphrase";

/** Invites a person as the owner, and signs them in from the link in a browser of their own. */
async function invite(page: Page, browser: Browser, email: string, name: string, role: "MEMBER" | "READ_ONLY"): Promise<Page> {
  await page.goto("/console/production/users");
  await page.getByRole("button", { name: "Invite a user" }).click();
  await page.getByRole("dialog").getByLabel("Email").fill(email);
  await page.getByRole("dialog").getByLabel("Role").selectOption(role);
  await page.getByRole("button", { name: "Create invitation link" }).click();
  const link = await page.getByRole("alertdialog", { name: "Invitation link" }).getByLabel("Link").inputValue();
  await page.getByRole("button", { name: "I have saved it" }).click();

  const theirs = await browser.newContext({ baseURL: server().baseURL, storageState: undefined });
  const person = await theirs.newPage();
  const url = new URL(link);
  await person.goto(url.pathname + url.hash);
  await person.getByLabel("Your name").fill(name);
  await person.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await person.getByLabel("Repeat the password").fill(PASSWORD);
  await person.getByRole("button", { name: "Accept invitation" }).click();
  await expect(person.getByRole("heading", { name: "API keys" })).toBeVisible();
  return person;
}

test("invite a member, who signs in and works with keys", async ({ page, browser }) => {
  const member = await invite(page, browser, "mia@example.com", "Mia Member", "MEMBER");
  await expect(member.getByText("Mia Member · Member")).toBeVisible();
  await expect(member.getByRole("button", { name: "+ Add scoped key" })).toBeVisible();

  // The owner sees them, and can change their role.
  await page.goto("/console/production/users");
  const row = page.getByRole("row", { name: /Mia Member/ });
  await expect(row).toContainText("mia@example.com");
  await row.getByRole("combobox", { name: "Role of Mia Member" }).selectOption("READ_ONLY");
  await member.reload();
  await expect(member.getByText("Mia Member · Read-only")).toBeVisible();

  // Disabled, they are signed out.
  await row.getByRole("button", { name: "Disable Mia Member" }).click();
  await expect(row).toContainText("Disabled");
  await member.reload();
  await expect(member.getByRole("heading", { name: "Sign in to Keyplane" })).toBeVisible();
  await member.context().close();
});

test("a read-only user sees no control that would change anything, and a forged change is refused", async ({ page, browser }) => {
  const reader = await invite(page, browser, "rita@example.com", "Rita Reader", "READ_ONLY");
  const mutating = /Add scoped key|Rotate|Revoke|Save|Connect|Disconnect|Invite|Issue|Turn|Disable|Remove|Enable/;
  for (const path of ["keys", "publishable", "integrations", "users", "settings"]) {
    await reader.goto(`/console/production/${path}`);
    await expect(reader.getByRole("heading", { level: 1 })).toBeVisible();
    const buttons = await reader.getByRole("main").getByRole("button").allInnerTexts();
    expect(buttons.filter((b) => mutating.test(b)), path).toEqual([]);
  }
  await reader.goto("/console/production/keys?type=DEFAULT");
  await reader.getByRole("link", { name: "Full access key" }).first().click();
  await expect(reader.getByRole("tab", { name: "Overview" })).toBeVisible();
  expect((await reader.getByRole("complementary").getByRole("button").allInnerTexts()).filter((b) => mutating.test(b))).toEqual([]);
  await reader.getByRole("tab", { name: "Permissions" }).click();
  const matrix = reader.getByRole("table", { name: "Permissions" }).getByRole("checkbox");
  await expect(matrix.first()).toBeDisabled();
  for (const box of await matrix.all()) await expect(box).toBeDisabled();

  // A request the page would never send is refused by the server all the same.
  const answer = await reader.evaluate(async () => {
    const response = await fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", "keyplane-environment": "production" },
      body: JSON.stringify({ query: 'mutation { createApiKey(input: {name: "forged", preset: READ_ONLY}) { secret } }' }),
    });
    return { status: response.status, body: (await response.json()) as { errors?: { extensions?: { code?: string } }[] } };
  });
  expect(answer.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  await reader.context().close();
});

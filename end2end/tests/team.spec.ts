import { Browser, expect, Page, test } from "@playwright/test";
import { hydrated, signIn } from "./support";

/** Signs in with a password of its own (the invited account's), in a browser of its own. */
async function signInAs(browser: Browser, email: string, secret: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(secret);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/inbox/);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", hydrated);
  return page;
}

async function openTeam(page: Page) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Team" }).click();
  await expect(page).toHaveURL(/\/team$/);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", hydrated);
}

test("an admin invites an agent, who works in the inbox until deactivated", async ({ page, browser }) => {
  // A new account each run: the demo's agent and marketer stay as other specs expect them.
  const stamp = Date.now().toString(36);
  const email = `agent-${stamp}@salon.example`;
  const name = `Rosa ${stamp}`;
  const secret = `rosa-${stamp}-password`;

  await signIn(page);
  await openTeam(page);
  const invite = page.getByRole("form", { name: "Invite a staff member" });
  await invite.getByLabel("Email", { exact: true }).fill(email);
  await invite.getByLabel("Name", { exact: true }).fill(name);
  await invite.getByLabel(/^Role/).selectOption("agent");
  // Too short first: the form says so and nobody is invited.
  await invite.getByLabel(/^Password/).fill("short");
  await invite.getByRole("button", { name: "Invite" }).click();
  await expect(invite.getByRole("alert")).toContainText("at least 8 characters");
  await invite.getByLabel(/^Password/).fill(secret);
  await invite.getByRole("button", { name: "Invite" }).click();
  await expect(invite.getByRole("status")).toContainText(`${email} can sign in now`);
  const members = page.getByRole("region", { name: "Staff accounts" });
  await expect(members.getByRole("row", { name: new RegExp(name) })).toContainText("Active");

  // The only admin cannot step down: the page says why, and the role stays.
  const me = members.getByRole("row", { name: /\(you\)/ });
  await me.getByRole("combobox").selectOption("agent");
  await expect(members.getByRole("alert")).toContainText("This is the last admin");
  await expect(members.getByRole("row", { name: /\(you\)/ }).getByRole("combobox")).toHaveValue("admin");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);

  // The new agent signs in, reads the inbox, and is offered nothing on the Team page.
  const agent = await signInAs(browser, email, secret);
  await expect(agent.getByRole("region", { name: "Conversations" })).toBeVisible();
  await expect(agent.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Team" })).toHaveCount(0);
  await agent.goto("/team");
  await expect(agent.locator("body")).toHaveAttribute("data-hydrated", "true", hydrated);
  await expect(agent.getByText("Only an admin can manage the team.")).toBeVisible();
  await expect(agent.getByRole("button", { name: /Invite|Deactivate|Reset/ })).toHaveCount(0);

  // The admin deactivates them, after a question asked inside the page.
  await signIn(page);
  await openTeam(page);
  const row = members.getByRole("row", { name: new RegExp(name) });
  await row.getByRole("button", { name: `Deactivate ${name}` }).click();
  const question = page.getByRole("alertdialog");
  await expect(question).toContainText(`Deactivate “${name}”?`);
  await expect(question.getByRole("button", { name: "Confirm" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(question).toHaveCount(0);
  await expect(row).toContainText("Active");
  await row.getByRole("button", { name: `Deactivate ${name}` }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Confirm" }).click();
  await expect(members.getByRole("row", { name: new RegExp(name) })).toContainText("Deactivated");

  // The agent's next page load is sent to sign in, and signing in again is refused.
  await agent.goto("/inbox");
  await expect(agent).toHaveURL(/\/login\?next=/);
  await agent.getByLabel("Email").fill(email);
  await agent.getByLabel("Password").fill(secret);
  await agent.getByRole("button", { name: "Sign in" }).click();
  await expect(agent).toHaveURL(/error=invalid/);
});

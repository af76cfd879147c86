import { expect, test } from "@playwright/test";
import { customerSays, fakeGraph, hydrated, newNumber, password } from "./support";

const marketer = "marketer@frontdesk.local";

/** "137 of 250 sent today" → 137. */
async function sentToday(counter: import("@playwright/test").Locator): Promise<number> {
  const text = (await counter.textContent()) ?? "";
  return Number(text.match(/(\d+) of \d+ sent today/)![1]);
}

test("a marketer sends a personalised campaign, safely (sprint test case 2)", async ({ page, request }) => {
  const [ana, bruno, nameless, olga] = [newNumber(), newNumber(), newNumber(), newNumber()];
  // Four customers agree to marketing messages (START); three give their names; Olga then opts out.
  for (const number of [ana, bruno, nameless, olga]) await customerSays(request, number, "START");
  await customerSays(request, ana, "I'm Ana");
  await customerSays(request, bruno, "I'm Bruno");
  await customerSays(request, olga, "I'm Olga");

  // The marketer signs in and sees the names arrive in the inbox.
  await page.goto("/login");
  await page.getByLabel("Email").fill(marketer);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", hydrated);
  const list = page.getByRole("region", { name: "Conversations" });
  for (const name of ["Ana", "Bruno", "Olga"]) await expect(list.getByRole("link", { name: new RegExp(`^${name} `) })).toBeVisible();
  await customerSays(request, olga, "STOP");

  await page.goto("/campaigns");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", hydrated);
  const counter = page.getByTestId("daily-counter");
  await expect(counter).toContainText("sent today");
  const before = await sentToday(counter);

  // Compose "Hi {customer_name}, …" with the button, no delays, at any hour.
  await page.getByLabel("Name", { exact: true }).fill(`Colour week ${ana}`);
  const text = page.getByLabel("Text", { exact: true });
  await text.fill("Hi ");
  await page.getByRole("button", { name: "Insert {customer_name}" }).click();
  await expect(text).toHaveValue("Hi {customer_name}");
  await text.press("End");
  await text.pressSequentially(", colour is 20% off this week!");
  await page.getByLabel("Shortest delay (s)").fill("0");
  await page.getByLabel("Shortest delay (s)").blur();
  await page.getByLabel("Longest delay (s)").fill("0");
  await page.getByLabel("Longest delay (s)").blur();
  await page.getByLabel("Sending from").fill("00:00");
  await page.getByLabel("Sending from").blur();
  await page.getByLabel("until", { exact: true }).fill("00:00");
  await page.getByLabel("until", { exact: true }).blur();

  // The live preview shows the real messages: names from the contacts table, the fallback otherwise.
  const preview = page.locator(".preview");
  await expect(preview).toContainText("Hi Ana, colour is 20% off this week!");
  await expect(preview).toContainText("Hi Bruno, colour is 20% off this week!");
  await expect(preview).toContainText("Hi there, colour is 20% off this week!");
  await expect(preview).not.toContainText("Olga");
  await expect(page.locator(".skips")).toContainText("opted out of messages");

  // The disclaimer must be accepted before the campaign can launch.
  await page.getByRole("button", { name: "Review and launch…" }).click();
  const dialog = page.getByRole("dialog", { name: "Before you launch" });
  const launch = dialog.getByRole("button", { name: "Launch campaign" });
  await expect(launch).toBeDisabled();
  await dialog.getByLabel(/I confirm that every recipient consented/).check();
  await launch.click();
  await expect(dialog).toBeHidden();

  // The campaign sends one message to each eligible customer; the counter moves.
  await expect(counter).toContainText(`${before + 3} of`, { timeout: 30_000 });
  // The list refreshes every few seconds; open the campaign by its address.
  const href = await page.getByRole("link", { name: `Colour week ${ana}` }).getAttribute("href");
  await page.goto(href!);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", hydrated);
  await expect(page.getByRole("heading", { name: `Colour week ${ana}` })).toBeVisible();
  const rows = page.locator("table.recipients tbody tr");
  const row = (number: string) => rows.filter({ hasText: `+${number}` });
  await expect(row(ana)).toHaveAttribute("data-status", "sent", { timeout: 30_000 });
  await expect(row(ana)).toContainText("Hi Ana, colour is 20% off this week!");
  await expect(row(bruno)).toHaveAttribute("data-status", "sent");
  await expect(row(nameless)).toHaveAttribute("data-status", "sent");
  await expect(row(nameless)).toContainText("Hi there, colour");
  await expect(row(olga)).toHaveAttribute("data-status", "skipped");
  await expect(row(olga)).toContainText("opted out of messages");

  if (fakeGraph) {
    const sent: { to: string; body?: string }[] = await (await fetch(`${fakeGraph}/__sent`)).json();
    const campaign = (to: string) => sent.filter((m) => m.to === to && m.body?.includes("colour is 20% off"));
    expect(campaign(ana).map((m) => m.body)).toEqual(["Hi Ana, colour is 20% off this week!"]);
    expect(campaign(bruno).map((m) => m.body)).toEqual(["Hi Bruno, colour is 20% off this week!"]);
    expect(campaign(nameless).map((m) => m.body)).toEqual(["Hi there, colour is 20% off this week!"]);
    expect(campaign(olga)).toEqual([]);
  }
});

test("an agent follows campaigns but cannot compose one", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill("agent@frontdesk.local");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", hydrated);
  await page.goto("/campaigns");
  await expect(page.getByTestId("daily-counter")).toContainText("sent today");
  await expect(page.getByText("marketers and admins create and control them")).toBeVisible();
  await expect(page.getByRole("button", { name: "Review and launch…" })).toHaveCount(0);
});

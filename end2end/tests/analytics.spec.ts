import { expect, Page, test } from "@playwright/test";
import { hydrated, newNumber, nextFriday, openLiveInbox, signIn } from "./support";

/** The "Attended revenue from the bot" card of the last 30 days, in cents. */
async function attendedRevenue(page: Page): Promise<number> {
  await page.goto("/analytics?days=30");
  const card = page.getByRole("group", { name: "Attended revenue from the bot" });
  const text = (await card.locator(".stat-value").textContent()) ?? "";
  const amount = text.match(/-?\d+\.\d{2}/);
  expect(amount, `an amount in “${text}”`).not.toBeNull();
  return Math.round(Number(amount![0]) * 100);
}

/** The business-local day, YYYY-MM-DD, `daysAgo` days before today. */
function localDay(timeZone: string, daysAgo: number): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone }).format(new Date(Date.now() - daysAgo * 86_400_000));
}

test("marking an attended appointment a no-show takes its price out of the bot's attended revenue", async ({ page }) => {
  await signIn(page);
  const before = await attendedRevenue(page);

  // Sara's haircut, booked by the bot eight days ago (demo data), 55.00 EUR, attended.
  await page.goto("/appointments");
  const zone = (await page.getByText(/^Times are in /).textContent())!.replace("Times are in ", "").replace(/\.$/, "");
  // Sara's conversation is open in another tab: its contact panel follows the change live.
  const inbox = await page.context().newPage();
  await openLiveInbox(inbox);
  await inbox.getByRole("region", { name: "Conversations" }).getByRole("link", { name: /Sara López/ }).click();
  const panel = inbox.getByRole("list", { name: "Appointments" });
  await expect(panel).toContainText("attended");

  await page.goto(`/appointments?day=${localDay(zone, 8)}`);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", hydrated);
  const noShow = page.getByRole("button", { name: /^No-show: Sara López/ });
  const attended = page.getByRole("button", { name: /^Attended: Sara López/ });
  await expect(attended).toHaveAttribute("aria-pressed", "true");
  await noShow.click();
  await expect(noShow).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByRole("listitem").filter({ hasText: "Sara López" })).toContainText("no-show");
  await expect(panel).toContainText("no-show");
  await inbox.close();

  expect(await attendedRevenue(page)).toBe(before - 5500);
  // The figures explain themselves, and the charts read as tables too.
  await expect(page.getByRole("img", { name: /Attended revenue per day/ })).toBeVisible();
  await page.getByRole("figure").filter({ hasText: "Campaign funnel" }).getByText("Show as a table").click();
  await expect(page.getByRole("row", { name: /Sent/ })).toBeVisible();
  const csv = await page.request.get(
    (await page.getByRole("link", { name: "Download the daily figures (CSV)" }).getAttribute("href"))!,
  );
  expect(csv.headers()["content-type"]).toContain("text/csv");
  const lines = (await csv.text()).trim().split("\n");
  expect(lines[0]).toMatch(/^day,conversations,.*attended_revenue/);
  expect(lines).toHaveLength(31);

  // Marked attended again, it counts again (and the demo data is as the other journeys expect).
  await page.goto(`/appointments?day=${localDay(zone, 8)}`);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", hydrated);
  await attended.click();
  await expect(attended).toHaveAttribute("aria-pressed", "true");
  expect(await attendedRevenue(page)).toBe(before);
});

test("a marketer sees the campaigns' part of the figures, without revenue or costs", async ({ page }) => {
  await signIn(page, "marketer@frontdesk.local");
  await page.goto("/analytics?days=90");
  await expect(page.getByRole("figure").filter({ hasText: "Campaign funnel" })).toBeVisible();
  await expect(page.getByText("Your role sees part of these figures")).toBeVisible();
  await expect(page.getByRole("group", { name: "Attended revenue from the bot" })).toHaveCount(0);
  await expect(page.getByRole("group", { name: "ROI" })).toHaveCount(0);
  // A range that ends before it starts is refused with the reason.
  await page.goto("/analytics?from=2026-03-10&to=2026-03-01");
  await expect(page.getByRole("alert")).toContainText("is after");
});

test("staff book a customer in free time, move the appointment and cancel it", async ({ page }) => {
  await signIn(page, "agent@frontdesk.local");
  const day = nextFriday();
  await page.goto(`/appointments?day=${day}`);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", hydrated);
  const form = page.getByRole("form", { name: "Book an appointment" });
  const number = newNumber();
  await form.getByLabel("Customer's WhatsApp number").fill(`+${number}`);
  await form.getByLabel("Name (if new)").fill("Noor Haddad");
  await form.getByLabel("Service").selectOption({ label: "Men's haircut" });
  await form.getByLabel("Time").fill("10:00");
  await form.getByRole("button", { name: "Book appointment" }).click();
  const booked = page.getByRole("listitem").filter({ hasText: "Noor Haddad" });
  await expect(booked).toContainText("10:00–10:30");
  await expect(booked).toContainText("Ben Okafor");

  // The same time for someone else is taken: the form says so and offers free times.
  await form.getByLabel("Customer's WhatsApp number").fill(`+${newNumber()}`);
  await form.getByLabel("Service").selectOption({ label: "Men's haircut" });
  await form.getByLabel("Time").fill("10:00");
  await form.getByRole("button", { name: "Book appointment" }).click();
  await expect(form.getByRole("alert")).toContainText("That time is not free. Free nearby:");

  await booked.getByRole("button", { name: /^Move Noor Haddad/ }).click();
  const move = page.getByRole("form", { name: /^Move Noor Haddad/ });
  await move.getByLabel("Time").fill("11:00");
  await move.getByRole("button", { name: "Move appointment" }).click();
  await expect(booked).toContainText("11:00–11:30");

  await booked.getByRole("button", { name: /^Cancel Noor Haddad/ }).click();
  await booked.getByLabel("Tell the customer on WhatsApp").uncheck();
  await booked.getByRole("button", { name: "Cancel appointment" }).click();
  await expect(booked).toContainText("cancelled");
});

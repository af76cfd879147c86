import { APIRequestContext, expect, Page, test } from "@playwright/test";
import { customerSays, hydrated, newNumber, openLiveInbox, signIn } from "./support";

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** A Madrid day `ahead` days from today: as YYYY-MM-DD, as the receptionist writes it ("Wednesday 2 December"), and as the back office lists it ("Wed 2 Dec 2026"). */
function dayAhead(ahead: number) {
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Madrid" }).format(new Date());
  const day = new Date(new Date(`${today}T12:00:00Z`).getTime() + ahead * 86_400_000);
  const [year, month, date, weekday] = [day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), day.getUTCDay()];
  return {
    iso: day.toISOString().slice(0, 10),
    label: `${WEEKDAYS[weekday]} ${date} ${MONTHS[month]}`,
    short: `${WEEKDAYS[weekday].slice(0, 3)} ${date} ${MONTHS[month].slice(0, 3)} ${year}`,
    weekday,
    holiday: (month === 11 && [24, 25, 26].includes(date)) || (month === 0 && date === 1),
  };
}

/**
 * A day the demo salon is open all day (Tuesday to Thursday, not a holiday), in the second week
 * ahead: other specs book in the first week, and must not find it closed should this test stop
 * before it reopens the day.
 */
function openDayAhead() {
  for (let ahead = 9; ahead <= 15; ahead++) {
    const day = dayAhead(ahead);
    if (day.weekday >= 2 && day.weekday <= 4 && !day.holiday) return day;
  }
  throw new Error("no open weekday in the second week ahead");
}

/** A new customer gives a name and asks for a women's haircut on `iso`; returns the bot's answer to that. */
async function askForDay(page: Page, request: APIRequestContext, name: string, iso: string): Promise<string> {
  await openLiveInbox(page);
  const chat = page.getByRole("region", { name: "Chat" });
  const number = newNumber();
  await customerSays(request, number, "hi");
  await page.getByRole("region", { name: "Conversations" }).getByRole("link", { name: new RegExp(number) }).click();
  await expect(chat.getByText("May I have your name?")).toBeVisible();
  await customerSays(request, number, `I'm ${name}`);
  await expect(chat.getByRole("heading", { name })).toBeVisible();
  const before = await chat.locator(".bubble.bot").count();
  await customerSays(request, number, `Can I book a women's haircut on ${iso}?`);
  const bot = chat.locator(".bubble.bot");
  await expect(bot).toHaveCount(before + 1, { timeout: 15_000 });
  return (await bot.last().textContent()) ?? "";
}

test("an owner closes a day in the back office and the receptionist offers no time that day", async ({ page, request }) => {
  const day = openDayAhead();
  const offersThatDay = new RegExp(`on ${day.label} I can offer \\d\\d:\\d\\d`);
  await signIn(page);

  // Before: a customer asking for that day is offered times on it (so the check below can fail).
  const before = await askForDay(page, request, "Quentin", day.iso);
  expect(before).toMatch(offersThatDay);

  // The owner closes that day. Keyboard and labels only: the form is usable without a mouse.
  await page.goto("/backoffice");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", hydrated);
  const hours = page.getByRole("region", { name: "Hours & closures" });
  const closures = hours.getByRole("list", { name: "Closures" });
  const form = hours.getByRole("form", { name: "Add a closure" });
  // A reason is required: customers are told it.
  await form.getByLabel("First day").fill(day.iso);
  await form.getByRole("button", { name: "Add closure" }).click();
  await expect(form.getByRole("alert")).toContainText("Say why");
  await form.getByLabel("Reason (customers are told it)").fill("Staff training");
  await form.getByLabel("Reason (customers are told it)").press("Enter");
  await expect(closures).toContainText("Staff training");

  // After: another customer asking for that day hears it is closed, and no time on it is offered.
  const after = await askForDay(page, request, "Yara", day.iso);
  expect(after).toContain(`We're closed on ${day.label} (Staff training).`);
  expect(after).not.toMatch(offersThatDay);

  // Reopened, as the other specs expect the salon.
  await page.goto("/backoffice");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", hydrated);
  await hours.getByRole("button", { name: `Delete closure ${day.short}` }).click();
  await hours.getByRole("alertdialog").getByRole("button", { name: "Confirm" }).click();
  await expect(closures).not.toContainText("Staff training");
});

test("time off over a booked appointment lists it and is saved only when the owner keeps it booked", async ({ page }) => {
  // The demo has Priya booked with Chloe in three days at 11:00.
  const day = dayAhead(3);
  await signIn(page);
  await page.goto("/backoffice");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", hydrated);
  const staff = page.getByRole("region", { name: "Staff" });
  const chloe = staff.getByRole("row", { name: /Chloe Martin/ });
  await expect(chloe).toContainText("Whenever open");
  await staff.getByRole("button", { name: "Time off for Chloe Martin" }).click();
  const panel = staff.getByRole("group", { name: "Time off for Chloe Martin" });
  await expect(panel).toContainText("No time off planned.");
  const form = panel.getByRole("form", { name: "Add time off" });
  await form.getByLabel("First day").fill(day.iso);
  await form.getByLabel("Reason (optional, staff only)").fill("Course");
  await form.getByRole("button", { name: "Add time off" }).click();

  // Not saved: the appointment is listed, and the owner chooses.
  const booked = form.getByRole("group", { name: "Booked appointments on these days" });
  await expect(booked).toContainText("1 booked appointment falls on these days:");
  await expect(booked).toContainText(`${day.short}, 11:00`);
  await expect(booked).toContainText("Highlights with Chloe Martin, for Priya Shah");
  await booked.getByRole("button", { name: "Back" }).click();
  await expect(booked).toHaveCount(0);
  await expect(panel).toContainText("No time off planned.");

  await form.getByRole("button", { name: "Add time off" }).click();
  await booked.getByRole("button", { name: "Add anyway — keep these appointments booked" }).click();
  await expect(chloe).toContainText(day.short);

  // Removed again, so the other specs find Chloe at work.
  await staff.getByRole("button", { name: "Time off for Chloe Martin" }).click();
  await panel.getByRole("button", { name: `Delete time off ${day.short}` }).click();
  await panel.getByRole("alertdialog").getByRole("button", { name: "Confirm" }).click();
  await expect(chloe).not.toContainText(day.short);
});

test("an agent reads staff, hours and closures but is offered no edits", async ({ page }) => {
  await signIn(page, "agent@frontdesk.local");
  await page.goto("/backoffice");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", hydrated);
  await expect(page.getByRole("region", { name: "Staff" })).toContainText("Chloe Martin");
  const hours = page.getByRole("region", { name: "Hours & closures" });
  await expect(hours.getByRole("table", { name: "Weekly hours" })).toContainText("09:00–19:00");
  await expect(hours).toContainText("Christmas");
  await expect(page.getByRole("form")).toHaveCount(0);
  await expect(page.getByRole("button", { name: /^(Time off for|Delete|Add)/ })).toHaveCount(0);
});

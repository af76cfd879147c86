import { expect, test } from "@playwright/test";

const email = process.env.FRONTDESK_ADMIN_EMAIL ?? "admin@frontdesk.local";
const password = process.env.FRONTDESK_ADMIN_PASSWORD ?? "frontdesk-demo";

test("sign in, use the hydrated inbox, sign out", async ({ page }) => {
  // A closed page sends you to sign in, and back afterwards.
  await page.goto("/inbox");
  await expect(page).toHaveURL(/\/login\?next=%2Finbox$/);
  await expect(page.getByRole("heading", { name: "Sign in to Frontdesk" })).toBeVisible();

  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("definitely-wrong");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Wrong email or password.");

  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/inbox$/);
  await expect(page.getByRole("heading", { name: "Inbox" })).toBeVisible();
  await expect(page.getByText(email)).toBeVisible();

  // The HTML as served, before any script runs, already holds the conversations.
  const served = await page.request.get("/inbox");
  expect(served.status()).toBe(200);
  const html = await served.text();
  expect(html).toContain("Sara López");
  expect(html).toContain("Priya Shah");

  // After hydration the search box filters the list through a server function.
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 60_000 });
  const list = page.getByRole("region", { name: "Conversations" });
  await expect(list.getByRole("link", { name: /Sara López/ })).toBeVisible();
  await page.getByRole("searchbox", { name: "Search by name or number" }).fill("priya");
  await expect(list.getByRole("link", { name: /Priya Shah/ })).toBeVisible();
  await expect(list.getByRole("link", { name: /Sara López/ })).toHaveCount(0);

  // Opening a conversation shows its chat and contact without a reload.
  await list.getByRole("link", { name: /Priya Shah/ }).click();
  await expect(page).toHaveURL(/\/inbox\?c=\d+$/);
  const chat = page.getByRole("region", { name: "Chat" });
  await expect(chat.getByRole("heading", { name: "Priya Shah" })).toBeVisible();
  await expect(chat.getByText("how much is a full colour?")).toBeVisible();
  await expect(page.getByRole("complementary", { name: "Contact" }).getByText("Highlights")).toBeVisible();

  // An address without a page is a 404 inside the app.
  const missing = await page.goto("/no-such-page");
  expect(missing?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();

  // Signing out closes the app again.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/inbox");
  await expect(page).toHaveURL(/\/login\?next=%2Finbox$/);
});

test("the other pages render inside the frame", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/inbox$/);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 60_000 });

  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Knowledge" }).click();
  await expect(page.getByRole("heading", { name: "Knowledge" })).toBeVisible();
  await expect(page.getByRole("cell", { name: /Women's haircut/ })).toBeVisible();
  await expect(page.getByText("Closed").first()).toBeVisible();

  await nav.getByRole("link", { name: "Campaigns" }).click();
  await expect(page.getByRole("heading", { name: "Campaigns" })).toBeVisible();
  await nav.getByRole("link", { name: "Analytics" }).click();
  await expect(page.getByRole("heading", { name: "Analytics" })).toBeVisible();
});

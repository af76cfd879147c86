import { expect, test } from "@playwright/test";
import { customerSays, fakeGraph, hydrated, newNumber, signIn } from "./support";

test("an owner changes a service's price and the next customer asking is quoted the new one", async ({ page, request }) => {
  await signIn(page);
  await page.goto("/backoffice");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", hydrated);
  const services = page.getByRole("region", { name: "Services" });

  // A price that is not an amount is refused on the form, and nothing changes.
  await services.getByRole("button", { name: "Edit Beard trim" }).click();
  const editor = services.getByRole("form", { name: "Edit “Beard trim”" });
  const price = editor.getByLabel("Price");
  await price.fill("-5");
  await price.press("Enter");
  await expect(editor.getByRole("alert")).toHaveText("The price must be a positive amount, like 35.50.");

  // A new price, saved with Enter, shows in the list.
  const newPrice = `2${Math.floor(Math.random() * 9) + 1}.40`;
  await price.fill(newPrice);
  await price.press("Enter");
  const row = services.getByRole("row", { name: /Beard trim/ });
  await expect(row).toContainText(`${newPrice} EUR`);

  // A customer asks through the signed webhook and is quoted the new price at once.
  const number = newNumber();
  await customerSays(request, number, "how much is a beard trim?");
  if (fakeGraph) {
    await expect(async () => {
      const received: { to: string; body: string }[] = await (await fetch(`${fakeGraph}/__sent`)).json();
      expect(received.filter((m) => m.to === number).map((m) => m.body).join("\n")).toContain(`${newPrice} EUR`);
    }).toPass({ timeout: 15_000 });
  }
  await page.goto("/inbox");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", hydrated);
  await page.getByRole("region", { name: "Conversations" }).getByRole("link", { name: new RegExp(number) }).click();
  const chat = page.getByRole("region", { name: "Chat" });
  await expect(chat.locator(".bubble.bot").filter({ hasText: `${newPrice} EUR` })).toBeVisible({ timeout: 15_000 });
});

test("an agent reads the back office but is offered no edits", async ({ page }) => {
  await signIn(page, "agent@frontdesk.local");
  await page.goto("/backoffice");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", hydrated);
  await expect(page.getByRole("region", { name: "Services" })).toContainText("Beard trim");
  await expect(page.getByText("Only an admin can change these; you can read them.")).toBeVisible();
  await expect(page.getByRole("button", { name: /^Edit / })).toHaveCount(0);
});

test("an admin deletes a tag only after confirming it inside the page", async ({ page }) => {
  const name = `Spring ${Date.now().toString(36)}`;
  await signIn(page);
  await page.goto("/backoffice");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", hydrated);
  const tags = page.getByRole("region", { name: "Tags" });
  const editor = tags.getByRole("form", { name: "New tag" });
  await editor.getByLabel("Tag name").fill(name);
  await editor.getByRole("button", { name: "Save tag" }).click();
  const row = tags.getByRole("row", { name: new RegExp(name) });
  await expect(row).toContainText("0 contacts");

  // Cancel keeps it; Confirm deletes it.
  await row.getByRole("button", { name: `Delete tag ${name}` }).click();
  const question = tags.getByRole("alertdialog");
  await expect(question).toContainText(`Delete “${name}”?`);
  await question.getByRole("button", { name: "Cancel" }).click();
  await expect(question).toHaveCount(0);
  await expect(row).toBeVisible();
  await row.getByRole("button", { name: `Delete tag ${name}` }).click();
  await tags.getByRole("alertdialog").getByRole("button", { name: "Confirm" }).click();
  await expect(tags.getByRole("row", { name: new RegExp(name) })).toHaveCount(0);
});

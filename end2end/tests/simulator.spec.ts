import { expect, test } from "@playwright/test";
import { newNumber, signIn } from "./support";

test("staff play a customer in the simulator and the bot answers through the pipeline", async ({ page }) => {
  await signIn(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Simulator" }).click();
  await expect(page.getByRole("heading", { name: "Customer simulator" })).toBeVisible();
  await expect(page.getByText(/^AI: /)).toBeVisible();

  // With a WhatsApp access token (the fake Graph run) replies would reach real phones: the
  // simulator is off and says why.
  if (process.env.E2E_FAKE_GRAPH) {
    await expect(page.getByRole("status")).toContainText("The simulator is off");
    await expect(page.getByLabel("Customer's WhatsApp number")).toHaveCount(0);
    return;
  }

  const number = newNumber();
  await page.getByLabel("Customer's WhatsApp number").fill(number);
  await page.getByLabel("Customer's WhatsApp number").blur();
  await expect(page.getByText("No messages yet. Say hi!")).toBeVisible();

  const message = page.getByRole("textbox", { name: "Message as the customer" });
  await message.fill("hi");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(page.locator(".phone .bubble.mine")).toHaveText("hi");
  await expect(page.locator(".phone .bubble.theirs").first()).toContainText("May I have your name?");
  await expect(message).toHaveValue("");

  // An empty message is refused with an explanation.
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(page.getByRole("alert")).toHaveText("Type a message first.");

  // The conversation is in the inbox, by number.
  await page.goto("/inbox");
  await expect(page.getByRole("region", { name: "Conversations" }).getByRole("link", { name: new RegExp(number) })).toBeVisible();
});

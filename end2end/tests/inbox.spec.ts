import { expect, test, WebSocketRoute } from "@playwright/test";
import {
  customerSays,
  fakeGraph,
  firstOfferedTime,
  newNumber,
  nextFriday,
  openLiveInbox,
  signIn,
  spanishWeekdayAhead,
} from "./support";

test("a new customer appears live, gives a name and books (sprint test case 1)", async ({ page, request }) => {
  await signIn(page);
  await openLiveInbox(page);
  const list = page.getByRole("region", { name: "Conversations" });
  const chat = page.getByRole("region", { name: "Chat" });
  const number = newNumber();

  // The first message shows up in the open inbox, labelled by the phone number.
  await customerSays(request, number, "hi");
  const row = list.getByRole("link", { name: new RegExp(number) });
  await expect(row).toBeVisible();
  await row.click();
  await expect(chat.getByRole("heading", { name: number })).toBeVisible();
  await expect(chat.getByText("May I have your name?")).toBeVisible();

  // The name arrives: list and chat header change live.
  await customerSays(request, number, "I'm Zoe");
  await expect(list.getByRole("link", { name: /Zoe/ })).toBeVisible();
  await expect(chat.getByRole("heading", { name: "Zoe" })).toBeVisible();

  // Booking: the bot offers free times, the customer takes the first.
  await customerSays(request, number, `Can I book a women's haircut on ${nextFriday()} in the afternoon?`);
  const offer = chat.getByText(/I can offer/).last();
  await expect(offer).toBeVisible();
  const time = (await offer.textContent())!.match(/can offer (\d\d:\d\d)/)![1];
  await customerSays(request, number, `${time} please`);
  await expect(chat.getByText(/You're booked: women's haircut/)).toBeVisible();
  const panel = page.getByRole("complementary", { name: "Contact" });
  await expect(panel.getByRole("list", { name: "Appointments" })).toContainText("Women's haircut");
  await expect(panel).toContainText("booked");
});

test("a new customer writes in Spanish, gives a name and books, all answered in Spanish", async ({ page, request }) => {
  await signIn(page);
  await openLiveInbox(page);
  const list = page.getByRole("region", { name: "Conversations" });
  const chat = page.getByRole("region", { name: "Chat" });
  const botReplies = chat.locator(".bubble.bot .body");
  const number = newNumber();

  // "hola": the bot greets in Spanish and asks the name.
  await customerSays(request, number, "hola");
  const row = list.getByRole("link", { name: new RegExp(number) });
  await expect(row).toBeVisible();
  await row.click();
  await expect(chat.getByRole("heading", { name: number })).toBeVisible();
  await expect(botReplies).toHaveCount(1);
  await expect(botReplies.last()).toContainText(/nombre|llamas/i);

  // The name arrives: list and chat header change live.
  await customerSays(request, number, "me llamo Lucía");
  await expect(list.getByRole("link", { name: /Lucía/ })).toBeVisible();
  await expect(chat.getByRole("heading", { name: "Lucía" })).toBeVisible();
  await expect(botReplies).toHaveCount(2);

  // An afternoon ("por la tarde": from 15:00) on a named weekday: an offer in Spanish.
  const day = spanishWeekdayAhead();
  await customerSays(request, number, `Quiero reservar un corte de mujer el ${day} por la tarde`);
  await expect(botReplies).toHaveCount(3);
  const offer = botReplies.nth(2);
  await expect(offer).toContainText(day);
  await expect(offer).toContainText(/\d{1,2}:\d\d/);
  const time = firstOfferedTime((await offer.textContent()) ?? "");
  expect(time >= "15:00", `an afternoon time: ${time}`).toBe(true);

  // She answers with the first offered time: booked, confirmed in Spanish.
  await customerSays(request, number, time);
  await expect(botReplies).toHaveCount(4);
  const confirmation = botReplies.nth(3);
  await expect(confirmation).toContainText(`a las ${time}`);
  await expect(confirmation).toContainText(day);
  const panel = page.getByRole("complementary", { name: "Contact" });
  await expect(panel.getByRole("list", { name: "Appointments" })).toContainText("Women's haircut");
  await expect(panel).toContainText("booked");
  await expect(panel).toContainText("Español");
});

test("staff take over, reply by hand and hand back to the bot", async ({ page, request }) => {
  await signIn(page);
  await openLiveInbox(page);
  const number = newNumber();
  await customerSays(request, number, "hi");
  await page.getByRole("region", { name: "Conversations" }).getByRole("link", { name: new RegExp(number) }).click();
  const chat = page.getByRole("region", { name: "Chat" });
  const botBubbles = chat.locator(".bubble.bot");
  await expect(botBubbles).toHaveCount(1);
  await expect(botBubbles.first()).toContainText("May I have your name?");

  await chat.getByRole("button", { name: "Take over" }).click();
  await expect(chat.getByText("Staff are answering")).toBeVisible();

  // The bot stays silent while staff have the conversation.
  await customerSays(request, number, "are you there?");
  await expect(chat.getByText("are you there?")).toBeVisible();
  await page.waitForTimeout(1500);
  await expect(botBubbles).toHaveCount(1);

  // A manual reply goes out through WhatsApp and shows as sent; with the fake Graph server,
  // which reports delivery like WhatsApp does, it then shows as read.
  await page.getByRole("textbox", { name: "Reply" }).fill("Hi, this is Ana from the salon!");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  const staffBubble = chat.locator(".bubble.staff").filter({ hasText: "Hi, this is Ana from the salon!" });
  await expect(staffBubble).toBeVisible();
  await expect(page.getByRole("textbox", { name: "Reply" })).toHaveValue("");
  if (fakeGraph) {
    await expect(staffBubble.getByLabel("read")).toBeVisible();
    const received = await (await fetch(`${fakeGraph}/__sent`)).json();
    expect(received).toContainEqual(expect.objectContaining({ to: number, body: "Hi, this is Ana from the salon!" }));
  } else {
    await expect(staffBubble.getByLabel("sent")).toBeVisible();
  }

  // An empty reply is refused with a message; nothing is sent.
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(chat.getByRole("alert")).toHaveText("Write a reply first.");

  await chat.getByRole("button", { name: "Hand back to bot" }).click();
  await expect(chat.getByText("Bot is answering")).toBeVisible();
  await customerSays(request, number, "how much is a colour?");
  await expect(chat.getByText(/colour is 85.00 EUR/)).toBeVisible();
});

test("two signed-in browsers get the same live update; no session, no socket", async ({ browser, request }) => {
  const first = await browser.newContext();
  const second = await browser.newContext();
  const pages = [await first.newPage(), await second.newPage()];
  for (const page of pages) {
    await signIn(page);
    await openLiveInbox(page);
  }
  const number = newNumber();
  await customerSays(request, number, "hello from a new customer");
  for (const page of pages) {
    await expect(page.getByRole("region", { name: "Conversations" }).getByRole("link", { name: new RegExp(number) })).toBeVisible();
  }
  await first.close();
  await second.close();

  const stranger = await browser.newContext();
  const page = await stranger.newPage();
  await page.goto("/login");
  const outcome = await page.evaluate(
    () =>
      new Promise<string>((resolve) => {
        const socket = new WebSocket(`ws://${location.host}/ws/inbox-updates`);
        socket.onopen = () => resolve("open");
        socket.onerror = () => resolve("refused");
      }),
  );
  expect(outcome).toBe("refused");
  await stranger.close();
});

test("a marketer cannot take over, and replies outside the 24-hour window are refused", async ({ page }) => {
  await signIn(page, "marketer@frontdesk.local");
  await page.goto("/inbox");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 60_000 });
  await page.getByRole("region", { name: "Conversations" }).getByRole("link", { name: /Lena de Vries/ }).click();
  const chat = page.getByRole("region", { name: "Chat" });
  await expect(chat.getByText("24-hour window closed")).toBeVisible();
  await chat.getByRole("button", { name: "Take over" }).click();
  await expect(chat.getByRole("alert")).toHaveText("Your role does not allow this.");
  await expect(chat.getByText("Bot is answering")).toBeVisible();
});

test("an admin's reply outside the 24-hour window is explained, not sent", async ({ page }) => {
  await signIn(page);
  await page.goto("/inbox");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 60_000 });
  await page.getByRole("region", { name: "Conversations" }).getByRole("link", { name: /Lena de Vries/ }).click();
  const chat = page.getByRole("region", { name: "Chat" });
  await page.getByRole("textbox", { name: "Reply" }).fill("Hello Lena");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(chat.getByRole("alert")).toContainText("more than 24 hours old");
  await expect(chat.locator(".bubble.staff")).toHaveCount(0);
  await expect(page.getByRole("textbox", { name: "Reply" })).toHaveValue("Hello Lena");
});

test("staff edit a contact's name, tags and notes from the panel", async ({ page, request }) => {
  await signIn(page);
  await openLiveInbox(page);
  const number = newNumber();
  await customerSays(request, number, "hello");
  const list = page.getByRole("region", { name: "Conversations" });
  await list.getByRole("link", { name: new RegExp(number) }).click();
  const panel = page.getByRole("complementary", { name: "Contact" });
  await expect(panel).toContainText("Not known yet");

  await panel.getByRole("button", { name: "Edit" }).click();
  await panel.getByLabel("Name").fill("Maya Lind");
  await panel.getByLabel("Tags (comma separated)").fill("VIP, Colour client");
  await panel.getByLabel("Notes").fill("Prefers mornings");
  await panel.getByRole("button", { name: "Save" }).click();

  await expect(panel.getByRole("heading", { name: "Edit contact" })).toHaveCount(0);
  await expect(panel).toContainText("Maya Lind");
  await expect(panel).toContainText("Colour client, VIP");
  await expect(panel).toContainText("Prefers mornings");
  await expect(list.getByRole("link", { name: /Maya Lind/ })).toBeVisible();

  // A name that is too long is refused and nothing changes.
  await panel.getByRole("button", { name: "Edit" }).click();
  await panel.getByLabel("Name").evaluate((input: HTMLInputElement) => input.removeAttribute("maxlength"));
  await panel.getByLabel("Name").fill("x".repeat(61));
  await panel.getByRole("button", { name: "Save" }).click();
  await expect(panel.getByRole("alert")).toHaveText("A name is at most 60 characters.");
  await panel.getByRole("button", { name: "Cancel" }).click();
  await expect(panel).toContainText("Maya Lind");
});

test("live events change the open inbox in place, without reading the list again", async ({ page, request }) => {
  await signIn(page);
  await openLiveInbox(page);
  const list = page.getByRole("region", { name: "Conversations" });
  const chat = page.getByRole("region", { name: "Chat" });
  const number = newNumber();
  await customerSays(request, number, "hi");
  await list.getByRole("link", { name: new RegExp(number) }).click();
  await expect(chat.getByText("May I have your name?")).toBeVisible();
  await page.getByRole("searchbox", { name: "Search by name or number" }).fill(number);
  await expect(list.getByRole("link")).toHaveCount(1);

  const listReads: string[] = [];
  page.on("request", (r) => {
    if (new URL(r.url()).pathname === "/api/inbox/conversations") listReads.push(r.url());
  });
  // Someone the search does not match writes, then the open customer gives a name.
  await customerSays(request, newNumber(), "hello");
  await customerSays(request, number, "I'm Zoe");
  await expect(chat.getByRole("heading", { name: "Zoe" })).toBeVisible();
  await expect(list.getByRole("link", { name: /Zoe/ })).toBeVisible();
  await expect(list.getByRole("link")).toHaveCount(1);
  // The open conversation's new message counts as read.
  await expect(list.getByTitle("unread messages")).toHaveCount(0);
  expect(listReads).toEqual([]);
});

test("after a lost connection the inbox reconnects and catches up", async ({ page, request }) => {
  await signIn(page);
  // The first connection of the inbox opened below loses every event, then drops.
  let lossy: WebSocketRoute | undefined;
  await page.routeWebSocket(/\/ws\/inbox-updates$/, (ws) => {
    const server = ws.connectToServer();
    if (!lossy) {
      lossy = ws;
      server.onMessage(() => {});
    }
  });
  await openLiveInbox(page);
  const number = newNumber();
  await customerSays(request, number, "hello while you were away");
  const row = page.getByRole("region", { name: "Conversations" }).getByRole("link", { name: new RegExp(number) });
  await page.waitForTimeout(500);
  await expect(row).toHaveCount(0);

  await lossy!.close();
  await expect(row).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible();
});

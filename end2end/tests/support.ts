import crypto from "node:crypto";
import { APIRequestContext, expect, Page } from "@playwright/test";

export const adminEmail = process.env.FRONTDESK_ADMIN_EMAIL ?? "admin@frontdesk.local";
export const password = process.env.FRONTDESK_ADMIN_PASSWORD ?? "frontdesk-demo";
const appSecret = process.env.WHATSAPP_APP_SECRET ?? "e2e-app-secret";
/** Set when the app talks to the fake Graph server (end2end/fakes.mjs) instead of the outbox. */
export const fakeGraph = process.env.E2E_FAKE_GRAPH;

/** Loading and compiling the debug wasm bundle can be slow on a busy two-core machine. */
export const hydrated = { timeout: 60_000 };

export async function signIn(page: Page, email = adminEmail) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/inbox/);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", hydrated);
}

/** Opens the inbox and waits until its live connection is up. */
export async function openLiveInbox(page: Page) {
  await page.goto("/inbox");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", hydrated);
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible();
}

/** A fresh WhatsApp number for one test. */
export function newNumber(): string {
  return "3469" + String(Math.floor(Math.random() * 1e7)).padStart(7, "0");
}

/** Posts a signed text-message webhook exactly as Meta sends it. */
export async function customerSays(request: APIRequestContext, from: string, text: string) {
  const body = JSON.stringify({
    object: "whatsapp_business_account",
    entry: [{
      id: "0",
      changes: [{
        field: "messages",
        value: {
          messaging_product: "whatsapp",
          metadata: { display_phone_number: "15550000000", phone_number_id: "0" },
          contacts: [{ profile: { name: "WhatsApp User" }, wa_id: from }],
          messages: [{
            from,
            id: `wamid.E2E.${Date.now()}.${Math.random().toString(36).slice(2)}`,
            timestamp: String(Math.floor(Date.now() / 1000)),
            type: "text",
            text: { body: text },
          }],
        },
      }],
    }],
  });
  const signature = "sha256=" + crypto.createHmac("sha256", appSecret).update(body).digest("hex");
  const response = await request.post("/webhook/whatsapp", {
    data: body,
    headers: { "content-type": "application/json", "x-hub-signature-256": signature },
  });
  expect(response.status()).toBe(200);
}

/**
 * A Friday at least two days ahead, as YYYY-MM-DD: the demo salon is open on Fridays, except
 * on its holidays (Christmas, Boxing Day and New Year's Day), which are skipped.
 */
export function nextFriday(): string {
  const day = new Date(Date.now() + 2 * 86_400_000);
  const holiday = () => ["12-25", "12-26", "01-01"].includes(day.toISOString().slice(5, 10));
  while (day.getUTCDay() !== 5 || holiday()) day.setUTCDate(day.getUTCDate() + 1);
  return day.toISOString().slice(0, 10);
}

/**
 * A weekday two to six days ahead on which the salon is open all afternoon (Tuesday to Friday,
 * not a holiday), by its Spanish name: "el jueves" then means that very day.
 */
export function spanishWeekdayAhead(): string {
  const names = ["domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"];
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Madrid" }).format(new Date());
  const noon = new Date(`${today}T12:00:00Z`).getTime();
  for (let ahead = 2; ahead <= 6; ahead++) {
    const day = new Date(noon + ahead * 86_400_000);
    const holiday = (day.getUTCMonth() === 11 && [24, 25, 26].includes(day.getUTCDate())) || (day.getUTCMonth() === 0 && day.getUTCDate() === 1);
    if (day.getUTCDay() >= 2 && day.getUTCDay() <= 5 && !holiday) return names[day.getUTCDay()];
  }
  throw new Error("no open weekday between two and six days ahead");
}

/** The first time a reply offers ("… a las 15:00 con Ana …"), skipping times that only state a window ("desde las 15:00"). */
export function firstOfferedTime(text: string): string {
  for (const match of text.matchAll(/(\d{1,2}):(\d\d)/g)) {
    const before = text.slice(0, match.index ?? 0).toLowerCase().trimEnd();
    if (/(desde las|después de las|despues de las|a partir de las|hasta las|entre las|after|from|until|[-–])$/.test(before)) continue;
    return `${match[1].padStart(2, "0")}:${match[2]}`;
  }
  throw new Error(`no time is offered in: ${text}`);
}

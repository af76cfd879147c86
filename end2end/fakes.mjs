// Fake WhatsApp Cloud API (Graph) and Gemini servers for the browser journeys. They speak the
// real wire formats, so the app's production clients talk to them unchanged.
//   FAKE_GRAPH_PORT (3290): POST /{version}/{phone_number_id}/messages, GET /__sent
//   FAKE_GEMINI_PORT (3291): POST /v1beta/models/{model}:generateContent
// After each send the fake Graph reports "delivered" then "read" to the app's signed webhook,
// as WhatsApp does.
import crypto from "node:crypto";
import http from "node:http";

const graphPort = Number(process.env.FAKE_GRAPH_PORT ?? 3290);
const geminiPort = Number(process.env.FAKE_GEMINI_PORT ?? 3291);
const appUrl = process.env.E2E_APP_URL ?? "http://127.0.0.1:3210";
const appSecret = process.env.WHATSAPP_APP_SECRET ?? "e2e-app-secret";
const graphToken = process.env.WHATSAPP_ACCESS_TOKEN ?? "e2e-graph-token";
const geminiKey = process.env.GEMINI_API_KEY ?? "e2e-gemini-key";

function readJson(request) {
  return new Promise((resolve, reject) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      try {
        resolve(JSON.parse(body || "{}"));
      } catch (error) {
        reject(error);
      }
    });
  });
}

function answer(response, status, body) {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

const sent = [];

async function reportStatus(wamid, to, status) {
  const body = JSON.stringify({
    object: "whatsapp_business_account",
    entry: [{ id: "0", changes: [{ field: "messages", value: {
      messaging_product: "whatsapp",
      metadata: { display_phone_number: "15550000000", phone_number_id: "1234567" },
      statuses: [{ id: wamid, status, timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: to }],
    } }] }],
  });
  const signature = "sha256=" + crypto.createHmac("sha256", appSecret).update(body).digest("hex");
  try {
    await fetch(`${appUrl}/webhook/whatsapp`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-hub-signature-256": signature },
      body,
    });
  } catch {
    // The app may be shutting down; statuses are best effort, as WhatsApp's are.
  }
}

http
  .createServer(async (request, response) => {
    if (request.method === "GET" && request.url === "/__sent") return answer(response, 200, sent);
    const match = request.url.match(/^\/v[\d.]+\/(\d+)\/messages$/);
    if (request.method !== "POST" || !match) return answer(response, 404, { error: { message: "unknown route", code: 100 } });
    if (request.headers.authorization !== `Bearer ${graphToken}`) {
      return answer(response, 401, { error: { message: "Invalid OAuth access token", type: "OAuthException", code: 190 } });
    }
    const body = await readJson(request);
    const wamid = `wamid.FAKE${sent.length + 1}`;
    sent.push({ to: body.to, body: body.text?.body, wamid });
    answer(response, 200, { messaging_product: "whatsapp", contacts: [{ input: body.to, wa_id: body.to }], messages: [{ id: wamid }] });
    setTimeout(() => reportStatus(wamid, body.to, "delivered"), 300);
    setTimeout(() => reportStatus(wamid, body.to, "read"), 700);
  })
  .listen(graphPort, "127.0.0.1");

/** A small receptionist: what a model would answer, in Gemini's structured-output format. */
function receptionist(instruction, text) {
  const lower = text.toLowerCase();
  const knownName = instruction.match(/- Name: ([^\n(]+) \(greet them by name/)?.[1]?.trim();
  const pending = JSON.parse(instruction.match(/Booking in progress: (\{.*\})/)?.[1] ?? "null");
  const reply = (reply, intent, extra = {}) => ({ reply, intent, customer_name: null, booking: null, ...extra });
  const name = text.match(/(?:i'm|i am|my name is)\s+([A-Za-zÀ-ÿ'-]+)/i)?.[1];
  if (name) return reply(`Nice to meet you, ${name}! How can I help you today?`, "NAME_PROVIDED", { customer_name: name });
  const time = lower.match(/\b(\d\d:\d\d)\b/)?.[1];
  if (time && pending) return reply("Booking that for you.", "BOOKING_CONFIRMED", { booking: { ...pending, time } });
  if (/book|appointment/.test(lower)) {
    const service = /colour/.test(lower) ? "Colour" : /haircut/.test(lower) ? "Women's haircut" : null;
    const date = lower.match(/\d{4}-\d\d-\d\d/)?.[0] ?? null;
    const part_of_day = lower.match(/morning|afternoon|evening/)?.[0] ?? null;
    return reply("Let me check what's free.", "BOOKING_REQUEST", { booking: { service, date, time: null, part_of_day, staff: null } });
  }
  if (/how much|price/.test(lower) && /colour/.test(lower)) return reply("A colour is 85.00 EUR and takes about 90 minutes.", "FAQ");
  if (/\b(hi|hello|hey)\b/.test(lower)) {
    return knownName
      ? reply(`Hi ${knownName}, welcome back! How can I help you today?`, "GREETING")
      : reply("Hi! Welcome to Frontdesk Demo Salon. May I have your name?", "GREETING");
  }
  return reply("I can help with prices, opening hours and bookings.", "OTHER");
}

http
  .createServer(async (request, response) => {
    if (request.method !== "POST" || !/^\/v1beta\/models\/[^/]+:generateContent$/.test(request.url)) {
      return answer(response, 404, { error: { code: 404, message: "not found", status: "NOT_FOUND" } });
    }
    if (request.headers["x-goog-api-key"] !== geminiKey) {
      return answer(response, 403, { error: { code: 403, message: "API key not valid", status: "PERMISSION_DENIED" } });
    }
    const body = await readJson(request);
    const instruction = body.systemInstruction?.parts?.map((p) => p.text).join("") ?? "";
    const last = body.contents?.at(-1)?.parts?.map((p) => p.text).join("\n") ?? "";
    const text = last.split("\n").at(-1);
    answer(response, 200, {
      candidates: [{ content: { role: "model", parts: [{ text: JSON.stringify(receptionist(instruction, text)) }] }, finishReason: "STOP", index: 0 }],
      usageMetadata: { promptTokenCount: 900, candidatesTokenCount: 40, thoughtsTokenCount: 12, totalTokenCount: 952 },
      modelVersion: "gemini-2.5-flash",
    });
  })
  .listen(geminiPort, "127.0.0.1");

console.log(`fake Graph on ${graphPort}, fake Gemini on ${geminiPort}`);

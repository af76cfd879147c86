// Fake WhatsApp Cloud API (Graph) and Gemini servers for the browser journeys. They speak the
// real wire formats, so the app's production clients talk to them unchanged.
//   FAKE_GRAPH_PORT (3290): POST /{version}/{phone_number_id}/messages (text and template),
//     GET /{version}/{waba_id}/message_templates (paged by `limit`, Graph's `paging.next`),
//     GET /__sent (what was sent: {to, type, body, template: {name, language, parameters}, wamid}),
//     POST /__templates (a JSON list of templates to serve), POST /__fail ({to, code}: answer
//     that Graph error code for every send to `to`; code null clears it)
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
/** Graph error codes to answer for sends to a recipient. */
const failing = new Map();

/** A template as Graph lists it, its BODY component between a header and a footer. */
function graphTemplate(name, language, category, status, body) {
  return {
    name, language, category, status,
    parameter_format: /\{\{\d+\}\}/.test(body) ? "POSITIONAL" : "NAMED",
    components: [
      { type: "HEADER", format: "TEXT", text: "Frontdesk Demo Salon" },
      { type: "BODY", text: body },
      { type: "FOOTER", text: "Reply STOP to opt out" },
    ],
    id: String(Math.floor(Math.random() * 1e12)),
  };
}

let templates = [
  graphTemplate("seasonal_offer", "en", "MARKETING", "APPROVED", "Hi {{customer_name}}, it's colour week: 20% off any colour service until Sunday. Reply to book!"),
  graphTemplate("seasonal_offer", "es", "MARKETING", "APPROVED", "Hola {{customer_name}}, es la semana del color: 20% de descuento hasta el domingo. ¡Responde para reservar!"),
  graphTemplate("appointment_reminder", "en", "UTILITY", "APPROVED", "Hi {{1}}, this is a reminder of your appointment with us."),
  graphTemplate("we_miss_you", "en", "MARKETING", "PENDING", "Hi {{customer_name}}, we miss you!"),
];

/** The body parameters of a template send, as [parameter_name or null, text], in order. */
function templateParameters(template) {
  return (template?.components ?? [])
    .filter((c) => c.type === "body")
    .flatMap((c) => c.parameters ?? [])
    .map((p) => [p.parameter_name ?? null, p.text]);
}

function serveTemplates(request, response, path) {
  const url = new URL(request.url, `http://127.0.0.1:${graphPort}`);
  const limit = Math.max(1, Number(url.searchParams.get("limit") ?? 25));
  const start = Number(url.searchParams.get("after") ?? 0);
  const end = Math.min(start + limit, templates.length);
  const paging = { cursors: { before: String(start), after: String(end) } };
  if (end < templates.length) {
    const fields = url.searchParams.get("fields") ?? "";
    paging.next = `http://127.0.0.1:${graphPort}${path}?fields=${fields}&limit=${limit}&after=${end}`;
  }
  answer(response, 200, { data: templates.slice(start, end), paging });
}

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
    if (request.method === "POST" && request.url === "/__templates") {
      templates = await readJson(request);
      return answer(response, 200, { templates: templates.length });
    }
    if (request.method === "POST" && request.url === "/__fail") {
      const { to, code } = await readJson(request);
      if (code == null) failing.delete(to);
      else failing.set(to, code);
      return answer(response, 200, {});
    }
    const path = request.url.split("?")[0];
    const listing = request.method === "GET" && /^\/v[\d.]+\/\d+\/message_templates$/.test(path);
    const match = request.url.match(/^\/v[\d.]+\/(\d+)\/messages$/);
    if (!listing && (request.method !== "POST" || !match)) return answer(response, 404, { error: { message: "unknown route", code: 100 } });
    if (request.headers.authorization !== `Bearer ${graphToken}`) {
      return answer(response, 401, { error: { message: "Invalid OAuth access token", type: "OAuthException", code: 190 } });
    }
    if (listing) return serveTemplates(request, response, path);
    const body = await readJson(request);
    if (failing.has(body.to)) {
      return answer(response, 400, { error: { message: "fake failure", type: "OAuthException", code: failing.get(body.to), fbtrace_id: "x" } });
    }
    const wamid = `wamid.FAKE${sent.length + 1}`;
    const template = body.type === "template"
      ? { name: body.template?.name, language: body.template?.language?.code, parameters: templateParameters(body.template) }
      : undefined;
    sent.push({ to: body.to, type: body.type, body: body.text?.body, template, wamid });
    answer(response, 200, { messaging_product: "whatsapp", contacts: [{ input: body.to, wa_id: body.to }], messages: [{ id: wamid }] });
    setTimeout(() => reportStatus(wamid, body.to, "delivered"), 300);
    setTimeout(() => reportStatus(wamid, body.to, "read"), 700);
  })
  .listen(graphPort, "127.0.0.1");

const SPANISH_DAYS = ["domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"];
const ENGLISH_DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

/** The next date after today (in the salon's time zone) on a weekday (0 = Sunday), as YYYY-MM-DD. */
function nextWeekday(weekday) {
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Madrid" }).format(new Date());
  const day = new Date(`${today}T12:00:00Z`);
  do day.setUTCDate(day.getUTCDate() + 1);
  while (day.getUTCDay() !== weekday);
  return day.toISOString().slice(0, 10);
}

/** The language of a customer's message as a model would report it (ISO 639-1), or null when it cannot tell. */
function languageOf(lower) {
  if (/[¿¡ñáéíóú]|\b(hola|buenas|quiero|llamo|soy|reservar|cita|corte|mujer|hombre|tinte|mechas|tarde|gracias|cuanto)\b/.test(lower)) return "es";
  if (/[a-z]{2,}/.test(lower)) return "en";
  return null;
}

/** The day a booking message names: an ISO date, or a weekday in English or Spanish. */
function dateIn(lower) {
  const iso = lower.match(/\d{4}-\d\d-\d\d/)?.[0];
  if (iso) return iso;
  for (const days of [SPANISH_DAYS, ENGLISH_DAYS]) {
    const index = days.findIndex((name) => lower.includes(name));
    if (index >= 0) return nextWeekday(index);
  }
  return null;
}

function serviceIn(lower) {
  if (/women's|corte de mujer/.test(lower)) return "Women's haircut";
  if (/men's|corte de hombre/.test(lower)) return "Men's haircut";
  if (/colour|tinte/.test(lower)) return "Colour";
  if (/highlights|mechas/.test(lower)) return "Highlights";
  if (/haircut|corte/.test(lower)) return "Women's haircut";
  return null;
}

/** The part of the day asked for, as the earliest / latest start ("por la tarde" starts at 15:00). */
function windowIn(lower) {
  if (/por la tarde/.test(lower)) return { earliest: "15:00", latest: null };
  if (/por la mañana/.test(lower)) return { earliest: null, latest: "12:00" };
  if (/afternoon/.test(lower)) return { earliest: "12:00", latest: null };
  if (/evening/.test(lower)) return { earliest: "17:00", latest: null };
  if (/morning/.test(lower)) return { earliest: null, latest: "12:00" };
  return { earliest: null, latest: null };
}

/**
 * A small receptionist: what a model would answer, in Gemini's structured-output format and the
 * answer contract every provider returns: the model's own words in the customer's language,
 * the intents, the language of the message, and the structured booking or choice. Where the code
 * decides (offers, bookings), the customer gets the code's sentence, not these words.
 */
function receptionist(instruction, text) {
  const lower = text.toLowerCase();
  const language = languageOf(lower);
  const spanish = language === "es";
  const knownName = instruction.match(/- Name: ([^\n(]+) \(greet them by name/)?.[1]?.trim();
  const words = (reply, intents, extra = {}) => ({
    reply, intents, language, customer_name: null, booking: null, choice: null, negated: false, ...extra,
  });
  const name = text.match(/(?:i'm|i am|my name is|me llamo|\bsoy)\s+([A-Za-zÀ-ÿ'-]+)/i)?.[1];
  if (name) {
    const reply = spanish ? `¡Encantada, ${name}! ¿En qué puedo ayudarte?` : `Nice to meet you, ${name}! How can I help you today?`;
    return words(reply, ["NAME_PROVIDED"], { customer_name: name });
  }
  const bookingWords = /book|appointment|reserv|cita/.test(lower);
  const time = lower.match(/\b(\d{1,2}:\d\d)\b/)?.[1]?.padStart(5, "0");
  if (time && !bookingWords) {
    // The customer takes an offered time; the code books what it offered.
    return words(spanish ? "Te lo reservo." : "Booking that for you.", ["BOOKING_CONFIRMED"], {
      choice: { index: null, time, staff: null, any: false },
    });
  }
  if (bookingWords) {
    const { earliest, latest } = windowIn(lower);
    const booking = { service: serviceIn(lower), date: dateIn(lower), date_to: null, time: null, earliest, latest, staff: null };
    return words(spanish ? "Déjame ver qué horas hay libres." : "Let me check what's free.", ["BOOKING_REQUEST"], { booking });
  }
  if (/how much|price/.test(lower) && /colour/.test(lower)) return words("A colour is 85.00 EUR and takes about 90 minutes.", ["FAQ"]);
  if (/how much|price/.test(lower)) {
    // Like a real model, quote the price the prompt's knowledge gives ("Beard trim: 20 minutes, 18.00 EUR").
    for (const [, service, minutes, price] of instruction.matchAll(/([^\n:]+?): (\d+) minutes, ([\d.]+ [A-Z]{3})/g)) {
      const bare = service.replace(/^[-•*\s]+/, "").trim();
      if (lower.includes(bare.toLowerCase())) return words(`A ${bare.toLowerCase()} is ${price} and takes about ${minutes} minutes.`, ["FAQ"]);
    }
  }
  if (/cu[aá]nto|precio/.test(lower) && /tinte/.test(lower)) return words("El tinte cuesta 85,00 EUR y dura unos 90 minutos.", ["FAQ"]);
  if (/\b(hola|buenas)\b/.test(lower)) {
    return knownName
      ? words(`¡Hola, ${knownName}! ¿En qué puedo ayudarte?`, ["GREETING"])
      : words("¡Hola! Bienvenida a Frontdesk Demo Salon. ¿Cómo te llamas?", ["GREETING"]);
  }
  if (/\b(hi|hello|hey)\b/.test(lower)) {
    return knownName
      ? words(`Hi ${knownName}, welcome back! How can I help you today?`, ["GREETING"])
      : words("Hi! Welcome to Frontdesk Demo Salon. May I have your name?", ["GREETING"]);
  }
  return spanish
    ? words("Puedo ayudarte con precios, horarios y citas.", ["OTHER"])
    : words("I can help with prices, opening hours and bookings.", ["OTHER"]);
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

// `cargo leptos end-to-end` starts the server and runs the tests at once; wait until the
// app answers its health check before the first test opens a page.
export default async function globalSetup() {
  const base = process.env.E2E_APP_URL ?? "http://127.0.0.1:3000";
  const deadline = Date.now() + 120_000;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${base}/api/health`);
      if (response.ok) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`Frontdesk did not become healthy at ${base} within 120 s (${last})`);
}

// Page-load figures of the console against a running Keyplane (a release build, for figures
// worth recording): cold (empty cache) and warm loads of the keys page, the bytes sent for the
// first load, and, as the baseline from the same run, a load of /healthz (a tiny page).
//
//   KEYPLANE_URL=http://127.0.0.1:8080 KEYPLANE_EMAIL=… KEYPLANE_PASSWORD=… node scripts/page-load.mjs [ROUNDS]
import { chromium } from "playwright-core";

const base = process.env.KEYPLANE_URL ?? "http://127.0.0.1:8080";
const rounds = Number(process.argv[2] ?? 10);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

// Sign in once (logins are throttled), then give every round a fresh context, so a fresh HTTP
// cache, holding that session's cookie.
const login = await browser.newContext();
const signIn = await login.request.post(`${base}/auth/login`, {
  data: { email: process.env.KEYPLANE_EMAIL, password: process.env.KEYPLANE_PASSWORD },
});
if (!signIn.ok()) throw new Error(`sign-in failed: ${signIn.status()}`);
const storageState = await login.storageState();
await login.close();
const signedInContext = () => browser.newContext({ storageState });

/** Milliseconds from navigation to the keys table showing its first row. */
async function loadKeys(page) {
  const start = performance.now();
  await page.goto(`${base}/console/production/keys`);
  await page.getByRole("table", { name: "API keys" }).getByRole("link").first().waitFor();
  return performance.now() - start;
}

async function loadBaseline(page) {
  const start = performance.now();
  await page.goto(`${base}/healthz`);
  return performance.now() - start;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cold = [];
const warm = [];
const baseline = [];
let bytes = { script: 0, stylesheet: 0, document: 0 };
for (let i = 0; i < rounds; i++) {
  const context = await signedInContext();
  const page = await context.newPage();
  const sizes = { script: 0, stylesheet: 0, document: 0 };
  let counting = false;
  page.on("response", async (response) => {
    const type = response.request().resourceType();
    if (counting && type in sizes) sizes[type] += Number((await response.headerValue("content-length")) ?? 0);
  });
  baseline.push(await loadBaseline(page));
  counting = true;
  cold.push(await loadKeys(page));
  counting = false;
  warm.push(await loadKeys(page));
  if (i === 0) bytes = sizes;
  await context.close();
}
await browser.close();
const b = median(baseline);
console.log(`rounds: ${rounds}`);
console.log(`baseline /healthz: ${b.toFixed(1)} ms`);
console.log(`keys page, cold cache: ${median(cold).toFixed(1)} ms (${(median(cold) / b).toFixed(1)}x baseline)`);
console.log(`keys page, warm cache: ${median(warm).toFixed(1)} ms (${(median(warm) / b).toFixed(1)}x baseline)`);
console.log(`first load, bytes on the wire (as Chromium asks over plain http): script ${bytes.script}, stylesheet ${bytes.stylesheet}, document ${bytes.document}`);

// Screenshots of pages of a running server, for looking at layouts by hand:
// `APO_TOKEN=apo_… node e2e/shoot.mjs http://127.0.0.1:18300 /wall 1920x1080 /delegate 360x740 …`
// Signs the browser in with APO_TOKEN when it is set (reads need a credential unless the
// server runs with --public-read). SHOOT_FULL=0 or 1 takes the window only or the whole page
// (default: whole page under 1000 px wide, and for pages other than the wall). Prints scroll
// overflow and text under 18 px for each.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, OUT } from './harness.mjs';
import { fontsUnder, scrollOverflow } from './wall-checks.mjs';

const [base, ...rest] = process.argv.slice(2);
mkdirSync(OUT, { recursive: true });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
const ctx = await browser.newContext({ locale: 'en-US' });
if (process.env.APO_TOKEN) {
  const r = await ctx.request.post(`${base}/api/v1/session`, { data: { token: process.env.APO_TOKEN }, headers: { origin: base } });
  if (!r.ok()) console.log(`sign-in: ${r.status()} ${await r.text()}`);
}
for (let i = 0; i < rest.length; i += 2) {
  const path = rest[i];
  const [w, h] = rest[i + 1].split('x').map(Number);
  const page = await ctx.newPage();
  page.on('console', (m) => m.type() === 'error' && console.log(`  console: ${m.text()}`));
  page.on('pageerror', (e) => console.log(`  pageerror: ${e}`));
  await page.setViewportSize({ width: w, height: h });
  await page.goto(base + path);
  await page.waitForTimeout(2500);
  const name = `shot${path.replace(/[^a-z0-9]+/gi, '-')}-${w}x${h}.png`;
  const full = process.env.SHOOT_FULL ? process.env.SHOOT_FULL === '1' : w < 1000 || !path.startsWith('/wall');
  await page.screenshot({ path: join(OUT, name), fullPage: full });
  console.log(name, JSON.stringify(await scrollOverflow(page)), 'small text:', JSON.stringify((await fontsUnder(page, 18)).slice(0, 4)));
  await page.close();
}
await browser.close();

// Screenshots of pages of a running server, for looking at layouts by hand:
// `node e2e/shoot.mjs http://127.0.0.1:18300 /wall 1920x1080 /delegate 360x740 …`
// Prints scroll overflow and text under 18 px for each.

import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, OUT, newUserDataDir } from './harness.mjs';
import { fontsUnder, scrollOverflow } from './wall-checks.mjs';
import { mkdirSync, rmSync } from 'node:fs';

const [base, ...rest] = process.argv.slice(2);
mkdirSync(OUT, { recursive: true });
const userDataDir = newUserDataDir();
const ctx = await chromium.launchPersistentContext(userDataDir, { executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, locale: 'en-US' });
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
  await page.screenshot({ path: join(OUT, name), fullPage: w < 1000 || !path.startsWith('/wall') });
  console.log(name, JSON.stringify(await scrollOverflow(page)), 'small text:', JSON.stringify((await fontsUnder(page, 18)).slice(0, 4)));
  await page.close();
}
await ctx.close();
rmSync(userDataDir, { recursive: true, force: true });

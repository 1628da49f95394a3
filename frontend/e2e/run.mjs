// End-to-end tests of the browser dashboard against the real server, once on SQLite and once on
// PostgreSQL: `APO_BIN=…/apo-dashboard npm --prefix frontend run e2e`. Screenshots go to
// frontend/test-output/. Exits non-zero when any test fails, naming it.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, Fatal, OUT, Runner, Server, assert, freePort, newUserDataDir, postgresDb, prerequisites, sleep, sqliteDb } from './harness.mjs';
import { expectedWall, fontsUnder, readWall, reportLine, scrollOverflow } from './wall-checks.mjs';

const PERIOD = 2026;
const started = Date.now();
const runner = new Runner();

let env;
try {
  env = prerequisites();
} catch (e) {
  console.error(`e2e: ${e.message}`);
  process.exit(2);
}

const userDataDir = newUserDataDir();
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: env.chromium,
  headless: true,
  args: CHROMIUM_ARGS,
  locale: 'en-US',
  viewport: { width: 1920, height: 1080 },
});

try {
  for (const makeDb of [sqliteDb, postgresDb]) {
    let db;
    try {
      db = makeDb();
    } catch (e) {
      if (!(e instanceof Fatal)) throw e;
      await runner.test(`${makeDb === sqliteDb ? 'sqlite' : 'postgres'}: database available`, () => {
        throw e;
      });
      continue;
    }
    const server = new Server(env.bin, db, await freePort(), db.name);
    try {
      await suite(server, db.name);
    } finally {
      await server.stop();
      db.drop();
    }
  }
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}

const failed = runner.summary();
console.log(`e2e took ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);

async function suite(server, backend) {
  const t = (name, fn) => runner.test(`${backend}: ${name}`, fn);
  let up = false;
  await t('the server starts with the demo data', async () => {
    await server.start();
    up = true;
  });
  if (!up) return;

  const wall = await context.newPage();
  const wallErrors = watchErrors(wall);
  const doc = () => server.json(`/dashboard?period=${PERIOD}`);

  await t('the wall loads with the demo data and matches GET /dashboard', async () => {
    await wall.setViewportSize({ width: 1920, height: 1080 });
    await wall.goto(`${server.base}/wall`);
    await waitLive(wall);
    await wall.waitForFunction(() => document.querySelectorAll('[data-testid=heatmap] tbody tr').length === 21);
    const d = await doc();
    assert(Object.keys(d.members).length === 21, 'the demo has 21 members');
    await sameAsServer(wall, d);
    const shown = await readWall(wall);
    assert(Object.values(d.key_results).length > 0, 'the demo has key results');
    assert(shown.joinUrl.endsWith('/delegate'), `the join URL ends in /delegate: ${shown.joinUrl}`);
    assert(await wall.locator('.qr svg path').count() === 1, 'the QR code is drawn');
  });

  await t('no scrollbars and no text under 18 px on the wall at 1920×1080', async () => {
    await wall.waitForFunction(() => /watching/.test(document.querySelector('[data-testid=viewers]')?.textContent ?? ''), null, { timeout: 5000 });
    await checkFits(wall, `wall-1920x1080-${backend}`);
    const small = await fontsUnder(wall, 18);
    assert(small.length === 0, `text under 18 px: ${JSON.stringify(small.slice(0, 5))}`);
    for (const panel of ['productivity', 'focus']) {
      await showPanel(wall, panel);
      await checkFits(wall, `wall-${panel}-1920x1080-${backend}`);
      const smallP = await fontsUnder(wall, 18);
      assert(smallP.length === 0, `${panel} panel: text under 18 px: ${JSON.stringify(smallP.slice(0, 5))}`);
    }
    await showPanel(wall, 'main');
  });

  await t('?rotate=5 moves the wall on to the productivity panel', async () => {
    const page = await context.newPage();
    try {
      await page.goto(`${server.base}/wall?rotate=5`);
      await waitLive(page);
      await page.waitForSelector('[data-panel=productivity]:not([hidden]) .bars li', { timeout: 7000 });
      assert(await page.locator('[data-panel=main]').isHidden(), 'the main panel is hidden while another shows');
    } finally {
      await page.close();
    }
  });

  await t('no scrollbars on the wall at 1280×720', async () => {
    await wall.setViewportSize({ width: 1280, height: 720 });
    await sleep(100);
    await checkFits(wall, `wall-1280x720-${backend}`);
    for (const panel of ['productivity', 'focus']) {
      await showPanel(wall, panel);
      await checkFits(wall, `wall-${panel}-1280x720-${backend}`);
    }
    await showPanel(wall, 'main');
    await wall.setViewportSize({ width: 1920, height: 1080 });
  });

  const kr = pickKr(await doc(), 'VNM');
  // The ticker line the server writes for a report on `kr` (src/analytics/ticker.rs).
  const line = async (value) => reportLine(await doc(), kr, PERIOD, value);
  await t('an actual POSTed through the API appears on the wall within one second, redrawing only its member', async () => {
    const value = 41.7;
    const expected = await line(value);
    await watchMutations(wall, '.wall-body');
    const t0 = Date.now();
    await server.post('/actuals', { iso3: kr.iso3, kr_code: kr.code, year: PERIOD, value }, 'e2e api');
    await wall.waitForFunction((s) => (document.querySelector('[data-testid=ticker]')?.textContent ?? '').includes(s), expected, { timeout: 1000 });
    const took = Date.now() - t0;
    assert(took <= 1000, `took ${took} ms`);
    const changed = await mutatedRows(wall);
    assert(changed.includes('ol'), `the observer saw the ticker change: ${JSON.stringify(changed)}`);
    const rows = changed.filter((r) => /^[A-Z]{3}$/.test(r));
    assert(rows.every((r) => r === kr.iso3), `the heat map redrew rows ${JSON.stringify(rows)} for a report on ${kr.iso3}`);
    const flashed = await wall.evaluate((c) => document.querySelector(`[data-cell="${c}-all"]`)?.classList.contains('flash') || document.querySelectorAll('.wall .flash').length > 0, kr.iso3);
    assert(flashed, 'changed values flash');
    await sleep(50);
    await sameAsServer(wall, await doc());
  });

  await t('a delegate reports an actual on a 360×740 phone and the wall shows it', async () => {
    const phone = await context.newPage();
    const errors = watchErrors(phone);
    try {
      await phone.setViewportSize({ width: 360, height: 740 });
      await phone.goto(`${server.base}/delegate`);
      await phone.waitForSelector('#member-picker option[value=VNM]', { state: 'attached' });
      await phone.selectOption('#member-picker', 'VNM');
      const form = phone.locator('[data-testid=actual-form]');
      await form.waitFor();
      await form.locator('[data-field=kr_code]').selectOption(kr.code);
      await form.locator('[data-field=year]').selectOption(String(PERIOD));
      await form.locator('[data-field=value]').fill('abc');
      await form.locator('button[type=submit]').click();
      await phone.waitForFunction(() => (document.querySelector('[data-error-for=value]')?.textContent ?? '').length > 0, null, { timeout: 3000 });
      const value = 57.3;
      await form.locator('[data-field=value]').fill(String(value));
      await form.locator('button[type=submit]').click();
      await phone.waitForSelector('[data-testid=actual-form] .form-status.ok', { timeout: 3000 });
      await wall.waitForFunction((s) => (document.querySelector('[data-testid=ticker]')?.textContent ?? '').includes(s), await line(value), { timeout: 2000 });
      await phone.waitForFunction((s) => (document.querySelector(`[data-kr="${s}"]`)?.textContent ?? '').startsWith('57.3'), `${kr.iso3}/${kr.code}`, { timeout: 2000 });
      // A report for another member draws nothing in this delegate's list (the wall shows it first).
      const other = pickKr(await doc(), 'THA');
      await watchMutations(phone, '[data-testid=delegate-krs]');
      await server.post('/actuals', { iso3: other.iso3, kr_code: other.code, year: PERIOD, value: 3.25 }, 'e2e other member');
      await wall.waitForFunction((s) => (document.querySelector('[data-testid=ticker]')?.textContent ?? '').includes(s), reportLine(await doc(), other, PERIOD, 3.25), { timeout: 2000 });
      await sleep(300);
      const touched = await mutatedRows(phone);
      assert(touched.length === 0, `a report for ${other.iso3} redrew the ${kr.iso3} delegate's list: ${JSON.stringify(touched)}`);
      // The primer editor: a bad target is refused with the message next to that field; the
      // unchanged primer saves as "no changes" (the form round-trips every field).
      await phone.locator('[data-testid=primer-form]').evaluate((f) => (f.closest('details').open = true));
      const target = phone.locator('[data-field="key_results[0].targets.2027"]');
      const before = await target.inputValue();
      await target.fill('abc');
      await phone.locator('[data-testid=primer-form] button[type=submit]').click();
      await phone.waitForFunction(() => (document.querySelector('[data-error-for="key_results[0].targets.2027"]')?.textContent ?? '').length > 0, null, { timeout: 3000 });
      assert((await target.getAttribute('aria-invalid')) === 'true', 'the bad target is marked invalid');
      await target.fill(before);
      await phone.locator('[data-testid=primer-form] button[type=submit]').click();
      await phone.waitForFunction(() => /No changes to save/.test(document.querySelector('[data-testid=primer-form] .form-status')?.textContent ?? ''), null, { timeout: 3000 });
      const over = await scrollOverflow(phone);
      assert(over.width <= 0, `the delegate page scrolls sideways at 360 px by ${over.width} px`);
      await phone.screenshot({ path: join(OUT, `delegate-360x740-${backend}.png`), fullPage: true });
      // The one 422 is the validation error this test provokes on purpose.
      const unexpected = errors.filter((e) => !/status of 422/.test(e));
      assert(unexpected.length === 0, `console errors: ${unexpected.join(' | ')}`);
      assert(await phone.evaluate(() => localStorage.getItem('apo.delegate.member')) === 'VNM', 'the member is remembered');
    } finally {
      await phone.close();
    }
  });

  await t('a key result drafted into a primer (PUT) shows on the wall ticker within one second', async () => {
    const d = await doc();
    const iso3 = Object.keys(d.members).find((m) => d.members[m].primer_status === 'draft');
    assert(iso3, 'the demo has a draft primer');
    const { iso3: _i, cycle: _c, updated_rev: _r, updated_at: _a, ...primer } = await server.json(`/primers/${iso3}`);
    const title = `Drafted in the room by e2e (${backend})`;
    primer.key_results.push({ code: `${iso3}-KR99`, pillar: 2, focus_area: primer.focus_areas[0], title, unit: 'items', direction: 'increase', baseline_year: null, baseline_value: null, weight: 1, targets: { [PERIOD]: 5 } });
    const t0 = Date.now();
    await server.json(`/primers/${iso3}`, { method: 'PUT', headers: { 'content-type': 'application/json', 'x-actor': `delegate ${iso3}` }, body: JSON.stringify(primer) });
    await wall.waitForFunction((s) => (document.querySelector('[data-testid=ticker]')?.textContent ?? '').includes(s), title, { timeout: 1000 });
    assert(Date.now() - t0 <= 1000, `took ${Date.now() - t0} ms`);
    await sleep(50);
    await sameAsServer(wall, await doc());
  });

  await t('a server that stops answering (SIGSTOP) shows "stale since", then live again after SIGCONT', async () => {
    server.proc.kill('SIGSTOP');
    try {
      await wall.waitForFunction(() => document.querySelector('[data-testid=live-badge]')?.getAttribute('data-state') === 'stale', null, { timeout: 40_000 });
      const text = await wall.locator('[data-testid=live-badge]').textContent();
      assert(/Stale since \d\d:\d\d:\d\d/.test(text ?? ''), `badge reads ${text}`);
      await wall.screenshot({ path: join(OUT, `wall-stale-${backend}.png`) });
    } finally {
      server.proc.kill('SIGCONT');
    }
    await wall.waitForFunction(() => document.querySelector('[data-testid=live-badge]')?.getAttribute('data-state') === 'live', null, { timeout: 20_000 });
    await sameAsServer(wall, await doc());
  });

  await t('the server stops and starts again: the badge shows reconnecting, then live, and the numbers are right', async () => {
    await server.stop();
    await wall.waitForFunction(() => document.querySelector('[data-testid=live-badge]')?.getAttribute('data-state') === 'reconnecting', null, { timeout: 5000 });
    await wall.screenshot({ path: join(OUT, `wall-reconnecting-${backend}.png`) });
    await server.start();
    await wall.waitForFunction(() => document.querySelector('[data-testid=live-badge]')?.getAttribute('data-state') === 'live', null, { timeout: 20_000 });
    await sameAsServer(wall, await doc());
    const value = 63.9;
    await server.post('/actuals', { iso3: kr.iso3, kr_code: kr.code, year: PERIOD, value }, 'e2e after restart');
    await wall.waitForFunction((s) => (document.querySelector('[data-testid=ticker]')?.textContent ?? '').includes(s), await line(value), { timeout: 2000 });
    await sleep(50);
    await sameAsServer(wall, await doc());
  });
  void wallErrors;
  await wall.close();

  await t('the Secretariat switches period over the socket and replays an old revision read-only', async () => {
    const page = await context.newPage();
    const errors = watchErrors(page);
    try {
      await page.goto(`${server.base}/secretariat`);
      await waitLive(page);
      await page.selectOption('[data-testid=period]', '2027');
      await page.waitForFunction(() => (document.querySelector('table.data caption')?.textContent ?? '').includes('2027'), null, { timeout: 5000 });
      const first = await server.json('/dashboard?period=2027&rev=1');
      await page.evaluate(() => {
        const s = document.querySelector('[data-testid=replay]');
        s.value = '1';
        s.dispatchEvent(new Event('input'));
      });
      await page.waitForFunction(() => /revision 1\b/.test(document.querySelector('.page .form-status')?.textContent ?? ''), null, { timeout: 5000 });
      const shown = await page.locator('[data-testid=sec-primers-endorsed] .big').textContent();
      const total = Object.keys(first.members).length;
      assert(shown === `${first.primers.endorsed} / ${total}`, `replayed endorsed count ${shown}, expected ${first.primers.endorsed} / ${total}`);
      await page.screenshot({ path: join(OUT, `secretariat-replay-${backend}.png`), fullPage: true });
      assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
    } finally {
      await page.close();
    }
  });

  const final = await doc();
  const vnmKrs = Object.values(final.key_results).filter((k) => k.iso3 === 'VNM').length;
  // What each page must show besides loading cleanly.
  const checks = {
    '/secretariat': async (page) => {
      const rows = await page.locator('table.data').nth(1).locator('tbody tr').count();
      assert(rows === 21, `completeness table has ${rows} rows`);
    },
    '/members/VNM': async (page) => {
      const n = await page.locator('.kr-list > li').count();
      assert(n === vnmKrs, `${n} key results shown, ${vnmKrs} in the document`);
      assert(((await page.locator('.context').textContent()) ?? '').length > 50, 'the national context is shown');
    },
    '/productivity': async (page) => {
      await page.waitForSelector('.map svg [data-member]');
      const shown = await page.evaluate(() => [...new Set([...document.querySelectorAll('.map [data-member]')].map((e) => e.getAttribute('data-member')))].sort());
      assert(shown.length === 21, `the map shows ${shown.length} members: ${shown.join(' ')}`);
      const x = await page.evaluate(() => Object.fromEntries(['FJI', 'JPN'].map((m) => {
        const b = document.querySelector(`.map path[data-member=${m}]`).getBBox();
        return [m, { x: b.x, width: b.width }];
      })));
      assert(x.FJI.x > x.JPN.x && x.FJI.width < x.JPN.width, `Fiji is drawn whole east of Japan: ${JSON.stringify(x.FJI)}`);
      assert(/Penn World Table 9\.1/.test((await page.locator('[data-testid=pwt-attribution]').textContent()) ?? ''), 'Penn World Table attribution');
      assert((await page.locator('.chart svg').count()) >= 2, 'the charts are drawn');
    },
  };

  for (const [path, name] of [
    ['/delegate', 'delegate'],
    ['/secretariat', 'secretariat'],
    ['/members/VNM', 'member-VNM'],
    ['/productivity', 'productivity'],
    ['/', 'home'],
  ]) {
    await t(`${path} loads without console errors${checks[path] ? ' and shows its content' : ''}`, async () => {
      const page = await context.newPage();
      const errors = watchErrors(page);
      try {
        await page.setViewportSize({ width: 1366, height: 900 });
        await page.goto(`${server.base}${path}`);
        await waitLive(page);
        await page.waitForLoadState('networkidle');
        await page.waitForFunction(() => !document.querySelector('[data-loading]'), null, { timeout: 5000 });
        await page.screenshot({ path: join(OUT, `${name}-${backend}.png`), fullPage: true });
        assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
        await checks[path]?.(page);
        const over = await scrollOverflow(page);
        assert(over.width <= 0, `${path} scrolls sideways by ${over.width} px`);
      } finally {
        await page.close();
      }
    });
  }
}

function watchErrors(page) {
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

async function waitLive(page) {
  await page.waitForFunction(() => document.querySelector('[data-testid=live-badge]')?.getAttribute('data-state') === 'live', null, { timeout: 10_000 });
}

/** The wall shows exactly what GET /dashboard says (pillar scores, every heat-map cell, primer counts). */
async function sameAsServer(page, d) {
  const want = expectedWall(d);
  let got;
  for (let i = 0; i < 20; i++) {
    got = await readWall(page);
    if (JSON.stringify(got.values) === JSON.stringify(want)) return;
    await sleep(50);
  }
  const diff = Object.keys(want).filter((k) => JSON.stringify(want[k]) !== JSON.stringify(got.values[k]));
  throw new Error(`the wall differs from GET /dashboard at ${diff.slice(0, 8).map((k) => `${k}: shown ${JSON.stringify(got.values[k])}, expected ${JSON.stringify(want[k])}`).join('; ')}`);
}

async function checkFits(page, shot) {
  await sleep(50);
  await page.screenshot({ path: join(OUT, `${shot}.png`) });
  const over = await scrollOverflow(page);
  assert(over.width <= 0 && over.height <= 0, `${shot}: the page scrolls (${over.width} px wider, ${over.height} px taller than the window)`);
}

async function showPanel(page, name) {
  await page.evaluate((n) => {
    for (const p of document.querySelectorAll('[data-panel]')) {
      if (p.getAttribute('data-panel') === n) p.removeAttribute('hidden');
      else p.setAttribute('hidden', '');
    }
  }, name);
  if (name === 'productivity') await page.waitForSelector('[data-panel=productivity] .bars li', { timeout: 5000 });
}

/** Starts recording the DOM changes under `selector` (see `mutatedRows`). */
async function watchMutations(page, selector) {
  await page.evaluate((sel) => {
    const root = document.querySelector(sel);
    if (!root) throw new Error(`nothing matches ${sel}`);
    window.__mutated = [];
    window.__observer?.disconnect();
    window.__observer = new MutationObserver((records) => {
      for (const r of records) window.__mutated.push(r.target.nodeType === 1 ? r.target : r.target.parentElement);
    });
    window.__observer.observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
  }, selector);
}

/**
 * Stops recording; what changed: a heat-map row's member (ISO3), a delegate list item's key
 * result, or else the tag of the element changed, in lower case (the ticker's list is an ol).
 */
async function mutatedRows(page) {
  return page.evaluate(() => {
    for (const r of window.__observer.takeRecords()) window.__mutated.push(r.target.nodeType === 1 ? r.target : r.target.parentElement);
    window.__observer.disconnect();
    const rows = window.__mutated.map((el) => el?.closest('[data-member]')?.getAttribute('data-member') ?? el?.querySelector?.('[data-kr]')?.getAttribute('data-kr') ?? el?.closest('li')?.querySelector('[data-kr]')?.getAttribute('data-kr') ?? el?.tagName?.toLowerCase() ?? '?');
    return [...new Set(rows)];
  });
}

function pickKr(d, iso3) {
  const krs = Object.values(d.key_results).filter((k) => k.iso3 === iso3 && k.target !== null);
  assert(krs.length > 0, `${iso3} has key results with a ${PERIOD} target in the demo`);
  return krs[0];
}

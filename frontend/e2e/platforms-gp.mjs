// e2e of the GP 2.0 views (issue 23 §2), called from run.mjs's suite on each backend:
// `gpTests({ t, server, backend, context })`.
//
// - /gp: the map and the member × theme matrix hold what GET /gp/mapping counts (every member's
//   total on the map and in the matrix, every cell), and the outcome totals say their coverage;
//   a cell lists its initiatives as GET /gp/initiatives gives them.
// - An initiative PUT through the API while the page is open arrives from the live feed: its
//   cell and the member's total change, and the map's shading of the member, without a reload;
//   its DELETE takes them back.
// - The theme filter asks GET /gp/mapping?theme= and narrows the matrix to that theme (kept in
//   the address, and through a reload).
// - The wall's GP panel shows the same counts, in type the back row reads, and follows a PUT live.
// - Screenshots at 1920×1080 and 390×844 of the page and the wall panel; axe on the page; on the
//   phone no sideways scroll of the page and no text under 14 px.

import { join } from 'node:path';
import { axeViolations, describeViolations } from './axe.mjs';
import { OUT, assert } from './harness.mjs';
import { scrollOverflow } from './wall-checks.mjs';

/** What the page's `data-cells` says for a mapping: `ISO/theme=n` and `ISO/*=n` for each count above 0, sorted. */
function expectedCells(mapping, theme = '') {
  const out = [];
  const themes = mapping.themes.filter((t) => !theme || t.id === theme).map((t) => t.id);
  for (const [iso3, m] of Object.entries(mapping.members)) {
    if (m.initiatives > 0) out.push(`${iso3}/*=${m.initiatives}`);
    for (const th of themes) if ((m.themes?.[th] ?? 0) > 0) out.push(`${iso3}/${th}=${m.themes[th]}`);
  }
  return out.sort().join(' ');
}

const shownCells = (page, sel = 'main') => page.evaluate((s) => (document.querySelector(s)?.dataset.cells ?? '').split(' ').filter(Boolean).sort().join(' '), sel);

/** An initiative of `iso3` with a theme, and an outcome of this year. */
function initiative(id, iso3, theme, extra = {}) {
  const year = new Date().getUTCFullYear();
  return {
    id,
    iso3,
    title: `GP demonstration for the e2e test (${iso3}, ${theme})`,
    theme,
    type: 'demonstration_project',
    sector: 'food_processing',
    start_year: year,
    end_year: year + 1,
    status: 'ongoing',
    outcomes: [{ metric: 'energy_saved', year, value: 340.5 }],
    ...extra,
  };
}

/** axe; at phone width, sideways scroll and text under 14 px; a screenshot. */
async function look(page, name, backend, problems) {
  const size = page.viewportSize();
  const v = await axeViolations(page);
  if (v.length) problems.push(`${name} at ${size.width}×${size.height}: axe: ${describeViolations(v)}`);
  const min = size.width < 600 ? 14 : 18;
  if (size.width < 600) {
    const over = await scrollOverflow(page);
    if (over.width > 0) problems.push(`${name} at ${size.width}: the page scrolls sideways by ${over.width} px`);
  }
  const tiny = await page.evaluate((least) => {
    const out = [];
    const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || !n.textContent.trim() || el.closest('svg') || !el.getClientRects().length) continue;
      const px = parseFloat(getComputedStyle(el).fontSize);
      if (px < least) out.push(`${n.textContent.trim().slice(0, 30)} (${px} px)`);
    }
    return out;
  }, min);
  if (tiny.length) problems.push(`${name} at ${size.width}: text under ${min} px: ${tiny.slice(0, 4).join('; ')}`);
  await page.screenshot({ path: join(OUT, `gp-${name}-${size.width}x${size.height}-${backend}.png`), fullPage: size.width < 1000 });
}

async function open(context, server, path) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.goto(`${server.base}${path}`);
  return { page, errors };
}

async function waitLive(page, errors) {
  await page
    .waitForFunction(() => document.querySelector('[data-testid=live-badge]')?.getAttribute('data-state') === 'live', null, { timeout: 15_000 })
    .catch(async (e) => {
      const badge = await page.locator('[data-testid=live-badge]').evaluate((b) => `${b.getAttribute('data-state')}: ${b.textContent}`);
      throw new Error(`the page did not go live (${badge}; console: ${errors.join('; ')}): ${e.message}`);
    });
}

/** The fill of a member on the map (its first shape) and the count it carries. */
const mapOf = (page, iso3) =>
  page.evaluate((c) => {
    const el = document.querySelector(`[data-testid=gp-map] [data-member="${c}"]`);
    return el ? { fill: el.getAttribute('fill'), count: el.dataset.count } : null;
  }, iso3);

export async function gpTests({ t, server, backend, context }) {
  const members = await server.json('/members').catch(() => []);
  // Initiatives of two members, so the views have something to count whatever the demo holds.
  const seeded = [initiative('e2e-gp-vnm-1', 'VNM', 'energy_efficiency'), initiative('e2e-gp-twn-1', 'TWN', 'circular_economy', { type: 'training', outcomes: [{ metric: 'people_trained', year: new Date().getUTCFullYear(), value: 40 }] })];

  await t('/gp: the map and the member × theme matrix show the initiatives GET /gp/mapping counts, and a cell lists them', async () => {
    for (const i of seeded) await server.put(`/gp/initiatives/${i.id}`, i);
    const mapping = await server.json('/gp/mapping');
    assert(mapping.members.VNM?.themes?.energy_efficiency >= 1, `the mapping counts the initiative PUT: ${JSON.stringify(mapping.members.VNM)}`);
    const { page, errors } = await open(context, server, '/gp');
    const problems = [];
    try {
      await page.waitForFunction(() => document.querySelector('main')?.dataset.cells !== undefined && !document.querySelector('main')?.hasAttribute('data-loading'), null, { timeout: 15_000 });
      assert((await shownCells(page)) === expectedCells(mapping), `the matrix holds the mapping's counts:\n  shown ${await shownCells(page)}\n  want  ${expectedCells(mapping)}`);
      // Every member a row, by its display name (TWN is "Republic of China"), and on the map with its count.
      const rows = await page.$$eval('[data-testid=gp-matrix] tbody tr', (trs) => trs.map((tr) => [tr.dataset.member, tr.querySelector('th').textContent]));
      assert(rows.length === members.length, `a row per member: ${rows.length}`);
      for (const m of members) {
        assert(rows.some(([c, n]) => c === m.iso3 && n === m.name), `${m.iso3}'s row says ${m.name}`);
        const onMap = await mapOf(page, m.iso3);
        const want = mapping.members[m.iso3]?.initiatives ?? 0;
        assert(onMap && Number(onMap.count) === want, `${m.iso3} on the map: ${JSON.stringify(onMap)}, want ${want}`);
        if (want === 0) assert(onMap.fill === '#ffffff', `${m.iso3} has none: white on the map, not ${onMap.fill}`);
        else assert(onMap.fill !== '#ffffff' && onMap.fill !== '#dde3e8', `${m.iso3} has ${want}: shaded, not ${onMap.fill}`);
      }
      const headers = await page.$$eval('[data-testid=gp-matrix] thead th[data-theme]', (ths) => ths.map((th) => th.textContent));
      assert(JSON.stringify(headers) === JSON.stringify(mapping.themes.map((x) => x.label)), `the themes by label: ${headers.join(', ')}`);
      // The totals, each with its coverage.
      const totals = await page.$$eval('[data-testid=gp-totals] li', (ls) => ls.map((l) => [l.dataset.metric, l.querySelector('.gp-total-cover')?.textContent]));
      for (const x of mapping.totals.filter((x) => x.initiatives > 0)) {
        const shown = totals.find(([m]) => m === x.metric);
        const want = `from ${x.initiatives} initiative${x.initiatives === 1 ? '' : 's'} in ${x.members} of ${mapping.members_total} members`;
        assert(shown?.[1] === want, `${x.metric}: "${shown?.[1]}" ≠ "${want}"`);
      }
      assert((await page.textContent('[data-testid=gp-members]')).startsWith(`${mapping.members_with_initiatives} of ${mapping.members_total} members`), 'how many members have initiatives');
      await look(page, 'page', backend, problems);

      // A cell lists its initiatives.
      await page.click('[data-cell="VNM/energy_efficiency"] button');
      const want = (await server.json('/gp/initiatives?iso3=VNM&theme=energy_efficiency')).map((i) => i.id).join(' ');
      await page.waitForFunction((w) => document.querySelector('[data-testid=gp-list]')?.dataset.ids === w, want, { timeout: 10_000 });
      assert(want.includes('e2e-gp-vnm-1'), `the list holds the initiative: ${want}`);
      assert((await page.textContent('[data-testid=gp-list]')).includes('340.5 MWh'), "the initiative's outcome with its unit");

      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(300);
      await look(page, 'page', backend, problems);
      // On a phone the member column stays in view while the themes scroll.
      const sticky = await page.$eval('[data-testid=gp-matrix] tbody th', (th) => getComputedStyle(th).position);
      assert(sticky === 'sticky', `the member column is sticky on a phone: ${sticky}`);
    } finally {
      await page.close();
    }
    assert(!errors.length, `no page errors: ${errors.join('; ')}`);
    assert(!problems.length, problems.join('\n'));
  });

  await t('/gp: an initiative PUT through the API arrives live, changing its cell and the map shading without a reload', async () => {
    const before = await server.json('/gp/mapping');
    // A member without initiatives if the data has one (its shading goes from white to a shade), else the one with fewest.
    const total = (m) => before.members[m.iso3]?.initiatives ?? 0;
    const none = [...members].sort((a, b) => total(a) - total(b))[0];
    const was = { cell: before.members[none.iso3]?.themes?.eco_products ?? 0, total: total(none) };
    const { page, errors } = await open(context, server, '/gp');
    try {
      await page.waitForFunction(() => document.querySelector('main')?.dataset.cells !== undefined, null, { timeout: 15_000 });
      await waitLive(page, errors);
      const cell = `[data-cell="${none.iso3}/eco_products"]`;
      assert((await page.textContent(cell)) === String(was.cell), `${none.iso3}'s eco-products cell starts at ${was.cell}`);
      const mapBefore = await mapOf(page, none.iso3);
      if (was.total === 0) assert(mapBefore.fill === '#ffffff', `${none.iso3} starts white on the map: ${mapBefore.fill}`);
      const loads = await page.evaluate(() => performance.getEntriesByType('navigation').length);

      const added = initiative(`e2e-gp-live-${none.iso3.toLowerCase()}`, none.iso3, 'eco_products');
      await server.put(`/gp/initiatives/${added.id}`, added);
      await page.waitForFunction(([c, n]) => document.querySelector(c)?.textContent === n, [cell, String(was.cell + 1)], { timeout: 10_000 });
      assert((await page.textContent(`[data-cell="${none.iso3}/*"]`)) === String(was.total + 1), "the member's total follows");
      assert(await page.$eval(cell, (td) => td.classList.contains('flash')), 'the changed cell flashes');
      const mapAfter = await mapOf(page, none.iso3);
      assert(mapAfter.count === String(was.total + 1), `the map counts the member's new initiative: ${JSON.stringify(mapAfter)}`);
      if (was.total === 0) assert(mapAfter.fill !== mapBefore.fill, `the map shades the member now: ${JSON.stringify(mapAfter)}`);
      assert(await page.$eval(`[data-testid=gp-map] [data-member="${none.iso3}"]`, (el) => el.classList.contains('gp-changed')), 'the member rings on the map');
      assert((await page.evaluate(() => performance.getEntriesByType('navigation').length)) === loads, 'without a reload');

      // Deleted: back as it was, live.
      await server.json(`/gp/initiatives/${added.id}`, { method: 'DELETE' });
      await page.waitForFunction(([c, n]) => document.querySelector(c)?.textContent === n, [cell, String(was.cell)], { timeout: 10_000 });
      assert((await mapOf(page, none.iso3)).fill === mapBefore.fill, 'the map as it was after the DELETE');
    } finally {
      await page.close();
    }
    assert(!errors.length, `no page errors: ${errors.join('; ')}`);
  });

  await t('/gp: the theme filter narrows the matrix to that theme, as GET /gp/mapping?theme= counts, and a reload keeps it', async () => {
    const { page, errors } = await open(context, server, '/gp');
    try {
      await page.waitForFunction(() => document.querySelector('main')?.dataset.cells !== undefined && !document.querySelector('main')?.hasAttribute('data-loading'), null, { timeout: 15_000 });
      await page.selectOption('[data-testid=gp-filter-theme]', 'circular_economy');
      const mapping = await server.json('/gp/mapping?theme=circular_economy');
      const want = expectedCells(mapping, 'circular_economy');
      await page.waitForFunction((w) => (document.querySelector('main')?.dataset.cells ?? '').split(' ').filter(Boolean).sort().join(' ') === w, want, { timeout: 10_000 });
      const headers = await page.$$eval('[data-testid=gp-matrix] thead th[data-theme]', (ths) => ths.map((th) => th.dataset.theme));
      assert(JSON.stringify(headers) === '["circular_economy"]', `one theme column: ${headers}`);
      assert(want.includes('TWN/circular_economy='), `the filtered mapping has TWN's initiative: ${want}`);
      assert(want.split(' ').every((k) => /\/(\*|circular_economy)=/.test(k)), `only circular-economy counts: ${want}`);
      assert(new URL(page.url()).search === '?theme=circular_economy', `the filter is in the address: ${page.url()}`);
      await page.reload();
      await page.waitForFunction((w) => !document.querySelector('main')?.hasAttribute('data-loading') && (document.querySelector('main')?.dataset.cells ?? '').split(' ').filter(Boolean).sort().join(' ') === w, want, { timeout: 10_000 });
      assert((await page.inputValue('[data-testid=gp-filter-theme]')) === 'circular_economy', 'a reload keeps the filter');
      await page.screenshot({ path: join(OUT, `gp-page-filtered-1920x1080-${backend}.png`) });
    } finally {
      await page.close();
    }
    assert(!errors.length, `no page errors: ${errors.join('; ')}`);
  });

  await t("the wall's GP 2.0 panel shows the mapping's counts in type the back row reads, and follows a PUT live", async () => {
    const { page, errors } = await open(context, server, '/wall');
    try {
      await page.waitForSelector('[data-panel=gp]', { state: 'attached', timeout: 15_000 });
      await page.evaluate(() => {
        for (const p of document.querySelectorAll('[data-panel]')) p.hidden = p.getAttribute('data-panel') !== 'gp';
      });
      await waitLive(page, errors);
      await page.waitForFunction(() => document.querySelector('[data-testid=wall-gp]')?.dataset.cells !== undefined, null, { timeout: 10_000 });
      const mapping = await server.json('/gp/mapping');
      assert((await shownCells(page, '[data-testid=wall-gp]')) === expectedCells(mapping), `the wall's counts are the mapping's: ${await shownCells(page, '[data-testid=wall-gp]')}`);
      const tiny = await page.evaluate(() => {
        const out = [];
        for (const el of document.querySelectorAll('.panel-gp *')) {
          if (!el.childNodes.length || ![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
          const px = parseFloat(getComputedStyle(el).fontSize);
          if (px < 20) out.push(`${el.textContent.trim().slice(0, 30)} (${px} px)`);
        }
        return out;
      });
      assert(!tiny.length, `text under 20 px on the wall: ${tiny.slice(0, 4).join('; ')}`);
      const cut = await page.evaluate(() => {
        const panel = document.querySelector('.panel-gp').getBoundingClientRect();
        return [...document.querySelectorAll('.panel-gp tbody tr')].filter((r) => r.getBoundingClientRect().bottom > panel.bottom + 1).length;
      });
      assert(cut === 0, `${cut} rows of the matrix below the panel's edge`);
      const clipped = await page.$$eval('.panel-gp [data-gp-cell], .panel-gp tbody th, .panel-gp .gp-wall-value', (els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent));
      assert(!clipped.length, `cut off on the wall: ${clipped.slice(0, 5).join('; ')}`);

      const added = initiative('e2e-gp-wall-jpn', 'JPN', 'sustainable_agriculture');
      const was = mapping.members.JPN?.themes?.sustainable_agriculture ?? 0;
      await server.put(`/gp/initiatives/${added.id}`, added);
      await page.waitForFunction((n) => document.querySelector('[data-testid=wall-gp] [data-gp-cell="JPN/sustainable_agriculture"]')?.textContent === n, String(was + 1), { timeout: 10_000 });
      await page.waitForTimeout(200);
      await page.screenshot({ path: join(OUT, `gp-wall-1920x1080-${backend}.png`) });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(300);
      const over = await scrollOverflow(page);
      assert(over.width <= 0, `the wall on a phone scrolls sideways by ${over.width} px`);
      // The wall clips what is wider than a phone (overflow-x: clip): nothing of it may be wider, or it is cut off unseen.
      const wide = await page.evaluate(() => [...document.querySelectorAll('.wall-head, .wall-body, .panel-gp > *, .ticker')].filter((e) => e.getBoundingClientRect().right > innerWidth + 1).map((e) => `${e.className || e.tagName} ${Math.round(e.getBoundingClientRect().width)} px`));
      assert(!wide.length, `wider than the phone, cut off: ${wide.join('; ')}`);
      await page.screenshot({ path: join(OUT, `gp-wall-390x844-${backend}.png`), fullPage: true });
      await server.json(`/gp/initiatives/${added.id}`, { method: 'DELETE' });
    } finally {
      await page.close();
    }
    assert(!errors.length, `no page errors: ${errors.join('; ')}`);
  });

  await t('/gp: a theme the Secretariat adds arrives live as a filter and a column of the matrix, and the wall still fits it', async () => {
    const { page, errors } = await open(context, server, '/gp');
    const wall = await context.newPage();
    try {
      await page.waitForFunction(() => document.querySelector('main')?.dataset.cells !== undefined && !document.querySelector('main')?.hasAttribute('data-loading'), null, { timeout: 15_000 });
      await waitLive(page, errors);
      await wall.setViewportSize({ width: 1280, height: 720 });
      await wall.goto(`${server.base}/wall`);
      await wall.waitForSelector('[data-panel=gp]', { state: 'attached', timeout: 15_000 });
      await wall.evaluate(() => {
        for (const p of document.querySelectorAll('[data-panel]')) p.hidden = p.getAttribute('data-panel') !== 'gp';
      });
      const themes = await server.json('/gp/themes');
      const theme = { id: 'water_stewardship', label: 'Water stewardship' };
      await server.put(`/gp/themes/${theme.id}`, theme);
      await page.waitForFunction((id) => [...document.querySelectorAll('[data-testid=gp-filter-theme] option')].some((o) => o.value === id), theme.id, { timeout: 10_000 });
      await page.waitForSelector(`[data-testid=gp-matrix] thead th[data-theme="${theme.id}"]`, { timeout: 10_000 });
      const columns = await page.$$eval('[data-testid=gp-matrix] thead th[data-theme]', (ths) => ths.length);
      const want = themes.length + (themes.some((x) => x.id === theme.id) ? 0 : 1);
      assert(columns === want, `a column per theme: ${columns}, want ${want}`);
      // An initiative of the new theme is taken and counted.
      const added = initiative('e2e-gp-water-lka', 'LKA', theme.id);
      await server.put(`/gp/initiatives/${added.id}`, added);
      await page.waitForFunction((id) => document.querySelector(`[data-cell="LKA/${id}"]`)?.textContent === '1', theme.id, { timeout: 10_000 });
      await wall.waitForFunction((id) => document.querySelector(`[data-testid=wall-gp] [data-gp-cell="LKA/${id}"]`)?.textContent === '1', theme.id, { timeout: 10_000 });
      const fit = await wall.evaluate(() => {
        const panel = document.querySelector('.panel-gp').getBoundingClientRect();
        const rows = [...document.querySelectorAll('.panel-gp tbody tr')].filter((r) => r.getBoundingClientRect().bottom > panel.bottom + 1).length;
        const cut = [...document.querySelectorAll('.panel-gp thead th, .panel-gp [data-gp-cell]')].filter((e) => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1).map((e) => e.textContent);
        return { rows, cut };
      });
      assert(fit.rows === 0 && !fit.cut.length, `the wall with ${columns} themes at 1280×720: ${fit.rows} rows below the edge, cut: ${fit.cut.join('; ')}`);
      await wall.screenshot({ path: join(OUT, `gp-wall-six-themes-1280x720-${backend}.png`) });
      await server.json(`/gp/initiatives/${added.id}`, { method: 'DELETE' });
    } finally {
      await page.close();
      await wall.close();
    }
    assert(!errors.length, `no page errors: ${errors.join('; ')}`);
  });

  // The seeded initiatives go, so that later tests see the demo as it was.
  for (const i of seeded) await server.fetch(`/gp/initiatives/${i.id}`, { method: 'DELETE' }).catch(() => undefined);
}

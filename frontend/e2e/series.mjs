// e2e of series of any name (issue 20, point 3), called from run.mjs's suite on each backend:
// `seriesTests({ t, server, backend, context })`.
//
// - The member page of Viet Nam shows its demo national series (not Penn World Table's): a
//   selector of their labels, a line chart, and under it the label with its unit and the
//   source, which says the figures are illustrative. A value changed through POST /import
//   (the server's import endpoint, as the Secretariat's panel sends it) is redrawn on the open
//   page from the live feed, without a reload; the same for a new catalogue label.
// - The productivity page's selector lists every catalogued series (Penn World Table's and the
//   members' own) and draws the chosen one for the members chosen there.
// - Screenshots at 1920×1080 (a projector) and 390×844 (a phone), looked at by people; axe on
//   each, and on the phone no sideways scroll and no text under 14 px in the panels.

import { join } from 'node:path';
import { axeViolations, describeViolations } from './axe.mjs';
import { OUT, assert } from './harness.mjs';
import { scrollOverflow } from './wall-checks.mjs';

const csv = (rows) => rows.map((r) => r.join(',')).join('\n') + '\n';

/** `POST /import` of CSV files (`{ name: text }`) with the Secretariat's token: `{ status, body }`. */
async function importCsv(server, files) {
  const form = new FormData();
  for (const [name, text] of Object.entries(files)) form.append('file', new Blob([text], { type: 'text/csv' }), name);
  const r = await fetch(`${server.base}/api/v1/import`, { method: 'POST', body: form, headers: { authorization: `Bearer ${server.token}`, accept: 'application/json' } });
  const text = await r.text();
  let body = text;
  try {
    body = JSON.parse(text);
  } catch {
    // NDJSON or plain text: kept as it came.
  }
  return { status: r.status, body };
}

/** axe; at phone width, the page's sideways scroll; text under 14 px in `selector`; a screenshot of the window with `selector` scrolled into it. */
async function look(page, selector, name, backend, problems) {
  const size = page.viewportSize();
  const v = await axeViolations(page);
  if (v.length) problems.push(`${name} at ${size.width}×${size.height}: axe: ${describeViolations(v)}`);
  if (size.width < 600) {
    const over = await scrollOverflow(page);
    if (over.width > 0) problems.push(`${name} at ${size.width}: the page scrolls sideways by ${over.width} px`);
  }
  const panel = page.locator(selector);
  await panel.scrollIntoViewIfNeeded();
  const tiny = await panel.evaluate((root) => {
    const out = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || !n.textContent.trim() || el.closest('svg') || !el.getClientRects().length) continue;
      const px = parseFloat(getComputedStyle(el).fontSize);
      if (px < 14) out.push(`${n.textContent.trim().slice(0, 30)} (${px} px)`);
    }
    return out;
  });
  if (tiny.length) problems.push(`${name} at ${size.width}: text under 14 px: ${tiny.slice(0, 4).join('; ')}`);
  await page.screenshot({ path: join(OUT, `series-${name}-${size.width}x${size.height}-${backend}.png`) });
}

export async function seriesTests({ t, server, backend, context }) {
  await t('the member page shows Viet Nam’s demo national series with label, unit and source, and redraws a value changed through POST /import', async () => {
    const listed = await server.json('/series/catalogue?iso3=VNM');
    const own = listed.filter((e) => !e.pwt);
    assert(own.length >= 3, `the demo has national series of Viet Nam: ${JSON.stringify(listed.map((e) => e.series))}`);
    assert(own.every((e) => /illustrative/i.test(e.source)), `their source says they are illustrative: ${JSON.stringify(own.map((e) => e.source))}`);
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const problems = [];
    try {
      await page.setViewportSize({ width: 1920, height: 1080 });
      await page.goto(`${server.base}/members/VNM`);
      const panel = page.locator('[data-testid=member-series]');
      await page.waitForFunction(() => {
        const s = document.querySelector('[data-testid=member-series]');
        return s && !s.hasAttribute('data-loading') && s.dataset.values;
      }, null, { timeout: 15_000 });
      const options = await page.$$eval('[data-testid=member-series-select] option', (os) => os.map((o) => ({ value: o.value, text: o.textContent })));
      assert(
        JSON.stringify(options) === JSON.stringify(own.map((e) => ({ value: e.series, text: e.label }))),
        `the selector lists Viet Nam's own series by label, and no Penn World Table series: ${JSON.stringify(options)}`,
      );
      const chosen = await panel.getAttribute('data-series');
      const entry = own.find((e) => e.series === chosen);
      assert(entry, `a series is drawn: ${chosen}`);
      const label = await page.locator('[data-testid=member-series-label]').textContent();
      assert(label === `${entry.label} (${entry.unit})`, `under the chart, the label with its unit: ${label}`);
      const note = await page.locator('[data-testid=member-series-note]').textContent();
      assert(note.includes(entry.source) && note.includes(`${entry.first_year}–${entry.last_year}`), `and the source and years: ${note}`);
      const points = await server.json(`/series?iso3=VNM&series=${encodeURIComponent(chosen)}`);
      assert((await panel.getAttribute('data-values')) === points.map((p) => `${p.year}:${p.value}`).join(' '), 'the chart holds the stored values');
      const drawn = await page.locator('[data-testid=member-series-chart] svg path').count();
      assert(drawn > 0, 'the line is drawn');
      await look(page, '[data-testid=member-series]', 'member', backend, problems);

      // Another series from the selector.
      const other = own.find((e) => e.series !== chosen);
      await page.selectOption('[data-testid=member-series-select]', other.series);
      await page.waitForFunction((s) => document.querySelector('[data-testid=member-series]')?.dataset.series === s, other.series);

      // A value changed through the import endpoint: redrawn from the live feed, no reload.
      const last = points.at(-1);
      const changed = Math.round((last.value + 7.3) * 10) / 10;
      await page.selectOption('[data-testid=member-series-select]', chosen);
      await page.waitForFunction((s) => document.querySelector('[data-testid=member-series]')?.dataset.series === s, chosen);
      const r = await importCsv(server, { 'series.csv': csv([['iso3', 'series', 'year', 'value'], ['VNM', chosen, last.year, changed]]) });
      assert(r.status === 200, `the import is taken: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      await page.waitForFunction((want) => (document.querySelector('[data-testid=member-series]')?.dataset.values ?? '').endsWith(want), `${last.year}:${changed}`, { timeout: 10_000 });
      // A new label from a catalogue sheet: the selector and the caption follow.
      const relabelled = `${entry.label} (revised)`;
      const c = await importCsv(server, { 'series_catalogue.csv': csv([['series', 'label', 'unit', 'source'], [chosen, `"${relabelled}"`, `"${entry.unit}"`, `"${entry.source}"`]]) });
      assert(c.status === 200, `the catalogue import is taken: ${c.status} ${JSON.stringify(c.body).slice(0, 300)}`);
      await page.waitForFunction((want) => document.querySelector('[data-testid=member-series-label]')?.textContent?.startsWith(want), relabelled, { timeout: 10_000 });
      // Put back, so that later tests see the demo as it was.
      await importCsv(server, {
        'series.csv': csv([['iso3', 'series', 'year', 'value'], ['VNM', chosen, last.year, last.value]]),
        'series_catalogue.csv': csv([['series', 'label', 'unit', 'source'], [chosen, `"${entry.label}"`, `"${entry.unit}"`, `"${entry.source}"`]]),
      });
      await page.waitForFunction((want) => (document.querySelector('[data-testid=member-series]')?.dataset.values ?? '').endsWith(want), `${last.year}:${last.value}`, { timeout: 10_000 });

      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(300);
      await look(page, '[data-testid=member-series]', 'member', backend, problems);
    } finally {
      await page.close();
    }
    assert(!errors.length, `no page errors: ${errors.join('; ')}`);
    assert(!problems.length, problems.join('\n'));
  });

  await t('the productivity page draws any catalogued series for the members chosen there', async () => {
    const catalogue = await server.json('/series/catalogue');
    const page = await context.newPage();
    const problems = [];
    try {
      await page.setViewportSize({ width: 1920, height: 1080 });
      await page.goto(`${server.base}/productivity`);
      await page.waitForFunction(() => document.querySelector('[data-testid=any-series-chart]')?.dataset.series, null, { timeout: 15_000 });
      const values = await page.$$eval('[data-testid=any-series] option', (os) => os.map((o) => o.value).sort());
      const want = catalogue.map((e) => e.series).sort();
      assert(JSON.stringify(values) === JSON.stringify(want), `every catalogued series is offered: ${values.length} of ${want.length}`);
      assert((await page.locator('[data-testid=any-series-chart]').getAttribute('data-series')) === 'rgdpo', 'output-side real GDP first');
      // Viet Nam's own index, for the chosen members (Viet Nam among them by default).
      const own = catalogue.find((e) => !e.pwt && e.members.some((m) => m.iso3 === 'VNM'));
      await page.selectOption('[data-testid=any-series]', own.series);
      await page.waitForFunction((s) => document.querySelector('[data-testid=any-series-chart]')?.dataset.series === s, own.series);
      const label = await page.locator('[data-testid=any-series-label]').textContent();
      assert(label === `${own.label} (${own.unit})`, `the label with its unit: ${label}`);
      const note = await page.locator('[data-testid=any-series-note]').textContent();
      assert(note.includes(own.source), `the source: ${note}`);
      assert(/No values for/.test(note), `the chosen members without it are named: ${note}`);
      const vnm = (await server.json('/members')).find((m) => m.iso3 === 'VNM').name;
      const legend = await page.locator('[data-testid=any-series-chart]').textContent();
      assert(legend.includes(vnm), `${vnm}'s line is in the legend: ${legend.slice(0, 200)}`);
      // A chosen member without values gets no legend entry (on a phone it hid the line).
      const members = await server.json('/members');
      const missing = note.match(/No values for ([A-Z, ]+)\./)?.[1].split(', ') ?? [];
      for (const code of missing) {
        const name = members.find((m) => m.iso3 === code)?.name ?? code;
        assert(!legend.includes(name), `${name} has no values and no legend entry: ${legend.slice(0, 200)}`);
      }
      await look(page, '[data-testid=any-series-chart]', 'productivity', backend, problems);
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(300);
      await look(page, '[data-testid=any-series-chart]', 'productivity', backend, problems);
    } finally {
      await page.close();
    }
    assert(!problems.length, problems.join('\n'));
  });
}

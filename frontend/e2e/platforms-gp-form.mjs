// e2e of the GP 2.0 initiative form on /gp (issue 23 §2, gp-form.ts), called from run.mjs's
// suite on each backend: `gpFormTests({ t, server, backend, context, newContext })`. Initiatives
// the tests make have ids starting `e2e-gpf-` or are found by their "(e2e form)" titles, and are
// deleted at the end, so the other GP tests hold whatever ran before.
//
// - A member's editor (VNM, on a phone) is offered its own member only, records an initiative
//   with two outcomes through the form; the server stores it as typed, and a Secretariat's /gp
//   open elsewhere counts it in the matrix live (no reload); corrected through Edit (a row
//   removed, the status changed), the server holds the correction.
// - The form refuses an outcome year after the end year as it is typed, and sends nothing.
// - The server's refusal (a value beyond the largest it takes) is shown beside that row's value,
//   with a blank row before it (blank rows are not sent: the server's index is not the row's).
// - THA's editor is offered no Edit or Delete on VNM's initiatives; a PUT for VNM forced through
//   the form is the server's 403, said plainly; nothing is stored.
// - The Secretariat deletes an initiative from the list after a confirmation.
// - Screenshots of the open form at 1920×1080 and 390×844; axe; on the phone no sideways scroll,
//   no text under 14 px, every box and button of the form at least 44 px tall.

import { join } from 'node:path';
import { axeViolations, describeViolations } from './axe.mjs';
import { OUT, assert, sleep } from './harness.mjs';
import { scrollOverflow } from './wall-checks.mjs';

const YEAR = new Date().getUTCFullYear();

const initiative = (id, iso3, over = {}) => ({
  id,
  iso3,
  title: `Initiative ${id} (e2e form)`,
  theme: 'circular_economy',
  type: 'demonstration_project',
  sector: 'manufacturing',
  start_year: YEAR - 1,
  end_year: YEAR + 1,
  status: 'ongoing',
  outcomes: [{ metric: 'companies_reached', year: YEAR, value: 7 }],
  ...over,
});

const cells = (page) => page.evaluate(() => document.querySelector('main')?.dataset.cells ?? '');
const cellCount = (text, key) => Number(new RegExp(`(?:^| )${key.replace(/[*/]/g, '\\$&')}=(\\d+)`).exec(text)?.[1] ?? 0);

async function openGp(ctx, server, path = '/gp') {
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${server.base}${path}`);
  await page
    .waitForFunction(() => document.querySelector('main')?.dataset.cells !== undefined && !document.querySelector('main')?.hasAttribute('data-loading'), null, { timeout: 15_000 })
    .catch(async (e) => {
      const said = await page.evaluate(() => document.querySelector('[data-testid=gp-members]')?.textContent ?? document.body.innerText.slice(0, 200)).catch(() => '?');
      throw new Error(`${page.url()} did not draw: “${said}”; ${errors.join('; ')} (${e.message.split('\n')[0]})`);
    });
  return { page, errors };
}

async function openForm(page) {
  await page.waitForSelector('[data-testid=gp-form-panel]', { timeout: 10_000 });
  await page.evaluate(() => {
    const d = document.querySelector('[data-testid=gp-form-panel]');
    if (d) d.open = true;
  });
  // The themes and sectors are in the boxes once the page's lists have arrived.
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=gf-theme] option').length > 1 && document.querySelectorAll('[data-testid=gf-sector] option').length > 1, null, { timeout: 10_000 });
}

/** Fills the form's boxes (outcomes as rows: each added with the button). */
async function fill(page, i, rows = []) {
  await page.fill('[data-testid=gf-title]', i.title);
  await page.selectOption('[data-testid=gf-theme]', i.theme);
  await page.selectOption('[data-testid=gf-type]', i.type);
  await page.selectOption('[data-testid=gf-sector]', i.sector);
  await page.selectOption('[data-testid=gf-status]', i.status);
  await page.fill('[data-testid=gf-start]', String(i.start_year));
  await page.fill('[data-testid=gf-end]', String(i.end_year));
  for (const [n, r] of rows.entries()) {
    if ((await page.locator('[data-testid=gf-outcomes] [data-row]').count()) <= n) await page.click('[data-testid=gf-add-outcome]');
    if (r.metric) await page.selectOption(`[data-testid=gf-metric-${n}]`, r.metric);
    await page.fill(`[data-testid=gf-year-${n}]`, String(r.year));
    await page.fill(`[data-testid=gf-value-${n}]`, String(r.value));
  }
}

/** The words of the form and of the list's items in type under `px`, as "text (size)". */
const formTextUnder = (page, px) =>
  page.evaluate(
    (least) =>
      [...document.querySelectorAll('.gp-form-panel *, .gp-list *')]
        .filter((e) => e.getClientRects().length && [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()))
        .filter((e) => parseFloat(getComputedStyle(e).fontSize) < least)
        .map((e) => `${e.textContent.trim().slice(0, 30)} (${getComputedStyle(e).fontSize})`),
    px,
  );

async function look(page, name, backend, problems) {
  const size = page.viewportSize();
  const v = await axeViolations(page);
  if (v.length) problems.push(`${name} at ${size.width}×${size.height}: axe: ${describeViolations(v)}`);
  if (size.width < 600) {
    const over = await scrollOverflow(page);
    if (over.width > 0) problems.push(`${name} at ${size.width}: the page scrolls sideways by ${over.width} px`);
    // The map's member codes are the map's (platforms-gp.mjs judges them); the form and the list here.
    const tiny = await formTextUnder(page, 14);
    if (tiny.length) problems.push(`${name} at ${size.width}: text under 14 px: ${tiny.slice(0, 4).join('; ')}`);
    const low = await page.evaluate(() =>
      [...document.querySelectorAll('.gp-form input, .gp-form select, .gp-form button, .gp-form-panel > summary, .gp-item-actions button')]
        .filter((e) => e.getClientRects().length > 0)
        .map((e) => ({ what: e.getAttribute('data-testid') || e.textContent?.trim().slice(0, 30), height: Math.round(e.getBoundingClientRect().height) }))
        .filter((e) => e.height < 43.5),
    );
    if (low.length) problems.push(`${name} at ${size.width}: targets under 44 px: ${JSON.stringify(low.slice(0, 5))}`);
  } else if (size.width >= 1600) {
    // A projector: the form's words in type the back row reads, as the rest of /gp.
    const formTiny = await formTextUnder(page, 18);
    if (formTiny.length) problems.push(`${name} at ${size.width}: form text under 18 px: ${formTiny.slice(0, 4).join('; ')}`);
  }
  await page.screenshot({ path: join(OUT, `gp-form-${name}-${size.width}x${size.height}-${backend}.png`), fullPage: size.width < 1000 });
}

export async function gpFormTests({ t, server, backend, context, newContext }) {
  const made = new Set();
  const editorOf = async (iso3, viewport = { width: 390, height: 844 }) => {
    const { token } = await server.post('/tokens', { role: 'editor', member: iso3, label: `e2e ${iso3} editor (GP form)` });
    const ctx = await newContext(viewport);
    await server.signIn(ctx, token);
    return ctx;
  };

  await t('gp form: VNM’s editor records an initiative for VNM through the form (its member the only one offered), stored as typed, and a Secretariat’s /gp counts it live', async () => {
    const ctx = await editorOf('VNM');
    const watcher = await openGp(context, server);
    try {
      const { page } = await openGp(ctx, server);
      await openForm(page);
      const offered = await page.locator('[data-testid=gf-iso3] option').evaluateAll((os) => os.map((o) => o.value));
      assert(JSON.stringify(offered) === '["VNM"]', `VNM's editor is offered VNM only: ${JSON.stringify(offered)}`);
      const before = await cells(watcher.page);
      const title = `Eco-design clinic for furniture makers ${backend} (e2e form)`;
      await fill(page, { title, theme: 'eco_products', type: 'training', sector: 'manufacturing', status: 'ongoing', start_year: YEAR - 1, end_year: YEAR }, [
        { metric: 'companies_reached', year: YEAR - 1, value: '14' },
        { metric: 'emissions_avoided', year: YEAR, value: '1,250.5' },
      ]);
      const id = await page.inputValue('[data-testid=gf-id]');
      assert(/^vnm-gp-eco-design-clinic-for-furniture-makers/.test(id), `the id is made from the member and the title: ${id}`);
      made.add(id);
      const unit = await page.locator('[data-row="1"] .gp-unit').innerText();
      assert(unit === 'tCO2e', `the metric's unit is shown beside its value: “${unit}”`);
      await page.click('[data-testid=gp-save]');
      await page.waitForFunction(() => /^Saved/.test(document.querySelector('[data-testid=gp-form-status]')?.textContent ?? ''), null, { timeout: 10_000 }).catch(async () => {
        throw new Error(`not saved: “${await page.locator('[data-testid=gp-form-status]').innerText()}”`);
      });
      const stored = await server.json(`/gp/initiatives/${id}`);
      assert(stored.iso3 === 'VNM' && stored.title === title && stored.theme === 'eco_products' && stored.type === 'training' && stored.start_year === YEAR - 1 && stored.end_year === YEAR, `stored as typed: ${JSON.stringify(stored)}`);
      const outs = stored.outcomes.map((o) => `${o.metric}/${o.year}=${o.value}`).sort();
      assert(JSON.stringify(outs) === JSON.stringify([`companies_reached/${YEAR - 1}=14`, `emissions_avoided/${YEAR}=1250.5`]), `the outcomes as typed: ${outs.join(' ')}`);
      // The editor's own list shows it, with Edit and Delete.
      await page.waitForSelector(`[data-testid=gp-list] [data-id="${id}"] [data-edit="${id}"]`, { timeout: 10_000 });
      // Live in the Secretariat's matrix, without a reload.
      const want = cellCount(before, 'VNM/eco_products') + 1;
      await watcher.page
        .waitForFunction(([n]) => Number(/(?:^| )VNM\/eco_products=(\d+)/.exec(document.querySelector('main')?.dataset.cells ?? '')?.[1] ?? 0) === n, [want], { timeout: 10_000 })
        .catch(async () => {
          throw new Error(`the Secretariat's matrix did not count it: ${await cells(watcher.page)} (want VNM/eco_products=${want})`);
        });
      const cell = await watcher.page.locator('[data-cell="VNM/eco_products"] button').innerText();
      assert(Number(cell) === want, `the cell shows ${cell}, want ${want}`);

      // Corrected through Edit: the form holds it as stored (its id fixed), an outcome row removed, the status changed.
      await page.click(`[data-testid=gp-list] [data-edit="${id}"]`);
      assert((await page.inputValue('[data-testid=gf-title]')) === title, 'Edit fills the form with the initiative');
      assert(await page.locator('[data-testid=gf-id]').evaluate((e) => e.readOnly), 'the id of a stored initiative is not changed');
      const shownRows = await page.locator('[data-testid=gf-outcomes] [data-row]').count();
      assert(shownRows === 2, `its two outcomes are rows: ${shownRows}`);
      const firstMetric = await page.inputValue('[data-testid=gf-metric-0]');
      await page.click('[data-testid=gf-remove-0]');
      await page.selectOption('[data-testid=gf-status]', 'completed');
      await page.click('[data-testid=gp-save]');
      await page.waitForFunction(() => /^Saved/.test(document.querySelector('[data-testid=gp-form-status]')?.textContent ?? ''), null, { timeout: 10_000 });
      const corrected = await server.json(`/gp/initiatives/${id}`);
      assert(corrected.status === 'completed' && corrected.outcomes.length === 1 && corrected.outcomes[0].metric !== firstMetric, `corrected as typed: ${JSON.stringify(corrected)}`);
    } finally {
      await watcher.page.close();
      await ctx.close();
    }
  });

  await t('gp form: an outcome year after the end year is refused as it is typed, beside that row, and nothing is sent', async () => {
    const ctx = await editorOf('VNM');
    try {
      const { page } = await openGp(ctx, server);
      const puts = [];
      page.on('request', (r) => r.method() === 'PUT' && r.url().includes('/api/v1/gp/initiatives/') && puts.push(r.url()));
      await openForm(page);
      await fill(page, { title: 'Late outcome (e2e form)', theme: 'energy_efficiency', type: 'demonstration_project', sector: 'energy', status: 'completed', start_year: YEAR - 3, end_year: YEAR - 2 }, [{ metric: 'energy_saved', year: YEAR - 1, value: '12' }]);
      const typed = await page.locator('[data-error-for="outcomes[0].year"]').innerText();
      assert(typed.includes(`${YEAR - 1} is outside the initiative’s years ${YEAR - 3}–${YEAR - 2}`), `said as typed beside the row's year: “${typed}”`);
      await page.click('[data-testid=gp-save]');
      await sleep(300);
      assert(puts.length === 0, `nothing was sent: ${puts.join(' ')}`);
      assert((await page.getAttribute('[data-testid=gf-year-0]', 'aria-invalid')) === 'true', 'the row’s year is marked');
      const said = await page.locator('[data-testid=gp-form-status]').innerText();
      assert(/^Nothing was sent/.test(said), `the status says nothing was sent: “${said}”`);
      // The end year before the start, likewise.
      await page.fill('[data-testid=gf-end]', String(YEAR - 4));
      const end = await page.locator('[data-error-for=end_year]').innerText();
      assert(/ends \(\d{4}\) before it starts/.test(end), `the end year before the start is said: “${end}”`);
    } finally {
      await ctx.close();
    }
  });

  await t('gp form: the server’s refusal of a value is shown beside that row’s value, a blank row before it not sent; nothing is stored', async () => {
    const ctx = await editorOf('VNM');
    try {
      const { page } = await openGp(ctx, server);
      await openForm(page);
      const title = `Water audit beyond measure ${backend} (e2e form)`;
      await fill(page, { title, theme: 'green_supply_chains', type: 'demonstration_project', sector: 'textiles_garments', status: 'ongoing', start_year: YEAR, end_year: YEAR }, [
        { metric: 'companies_reached', year: YEAR, value: '3' },
        { metric: '', year: '', value: '' },
        { metric: 'water_saved', year: YEAR, value: '1e16' },
      ]);
      const id = await page.inputValue('[data-testid=gf-id]');
      made.add(id);
      await page.click('[data-testid=gp-save]');
      await page.waitForFunction(() => (document.querySelector('[data-error-for="outcomes[2].value"]')?.textContent ?? '').length > 0, null, { timeout: 10_000 }).catch(async () => {
        throw new Error(`no refusal beside row 3's value; the status says “${await page.locator('[data-testid=gp-form-status]').innerText()}”`);
      });
      const said = await page.locator('[data-error-for="outcomes[2].value"]').innerText();
      assert(/beyond|largest/.test(said), `the server's words beside the row: “${said}”`);
      assert((await page.locator('[data-error-for="outcomes[1].value"]').innerText()) === '', 'the blank row is not blamed');
      assert((await page.getAttribute('[data-testid=gf-value-2]', 'aria-invalid')) === 'true', 'the value is marked');
      assert(/^Nothing was saved/.test(await page.locator('[data-testid=gp-form-status]').innerText()), 'the status says nothing was saved');
      assert((await server.fetch(`/gp/initiatives/${id}`)).status === 404, 'nothing was stored');
    } finally {
      await ctx.close();
    }
  });

  await t('gp form: THA’s editor is offered no Edit or Delete on VNM’s initiatives, and a PUT for VNM forced through the form is the 403, said plainly', async () => {
    const vnm = initiative('e2e-gpf-vnm-keep', 'VNM');
    await server.put(`/gp/initiatives/${vnm.id}`, vnm);
    made.add(vnm.id);
    const ctx = await editorOf('THA');
    try {
      const { page } = await openGp(ctx, server);
      await openForm(page);
      const offered = await page.locator('[data-testid=gf-iso3] option').evaluateAll((os) => os.map((o) => o.value));
      assert(JSON.stringify(offered) === '["THA"]', `THA's editor is offered THA only: ${JSON.stringify(offered)}`);
      await page.click('[data-testid=gp-matrix] [data-pick=VNM]');
      await page.waitForSelector(`[data-testid=gp-list] [data-id="${vnm.id}"]`, { timeout: 10_000 });
      const buttons = await page.locator('[data-testid=gp-list] [data-edit], [data-testid=gp-list] [data-delete]').count();
      assert(buttons === 0, `no Edit or Delete on VNM's initiatives for THA's editor: ${buttons}`);
      // Forced: the member box made to say VNM (the page never offers it).
      await fill(page, { title: 'Taken over (e2e form)', theme: 'energy_efficiency', type: 'database', sector: 'energy', status: 'planned', start_year: YEAR, end_year: YEAR + 1 });
      await page.evaluate(() => {
        const s = document.querySelector('[data-testid=gf-iso3]');
        s.append(new Option('Viet Nam (VNM)', 'VNM'));
        s.value = 'VNM';
      });
      const id = await page.inputValue('[data-testid=gf-id]');
      made.add(id);
      await page.click('[data-testid=gp-save]');
      await page.waitForFunction(() => /Not allowed/.test(document.querySelector('[data-testid=gp-form-status]')?.textContent ?? ''), null, { timeout: 10_000 }).catch(async () => {
        throw new Error(`no 403 said: “${await page.locator('[data-testid=gp-form-status]').innerText()}”`);
      });
      const said = await page.locator('[data-testid=gp-form-status]').innerText();
      assert(/^Nothing was saved\. Not allowed: /.test(said), `the 403 is said plainly: “${said}”`);
      assert((await server.fetch(`/gp/initiatives/${id}`)).status === 404, `nothing stored under ${id}`);
      await look(page, 'editor-403', backend, []);
    } finally {
      await ctx.close();
    }
  });

  await t('gp form: the Secretariat deletes an initiative from the list after confirming', async () => {
    const doomed = initiative('e2e-gpf-delete-me', 'THA', { title: 'To be deleted (e2e form)' });
    await server.put(`/gp/initiatives/${doomed.id}`, doomed);
    made.add(doomed.id);
    const { page } = await openGp(context, server);
    try {
      await page.click('[data-testid=gp-matrix] [data-pick=THA]');
      await page.waitForSelector(`[data-testid=gp-list] [data-delete="${doomed.id}"]`, { timeout: 10_000 });
      const before = cellCount(await cells(page), 'THA/*');
      // Open in the form first: once deleted, the form lets it go (saving would bring it back).
      await page.click(`[data-testid=gp-list] [data-edit="${doomed.id}"]`);
      assert((await page.inputValue('[data-testid=gf-title]')) === doomed.title, 'the form holds it');
      await page.click(`[data-testid=gp-list] [data-delete="${doomed.id}"]`);
      const question = await page.locator(`[data-id="${doomed.id}"] [data-testid=gp-confirm]`).innerText();
      assert(/Delete “To be deleted \(e2e form\)” \(e2e-gpf-delete-me\), with its 1 outcome\?/.test(question), `asked first: “${question}”`);
      assert((await server.fetch(`/gp/initiatives/${doomed.id}`)).status === 200, 'not deleted before the answer');
      await page.click(`[data-id="${doomed.id}"] [data-testid=gp-delete-yes]`);
      await page.waitForFunction((id) => !document.querySelector(`[data-testid=gp-list] [data-id="${id}"]`), doomed.id, { timeout: 10_000 });
      assert((await server.fetch(`/gp/initiatives/${doomed.id}`)).status === 404, 'deleted on the server');
      assert((await page.inputValue('[data-testid=gf-title]')) === '' && !(await page.locator('[data-testid=gf-id]').evaluate((e) => e.readOnly)), 'the form no longer holds it');
      await page.waitForFunction((n) => Number(/(?:^| )THA\/\*=(\d+)/.exec(document.querySelector('main')?.dataset.cells ?? '')?.[1] ?? 0) === n, before - 1, { timeout: 10_000 });
    } finally {
      await page.close();
    }
  });

  await t('gp form: screenshots of the open form at 1920×1080 and 390×844, axe, no sideways scroll and 44 px targets on a phone', async () => {
    const problems = [];
    try {
      for (const viewport of [{ width: 1920, height: 1080 }, { width: 390, height: 844 }]) {
        const ctx = await editorOf('VNM', viewport);
        try {
          const { page } = await openGp(ctx, server);
          await openForm(page);
          await fill(page, { title: 'Energy audits for rice mills (e2e form)', theme: 'energy_efficiency', type: 'demonstration_project', sector: 'agriculture', status: 'ongoing', start_year: YEAR - 1, end_year: YEAR + 1 }, [
            { metric: 'energy_saved', year: YEAR - 1, value: '340.5' },
            { metric: 'companies_reached', year: YEAR + 1, value: '12' },
          ]);
          await page.locator('[data-testid=gp-form-panel]').scrollIntoViewIfNeeded();
          await sleep(300);
          await look(page, 'open', backend, problems);
        } finally {
          await ctx.close();
        }
      }
    } finally {
      for (const id of made) await server.fetch(`/gp/initiatives/${id}`, { method: 'DELETE' });
    }
    assert(!problems.length, problems.join('\n'));
  });
}

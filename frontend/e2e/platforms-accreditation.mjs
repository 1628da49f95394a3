// e2e of the accreditation screens (issue 23 §1), called from run.mjs's suite on each backend:
// `accreditationTests({ t, server, backend, context })`. The test writes its own records through
// the API (ids starting `e2e-`), so it holds whatever the demo data has besides.
//
// - /accreditations shows every record of GET /accreditations in the register, each member on
//   the map in its status's colour as GET /accreditations/summary gives it, the legend's counts,
//   and the renewals due most urgent first; the status filter shows what GET ?status= answers and
//   is kept in the address.
// - A certificate conferred through the API (PUT, status accredited, for a member the demo has
//   not accredited) moves the wall's
//   "Accredited N of 21" to N+1 without a reload, the member's badge appears, and the open
//   register page shows the record accredited, live.
// - The Secretariat's form: a move the server refuses (an assessment date after today: 422; a
//   renewal whose validity is not later: 409) shows the server's message beside the field it
//   names and writes nothing; corrected, it is saved.
// - Screenshots at 1920×1080 and 390×844 of the page and the wall; axe on the page; no sideways
//   scroll on a phone; the wall keeps its no-scrollbar, no-text-under-18-px rules.

import { join } from 'node:path';
import { axeViolations, describeViolations } from './axe.mjs';
import { OUT, assert, sleep } from './harness.mjs';
import { fontsUnder, scrollOverflow } from './wall-checks.mjs';

/** The colours of accreditations-model.ts's STATUS_COLOUR (the map's fill for each status). */
const FILL = { accredited: '#0072B2', renewal_due: '#E69F00', under_assessment: '#56B4E9', applied: '#F0E442', expired: '#D55E00', withdrawn: '#b8bec6' };
const ORDER = ['accredited', 'renewal_due', 'under_assessment', 'applied', 'expired', 'withdrawn'];

const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/** The records this test writes: one under assessment, one whose validity ends in 60 days, one applied. */
function seeds() {
  const base = { body_kind: 'npo', scheme: 'APO accreditation of NPOs', criteria_scores: {}, note: null };
  return [
    { ...base, id: 'e2e-tha-ftpi', iso3: 'THA', body: 'Foundation for Thailand Productivity Institute', status: 'under_assessment', applied_on: day(-200), assessment_date: day(-10), criteria_scores: { governance: 81, services: 74 } },
    { ...base, id: 'e2e-ind-npc', iso3: 'IND', body: 'National Productivity Council', status: 'accredited', applied_on: day(-1300), assessment_date: day(-1200), certificate: 'APO-ACC-E2E-001', conferred_on: day(-1035), occasion: '63rd WSM, Tokyo', valid_until: day(60) },
    { ...base, id: 'e2e-lka-npo', iso3: 'LKA', body: 'National Productivity Secretariat', body_kind: 'npo', status: 'applied', applied_on: day(-30) },
  ];
}

async function look(page, name, backend, problems) {
  const size = page.viewportSize();
  const v = await axeViolations(page);
  if (v.length) problems.push(`${name} at ${size.width}×${size.height}: axe: ${describeViolations(v)}`);
  if (size.width < 600) {
    const over = await scrollOverflow(page);
    if (over.width > 0) problems.push(`${name} at ${size.width}: the page scrolls sideways by ${over.width} px`);
  }
  // Text in the page's main area: 18 px at least on a projector, 14 on a phone (the map's labels aside).
  const min = size.width < 600 ? 14 : 18;
  const tiny = await page.evaluate((min) => {
    const out = [];
    const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || !n.textContent.trim() || el.closest('svg') || !el.getClientRects().length) continue;
      const px = parseFloat(getComputedStyle(el).fontSize);
      if (px < min) out.push(`${n.textContent.trim().slice(0, 30)} (${px} px)`);
    }
    return out;
  }, min);
  if (tiny.length) problems.push(`${name} at ${size.width}: text under ${min} px: ${tiny.slice(0, 4).join('; ')}`);
  await page.screenshot({ path: join(OUT, `accreditation-${name}-${size.width}x${size.height}-${backend}.png`), fullPage: size.width < 1000 });
}

const loaded = (page) => page.waitForFunction(() => !document.querySelector('main')?.hasAttribute('data-loading') && document.querySelector('main')?.dataset.ids !== undefined, null, { timeout: 15_000 });

export async function accreditationTests({ t, server, backend, context }) {
  let seeded = false;
  await t('accreditation: records PUT through the API are stored (the server has the endpoints)', async () => {
    for (const s of seeds()) await server.put(`/accreditations/${s.id}`, s);
    const all = await server.json('/accreditations');
    for (const s of seeds()) assert(all.some((r) => r.id === s.id && r.status === s.status), `${s.id} is stored as ${s.status}`);
    seeded = true;
  });
  if (!seeded) return;

  await t('accreditation: /accreditations shows the register, the map by status with its counts, and the renewals most urgent first', async () => {
    const [all, summary, members] = await Promise.all([server.json('/accreditations'), server.json('/accreditations/summary'), server.json('/members')]);
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const problems = [];
    try {
      await page.setViewportSize({ width: 1920, height: 1080 });
      await page.goto(`${server.base}/accreditations`);
      await loaded(page);
      const ids = (await page.locator('main').getAttribute('data-ids')).split(' ').filter(Boolean);
      assert(JSON.stringify([...ids].sort()) === JSON.stringify(all.map((r) => r.id).sort()), `every record is in the register: ${ids.join(' ')} ≠ ${all.map((r) => r.id).join(' ')}`);
      // Each row says its status in words, its certificate and its days left.
      const ind = page.locator('tr[data-id="e2e-ind-npc"]');
      assert((await ind.locator('.acc-pill').textContent()) === 'Accredited', 'the status in words');
      assert(/APO-ACC-E2E-001/.test(await ind.textContent()), 'the certificate number');
      const indDays = all.find((r) => r.id === 'e2e-ind-npc').days_left;
      assert((await ind.locator('.acc-days').textContent()) === `${indDays} days left`, `the days left as the server counts them (${indDays})`);
      assert(/63rd WSM, Tokyo/.test(await ind.textContent()), 'the occasion');
      // The headline and the map: each member in its most advanced status's colour.
      assert((await page.locator('[data-testid=acc-headline]').textContent()) === `Accredited: ${summary.accredited_members} of ${summary.members} members`, 'the headline counts as the summary');
      for (const m of members) {
        const s = summary.by_member[m.iso3];
        const fill = await page.locator(`[data-testid=acc-map] [data-member="${m.iso3}"]`).first().getAttribute('fill');
        const want = s ? FILL[s] : '#ffffff';
        assert(fill?.toLowerCase() === want.toLowerCase(), `${m.iso3} (${s ?? 'no record'}) is drawn ${fill}, not ${want}`);
      }
      for (const s of [...ORDER, 'none']) {
        const n = s === 'none' ? members.filter((m) => !summary.by_member[m.iso3]).length : members.filter((m) => summary.by_member[m.iso3] === s).length;
        const shown = await page.locator(`[data-testid=acc-legend] li[data-status="${s}"]`).getAttribute('data-count');
        assert(Number(shown) === n, `the legend counts ${shown} ${s}, the summary ${n}`);
      }
      const none = members.filter((m) => !summary.by_member[m.iso3]);
      if (none.length) assert((await page.locator('[data-testid=acc-no-record]').textContent()).includes(none[0].name), 'members with no record are named');
      // Renewals: the server's renewal_due_soon, fewest days left first.
      const due = all.filter((r) => r.renewal_due_soon).sort((a, b) => (a.days_left ?? Infinity) - (b.days_left ?? Infinity)).map((r) => r.id);
      const shownDue = await page.$$eval('[data-testid=acc-renewals] li[data-id]', (ls) => ls.map((l) => l.dataset.id));
      assert(due.includes('e2e-ind-npc'), `a validity ending in 60 days is a renewal due soon: ${JSON.stringify(all.find((r) => r.id === 'e2e-ind-npc'))}`);
      const order = (list) => list.map((id) => all.find((r) => r.id === id)?.days_left ?? Infinity);
      assert(JSON.stringify(order(shownDue)) === JSON.stringify(order(due)) && shownDue.length === due.length, `renewals most urgent first: ${shownDue.join(' ')} ≠ ${due.join(' ')}`);
      await look(page, 'page', backend, problems);

      // The status filter: what GET ?status= answers, kept in the address and over a reload.
      await page.selectOption('[data-testid=acc-filter-status]', 'accredited');
      const want = (await server.json('/accreditations?status=accredited')).map((r) => r.id).sort().join(' ');
      await page.waitForFunction((w) => document.querySelector('main')?.dataset.ids.split(' ').filter(Boolean).sort().join(' ') === w, want, { timeout: 5000 });
      assert(new URL(page.url()).search === '?status=accredited', `the filter is in the address: ${page.url()}`);
      await page.reload();
      await loaded(page);
      assert((await page.locator('main').getAttribute('data-ids')).split(' ').filter(Boolean).sort().join(' ') === want, 'a reload keeps the filter');
      await page.goto(`${server.base}/accreditations`);
      await loaded(page);
      await page.setViewportSize({ width: 390, height: 844 });
      await sleep(300);
      await look(page, 'page', backend, problems);
      assert(errors.length === 0, `page errors: ${errors.join(' | ')}`);
      assert(problems.length === 0, problems.join('\n'));
    } finally {
      await page.close();
    }
  });

  await t("accreditation: a certificate conferred through the API moves the wall's count and the open register, live", async () => {
    const wall = await context.newPage();
    const page = await context.newPage();
    const problems = [];
    try {
      // A member not yet counted (the demo may have accredited some): Thailand unless it is.
      const [sum0, members] = await Promise.all([server.json('/accreditations/summary'), server.json('/members')]);
      const counted = (s) => s === 'accredited' || s === 'renewal_due';
      const m = ['THA', ...members.map((x) => x.iso3)].find((c) => !counted(sum0.by_member[c]));
      assert(m, 'a member is not accredited yet');
      const confer = { ...seeds()[0], id: `e2e-confer-${m.toLowerCase()}`, iso3: m, body: `Productivity body of ${m}` };
      await server.put(`/accreditations/${confer.id}`, confer);
      await wall.setViewportSize({ width: 1920, height: 1080 });
      await wall.goto(`${server.base}/wall`);
      await wall.waitForFunction(() => document.querySelector('[data-testid=live-badge]')?.getAttribute('data-state') === 'live', null, { timeout: 10_000 });
      await wall.waitForFunction(() => document.querySelector('[data-testid=wall-acc-count]')?.dataset.count !== undefined, null, { timeout: 10_000 });
      const before = (await server.json('/accreditations/summary')).accredited_members;
      assert(Number(await wall.locator('[data-testid=wall-acc-count]').getAttribute('data-count')) === before, `the wall counts ${before} accredited members as the summary does`);
      assert((await wall.locator(`[data-testid=wall-acc-members] [data-member=${m}]`).count()) === 0, `${m} is not among them yet`);
      await wall.evaluate(() => (window.__notReloaded = true));
      await page.setViewportSize({ width: 1920, height: 1080 });
      await page.goto(`${server.base}/accreditations`);
      await loaded(page);
      const loads = Number(await page.locator('main').getAttribute('data-loads'));

      await server.put(`/accreditations/${confer.id}`, { ...confer, status: 'accredited', certificate: 'APO-ACC-E2E-002', conferred_on: day(0), occasion: 'e2e WSM', valid_until: day(3 * 365) });
      await wall
        .waitForFunction((n) => Number(document.querySelector('[data-testid=wall-acc-count]')?.dataset.count) === n, before + 1, { timeout: 5000 })
        .catch(async () => assert(false, `the wall still counts ${await wall.locator('[data-testid=wall-acc-count]').getAttribute('data-count')}, not ${before + 1}`));
      assert(await wall.evaluate(() => window.__notReloaded === true), 'the wall was not reloaded');
      // The badge is shown unless the list is full (then counted in "+N more").
      const badge = await wall.locator(`[data-testid=wall-acc-members] [data-member=${m}]`).count();
      const more = await wall.locator('[data-testid=wall-acc-members] .more').count();
      assert(badge === 1 || more === 1, `${m}'s badge is shown`);
      assert(await wall.locator('[data-testid=wall-accreditation]').evaluate((e) => e.classList.contains('acc-wall-up')), 'the box rings for the back row');
      await sleep(400);
      await wall.screenshot({ path: join(OUT, `accreditation-wall-conferred-1920x1080-${backend}.png`) });
      const over = await scrollOverflow(wall);
      if (over.width > 0 || over.height > 0) problems.push(`the wall scrolls: ${JSON.stringify(over)}`);
      const small = await fontsUnder(wall, 18);
      if (small.length) problems.push(`wall text under 18 px: ${JSON.stringify(small.slice(0, 4))}`);

      // The open register, live: the row accredited and flashed, the headline counted.
      await page.waitForFunction(([n, id]) => Number(document.querySelector('main')?.dataset.loads) > n && document.querySelector(`tr[data-id="${id}"]`)?.dataset.status === 'accredited', [loads, confer.id], { timeout: 5000 });
      assert(await page.locator(`tr[data-id="${confer.id}"]`).evaluate((e) => e.classList.contains('flash')), 'the changed row flashes');
      assert((await page.locator('[data-testid=acc-headline]').textContent()) === `Accredited: ${before + 1} of 21 members`, 'the headline counts it');
      await page.screenshot({ path: join(OUT, `accreditation-page-live-1920x1080-${backend}.png`) });

      await wall.setViewportSize({ width: 390, height: 844 });
      await sleep(400);
      await wall.screenshot({ path: join(OUT, `accreditation-wall-390x844-${backend}.png`), fullPage: true });
      const phoneOver = await scrollOverflow(wall);
      if (phoneOver.width > 0) problems.push(`the wall on a phone scrolls sideways by ${phoneOver.width} px`);
      assert(problems.length === 0, problems.join('\n'));
    } finally {
      await wall.close();
      await page.close();
    }
  });

  await t("accreditation: the Secretariat's form shows the server's refusal beside the field it names, writes nothing, and saves once corrected", async () => {
    const page = await context.newPage();
    try {
      await page.setViewportSize({ width: 1920, height: 1080 });
      await page.goto(`${server.base}/accreditations`);
      await loaded(page);
      await page.selectOption('[data-testid=acc-pick]', 'e2e-lka-npo');
      await page.selectOption('[data-testid=acc-status-to]', 'under_assessment');
      const tomorrow = day(1);
      await page.fill('[data-testid=acc-assessment-date]', tomorrow);
      const stored = await server.json('/accreditations/e2e-lka-npo');
      // What the server says to the same body.
      const { days_left: _d, renewal_due_soon: _r, ...input } = stored;
      const refused = await server.fetch('/accreditations/e2e-lka-npo', { method: 'PUT', body: JSON.stringify({ ...input, status: 'under_assessment', assessment_date: tomorrow }) });
      const answer = await refused.json();
      assert(refused.status === 422, `an assessment date after today is refused with 422, not ${refused.status}`);
      const message = answer.error.details.find((d) => d.field === 'assessment_date')?.message;
      assert(message, `the 422 names assessment_date: ${JSON.stringify(answer)}`);
      await page.click('[data-testid=acc-save]');
      const slot = page.locator('[data-error-for="assessment_date"]');
      await page.waitForFunction(() => document.querySelector('[data-error-for="assessment_date"]')?.textContent, null, { timeout: 5000 });
      const shown = await slot.textContent();
      assert(shown.toLowerCase().includes(message.trim().toLowerCase().replace(/\.$/, '')), `the server's message is shown beside the assessment date: "${shown}" (server: "${message}")`);
      assert((await page.locator('[data-testid=acc-assessment-date]').getAttribute('aria-invalid')) === 'true', 'the field is marked');
      await page.screenshot({ path: join(OUT, `accreditation-form-refused-1920x1080-${backend}.png`), fullPage: true });
      const after = await server.json('/accreditations/e2e-lka-npo');
      assert(after.status === 'applied' && after.assessment_date == null, `nothing was written: ${JSON.stringify(after)}`);

      await page.fill('[data-testid=acc-assessment-date]', day(0));
      await page.click('[data-testid=acc-save]');
      await page.waitForFunction(() => /^Saved/.test(document.querySelector('[data-testid=acc-form-status]')?.textContent ?? ''), null, { timeout: 5000 });
      const saved = await server.json('/accreditations/e2e-lka-npo');
      assert(saved.status === 'under_assessment' && saved.assessment_date === day(0), `saved: ${JSON.stringify(saved)}`);
      await page.waitForFunction(() => document.querySelector('tr[data-id="e2e-lka-npo"]')?.dataset.status === 'under_assessment', null, { timeout: 5000 });

      // A renewal that does not move the validity on: the server's 409 beside "Valid until".
      const { days_left: _dl, renewal_due_soon: _rs, ...ind } = await server.json('/accreditations/e2e-ind-npc');
      await server.put('/accreditations/e2e-ind-npc', { ...ind, status: 'renewal_due' });
      await page.waitForFunction(() => document.querySelector('tr[data-id="e2e-ind-npc"]')?.dataset.status === 'renewal_due', null, { timeout: 5000 });
      await page.selectOption('[data-testid=acc-pick]', 'e2e-ind-npc');
      await page.selectOption('[data-testid=acc-status-to]', 'accredited');
      assert((await page.inputValue('[data-testid=acc-conferred-on]')) === day(0), 'a renewal is conferred today by default');
      await page.fill('[data-testid=acc-valid-until]', ind.valid_until);
      const same = await server.fetch('/accreditations/e2e-ind-npc', { method: 'PUT', body: JSON.stringify({ ...ind, status: 'accredited', conferred_on: day(0) }) });
      const conflict = await same.json();
      assert(same.status === 409 && conflict.error.code === 'invalid_transition', `a renewal without a later validity is a 409: ${same.status} ${JSON.stringify(conflict)}`);
      const why = conflict.error.details.find((d) => d.field === 'valid_until')?.message;
      assert(why, `the 409 names valid_until: ${JSON.stringify(conflict)}`);
      await page.click('[data-testid=acc-save]');
      await page.waitForFunction(() => document.querySelector('[data-error-for="valid_until"]')?.textContent, null, { timeout: 5000 });
      const beside = await page.locator('[data-error-for="valid_until"]').textContent();
      assert(beside.toLowerCase().includes(why.trim().toLowerCase().replace(/\.$/, '')), `the 409's message beside the validity: "${beside}" (server: "${why}")`);
      assert((await server.json('/accreditations/e2e-ind-npc')).status === 'renewal_due', 'the refused renewal wrote nothing');
      await page.locator('[data-testid=acc-valid-until]').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(OUT, `accreditation-form-conflict-1920x1080-${backend}.png`) });
      await page.setViewportSize({ width: 390, height: 844 });
      await sleep(300);
      await page.locator('[data-testid=acc-form]').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(OUT, `accreditation-form-390x844-${backend}.png`), fullPage: true });
    } finally {
      await page.close();
    }
  });
}

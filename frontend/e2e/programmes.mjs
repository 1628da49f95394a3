// e2e of the programmes' pages (issue 22), called from run.mjs's suite on each backend:
// `programmesTests({ t, server, backend, context })`.
//
// - /projects lists the demo's notifications (references 515 and 520 and their other years),
//   each closing date with the days left as the server counts them; the filters (programme,
//   open for applications) ask the server again and keep the address; a row opens its page.
// - /projects/{code} shows the notification as people read it, and a change PUT through the
//   API while the page is open arrives from the live feed, without a reload.
// - The Secretariat's form publishes and edits a notification (PUT /projects/{code}); the 422's
//   messages are shown next to the fields they name, and nothing is changed.
// - BCN on the Secretariat page: the applications by closing window; declining needs a reason
//   (said beside it, nothing sent), a decline with one reaches the API; the network of sending →
//   hosting members holds what GET /bcn/network counts, and follows a decision live.
// - The wall's BCN panel draws the same network, dark, in type the back of the room reads.
// - The COE timeline on the Secretariat page marks each COE's phase today; an assessment
//   recorded through the API while the page is open shows as the override, live. A member's
//   page lists its COEs, projects and exchanges as GET /members/{iso3}/programmes gives them.
// - The Secretariat page's per-pillar panel: each pillar's score and key results by status as the
//   document has them, its budget of the year as GET /budgets/pillars gives it, and the projects
//   of GET /projects?pillar=N with their parts; a project's budget PUT through the API while the
//   page is open moves the pillar's assigned figure live, and leaves the pillar's total alone.
// - Screenshots at 1920×1080 (a projector) and 390×844 (a phone), looked at by people; axe on
//   each, and on the phone no sideways scroll and no text under 14 px.

import { join } from 'node:path';
import { axeViolations, describeViolations } from './axe.mjs';
import { OUT, assert } from './harness.mjs';
import { scrollOverflow } from './wall-checks.mjs';

/** Whether the server answers the page addresses /projects and /projects/{code} with the page application. */
async function pageAddressesServed(server) {
  const served = [];
  for (const path of ['/projects', '/projects/26-SN-03-GE-BCN-C']) {
    const r = await fetch(`${server.base}${path}`);
    const text = await r.text();
    served.push({ path, ok: r.ok && text.includes('id="app"'), status: r.status });
  }
  return served;
}

/** axe; at phone width, the page's sideways scroll and text under 14 px; a screenshot of the whole page. */
async function look(page, name, backend, problems, scope = 'main') {
  const size = page.viewportSize();
  const v = await axeViolations(page);
  if (v.length) problems.push(`${name} at ${size.width}×${size.height}: axe: ${describeViolations(v)}`);
  if (size.width < 600) {
    const over = await scrollOverflow(page);
    if (over.width > 0) problems.push(`${name} at ${size.width}: the page scrolls sideways by ${over.width} px`);
  }
  const min = size.width < 600 ? 14 : 18;
  const tiny = await page.evaluate(([min, scope]) => {
    const out = [];
    const root = document.querySelector(scope);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || !n.textContent.trim() || el.closest('svg') || !el.getClientRects().length) continue;
      const px = parseFloat(getComputedStyle(el).fontSize);
      if (px < min) out.push(`${n.textContent.trim().slice(0, 30)} (${px} px)`);
    }
    return out;
  }, [min, scope]);
  if (tiny.length) problems.push(`${name} at ${size.width}: text under ${min} px: ${tiny.slice(0, 4).join('; ')}`);
  if (scope !== 'main') await page.locator(scope).scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(OUT, `programmes-${name}-${size.width}x${size.height}-${backend}.png`), fullPage: size.width < 1000 && scope === 'main' });
}

export async function programmesTests({ t, server, backend, context }) {
  await t('the server answers /projects and /projects/{code} with the page application', async () => {
    const missing = (await pageAddressesServed(server)).filter((s) => !s.ok);
    assert(!missing.length, `not served as pages (src/http/site.rs PAGES lacks them): ${missing.map((s) => `${s.path} → ${s.status}`).join(', ')}`);
  });
  await pageTests({ t, server, backend, context });
}

async function pageTests({ t, server, backend, context }) {

  await t('/projects lists the notifications with the days left to each closing date, filters them, and opens one', async () => {
    const all = await server.json('/projects');
    assert(all.length >= 2, `the demo has notifications: ${all.map((p) => p.code).join(' ')}`);
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const problems = [];
    try {
      await page.setViewportSize({ width: 1920, height: 1080 });
      await page.goto(`${server.base}/projects`);
      await page.waitForFunction(() => document.querySelector('main')?.dataset.codes !== undefined && !document.querySelector('main')?.hasAttribute('data-loading'), null, { timeout: 15_000 });
      const codes = (await page.locator('main').getAttribute('data-codes')).split(' ');
      assert(JSON.stringify(codes) === JSON.stringify(all.map((p) => p.code)), `every notification, in the server's order: ${codes.join(' ')}`);
      // Each closing date with the days left, as the server counts them.
      for (const p of all) {
        const shown = await page.$$eval(`[data-code="${p.code}"] .closing-list li[data-days-left]`, (ls) => ls.map((l) => [Number(l.dataset.daysLeft), l.querySelector('.days-left').textContent]));
        const want = (p.closing ?? []).map((c) => [c.days_left, c.days_left < 0 ? 'closed' : c.days_left === 0 ? 'closes today' : c.days_left === 1 ? 'closes tomorrow' : `closes in ${c.days_left} days`]);
        assert(JSON.stringify(shown) === JSON.stringify(want), `${p.code}'s closing dates: ${JSON.stringify(shown)} ≠ ${JSON.stringify(want)}`);
      }
      await look(page, 'list', backend, problems);

      // Filters: BCN, open for applications; the list is the server's answer to the same query.
      await page.selectOption('[data-testid=filter-program]', 'BCN');
      await page.check('[data-testid=filter-open]');
      const want = (await server.json('/projects?program=BCN&open=true')).map((p) => p.code).join(' ');
      await page.waitForFunction((w) => document.querySelector('main')?.dataset.codes === w, want, { timeout: 10_000 });
      assert(new URL(page.url()).search === '?program=BCN&open=true', `the filters are in the address: ${page.url()}`);
      assert(want.length > 0, 'a BCN notification is open in the demo');
      await page.reload();
      await page.waitForFunction((w) => document.querySelector('main')?.dataset.codes === w && !document.querySelector('main')?.hasAttribute('data-loading'), want, { timeout: 10_000 });
      assert((await page.locator('[data-testid=filter-open]').isChecked()) && (await page.inputValue('[data-testid=filter-program]')) === 'BCN', 'a reload keeps the filters');

      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(300);
      await look(page, 'list-filtered', backend, problems);

      // A row opens the notification.
      const first = want.split(' ')[0];
      await page.click(`[data-code="${first}"] a.project-link`);
      await page.waitForURL(`**/projects/${first}`);
      await page.waitForSelector('[data-testid=project-title]', { timeout: 10_000 });
    } finally {
      await page.close();
    }
    assert(!errors.length, `no page errors: ${errors.join('; ')}`);
    assert(!problems.length, problems.join('\n'));
  });

  await t('/projects/{code} shows the notification as people read it, and a PUT through the API arrives live', async () => {
    const code = (await server.json('/projects?program=BCN&open=true'))[0]?.code ?? (await server.json('/projects'))[0].code;
    const before = await server.json(`/projects/${code}`);
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const problems = [];
    try {
      await page.setViewportSize({ width: 1920, height: 1080 });
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await page.goto(`${server.base}/projects/${code}`);
      await page.waitForSelector('[data-testid=project-title]', { timeout: 15_000 });
      await page
        .waitForFunction(() => document.querySelector('[data-testid=live-badge]')?.getAttribute('data-state') === 'live', null, { timeout: 15_000 })
        .catch(async (e) => {
          const badge = await page.locator('[data-testid=live-badge]').evaluate((b) => `${b.getAttribute('data-state')}: ${b.textContent}`);
          throw new Error(`the page did not go live (${badge}; console: ${errors.join('; ')}): ${e.message}`);
        });
      const text = await page.locator('[data-testid=project]').innerText();
      assert((await page.locator('[data-testid=project-title]').textContent()) === before.title, 'the title');
      if (before.reference) assert((await page.locator('[data-testid=project-reference]').textContent()) === String(before.reference), 'the reference number');
      assert((await page.locator('[data-testid=project-code]').textContent()) === code, 'the code');
      for (const [what, value] of [
        ['objectives', before.objectives],
        ['rationale', before.rationale],
        ['qualifications', before.qualifications],
        ['overseas note', before.overseas_note],
        ...(before.closing_dates ?? []).map((c, i) => [`closing remark ${i + 1}`, c.remark]),
        ...(before.implementing ?? []).map((o) => ['implementing organization', o]),
      ]) {
        if (value?.trim()) assert(text.includes(value.trim().split('\n')[0]), `the ${what} is shown: ${value.slice(0, 60)}`);
      }
      for (const [m, n] of Object.entries(before.overseas_limit ?? {})) {
        const label = { virtual: 'Virtual', face_to_face: 'Face-to-face', hybrid: 'Hybrid' }[m];
        assert((await page.locator('[data-testid=project-overseas]').textContent()).includes(`${label}: up to ${n}`), `the overseas limit for ${m}`);
      }
      const krs = await page.locator('[data-testid=project-krs]').innerText();
      for (const k of before.key_results ?? []) assert(krs.includes(k.kr_code), `the key result ${k.kr_code}`);
      assert((await page.locator('[data-testid=project-budget] table').count()) >= (before.budget?.length ? 1 : 0), 'the budget rows');
      await look(page, 'detail', backend, problems);

      // A change through the API while the page is open: drawn from the live feed, no reload.
      const loads = await page.evaluate(() => performance.getEntriesByType('navigation').length);
      const changed = { ...before, title: `${before.title} (revised)`, qualifications: 'Senior NPO officials (revised in the e2e test).' };
      delete changed.closing;
      await server.put(`/projects/${code}`, changed);
      await page.waitForFunction((want) => document.querySelector('[data-testid=project-title]')?.textContent === want, changed.title, { timeout: 10_000 });
      assert((await page.locator('[data-testid=project-qualifications]').innerText()).includes('revised in the e2e test'), 'the qualifications follow');
      assert((await page.evaluate(() => performance.getEntriesByType('navigation').length)) === loads, 'without a reload');

      // Put back, so that later tests see the demo as it was.
      const back = { ...before };
      delete back.closing;
      await server.put(`/projects/${code}`, back);
      await page.waitForFunction((want) => document.querySelector('[data-testid=project-title]')?.textContent === want, before.title, { timeout: 10_000 });

      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(300);
      await look(page, 'detail', backend, problems);
    } finally {
      await page.close();
    }
    assert(!errors.length, `no page errors: ${errors.join('; ')}`);
    assert(!problems.length, problems.join('\n'));
  });

  await t('the Secretariat form edits a notification, and shows a 422 next to the field it names', async () => {
    const code = (await server.json('/projects?program=BCN&open=true'))[0].code;
    const before = await server.json(`/projects/${code}`);
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const problems = [];
    try {
      await page.setViewportSize({ width: 1920, height: 1080 });
      await page.goto(`${server.base}/secretariat`);
      await page.click('[data-testid=project-form-panel] summary');
      await page.waitForFunction((c) => [...document.querySelectorAll('[data-testid=project-pick] option')].some((o) => o.value === c), code, { timeout: 10_000 });
      await page.selectOption('[data-testid=project-pick]', code);
      assert((await page.inputValue('[data-testid=pf-title]')) === before.title, 'the form is filled with the notification');
      assert((await page.inputValue('[data-testid=pf-overseas-virtual]')) === String(before.overseas_limit.virtual), 'with its limits');

      // A closing date after the project ends: refused, the message beside the closing dates.
      const closing = await page.inputValue('[data-testid=pf-closing]');
      const late = `${Number(before.end_date.slice(0, 4)) + 1}-01-31`;
      await page.fill('[data-testid=pf-closing]', `${closing}\n${late} applications: too late`);
      await page.click('[data-testid=project-save]');
      const slot = page.locator('[data-error-for=closing_dates]');
      await page.waitForFunction(() => document.querySelector('[data-error-for=closing_dates]')?.textContent, null, { timeout: 10_000 });
      const message = await slot.textContent();
      assert(message.includes(late), `the closing date's message names it: ${message}`);
      assert((await page.getAttribute('[data-testid=pf-closing]', 'aria-invalid')) === 'true', 'the field is marked');
      const unchanged = await server.json(`/projects/${code}`);
      assert(JSON.stringify(unchanged.closing_dates) === JSON.stringify(before.closing_dates), 'nothing was changed');
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(300);
      await page.locator('[data-testid=pf-closing]').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(OUT, `programmes-form-422-390x844-${backend}.png`) });
      await page.setViewportSize({ width: 1920, height: 1080 });

      // Corrected, and a new title: saved, and the API has it.
      await page.fill('[data-testid=pf-closing]', closing);
      await page.fill('[data-testid=pf-title]', `${before.title} (edited in the form)`);
      await page.click('[data-testid=project-save]');
      await page.waitForFunction(() => document.querySelector('[data-testid=project-form-status]')?.classList.contains('ok'), null, { timeout: 10_000 });
      const after = await server.json(`/projects/${code}`);
      assert(after.title === `${before.title} (edited in the form)`, `saved: ${after.title}`);
      for (const k of ['closing_dates', 'overseas_limit', 'local_limit', 'budget', 'key_results', 'hosts', 'participants', 'objectives', 'background', 'reference', 'issued', 'modality']) {
        assert(JSON.stringify(after[k]) === JSON.stringify(before[k]), `the form kept ${k}: ${JSON.stringify(after[k])?.slice(0, 200)} ≠ ${JSON.stringify(before[k])?.slice(0, 200)}`);
      }
      await page.locator('[data-testid=project-form-status]').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(OUT, `programmes-form-saved-1920x1080-${backend}.png`) });
      const v = await axeViolations(page);
      if (v.length) problems.push(`the form: axe: ${describeViolations(v)}`);
    } finally {
      const back = { ...before };
      delete back.closing;
      await server.put(`/projects/${code}`, back);
      await page.close();
    }
    assert(!errors.length, `no page errors: ${errors.join('; ')}`);
    assert(!problems.length, problems.join('\n'));
  });

  await t('the Secretariat page lists BCN applications by closing window, declines one only with a reason, and draws the network', async () => {
    const apps = await server.json('/bcn/applications');
    const pending = apps.filter((a) => a.status === 'pending');
    assert(pending.length > 0, 'the demo has pending applications');
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const problems = [];
    try {
      await page.setViewportSize({ width: 1920, height: 1080 });
      await page.goto(`${server.base}/secretariat`);
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid=bcn-panel] [data-application]').length === n, apps.length, { timeout: 15_000 });
      const windows = await page.$$eval('[data-testid=bcn-windows] [data-window]', (ws) => ws.map((w) => w.dataset.window));
      const want = [...new Set(apps.map((a) => `${a.project}|${a.closing_date ?? ''}`))].sort().reverse();
      assert(JSON.stringify([...windows].sort().reverse()) === JSON.stringify(want), `a block per closing window: ${windows.join(', ')}`);
      const pairs = (await server.json('/bcn/network')).filter((p) => p.approved + p.pending > 0);
      const drawn = (await page.getAttribute('[data-testid=bcn-network]', 'data-pairs')).split(' ').sort();
      assert(JSON.stringify(drawn) === JSON.stringify(pairs.map((p) => `${p.sender}>${p.host}:${p.approved + p.pending}`).sort()), `the network is GET /bcn/network's: ${drawn.join(' ')}`);
      await page.locator('[data-testid=bcn-panel]').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(OUT, `programmes-bcn-1920x1080-${backend}.png`) });
      await page.locator('[data-testid=bcn-network]').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(OUT, `programmes-bcn-network-1920x1080-${backend}.png`) });

      // Declining without a reason: said beside the reason, nothing sent.
      const a = pending[0];
      const cell = page.locator(`[data-application="${a.id}"]`);
      await cell.locator('[data-testid=bcn-decline]').click();
      assert(/reason is needed/i.test(await cell.locator('.field-error').textContent()), 'a reason is asked for');
      assert((await server.json('/bcn/applications')).find((x) => x.id === a.id).status === 'pending', 'nothing was sent');
      await cell.locator('[data-testid=bcn-reason]').fill('The host cannot receive a delegation on these dates (e2e).');
      await cell.locator('[data-testid=bcn-decline]').click();
      await page.waitForFunction((id) => document.querySelector(`[data-application="${id}"]`)?.dataset.status === 'declined', a.id, { timeout: 10_000 });
      const stored = (await server.json('/bcn/applications')).find((x) => x.id === a.id);
      assert(stored.status === 'declined' && /e2e/.test(stored.reason), `declined with its reason: ${JSON.stringify(stored)}`);
      // The network follows: the pair counts one exchange fewer.
      const key = `${a.sender}>${a.host}:`;
      const after = (await server.json('/bcn/network')).find((p) => p.sender === a.sender && p.host === a.host);
      const left = after.approved + after.pending;
      await page.waitForFunction(
        ([k, n]) => {
          const d = document.querySelector('[data-testid=bcn-network]')?.dataset.pairs ?? '';
          return n === 0 ? !d.split(' ').some((x) => x.startsWith(k)) : d.split(' ').includes(`${k}${n}`);
        },
        [key, left],
        { timeout: 10_000 },
      );
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(300);
      const over = await scrollOverflow(page);
      if (over.width > 0) problems.push(`the Secretariat page at 390 scrolls sideways by ${over.width} px`);
      await page.locator('[data-testid=bcn-panel]').screenshot({ path: join(OUT, `programmes-bcn-390x844-${backend}.png`) });
      const v = await axeViolations(page);
      if (v.length) problems.push(`the BCN panel: axe: ${describeViolations(v)}`);
    } finally {
      await page.close();
    }
    assert(!errors.length, `no page errors: ${errors.join('; ')}`);
    assert(!problems.length, problems.join('\n'));
  });

  await t('the wall has a BCN panel: the network of sending → hosting members, readable from the back', async () => {
    const pairs = (await server.json('/bcn/network')).filter((p) => p.approved + p.pending > 0);
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    try {
      await page.setViewportSize({ width: 1920, height: 1080 });
      await page.goto(`${server.base}/wall`);
      await page.waitForSelector('[data-panel=exchanges]', { state: 'attached', timeout: 15_000 });
      await page.evaluate(() => {
        for (const p of document.querySelectorAll('[data-panel]')) p.hidden = p.getAttribute('data-panel') !== 'exchanges';
      });
      await page.waitForFunction(() => document.querySelector('[data-testid=wall-bcn-network]')?.dataset.pairs !== undefined, null, { timeout: 10_000 });
      await page.waitForTimeout(600);
      const drawn = (await page.getAttribute('[data-testid=wall-bcn-network]', 'data-pairs')).split(' ').filter(Boolean).sort();
      assert(JSON.stringify(drawn) === JSON.stringify(pairs.map((p) => `${p.sender}>${p.host}:${p.approved + p.pending}`).sort()), `the wall's network is GET /bcn/network's: ${drawn.join(' ')}`);
      const tiny = await page.evaluate(() => {
        const out = [];
        for (const el of document.querySelectorAll('.panel-exchanges *')) {
          if (el.closest('svg') || !el.childNodes.length || ![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
          const px = parseFloat(getComputedStyle(el).fontSize);
          if (px < 20) out.push(`${el.textContent.trim().slice(0, 30)} (${px} px)`);
        }
        return out;
      });
      assert(!tiny.length, `text under 20 px on the wall: ${tiny.slice(0, 4).join('; ')}`);
      const svgText = await page.$$eval('[data-testid=wall-bcn-network] svg text', (ts) => ts.map((t) => parseFloat(t.getAttribute('font-size') || getComputedStyle(t).fontSize)));
      assert(svgText.length && Math.min(...svgText) >= 18, `the members' names in the picture at 18 px or more: ${svgText.slice(0, 5)}`);
      await page.screenshot({ path: join(OUT, `programmes-wall-exchanges-1920x1080-${backend}.png`) });
    } finally {
      await page.close();
    }
    assert(!errors.length, `no page errors: ${errors.join('; ')}`);
  });

  await t('the COE timeline marks each phase today, and an assessment recorded through the API shows as the override, live', async () => {
    const coes = await server.json('/coes');
    assert(coes.length > 0, 'the demo has COEs');
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const problems = [];
    const today = new Date().toISOString().slice(0, 10);
    try {
      await page.setViewportSize({ width: 1920, height: 1080 });
      await page.goto(`${server.base}/secretariat`);
      const want = coes.map((c) => `${c.id}:${c.phase}:${c.phase_source}`).join(' ');
      await page.waitForFunction((w) => document.querySelector('[data-testid=coe-timeline]')?.dataset.current === w, want, { timeout: 15_000 });
      assert((await page.locator('[data-testid=coe-timeline] svg path').count()) > 0, 'the phases are drawn');
      await page.waitForFunction(() => document.querySelector('[data-testid=live-badge]')?.getAttribute('data-state') === 'live', null, { timeout: 15_000 });
      // An assessment that advances a computed phase, recorded while the page is open.
      const target = coes.find((c) => c.phase_source === 'computed' && c.phase !== 'assessment_due') ?? coes[0];
      await server.post(`/coes/${target.id}/assessments`, { date: today, decision: 'advance', note: 'Ahead of plan (e2e)' });
      const after = (await server.json('/coes')).find((c) => c.id === target.id);
      assert(after.phase_source === 'assessment', `the server took the override: ${JSON.stringify(after.phase)} ${after.phase_source}`);
      await page.waitForFunction((id) => document.querySelector(`[data-testid=coe-overrides] [data-coe="${id}"]`)?.textContent?.includes('Ahead of plan (e2e)'), target.id, { timeout: 10_000 });
      const line = await page.locator(`[data-testid=coe-overrides] [data-coe="${target.id}"]`).textContent();
      assert(/advanced by the assessment/.test(line), `the override is said: ${line}`);
      assert((await page.getAttribute('[data-testid=coe-timeline]', 'data-current')).includes(`${target.id}:${after.phase}:assessment`), 'and drawn');
      await page.locator('[data-testid=coe-panel]').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(OUT, `programmes-coes-1920x1080-${backend}.png`) });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(400);
      const over = await scrollOverflow(page);
      if (over.width > 0) problems.push(`the Secretariat page at 390 scrolls sideways by ${over.width} px`);
      await page.locator('[data-testid=coe-panel]').screenshot({ path: join(OUT, `programmes-coes-390x844-${backend}.png`) });
    } finally {
      await page.close();
    }
    assert(!errors.length, `no page errors: ${errors.join('; ')}`);
    assert(!problems.length, problems.join('\n'));
  });

  await t('the pillar panel shows each pillar’s result, budget and projects as the API has them, follows a report and the period, and a project budget PUT moves the assigned part live, not the total', async () => {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    const problems = [];
    let restore = null;
    try {
      await page.setViewportSize({ width: 1920, height: 1080 });
      await page.goto(`${server.base}/secretariat`);
      await page.waitForFunction(() => document.querySelector('[data-testid=live-badge]')?.getAttribute('data-state') === 'live', null, { timeout: 15_000 });
      await page.waitForFunction(() => document.querySelector('[data-testid=pillars-panel]')?.dataset.loads, null, { timeout: 15_000 });
      const year = Number(await page.getAttribute('[data-testid=pillars-panel]', 'data-year'));
      const budgets = await server.json(`/budgets/pillars?year=${year}`);
      const doc = await server.json(`/dashboard?period=${year}`);
      const money = (v) => page.evaluate((x) => new Intl.NumberFormat(navigator.language || 'en', { style: 'currency', currency: 'USD', maximumFractionDigits: 0 }).format(x), v);
      const expectParts = (b, projects) => {
        const shares = new Map((b?.projects ?? []).map((s) => [s.code, s.regional + s.members]));
        const rows = projects.map((p) => [p.code, shares.has(p.code) ? shares.get(p.code) : (p.budget ?? []).filter((r) => r.year === year).reduce((n, r) => n + r.amount, 0)]);
        for (const [code, v] of shares) if (!rows.some((r) => r[0] === code)) rows.push([code, v]);
        rows.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
        return rows.map(([c, v]) => `${c}:${Math.round(v * 100)}`).join(' ');
      };
      for (const n of [1, 2, 3, 4]) {
        const b = budgets.find((x) => x.pillar === n);
        assert(b, `GET /budgets/pillars?year=${year} has pillar ${n}`);
        const projects = await server.json(`/projects?pillar=${n}`);
        const box = page.locator(`[data-testid=pillar-budget-${n}]`);
        const d = await box.evaluate((el) => ({ ...el.dataset }));
        for (const k of ['planned', 'spent', 'assigned', 'unassigned']) assert(Number(d[k]) === b.total[k], `pillar ${n}'s ${k}: ${d[k]} ≠ ${b.total[k]}`);
        assert(d.regional === `${b.regional.planned}/${b.regional.spent}/${b.regional.assigned}`, `pillar ${n}'s regional part: ${d.regional}`);
        assert(d.members === `${b.members.planned}/${b.members.spent}/${b.members.assigned}`, `pillar ${n}'s member-level part: ${d.members}`);
        assert(b.regional.planned + b.members.planned === b.total.planned, `the API's parts add up for pillar ${n}`);
        assert(d.consistent === 'true', `pillar ${n}: the projects' parts add up to what is assigned`);
        assert((await page.locator(`[data-testid=pillar-assigned-${n}]`).textContent()) === (await money(b.total.assigned)), `pillar ${n}'s assigned figure as text`);
        const parts = await page.getAttribute(`[data-testid=pillar-projects-${n}]`, 'data-parts');
        assert(parts === expectParts(b, projects), `pillar ${n}'s projects: ${parts} ≠ ${expectParts(b, projects)}`);
        for (const p of projects) assert((await page.locator(`[data-testid=pillar-projects-${n}] [data-code="${p.code}"] a`).getAttribute('href')) === `/projects/${encodeURIComponent(p.code)}`, `a link to ${p.code}`);
        const result = await page.locator(`[data-testid=pillar-result-${n}]`).evaluate((el) => ({ ...el.dataset }));
        const want = doc.pillars[String(n)];
        assert(result.score === (want.score === null ? '' : String(want.score)), `pillar ${n}'s score: ${result.score} ≠ ${want.score}`);
        const counts = ['achieved', 'on_track', 'at_risk', 'off_track', 'no_data'].map((s) => `${s}:${want.status_counts[s]}`).join(' ');
        assert(result.counts === counts, `pillar ${n}'s key results by status: ${result.counts} ≠ ${counts}`);
      }
      // A report that moves a pillar's key results: its card follows the document's patch.
      const kr = Object.values(doc.key_results).find((k) => k.iso3 !== 'VNM' && k.target != null && k.actual == null && k.status === 'no_data');
      if (kr) {
        await server.post('/actuals', { iso3: kr.iso3, kr_code: kr.code, year, value: kr.target });
        // The document of GET /dashboard may follow the write a moment later: asked until it has it.
        let after = null;
        for (let i = 0; i < 50; i++) {
          after = (await server.json(`/dashboard?period=${year}`)).pillars[String(kr.pillar)];
          if (after.status_counts.no_data === doc.pillars[String(kr.pillar)].status_counts.no_data - 1) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        assert(after.status_counts.no_data === doc.pillars[String(kr.pillar)].status_counts.no_data - 1, `the report on ${kr.iso3}/${kr.code} moved pillar ${kr.pillar}'s key results in the API: ${JSON.stringify(after.status_counts)} after ${JSON.stringify(doc.pillars[String(kr.pillar)].status_counts)}`);
        const counts = ['achieved', 'on_track', 'at_risk', 'off_track', 'no_data'].map((s) => `${s}:${after.status_counts[s]}`).join(' ');
        await page
          .waitForFunction(([p, c, sc]) => {
            const d = document.querySelector(`[data-testid=pillar-result-${p}]`)?.dataset;
            return d?.counts === c && d?.score === sc;
          }, [kr.pillar, counts, after.score === null ? '' : String(after.score)], { timeout: 10_000 })
          .catch(async () => {
            throw new Error(`pillar ${kr.pillar}'s result did not follow the report live: ${JSON.stringify(await page.locator(`[data-testid=pillar-result-${kr.pillar}]`).evaluate((el) => ({ ...el.dataset })))} ≠ ${counts} ${after.score}`);
          });
      } else problems.push('no key result without a report to post one for: the live score is not checked');

      // Headline figures (score, planned, spent, to projects, not assigned) at 18 px or more.
      const headline = async () =>
        page.$$eval('.pillar-score, .budget-figures .fig', (els) => els.filter((e) => parseFloat(getComputedStyle(e).fontSize) < 18).map((e) => `${e.textContent} (${getComputedStyle(e).fontSize})`));
      const small = await headline();
      if (small.length) problems.push(`headline figures under 18 px at 1920: ${small.slice(0, 4).join('; ')}`);
      await look(page, 'pillars', backend, problems, '[data-testid=pillars-panel]');
      const overWide = await scrollOverflow(page);
      if (overWide.width > 0) problems.push(`the Secretariat page at 1920 scrolls sideways by ${overWide.width} px`);
      await page.locator('[data-testid=pillars-panel]').screenshot({ path: join(OUT, `programmes-pillars-panel-1920x1080-${backend}.png`) });

      // A project's budget for the year, PUT through the API while the page is open.
      const withRows = (await server.json('/projects')).find((p) => (p.budget ?? []).some((r) => r.year === year && !r.iso3)) ?? (await server.json('/projects'))[0];
      const before = await server.json(`/projects/${withRows.code}`);
      const n = before.pillar;
      const b0 = budgets.find((x) => x.pillar === n);
      const loads = await page.evaluate(() => performance.getEntriesByType('navigation').length);
      const added = 12_345;
      const changed = { ...before };
      delete changed.closing;
      const rows = (before.budget ?? []).map((r) => ({ ...r }));
      const row = rows.find((r) => r.year === year && !r.iso3);
      if (row) row.amount += added;
      else rows.push({ year, iso3: null, amount: added });
      changed.budget = rows;
      restore = { ...before };
      delete restore.closing;
      await server.put(`/projects/${before.code}`, changed);
      const b1 = (await server.json(`/budgets/pillars?year=${year}`)).find((x) => x.pillar === n);
      assert(b1.total.assigned === b0.total.assigned + added && b1.total.planned === b0.total.planned, `the API: assigned ${b0.total.assigned} → ${b1.total.assigned}, planned ${b0.total.planned} → ${b1.total.planned}`);
      await page
        .waitForFunction(([p, a]) => Number(document.querySelector(`[data-testid=pillar-budget-${p}]`)?.dataset.assigned) === a, [n, b1.total.assigned], { timeout: 10_000 })
        .catch(async () => {
          throw new Error(`pillar ${n}'s assigned figure did not follow live: ${await page.getAttribute(`[data-testid=pillar-budget-${n}]`, 'data-assigned')} ≠ ${b1.total.assigned}`);
        });
      const d1 = await page.locator(`[data-testid=pillar-budget-${n}]`).evaluate((el) => ({ ...el.dataset }));
      assert(Number(d1.planned) === b0.total.planned, `the pillar's total stays ${b0.total.planned}: ${d1.planned}`);
      assert(Number(d1.unassigned) === b0.total.unassigned - added, `what is not assigned falls by ${added}: ${d1.unassigned}`);
      assert((await page.locator(`[data-testid=pillar-assigned-${n}]`).textContent()) === (await money(b1.total.assigned)), 'the assigned figure as text');
      assert((await page.getAttribute(`[data-testid=pillar-projects-${n}]`, 'data-parts')).includes(`${before.code}:`), 'the project is listed with its new part');
      assert((await page.evaluate(() => performance.getEntriesByType('navigation').length)) === loads, 'without a reload');
      await page.locator(`[data-pillar="${n}"]`).scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(OUT, `programmes-pillars-live-1920x1080-${backend}.png`) });

      // Put back, and the figure follows again.
      await server.put(`/projects/${before.code}`, restore);
      restore = null;
      await page.waitForFunction(([p, a]) => Number(document.querySelector(`[data-testid=pillar-budget-${p}]`)?.dataset.assigned) === a, [n, b0.total.assigned], { timeout: 10_000 });

      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(400);
      const smallPhone = await headline();
      if (smallPhone.length) problems.push(`headline figures under 18 px at 390: ${smallPhone.slice(0, 4).join('; ')}`);
      await look(page, 'pillars', backend, problems, '[data-testid=pillars-panel]');
      await page.locator('[data-testid=pillars-panel]').screenshot({ path: join(OUT, `programmes-pillars-panel-390x844-${backend}.png`) });
      await page.locator('[data-pillar="1"]').screenshot({ path: join(OUT, `programmes-pillars-card-390x844-${backend}.png`) });

      // Another period: the budgets of that year, and its document's scores.
      const other = year === 2027 ? 2026 : 2027;
      await page.selectOption('[data-testid=period]', String(other));
      await page.waitForFunction((y) => document.querySelector('[data-testid=pillars-panel]')?.dataset.year === String(y), other, { timeout: 10_000 });
      const [bOther, dOther] = [await server.json(`/budgets/pillars?year=${other}`), await server.json(`/dashboard?period=${other}`)];
      for (const n of [1, 2, 3, 4]) {
        const want = bOther.find((x) => x.pillar === n)?.total.planned;
        await page.waitForFunction(([p, w]) => Number(document.querySelector(`[data-testid=pillar-budget-${p}]`)?.dataset.planned) === w, [n, want], { timeout: 10_000 });
        const sc = dOther.pillars[String(n)].score;
        await page.waitForFunction(([p, w]) => document.querySelector(`[data-testid=pillar-result-${p}]`)?.dataset.score === w, [n, sc === null ? '' : String(sc)], { timeout: 10_000 });
      }
    } finally {
      if (restore) await server.put(`/projects/${restore.code}`, restore).catch(() => {});
      await page.close();
    }
    assert(!errors.length, `no page errors: ${errors.join('; ')}`);
    assert(!problems.length, problems.join('\n'));
  });

  await t('a member page lists its COEs, projects and exchanges', async () => {
    const want = await server.json('/members/VNM/programmes');
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const problems = [];
    try {
      await page.setViewportSize({ width: 1920, height: 1080 });
      await page.goto(`${server.base}/members/VNM`);
      const counts = `coes:${want.coes.length} projects:${want.projects.length} sent:${want.bcn_sent.length} hosted:${want.bcn_hosted.length}`;
      await page.waitForFunction((c) => document.querySelector('[data-testid=member-programmes]')?.dataset.counts === c, counts, { timeout: 15_000 });
      const codes = await page.$$eval('[data-testid=member-projects] [data-code]', (ls) => ls.map((l) => l.dataset.code).sort());
      assert(JSON.stringify(codes) === JSON.stringify(want.projects.map((p) => p.code).sort()), `its projects: ${codes.join(' ')}`);
      const text = await page.locator('[data-testid=member-programmes]').innerText();
      for (const c of want.coes) assert(text.includes(c.area) && text.includes(c.institution), `its COE ${c.id}`);
      for (const a of want.bcn_sent) assert(text.includes(a.topic), `its exchange ${a.topic}`);
      await look(page, 'member', backend, problems, '[data-testid=member-programmes]');
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(300);
      await look(page, 'member', backend, problems, '[data-testid=member-programmes]');
    } finally {
      await page.close();
    }
    assert(!errors.length, `no page errors: ${errors.join('; ')}`);
    assert(!problems.length, problems.join('\n'));
  });
}

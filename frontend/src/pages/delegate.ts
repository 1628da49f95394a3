// /delegate: phone first. The delegate picks their member (remembered), sees its primer status,
// focus areas and key results with targets and progress, reports an actual, and drafts or edits
// the primer. Until access control lands, the member is chosen from a list.

import { ApiError, get, post } from '../api';
import { statusBadge } from '../badge';
import { clear, h, setText } from '../dom';
import { clearErrors, field, input, numberOrText, select, showErrors } from '../forms';
import { count, num, pct } from '../format';
import { connectLive } from '../live';
import { navBar } from '../nav';
import { PRIMER_COLOUR, PRIMER_LABEL, STATUS_COLOUR, STATUS_LABEL } from '../palette';
import { initialPeriod } from '../period';
import type { Dashboard, Member, Primer } from '../protocol';
import { CYCLE_YEARS } from '../protocol';
import { primerEditor } from './primer-form';

const MEMBER_KEY = 'apo.delegate.member';

export function renderDelegate(root: HTMLElement): void {
  document.title = 'APO Dashboard · Delegate';
  const period = initialPeriod();
  const live = connectLive(period);
  const picker = select([['', 'Choose your member…']]);
  const overview = h('section', { 'aria-label': 'Your member' });
  const reportSlot = h('section', { 'aria-label': 'Report an actual' });
  const editorSlot = h('section', { 'aria-label': 'Primer' });
  root.append(
    navBar(statusBadge(live), 'Delegate'),
    h('main', { class: 'page delegate' }, h('div', { class: 'field' }, h('label', { for: 'member-picker' }, 'Member'), picker), overview, reportSlot, editorSlot),
  );
  picker.id = 'member-picker';
  picker.dataset.testid = 'member-picker';

  let iso3 = '';
  let primer: Primer | null = null;
  /** The editor's last save message, shown again in the editor rebuilt after the reload. */
  let notice = '';

  get<Member[]>('/members')
    .then((members) => {
      for (const m of members) picker.append(h('option', { value: m.iso3 }, `${m.name} (${m.iso3})`));
      const saved = safeGet(MEMBER_KEY);
      if (saved && members.some((m) => m.iso3 === saved)) {
        picker.value = saved;
        choose(saved);
      }
    })
    .catch((e) => overview.append(h('p', { class: 'form-status err' }, `Could not load members: ${String(e)}`)));

  picker.addEventListener('change', () => choose(picker.value));

  function choose(code: string): void {
    iso3 = code;
    primer = null;
    notice = '';
    clear(overview);
    clear(reportSlot);
    clear(editorSlot);
    if (!code) return;
    safeSet(MEMBER_KEY, code);
    loadPrimer();
  }

  function loadPrimer(): void {
    const code = iso3;
    get<Primer>(`/primers/${code}`)
      .then((p) => p)
      .catch((e) => {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      })
      .then((p) => {
        if (code !== iso3) return;
        primer = p;
        draw();
      })
      .catch((e) => overview.replaceChildren(h('p', { class: 'form-status err' }, `Could not load the primer: ${String(e)}`)));
  }

  function draw(): void {
    if (live.doc) drawOverview(live.doc);
    reportSlot.replaceChildren(reportForm(iso3, primer, period));
    editorSlot.replaceChildren(
      primerEditor(
        iso3,
        primer,
        (message) => {
          notice = message;
          loadPrimer();
        },
        notice,
      ),
    );
    notice = '';
  }

  live.subscribe((doc) => {
    if (iso3) drawOverview(doc);
  });

  function drawOverview(doc: Dashboard): void {
    if (!iso3) return;
    const m = doc.members[iso3];
    const krs = Object.values(doc.key_results)
      .filter((k) => k.iso3 === iso3)
      .sort((a, b) => a.code.localeCompare(b.code, undefined, { numeric: true }));
    const status = m?.primer_status ?? 'none';
    const targets = new Map((primer?.key_results ?? []).map((k) => [k.code, k.targets]));
    overview.replaceChildren(
      h('h2', {}, m?.name ?? iso3),
      h(
        'p',
        {},
        'Primer: ',
        h('span', { class: 'pill', style: `background:${PRIMER_COLOUR[status]}`, 'data-testid': 'primer-status' }, PRIMER_LABEL[status]),
        ` · score ${pct(m?.score)} · reported ${count(m?.reported)} of ${count(m?.expected)} for ${doc.period}`,
      ),
      h('h3', {}, 'Focus areas'),
      primer?.focus_areas.length ? h('ul', {}, ...primer.focus_areas.map((f) => h('li', {}, f))) : h('p', { class: 'muted' }, 'None yet.'),
      h('h3', {}, `Key results (${doc.period})`),
      krs.length
        ? h(
            'ul',
            { class: 'kr-list', 'data-testid': 'delegate-krs' },
            ...krs.map((k) => {
              const t = targets.get(k.code) ?? {};
              const colour = STATUS_COLOUR[k.status];
              const width = Math.max(0, Math.min(1, k.progress ?? 0)) * 100;
              const actual = h('strong', { 'data-kr': `${k.iso3}/${k.code}` });
              setText(actual, `${num(k.actual, 2)} ${k.unit}`);
              return h(
                'li',
                {},
                h('div', {}, h('strong', {}, k.code), ` · P${k.pillar} · ${k.focus_area}`),
                h('div', {}, k.title),
                h('div', {}, 'Actual ', actual, ` · target ${num(k.target, 2)} · progress ${pct(k.progress)} `, h('span', { class: 'pill', style: `background:${colour};color:${k.status === 'achieved' || k.status === 'off_track' ? '#fff' : '#000'}` }, STATUS_LABEL[k.status])),
                h('div', { class: 'progress', role: 'img', 'aria-label': `progress ${pct(k.progress)}` }, h('span', { style: `width:${width}%;background:${colour}` })),
                h('div', { class: 'muted' }, 'Targets: ', CYCLE_YEARS.map((y) => `${y}: ${num(t[String(y)], 2)}`).join(' · ')),
              );
            }),
          )
        : h('p', { class: 'muted' }, 'No key results yet: draft them in the primer below.'),
    );
  }
}

function reportForm(iso3: string, primer: Primer | null, period: number): HTMLElement {
  const krs = primer?.key_results ?? [];
  const form = h('form', { class: 'stack', 'data-testid': 'actual-form', novalidate: true });
  if (!krs.length) return h('div', {}, h('h2', {}, 'Report an actual'), h('p', { class: 'muted' }, 'The primer has no key results to report on yet.'));
  const kr = select(krs.map((k) => [k.code, `${k.code} · ${k.title}`]));
  const year = select(CYCLE_YEARS.map((y) => [String(y), String(y)]), String(period));
  const value = input({ inputmode: 'decimal', autocomplete: 'off' });
  const status = h('div', { class: 'form-status', role: 'status' });
  form.append(field('Key result', kr, 'kr_code'), field('Year', year, 'year'), field('Value', value, 'value'), h('button', { type: 'submit' }, 'Report'), status);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    status.textContent = 'Sending…';
    status.className = 'form-status';
    const body = { iso3, kr_code: kr.value, year: Number(year.value), value: numberOrText(value.value) };
    post<{ rev: number; accepted: number }>('/actuals', body, `delegate ${iso3}`)
      .then((r) => {
        status.textContent = `Reported ${kr.value} ${year.value}: ${value.value} (revision ${r.rev})`;
        status.className = 'form-status ok';
        value.value = '';
      })
      .catch((e) => showErrors(form, e, status));
  });
  return h('div', {}, h('h2', {}, 'Report an actual'), form);
}

function safeGet(k: string): string | null {
  try {
    return localStorage.getItem(k);
  } catch {
    return null;
  }
}
function safeSet(k: string, v: string): void {
  try {
    localStorage.setItem(k, v);
  } catch {
    // private mode: not remembered
  }
}

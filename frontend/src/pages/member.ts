// /members/{iso3}: one member's key results with progress bars and actual-vs-target sparklines
// per year, its pillar scores, and its primer's national context and focus areas.

import { ApiError, get } from '../api';
import { statusBadge } from '../badge';
import { makeChart } from '../charts';
import { h } from '../dom';
import { num, pct } from '../format';
import { connectLive } from '../live';
import { navBar } from '../nav';
import { OKABE_ITO, PRIMER_COLOUR, PRIMER_LABEL, STATUS_COLOUR, STATUS_LABEL } from '../palette';
import { initialPeriod } from '../period';
import type { Dashboard, Member, Primer } from '../protocol';
import { CYCLE_YEARS, PILLARS } from '../protocol';
import { sparkline } from '../sparkline';
import { chartWithTable, dataTable } from '../table';

interface ActualRow {
  kr_code: string;
  year: number;
  value: number;
}

export function renderMember(root: HTMLElement, iso3: string): void {
  document.title = `APO Dashboard · ${iso3}`;
  const live = connectLive(initialPeriod());
  const picker = h('select', { id: 'member', 'aria-label': 'Member' });
  const head = h('section', { 'data-loading': '' });
  const chartEl = h('div', { class: 'chart', role: 'img', 'aria-label': `Pillar scores of ${iso3}` });
  const pillarTable = h('div', { class: 'table-scroll' });
  const context = h('section');
  const krBox = h('section');
  root.append(
    navBar(statusBadge(live), `Member: ${iso3}`),
    h('main', { class: 'page' }, h('div', { class: 'controls' }, h('label', { for: 'member' }, 'Member', picker)), head, h('h2', {}, 'Pillar scores'), chartWithTable(chartEl, pillarTable), context, krBox),
  );
  picker.addEventListener('change', () => location.assign(`/members/${picker.value}`));
  get<Member[]>('/members').then((ms) => {
    picker.replaceChildren(...ms.map((m) => h('option', { value: m.iso3 }, `${m.name} (${m.iso3})`)));
    picker.value = iso3;
  });

  const chart = makeChart(chartEl, {
    tooltip: { trigger: 'axis' },
    grid: { left: 48, right: 16, top: 16, bottom: 40 },
    xAxis: { type: 'category', data: PILLARS.map((p) => `Pillar ${p}`) },
    yAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value} %' } },
    series: [{ name: 'Score', type: 'bar', itemStyle: { color: OKABE_ITO.blue }, data: [] }],
  });

  let primer: Primer | null = null;
  let actuals: ActualRow[] = [];
  const load = async () => {
    const [p, a] = await Promise.all([
      get<Primer>(`/primers/${iso3}`).catch((e) => {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      }),
      get<ActualRow[]>(`/actuals?iso3=${iso3}`).catch(() => [] as ActualRow[]),
    ]);
    primer = p;
    actuals = a;
  };
  load()
    .then(() => {
      head.removeAttribute('data-loading');
      if (live.doc) draw(live.doc);
    })
    .catch((e) => {
      head.removeAttribute('data-loading');
      head.replaceChildren(h('p', { class: 'form-status err' }, `Could not load ${iso3}: ${String(e)}`));
    });

  live.subscribe((doc, change) => {
    const mine = change.ops.some((o) => o.path[0] === 'key_results' && String(o.path[1] ?? '').startsWith(`${iso3}/`));
    if (mine) load().then(() => live.doc && draw(live.doc));
    else draw(doc);
  });

  function draw(doc: Dashboard): void {
    const m = doc.members[iso3];
    if (!m) {
      head.replaceChildren(h('p', { class: 'form-status err' }, `${iso3} is not an APO member.`));
      return;
    }
    if (head.hasAttribute('data-loading')) return;
    head.replaceChildren(
      h('h2', {}, m.name),
      h(
        'p',
        {},
        'Primer ',
        h('span', { class: 'pill', style: `background:${PRIMER_COLOUR[m.primer_status]}` }, PRIMER_LABEL[m.primer_status]),
        ` · score ${pct(m.score)} · completeness ${pct(m.completeness)} (${num(m.reported, 0)} of ${num(m.expected, 0)} reported for ${doc.period})`,
      ),
    );
    chart.setOption({ series: [{ data: PILLARS.map((p) => { const s = m.pillars[p]?.score; return s === null || s === undefined ? null : Math.round(s * 1000) / 10; }) }] });
    pillarTable.replaceChildren(
      dataTable(
        `Pillar scores of ${m.name}, ${doc.period}`,
        ['Pillar', 'Score', 'Coverage'],
        PILLARS.map((p) => [`${p} ${doc.pillars[p]?.name ?? ''}`, pct(m.pillars[p]?.score), pct(m.pillars[p]?.coverage)]),
      ),
    );
    context.replaceChildren(
      h('h2', {}, 'National context'),
      h('p', { class: 'context' }, primer?.national_context || 'No primer yet.'),
      h('h2', {}, 'Focus areas'),
      primer?.focus_areas.length ? h('ul', {}, ...primer.focus_areas.map((f) => h('li', {}, f))) : h('p', { class: 'muted' }, 'None yet.'),
    );
    const latest = new Map<string, number>();
    for (const a of actuals) {
      const k = `${a.kr_code}/${a.year}`;
      if (!latest.has(k)) latest.set(k, a.value); // newest first
    }
    const krs = Object.values(doc.key_results)
      .filter((k) => k.iso3 === iso3)
      .sort((a, b) => a.code.localeCompare(b.code, undefined, { numeric: true }));
    const targets = new Map((primer?.key_results ?? []).map((k) => [k.code, k.targets]));
    krBox.replaceChildren(
      h('h2', {}, `Key results (${doc.period})`),
      krs.length
        ? h(
            'ul',
            { class: 'kr-list' },
            ...krs.map((k) => {
              const pts = CYCLE_YEARS.map((y) => ({ year: y, target: targets.get(k.code)?.[String(y)] ?? null, actual: latest.get(`${k.code}/${y}`) ?? null }));
              const colour = STATUS_COLOUR[k.status];
              return h(
                'li',
                {},
                h('div', {}, h('strong', {}, k.code), ` · Pillar ${k.pillar} · ${k.focus_area} · `, h('span', { class: 'pill', style: `background:${colour};color:${k.status === 'achieved' || k.status === 'off_track' ? '#fff' : '#000'}` }, STATUS_LABEL[k.status])),
                h('div', {}, `${k.title} (${k.unit}, ${k.direction})`),
                h('div', { class: 'progress', role: 'img', 'aria-label': `progress ${pct(k.progress)}` }, h('span', { style: `width:${Math.max(0, Math.min(1, k.progress ?? 0)) * 100}%;background:${colour}` })),
                h('div', { class: 'muted' }, `Baseline ${num(k.baseline, 2)} · target ${num(k.target, 2)} · actual ${num(k.actual, 2)} · progress ${pct(k.progress)}`),
                h(
                  'div',
                  { class: 'spark-row' },
                  sparkline(pts, { target: OKABE_ITO.orange, actual: OKABE_ITO.blue }),
                  h('span', { class: 'muted' }, h('span', { style: `color:${OKABE_ITO.orange}` }, '■'), ' target (dashed) ', h('span', { style: `color:${OKABE_ITO.blue}` }, '●'), ' actual, 2026–2028'),
                ),
                h('details', { class: 'as-table' }, h('summary', {}, 'Show as table'), dataTable(`${k.code}: target and actual per year`, ['Year', 'Target', 'Actual'], pts.map((p) => [String(p.year), num(p.target, 2), num(p.actual, 2)]))),
              );
            }),
          )
        : h('p', { class: 'muted' }, 'No key results yet.'),
    );
  }
}

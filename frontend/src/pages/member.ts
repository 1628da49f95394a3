// /members/{iso3}: one member's key results with progress bars and actual-vs-target sparklines
// per year, its pillar scores (each beside how many of its key results have data: a score of
// 100 % over 3 of 8 key results is not the same as over 8 of 8), and its primer's national
// context and focus areas. The heading is the member's name, as APO writes it.
//
// Each part watches what it shows (model.ts): the head and the chart the member's entry, each
// key result its own entry; the primer and the reports come from REST and are loaded again
// when a patch carries an edit of this member.

import { computed, signal } from '@preact/signals-core';
import { ApiError, get } from '../api';
import { statusBadge } from '../badge';
import { makeChart } from '../charts';
import { h, setText } from '../dom';
import { num, pct } from '../format';
import { connectLive } from '../live';
import { keysWithPrefix, stableList } from '../model';
import { navBar } from '../nav';
import { OKABE_ITO, PRIMER_COLOUR, PRIMER_LABEL, PRIMER_TEXT, STATUS_COLOUR, STATUS_LABEL, STATUS_TEXT } from '../palette';
import { initialPeriod } from '../period';
import type { Actual, CellDoc, Member, Primer } from '../protocol';
import { CYCLE_YEARS, PILLARS } from '../protocol';
import { each, watch } from '../reactive';
import { exportButtons } from '../export-buttons';
import { memberSeries } from './member-series';
import { memberProgrammes } from './projects-member';
import { memberTrainings } from './trainings-member';
import { setDerivedMark } from '../derived';
import { sparkline } from '../sparkline';
import { chartWithTable, dataTable, scrollBox } from '../table';

/** How many of a member's key results in a pillar have data, of how many ("5/8"); null when it has none. */
export function krsWithData(cell: Pick<CellDoc, 'krs' | 'coverage'> | undefined): { with: number; of: number } | null {
  if (!cell || cell.krs <= 0) return null;
  return { with: Math.round((cell.coverage ?? 0) * cell.krs), of: cell.krs };
}

function coverageLabel(cell: Pick<CellDoc, 'krs' | 'coverage'> | undefined): string {
  const c = krsWithData(cell);
  return c ? `${c.with}/${c.of}\nwith data` : 'no key\nresults';
}

export function renderMember(root: HTMLElement, iso3: string): void {
  document.title = `APO Dashboard · ${iso3}`;
  const live = connectLive(initialPeriod());
  const model = live.model;
  const picker = h('select', { id: 'member', 'aria-label': 'Member' });
  const head = h('section', { 'data-loading': '' });
  const chartEl = h('div', { class: 'chart', role: 'img', 'aria-label': `Pillar scores of ${iso3}`, 'data-testid': 'pillar-chart' });
  const pillarTable = scrollBox('Pillar scores as a table');
  const context = h('section');
  const krHeading = h('h2', {});
  const krList = h('ul', { class: 'kr-list' });
  const noKrs = h('p', { class: 'muted' }, 'No key results yet.');
  const bar = navBar(statusBadge(live), iso3);
  /** The page's h1: the member's name once known (the ISO code until then). */
  const title = bar.querySelector('.page-title');
  const named = (name: string) => {
    if (title) setText(title as HTMLElement, name, false);
    document.title = `APO Dashboard · ${name}`;
  };
  root.append(
    bar,
    h(
      'main',
      { class: 'page' },
      h('div', { class: 'controls' }, h('label', { for: 'member' }, 'Member', picker)),
      exportButtons({ iso3, period: () => model.period.value ?? live.period }),
      head,
      h('h2', {}, 'Pillar scores'),
      h('p', { class: 'muted' }, 'Each pillar’s score is over its key results with data: “5/8 with data” means 5 of its 8 key results have an actual for the period.'),
      chartWithTable(chartEl, pillarTable),
      context,
      h('section', {}, krHeading, krList, noKrs),
      memberSeries(iso3, live),
      memberProgrammes(iso3, live),
      memberTrainings(iso3, live),
    ),
  );
  picker.addEventListener('change', () => location.assign(`/members/${picker.value}`));
  get<Member[]>('/members').then((ms) => {
    picker.replaceChildren(...ms.map((m) => h('option', { value: m.iso3 }, `${m.name} (${m.iso3})`)));
    picker.value = iso3;
    const me = ms.find((m) => m.iso3 === iso3);
    if (me) named(me.name);
  });

  const chart = makeChart(chartEl, {
    tooltip: { trigger: 'axis' },
    grid: { left: 48, right: 8, top: 30, bottom: 72 },
    xAxis: { type: 'category', data: PILLARS.map((p) => `Pillar ${p}`), axisLabel: { interval: 0, lineHeight: 18, fontSize: 14, color: '#222' } },
    yAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value} %' } },
    series: [
      {
        name: 'Score',
        type: 'bar',
        itemStyle: { color: OKABE_ITO.blue },
        label: { show: true, position: 'top', color: '#000', fontSize: 15, fontWeight: 'bold', formatter: (p: { value: unknown }) => (typeof p.value === 'number' ? `${p.value} %` : 'no score') },
        data: [],
      },
    ],
  });

  // From REST: the primer (national context, focus areas, targets per year) and the reports
  // (the sparklines' actual per year). Loaded again when an edit of this member arrives.
  const primer = signal<Primer | null>(null);
  const actuals = signal<readonly Actual[]>([]);
  const loading = signal(true);
  const loadPrimer = () =>
    get<Primer>(`/primers/${iso3}`)
      .catch((e) => {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      })
      .then((p) => (primer.value = p));
  const loadActuals = () =>
    get<Actual[]>(`/actuals?iso3=${iso3}`)
      .catch(() => [] as Actual[])
      .then((a) => (actuals.value = a));
  Promise.all([loadPrimer(), loadActuals()])
    .then(() => (loading.value = false))
    .catch((e) => {
      head.removeAttribute('data-loading');
      head.replaceChildren(h('p', { class: 'form-status err' }, `Could not load ${iso3}: ${String(e)}`));
    });
  live.subscribe((_doc, change) => {
    if (loading.peek()) return;
    const all = change.kind === 'snapshot';
    if (all || change.events.some((e) => e.entity === 'primer' && e.key === iso3)) void loadPrimer();
    if (all || change.events.some((e) => e.entity === 'actual' && e.key.startsWith(`${iso3}/`))) void loadActuals();
  });

  const member = model.members.entry(iso3);
  const period = computed(() => model.period.value ?? live.period);
  watch(() => {
    const m = member.value;
    if (!model.loaded.value || loading.value) return;
    head.removeAttribute('data-loading');
    if (!m) {
      head.replaceChildren(h('p', { class: 'form-status err' }, `${iso3} is not an APO member.`));
      return;
    }
    named(m.name);
    head.replaceChildren(
      h(
        'p',
        {},
        'Primer ',
        h('span', { class: 'pill', style: `background:${PRIMER_COLOUR[m.primer_status]};color:${PRIMER_TEXT[m.primer_status]}` }, PRIMER_LABEL[m.primer_status]),
        ` · score ${pct(m.score)} · completeness ${pct(m.completeness)} (${num(m.reported, 0)} of ${num(m.expected, 0)} reported for ${period.value})`,
      ),
    );
  });
  const pillarNames = stableList(() => PILLARS.map((p) => model.pillars.entry(p).value?.name ?? ''));
  watch(() => {
    const m = member.value;
    if (!m) return;
    chartEl.setAttribute('aria-label', `Pillar scores of ${m.name}, ${PILLARS.map((p) => `pillar ${p}: ${pct(m.pillars[p]?.score)}, ${coverageLabel(m.pillars[p]).replace('\n', ' ')}`).join('; ')}`);
    // Larger type where the chart is wide (a projector, a desk screen), so that "1/3 with data" is read.
    const size = Math.round(Math.min(20, Math.max(14, chartEl.clientWidth / 60)));
    chart.setOption({
      grid: { bottom: Math.round(size * 5) },
      xAxis: { data: PILLARS.map((p) => `Pillar ${p}\n${coverageLabel(m.pillars[p])}`), axisLabel: { fontSize: size, lineHeight: Math.round(size * 1.25) } },
      yAxis: { axisLabel: { fontSize: size - 2 } },
      series: [{ data: PILLARS.map((p) => { const s = m.pillars[p]?.score; return s == null ? '-' : Math.round(s * 1000) / 10; }), label: { fontSize: size + 1 } }],
    });
    pillarTable.replaceChildren(
      dataTable(
        `Pillar scores of ${m.name}, ${period.value}`,
        ['Pillar', 'Score', 'Key results with data'],
        PILLARS.map((p, i) => {
          const c = krsWithData(m.pillars[p]);
          return [`${p} ${pillarNames.value[i] ?? ''}`, pct(m.pillars[p]?.score), c ? `${c.with} of ${c.of}` : 'no key results'];
        }),
      ),
    );
  });
  watch(() => {
    if (loading.value) return;
    const p = primer.value;
    const areas = p?.focus_areas ?? [];
    context.replaceChildren(
      h('h2', {}, 'National context'),
      h('p', { class: 'context' }, p?.national_context || 'No primer yet.'),
      h('h2', {}, 'Focus areas'),
      areas.length ? h('ul', {}, ...areas.map((f) => h('li', {}, f))) : h('p', { class: 'muted' }, 'None yet.'),
    );
  });

  // The key results: one item per key result of the member, each watching its entry, its
  // targets and its reports.
  watch(() => setText(krHeading, `Key results (${period.value})`, false));
  const keys = keysWithPrefix(model.key_results, () => `${iso3}/`);
  watch(() => {
    noKrs.hidden = keys.value.length > 0 || !model.loaded.value;
  });
  const targets = computed(() => new Map((primer.value?.key_results ?? []).map((k) => [k.code, k.targets ?? {}])));
  /** The latest report per `code/year` (the list is newest first). */
  const latest = computed(() => {
    const m = new Map<string, number>();
    for (const a of actuals.value) {
      const k = `${a.kr_code}/${a.year}`;
      if (!m.has(k)) m.set(k, a.value);
    }
    return m;
  });
  each(krList, keys, (key) => {
    const code = key.slice(key.indexOf('/') + 1);
    const headLine = h('div', {});
    const title = h('div', {});
    const bar = h('span', {});
    const progress = h('div', { class: 'progress', role: 'img' }, bar);
    const numbers = h('div', { class: 'muted' });
    const derived = h('span', { hidden: true });
    const spark = h('span', {});
    const table = h('div', {});
    watch(() => {
      const k = model.key_results.entry(key).value;
      if (!k) return;
      const colour = STATUS_COLOUR[k.status];
      headLine.replaceChildren(
        h('strong', {}, k.code),
        ` · Pillar ${k.pillar} · ${k.focus_area} · `,
        h('span', { class: 'pill', style: `background:${colour};color:${STATUS_TEXT[k.status]}` }, STATUS_LABEL[k.status]),
      );
      setText(title, `${k.title} (${k.unit}, ${k.direction})`, false);
      progress.setAttribute('aria-label', `progress ${pct(k.progress)}`);
      bar.style.width = `${Math.max(0, Math.min(1, k.progress ?? 0)) * 100}%`;
      bar.style.background = colour;
      setText(numbers, `Baseline ${num(k.baseline, 2)} · target ${num(k.target, 2)} · actual ${num(k.actual, 2)} · progress ${pct(k.progress)}`);
      setDerivedMark(derived, k);
    });
    watch(() => {
      const t = targets.value.get(code);
      const pts = CYCLE_YEARS.map((y) => ({ year: y, target: t?.[String(y)] ?? null, actual: latest.value.get(`${code}/${y}`) ?? null }));
      spark.replaceChildren(sparkline(pts, { target: OKABE_ITO.orange, actual: OKABE_ITO.blue }));
      table.replaceChildren(dataTable(`${code}: target and actual per year`, ['Year', 'Target', 'Actual'], pts.map((p) => [String(p.year), num(p.target, 2), num(p.actual, 2)])));
    });
    return h(
      'li',
      {},
      headLine,
      title,
      progress,
      h('div', { class: 'kr-actual-line' }, numbers, derived),
      h(
        'div',
        { class: 'spark-row' },
        spark,
        h('span', { class: 'muted' }, h('span', { style: `color:${OKABE_ITO.orange}` }, '■'), ' target (dashed) ', h('span', { style: `color:${OKABE_ITO.blue}` }, '●'), ' actual, 2026–2028'),
      ),
      h('details', { class: 'as-table' }, h('summary', {}, 'Show as table'), table),
    );
  });
}

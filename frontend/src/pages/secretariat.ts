// /secretariat: pillar results beside budget planned and spent; completeness by member; the
// off-track and not-reported key results; primer statuses; a period selector (switches the
// live socket); a replay slider over revisions that shows GET /dashboard?rev=N, read-only.

import { get } from '../api';
import { statusBadge } from '../badge';
import { makeChart } from '../charts';
import { h } from '../dom';
import { count, money, num, pct } from '../format';
import { connectLive } from '../live';
import { navBar } from '../nav';
import { OKABE_ITO, PRIMER_COLOUR, PRIMER_LABEL } from '../palette';
import { initialPeriod } from '../period';
import type { Dashboard, KrDoc } from '../protocol';
import { CYCLE_YEARS, PILLARS, PRIMER_STATUSES } from '../protocol';
import { chartWithTable, dataTable } from '../table';

export function renderSecretariat(root: HTMLElement): void {
  document.title = 'APO Dashboard · Secretariat';
  const live = connectLive(initialPeriod());
  const periodSel = h('select', { id: 'period', 'data-testid': 'period' }, ...CYCLE_YEARS.map((y) => h('option', { value: String(y) }, String(y))));
  periodSel.value = String(live.period);
  const slider = h('input', { type: 'range', id: 'replay', min: '1', max: '1', step: '1', 'data-testid': 'replay' });
  const replayLabel = h('output', { for: 'replay', 'data-testid': 'replay-label' }, 'live');
  const backToLive = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Back to live');
  const banner = h('p', { class: 'form-status', role: 'status' });

  const chartEl = h('div', { class: 'chart', role: 'img', 'aria-label': 'Pillar score and share of budget spent' });
  const pillarTable = h('div', { class: 'table-scroll' });
  const primerBox = h('div');
  const completenessBox = h('div', { class: 'table-scroll' });
  const attentionBox = h('div', { class: 'table-scroll' });

  root.append(
    navBar(statusBadge(live), 'Secretariat'),
    h(
      'main',
      { class: 'page' },
      h(
        'div',
        { class: 'controls' },
        h('label', { for: 'period' }, 'Period', periodSel),
        h('label', { for: 'replay', class: 'replay' }, 'Replay revision', slider),
        replayLabel,
        backToLive,
      ),
      banner,
      h('h2', {}, 'Pillars: results and budget'),
      chartWithTable(chartEl, pillarTable),
      h('h2', {}, 'Primers'),
      primerBox,
      h('h2', {}, 'Completeness by member'),
      completenessBox,
      h('h2', {}, 'Needs attention: off track, and not reported'),
      attentionBox,
    ),
  );

  const chart = makeChart(chartEl, {
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 48, right: 16, top: 36, bottom: 56 },
    xAxis: { type: 'category', data: [] },
    yAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value} %' } },
    series: [
      { name: 'Score', type: 'bar', itemStyle: { color: OKABE_ITO.blue }, data: [] },
      { name: 'Budget spent (of planned)', type: 'bar', itemStyle: { color: OKABE_ITO.orange }, data: [] },
    ],
  });

  let replaying: number | null = null;

  function draw(doc: Dashboard): void {
    const names = PILLARS.map((p) => `Pillar ${p}`);
    chart.setOption({
      xAxis: { data: names },
      series: [
        { data: PILLARS.map((p) => pctNum(doc.pillars[p]?.score)) },
        { data: PILLARS.map((p) => {
          const b = doc.pillars[p]?.budget;
          return b && b.planned > 0 ? Math.round((1000 * b.spent) / b.planned) / 10 : null;
        }) },
      ],
    });
    pillarTable.replaceChildren(
      dataTable(
        `Pillars, ${doc.period}`,
        ['Pillar', 'Score', 'Members scored', 'Key results with data', 'Budget planned', 'Budget spent', 'Spent'],
        PILLARS.map((p) => {
          const x = doc.pillars[p];
          return [
            `${p} ${x?.name ?? ''}`,
            pct(x?.score),
            count(x?.members_scored),
            `${count(x?.krs_with_data)} / ${count(x?.krs)}`,
            money(x?.budget.planned),
            money(x?.budget.spent),
            x && x.budget.planned > 0 ? pct(x.budget.spent / x.budget.planned) : '–',
          ];
        }),
      ),
    );
    const total = Object.keys(doc.members).length;
    primerBox.replaceChildren(
      h(
        'div',
        { class: 'cards' },
        ...PRIMER_STATUSES.map((s) =>
          h('div', { class: 'card', 'data-testid': `sec-primers-${s}` }, h('h3', {}, h('span', { class: 'pill', style: `background:${PRIMER_COLOUR[s]}` }, PRIMER_LABEL[s])), h('div', { class: 'big' }, `${count(doc.primers[s])} / ${count(total)}`)),
        ),
      ),
    );
    const members = Object.entries(doc.members).sort((a, b) => a[0].localeCompare(b[0]));
    completenessBox.replaceChildren(
      dataTable(
        `Completeness by member, ${doc.period}`,
        ['Member', 'Primer', 'Reported', 'Expected', 'Completeness', 'Score'],
        members.map(([iso3, m]) => [h('a', { href: `/members/${iso3}` }, `${m.name} (${iso3})`), PRIMER_LABEL[m.primer_status] ?? m.primer_status, count(m.reported), count(m.expected), pct(m.completeness), pct(m.score)]),
        { numericFrom: 2 },
      ),
    );
    const byCode = (a: KrDoc, b: KrDoc) => a.iso3.localeCompare(b.iso3) || a.code.localeCompare(b.code, undefined, { numeric: true });
    const krs = Object.values(doc.key_results);
    const offTrack = krs.filter((k) => k.status === 'off_track').sort(byCode);
    const missing = new Map<string, KrDoc[]>();
    for (const k of krs.filter((k) => k.target !== null && k.actual === null).sort(byCode)) missing.set(k.iso3, [...(missing.get(k.iso3) ?? []), k]);
    attentionBox.replaceChildren(
      offTrack.length
        ? dataTable(
            `${count(offTrack.length)} key results off track in ${doc.period}`,
            ['Key result', 'Member', 'Pillar', 'Title', 'Target', 'Actual', 'Progress'],
            offTrack.map((k) => [k.code, k.iso3, String(k.pillar), k.title, num(k.target, 2), num(k.actual, 2), pct(k.progress)]),
            { numericFrom: 4 },
          )
        : h('p', {}, `Nothing off track in ${doc.period}.`),
      missing.size
        ? dataTable(
            `${count([...missing.values()].reduce((n, l) => n + l.length, 0))} key results with a ${doc.period} target and no report, by member`,
            ['Member', 'Key results', 'Not reported'],
            [...missing].map(([iso3, l]) => [`${doc.members[iso3]?.name ?? iso3} (${iso3})`, l.map((k) => k.code).join(', '), count(l.length)]),
            { numericFrom: 2 },
          )
        : h('p', {}, `Every key result with a ${doc.period} target is reported.`),
    );
    slider.max = String(Math.max(Number(slider.max), live.rev ?? 0));
    if (replaying === null) slider.value = slider.max;
  }

  live.subscribe((doc) => {
    if (replaying === null) draw(doc);
    else slider.max = String(live.rev ?? slider.max);
  });

  periodSel.addEventListener('change', () => {
    stopReplay();
    live.setPeriod(Number(periodSel.value));
  });

  let replaySeq = 0;
  slider.addEventListener('input', () => {
    const rev = Number(slider.value);
    if (rev >= (live.rev ?? 0)) {
      stopReplay();
      return;
    }
    replaying = rev;
    replayLabel.textContent = `revision ${rev}`;
    backToLive.hidden = false;
    const seq = ++replaySeq;
    get<Dashboard>(`/dashboard?period=${live.period}&rev=${rev}`)
      .then((doc) => {
        if (seq !== replaySeq || replaying === null) return;
        banner.textContent = `Replaying: the dashboard as it was at revision ${rev} (read-only).`;
        banner.className = 'form-status';
        draw(doc);
      })
      .catch((e) => {
        banner.textContent = `Could not load revision ${rev}: ${String(e)}`;
        banner.className = 'form-status err';
      });
  });
  backToLive.addEventListener('click', stopReplay);

  function stopReplay(): void {
    replaying = null;
    replaySeq++;
    replayLabel.textContent = 'live';
    backToLive.hidden = true;
    banner.textContent = '';
    slider.value = slider.max;
    if (live.doc) draw(live.doc);
  }
}

function pctNum(v: number | null | undefined): number | null {
  return v === null || v === undefined ? null : Math.round(v * 1000) / 10;
}

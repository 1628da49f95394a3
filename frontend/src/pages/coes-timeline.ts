// The Centers of Excellence through the 1-3-1 life cycle: a timeline of every COE's phases
// (designation year 1, delivery years 2–4, replication year 5, then an assessment due), from
// GET /coes. Today is a line across; the phase each COE is in today is outlined and named;
// a phase an assessment decided (held or advanced) has a dashed outline and says so, with the
// assessment's note in the table under the picture. A live change to a COE fetches it again.

import { CustomChart } from 'echarts/charts';
import * as echarts from 'echarts/core';
import '../styles/projects.css';
import { describeError, get } from '../api';
import { makeChart } from '../charts';
import { h } from '../dom';
import type { components } from '../generated/api';
import type { Live } from '../live';
import type { Member } from '../protocol';
import { chartWithTable, dataTable, scrollBox } from '../table';
import { dateText } from './projects-model';

echarts.use([CustomChart]);

type Schemas = components['schemas'];
export type Coe = Schemas['Coe'];
type Phase = Schemas['Phase'];

export const PHASE_TEXT: Record<Phase, string> = {
  designation: 'Designation (year 1)',
  delivery: 'Delivery (years 2–4)',
  replication: 'Replication (year 5)',
  assessment_due: 'Assessment due',
};

/** Okabe–Ito colours, each with the text colour that reads on it. */
export const PHASE_COLOUR: Record<Phase, { bg: string; fg: string }> = {
  designation: { bg: '#56B4E9', fg: '#000000' },
  delivery: { bg: '#0072B2', fg: '#ffffff' },
  replication: { bg: '#009E73', fg: '#000000' },
  assessment_due: { bg: '#E69F00', fg: '#000000' },
};

const PHASES = Object.keys(PHASE_TEXT) as Phase[];
const DAY = 86_400_000;
const ms = (d: string) => Date.parse(`${d}T00:00:00Z`);

/** The span of each phase on the time axis; an open end (assessment due) runs a year past today or its start. */
export function spans(coe: Coe, today: number): { phase: Phase; from: number; to: number; open: boolean; assessed: boolean; current: boolean }[] {
  return coe.phases.map((p) => {
    const from = ms(p.from);
    const to = p.to ? ms(p.to) + DAY : Math.max(today, from) + 365 * DAY;
    return { phase: p.phase, from, to, open: !p.to, assessed: p.source === 'assessment', current: from <= today && today < to && p.phase === coe.phase };
  });
}

/** "Delivery (years 2–4), since 15 January 2026" with "by assessment" when one decided it. */
export function currentText(coe: Coe): string {
  const span = coe.phases.find((p) => p.phase === coe.phase);
  const since = span ? `, since ${dateText(span.from)}` : '';
  return `${PHASE_TEXT[coe.phase]}${since}${coe.phase_source === 'assessment' ? ' (by assessment)' : ''}`;
}

interface RenderApi {
  value(i: number): number;
  coord(v: [number, number]): [number, number];
  size(v: [number, number]): [number, number];
}

export function coeTimeline(live: Live, opts: { fontSize?: number } = {}): HTMLElement {
  const font = opts.fontSize ?? 14;
  const chartEl = h('div', { class: 'chart coe-chart', role: 'img', 'aria-label': 'Centers of Excellence: phases over time', 'data-testid': 'coe-timeline' });
  const tableBox = scrollBox('Centers of Excellence as a table');
  const status = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' }, 'Loading…');
  const overrides = h('ul', { class: 'coe-overrides', 'data-testid': 'coe-overrides' });
  const legend = h(
    'p',
    { class: 'coe-legend' },
    ...(Object.keys(PHASE_TEXT) as Phase[]).map((p) => h('span', { class: 'coe-key' }, h('span', { class: 'swatch', style: `background:${PHASE_COLOUR[p].bg}` }), PHASE_TEXT[p])),
    h('span', { class: 'coe-key' }, h('span', { class: 'swatch assessed' }), 'Decided by an assessment (dashed outline)'),
    h('span', { class: 'coe-key' }, h('span', { class: 'swatch current' }), 'Phase today (bold outline)'),
  );
  const section = h(
    'section',
    { class: 'coe-panel', 'data-testid': 'coe-panel', 'aria-labelledby': 'coe-heading' },
    h('h2', { id: 'coe-heading' }, 'Centers of Excellence: the 1-3-1 life cycle'),
    status,
    legend,
    chartWithTable(chartEl, tableBox),
    overrides,
  );
  const chart = makeChart(chartEl, {
    tooltip: { trigger: 'item' },
    // Each COE's name is written above its bars (renderItem), so the bars have the whole width.
    grid: { left: 12, right: 24, top: 40, bottom: 32 },
    xAxis: { type: 'time', axisLabel: { fontSize: font, hideOverlap: true } },
    yAxis: { type: 'category', data: [], inverse: true, axisLabel: { show: false }, axisTick: { show: false } },
    series: [],
  });
  let names = new Map<string, string>();

  const draw = (coes: Coe[]) => {
    const today = Date.now();
    const rows = coes.map((c, i) => ({ c, i, s: spans(c, today) }));
    const data = rows.flatMap(({ c, i, s }) => s.map((p, k) => ({ value: [i, p.from, p.to, p.assessed ? 1 : 0, p.current ? 1 : 0, PHASES.indexOf(p.phase), k], name: `${c.id}|${p.phase}`, phase: p.phase })));
    const rowName = coes.map((c) => `${names.get(c.iso3) ?? c.iso3} · ${c.area}`);
    const renderItem = (params: { coordSys: { x: number; width: number } }, api: RenderApi) => {
      const y = api.value(0);
      const [x0, cy] = api.coord([api.value(1), y]);
      const [x1] = api.coord([api.value(2), y]);
      const height = api.size([0, 1])[1] * 0.42;
      const assessed = api.value(3) === 1;
      const current = api.value(4) === 1;
      const phase = PHASES[api.value(5)] ?? 'delivery';
      const colour = PHASE_COLOUR[phase];
      const width = Math.max(1, x1 - x0);
      // The longest label that fits the bar: with "by assessment" and "now", then shorter.
      const name = PHASE_TEXT[phase].split(' (')[0] ?? phase;
      const fits = (t: string) => t.length * font * 0.6 + 10 <= width;
      const label = [`${name}${assessed ? ' · by assessment' : ''}${current ? ' · now' : ''}`, `${name}${current ? ' · now' : ''}`, name, current ? 'now' : ''].find(fits) ?? '';
      return {
        type: 'group',
        children: [
          {
            type: 'rect',
            shape: { x: x0, y: cy - height / 2, width, height, r: 3 },
            style: {
              fill: colour.bg,
              stroke: current ? '#000000' : assessed ? '#000000' : 'transparent',
              lineWidth: current ? 3 : assessed ? 2 : 0,
              lineDash: assessed ? [6, 4] : undefined,
            },
          },
          {
            type: 'text',
            ignore: !label,
            style: { text: label, x: x0 + 6, y: cy, verticalAlign: 'middle', fill: colour.fg, font: `${current ? 700 : 400} ${font}px system-ui, sans-serif` },
          },
          // The COE's name above its first bar.
          {
            type: 'text',
            ignore: api.value(6) !== 0,
            style: { text: rowName[y] ?? '', width: params.coordSys.width - 4, overflow: 'truncate', x: params.coordSys.x, y: cy - height / 2 - 4, verticalAlign: 'bottom', fill: '#16191d', font: `600 ${font}px system-ui, sans-serif` },
          },
        ],
      };
    };
    chart.setOption({
      yAxis: { data: coes.map((c) => `${names.get(c.iso3) ?? c.iso3}: ${c.area}`) },
      series: [
        {
          type: 'custom',
          renderItem,
          encode: { x: [1, 2], y: 0 },
          data,
          tooltip: {
            formatter: (p: { dataIndex: number }) => {
              const e = data[p.dataIndex];
              if (!e) return '';
              const [i, from, to, assessed] = e.value as [number, number, number, number];
              const c = coes[i];
              return `${c?.institution ?? ''}<br>${PHASE_TEXT[e.phase]}: ${dateText(new Date(from).toISOString().slice(0, 10))} – ${dateText(new Date(to - DAY).toISOString().slice(0, 10))}${assessed ? '<br>decided by an assessment' : ''}`;
            },
          },
          markLine: { silent: true, symbol: 'none', label: { formatter: 'Today', fontSize: font, position: 'start', color: '#B03A00' }, lineStyle: { color: '#B03A00', width: 2, type: 'solid' }, data: [{ xAxis: today }] },
        },
      ],
    });
    chartEl.style.height = `${Math.max(220, 80 + coes.length * font * 5)}px`;
    chart.resize();
    chartEl.dataset.current = coes.map((c) => `${c.id}:${c.phase}:${c.phase_source}`).join(' ');
    tableBox.replaceChildren(
      dataTable(
        'Every COE, its phase today and its assessments',
        ['Member', 'Host institution', 'Area of excellence', 'Designated', 'Phase today', 'Assessments'],
        coes.map((c) => [
          names.get(c.iso3) ?? c.iso3,
          c.institution,
          c.area,
          dateText(c.designated),
          currentText(c),
          c.assessments.length ? c.assessments.map((a) => `${dateText(a.date)}: ${a.decision === 'hold' ? 'held' : 'advanced'}${a.note ? ` (${a.note})` : ''}`).join('; ') : '–',
        ]),
        { numericFrom: 99 },
      ),
    );
    // Where an assessment, not the calendar, decides the phase: said in words under the picture.
    overrides.replaceChildren(
      ...coes
        .filter((c) => c.phase_source === 'assessment')
        .map((c) => {
          const a = c.assessments[c.assessments.length - 1];
          const what = a ? `${a.decision === 'hold' ? 'held' : 'advanced'} by the assessment of ${dateText(a.date)}${a.note ? `: ${a.note}` : ''}` : 'decided by an assessment';
          return h('li', { 'data-coe': c.id }, h('strong', {}, `${names.get(c.iso3) ?? c.iso3} · ${c.area}`), ` is in ${PHASE_TEXT[c.phase].toLowerCase()}, ${what}.`);
        }),
    );
    status.textContent = coes.length ? '' : 'No Center of Excellence yet.';
  };
  const load = () => get<Coe[]>('/coes').then(draw);
  const fail = (e: unknown) => {
    status.className = 'form-status err';
    status.textContent = `Could not load the Centers of Excellence: ${describeError(e)}`;
  };
  get<Member[]>('/members')
    .then((m) => {
      names = new Map(m.map((x) => [x.iso3, x.name]));
      return load();
    })
    .catch(fail);
  live.subscribe((_d, change) => {
    if (names.size && change.kind === 'patch' && change.events.some((e) => e.entity === 'coe')) void load().catch(fail);
  });
  return section;
}

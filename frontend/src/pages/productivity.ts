// /productivity: output per worker and per hour over time for chosen members with the APO21
// line, the rank table, the composite productivity index with its components, and a map of the
// 21 members. Data: Penn World Table 9.1 (attribution on the page, as its licence asks).
//
// The rank table, the composite index and the map are of one year, and the index column of one
// base year (= 100): both are chosen above the rank table (default: the latest year with data
// and 2011, the server's), kept in the address (`?year=2015&base_year=2005`) so that a reload
// or a shared link shows the same.
//
// Below the map, any catalogued series (Penn World Table's and the members' own indexes) drawn
// for the members chosen above, with its label, unit and source; drawn again when a live patch
// carries a change of that series or of a catalogue entry.

import { get } from '../api';
import { statusBadge } from '../badge';
import { makeChart } from '../charts';
import { h } from '../dom';
import { count, money, num } from '../format';
import { connectLive } from '../live';
import { scaleLegend } from '../legend';
import { memberMap } from '../map';
import { navBar } from '../nav';
import { OKABE_ITO, SERIES, scoreColour } from '../palette';
import { initialPeriod } from '../period';
import type { Member, SeriesReport, YearReport } from '../protocol';
import { chartWithTable, dataTable, scrollBox } from '../table';
import { labelWithUnit, type SeriesEntry, type SeriesValue, seriesNote, seriesValue, touchesSeries } from './member-series';

const MEASURES: [string, string][] = [
  ['lp_worker', 'Output per worker (2011 US$ at PPP)'],
  ['lp_hour', 'Output per hour worked (2011 US$ at PPP)'],
];
const DEFAULT_MEMBERS = ['JPN', 'KOR', 'SGP', 'VNM', 'IND'];
const FIRST_YEAR = 1990;

/** A year given in the address (`?year=`, `?base_year=`): a whole number the API takes, else null. */
export function yearParam(search: string, name: 'year' | 'base_year'): number | null {
  const raw = new URLSearchParams(search).get(name);
  if (raw === null || !/^\d{4}$/.test(raw.trim())) return null;
  const y = Number(raw);
  return y >= 1950 && y <= 2100 ? y : null;
}

/** The address with the chosen year and base year (the others of its query kept). */
export function withYears(href: string, year: number | null, baseYear: number | null): string {
  const u = new URL(href);
  for (const [k, v] of [['year', year], ['base_year', baseYear]] as const) {
    if (v === null) u.searchParams.delete(k);
    else u.searchParams.set(k, String(v));
  }
  return `${u.pathname}${u.search}${u.hash}`;
}

export function renderProductivity(root: HTMLElement): void {
  document.title = 'APO Dashboard · Productivity';
  const live = connectLive(initialPeriod());
  const measureSel = h('select', { id: 'measure' }, ...MEASURES.map(([v, t]) => h('option', { value: v }, t)));
  const memberBox = h('fieldset', { class: 'member-choice' }, h('legend', {}, 'Members'));
  const lineEl = h('div', { class: 'chart', role: 'img', 'aria-label': 'Labour productivity over time' });
  const lineTable = scrollBox('Labour productivity over time as a table');
  const yearSel = h('select', { id: 'year', 'data-testid': 'year' });
  const baseSel = h('select', { id: 'base-year', 'data-testid': 'base-year' });
  const yearStatus = h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite' });
  const rankHeading = h('h2', { id: 'ranks' }, 'Rank table');
  const cpiHeading = h('h2', {}, 'Composite productivity index and its components');
  const mapHeading = h('h2', {}, 'Map of the 21 members');
  const rankBox = scrollBox('Rank table', { 'data-testid': 'ranks' });
  const cpiEl = h('div', { class: 'chart', role: 'img', 'aria-label': 'Composite productivity index by member' });
  const cpiTable = scrollBox('Composite productivity index as a table');
  const mapBox = h('div', { class: 'map' });
  const mapTable = scrollBox('Map as a table');
  const seriesSel = h('select', { id: 'any-series', 'data-testid': 'any-series' });
  const seriesEl = h('div', { class: 'chart', role: 'img', 'aria-label': 'A series by member', 'data-testid': 'any-series-chart' });
  const seriesTable = scrollBox('The series by member as a table');
  const seriesLabel = h('p', { class: 'series-label', 'data-testid': 'any-series-label' });
  const seriesNoteEl = h('p', { class: 'muted series-note', 'data-testid': 'any-series-note' });
  const main = h(
    'main',
    { class: 'page', 'data-loading': '' },
    h('h2', {}, 'Labour productivity over time'),
    h('div', { class: 'controls' }, h('label', { for: 'measure' }, 'Measure', measureSel)),
    memberBox,
    chartWithTable(lineEl, lineTable),
    h(
      'fieldset',
      { class: 'controls year-choice' },
      h('legend', {}, 'Year of the rank table, composite index and map'),
      h('label', { for: 'year' }, 'Year shown', yearSel),
      h('label', { for: 'base-year' }, 'Index base year (= 100)', baseSel),
      yearStatus,
    ),
    rankHeading,
    rankBox,
    cpiHeading,
    chartWithTable(cpiEl, cpiTable),
    mapHeading,
    h('figure', { class: 'chart-figure' }, mapBox, scaleLegend('index 0', '100', 'no index'), h('details', { class: 'as-table' }, h('summary', {}, 'Show as table'), mapTable)),
    h('h2', {}, 'Any series, for the members chosen above'),
    h('div', { class: 'controls' }, h('label', { for: 'any-series' }, 'Series', seriesSel)),
    chartWithTable(seriesEl, seriesTable),
    seriesLabel,
    seriesNoteEl,
    h(
      'p',
      { class: 'attribution', 'data-testid': 'pwt-attribution' },
      'Source: Penn World Table 9.1. Feenstra, Robert C., Robert Inklaar and Marcel P. Timmer (2015), "The Next Generation of the Penn World Table", American Economic Review, 105(10), 3150–3182, ',
      h('a', { href: 'https://www.ggdc.net/pwt' }, 'www.ggdc.net/pwt'),
      '. Licensed CC BY 4.0. APO member names as used by APO.',
    ),
  );
  root.append(navBar(statusBadge(live), 'Productivity'), main);

  const line = makeChart(lineEl, {
    tooltip: { trigger: 'axis' },
    legend: { top: 0, type: 'scroll' },
    grid: { left: 64, right: 16, top: 40, bottom: 32 },
    xAxis: { type: 'category', data: [] },
    yAxis: { type: 'value', axisLabel: { formatter: (v: number) => new Intl.NumberFormat(undefined, { notation: 'compact' }).format(v) } },
    series: [],
  });
  const cpiChart = makeChart(cpiEl, {
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 40, right: 16, top: 40, bottom: 48 },
    xAxis: { type: 'category', data: [], axisLabel: { interval: 0, rotate: 45 } },
    yAxis: { type: 'value', min: 0, max: 100 },
    series: [{ name: 'Composite index', type: 'bar', itemStyle: { color: OKABE_ITO.blue }, data: [] }],
  });

  const seriesChart = makeChart(seriesEl, {
    tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => seriesValue(typeof v === 'number' ? v : null) },
    // Type a projector's back row reads.
    legend: { top: 0, type: 'scroll', textStyle: { fontSize: 14 } },
    grid: { left: 64, right: 16, top: 60, bottom: 32 },
    xAxis: { type: 'category', data: [], axisLabel: { fontSize: 14 } },
    yAxis: { type: 'value', scale: true, nameTextStyle: { fontSize: 14, align: 'left' }, axisLabel: { fontSize: 14, formatter: (v: number) => new Intl.NumberFormat(undefined, { notation: 'compact' }).format(v) } },
    series: [],
  });

  const chosen = new Set(DEFAULT_MEMBERS);
  let names = new Map<string, string>();
  let memberList: Member[] = [];
  /** The year report's query: what the address asks for (the server's defaults otherwise). */
  const reportQuery = (year: number | null, base: number | null) => {
    const q = new URLSearchParams();
    if (year !== null) q.set('year', String(year));
    if (base !== null) q.set('base_year', String(base));
    const s = q.toString();
    return `/productivity${s ? `?${s}` : ''}`;
  };
  const asked = { year: yearParam(location.search, 'year'), base: yearParam(location.search, 'base_year') };

  Promise.all([
    get<Member[]>('/members'),
    get<YearReport>(reportQuery(asked.year, asked.base)),
    get<SeriesReport>('/productivity/series?iso3=APO21&measure=lp_worker').catch(() => null),
  ])
    .then(([members, report, apo21]) => {
      memberList = members;
      names = new Map(members.map((m) => [m.iso3, m.name]));
      // The years offered: those with an APO21 level, from the line chart's first; and the ones shown.
      const years = new Set((apo21?.points ?? []).filter((p) => p.value != null && p.year >= FIRST_YEAR).map((p) => p.year));
      years.add(report.year);
      years.add(report.base_year);
      const list = [...years].sort((a, b) => b - a);
      yearSel.replaceChildren(...list.map((y) => h('option', { value: String(y) }, String(y))));
      baseSel.replaceChildren(...list.map((y) => h('option', { value: String(y) }, String(y))));
      yearSel.value = String(report.year);
      baseSel.value = String(report.base_year);
      for (const m of members) {
        const cb = h('input', { type: 'checkbox', value: m.iso3, checked: chosen.has(m.iso3) });
        cb.addEventListener('change', () => {
          if (cb.checked) chosen.add(m.iso3);
          else chosen.delete(m.iso3);
          drawLines();
          void drawSeries();
        });
        memberBox.append(h('label', { class: 'check' }, cb, ` ${m.iso3}`));
      }
      drawYear(report, members);
      void loadCatalogue();
      return drawLines();
    })
    .catch((e) => main.prepend(h('p', { class: 'form-status err' }, `Could not load productivity data: ${String(e)}`)))
    .finally(() => main.removeAttribute('data-loading'));
  measureSel.addEventListener('change', () => void drawLines());
  seriesSel.addEventListener('change', () => void drawSeries());
  live.subscribe((_doc, change) => {
    if (memberList.length && touchesSeries(change, null)) void loadCatalogue();
  });

  // A new year or base year: into the address (a reload shows the same), then the year's report.
  let yearSeq = 0;
  const chooseYears = () => {
    const year = Number(yearSel.value);
    const base = Number(baseSel.value);
    history.replaceState(history.state, '', withYears(location.href, year, base));
    const seq = ++yearSeq;
    yearStatus.className = 'form-status';
    yearStatus.textContent = `Loading ${year}…`;
    get<YearReport>(reportQuery(year, base))
      .then((r) => {
        if (seq !== yearSeq) return;
        yearStatus.textContent = '';
        drawYear(r, memberList);
      })
      .catch((e) => {
        if (seq !== yearSeq) return;
        yearStatus.className = 'form-status err';
        yearStatus.textContent = `Could not load ${year}: ${String(e)}`;
      });
  };
  yearSel.addEventListener('change', chooseYears);
  baseSel.addEventListener('change', chooseYears);

  let drawSeq = 0;
  async function drawLines(): Promise<void> {
    const seq = ++drawSeq;
    const measure = measureSel.value;
    const codes = [...chosen].sort();
    const reports = await Promise.all(['APO21', ...codes].map((c) => get<SeriesReport>(`/productivity/series?iso3=${c}&measure=${measure}`).catch(() => null)));
    if (seq !== drawSeq) return;
    const years = new Set<number>();
    for (const r of reports) for (const p of r?.points ?? []) if (p.year >= FIRST_YEAR) years.add(p.year);
    const xs = [...years].sort((a, b) => a - b);
    const series = reports.map((r, i) => {
      const code = i === 0 ? 'APO21' : (codes[i - 1] as string);
      const byYear = new Map((r?.points ?? []).map((p) => [p.year, p.value]));
      return {
        name: code === 'APO21' ? 'APO21' : `${names.get(code) ?? code}`,
        type: 'line',
        showSymbol: false,
        connectNulls: false,
        lineStyle: code === 'APO21' ? { width: 3, type: 'dashed', color: '#000' } : { width: 2 },
        itemStyle: code === 'APO21' ? { color: '#000' } : { color: SERIES[(i - 1) % SERIES.length] },
        data: xs.map((y) => byYear.get(y) ?? null),
      };
    });
    line.setOption({ xAxis: { data: xs.map(String) }, series }, { replaceMerge: ['series'] });
    const label = MEASURES.find(([v]) => v === measure)?.[1] ?? measure;
    lineTable.replaceChildren(
      dataTable(
        label,
        ['Year', ...series.map((s) => s.name)],
        xs.map((y, i) => [String(y), ...series.map((s) => money(s.data[i] ?? null))]),
      ),
    );
  }

  function drawYear(r: YearReport, members: Member[]): void {
    rankHeading.textContent = `Rank table, ${r.year}`;
    cpiHeading.textContent = `Composite productivity index and its components, ${r.year}`;
    mapHeading.textContent = `Map of the 21 members, ${r.year}`;
    rankBox.dataset.year = String(r.year);
    rankBox.dataset.baseYear = String(r.base_year);
    const rows = Object.entries(r.members).sort((a, b) => (a[1].rank_lp_worker ?? 99) - (b[1].rank_lp_worker ?? 99));
    rankBox.replaceChildren(
      dataTable(
        `Members ranked by output per worker, ${r.year} (APO21: ${money(r.apo21.lp_worker)} per worker over ${count(r.apo21.members)} members)`,
        ['Rank', 'Member', 'Per worker', 'Per hour', 'Growth % (log)', `Index (${r.base_year} = 100)`, 'TFP growth %', 'Composite index'],
        rows.map(([iso3, m]) => [count(m.rank_lp_worker), `${m.name} (${iso3})`, money(m.lp_worker), money(m.lp_hour), num(m.lp_growth, 1), num(m.lp_index, 1), num(m.tfp_growth, 1), num(m.cpi.value, 1)]),
        { numericFrom: 2 },
      ),
    );
    const byCpi = Object.entries(r.members).sort((a, b) => (b[1].cpi.value ?? -1) - (a[1].cpi.value ?? -1));
    cpiChart.setOption({ xAxis: { data: byCpi.map(([c]) => c) }, series: [{ data: byCpi.map(([, m]) => (m.cpi.value == null ? null : Math.round(m.cpi.value * 10) / 10)) }] });
    cpiTable.replaceChildren(
      dataTable(
        `Composite productivity index ${r.year} (0–100) and its components (0–1)`,
        ['Member', 'Index', 'Level', 'Growth', 'Human capital', 'TFP', 'Components'],
        byCpi.map(([iso3, m]) => [
          `${m.name} (${iso3})`,
          m.cpi.value == null ? '–' : `${num(m.cpi.value, 1)}${m.cpi.partial ? ' (partial)' : ''}`,
          num(m.cpi.components.level, 2),
          num(m.cpi.components.growth, 2),
          num(m.cpi.components.human_capital, 2),
          num(m.cpi.components.tfp, 2),
          `${count(m.cpi.available)} of 4`,
        ]),
      ),
    );
    const isoNum = new Map(members.map((m) => [m.iso3, m.iso_num]));
    const data = Object.entries(r.members).map(([iso3, m]) => {
      const v = m.cpi.value;
      return { isoNum: isoNum.get(iso3) ?? '', label: iso3, colour: scoreColour(v == null ? null : v / 100).bg, title: `${m.name}: composite index ${num(v, 1)}` };
    });
    mapBox.replaceChildren(memberMap(data, `Composite productivity index ${r.year} of the 21 members; darker is higher`));
    mapTable.replaceChildren(dataTable(`Composite productivity index ${r.year}`, ['Member', 'Index'], byCpi.map(([iso3, m]) => [`${m.name} (${iso3})`, num(m.cpi.value, 1)])));
  }

  // Any catalogued series, for the chosen members: the catalogue fills the selector (series
  // with values first, in name order); the chosen series is fetched for all members at once.
  let catalogue: SeriesEntry[] = [];
  let seriesSeq = 0;
  async function loadCatalogue(): Promise<void> {
    const seq = ++seriesSeq;
    const listed = await get<SeriesEntry[]>('/series/catalogue').catch(() => null);
    if (seq !== seriesSeq || listed === null) return;
    catalogue = [...listed.filter((e) => e.values > 0), ...listed.filter((e) => e.values === 0)];
    const before = seriesSel.value || 'rgdpo';
    seriesSel.replaceChildren(
      ...catalogue.map((e) => h('option', { value: e.series, disabled: e.values === 0 }, `${e.label}${e.pwt ? '' : ` (${e.series})`}${e.values === 0 ? ' — no values yet' : ''}`)),
    );
    seriesSel.value = catalogue.some((e) => e.series === before && e.values > 0) ? before : (catalogue[0]?.series ?? '');
    await drawSeries(seq);
  }

  async function drawSeries(seq = ++seriesSeq): Promise<void> {
    const entry = catalogue.find((e) => e.series === seriesSel.value);
    if (!entry) return;
    const points = await get<SeriesValue[]>(`/series?series=${encodeURIComponent(entry.series)}`).catch(() => [] as SeriesValue[]);
    if (seq !== seriesSeq) return;
    const codes = [...chosen].sort();
    const shown = points.filter((p) => chosen.has(p.iso3));
    const years = [...new Set(shown.map((p) => p.year))].sort((a, b) => a - b);
    const xs = years.length ? Array.from({ length: (years.at(-1) ?? 0) - (years[0] ?? 0) + 1 }, (_, i) => (years[0] ?? 0) + i) : [];
    const byMember = new Map(codes.map((c) => [c, new Map<number, number>()]));
    for (const p of shown) byMember.get(p.iso3)?.set(p.year, p.value);
    // Only the members with values get a line (and a legend entry): on a phone the legend
    // scrolls, and entries without a line pushed the one that has it out of sight. Colours
    // stay those of each member's place among the chosen.
    const lines = codes
      .map((c, i) => ({ c, i }))
      .filter(({ c }) => byMember.get(c)?.size)
      .map(({ c, i }) => ({
        name: names.get(c) ?? c,
        type: 'line',
        showSymbol: xs.length < 30,
        connectNulls: false,
        lineStyle: { width: 2 },
        itemStyle: { color: SERIES[i % SERIES.length] },
        data: xs.map((y) => byMember.get(c)?.get(y) ?? null),
      }));
    seriesChart.setOption({ xAxis: { data: xs.map(String) }, yAxis: { name: entry.unit }, series: lines }, { replaceMerge: ['series'] });
    seriesEl.setAttribute('aria-label', `${labelWithUnit(entry)} for ${codes.join(', ') || 'no members'}`);
    seriesLabel.textContent = labelWithUnit(entry);
    const without = codes.filter((c) => !byMember.get(c)?.size);
    seriesNoteEl.textContent = `${seriesNote(entry)}${without.length ? ` No values for ${without.join(', ')}.` : ''}`;
    seriesEl.dataset.series = entry.series;
    seriesTable.replaceChildren(
      dataTable(
        labelWithUnit(entry),
        ['Year', ...lines.map((l) => l.name)],
        xs.map((y, i) => [String(y), ...lines.map((l) => seriesValue(l.data[i] ?? null))]),
      ),
    );
  }
}

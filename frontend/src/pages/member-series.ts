// The member page's panel of the member's own series: the national indexes it imported beside
// Penn World Table (which the productivity page draws). A selector of its series, a line chart
// of the chosen one over the years, and under it what the series is: its label, unit and
// source, from the series catalogue. Loaded from REST (`/series/catalogue?iso3=`, `/series`),
// and again when a live patch carries a change of one of the member's series or of a catalogue
// entry.

import { get } from '../api';
import { makeChart } from '../charts';
import { h, setText } from '../dom';
import type { Live } from '../live';
import { OKABE_ITO } from '../palette';
import { chartWithTable, dataTable, scrollBox } from '../table';

/**
 * A series as `GET /series/catalogue` lists it (the server's `SeriesEntry`). Written out here
 * until the generated types (src/generated/api.ts) include it; then `Schemas['SeriesEntry']`.
 */
export interface SeriesEntry {
  series: string;
  label: string;
  unit: string;
  source: string;
  catalogued: boolean;
  /** A Penn World Table series, which the productivity measures read. */
  pwt: boolean;
  values: number;
  first_year?: number | null;
  last_year?: number | null;
  members: { iso3: string; values: number; first_year: number; last_year: number }[];
}

/** One value of a series (the server's `SeriesPoint`). */
export interface SeriesValue {
  iso3: string;
  series: string;
  year: number;
  value: number;
}

/** "Labour productivity, agriculture (index, 2019 = 100)": a series' label with its unit. */
export function labelWithUnit(e: Pick<SeriesEntry, 'label' | 'unit'>): string {
  return e.unit ? `${e.label} (${e.unit})` : e.label;
}

/** What is said under a series' chart: its unit and source, and the years it covers. */
export function seriesNote(e: SeriesEntry): string {
  const parts = [e.unit ? `Unit: ${e.unit}.` : 'No unit given.', e.source ? `Source: ${e.source}.` : 'No source given.'];
  if (e.first_year != null && e.last_year != null) parts.push(`${e.values} values, ${e.first_year}–${e.last_year}.`);
  return parts.join(' ');
}

/** A value as read in a table or a tooltip: up to 4 significant digits after the point, grouped. */
export function seriesValue(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return '–';
  return new Intl.NumberFormat(undefined, { maximumFractionDigits: Math.abs(v) >= 1000 ? 0 : Math.abs(v) >= 10 ? 2 : 4 }).format(v);
}

/** Whether a live change touches `iso3`'s series or any catalogue entry (or is a snapshot). */
export function touchesSeries(change: { kind: string; events: readonly { entity: string; key: string }[] }, iso3: string | null): boolean {
  if (change.kind === 'snapshot') return true;
  return change.events.some((e) => e.entity === 'series_info' || (e.entity === 'series' && (iso3 === null || e.key.startsWith(`${iso3}/`))));
}

/** The panel of `iso3`'s own series, for the member page. */
export function memberSeries(iso3: string, live: Live): HTMLElement {
  const select = h('select', { id: 'member-series', 'data-testid': 'member-series-select' });
  const chartEl = h('div', { class: 'chart', role: 'img', 'aria-label': `National series of ${iso3}`, 'data-testid': 'member-series-chart' });
  const caption = h('p', { class: 'series-label', 'data-testid': 'member-series-label' });
  const note = h('p', { class: 'muted series-note', 'data-testid': 'member-series-note' });
  const table = scrollBox('The series as a table');
  const status = h('p', { class: 'muted', role: 'status' }, 'Loading…');
  const body = h('div', { hidden: true }, h('div', { class: 'controls' }, h('label', { for: 'member-series' }, 'Series', select)), chartWithTable(chartEl, table), caption, note);
  const section = h(
    'section',
    { class: 'member-series', 'data-testid': 'member-series', 'data-loading': '' },
    h('h2', {}, 'National series'),
    h('p', { class: 'muted' }, 'The member’s own indexes, imported beside Penn World Table (whose series the Productivity page draws).'),
    status,
    body,
  );

  const chart = makeChart(chartEl, {
    tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => seriesValue(typeof v === 'number' ? v : null) },
    grid: { left: 64, right: 24, top: 24, bottom: 40 },
    xAxis: { type: 'category', data: [], axisLabel: { fontSize: 14 } },
    yAxis: { type: 'value', scale: true, axisLabel: { fontSize: 14, formatter: (v: number) => new Intl.NumberFormat(undefined, { notation: 'compact' }).format(v) } },
    series: [{ name: '', type: 'line', showSymbol: true, symbolSize: 7, connectNulls: false, lineStyle: { width: 3 }, itemStyle: { color: OKABE_ITO.blue }, data: [] }],
  });

  let entries: SeriesEntry[] = [];
  let seq = 0;
  /** Loads the member's series and draws the chosen one (the first, or the one chosen before if it is still there). */
  const load = async (): Promise<void> => {
    const mine = ++seq;
    const listed = await get<SeriesEntry[]>(`/series/catalogue?iso3=${iso3}`);
    if (mine !== seq) return;
    entries = listed.filter((e) => !e.pwt);
    const before = select.value;
    select.replaceChildren(...entries.map((e) => h('option', { value: e.series }, e.label)));
    section.removeAttribute('data-loading');
    if (!entries.length) {
      body.hidden = true;
      setText(status, 'No national series yet: a series file with this member’s own indexes adds them here.', false);
      status.hidden = false;
      return;
    }
    status.hidden = true;
    body.hidden = false;
    select.value = entries.some((e) => e.series === before) ? before : (entries[0]?.series ?? '');
    await draw(mine);
  };
  const draw = async (mine: number): Promise<void> => {
    const entry = entries.find((e) => e.series === select.value);
    if (!entry) return;
    const points = await get<SeriesValue[]>(`/series?iso3=${iso3}&series=${encodeURIComponent(entry.series)}`);
    if (mine !== seq) return;
    const byYear = new Map(points.map((p) => [p.year, p.value]));
    const first = Math.min(...byYear.keys());
    const last = Math.max(...byYear.keys());
    // Every year from the first to the last, so that a missing year is a gap, not a shorter step.
    const years = Number.isFinite(first) ? Array.from({ length: last - first + 1 }, (_, i) => first + i) : [];
    chart.setOption({
      xAxis: { data: years.map(String) },
      yAxis: { name: entry.unit, nameTextStyle: { fontSize: 14, align: 'left' } },
      series: [{ name: entry.label, data: years.map((y) => byYear.get(y) ?? null) }],
    });
    chartEl.setAttribute('aria-label', `${labelWithUnit(entry)} of ${iso3}, ${years.length ? `${first} to ${last}` : 'no values'}`);
    setText(caption, labelWithUnit(entry), false);
    setText(note, seriesNote(entry), false);
    section.dataset.series = entry.series;
    section.dataset.values = points.map((p) => `${p.year}:${p.value}`).join(' ');
    table.replaceChildren(dataTable(labelWithUnit(entry), ['Year', 'Value'], points.map((p) => [String(p.year), seriesValue(p.value)])));
  };
  const fail = (e: unknown) => {
    section.removeAttribute('data-loading');
    status.hidden = false;
    status.className = 'form-status err';
    setText(status, `Could not load the national series: ${String(e)}`, false);
  };
  select.addEventListener('change', () => void draw(++seq).catch(fail));
  void load().catch(fail);
  live.subscribe((_doc, change) => {
    if (touchesSeries(change, iso3)) void load().catch(fail);
  });
  return section;
}

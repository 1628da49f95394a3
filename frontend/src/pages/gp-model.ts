// What the GP 2.0 views (/gp and the wall's panel) say about the mapping, apart from drawing it:
// the member × theme matrix, the shading of a count, the outcome totals with the coverage they
// rest on, the filters of GET /gp/mapping (kept in the address), and which live events concern
// the views. Pure, so tested in test/gp.test.ts without a browser.

import { count, num, plural } from '../format';
import type { components } from '../generated/api';
import { RAMP, WALL_RAMP } from '../palette';

type Schemas = components['schemas'];

// The server's schemas (generated/api.ts).
export type GpTheme = Schemas['GpTheme'];
export type GpOutcome = Schemas['GpOutcome'];
export type GpInitiative = Schemas['GpInitiative'];
export type GpTotal = Schemas['GpTotal'];
export type GpMapping = Schemas['GpMapping'];
export type GpType = Schemas['InitiativeType'];
export type GpStatus = Schemas['InitiativeStatus'];
export type OutcomeMetric = Schemas['OutcomeMetric'];

export const TYPE_LABEL: Record<GpType, string> = {
  demonstration_project: 'Demonstration project',
  training: 'Training',
  specialist_certification: 'Specialist certification',
  policy_or_standard: 'Policy or standard',
  database: 'Database',
};

export const STATUS_LABEL: Record<GpStatus, string> = {
  planned: 'Planned',
  ongoing: 'Ongoing',
  completed: 'Completed',
  cancelled: 'Cancelled',
};

/** The outcome metrics, as read (the unit is the server's). */
export const METRIC_LABEL: Record<OutcomeMetric, string> = {
  companies_reached: 'Companies reached',
  specialists_certified: 'Specialists certified',
  people_trained: 'People trained',
  energy_saved: 'Energy saved',
  emissions_avoided: 'Emissions avoided',
  water_saved: 'Water saved',
};

/** Metrics whose values are whole things (companies, people): shown without decimals. */
const WHOLE = new Set(['companies_reached', 'specialists_certified', 'people_trained']);

/** An id as words when no label is known: "food_processing" → "Food processing". */
export function humanize(id: string): string {
  const s = id.replace(/[_-]+/g, ' ').trim();
  return s ? s[0]!.toUpperCase() + s.slice(1) : id;
}

export function metricLabel(metric: string): string {
  return METRIC_LABEL[metric as OutcomeMetric] ?? humanize(metric);
}

/** A value with its unit: "1,234.5 MWh", "12 companies". */
export function valueText(metric: string, value: number, unit: string): string {
  const v = WHOLE.has(metric) ? count(value) : num(value, 1);
  return unit ? `${v} ${unit}` : v;
}

/** What a total rests on: "from 7 initiatives in 5 of 21 members". */
export function coverageText(t: Pick<GpTotal, 'initiatives' | 'members'>, membersTotal: number): string {
  return `from ${plural(t.initiatives, 'initiative')} in ${count(t.members)} of ${count(membersTotal)} members`;
}

/** The same, in the few words a wall box holds: "from 25 initiatives, 17 members". */
export function wallCoverText(t: Pick<GpTotal, 'initiatives' | 'members'>): string {
  return `from ${plural(t.initiatives, 'initiative')}, ${plural(t.members, 'member')}`;
}

/** "14 of 21 members have initiatives" (with the filters' words when some are set). */
export function membersText(m: Pick<GpMapping, 'members_with_initiatives' | 'members_total'>, filtered: boolean): string {
  const n = m.members_with_initiatives;
  const has = n === 1 ? 'has' : 'have';
  return `${count(n)} of ${count(m.members_total)} members ${has} ${filtered ? 'initiatives of this kind' : 'GP 2.0 initiatives'}`;
}

/** The filters of the views; each empty one is "any". */
export interface GpFilters {
  theme: string;
  type: string;
}

const THEME_ID = /^[a-z][a-z0-9_]{1,40}$/;

export function filtersFrom(search: string): GpFilters {
  const q = new URLSearchParams(search);
  const theme = q.get('theme') ?? '';
  const type = q.get('type') ?? '';
  return { theme: THEME_ID.test(theme) ? theme : '', type: type in TYPE_LABEL ? type : '' };
}

/** The query of GET /gp/mapping (and of the page's address): "" when no filter is set. */
export function filtersQuery(f: GpFilters, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(extra)) if (v) q.set(k, v);
  if (f.theme) q.set('theme', f.theme);
  if (f.type) q.set('type', f.type);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The member's initiatives (of a theme, when given) under the page's filters: the query of GET /gp/initiatives. */
export function listQuery(f: GpFilters, iso3: string, theme: string | null): string {
  return filtersQuery({ theme: theme ?? f.theme, type: f.type }, { iso3 });
}

export interface MemberName {
  iso3: string;
  name: string;
}

export interface MatrixCell {
  theme: string;
  count: number;
}

export interface MatrixRow {
  iso3: string;
  name: string;
  /** Initiatives of the member under the filters (an initiative has one theme). */
  total: number;
  cells: MatrixCell[];
}

export interface Matrix {
  themes: GpTheme[];
  rows: MatrixRow[];
  /** The largest cell, for the shading (at least 1). */
  maxCell: number;
  /** The largest member total, for the map's shading (at least 1). */
  maxTotal: number;
}

/**
 * The member × theme matrix: a row per member (all of them, by name, so a row does not move
 * when its counts change), a column per theme (only the chosen one when the theme filter is
 * set), the counts of the mapping (0 where it has none).
 */
export function matrixOf(mapping: GpMapping, members: readonly MemberName[], f: GpFilters): Matrix {
  const themes = f.theme ? mapping.themes.filter((t) => t.id === f.theme) : mapping.themes;
  const list = members.length ? [...members] : Object.keys(mapping.members).map((iso3) => ({ iso3, name: iso3 }));
  list.sort((a, b) => a.name.localeCompare(b.name, 'en'));
  const rows = list.map(({ iso3, name }) => {
    const m = mapping.members[iso3];
    const cells = themes.map((t) => ({ theme: t.id, count: m?.themes?.[t.id] ?? 0 }));
    const total = m?.initiatives ?? 0;
    return { iso3, name, total, cells };
  });
  const maxCell = Math.max(1, ...rows.flatMap((r) => r.cells.map((c) => c.count)));
  const maxTotal = Math.max(1, ...rows.map((r) => r.total));
  return { themes, rows, maxCell, maxTotal };
}

/** The matrix as counts by key (`VNM/energy_efficiency`, `VNM/*` for the member's total), to find what a change changed. */
export function cellCounts(m: Matrix): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of m.rows) {
    out.set(`${r.iso3}/*`, r.total);
    for (const c of r.cells) out.set(`${r.iso3}/${c.theme}`, c.count);
  }
  return out;
}

/** The keys whose count differs between two matrices (a key new to `after` counts as changed; none before the first). */
export function changedKeys(before: ReadonlyMap<string, number> | null, after: ReadonlyMap<string, number>): Set<string> {
  const out = new Set<string>();
  if (!before) return out;
  for (const [k, v] of after) if (before.get(k) !== v) out.add(k);
  return out;
}

/** The fill of "no initiative recorded": white, which neither the ramp nor the map's other countries use. */
export const NONE = { bg: '#ffffff', fg: '#000000' } as const;

/**
 * The shade of a count on the dashboard's sequential scale (palette.ts RAMP, light → dark), from
 * its second step (the first is too close to white on a light page) up to the largest count;
 * none is white.
 */
export function countColour(n: number, max: number): { bg: string; fg: string } {
  if (!(n > 0)) return { ...NONE };
  const top = RAMP.length - 1;
  const i = max <= 1 ? 3 : Math.min(top, 1 + Math.round(((Math.min(n, max) - 1) / (max - 1)) * (top - 1)));
  // Black on the light half, white from the seventh step (white on the sixth is 4.1:1, black 5.1:1).
  return { bg: RAMP[i] as string, fg: i < 6 ? '#000000' : '#ffffff' };
}

/** The wall's shade of a count (palette.ts WALL_RAMP: every step carries black type on the dark page); none is the page's dark cell. */
export const WALL_NONE = { bg: '#1c2129', fg: '#dfe4ea' } as const;
export function wallCountColour(n: number, max: number): { bg: string; fg: string } {
  if (!(n > 0)) return { ...WALL_NONE };
  const top = WALL_RAMP.length - 1;
  const i = max <= 1 ? 4 : Math.min(top, Math.round(((Math.min(n, max) - 1) / (max - 1)) * top));
  return { bg: WALL_RAMP[i] as string, fg: '#000000' };
}

/** The counts the legend shows: every one up to 6, else six from 1 to the largest. */
export function legendSteps(max: number): number[] {
  const top = Math.max(1, Math.floor(max));
  if (top <= 6) return Array.from({ length: top }, (_, i) => i + 1);
  const out = new Set<number>();
  for (let i = 0; i < 6; i++) out.add(Math.round(1 + (i * (top - 1)) / 5));
  return [...out];
}

/** Whether a live change concerns the GP views: a snapshot, or an event for an initiative or a theme. */
export function touchesGp(change: { kind: string; events: readonly { entity: string }[] }): { initiatives: boolean; themes: boolean } {
  if (change.kind === 'snapshot') return { initiatives: true, themes: true };
  return {
    initiatives: change.events.some((e) => e.entity === 'gp_initiative'),
    themes: change.events.some((e) => e.entity === 'gp_theme'),
  };
}

/** "2026–2027", or "2026" for one year. */
export function yearsText(start: number, end: number): string {
  return start === end ? String(start) : `${start}–${end}`;
}

/** An initiative's outcomes, by metric over its years: "Energy saved 340.5 MWh (2026)". */
export function outcomesText(i: Pick<GpInitiative, 'outcomes'>): string[] {
  return (i.outcomes ?? []).map((o) => `${metricLabel(o.metric)} ${valueText(o.metric, o.value, o.unit)} (${o.year})`);
}

/** The heading of the initiatives list: "Initiatives of Viet Nam", "… in Energy efficiency". */
export function listHeading(name: string, themeLabel: string | null): string {
  return themeLabel ? `Initiatives of ${name} in ${themeLabel}` : `Initiatives of ${name}`;
}

/** The headline totals of the wall: the metrics with the most coverage first, then by order of the list. */
export function headlineTotals(totals: readonly GpTotal[], n: number): GpTotal[] {
  const order = Object.keys(METRIC_LABEL);
  return totals
    .filter((t) => t.initiatives > 0)
    .sort((a, b) => b.members - a.members || b.initiatives - a.initiatives || order.indexOf(a.metric) - order.indexOf(b.metric))
    .slice(0, n);
}

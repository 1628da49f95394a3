// What the GP 2.0 initiative form knows apart from drawing itself (issue 23 §2): the draft as
// typed (every box is text), the checks made as the editor types (end year not before the start,
// an outcome's year within the initiative's years and not after this year, one outcome per
// metric and year, values 0 or more), the body of PUT /gp/initiatives/{id}, the id proposed for
// a new initiative (member + title as a slug, made unique), and where a server's field path
// (`outcomes[2].value`) is shown: outcome rows left blank are not sent, so the server's index
// is the index among the rows sent, not among the rows shown. Pure: test/gp-form.test.ts.

import type { components } from '../generated/api';
import { type GpInitiative, type GpStatus, type GpType, METRIC_LABEL, type OutcomeMetric, STATUS_LABEL, TYPE_LABEL } from './gp-model';
import type { Sector } from './trainings-model';

export type GpInitiativeInput = components['schemas']['GpInitiativeInput'];

/** Each metric's unit, as the server fixes it (src/model/gp.rs `OutcomeMetric::unit`). */
export const METRIC_UNIT: Record<OutcomeMetric, string> = {
  companies_reached: 'companies',
  specialists_certified: 'specialists',
  people_trained: 'people',
  energy_saved: 'MWh',
  emissions_avoided: 'tCO2e',
  water_saved: 'm³',
};

/** Units a metric's name says already ("Companies reached": companies). */
const NAMED_UNIT = new Set<OutcomeMetric>(['companies_reached', 'specialists_certified', 'people_trained']);
/** The metrics in the server's order as the form's choices say them: "Energy saved (MWh)", "Companies reached". */
export const METRICS = (Object.keys(METRIC_LABEL) as OutcomeMetric[]).map((m) => [m, NAMED_UNIT.has(m) ? METRIC_LABEL[m] : `${METRIC_LABEL[m]} (${METRIC_UNIT[m]})`] as const);
export const TYPES = Object.entries(TYPE_LABEL) as [GpType, string][];
export const STATUSES = Object.entries(STATUS_LABEL) as [GpStatus, string][];

export const FIRST_YEAR = 2000;
export const LAST_YEAR = 2035;
export const ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;

export interface Problem {
  field: string;
  message: string;
}

export interface OutcomeDraft {
  metric: string;
  year: string;
  value: string;
}

/** What the form holds, as typed. */
export interface GpDraft {
  id: string;
  iso3: string;
  title: string;
  theme: string;
  type: string;
  sector: string;
  start_year: string;
  end_year: string;
  status: string;
  outcomes: OutcomeDraft[];
}

const blank = (o: OutcomeDraft) => !o.metric && !o.year.trim() && !o.value.trim();

/** A year typed in a box (NaN when it is not four digits). */
export function readYear(raw: string): number {
  const t = raw.trim();
  return /^\d{4}$/.test(t) ? Number(t) : NaN;
}

/** A value typed in a box: "1,234.5" and "340,5" read as numbers (NaN when not one). */
export function readValue(raw: string): number {
  let t = raw.trim().replace(/\s/g, '');
  if (t === '') return NaN;
  // One comma and no point: a decimal comma (340,5); otherwise commas group thousands.
  t = /^-?\d+,\d{1,2}$/.test(t) ? t.replace(',', '.') : t.replace(/,/g, '');
  return /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) ? Number(t) : NaN;
}

/**
 * The outcome rows' problems, by the row shown (`outcomes[i].year` with i the row's index on
 * the screen), from the years typed: what the form says as the editor types.
 */
export function outcomeProblems(rows: readonly OutcomeDraft[], start: number, end: number, thisYear: number): Problem[] {
  const out: Problem[] = [];
  const seen = new Map<string, number>();
  rows.forEach((o, i) => {
    if (blank(o)) return;
    const at = (f: string) => `outcomes[${i}].${f}`;
    if (!(o.metric in METRIC_UNIT)) out.push({ field: at('metric'), message: 'choose what was measured' });
    const y = readYear(o.year);
    if (o.year.trim() === '') out.push({ field: at('year'), message: 'the year it was reached' });
    else if (!Number.isFinite(y)) out.push({ field: at('year'), message: `“${o.year.trim()}” is not a year: four digits, such as ${thisYear}` });
    else if (Number.isFinite(start) && Number.isFinite(end) && (y < start || y > end)) out.push({ field: at('year'), message: `${y} is outside the initiative’s years ${start === end ? start : `${start}–${end}`}` });
    else if (y > thisYear) out.push({ field: at('year'), message: `${y} is in the future: an outcome is recorded once reached (this is ${thisYear})` });
    const v = readValue(o.value);
    if (o.value.trim() === '') out.push({ field: at('value'), message: 'the value reached' });
    else if (!Number.isFinite(v)) out.push({ field: at('value'), message: `“${o.value.trim()}” is not a number: type digits, such as 340.5` });
    else if (v < 0) out.push({ field: at('value'), message: 'a value is 0 or more' });
    if (o.metric in METRIC_UNIT && Number.isFinite(y)) {
      const key = `${o.metric}/${y}`;
      const first = seen.get(key);
      if (first !== undefined) out.push({ field: at('metric'), message: `${METRIC_LABEL[o.metric as OutcomeMetric]} in ${y} is already on row ${first + 1}: one row per metric and year` });
      else seen.set(key, i);
    }
  });
  return out;
}

/**
 * The body the draft describes, what is wrong with it before anything is sent, and `rows`: for
 * each outcome sent, the row it came from (blank rows are left out).
 */
export function readGpDraft(d: GpDraft, themes: readonly string[], thisYear: number): { body: GpInitiativeInput; problems: Problem[]; rows: number[] } {
  const problems: Problem[] = [];
  const start = readYear(d.start_year);
  const end = readYear(d.end_year);
  const rows: number[] = [];
  const outcomes: GpInitiativeInput['outcomes'] = [];
  d.outcomes.forEach((o, i) => {
    if (blank(o)) return;
    rows.push(i);
    outcomes.push({ metric: o.metric as OutcomeMetric, year: readYear(o.year), value: readValue(o.value) });
  });
  const body: GpInitiativeInput = {
    id: d.id.trim(),
    iso3: d.iso3.trim().toUpperCase(),
    title: d.title.trim().replace(/\s+/g, ' '),
    theme: d.theme,
    type: d.type as GpType,
    sector: d.sector as Sector,
    start_year: start,
    end_year: end,
    status: d.status as GpStatus,
    outcomes,
  };
  if (!ID_PATTERN.test(body.id)) problems.push({ field: 'id', message: 'lower-case letters, digits and dashes, as vnm-gp-food-smes' });
  if (!/^[A-Z]{3}$/.test(body.iso3)) problems.push({ field: 'iso3', message: 'choose the member' });
  if (!body.title) problems.push({ field: 'title', message: 'the initiative needs a title' });
  if (!themes.includes(body.theme)) problems.push({ field: 'theme', message: 'choose a theme' });
  if (!(body.type in TYPE_LABEL)) problems.push({ field: 'type', message: 'choose a type' });
  if (!body.sector) problems.push({ field: 'sector', message: 'choose a sector' });
  if (!(body.status in STATUS_LABEL)) problems.push({ field: 'status', message: 'choose a status' });
  problems.push(...yearProblems(d.start_year, d.end_year));
  problems.push(...outcomeProblems(d.outcomes, start, end, thisYear));
  return { body, problems, rows };
}

/** The start and end years' problems (also said as they are typed). */
export function yearProblems(startRaw: string, endRaw: string): Problem[] {
  const out: Problem[] = [];
  const years = [
    ['start_year', startRaw, 'first'],
    ['end_year', endRaw, 'last'],
  ] as const;
  for (const [field, raw, which] of years) {
    const y = readYear(raw);
    if (raw.trim() === '') out.push({ field, message: `the ${which} year is needed` });
    else if (!Number.isFinite(y)) out.push({ field, message: `“${raw.trim()}” is not a year: four digits, such as 2026` });
    else if (y < FIRST_YEAR || y > LAST_YEAR) out.push({ field, message: `a year from ${FIRST_YEAR} to ${LAST_YEAR}` });
  }
  const s = readYear(startRaw);
  const e = readYear(endRaw);
  if (Number.isFinite(s) && Number.isFinite(e) && e < s) out.push({ field: 'end_year', message: `the initiative ends (${e}) before it starts (${s})` });
  return out;
}

/**
 * Where a server's field path is shown: an outcome's index is among the outcomes sent, turned
 * into the row's on the screen (`outcomes[1].value` → `outcomes[3].value` when rows 1 and 2 were
 * blank). Other paths as they are (a batch prefix such as `[0].` dropped).
 */
export function slotPath(field: string, rows: readonly number[]): string {
  const path = field.replace(/^\[\d+\]\.?/, '');
  const m = /^outcomes\[(\d+)\](.*)$/.exec(path);
  if (!m) return path;
  const row = rows[Number(m[1])];
  return row === undefined ? 'outcomes' : `outcomes[${row}]${m[2]}`;
}

/** The slots to try for a path, most precise first: `outcomes[2].value`, `outcomes[2]`, `outcomes`. */
export function slotCandidates(path: string): string[] {
  const out = [path];
  const row = /^(outcomes\[\d+\])\./.exec(path);
  if (row?.[1]) out.push(row[1]);
  const head = path.split(/[.[]/)[0] ?? '';
  if (head && head !== path) out.push(head);
  return out;
}

/** A title as the words of an id: "GP demo in food-processing SMEs" → "gp-demo-in-food-processing-smes". */
export function slug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * The id of a new initiative of `iso3` titled `title`: `vnm-gp-demo-in-food-smes` (member, "gp"
 * when the title does not say it, the title's words), at most 63 characters, cut at a word,
 * and with -2, -3… when taken.
 */
export function proposeId(iso3: string, title: string, taken: ReadonlySet<string>): string {
  const member = iso3.toLowerCase().replace(/[^a-z0-9]/g, '') || 'apo';
  let words = slug(title);
  if (!/^gp(-|$)/.test(words)) words = words ? `gp-${words}` : 'gp';
  const cut = (s: string, max: number) => {
    if (s.length <= max) return s;
    const head = s.slice(0, max + 1);
    const at = head.lastIndexOf('-');
    return (at > 2 ? head.slice(0, at) : s.slice(0, max)).replace(/-+$/, '');
  };
  const base = cut(`${member}-${words}`, 63);
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const id = `${cut(base, 63 - String(n).length - 1)}-${n}`;
    if (!taken.has(id)) return id;
  }
}

/** The draft of a stored initiative (to edit it), or of a new one for `iso3` starting this year. */
export function draftOf(i: GpInitiative | null, iso3: string, thisYear: number): GpDraft {
  if (!i) return { id: '', iso3, title: '', theme: '', type: 'demonstration_project', sector: '', start_year: String(thisYear), end_year: String(thisYear), status: 'planned', outcomes: [] };
  return {
    id: i.id,
    iso3: i.iso3,
    title: i.title,
    theme: i.theme,
    type: i.type,
    sector: i.sector,
    start_year: String(i.start_year),
    end_year: String(i.end_year),
    status: i.status,
    outcomes: (i.outcomes ?? []).map((o) => ({ metric: o.metric, year: String(o.year), value: String(o.value) })),
  };
}

/** An empty outcome row, its year the last of the initiative's years that is not in the future. */
export function newOutcome(startRaw: string, endRaw: string, thisYear: number): OutcomeDraft {
  const s = readYear(startRaw);
  const e = readYear(endRaw);
  const y = Number.isFinite(e) ? Math.min(e, thisYear) : thisYear;
  return { metric: '', year: Number.isFinite(s) && y < s ? '' : String(y), value: '' };
}

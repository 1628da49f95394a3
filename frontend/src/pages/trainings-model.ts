// What the training pages say about courses, apart from drawing them (issue 23 §3): the
// summary's figures in the order and words people read them, participants over time from the
// course list, the form's checks made as the delegate types (the sums the server checks too),
// and the page's member filter kept in the address. Pure, so tested in test/trainings.test.ts.
//
// The wire types are the server's (frontend/src/generated, from src/model/training.rs).

import type { components } from '../generated/api';

type Schemas = components['schemas'];
export type Sector = Schemas['Sector'];
export type Mode = Schemas['TrainingMode'];
/** `PUT /trainings/{id}`'s body: a delivered course, no personal data (unknown fields are refused). */
export type TrainingInput = Schemas['TrainingInput'];
/** A course as `GET /trainings` gives it. */
export type Training = TrainingInput;
/** `GET /trainings/summary`: `by_sector`, `by_year` and `by_member` count participants. */
export type TrainingSummary = Schemas['TrainingSummary'];
export type SectorInfo = Schemas['SectorInfo'];

export const SECTORS = [
  ['electronics_ict', 'Electronics and ICT'],
  ['textiles_garments', 'Textiles and garments'],
  ['food_processing', 'Food processing'],
  ['agriculture', 'Agriculture'],
  ['logistics', 'Logistics'],
  ['manufacturing', 'Manufacturing'],
  ['services', 'Services'],
  ['public_sector', 'Public sector'],
  ['healthcare', 'Healthcare'],
  ['tourism', 'Tourism'],
  ['energy', 'Energy'],
  ['cross_sector', 'Cross-sector'],
] as const satisfies readonly (readonly [Sector, string])[];
/** Every sector of the server's closed list is in SECTORS (this fails to compile otherwise). */
export const ALL_SECTORS: [Exclude<Sector, (typeof SECTORS)[number][0]>] extends [never] ? true : never = true;

export const MODES = [
  ['in_person', 'In person'],
  ['online', 'Online'],
  ['blended', 'Blended'],
] as const satisfies readonly (readonly [Mode, string])[];

/** The tripartite groups, in the order APO names them, with the words a reader needs. */
export const GROUPS = [
  ['government', 'Government'],
  ['enterprises', 'Enterprises'],
  ['universities', 'Universities and training institutions'],
] as const;
export type Group = (typeof GROUPS)[number][0];

export const SEXES = [
  ['female', 'Female'],
  ['male', 'Male'],
  ['unspecified', 'Not specified'],
] as const;
export type Sex = (typeof SEXES)[number][0];

export const SECTOR_LABEL: Record<string, string> = Object.fromEntries(SECTORS);
export const MODE_LABEL: Record<string, string> = Object.fromEntries(MODES);

export const sectorLabel = (id: string, labels: ReadonlyMap<string, string> = new Map()): string => labels.get(id) ?? SECTOR_LABEL[id] ?? id.replace(/_/g, ' ');

/** The participants of a course: its three groups together. */
export function total(p: Record<Group, number>): number {
  return GROUPS.reduce((s, [g]) => s + (Number.isFinite(p[g]) ? p[g] : 0), 0);
}

/** The sectors with participants, most first (ties by the closed list's order), as [label, n]. */
export function sectorBars(s: Pick<TrainingSummary, 'by_sector'>, labels?: ReadonlyMap<string, string>): [string, number][] {
  const order = new Map<string, number>(SECTORS.map(([id], i) => [id, i]));
  return Object.entries(s.by_sector)
    .filter((e): e is [string, number] => typeof e[1] === 'number' && e[1] > 0)
    .sort((a, b) => b[1] - a[1] || (order.get(a[0]) ?? 99) - (order.get(b[0]) ?? 99))
    .map(([id, n]) => [sectorLabel(id, labels), n]);
}

/**
 * The tripartite groups as rows, enterprises split into SMEs and the others (SMEs are counted
 * among enterprises, never beside them).
 */
export function groupRows(s: Pick<TrainingSummary, 'by_group' | 'smes'>): { id: Group; label: string; n: number; smes: number | null }[] {
  return GROUPS.map(([id, label]) => ({ id, label, n: s.by_group[id] ?? 0, smes: id === 'enterprises' ? Math.min(s.smes, s.by_group.enterprises ?? 0) : null }));
}

/** A share as a whole percentage of `of` ("–" when there is nothing to share). */
export function share(n: number, of: number): string {
  return of > 0 ? `${Math.round((100 * n) / of)} %` : '–';
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Participants over time, by the month a course ended (its year is its end date's): every month
 * from the first to the last shown, empty ones as 0, so the axis is time and not a list. Longer
 * than three years, by year.
 */
export function overTime(courses: readonly Pick<TrainingInput, 'end_date' | 'participants'>[]): { by: 'month' | 'year'; labels: string[]; values: number[] } {
  const byMonth = new Map<string, number>();
  for (const c of courses) {
    const m = /^(\d{4})-(\d{2})/.exec(c.end_date);
    if (!m) continue;
    const k = `${m[1]}-${m[2]}`;
    byMonth.set(k, (byMonth.get(k) ?? 0) + total(c.participants));
  }
  if (!byMonth.size) return { by: 'month', labels: [], values: [] };
  const keys = [...byMonth.keys()].sort();
  const [fy, fm] = (keys[0] as string).split('-').map(Number) as [number, number];
  const [ly, lm] = (keys[keys.length - 1] as string).split('-').map(Number) as [number, number];
  const span = (ly - fy) * 12 + (lm - fm) + 1;
  if (span > 36) {
    const labels: string[] = [];
    const values: number[] = [];
    for (let y = fy; y <= ly; y++) {
      labels.push(String(y));
      values.push([...byMonth].filter(([k]) => k.startsWith(`${y}-`)).reduce((s, [, n]) => s + n, 0));
    }
    return { by: 'year', labels, values };
  }
  const labels: string[] = [];
  const values: number[] = [];
  for (let i = 0; i < span; i++) {
    const y = fy + Math.floor((fm - 1 + i) / 12);
    const mo = ((fm - 1 + i) % 12) + 1;
    labels.push(`${MONTHS[mo - 1]} ${y}`);
    values.push(byMonth.get(`${y}-${String(mo).padStart(2, '0')}`) ?? 0);
  }
  return { by: 'month', labels, values };
}

// ---- the form ----

export interface Problem {
  field: string;
  message: string;
}

/** What the form holds, as typed (every box is text until it is read). */
export interface TrainingDraft {
  id: string;
  iso3: string;
  title: string;
  provider: string;
  sector: string;
  topic: string;
  start_date: string;
  end_date: string;
  mode: string;
  hours: string;
  participants: Record<Group, string>;
  by_sex: Record<Sex, string>;
  smes: string;
  certified_specialists: string;
}

export const ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;

/** A count typed in a box: a whole number ≥ 0 (empty is 0), or a message. */
export function readCount(raw: string): { ok: true; value: number } | { ok: false; message: string } {
  const t = raw.trim().replace(/[\s,]/g, '');
  if (t === '') return { ok: true, value: 0 };
  const n = Number(t);
  if (!/^\d+$/.test(t) || !Number.isSafeInteger(n)) return { ok: false, message: `“${raw.trim()}” is not a whole number: type digits, such as 12` };
  return { ok: true, value: n };
}

/**
 * The course the draft describes, and what is wrong with it before anything is sent: every
 * field the server would refuse that the browser can know (the sums above all, checked as the
 * delegate types). Whether the end date is after today is the server's to say: its clock decides.
 */
export function readDraft(d: TrainingDraft): { body: TrainingInput; problems: Problem[] } {
  const problems: Problem[] = [];
  const count = (raw: string, field: string): number => {
    const r = readCount(raw);
    if (r.ok) return r.value;
    problems.push({ field, message: r.message });
    return NaN;
  };
  const participants = Object.fromEntries(GROUPS.map(([g]) => [g, count(d.participants[g], `participants.${g}`)])) as Record<Group, number>;
  const by_sex = Object.fromEntries(SEXES.map(([s]) => [s, count(d.by_sex[s], `by_sex.${s}`)])) as Record<Sex, number>;
  const smes = count(d.smes, 'smes');
  const certified = count(d.certified_specialists, 'certified_specialists');
  const hoursText = d.hours.trim().replace(',', '.');
  const hours = hoursText === '' ? NaN : Number(hoursText);
  const body: TrainingInput = {
    id: d.id.trim(),
    iso3: d.iso3.trim().toUpperCase(),
    title: d.title.trim(),
    provider: d.provider.trim(),
    sector: d.sector as Sector,
    topic: d.topic.trim(),
    start_date: d.start_date,
    end_date: d.end_date,
    mode: d.mode as Mode,
    hours,
    participants,
    by_sex,
    smes,
    certified_specialists: certified,
  };
  if (!ID_PATTERN.test(body.id)) problems.push({ field: 'id', message: 'lower-case letters, digits and dashes, as vnm-tr-2026-014' });
  if (!/^[A-Z]{3}$/.test(body.iso3)) problems.push({ field: 'iso3', message: 'choose the member' });
  if (!body.title) problems.push({ field: 'title', message: 'the course needs a title' });
  if (!body.provider) problems.push({ field: 'provider', message: 'who gave the course (the NPO, an institute)' });
  if (!SECTOR_LABEL[body.sector]) problems.push({ field: 'sector', message: 'choose a sector' });
  if (!MODE_LABEL[body.mode]) problems.push({ field: 'mode', message: 'choose in person, online or blended' });
  if (!/^\d{4}-\d{2}-\d{2}$/.test(body.start_date)) problems.push({ field: 'start_date', message: 'the first day of the course is needed' });
  if (!/^\d{4}-\d{2}-\d{2}$/.test(body.end_date)) problems.push({ field: 'end_date', message: 'the last day of the course is needed' });
  else if (body.start_date && body.end_date < body.start_date) problems.push({ field: 'end_date', message: 'the course ends before it starts' });
  if (hoursText === '' || !Number.isFinite(hours)) problems.push({ field: 'hours', message: hoursText ? `“${d.hours.trim()}” is not a number of hours` : 'how many hours the course lasted' });
  else if (hours <= 0 || hours > 2000) problems.push({ field: 'hours', message: 'more than 0 and at most 2,000 hours' });
  problems.push(...sumProblems(participants, by_sex, smes, certified));
  return { body, problems };
}

/** The sums of a course's counts, as the server checks them (counts that could not be read are skipped). */
export function sumProblems(participants: Record<Group, number>, bySex: Record<Sex, number>, smes: number, certified: number): Problem[] {
  const out: Problem[] = [];
  const all = [...Object.values(participants), ...Object.values(bySex)];
  if (all.some((n) => !Number.isFinite(n))) return out;
  const people = total(participants);
  const sexes = SEXES.reduce((s, [k]) => s + bySex[k], 0);
  if (sexes !== people) out.push({ field: 'by_sex', message: `female, male and not specified add up to ${sexes}, but the participants are ${people}${sexes < people ? `: ${people - sexes} not counted` : `: ${sexes - people} too many`}` });
  if (Number.isFinite(smes) && smes > participants.enterprises) out.push({ field: 'smes', message: `${smes} SMEs, but only ${participants.enterprises} enterprise participants: SMEs are counted among the enterprises` });
  if (Number.isFinite(certified) && certified > people) out.push({ field: 'certified_specialists', message: `${certified} certified, but only ${people} participants` });
  return out;
}

/** The draft of a stored course (to edit it), or of a new one for `iso3`. */
export function draftOf(t: TrainingInput | null, iso3: string, id = ''): TrainingDraft {
  const s = (n: number | undefined) => (n === undefined || n === null ? '' : String(n));
  return {
    id: t?.id ?? id,
    iso3: t?.iso3 ?? iso3,
    title: t?.title ?? '',
    provider: t?.provider ?? '',
    sector: t?.sector ?? '',
    topic: t?.topic ?? '',
    start_date: t?.start_date ?? '',
    end_date: t?.end_date ?? '',
    mode: t?.mode ?? 'in_person',
    hours: s(t?.hours),
    participants: Object.fromEntries(GROUPS.map(([g]) => [g, s(t?.participants[g])])) as Record<Group, string>,
    by_sex: Object.fromEntries(SEXES.map(([k]) => [k, s(t?.by_sex[k])])) as Record<Sex, string>,
    smes: s(t?.smes),
    certified_specialists: s(t?.certified_specialists),
  };
}

/** An id for a new course of `iso3` ending in `year`: the next free number, as vnm-tr-2026-015. */
export function nextId(existing: readonly { id: string }[], iso3: string, year: number): string {
  const prefix = `${iso3.toLowerCase()}-tr-${year}-`;
  let max = 0;
  for (const { id } of existing) {
    if (!id.startsWith(prefix)) continue;
    const n = Number(id.slice(prefix.length));
    if (Number.isInteger(n) && n > max) max = n;
  }
  return `${prefix}${String(max + 1).padStart(3, '0')}`;
}

// ---- the page's address ----

/** The member of `?iso3=VNM` (null: APO-wide). */
export function memberFrom(search: string): string | null {
  const v = (new URLSearchParams(search).get('iso3') ?? '').toUpperCase();
  return /^[A-Z]{3}$/.test(v) ? v : null;
}

/** The query of the page and of GET /trainings and /trainings/summary: "" APO-wide. */
export function memberQuery(iso3: string | null): string {
  return iso3 ? `?iso3=${encodeURIComponent(iso3)}` : '';
}

/** Whether a live change concerns the courses (a `training` event, or a fresh snapshot). */
export function touchesTrainings(change: { kind: string; events: readonly { entity: string; key: string }[] }): boolean {
  return change.kind === 'snapshot' || change.events.some((e) => e.entity === 'training');
}

/** "2–6 March 2026", "28 February – 3 March 2026", "30 December 2025 – 2 January 2026". */
export function datesText(start: string, end: string): string {
  const f = (d: string, o: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat('en-GB', { ...o, timeZone: 'UTC' }).format(new Date(`${d}T00:00:00Z`));
  if (!/^\d{4}-\d{2}-\d{2}$/.test(start) || !/^\d{4}-\d{2}-\d{2}$/.test(end)) return `${start} – ${end}`;
  const full: Intl.DateTimeFormatOptions = { day: 'numeric', month: 'long', year: 'numeric' };
  if (start === end) return f(end, full);
  if (start.slice(0, 7) === end.slice(0, 7)) return `${Number(start.slice(8))}–${f(end, full)}`;
  if (start.slice(0, 4) === end.slice(0, 4)) return `${f(start, { day: 'numeric', month: 'long' })} – ${f(end, full)}`;
  return `${f(start, full)} – ${f(end, full)}`;
}

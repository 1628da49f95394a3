// What the accreditation screens say about the register (issue 23 §1), apart from drawing it:
// the statuses in words and colours, the filters of /accreditations (kept in the address), the
// renewals due most urgent first, each member's most advanced status and the map's legend
// counts, the transitions the server allows (so the form offers only those), and the body of
// PUT /accreditations/{id} from a stored record. Pure, so tested in test/accreditations.test.ts.

import { OKABE_ITO } from '../palette';

import type { components } from '../generated/api';

type Schemas = components['schemas'];
export type AccStatus = Schemas['AccreditationStatus'];
export type BodyKind = Schemas['BodyKind'];
/** PUT /accreditations/{id}'s body: optional fields null or absent. */
export type AccreditationInput = Schemas['AccreditationInput'];
/** A record as GET gives it: the input with the days left and whether its renewal is near. */
export type Accreditation = Schemas['Accreditation'];
export type AccSummary = Schemas['AccreditationSummary'];

/** The statuses, most advanced first (the order of the summary's `by_member`). */
export const STATUSES: readonly AccStatus[] = ['accredited', 'renewal_due', 'under_assessment', 'applied', 'expired', 'withdrawn'];

export const STATUS_TEXT: Record<AccStatus, string> = {
  applied: 'Applied',
  under_assessment: 'Under assessment',
  accredited: 'Accredited',
  renewal_due: 'Renewal due',
  expired: 'Expired',
  withdrawn: 'Withdrawn',
};

/** Colour-blind-safe fill of each status, and the text colour on it (contrast ≥ 4.5:1). */
export const STATUS_COLOUR: Record<AccStatus, { bg: string; fg: string }> = {
  accredited: { bg: OKABE_ITO.blue, fg: '#ffffff' },
  renewal_due: { bg: OKABE_ITO.orange, fg: '#000000' },
  under_assessment: { bg: OKABE_ITO.skyBlue, fg: '#000000' },
  applied: { bg: OKABE_ITO.yellow, fg: '#000000' },
  expired: { bg: OKABE_ITO.vermillion, fg: '#000000' },
  withdrawn: { bg: '#b8bec6', fg: '#000000' },
};

/** A member of the map with no record at all: white, outlined (non-members are light grey). */
export const NO_RECORD = { bg: '#ffffff', fg: '#000000' };

export const BODY_KIND_TEXT: Record<BodyKind, string> = { npo: 'NPO', other: 'Other body' };

/** Whether a member with a body in this status counts as accredited. */
export const isAccredited = (s: AccStatus | null | undefined): boolean => s === 'accredited' || s === 'renewal_due';

/** The statuses a stored record may move to (besides staying as it is), as the server allows. */
export const NEXT: Record<AccStatus, readonly AccStatus[]> = {
  applied: ['under_assessment', 'withdrawn'],
  under_assessment: ['accredited', 'applied', 'withdrawn'],
  accredited: ['renewal_due', 'expired', 'withdrawn'],
  renewal_due: ['under_assessment', 'accredited', 'expired', 'withdrawn'],
  expired: ['applied'],
  withdrawn: [],
};

/** What each move is called in the form ("Confer the certificate"). */
export function moveText(from: AccStatus | null, to: AccStatus): string {
  if (from === to) return `Keep “${STATUS_TEXT[to]}” (edit the details)`;
  if (to === 'accredited') return from === 'renewal_due' ? 'Renew: accredited again, a later validity' : 'Confer the certificate: accredited';
  if (to === 'applied') return from === 'expired' ? 'Re-application: applied' : from === 'under_assessment' ? 'Return to applied' : 'Applied';
  if (to === 'under_assessment') return 'Assessment under way';
  if (to === 'renewal_due') return 'Renewal due';
  if (to === 'expired') return 'Expired';
  return 'Withdrawn';
}

/** The fields a status needs besides the identity of the record (null-able otherwise). */
export function fieldsFor(status: AccStatus): { assessment: boolean; certificate: boolean } {
  return {
    assessment: status !== 'applied' && status !== 'withdrawn',
    certificate: status === 'accredited' || status === 'renewal_due' || status === 'expired',
  };
}

// ---- filters ----

export interface AccFilters {
  member: string;
  status: AccStatus | '';
  scheme: string;
}

export function filtersFrom(search: string): AccFilters {
  const q = new URLSearchParams(search);
  const member = (q.get('iso3') ?? '').toUpperCase();
  const status = q.get('status') ?? '';
  return {
    member: /^[A-Z]{3}$/.test(member) ? member : '',
    status: (STATUSES as readonly string[]).includes(status) ? (status as AccStatus) : '',
    scheme: (q.get('scheme') ?? '').trim(),
  };
}

/** The query of the page's address (and of GET /accreditations): "" when no filter is set. */
export function filtersQuery(f: AccFilters): string {
  const q = new URLSearchParams();
  if (f.member) q.set('iso3', f.member);
  if (f.status) q.set('status', f.status);
  if (f.scheme) q.set('scheme', f.scheme);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The records the filters keep, in register order: member (by the name people read), then body. */
export function applyFilters(records: readonly Accreditation[], f: AccFilters, nameOf: (iso3: string) => string = (c) => c): Accreditation[] {
  return records
    .filter((r) => (!f.member || r.iso3 === f.member) && (!f.status || r.status === f.status) && (!f.scheme || r.scheme === f.scheme))
    .sort((a, b) => nameOf(a.iso3).localeCompare(nameOf(b.iso3)) || a.body.localeCompare(b.body) || a.id.localeCompare(b.id));
}

/** The schemes in use, in name order (the scheme filter's choices). */
export function schemesOf(records: readonly Accreditation[]): string[] {
  return [...new Set(records.map((r) => r.scheme).filter(Boolean))].sort();
}

// ---- renewals, members, counts ----

/**
 * "Renewals due in the next 6 months": the records the server marks `renewal_due_soon`, the
 * fewest days left first (already expired validity, negative, before all); without a date last.
 */
export function renewals(records: readonly Accreditation[]): Accreditation[] {
  const days = (r: Accreditation) => (r.days_left ?? Number.POSITIVE_INFINITY);
  return records.filter((r) => r.renewal_due_soon).sort((a, b) => days(a) - days(b) || a.iso3.localeCompare(b.iso3) || a.id.localeCompare(b.id));
}

/** Each member's most advanced status over its bodies (members with none are absent). */
export function memberStatus(records: readonly Accreditation[]): Map<string, AccStatus> {
  const out = new Map<string, AccStatus>();
  for (const r of records) {
    const held = out.get(r.iso3);
    if (!held || STATUSES.indexOf(r.status) < STATUSES.indexOf(held)) out.set(r.iso3, r.status);
  }
  return out;
}

/** The map legend's counts: members per most advanced status, and members with no record. */
export function legendCounts(byMember: ReadonlyMap<string, AccStatus> | Readonly<Record<string, AccStatus>>, members: readonly string[]): { status: AccStatus | 'none'; count: number }[] {
  const get = (m: string): AccStatus | undefined => (byMember instanceof Map ? byMember.get(m) : (byMember as Record<string, AccStatus>)[m]);
  const counts = new Map<AccStatus | 'none', number>();
  for (const m of members) {
    const s = get(m) ?? 'none';
    counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  return [...STATUSES, 'none' as const].map((s) => ({ status: s, count: counts.get(s) ?? 0 }));
}

/** The members counted as accredited (a body accredited or renewal due), in the order given. */
export function accreditedMembers(byMember: Readonly<Record<string, AccStatus>>, members: readonly string[]): string[] {
  return members.filter((m) => isAccredited(byMember[m]));
}

// ---- words ----

/** "in 120 days", "tomorrow", "today", "ended 3 days ago", or "" without a validity. */
export function daysLeftText(days: number | null | undefined): string {
  if (days === null || days === undefined) return '';
  if (days === 0) return 'ends today';
  if (days === 1) return '1 day left';
  if (days > 0) return `${days} days left`;
  return days === -1 ? 'ended yesterday' : `ended ${-days} days ago`;
}

/** A date (YYYY-MM-DD) as read: "28 Oct 2025". */
export function dateText(d: string | null | undefined): string {
  if (!d) return '–';
  const t = new Date(`${d}T00:00:00Z`);
  if (Number.isNaN(t.getTime())) return d;
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(t);
}

/** Whether a live change concerns accreditations (a snapshot may follow missed ones). */
export function touchesAccreditations(change: { kind: string; events: readonly { entity: string }[] }): boolean {
  return change.kind === 'snapshot' || change.events.some((e) => e.entity === 'accreditation');
}

// ---- the form ----

/** criteria_scores as the workbook writes them: "governance=82; services=77". */
export function scoresText(scores: Readonly<Record<string, number>> | null | undefined): string {
  return Object.entries(scores ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}

/** Reads "criterion=score; …": the map, or what is wrong with it. */
export function parseScores(text: string): { ok: true; scores: Record<string, number> } | { ok: false; message: string } {
  const scores: Record<string, number> = {};
  for (const part of text.split(/[;\n]/)) {
    const t = part.trim();
    if (!t) continue;
    const m = /^(.+?)\s*[=:]\s*(-?[0-9]+(?:\.[0-9]+)?)$/.exec(t);
    if (!m) return { ok: false, message: `“${t}” is not criterion=score (such as governance=82).` };
    const name = (m[1] as string).trim();
    if (name in scores) return { ok: false, message: `“${name}” is scored twice.` };
    scores[name] = Number(m[2]);
  }
  return { ok: true, scores };
}

/** The last day of a validity of `years` from `from` ("2025-10-28", 3 → "2028-10-27"). */
export function validUntilFrom(from: string, years = 3): string {
  const t = new Date(`${from}T00:00:00Z`);
  if (Number.isNaN(t.getTime())) return '';
  t.setUTCFullYear(t.getUTCFullYear() + years);
  t.setUTCDate(t.getUTCDate() - 1);
  return t.toISOString().slice(0, 10);
}

const INPUT_KEYS = ['id', 'iso3', 'body', 'body_kind', 'scheme', 'status', 'applied_on', 'assessment_date', 'criteria_scores', 'certificate', 'conferred_on', 'occasion', 'valid_until', 'note'] as const;

/**
 * The body of PUT /accreditations/{id}: the record's input fields only (the server refuses
 * unknown fields, so the view's `days_left` and the like are left out), with `changes` over
 * them; an empty text becomes null (but the note, which the server keeps as text: "").
 */
export function inputOf(record: Accreditation | AccreditationInput, changes: Partial<AccreditationInput> = {}): AccreditationInput {
  const merged: Record<string, unknown> = { ...record, ...changes };
  const out: Record<string, unknown> = {};
  for (const k of INPUT_KEYS) {
    let v = merged[k];
    if (typeof v === 'string' && k !== 'id' && k !== 'iso3' && k !== 'body' && k !== 'scheme' && k !== 'note') v = v.trim() === '' ? null : v.trim();
    if (k === 'note' && (v === null || v === undefined)) v = '';
    if (v === undefined) v = k === 'criteria_scores' ? {} : null;
    out[k] = v;
  }
  return out as unknown as AccreditationInput;
}

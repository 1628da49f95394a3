// What the project pages say about a notification, apart from drawing it: the days left to a
// closing date in words, the filters of /projects as a query (kept in the address so a shared
// link shows the same list), members and limits as people read them. Pure, so tested in
// test/projects.test.ts without a browser.

import type { components } from '../generated/api';

type Schemas = components['schemas'];
/**
 * A notification. The schema may also say "with `hosts` or `host_iso3`" as a union of bare
 * objects beside the full one; the full one is what GET answers and PUT takes.
 */
export type Project = Extract<Schemas['Project'], { code: string }>;
export type Closing = Schemas['Closing'];
export type Modality = Schemas['Modality'];
export type PillarBudget = Schemas['PillarBudget'];

export const MODALITY: Record<Modality, string> = {
  face_to_face: 'Face-to-face',
  virtual: 'Virtual',
  hybrid: 'Hybrid',
};

export const STATUS_TEXT: Record<Project['status'], string> = {
  planned: 'Planned',
  active: 'Active',
  completed: 'Completed',
  cancelled: 'Cancelled',
};

/** What a closing date closes, in the notification's words. */
export const CLOSES: Record<Closing['for'], string> = {
  applications: 'applications',
  proposals: 'proposals',
  any: 'applications and proposals',
};

/**
 * "closes today", "closes tomorrow", "closes in 12 days", "closed": the server counts the days
 * (today in UTC, 0 on the day itself, which is still open), so the page and the API agree.
 */
export function daysLeftText(daysLeft: number): string {
  if (daysLeft < 0) return 'closed';
  if (daysLeft === 0) return 'closes today';
  if (daysLeft === 1) return 'closes tomorrow';
  return `closes in ${daysLeft} days`;
}

/** Whether the notification still takes something: a closing date not passed, or open all year. */
export function isOpen(p: Project): boolean {
  return Boolean(p.open_all_year?.trim()) || (p.closing ?? []).some((c) => c.days_left >= 0);
}

/** The next closing date not passed, if any. */
export function nextClosing(p: Project): Closing | null {
  return (p.closing ?? []).find((c) => c.days_left >= 0) ?? null;
}

/** A list of members as read: "All members" for `*`, else their names (ISO3 codes when unknown). */
export function membersText(list: readonly string[] | undefined, names: ReadonlyMap<string, string>): string {
  if (!list?.length) return '–';
  if (list.includes('*')) return 'All members';
  return list.map((c) => names.get(c) ?? c).join(', ');
}

/** Limits by modality, "Virtual: up to 10 · Face-to-face: up to 4"; empty when none is set. */
export function limitsText(limits: Record<string, number> | undefined): string {
  const order: Modality[] = ['virtual', 'face_to_face', 'hybrid'];
  return order
    .filter((m) => limits?.[m] !== undefined)
    .map((m) => `${MODALITY[m]}: up to ${limits?.[m]}`)
    .join(' · ');
}

/** The list's filters; each empty one is "any". */
export interface ProjectFilters {
  program: string;
  pillar: string;
  member: string;
  open: boolean;
}

export function filtersFrom(search: string): ProjectFilters {
  const q = new URLSearchParams(search);
  const pillar = q.get('pillar') ?? '';
  const member = (q.get('member') ?? '').toUpperCase();
  return {
    program: (q.get('program') ?? '').toUpperCase().replace(/[^A-Z0-9]/g, ''),
    pillar: /^[1-4]$/.test(pillar) ? pillar : '',
    member: /^[A-Z]{3}$/.test(member) ? member : '',
    open: q.get('open') === 'true',
  };
}

/** The query of `GET /projects` (and of the page's address) for the filters: "" when none is set. */
export function filtersQuery(f: ProjectFilters): string {
  const q = new URLSearchParams();
  if (f.program) q.set('program', f.program);
  if (f.pillar) q.set('pillar', f.pillar);
  if (f.member) q.set('member', f.member);
  if (f.open) q.set('open', 'true');
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The code from `/projects/{code}` (decoded; null for anything else). */
export function codeFromPath(path: string): string | null {
  const m = /^\/projects\/([^/]+)$/.exec(path);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1] as string);
  } catch {
    return null;
  }
}

/** Whether a live change concerns project `code` (any project when null): its events name it. */
export function touchesProject(change: { kind: string; events: readonly { entity: string; key: string }[] }, code: string | null): boolean {
  if (change.kind === 'snapshot') return true;
  return change.events.some((e) => e.entity === 'project' && (code === null || e.key === code || e.key.startsWith(`${code}/`)));
}

/** A date (YYYY-MM-DD) as read: "31 March 2027". */
export function dateText(d: string | null | undefined): string {
  if (!d) return '–';
  const t = new Date(`${d}T00:00:00Z`);
  if (Number.isNaN(t.getTime())) return d;
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(t);
}

/** Timing: "1 January – 31 December 2027", or the one date known. */
export function timingText(start: string | null | undefined, end: string | null | undefined): string {
  if (start && end) return start === end ? dateText(start) : `${dateText(start)} – ${dateText(end)}`;
  return start ? `From ${dateText(start)}` : end ? `Until ${dateText(end)}` : '–';
}

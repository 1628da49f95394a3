// A key result's reports as the phone home lists them (GET /actuals?iso3=…&year=…, newest
// first): which one counts now, which one counts again when it is withdrawn, and what a
// withdrawal or a correction kept in the outbox is about. Pure: the page draws, this reads.

import type { Edit } from './offline-queue';
import type { Actual } from './protocol';

/** How many of a key result's reports the phone shows (the newest); the rest are counted. */
export const REPORTS_SHOWN = 3;

/** The reports of a member, by key-result code, each list newest first (as the server sent them). */
export function reportsByKr(list: readonly Actual[]): Map<string, Actual[]> {
  const by = new Map<string, Actual[]>();
  for (const a of list) {
    const l = by.get(a.kr_code);
    if (l) l.push(a);
    else by.set(a.kr_code, [a]);
  }
  return by;
}

/** The report that counts now: the newest not withdrawn (null: none). */
export function counting(list: readonly Actual[]): Actual | null {
  return list.find((a) => !a.withdrawn) ?? null;
}

/** The report that counts once `id` is withdrawn: the next older one not withdrawn (null: none). */
export function countsAfter(list: readonly Actual[], id: number): Actual | null {
  const i = list.findIndex((a) => a.id === id);
  if (i < 0) return null;
  return list.slice(i + 1).find((a) => !a.withdrawn) ?? null;
}

export type FixMode = 'withdraw' | 'correct';

/** A withdrawal or correction kept in the outbox: the report it names and which (null: another edit). */
export function fixOf(edit: Pick<Edit, 'kind' | 'path'>): { id: number; mode: FixMode } | null {
  if (edit.kind !== 'report') return null;
  const m = /^\/actuals\/(\d+)\/(withdraw|correct)$/.exec(edit.path);
  return m ? { id: Number(m[1]), mode: m[2] as FixMode } : null;
}

/** A reason as the server takes it: 1–500 characters once trimmed; else what to say next to the field. */
export function reasonProblem(reason: string, what: string): string | null {
  const t = reason.trim();
  if (!t) return `Say why ${what}, in a few words: it is kept in the log.`;
  if (t.length > 500) return `Keep the reason to 500 characters (it has ${t.length}).`;
  return null;
}

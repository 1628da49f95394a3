// The review desk's reading of the primer listings and a primer's history (pure, no DOM): the
// queue of submitted primers (longest waiting first), the endorsed ones, the amendments being
// drafted, what a submitted primer is compared with (the last return, or the endorsed version
// an amendment started from), each step in words, and the checks made before a decision is sent.

/** A step of `GET /primers/{iso3}/history` as the desk reads it. */
export interface StepLike<P = unknown> {
  rev: number;
  at: string;
  actor: string;
  action: string;
  note?: string | null;
  version?: number | null;
  primer?: P | null;
}

/** A line of `GET /primers` as the desk reads it. */
export interface SummaryLike {
  iso3: string;
  status: string;
  key_results: number;
  version?: number | null;
  updated_rev: number;
  updated_at: string;
  endorsed_on?: string | null;
}

/** Submitted primers, the one waiting longest first (then by member). */
export function queueOf<S extends SummaryLike>(all: readonly S[]): S[] {
  return all.filter((s) => s.status === 'submitted').sort((a, b) => a.updated_rev - b.updated_rev || a.iso3.localeCompare(b.iso3));
}

/** Endorsed primers, in the order of the names shown. */
export function endorsedOf<S extends SummaryLike>(all: readonly S[], name: (iso3: string) => string): S[] {
  return all.filter((s) => s.status === 'endorsed').sort((a, b) => name(a.iso3).localeCompare(name(b.iso3), 'en') || a.iso3.localeCompare(b.iso3));
}

/** Drafts past their first version: amendments of an endorsed primer, being written. */
export function amendmentsOf<S extends SummaryLike>(all: readonly S[], name: (iso3: string) => string): S[] {
  return all.filter((s) => s.status === 'draft' && (s.version ?? 1) > 1).sort((a, b) => name(a.iso3).localeCompare(name(b.iso3), 'en'));
}

/**
 * What a submitted primer is compared with: the primer as it was at the latest return (the
 * delegation was asked to change it) or, when it was endorsed since (an amendment), as it was
 * endorsed. Null for a first submission.
 */
export function compareBase<S extends StepLike>(history: readonly S[]): S | null {
  for (let i = history.length - 1; i >= 0; i--) {
    const s = history[i]!;
    if ((s.action === 'return' || s.action === 'endorse') && s.primer) return s;
  }
  return null;
}

/** The latest return, if any (its note is what the delegation was told). */
export function lastReturn<S extends StepLike>(history: readonly S[]): S | null {
  for (let i = history.length - 1; i >= 0; i--) if (history[i]!.action === 'return') return history[i]!;
  return null;
}

/** Every endorsement in the history, newest first: each endorsed version stays readable. */
export function endorsements<S extends StepLike>(history: readonly S[]): S[] {
  return history.filter((s) => s.action === 'endorse').reverse();
}

const ACTIONS: Record<string, string> = {
  create: 'Created',
  update: 'Edited',
  submit: 'Submitted for review',
  return: 'Returned to the delegation',
  endorse: 'Endorsed',
  amend: 'Reopened as an amendment',
};

/** A step's action in words ("Returned to the delegation"). */
export function actionText(action: string): string {
  return ACTIONS[action] ?? action.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

/** Today as `YYYY-MM-DD` in the desk's own time zone (the date a primer is signed on). */
export function todayIso(now: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`;
}

/** What is wrong with a return's comment before it is sent, or null. */
export function returnProblem(comment: string): string | null {
  const t = comment.trim();
  if (!t) return 'Write what the delegation should change: they read this on their phone.';
  return null;
}

/** What is wrong with an endorsement date before it is sent, or null. */
export function endorseProblem(date: string, today: string = todayIso()): string | null {
  if (!date) return 'Give the date the primer was signed.';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) return 'This is not a date: use the date picker, or type it as 2026-01-30.';
  if (date > today) return 'A primer cannot be signed in the future.';
  return null;
}

/** What is wrong with an amendment's reason before it is sent, or null. */
export function amendProblem(reason: string): string | null {
  return reason.trim() ? null : 'Say why the endorsed primer is reopened: it is kept in the log.';
}

/** "version 2" or "" when the version is unknown. */
export function versionText(v: number | null | undefined): string {
  return typeof v === 'number' && v > 0 ? `version ${v}` : '';
}

// What the per-pillar panel of the Secretariat page shows, apart from drawing it: for one pillar
// and year, its budget (GET /budgets/pillars) and the projects that serve it (GET
// /projects?pillar=N), each with its part of that budget. Project budgets are a breakdown of the
// pillar's budget (METRICS.md "Budget"), so nothing here adds them to it: the pillar's planned
// total is the server's, and the projects only say how much of it is assigned. Pure, so tested
// in test/pillars.test.ts without a browser.

import type { PillarBudget, Project } from './projects-model';

/** A project's part of one pillar's budget in one year. */
export interface ProjectPart {
  code: string;
  title: string;
  status: Project['status'] | null;
  /** From the pillar's regional budget. */
  regional: number;
  /** From members' allocations. */
  members: number;
  total: number;
}

export interface PillarView {
  pillar: number;
  year: number;
  /** The pillar's budget of the year; null when the server gave none for it. */
  budget: PillarBudget | null;
  /** Projects serving the pillar, the largest part first; those with nothing this year last. */
  projects: ProjectPart[];
  /** Σ of the projects' parts equals the server's `assigned` (to the cent): the breakdown holds. */
  consistent: boolean;
}

/** A project's budget rows of a year, as regional and member-level parts. */
export function partOf(p: Project, year: number): { regional: number; members: number } {
  let regional = 0;
  let members = 0;
  for (const b of p.budget ?? []) {
    if (b.year !== year) continue;
    if (b.iso3) members += b.amount;
    else regional += b.amount;
  }
  return { regional, members };
}

/**
 * The pillar's view for `year`: the budget the server answered for the pillar, and the projects
 * that serve it. A project's part is the server's share (`budget.projects`) when it has one,
 * else its own budget rows of that year; a share of a project the list lacks is kept too (the
 * two reads may straddle a change), so the parts shown always add up to what the server assigned.
 */
export function pillarView(pillar: number, year: number, budgets: readonly PillarBudget[], projects: readonly Project[]): PillarView {
  const budget = budgets.find((b) => b.pillar === pillar && b.year === year) ?? null;
  const shares = new Map((budget?.projects ?? []).map((s) => [s.code, s]));
  const parts: ProjectPart[] = [];
  const seen = new Set<string>();
  for (const p of projects) {
    if (p.pillar !== pillar || seen.has(p.code)) continue;
    seen.add(p.code);
    const s = shares.get(p.code);
    const { regional, members } = s ? { regional: s.regional, members: s.members } : partOf(p, year);
    parts.push({ code: p.code, title: p.title, status: p.status, regional, members, total: regional + members });
  }
  for (const s of budget?.projects ?? []) {
    if (seen.has(s.code)) continue;
    seen.add(s.code);
    parts.push({ code: s.code, title: s.title, status: null, regional: s.regional, members: s.members, total: s.regional + s.members });
  }
  parts.sort((a, b) => b.total - a.total || a.code.localeCompare(b.code));
  const sum = parts.reduce((n, x) => n + x.total, 0);
  const consistent = budget === null ? sum === 0 : Math.abs(sum - budget.total.assigned) < 0.005;
  return { pillar, year, budget, projects: parts, consistent };
}

/**
 * The share of the planned budget assigned to projects, in [0, 1] for a bar (over-assignment
 * is clamped: the figure beside it says by how much); null when nothing is planned.
 */
export function assignedRatio(b: PillarBudget | null): number | null {
  if (!b || !(b.total.planned > 0)) return null;
  return Math.min(1, Math.max(0, b.total.assigned / b.total.planned));
}

/** Whether a live change can move the budgets or the projects shown: a new document, or an edit of a budget or a project. */
export function touchesBudgets(change: { kind: string; events: readonly { entity: string }[] }): boolean {
  return change.kind === 'snapshot' || change.events.some((e) => e.entity === 'budget' || e.entity === 'project');
}

/** `code:amount` of each part, for the e2e to compare with the API (amounts in cents, no rounding doubt). */
export function partsKey(parts: readonly ProjectPart[]): string {
  return parts.map((p) => `${p.code}:${Math.round(p.total * 100)}`).join(' ');
}

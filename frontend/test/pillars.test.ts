import { describe, expect, it } from 'vitest';
import { assignedRatio, partOf, partsKey, pillarView, touchesBudgets } from '../src/pages/pillars-model';
import type { PillarBudget, Project } from '../src/pages/projects-model';

const project = (code: string, pillar: number, budget: Project['budget'] = []): Project => ({ code, title: `Project ${code}`, pillar, status: 'planned', budget });

const part = (planned: number, spent: number, assigned: number) => ({ planned, spent, assigned, unassigned: planned - assigned });

const budget = (pillar: number, year: number, shares: PillarBudget['projects']): PillarBudget => {
  const reg = shares.reduce((n, s) => n + s.regional, 0);
  const mem = shares.reduce((n, s) => n + s.members, 0);
  return {
    pillar,
    year,
    name: `Pillar ${pillar}`,
    regional: part(1_000_000, 400_000, reg),
    members: part(500_000, 100_000, mem),
    total: part(1_500_000, 500_000, reg + mem),
    projects: shares,
  };
};

describe('a pillar view: budget beside the projects that serve it', () => {
  it("takes a project's part of the year from its rows, regional and member-level apart", () => {
    const p = project('27-SN-03-GE-BCN-C', 1, [
      { year: 2027, iso3: null, amount: 120_000 },
      { year: 2027, iso3: 'VNM', amount: 30_000 },
      { year: 2026, iso3: null, amount: 99_000 },
    ]);
    expect(partOf(p, 2027)).toEqual({ regional: 120_000, members: 30_000 });
    expect(partOf(p, 2028)).toEqual({ regional: 0, members: 0 });
  });

  it("keeps the pillar's total as the server gave it, the projects' parts adding up to what is assigned", () => {
    const projects = [
      project('27-SN-01-GE-COE-A', 2, [{ year: 2027, iso3: null, amount: 50_000 }]),
      project('27-SN-03-GE-BCN-C', 2, [{ year: 2027, iso3: null, amount: 120_000 }, { year: 2027, iso3: 'VNM', amount: 30_000 }]),
      project('27-SN-09-GE-WSP-B', 2, [{ year: 2028, iso3: null, amount: 10_000 }]),
    ];
    const b = budget(2, 2027, [
      { code: '27-SN-03-GE-BCN-C', title: 'BCN', regional: 120_000, members: 30_000 },
      { code: '27-SN-01-GE-COE-A', title: 'COE', regional: 50_000, members: 0 },
    ]);
    const v = pillarView(2, 2027, [budget(1, 2027, []), b], projects);
    expect(v.budget).toBe(b);
    expect(v.budget?.total.planned).toBe(1_500_000);
    expect(v.budget?.total.assigned).toBe(200_000);
    // The largest part first; a project with nothing this year last, at 0, still listed.
    expect(v.projects.map((p) => [p.code, p.total])).toEqual([
      ['27-SN-03-GE-BCN-C', 150_000],
      ['27-SN-01-GE-COE-A', 50_000],
      ['27-SN-09-GE-WSP-B', 0],
    ]);
    expect(v.consistent).toBe(true);
    expect(partsKey(v.projects)).toBe('27-SN-03-GE-BCN-C:15000000 27-SN-01-GE-COE-A:5000000 27-SN-09-GE-WSP-B:0');
  });

  it("prefers the server's share, keeps a share the list lacks, and leaves out projects of other pillars", () => {
    const projects = [
      // The list was read before a change the budgets already have: the share wins.
      project('27-SN-03-GE-BCN-C', 3, [{ year: 2027, iso3: null, amount: 1 }]),
      project('27-SN-05-GE-OTH-A', 4, [{ year: 2027, iso3: null, amount: 7_000 }]),
    ];
    const b = budget(3, 2027, [
      { code: '27-SN-03-GE-BCN-C', title: 'BCN', regional: 80_000, members: 0 },
      { code: '27-SN-04-GE-NEW-A', title: 'New', regional: 0, members: 20_000 },
    ]);
    const v = pillarView(3, 2027, [b], projects);
    expect(v.projects.map((p) => [p.code, p.regional, p.members, p.status])).toEqual([
      ['27-SN-03-GE-BCN-C', 80_000, 0, 'planned'],
      ['27-SN-04-GE-NEW-A', 0, 20_000, null],
    ]);
    expect(v.consistent).toBe(true);
  });

  it('says when the parts do not add up to what the server assigned, and when no budget was given', () => {
    const b = { ...budget(1, 2027, []), total: part(1_000, 0, 500) };
    expect(pillarView(1, 2027, [b], []).consistent).toBe(false);
    const none = pillarView(1, 2027, [], [project('27-SN-03-GE-BCN-C', 1)]);
    expect(none.budget).toBeNull();
    expect(none.projects[0]?.total).toBe(0);
    expect(none.consistent).toBe(true);
  });

  it('the bar of the assigned share is clamped to [0, 1], and absent when nothing is planned', () => {
    const b = budget(1, 2027, [{ code: 'x', title: 'x', regional: 300_000, members: 0 }]);
    expect(assignedRatio(b)).toBeCloseTo(0.2);
    expect(assignedRatio({ ...b, total: part(100, 0, 250) })).toBe(1);
    expect(assignedRatio({ ...b, total: part(0, 0, 0) })).toBeNull();
    expect(assignedRatio(null)).toBeNull();
  });

  it('fetches again on a new document, or an edit of a budget or a project, not on a report', () => {
    expect(touchesBudgets({ kind: 'snapshot', events: [] })).toBe(true);
    expect(touchesBudgets({ kind: 'patch', events: [{ entity: 'budget' }] })).toBe(true);
    expect(touchesBudgets({ kind: 'patch', events: [{ entity: 'project' }] })).toBe(true);
    expect(touchesBudgets({ kind: 'patch', events: [{ entity: 'actual' }, { entity: 'bcn_application' }] })).toBe(false);
  });
});

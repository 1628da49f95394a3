import { describe, expect, it } from 'vitest';
import { actionText, amendmentsOf, amendProblem, compareBase, endorsements, endorsedOf, endorseProblem, lastReturn, queueOf, returnProblem, todayIso, versionText } from '../src/review-steps';
import type { StepLike, SummaryLike } from '../src/review-steps';

const s = (iso3: string, status: string, rev: number, version = 1): SummaryLike => ({ iso3, status, key_results: 3, version, updated_rev: rev, updated_at: '2026-03-01T10:00:00Z' });
const names: Record<string, string> = { VNM: 'Viet Nam', THA: 'Thailand', FJI: 'Fiji', BGD: 'Bangladesh' };
const name = (iso3: string) => names[iso3] ?? iso3;

describe('listings', () => {
  const all = [s('VNM', 'submitted', 40), s('THA', 'submitted', 12), s('FJI', 'endorsed', 5), s('BGD', 'endorsed', 7), s('THA', 'draft', 3), s('FJI', 'draft', 9, 2)];

  it('queues submitted primers, the one waiting longest first', () => {
    expect(queueOf(all).map((x) => x.iso3)).toEqual(['THA', 'VNM']);
  });

  it('lists endorsed primers by name, and drafts past version 1 as amendments', () => {
    expect(endorsedOf(all, name).map((x) => x.iso3)).toEqual(['BGD', 'FJI']);
    expect(amendmentsOf(all, name).map((x) => x.iso3)).toEqual(['FJI']);
  });
});

describe('history', () => {
  const step = (rev: number, action: string, version = 1, note: string | null = null): StepLike<{ v: number }> => ({ rev, at: `t${rev}`, actor: 'x', action, note, version, primer: { v: rev } });

  it('compares a resubmission with the primer as it was returned', () => {
    const h = [step(1, 'create'), step(2, 'submit'), step(3, 'return', 1, 'add targets'), step(4, 'update'), step(5, 'submit')];
    expect(compareBase(h)?.rev).toBe(3);
    expect(lastReturn(h)?.note).toBe('add targets');
  });

  it('compares an amendment with the endorsed version it started from, or a later return', () => {
    const h = [step(1, 'create'), step(2, 'submit'), step(3, 'endorse'), step(4, 'amend', 2, 'new KR'), step(5, 'update', 2), step(6, 'submit', 2)];
    expect(compareBase(h)?.rev).toBe(3);
    expect(compareBase([...h, step(7, 'return', 2, 'no'), step(8, 'submit', 2)])?.rev).toBe(7);
    expect(endorsements([...h, step(9, 'endorse', 2)]).map((x) => x.version)).toEqual([2, 1]);
  });

  it('has nothing to compare with on a first submission', () => {
    expect(compareBase([step(1, 'create'), step(2, 'submit')])).toBeNull();
    expect(lastReturn([])).toBeNull();
  });

  it('says each action in words', () => {
    expect(actionText('return')).toBe('Returned to the delegation');
    expect(actionText('amend')).toBe('Reopened as an amendment');
    expect(actionText('withdraw_report')).toBe('Withdraw report');
  });
});

describe('checks before sending', () => {
  it('needs a comment to return, a reason to amend', () => {
    expect(returnProblem('  ')).toMatch(/what the delegation should change/);
    expect(returnProblem('Add a 2028 target')).toBeNull();
    expect(amendProblem('')).toMatch(/why/);
    expect(amendProblem('New pillar 2 key result')).toBeNull();
  });

  it('needs a real date, not in the future, to endorse', () => {
    expect(endorseProblem('', '2026-03-01')).toMatch(/date/);
    expect(endorseProblem('2026-13-45', '2026-03-01')).toMatch(/not a date/);
    expect(endorseProblem('2026-03-02', '2026-03-01')).toMatch(/future/);
    expect(endorseProblem('2026-03-01', '2026-03-01')).toBeNull();
  });

  it('gives today in local time, and versions in words', () => {
    expect(todayIso(new Date(2026, 0, 30, 23, 59))).toBe('2026-01-30');
    expect(versionText(2)).toBe('version 2');
    expect(versionText(null)).toBe('');
  });
});

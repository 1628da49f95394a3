import { describe, expect, it } from 'vitest';
import { counting, countsAfter, fixOf, reasonProblem, reportsByKr } from '../src/delegate-reports';
import { fieldName } from '../src/forms';
import type { Actual } from '../src/protocol';

const a = (id: number, kr: string, value: number, withdrawn = false): Actual => ({
  id,
  iso3: 'VNM',
  kr_code: kr,
  year: 2026,
  value,
  reported_at: '2026-12-06T10:00:00Z',
  reported_by: 'Viet Nam delegation card',
  rev: id,
  withdrawn: withdrawn ? { rev: 99, reason: 'typo', by: 'Viet Nam delegation card' } : null,
});

describe('a key result’s reports on the phone', () => {
  // Newest first, as GET /actuals answers.
  const list = [a(9, 'VNM-KR1', 5, true), a(7, 'VNM-KR2', 1), a(6, 'VNM-KR1', 4), a(3, 'VNM-KR1', 3, true), a(2, 'VNM-KR1', 2)];

  it('groups by key result, keeping the newest first', () => {
    const by = reportsByKr(list);
    expect([...by.keys()]).toEqual(['VNM-KR1', 'VNM-KR2']);
    expect(by.get('VNM-KR1')?.map((x) => x.id)).toEqual([9, 6, 3, 2]);
  });

  it('counts the newest report not withdrawn, and the next older one once it is withdrawn', () => {
    const kr1 = reportsByKr(list).get('VNM-KR1') ?? [];
    expect(counting(kr1)?.id).toBe(6);
    expect(countsAfter(kr1, 6)?.id).toBe(2);
    expect(countsAfter(kr1, 2)).toBeNull();
    expect(countsAfter(kr1, 404)).toBeNull();
    expect(counting([a(1, 'X', 1, true)])).toBeNull();
  });

  it('knows a withdrawal or correction kept in the outbox by its path', () => {
    expect(fixOf({ kind: 'report', path: '/actuals/17/withdraw' })).toEqual({ id: 17, mode: 'withdraw' });
    expect(fixOf({ kind: 'report', path: '/actuals/17/correct' })).toEqual({ id: 17, mode: 'correct' });
    expect(fixOf({ kind: 'report', path: '/actuals' })).toBeNull();
    expect(fixOf({ kind: 'primer', path: '/actuals/17/withdraw' })).toBeNull();
  });

  it('asks for a reason of 1–500 characters, in words', () => {
    expect(reasonProblem('  ', 'it is withdrawn')).toMatch(/Say why it is withdrawn/);
    expect(reasonProblem('x'.repeat(501), 'it is withdrawn')).toMatch(/500 characters/);
    expect(reasonProblem(' typo ', 'it is withdrawn')).toBeNull();
  });

  it('names the range and reason fields in words', () => {
    expect(fieldName('key_results[1].min_value')).toBe('Key result 2, least value');
    expect(fieldName('key_results[0].max_value')).toBe('Key result 1, greatest value');
    expect(fieldName('reported_at')).toBe('Date of the report');
    expect(fieldName('reason')).toBe('Reason');
  });
});

describe('a server message with a date in it', () => {
  it('says the date as people read it', async () => {
    const { plainMessage } = await import('../src/forms');
    expect(plainMessage("2030-01-01T00:00:00.000000Z is in the future: a report is dated when it is made (up to 5 minutes ahead of the server's clock)")).toBe(
      "1 Jan 2030, 00:00 UTC is in the future: a report is dated when it is made (up to 5 minutes ahead of the server's clock)",
    );
  });
});

import { describe, expect, it } from 'vitest';
import { WALL_NO_SCORE, WALL_RAMP, contrast, wallScoreColour } from '../src/palette';
import { areaKey, chosenAreas, latestDrafted, wallPhase } from '../src/pages/wall-data';
import type { DraftPrimer } from '../src/pages/wall-data';
import { budgetText, cellText, withData } from '../src/pages/wall-main';
import { lineParts, lineStatus, recentKeys } from '../src/pages/wall-side';
import type { Recent } from '../src/protocol';

describe('wall', () => {
  it('shows a score with its coverage (key results with data of key results), a dash without a score, nothing without key results', () => {
    expect(cellText(1, 8, 3)).toEqual(['100%', '3/8']);
    expect(cellText(0.734, 3, 3)).toEqual(['73%', '3/3']);
    expect(cellText(0, 3, 1)).toEqual(['0%', '1/3']);
    expect(cellText(null, 3, 0)).toEqual(['–', '0/3']);
    expect(cellText(undefined, 0, 0)).toEqual(['', '']);
    expect(withData({ coverage: 0.375, krs: 8 })).toBe(3);
    expect(withData({ coverage: null, krs: 0 })).toBe(0);
  });

  it('colours every score step so that it stands out from the page and carries its text at 3:1 or more', () => {
    for (const bg of WALL_RAMP) {
      expect(contrast(bg, '#0b0d10')).toBeGreaterThanOrEqual(3);
      expect(contrast(bg, wallScoreColour(0.5).fg)).toBeGreaterThanOrEqual(3);
    }
    for (const s of [0, 0.05, 0.5, 0.99, 1, null]) {
      const c = wallScoreColour(s);
      expect(contrast(c.bg, c.fg)).toBeGreaterThanOrEqual(3);
    }
    expect(wallScoreColour(null)).toEqual(WALL_NO_SCORE);
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
  });

  it('is drafting while nothing is reported for the period, unless ?phase says otherwise', () => {
    expect(wallPhase(0, '')).toBe('drafting');
    expect(wallPhase(undefined, '')).toBe('drafting');
    expect(wallPhase(5, '')).toBe('monitoring');
    expect(wallPhase(5, '?phase=drafting')).toBe('drafting');
    expect(wallPhase(0, '?phase=monitoring')).toBe('monitoring');
    expect(wallPhase(0, '?phase=nonsense')).toBe('drafting');
  });

  it('counts the focus areas the primers chose, one per member, labels alike in case and spacing as one', () => {
    const p = (iso3: string, rev: number, focusAreas: string[], krs: [string, number, string][] = []): DraftPrimer => ({
      iso3,
      status: 'draft',
      rev,
      focusAreas,
      keyResults: krs.map(([code, pillar, title]) => ({ code, pillar, title, focus_area: focusAreas[0] ?? '', unit: '', direction: 'increase', weight: 1, targets: {} }) as never),
    });
    const areas = chosenAreas([p('VNM', 3, ['Electronics and ICT', 'SMEs']), p('THA', 2, ['smes ', 'Tourism']), p('FJI', 1, ['Tourism', 'SMEs'])]);
    expect(areas.map((a) => [a.label, a.members.length])).toEqual([
      ['SMEs', 3],
      ['Tourism', 2],
      ['Electronics and ICT', 1],
    ]);
    expect(areaKey('  Digital   Transformation ')).toBe('digital transformation');
    const ps = [p('FJI', 1, [], [['FJI-KR1', 1, 'a']]), p('VNM', 5, [], [['VNM-KR1', 2, 'b'], ['VNM-KR2', 4, 'c']])];
    expect(latestDrafted(ps, 2).map((k) => k.code)).toEqual(['VNM-KR2', 'FJI-KR1']);
    expect(latestDrafted(ps, 5).map((k) => k.code)).toEqual(['VNM-KR2', 'FJI-KR1', 'VNM-KR1']);
  });

  it('writes budgets as spent of planned', () => {
    expect(budgetText(1_200_000, 800_000)).toBe('$800K of $1.2M');
    expect(budgetText(0, 0)).toBe('none planned');
  });

  const line = (rev: number, key: string, summary: string, member: string | null = 'Viet Nam'): Recent => ({
    rev,
    at: '2026-11-23T15:00:00Z',
    actor: 'delegate@npo.vn',
    action: 'report',
    entity: 'actual',
    key,
    iso3: member ? 'VNM' : null,
    member,
    summary,
    status: null,
  });

  it('shows the server’s line as it is, with the member’s name that starts it set apart', () => {
    expect(lineParts(line(3, 'VNM/VNM-KR1/2026', 'Viet Nam · SMEs trained in digital tools: 395 SMEs in 2026, 74 % of target'))).toEqual([
      'Viet Nam',
      ' · SMEs trained in digital tools: 395 SMEs in 2026, 74 % of target',
    ]);
    expect(lineParts(line(4, '1/2026/APO', 'Budget of pillar 1 for 2026 (APO-wide): 10 spent of 20 planned', null))).toEqual([
      '',
      'Budget of pillar 1 for 2026 (APO-wide): 10 spent of 20 planned',
    ]);
  });

  it('labels a report line with the status the server gave it, and no other line', () => {
    const report = { ...line(9, 'VNM/VNM-KR1/2026', 'a'), status: 'at_risk' as const };
    expect(lineStatus(report)).toBe('at_risk');
    expect(lineStatus({ ...report, status: 'no_data' as const })).toBeNull();
    expect(lineStatus({ ...line(8, 'VNM', 'b'), status: null })).toBeNull();
  });

  it('keys each line by revision, entity and key, also when one revision carries several edits', () => {
    const keys = recentKeys([line(5, 'VNM/VNM-KR1/2026', 'a'), line(5, 'VNM/VNM-KR2/2026', 'b'), line(5, 'VNM/VNM-KR2/2026', 'c'), line(4, 'VNM/VNM-KR1/2026', 'd')]);
    expect(keys).toEqual(['5|actual|VNM/VNM-KR1/2026', '5|actual|VNM/VNM-KR2/2026', '5|actual|VNM/VNM-KR2/2026|1', '4|actual|VNM/VNM-KR1/2026']);
  });
});

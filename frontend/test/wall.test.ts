import { describe, expect, it } from 'vitest';
import { cellText } from '../src/pages/wall-main';
import { lineParts, recentKeys } from '../src/pages/wall-side';
import type { Recent } from '../src/protocol';

describe('wall', () => {
  it('shows a score as a percentage, else the key results a cell holds, else nothing', () => {
    expect(cellText(0.734, 3)).toBe('73%');
    expect(cellText(0, 3)).toBe('0%');
    expect(cellText(null, 3)).toBe('3 KR');
    expect(cellText(undefined, 0)).toBe('');
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

  it('keys each line by revision, entity and key, also when one revision carries several edits', () => {
    const keys = recentKeys([line(5, 'VNM/VNM-KR1/2026', 'a'), line(5, 'VNM/VNM-KR2/2026', 'b'), line(5, 'VNM/VNM-KR2/2026', 'c'), line(4, 'VNM/VNM-KR1/2026', 'd')]);
    expect(keys).toEqual(['5|actual|VNM/VNM-KR1/2026', '5|actual|VNM/VNM-KR2/2026', '5|actual|VNM/VNM-KR2/2026|1', '4|actual|VNM/VNM-KR1/2026']);
  });
});

import { describe, expect, it } from 'vitest';
import { cellText } from '../src/pages/wall-main';
import { fromRecent } from '../src/pages/wall-side';

describe('wall', () => {
  it('shows a score as a percentage, else the key results a cell holds, else nothing', () => {
    expect(cellText(0.734, 3)).toBe('73%');
    expect(cellText(0, 3)).toBe('0%');
    expect(cellText(null, 3)).toBe('3 KR');
    expect(cellText(null, 0)).toBe('');
  });

  it('turns the latest changes into ticker lines, leaving out series imports', () => {
    const r = (entity: string, summary: string) => ({ rev: 3, at: '2026-11-23T15:00:00Z', actor: 'delegate VNM', action: 'report', entity, key: 'VNM/VNM-KR1/2026', summary });
    const lines = fromRecent([r('actual', 'VNM-KR1 2026: 12.5'), r('series', 'series VNM/emp: set'), { ...r('primer', ''), actor: '' }]);
    expect(lines.map((l) => [l.who, l.what])).toEqual([
      ['delegate VNM', 'VNM-KR1 2026: 12.5'],
      ['someone', 'report primer VNM/VNM-KR1/2026'],
    ]);
    expect(new Set(lines.map((l) => l.key)).size).toBe(2);
  });
});

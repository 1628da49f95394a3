import { describe, expect, it } from 'vitest';
import { DASH, count, money, moneyShort, num, pct, short } from '../src/format';

describe('format', () => {
  it('shows a value that rounds to zero as "0", never "-0" (TFP growth of -0.04 %)', () => {
    expect(num(-0.04, 1)).toBe(num(0, 1));
    expect(num(-0.004, 2)).toBe(num(0, 2));
    expect(num(-0.4, 0)).toBe(num(0, 0));
    expect(num(-0, 1)).toBe(num(0, 1));
    expect(count(-0.3)).toBe(count(0));
    expect(pct(-0.001)).toBe(pct(0));
    expect(money(-0.2)).toBe(money(0));
    expect(short(-0.01)).toBe(short(0));
    expect(moneyShort(-0)).toBe(moneyShort(0));
    expect(num(-0.04, 1)).not.toMatch(/[-−]/);
  });

  it('keeps the sign of a negative value that does not round to zero', () => {
    expect(num(-0.06, 1)).toMatch(/^[-−]/);
    expect(num(-1.25, 2)).toMatch(/^[-−]/);
    expect(pct(-0.01)).toMatch(/^[-−]/);
  });

  it('shows nothing to show as a dash', () => {
    for (const v of [null, undefined, Number.NaN, Infinity]) {
      expect(num(v)).toBe(DASH);
      expect(pct(v)).toBe(DASH);
    }
  });
});

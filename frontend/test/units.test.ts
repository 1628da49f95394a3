import { describe, expect, it } from 'vitest';
import { ApiError, detailsFor } from '../src/api';
import { numberOrText } from '../src/forms';
import { countryShapes, MARKERS, project, shiftRing } from '../src/map';
import { scoreColour } from '../src/palette';
import { clampYear, initialPeriod } from '../src/period';

describe('map', () => {
  it('draws Fiji whole, east of 180°, not split across the map', () => {
    const fiji = countryShapes().find((s) => s.id === '242');
    expect(fiji).toBeDefined();
    const lons = fiji!.rings.flat().map((p) => p[0]);
    expect(Math.min(...lons)).toBeGreaterThan(170);
    expect(Math.max(...lons)).toBeLessThan(185);
  });

  it('keeps every member drawn: 19 as shapes, Hong Kong and Singapore as markers', () => {
    const ids = new Set(countryShapes().map((s) => s.id));
    const members = ['050', '116', '158', '242', '356', '360', '364', '392', '410', '418', '458', '496', '524', '586', '608', '144', '764', '792', '704'];
    for (const m of members) expect(ids.has(m), m).toBe(true);
    expect(Object.keys(MARKERS).sort()).toEqual(['344', '702']);
    for (const [lon, lat] of Object.values(MARKERS)) {
      const [x, y] = project([lon, lat]);
      expect(x).toBeGreaterThan(0);
      expect(y).toBeGreaterThan(0);
    }
  });

  it('moves rings west of 25° W, and the western points of rings that cross 180°', () => {
    expect(shiftRing([[-179.9, -16], [-178, -17]])).toEqual([[180.1, -16], [182, -17]]);
    expect(shiftRing([[-30, 60], [10, 50]])).toEqual([[-30, 60], [10, 50]]);
    expect(shiftRing([[-180, -16], [179.4, -16.8], [-179.8, -16]])).toEqual([[180, -16], [179.4, -16.8], [180.2, -16]]);
  });
});

describe('forms and errors', () => {
  it('reads numbers people type, and passes anything else to the server as typed', () => {
    expect(numberOrText(' 12.5 ')).toBe(12.5);
    expect(numberOrText('1,234')).toBe(1234);
    expect(numberOrText('')).toBeNull();
    expect(numberOrText('abc')).toBe('abc');
  });

  it('finds the server messages for a field, ignoring a batch row prefix', () => {
    const e = new ApiError(422, 'invalid', 'x', [
      { field: '[0].value', row: 0, message: 'not a number' },
      { field: 'key_results[1].targets.2027', message: 'bad target' },
      { field: null, message: 'general' },
    ]);
    expect(detailsFor(e, 'value')).toEqual(['not a number']);
    expect(detailsFor(e, 'key_results[1].targets.2027')).toEqual(['bad target']);
    expect(detailsFor(e, '')).toEqual(['general']);
  });
});

describe('period and palette', () => {
  it('takes ?period= in the cycle, else this year clamped into 2026–2028', () => {
    expect(initialPeriod('?period=2027', new Date('2026-11-23'))).toBe(2027);
    expect(initialPeriod('?period=2031', new Date('2026-11-23'))).toBe(2026);
    expect(initialPeriod('', new Date('2030-01-01'))).toBe(2028);
    expect(clampYear(2020)).toBe(2026);
  });

  it('gives null scores a neutral colour and high scores a dark one with white text', () => {
    expect(scoreColour(null).bg).toBe('#3a3f47');
    expect(scoreColour(1).fg).toBe('#ffffff');
    expect(scoreColour(0).fg).toBe('#000000');
  });
});

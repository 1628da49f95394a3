import { describe, expect, it } from 'vitest';
import { krsWithData } from '../src/pages/member';
import { withYears, yearParam } from '../src/pages/productivity';

describe('productivity: the year and base year in the address', () => {
  it('reads a year the API takes, and nothing else', () => {
    expect(yearParam('?year=2015&base_year=2005', 'year')).toBe(2015);
    expect(yearParam('?year=2015&base_year=2005', 'base_year')).toBe(2005);
    expect(yearParam('', 'year')).toBeNull();
    for (const bad of ['abc', '20155', '1949', '2101', '2015.5', '-2015', '']) expect(yearParam(`?year=${bad}`, 'year'), bad).toBeNull();
  });

  it('writes both into the address, keeping the rest of the query', () => {
    expect(withYears('http://x/productivity', 2010, 2000)).toBe('/productivity?year=2010&base_year=2000');
    expect(withYears('http://x/productivity?period=2027&year=1999#ranks', 2017, 2011)).toBe('/productivity?period=2027&year=2017&base_year=2011#ranks');
    expect(withYears('http://x/productivity?year=1999&base_year=1990', null, null)).toBe('/productivity');
  });
});

describe('member: key results with data per pillar', () => {
  it('counts them from the cell (coverage × key results), none without key results', () => {
    expect(krsWithData({ krs: 8, coverage: 5 / 8 })).toEqual({ with: 5, of: 8 });
    expect(krsWithData({ krs: 3, coverage: null })).toEqual({ with: 0, of: 3 });
    expect(krsWithData({ krs: 0, coverage: null })).toBeNull();
    expect(krsWithData(undefined)).toBeNull();
  });
});

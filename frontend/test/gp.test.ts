import { describe, expect, it } from 'vitest';
import {
  NONE,
  cellCounts,
  changedKeys,
  countColour,
  coverageText,
  filtersFrom,
  filtersQuery,
  type GpMapping,
  headlineTotals,
  legendSteps,
  listHeading,
  listQuery,
  matrixOf,
  membersText,
  outcomesText,
  touchesGp,
  valueText,
  WALL_NONE,
  wallCountColour,
  wallCoverText,
} from '../src/pages/gp-model';
import { RAMP, WALL_RAMP, contrast } from '../src/palette';

const THEMES = [
  { id: 'energy_efficiency', label: 'Energy efficiency' },
  { id: 'circular_economy', label: 'Circular economy' },
  { id: 'green_supply_chains', label: 'Green supply chains' },
];

const mapping = (over: Partial<GpMapping> = {}): GpMapping => ({
  themes: THEMES,
  members: {
    VNM: { initiatives: 3, themes: { energy_efficiency: 2, circular_economy: 1 } },
    TWN: { initiatives: 1, themes: { green_supply_chains: 1 } },
  },
  totals: [
    { metric: 'energy_saved', unit: 'MWh', value: 1234.5, initiatives: 7, members: 5 },
    { metric: 'companies_reached', unit: 'companies', value: 12, initiatives: 2, members: 1 },
  ],
  members_with_initiatives: 2,
  members_total: 21,
  ...over,
});

const MEMBERS = [
  { iso3: 'VNM', name: 'Viet Nam' },
  { iso3: 'TWN', name: 'Republic of China' },
  { iso3: 'JPN', name: 'Japan' },
];

describe('the member × theme matrix', () => {
  it('has a row per member by display name and a column per theme, 0 where the mapping has none', () => {
    const m = matrixOf(mapping(), MEMBERS, { theme: '', type: '' });
    expect(m.rows.map((r) => r.name)).toEqual(['Japan', 'Republic of China', 'Viet Nam']);
    expect(m.themes.map((t) => t.label)).toEqual(['Energy efficiency', 'Circular economy', 'Green supply chains']);
    const vnm = m.rows.find((r) => r.iso3 === 'VNM')!;
    expect(vnm.cells.map((c) => c.count)).toEqual([2, 1, 0]);
    expect(vnm.total).toBe(3);
    const jpn = m.rows.find((r) => r.iso3 === 'JPN')!;
    expect(jpn.cells.map((c) => c.count)).toEqual([0, 0, 0]);
    expect(jpn.total).toBe(0);
    expect(m.maxCell).toBe(2);
    expect(m.maxTotal).toBe(3);
  });

  it('keeps only the chosen theme as a column when the theme filter is set', () => {
    const m = matrixOf(mapping(), MEMBERS, { theme: 'circular_economy', type: '' });
    expect(m.themes.map((t) => t.id)).toEqual(['circular_economy']);
    expect(m.rows.find((r) => r.iso3 === 'VNM')!.cells).toEqual([{ theme: 'circular_economy', count: 1 }]);
  });

  it('an empty mapping shades nothing and divides by nothing', () => {
    const m = matrixOf(mapping({ members: {}, members_with_initiatives: 0 }), MEMBERS, { theme: '', type: '' });
    expect(m.maxCell).toBe(1);
    expect(m.rows.every((r) => r.total === 0)).toBe(true);
  });

  it('finds the cells a change changed, and none on the first draw', () => {
    const before = cellCounts(matrixOf(mapping(), MEMBERS, { theme: '', type: '' }));
    const after = cellCounts(
      matrixOf(mapping({ members: { ...mapping().members, JPN: { initiatives: 1, themes: { energy_efficiency: 1 } } } }), MEMBERS, { theme: '', type: '' }),
    );
    expect([...changedKeys(before, after)].sort()).toEqual(['JPN/*', 'JPN/energy_efficiency']);
    expect(changedKeys(null, after).size).toBe(0);
  });
});

describe('shading a count', () => {
  it('white for none, darker for more, on the dashboard ramp', () => {
    expect(countColour(0, 5)).toEqual(NONE);
    const shades = [1, 2, 3, 4, 5].map((n) => RAMP.indexOf(countColour(n, 5).bg));
    expect(shades).toEqual([...shades].sort((a, b) => a - b));
    expect(shades[0]).toBeGreaterThan(0);
    expect(shades.at(-1)).toBe(RAMP.length - 1);
    for (let n = 1; n <= 12; n++) expect(contrast(countColour(n, 12).bg, countColour(n, 12).fg)).toBeGreaterThanOrEqual(4.5);
    expect(countColour(9, 9).fg).toBe('#ffffff');
    expect(countColour(1, 9).fg).toBe('#000000');
  });

  it("on the wall: the wall's ramp with black type that reads on every step, none the dark cell", () => {
    expect(wallCountColour(0, 4)).toEqual(WALL_NONE);
    expect(wallCountColour(1, 4).bg).toBe(WALL_RAMP[0]);
    expect(wallCountColour(4, 4).bg).toBe(WALL_RAMP.at(-1));
    for (let n = 1; n <= 4; n++) expect(contrast(wallCountColour(n, 4).bg, wallCountColour(n, 4).fg)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(WALL_NONE.bg, WALL_NONE.fg)).toBeGreaterThanOrEqual(4.5);
  });

  it('the legend lists each count up to six, else six steps up to the largest', () => {
    expect(legendSteps(1)).toEqual([1]);
    expect(legendSteps(4)).toEqual([1, 2, 3, 4]);
    const s = legendSteps(21);
    expect(s[0]).toBe(1);
    expect(s.at(-1)).toBe(21);
    expect(s.length).toBe(6);
  });
});

describe('the totals in words', () => {
  it('a value with its unit, and the coverage it rests on', () => {
    expect(valueText('energy_saved', 1234.5, 'MWh')).toBe('1,234.5 MWh');
    expect(valueText('companies_reached', 12, 'companies')).toBe('12 companies');
    expect(coverageText({ initiatives: 7, members: 5 }, 21)).toBe('from 7 initiatives in 5 of 21 members');
    expect(coverageText({ initiatives: 1, members: 1 }, 21)).toBe('from 1 initiative in 1 of 21 members');
    expect(wallCoverText({ initiatives: 25, members: 17 })).toBe('from 25 initiatives, 17 members');
  });

  it('how many members have initiatives', () => {
    expect(membersText({ members_with_initiatives: 14, members_total: 21 }, false)).toBe('14 of 21 members have GP 2.0 initiatives');
    expect(membersText({ members_with_initiatives: 1, members_total: 21 }, true)).toBe('1 of 21 members has initiatives of this kind');
  });

  it('the wall headlines: the widest coverage first, none without an initiative', () => {
    const t = headlineTotals(
      [
        { metric: 'water_saved', unit: 'm³', value: 0, initiatives: 0, members: 0 },
        { metric: 'companies_reached', unit: 'companies', value: 12, initiatives: 2, members: 1 },
        { metric: 'energy_saved', unit: 'MWh', value: 1234.5, initiatives: 7, members: 5 },
      ],
      3,
    );
    expect(t.map((x) => x.metric)).toEqual(['energy_saved', 'companies_reached']);
  });

  it("an initiative's outcomes as read", () => {
    expect(outcomesText({ outcomes: [{ metric: 'energy_saved', year: 2026, value: 340.5, unit: 'MWh' }] })).toEqual(['Energy saved 340.5 MWh (2026)']);
    expect(listHeading('Republic of China', 'Energy efficiency')).toBe('Initiatives of Republic of China in Energy efficiency');
    expect(listHeading('Viet Nam', null)).toBe('Initiatives of Viet Nam');
  });
});

describe('the filters', () => {
  it('read from the address, dropping what the API would refuse', () => {
    expect(filtersFrom('?theme=energy_efficiency&type=training')).toEqual({ theme: 'energy_efficiency', type: 'training' });
    expect(filtersFrom('?theme=Energy%20efficiency&type=seminar')).toEqual({ theme: '', type: '' });
  });

  it('written back as the query of GET /gp/mapping and /gp/initiatives', () => {
    expect(filtersQuery({ theme: 'energy_efficiency', type: '' })).toBe('?theme=energy_efficiency');
    expect(filtersQuery({ theme: '', type: '' })).toBe('');
    expect(listQuery({ theme: '', type: 'training' }, 'VNM', 'circular_economy')).toBe('?iso3=VNM&theme=circular_economy&type=training');
    expect(listQuery({ theme: 'eco_products', type: '' }, 'VNM', null)).toBe('?iso3=VNM&theme=eco_products');
  });

  it('a live change concerns the views when it is about an initiative or a theme', () => {
    expect(touchesGp({ kind: 'patch', events: [{ entity: 'gp_initiative' }] })).toEqual({ initiatives: true, themes: false });
    expect(touchesGp({ kind: 'patch', events: [{ entity: 'gp_theme' }] })).toEqual({ initiatives: false, themes: true });
    expect(touchesGp({ kind: 'patch', events: [{ entity: 'training' }] })).toEqual({ initiatives: false, themes: false });
    expect(touchesGp({ kind: 'snapshot', events: [] }).initiatives).toBe(true);
  });
});

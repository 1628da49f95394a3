import { describe, expect, it } from 'vitest';
import { draftOf, type GpDraft, METRICS, METRIC_UNIT, newOutcome, outcomeProblems, proposeId, readGpDraft, readValue, slotCandidates, slotPath, slug, yearProblems } from '../src/pages/gp-form-model';
import type { GpInitiative } from '../src/pages/gp-model';

const THEMES = ['energy_efficiency', 'circular_economy'];
const draft = (over: Partial<GpDraft> = {}): GpDraft => ({
  id: 'vnm-gp-demo',
  iso3: 'vnm',
  title: '  GP demonstration   in food SMEs ',
  theme: 'energy_efficiency',
  type: 'demonstration_project',
  sector: 'food_processing',
  start_year: '2025',
  end_year: '2027',
  status: 'ongoing',
  outcomes: [
    { metric: 'companies_reached', year: '2026', value: '12' },
    { metric: 'energy_saved', year: '2026', value: '340.5' },
  ],
  ...over,
});
const fields = (ps: { field: string }[]) => ps.map((p) => p.field);

describe('the initiative form: the body', () => {
  it('builds the PUT body from the boxes: trimmed, the member upper-case, years and values as numbers', () => {
    const { body, problems, rows } = readGpDraft(draft(), THEMES, 2026);
    expect(problems).toEqual([]);
    expect(body).toEqual({
      id: 'vnm-gp-demo',
      iso3: 'VNM',
      title: 'GP demonstration in food SMEs',
      theme: 'energy_efficiency',
      type: 'demonstration_project',
      sector: 'food_processing',
      start_year: 2025,
      end_year: 2027,
      status: 'ongoing',
      outcomes: [
        { metric: 'companies_reached', year: 2026, value: 12 },
        { metric: 'energy_saved', year: 2026, value: 340.5 },
      ],
    });
    expect(rows).toEqual([0, 1]);
  });

  it('leaves blank outcome rows out, and remembers which row each outcome sent came from', () => {
    const blank = { metric: '', year: '', value: '' };
    const { body, problems, rows } = readGpDraft(draft({ outcomes: [blank, { metric: 'water_saved', year: '2025', value: '1,200' }, blank, { metric: 'people_trained', year: '2026', value: '0' }] }), THEMES, 2026);
    expect(problems).toEqual([]);
    expect(body.outcomes).toEqual([
      { metric: 'water_saved', year: 2025, value: 1200 },
      { metric: 'people_trained', year: 2026, value: 0 },
    ]);
    expect(rows).toEqual([1, 3]);
  });

  it('names every field it cannot send', () => {
    const { problems } = readGpDraft({ id: 'X!', iso3: '', title: ' ', theme: 'nope', type: '', sector: '', start_year: '', end_year: 'abc', status: '', outcomes: [] }, THEMES, 2026);
    expect(fields(problems)).toEqual(['id', 'iso3', 'title', 'theme', 'type', 'sector', 'status', 'start_year', 'end_year']);
  });

  it('reads values as people type them, and refuses what is not a number', () => {
    expect(readValue('340,5')).toBe(340.5);
    expect(readValue('1,234.5')).toBe(1234.5);
    expect(readValue(' 12 ')).toBe(12);
    expect(readValue('12 MWh')).toBeNaN();
    expect(readValue('')).toBeNaN();
    expect(readValue('-3')).toBe(-3);
  });
});

describe('the initiative form: checks as typed', () => {
  it('an end year before the start', () => {
    expect(yearProblems('2027', '2026')).toEqual([{ field: 'end_year', message: 'the initiative ends (2026) before it starts (2027)' }]);
    expect(fields(yearProblems('1999', '2036'))).toEqual(['start_year', 'end_year']);
    expect(yearProblems('2026', '2026')).toEqual([]);
  });

  it('an outcome year after the end year, before the start, or after this year', () => {
    const rows = [
      { metric: 'energy_saved', year: '2028', value: '1' },
      { metric: 'energy_saved', year: '2024', value: '1' },
      { metric: 'water_saved', year: '2027', value: '1' },
      { metric: 'water_saved', year: '2026', value: '1' },
    ];
    const ps = outcomeProblems(rows, 2025, 2027, 2026);
    expect(fields(ps)).toEqual(['outcomes[0].year', 'outcomes[1].year', 'outcomes[2].year']);
    expect(ps[0]?.message).toBe('2028 is outside the initiative’s years 2025–2027');
    expect(ps[2]?.message).toMatch(/^2027 is in the future/);
  });

  it('one row per metric and year, the second named with the first row', () => {
    const ps = outcomeProblems(
      [
        { metric: 'energy_saved', year: '2026', value: '1' },
        { metric: 'companies_reached', year: '2026', value: '2' },
        { metric: 'energy_saved', year: '2026', value: '3' },
      ],
      2026,
      2026,
      2026,
    );
    expect(ps).toEqual([{ field: 'outcomes[2].metric', message: 'Energy saved in 2026 is already on row 1: one row per metric and year' }]);
  });

  it('a value below 0, a value that is not a number, a missing metric', () => {
    const ps = outcomeProblems(
      [
        { metric: 'energy_saved', year: '2026', value: '-1' },
        { metric: '', year: '2026', value: 'ten' },
      ],
      2026,
      2026,
      2026,
    );
    expect(fields(ps)).toEqual(['outcomes[0].value', 'outcomes[1].metric', 'outcomes[1].value']);
  });

  it('refuses the whole draft with an outcome after the end year (nothing to send)', () => {
    const { problems } = readGpDraft(draft({ start_year: '2024', end_year: '2025', outcomes: [{ metric: 'energy_saved', year: '2026', value: '5' }] }), THEMES, 2026);
    expect(fields(problems)).toEqual(['outcomes[0].year']);
  });
});

describe('the initiative form: where the server’s refusals are shown', () => {
  it('turns the index among the outcomes sent into the row shown', () => {
    expect(slotPath('outcomes[1].value', [1, 3])).toBe('outcomes[3].value');
    expect(slotPath('outcomes[0].year', [1, 3])).toBe('outcomes[1].year');
    expect(slotPath('outcomes[2].value', [0, 1, 2])).toBe('outcomes[2].value');
    expect(slotPath('outcomes[7].value', [0])).toBe('outcomes');
    expect(slotPath('[0].title', [])).toBe('title');
    expect(slotPath('end_year', [])).toBe('end_year');
  });

  it('tries the most precise slot first', () => {
    expect(slotCandidates('outcomes[2].value')).toEqual(['outcomes[2].value', 'outcomes[2]', 'outcomes']);
    expect(slotCandidates('title')).toEqual(['title']);
    expect(slotCandidates('participants.government')).toEqual(['participants.government', 'participants']);
  });
});

describe('the initiative form: the id of a new one', () => {
  it('is the member and the title as a slug, with gp', () => {
    expect(slug('Éco-products for Café SMEs (2026)!')).toBe('eco-products-for-cafe-smes-2026');
    expect(proposeId('VNM', 'Demonstration in food SMEs', new Set())).toBe('vnm-gp-demonstration-in-food-smes');
    expect(proposeId('VNM', 'GP demonstration in food SMEs', new Set())).toBe('vnm-gp-demonstration-in-food-smes');
    expect(proposeId('VNM', '', new Set())).toBe('vnm-gp');
  });

  it('is unique among the initiatives known', () => {
    const taken = new Set(['vnm-gp-food', 'vnm-gp-food-2']);
    expect(proposeId('VNM', 'Food', taken)).toBe('vnm-gp-food-3');
  });

  it('stays within 63 characters, cut at a word, and matches the server’s pattern', () => {
    const title = 'Demonstration of energy efficiency in small and medium food processing enterprises of the Mekong delta';
    const id = proposeId('VNM', title, new Set());
    expect(id.length).toBeLessThanOrEqual(63);
    expect(id).toMatch(/^[a-z0-9][a-z0-9-]{1,62}$/);
    expect(id.endsWith('-')).toBe(false);
    expect(title.toLowerCase().replace(/ /g, '-')).toContain(id.slice('vnm-gp-'.length));
    const again = proposeId('VNM', title, new Set([id]));
    expect(again.length).toBeLessThanOrEqual(63);
    expect(again.endsWith('-2')).toBe(true);
  });
});

describe('the initiative form: drafts', () => {
  it('of a stored initiative, every box as text, outcomes as rows', () => {
    const i: GpInitiative = {
      id: 'tha-gp-x',
      iso3: 'THA',
      title: 'X',
      theme: 'circular_economy',
      type: 'training',
      sector: 'energy',
      start_year: 2024,
      end_year: 2026,
      status: 'completed',
      outcomes: [{ metric: 'water_saved', year: 2025, value: 12.5, unit: 'm³' }],
    };
    const d = draftOf(i, 'VNM', 2026);
    expect(d).toMatchObject({ id: 'tha-gp-x', iso3: 'THA', start_year: '2024', end_year: '2026', outcomes: [{ metric: 'water_saved', year: '2025', value: '12.5' }] });
    expect(readGpDraft(d, THEMES, 2026).body.outcomes).toEqual([{ metric: 'water_saved', year: 2025, value: 12.5 }]);
  });

  it('of a new one: the member given, this year, planned, no outcome', () => {
    expect(draftOf(null, 'VNM', 2026)).toMatchObject({ iso3: 'VNM', start_year: '2026', end_year: '2026', status: 'planned', outcomes: [] });
  });

  it('a new outcome row takes the last year reached so far', () => {
    expect(newOutcome('2024', '2028', 2026).year).toBe('2026');
    expect(newOutcome('2024', '2025', 2026).year).toBe('2025');
    expect(newOutcome('2027', '2028', 2026).year).toBe('');
  });

  it('every metric offered with the server’s unit', () => {
    expect(METRICS.map(([m]) => m)).toEqual(['companies_reached', 'specialists_certified', 'people_trained', 'energy_saved', 'emissions_avoided', 'water_saved']);
    expect(METRICS.find(([m]) => m === 'energy_saved')?.[1]).toBe('Energy saved (MWh)');
    expect(METRICS.find(([m]) => m === 'companies_reached')?.[1]).toBe('Companies reached');
    expect(METRIC_UNIT.water_saved).toBe('m³');
  });
});

import { describe, expect, it } from 'vitest';
import { derivedAside, derivedExplanation, derivedSuffix, derivedText, krKeyOf, krSource } from '../src/derived';
import { datesText, draftOf, groupRows, memberFrom, memberQuery, nextId, overTime, readCount, readDraft, sectorBars, share, sumProblems, type TrainingDraft, type TrainingInput, touchesTrainings } from '../src/pages/trainings-model';

const course = (over: Partial<TrainingInput> = {}): TrainingInput => ({
  id: 'vnm-tr-2026-014',
  iso3: 'VNM',
  title: 'Lean for food processors',
  provider: 'VNPI',
  sector: 'food_processing',
  topic: 'Lean production',
  start_date: '2026-03-02',
  end_date: '2026-03-06',
  mode: 'in_person',
  hours: 40,
  participants: { government: 4, enterprises: 21, universities: 5 },
  by_sex: { female: 14, male: 16, unspecified: 0 },
  smes: 17,
  certified_specialists: 3,
  ...over,
});

const draft = (over: Partial<TrainingDraft> = {}): TrainingDraft => ({ ...draftOf(course(), 'VNM'), ...over });
const fields = (d: TrainingDraft) => readDraft(d).problems.map((p) => p.field);

describe('the training summary as the page draws it', () => {
  it('sectors with participants, most first, in people’s words; ties in the closed list’s order', () => {
    const bars = sectorBars({ by_sector: { agriculture: 30, food_processing: 30, energy: 0, electronics_ict: 55 } });
    expect(bars).toEqual([
      ['Electronics and ICT', 55],
      ['Food processing', 30],
      ['Agriculture', 30],
    ]);
    // The server's own labels, when it gave them, win.
    expect(sectorBars({ by_sector: { energy: 2 } }, new Map([['energy', 'Energy (power, fuels)']]))).toEqual([['Energy (power, fuels)', 2]]);
  });

  it('the tripartite groups in APO’s order, the SMEs counted among the enterprises only', () => {
    const rows = groupRows({ by_group: { government: 4, enterprises: 21, universities: 5 }, smes: 17 });
    expect(rows.map((r) => [r.id, r.n, r.smes])).toEqual([
      ['government', 4, null],
      ['enterprises', 21, 17],
      ['universities', 5, null],
    ]);
    expect(rows[2]?.label).toBe('Universities and training institutions');
    expect(share(14, 30)).toBe('47 %');
    expect(share(0, 0)).toBe('–');
  });

  it('participants over time by the month a course ended, empty months as 0; by year beyond three years', () => {
    const t = overTime([course({ end_date: '2026-03-06' }), course({ end_date: '2026-05-20' }), course({ end_date: '2026-03-30', participants: { government: 1, enterprises: 0, universities: 0 } })]);
    expect(t).toEqual({ by: 'month', labels: ['Mar 2026', 'Apr 2026', 'May 2026'], values: [31, 0, 30] });
    const across = overTime([course({ end_date: '2025-12-01' }), course({ end_date: '2026-01-15' })]);
    expect(across.labels).toEqual(['Dec 2025', 'Jan 2026']);
    const long = overTime([course({ end_date: '2021-02-01' }), course({ end_date: '2026-01-15' })]);
    expect(long).toEqual({ by: 'year', labels: ['2021', '2022', '2023', '2024', '2025', '2026'], values: [30, 0, 0, 0, 0, 30] });
    expect(overTime([])).toEqual({ by: 'month', labels: [], values: [] });
  });

  it('course dates as read, and the member of the address', () => {
    expect(datesText('2026-03-02', '2026-03-06')).toBe('2–6 March 2026');
    expect(datesText('2026-02-28', '2026-03-03')).toBe('28 February – 3 March 2026');
    expect(datesText('2025-12-30', '2026-01-02')).toBe('30 December 2025 – 2 January 2026');
    expect(datesText('2026-03-02', '2026-03-02')).toBe('2 March 2026');
    expect(memberFrom('?iso3=vnm')).toBe('VNM');
    expect(memberFrom('?iso3=VIETNAM')).toBeNull();
    expect(memberFrom('')).toBeNull();
    expect(memberQuery('VNM')).toBe('?iso3=VNM');
    expect(memberQuery(null)).toBe('');
  });

  it('asks again on a training event or a fresh snapshot, not on others', () => {
    expect(touchesTrainings({ kind: 'patch', events: [{ entity: 'training', key: 'vnm-tr-2026-014' }] })).toBe(true);
    expect(touchesTrainings({ kind: 'patch', events: [{ entity: 'actual', key: 'VNM/VNM-KR1/2026' }] })).toBe(false);
    expect(touchesTrainings({ kind: 'snapshot', events: [] })).toBe(true);
  });
});

describe('the course form’s checks, before anything is sent', () => {
  it('a whole course passes and becomes the contract’s body', () => {
    const { body, problems } = readDraft(draft());
    expect(problems).toEqual([]);
    expect(body).toEqual(course());
  });

  it('by sex must add up to the participants, the difference said in words', () => {
    const p = readDraft(draft({ by_sex: { female: '14', male: '15', unspecified: '' } })).problems;
    expect(p).toEqual([{ field: 'by_sex', message: 'female, male and not specified add up to 29, but the participants are 30: 1 not counted' }]);
    expect(sumProblems({ government: 1, enterprises: 1, universities: 0 }, { female: 3, male: 0, unspecified: 0 }, 0, 0)[0]?.message).toMatch(/add up to 3, but the participants are 2: 1 too many/);
  });

  it('SMEs among the enterprises, certified among the participants', () => {
    expect(fields(draft({ smes: '22' }))).toEqual(['smes']);
    expect(fields(draft({ certified_specialists: '31' }))).toEqual(['certified_specialists']);
    expect(fields(draft({ certified_specialists: '30', smes: '21' }))).toEqual([]);
  });

  it('counts are whole numbers of at least 0 (empty is 0); the sums wait until every count reads', () => {
    expect(readCount('')).toEqual({ ok: true, value: 0 });
    expect(readCount(' 1,200 ')).toEqual({ ok: true, value: 1200 });
    expect(readCount('2.5').ok).toBe(false);
    expect(readCount('-1').ok).toBe(false);
    expect(fields(draft({ participants: { government: 'four', enterprises: '21', universities: '5' } }))).toEqual(['participants.government']);
  });

  it('names each missing or impossible field with the server’s path', () => {
    expect(fields(draft({ id: 'VNM 14' }))).toEqual(['id']);
    expect(fields(draft({ title: ' ', provider: '' }))).toEqual(['title', 'provider']);
    expect(fields(draft({ sector: '' }))).toEqual(['sector']);
    expect(fields(draft({ end_date: '2026-03-01' }))).toEqual(['end_date']);
    expect(fields(draft({ hours: '0' }))).toEqual(['hours']);
    expect(fields(draft({ hours: '2001' }))).toEqual(['hours']);
    expect(fields(draft({ hours: 'forty' }))).toEqual(['hours']);
    expect(fields(draft({ hours: '7,5' }))).toEqual([]);
  });

  it('leaves whether the course is over to the server, whose clock says what today is', () => {
    expect(fields(draft({ start_date: '2099-01-01', end_date: '2099-01-05' }))).toEqual([]);
  });

  it('proposes the next free id of the member and year', () => {
    expect(nextId([{ id: 'vnm-tr-2026-014' }, { id: 'vnm-tr-2026-003' }, { id: 'tha-tr-2026-020' }], 'VNM', 2026)).toBe('vnm-tr-2026-015');
    expect(nextId([], 'THA', 2027)).toBe('tha-tr-2027-001');
    expect(draftOf(null, 'VNM', 'vnm-tr-2026-001')).toMatchObject({ id: 'vnm-tr-2026-001', iso3: 'VNM', mode: 'in_person', hours: '' });
  });
});

describe('the derived mark', () => {
  it('reads the source from the document’s key result or from the primer’s', () => {
    expect(krSource({ source: 'trainings' })).toBe('trainings');
    expect(krSource({ source: 'gp_initiatives' })).toBe('gp_initiatives');
    expect(krSource({ source: { dataset: 'trainings', measure: 'participants', sectors: [], since: 2026 } })).toBe('trainings');
    expect(krSource({ source: null })).toBeNull();
    expect(krSource({ code: 'VNM-KR1' })).toBeNull();
    expect(krSource(undefined)).toBeNull();
    expect(krSource({ source: 'something else' })).toBeNull();
  });

  it('says where the actual comes from, in words, and why no report is taken', () => {
    expect(derivedText('trainings')).toBe('derived from training database');
    expect(derivedText('gp_initiatives')).toBe('derived from GP initiatives');
    expect(derivedSuffix({ source: 'trainings' })).toBe(' · derived from training database');
    expect(derivedSuffix({ source: null })).toBe('');
    expect(derivedAside({ source: 'gp_initiatives' })).toBe(' (derived from GP initiatives)');
    expect(derivedExplanation('trainings')).toMatch(/takes no reports/);
  });

  it('finds the key result of a report’s ticker line', () => {
    expect(krKeyOf({ entity: 'actual', key: 'VNM/VNM-KR1/2026' })).toBe('VNM/VNM-KR1');
    expect(krKeyOf({ entity: 'training', key: 'vnm-tr-2026-014' })).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { codeFromPath, daysLeftText, filtersFrom, filtersQuery, isOpen, limitsText, membersText, nextClosing, type Project, timingText, touchesProject } from '../src/pages/projects-model';
import { currentText, spans } from '../src/pages/coes-timeline';
import { budgetText, closingText, krsText, limits, memberList, parseBudget, parseClosing, parseKrs, type Problem, splitList } from '../src/pages/projects-form-model';

const project = (over: Partial<Project> = {}): Project => ({ code: '27-SN-03-GE-BCN-C', title: 'BCN', pillar: 1, status: 'planned', ...over });

describe('the days left to a closing date', () => {
  it('reads as people say it, the closing day itself still open', () => {
    expect(daysLeftText(12)).toBe('closes in 12 days');
    expect(daysLeftText(1)).toBe('closes tomorrow');
    expect(daysLeftText(0)).toBe('closes today');
    expect(daysLeftText(-1)).toBe('closed');
  });

  it('a notification is open while a closing date is not passed, or when it takes things all year', () => {
    const closing = [
      { date: '2027-03-31', days_left: -2, for: 'applications' as const, remark: 'First' },
      { date: '2027-06-30', days_left: 89, for: 'applications' as const, remark: 'Second' },
    ];
    expect(isOpen(project({ closing }))).toBe(true);
    expect(nextClosing(project({ closing }))?.remark).toBe('Second');
    expect(isOpen(project({ closing: [closing[0]!] }))).toBe(false);
    expect(isOpen(project({ closing: [closing[0]!], open_all_year: 'New COEs: throughout the year' }))).toBe(true);
    expect(isOpen(project({ closing: null }))).toBe(false);
  });
});

describe('the filters of /projects', () => {
  it('read from the address, dropping what the API would refuse', () => {
    expect(filtersFrom('?program=bcn&pillar=1&member=vnm&open=true')).toEqual({ program: 'BCN', pillar: '1', member: 'VNM', open: true });
    expect(filtersFrom('?pillar=9&member=VIETNAM&open=1')).toEqual({ program: '', pillar: '', member: '', open: false });
  });

  it('written back as the query of GET /projects', () => {
    expect(filtersQuery({ program: 'BCN', pillar: '', member: '', open: true })).toBe('?program=BCN&open=true');
    expect(filtersQuery({ program: '', pillar: '', member: '', open: false })).toBe('');
  });
});

describe('a notification as read', () => {
  const names = new Map([['VNM', 'Viet Nam'], ['JPN', 'Japan']]);
  it('names members, "all members" for *', () => {
    expect(membersText(['*'], names)).toBe('All members');
    expect(membersText(['VNM', 'JPN', 'XYZ'], names)).toBe('Viet Nam, Japan, XYZ');
    expect(membersText([], names)).toBe('–');
  });

  it('gives the limits per modality from the notification', () => {
    expect(limitsText({ face_to_face: 4, virtual: 10 })).toBe('Virtual: up to 10 · Face-to-face: up to 4');
    expect(limitsText({})).toBe('');
  });

  it('gives the timing in words', () => {
    expect(timingText('2027-01-01', '2027-12-31')).toBe('1 January 2027 – 31 December 2027');
    expect(timingText(null, null)).toBe('–');
  });

  it('takes the code from its address', () => {
    expect(codeFromPath('/projects/27-SN-03-GE-BCN-C')).toBe('27-SN-03-GE-BCN-C');
    expect(codeFromPath('/projects/%E0')).toBeNull();
    expect(codeFromPath('/projects')).toBeNull();
  });
});

describe('live changes', () => {
  it('a page hears the edits of its project only', () => {
    const edit = (entity: string, key: string) => ({ kind: 'patch', events: [{ entity, key }] });
    expect(touchesProject(edit('project', '27-SN-03-GE-BCN-C'), '27-SN-03-GE-BCN-C')).toBe(true);
    expect(touchesProject(edit('project', '26-SN-03-GE-BCN-C'), '27-SN-03-GE-BCN-C')).toBe(false);
    expect(touchesProject(edit('actual', 'VNM/VNM-KR1/2026'), null)).toBe(false);
    expect(touchesProject(edit('project', '26-SN-03-GE-BCN-C'), null)).toBe(true);
    expect(touchesProject({ kind: 'snapshot', events: [] }, '27-SN-03-GE-BCN-C')).toBe(true);
  });
});

describe('the notification form, as the workbook writes the lists', () => {
  it('reads closing dates a line each, naming the line it cannot read', () => {
    const problems: Problem[] = [];
    const rows = parseClosing('2027-03-31 applications: First closing date\n\n2027-06-30: Second\n31 March', problems);
    expect(rows.slice(0, 2)).toEqual([
      { date: '2027-03-31', for: 'applications', remark: 'First closing date' },
      { date: '2027-06-30', remark: 'Second' },
    ]);
    expect(problems.map((p) => p.field)).toEqual(['closing_dates[2].date']);
    expect(closingText(rows.slice(0, 2))).toBe('2027-03-31 applications: First closing date\n2027-06-30: Second');
  });

  it('reads budget rows, APO for the regional part', () => {
    const problems: Problem[] = [];
    expect(parseBudget('2027 APO: 100,000\n2027 vnm: 5000', problems)).toEqual([
      { year: 2027, iso3: null, amount: 100000 },
      { year: 2027, iso3: 'VNM', amount: 5000 },
    ]);
    expect(problems).toEqual([]);
    parseBudget('2027 APO: 100000\nlots', problems);
    expect(problems.map((p) => p.field)).toEqual(['budget[1].amount']);
    expect(budgetText([{ year: 2027, iso3: null, amount: 100000 }])).toBe('2027 APO: 100000');
  });

  it('reads members, key results and limits', () => {
    const problems: Problem[] = [];
    expect(memberList('vnm; THA\n*')).toEqual(['VNM', 'THA', '*']);
    expect(splitList(' a ;; b ')).toEqual(['a', 'b']);
    expect(parseKrs('vnm/vnm-kr1; SGP / SGP-KR7', problems)).toEqual([
      { iso3: 'VNM', kr_code: 'VNM-KR1' },
      { iso3: 'SGP', kr_code: 'SGP-KR7' },
    ]);
    expect(krsText([{ iso3: 'VNM', kr_code: 'VNM-KR1' }])).toBe('VNM/VNM-KR1');
    expect(limits({ virtual: '10', face_to_face: '', hybrid: 'four' }, 'overseas_limit', problems)).toEqual({ virtual: 10 });
    expect(problems.map((p) => p.field)).toEqual(['overseas_limit.hybrid']);
  });
});

describe('the COE life cycle', () => {
  const coe = {
    id: 'twn-green',
    iso3: 'TWN',
    institution: 'China Productivity Center',
    area: 'Green productivity',
    designated: '2025-04-01',
    phase: 'replication' as const,
    phase_source: 'assessment' as const,
    phases: [
      { phase: 'designation' as const, from: '2025-04-01', to: '2026-03-31', source: 'computed' as const },
      { phase: 'delivery' as const, from: '2026-04-01', to: '2026-11-30', source: 'computed' as const },
      { phase: 'replication' as const, from: '2026-12-01', to: '2027-11-30', source: 'assessment' as const },
      { phase: 'assessment_due' as const, from: '2027-12-01', to: null, source: 'computed' as const },
    ],
    assessments: [{ date: '2026-12-01', decision: 'advance' as const, note: 'Ahead of plan', rev: 3 }],
  };
  it('marks the phase of today and the one an assessment decided', () => {
    const s = spans(coe, Date.parse('2026-12-07T00:00:00Z'));
    expect(s.map((p) => [p.phase, p.current, p.assessed])).toEqual([
      ['designation', false, false],
      ['delivery', false, false],
      ['replication', true, true],
      ['assessment_due', false, false],
    ]);
    // A closed span ends after its last day; the open one runs on.
    expect(s[0]!.to).toBe(Date.parse('2026-04-01T00:00:00Z'));
    expect(s[3]!.open).toBe(true);
    expect(currentText(coe)).toBe('Replication (year 5), since 1 December 2026 (by assessment)');
  });
});

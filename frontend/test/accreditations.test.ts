import { describe, expect, it } from 'vitest';
import {
  type Accreditation,
  NEXT,
  STATUS_COLOUR,
  accreditedMembers,
  applyFilters,
  daysLeftText,
  fieldsFor,
  filtersFrom,
  filtersQuery,
  inputOf,
  legendCounts,
  memberStatus,
  parseScores,
  renewals,
  schemesOf,
  scoresText,
  touchesAccreditations,
  validUntilFrom,
} from '../src/pages/accreditations-model';
import { contrast } from '../src/palette';

const rec = (over: Partial<Accreditation>): Accreditation => ({
  id: 'vnm-vnpi',
  iso3: 'VNM',
  body: 'Vietnam National Productivity Institute',
  body_kind: 'npo',
  scheme: 'APO accreditation of NPOs',
  status: 'applied',
  criteria_scores: {},
  note: '',
  renewal_due_soon: false,
  ...over,
});

const register: Accreditation[] = [
  rec({ id: 'tha-ftpi', iso3: 'THA', body: 'FTPI', status: 'accredited', valid_until: '2027-03-01', days_left: 120, renewal_due_soon: true }),
  rec({ id: 'vnm-vnpi', status: 'accredited', valid_until: '2028-10-27', days_left: 700, renewal_due_soon: false }),
  rec({ id: 'vnm-other', body: 'A training institute', body_kind: 'other', scheme: 'Other scheme', status: 'under_assessment' }),
  rec({ id: 'ind-npc', iso3: 'IND', body: 'NPC', status: 'renewal_due', valid_until: '2026-12-20', days_left: 13, renewal_due_soon: true }),
  rec({ id: 'sgp-x', iso3: 'SGP', body: 'X', status: 'expired', valid_until: '2026-01-01', days_left: -340, renewal_due_soon: false }),
  rec({ id: 'mys-mpc', iso3: 'MYS', body: 'MPC', status: 'renewal_due', valid_until: null, days_left: null, renewal_due_soon: true }),
];

describe('the register filters', () => {
  it('keep what matches every filter set, by member then body', () => {
    expect(applyFilters(register, { member: '', status: '', scheme: '' }).map((r) => r.id)).toEqual(['ind-npc', 'mys-mpc', 'sgp-x', 'tha-ftpi', 'vnm-other', 'vnm-vnpi']);
    expect(applyFilters(register, { member: 'VNM', status: '', scheme: '' }).map((r) => r.id)).toEqual(['vnm-other', 'vnm-vnpi']);
    expect(applyFilters(register, { member: 'VNM', status: 'accredited', scheme: '' }).map((r) => r.id)).toEqual(['vnm-vnpi']);
    expect(applyFilters(register, { member: '', status: '', scheme: 'Other scheme' }).map((r) => r.id)).toEqual(['vnm-other']);
    expect(applyFilters(register, { member: 'JPN', status: '', scheme: '' })).toEqual([]);
    const names: Record<string, string> = { IND: 'India', MYS: 'Malaysia', SGP: 'Singapore', THA: 'Thailand', VNM: 'Viet Nam' };
    expect(applyFilters(register, { member: '', status: 'renewal_due', scheme: '' }, (c) => names[c] ?? c).map((r) => r.iso3)).toEqual(['IND', 'MYS']);
    expect(applyFilters([rec({ id: 'a', iso3: 'ROK' }), rec({ id: 'b', iso3: 'KOR' })], { member: '', status: '', scheme: '' }, (c) => (c === 'KOR' ? 'Republic of Korea' : 'Austria')).map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('are read from the address, dropping what is not a member or a status, and written back', () => {
    expect(filtersFrom('?iso3=vnm&status=accredited&scheme=APO%20accreditation%20of%20NPOs')).toEqual({ member: 'VNM', status: 'accredited', scheme: 'APO accreditation of NPOs' });
    expect(filtersFrom('?iso3=VN&status=approved')).toEqual({ member: '', status: '', scheme: '' });
    expect(filtersQuery({ member: 'VNM', status: 'renewal_due', scheme: '' })).toBe('?iso3=VNM&status=renewal_due');
    expect(filtersQuery({ member: '', status: '', scheme: '' })).toBe('');
    expect(schemesOf(register)).toEqual(['APO accreditation of NPOs', 'Other scheme']);
  });
});

describe('renewals due in the next 6 months', () => {
  it('are the records the server marks, the fewest days left first, those without a date last', () => {
    expect(renewals(register).map((r) => r.id)).toEqual(['ind-npc', 'tha-ftpi', 'mys-mpc']);
  });

  it('say the days left in words', () => {
    expect(daysLeftText(120)).toBe('120 days left');
    expect(daysLeftText(1)).toBe('1 day left');
    expect(daysLeftText(0)).toBe('ends today');
    expect(daysLeftText(-1)).toBe('ended yesterday');
    expect(daysLeftText(-40)).toBe('ended 40 days ago');
    expect(daysLeftText(null)).toBe('');
  });
});

describe('members and counts', () => {
  const members = ['IND', 'JPN', 'MYS', 'SGP', 'THA', 'VNM'];

  it("a member's status is the most advanced of its bodies'", () => {
    const m = memberStatus(register);
    expect(m.get('VNM')).toBe('accredited');
    expect(m.get('SGP')).toBe('expired');
    expect(m.has('JPN')).toBe(false);
    expect(memberStatus([rec({ id: 'a', status: 'withdrawn' }), rec({ id: 'b', status: 'applied' })]).get('VNM')).toBe('applied');
  });

  it('the legend counts every member once, those without a record too', () => {
    const counts = Object.fromEntries(legendCounts(memberStatus(register), members).map((c) => [c.status, c.count]));
    expect(counts).toEqual({ accredited: 2, renewal_due: 2, under_assessment: 0, applied: 0, expired: 1, withdrawn: 0, none: 1 });
    const fromSummary = legendCounts({ VNM: 'accredited' }, members);
    expect(fromSummary.reduce((n, c) => n + c.count, 0)).toBe(members.length);
  });

  it('accredited members are those accredited or due for renewal', () => {
    expect(accreditedMembers({ VNM: 'accredited', IND: 'renewal_due', SGP: 'expired', THA: 'under_assessment' }, members)).toEqual(['IND', 'VNM']);
  });

  it('every status colour carries its text at 4.5:1 or more', () => {
    for (const c of Object.values(STATUS_COLOUR)) expect(contrast(c.bg, c.fg)).toBeGreaterThanOrEqual(4.5);
  });
});

describe('the form', () => {
  it('offers the moves the contract allows, and none from withdrawn', () => {
    expect(NEXT.under_assessment).toContain('accredited');
    expect(NEXT.applied).not.toContain('accredited');
    expect(NEXT.renewal_due).toEqual(['under_assessment', 'accredited', 'expired', 'withdrawn']);
    expect(NEXT.withdrawn).toEqual([]);
    expect(fieldsFor('accredited')).toEqual({ assessment: true, certificate: true });
    expect(fieldsFor('applied')).toEqual({ assessment: false, certificate: false });
    expect(fieldsFor('withdrawn')).toEqual({ assessment: false, certificate: false });
  });

  it('sends the input fields only, empty texts as null', () => {
    const body = inputOf(register[0]!, { status: 'renewal_due', certificate: ' ', occasion: '66th WSM' });
    expect(Object.keys(body)).not.toContain('days_left');
    expect(Object.keys(body)).not.toContain('renewal_due_soon');
    expect(body.status).toBe('renewal_due');
    expect(body.certificate).toBeNull();
    expect(body.occasion).toBe('66th WSM');
    expect(body.criteria_scores).toEqual({});
    expect(body.valid_until).toBe('2027-03-01');
    expect(body.note).toBe('');
  });

  it('reads criteria scores as the workbook writes them', () => {
    expect(parseScores('governance=82; services = 77.5')).toEqual({ ok: true, scores: { governance: 82, services: 77.5 } });
    expect(parseScores('')).toEqual({ ok: true, scores: {} });
    expect(parseScores('governance 82').ok).toBe(false);
    expect(parseScores('a=1; a=2').ok).toBe(false);
    expect(scoresText({ governance: 82, services: 77 })).toBe('governance=82; services=77');
  });

  it('a validity of three years ends the day before the anniversary', () => {
    expect(validUntilFrom('2025-10-28')).toBe('2028-10-27');
    expect(validUntilFrom('2024-03-01')).toBe('2027-02-28');
    expect(validUntilFrom('')).toBe('');
  });

  it('a live change concerns the register when it carries an accreditation event, or is a snapshot', () => {
    expect(touchesAccreditations({ kind: 'patch', events: [{ entity: 'accreditation' }] })).toBe(true);
    expect(touchesAccreditations({ kind: 'patch', events: [{ entity: 'project' }] })).toBe(false);
    expect(touchesAccreditations({ kind: 'snapshot', events: [] })).toBe(true);
  });
});

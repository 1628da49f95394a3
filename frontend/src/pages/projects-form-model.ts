// The Secretariat's notification form as text and back: the lists are typed as the projects
// sheet of the workbook writes them (README, "projects": `;` between items, `*` for all
// members, a closing date a line "2027-03-31 applications: remark", a budget row a line
// "2027 APO: 100000" or "2027 VNM: 5000", key results "VNM/VNM-KR1"), so that what the
// Secretariat knows from the workbook works here too. Lines that cannot be read are named
// (with the field path the server would use) before anything is sent. Pure: tested in
// test/projects.test.ts.

import type { components } from '../generated/api';
import type { Project } from './projects-model';

type Schemas = components['schemas'];
type ClosingDate = Schemas['ClosingDate'];
type ProjectBudget = Schemas['ProjectBudget'];
type ProjectKr = Schemas['ProjectKr'];

export interface Problem {
  field: string;
  message: string;
}

/** Items separated by `;` or new lines, trimmed, empty ones left out. */
export function splitList(text: string): string[] {
  return text
    .split(/[;\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Members: ISO3 codes in capitals, or `*` for all members. */
export function memberList(text: string): string[] {
  return splitList(text).map((s) => (s === '*' ? s : s.toUpperCase()));
}

const CLOSING = /^(\d{4}-\d{2}-\d{2})(?:\s+(applications|proposals|any))?\s*(?::\s*(.*))?$/i;

export function parseClosing(text: string, problems: Problem[]): ClosingDate[] {
  return text
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((line, i) => {
      const m = CLOSING.exec(line);
      if (!m) {
        problems.push({ field: `closing_dates[${i}].date`, message: `line ${i + 1}, “${line}”: write a date first, as 2027-03-31 applications: remark` });
        return { date: line };
      }
      const c: ClosingDate = { date: m[1] as string, remark: (m[3] ?? '').trim() };
      if (m[2]) c.for = m[2].toLowerCase() as ClosingDate['for'];
      return c;
    });
}

export function closingText(rows: readonly ClosingDate[] | undefined): string {
  return (rows ?? []).map((c) => `${c.date}${c.for ? ` ${c.for}` : ''}${c.remark ? `: ${c.remark}` : ''}`).join('\n');
}

const BUDGET = /^(\d{4})\s+([A-Za-z]{3})\s*:\s*([\d.,\s]+)$/;

export function parseBudget(text: string, problems: Problem[]): ProjectBudget[] {
  const out: ProjectBudget[] = [];
  splitList(text).forEach((line, i) => {
    const m = BUDGET.exec(line);
    const amount = m ? Number((m[3] as string).replace(/[,\s]/g, '')) : NaN;
    if (!m || !Number.isFinite(amount)) {
      problems.push({ field: `budget[${i}].amount`, message: `row ${i + 1}, “${line}”: write the year, APO or a member, and the amount, as 2027 APO: 100000` });
      return;
    }
    const who = (m[2] as string).toUpperCase();
    out.push({ year: Number(m[1]), iso3: who === 'APO' ? null : who, amount });
  });
  return out;
}

export function budgetText(rows: readonly ProjectBudget[] | undefined): string {
  return (rows ?? []).map((b) => `${b.year} ${b.iso3 ?? 'APO'}: ${b.amount}`).join('\n');
}

export function parseKrs(text: string, problems: Problem[]): ProjectKr[] {
  const out: ProjectKr[] = [];
  splitList(text).forEach((item, i) => {
    const m = /^([A-Za-z]{3})\s*\/\s*(\S+)$/.exec(item);
    if (!m) {
      problems.push({ field: `key_results[${i}]`, message: `“${item}”: write the member and the key result, as VNM/VNM-KR1` });
      return;
    }
    out.push({ iso3: (m[1] as string).toUpperCase(), kr_code: (m[2] as string).toUpperCase() });
  });
  return out;
}

export function krsText(rows: readonly ProjectKr[] | undefined): string {
  return (rows ?? []).map((k) => `${k.iso3}/${k.kr_code}`).join('; ');
}

/** A limit typed in a number box: a whole number, or left out when empty. */
export function limits(values: Record<string, string>, field: string, problems: Problem[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [modality, raw] of Object.entries(values)) {
    const t = raw.trim();
    if (!t) continue;
    const n = Number(t);
    if (!Number.isInteger(n)) problems.push({ field: `${field}.${modality}`, message: `“${t}” is not a whole number of participants` });
    else out[modality] = n;
  }
  return out;
}

/** The body of PUT /projects/{code} without the computed `closing` (ignored by the server anyway). */
export function withoutComputed(p: Project): Project {
  const { closing: _closing, ...rest } = p;
  return rest;
}

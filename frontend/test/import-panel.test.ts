// The import panel's reading of the server's answer (src/import-report.ts): NDJSON lines
// however the chunks fall, the stream's events and its one outcome, the sentences a result
// becomes, and the order of the table of problems.

import { describe, expect, it } from 'vitest';
import type { ImportReport } from '../src/import-report';
import { ImportStream, NdjsonLines, changes, fileSize, importable, place, problemRows, problemsHead, reportSummary, sortProblems, streamEvent } from '../src/import-report';

const report = (r: Partial<ImportReport> = {}): ImportReport => ({
  rev: 812,
  dry_run: false,
  primers: 0,
  actuals: 0,
  withdrawn: 0,
  budgets: 0,
  projects: 0,
  series: 0,
  catalogue: 0,
  skipped: [],
  ...r,
});

const STREAM = [
  '{"progress":{"stage":"read","done":0,"total":3}}',
  '{"progress":{"stage":"read","done":3,"total":3}}',
  '{"progress":{"stage":"check","done":1200,"total":5000}}',
  '{"progress":{"stage":"write","done":5000,"total":5000}}',
  `{"result":${JSON.stringify(report({ primers: 2, actuals: 40, skipped: [{ file: "export.xlsx", sheet: "README", message: "the export's README" }] }))}}`,
]
  .map((l) => `${l}\n`)
  .join('');

/** `text` cut at each of `cuts` (offsets), in order. */
function cut(text: string, cuts: number[]): string[] {
  const out: string[] = [];
  let at = 0;
  for (const c of [...cuts, text.length]) {
    out.push(text.slice(at, c));
    at = c;
  }
  return out;
}

describe('NdjsonLines', () => {
  it('gives the same values whatever the chunks: split mid-line, mid-key, several lines at once, empty', () => {
    const whole = new NdjsonLines();
    const expected = [...whole.push(STREAM), ...whole.end()];
    expect(expected).toHaveLength(5);
    for (const cuts of [[1], [10, 11, 12], [STREAM.indexOf('\n')], [STREAM.indexOf('\n') + 1], [30, 30, 30, 100, 140], [STREAM.length - 1]]) {
      const lines = new NdjsonLines();
      const got = cut(STREAM, cuts).flatMap((c) => lines.push(c));
      got.push(...lines.end());
      expect(got, `cut at ${cuts.join(',')}`).toEqual(expected);
    }
    // One character at a time: nothing is given until a line is complete.
    const lines = new NdjsonLines();
    const got: unknown[] = [];
    for (let i = 0; i < STREAM.length; i++) {
      const out = lines.push(STREAM[i]!);
      if (STREAM[i] !== '\n') expect(out).toEqual([]);
      got.push(...out);
    }
    expect([...got, ...lines.end()]).toEqual(expected);
  });

  it('reads bytes split inside a character, CRLF endings, blank lines and a last line without a newline', () => {
    const text = '{"message":"Việt Nam’s row"}\r\n\r\n{"n":1}';
    const bytes = new TextEncoder().encode(text);
    const at = bytes.indexOf(0xe1) + 1; // inside "ệ" (3 bytes)
    const lines = new NdjsonLines();
    const first = lines.push(bytes.slice(0, at));
    expect(first).toEqual([]);
    expect(lines.push(bytes.slice(at))).toEqual([{ message: 'Việt Nam’s row' }]);
    expect(lines.end()).toEqual([{ n: 1 }]);
  });

  it('names a line that is not JSON', () => {
    const lines = new NdjsonLines();
    lines.push('{"progress":{"stage":"read","done":1,"total":2}}\n');
    expect(() => lines.push('<html>Bad gateway</html>\n')).toThrow(/line 2 .*not JSON: <html>Bad gateway/);
  });
});

describe('ImportStream', () => {
  it('gives each progress line as it completes, and the result once the answer has ended', () => {
    const s = new ImportStream();
    const i = STREAM.indexOf('"check"');
    const first = s.push(STREAM.slice(0, i));
    expect(first).toEqual([
      { kind: 'progress', stage: 'read', done: 0, total: 3 },
      { kind: 'progress', stage: 'read', done: 3, total: 3 },
    ]);
    const rest = s.push(STREAM.slice(i));
    expect(rest.map((e) => e.kind)).toEqual(['progress', 'progress', 'result']);
    const out = s.finish();
    expect(out.kind).toBe('result');
    if (out.kind === 'result') expect(out.report.primers).toBe(2);
  });

  it('ends with the error and its problems (a 422 inside a 200 stream)', () => {
    const s = new ImportStream();
    const error = { code: 'invalid', message: '2 problems', details: [{ file: 'actuals.csv', row: 8, field: 'value', message: '“abc” is not a number' }], request_id: 'r1' };
    const text = `{"progress":{"stage":"read","done":1,"total":1}}\n{"error":${JSON.stringify(error)},"status":422}`;
    const at = text.indexOf('is not');
    expect(s.push(text.slice(0, at))).toHaveLength(1);
    expect(s.push(text.slice(at))).toEqual([]);
    const out = s.finish();
    expect(out).toEqual({ kind: 'error', status: 422, error });
  });

  it('throws when the answer ends before its result (a server that stopped halfway)', () => {
    const s = new ImportStream();
    s.push('{"progress":{"stage":"write","done":10,"total":100}}\n');
    expect(() => s.finish()).toThrow(/ended before it said how the import went/);
  });

  it('ignores lines of other shapes, and progress of an unknown stage', () => {
    expect(streamEvent({ hello: 1 })).toBeNull();
    expect(streamEvent({ progress: { stage: 'dance', done: 1, total: 2 } })).toBeNull();
    expect(streamEvent(null)).toBeNull();
    expect(streamEvent({ progress: { stage: 'check', done: '5', total: null } })).toEqual({ kind: 'progress', stage: 'check', done: 5, total: 0 });
  });
});

describe('sentences', () => {
  it('says what an import changed, leaving out what it did not', () => {
    expect(reportSummary(report({ primers: 2, actuals: 40, withdrawn: 1, series: 1200 }))).toBe('Imported at revision 812: 2 primers, 40 reports, 1 withdrawn report, 1,200 series values.');
    expect(reportSummary(report({ primers: 1, budgets: 1, projects: 3, catalogue: 2 }))).toBe('Imported at revision 812: 1 primer, 1 budget row, 3 projects, 2 series descriptions.');
  });

  it('says nothing changed when the import wrote nothing', () => {
    expect(reportSummary(report({ rev: null }))).toMatch(/^Nothing to change/);
    expect(reportSummary(report({ rev: null, primers: 0 }))).toBe('Nothing to change: the dashboard already holds everything in these files.');
  });

  it('says what a check found and that it wrote nothing', () => {
    expect(reportSummary(report({ rev: null, dry_run: true, actuals: 3 }))).toBe('Checked: nothing wrong. Importing these files would change 3 reports. Nothing was written yet.');
    expect(reportSummary(report({ rev: null, dry_run: true }))).toMatch(/^Checked: nothing wrong, and nothing to change/);
    expect(changes(report())).toBe('');
  });

  it('counts the problems above their table', () => {
    expect(problemsHead(12, false)).toBe('12 problems; nothing was written. Correct them in the files and try again.');
    expect(problemsHead(1, true)).toBe('Checked: 1 problem; nothing was written. Correct it in the file and try again.');
  });

  it('names a place by file and sheet, or either alone', () => {
    expect(place('book.xlsx', 'targets')).toBe('book.xlsx › targets');
    expect(place('actuals.csv', null)).toBe('actuals.csv');
    expect(place(undefined, ' targets ')).toBe('targets');
    expect(place(null, null)).toBe('');
  });

  it('sizes files for people, and takes .xlsx, .csv and .zip only', () => {
    expect(fileSize(812)).toBe('812\u00a0bytes');
    expect(fileSize(1)).toBe('1\u00a0byte');
    expect(fileSize(48_200)).toBe('48\u00a0KB');
    expect(fileSize(3_210_000)).toBe('3.2\u00a0MB');
    expect(fileSize(25_000_000_000)).toBe('25\u00a0GB');
    expect(['a.xlsx', 'B.CSV', 'data.zip ', 'x.xls', 'notes.txt', 'csv'].map(importable)).toEqual([true, true, true, false, false, false]);
  });
});

describe('the table of problems', () => {
  const rows = problemRows([
    { file: 'book.xlsx', sheet: 'targets', row: 12, field: 'target', message: 'not a number' },
    { file: 'book.xlsx', sheet: 'actuals', row: 9, field: 'iso3', message: 'unknown member XYZ' },
    { file: 'book.xlsx', sheet: 'actuals', row: 2, field: 'value', message: 'not a number' },
    { file: 'book.xlsx', sheet: 'Extra', message: 'unknown sheet' },
    { file: 'budgets.csv', row: 10, field: null, message: 'a second budget for pillar 1' },
  ]);

  it('keeps the server’s order until asked, and shows a missing field or row as empty', () => {
    expect(sortProblems(rows, null).map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
    expect(rows[3]).toMatchObject({ place: 'book.xlsx › Extra', row: null, field: '' });
  });

  it('sorts by row number (not as text: 9 before 10), a whole sheet’s problem first, and back', () => {
    expect(sortProblems(rows, 'row').map((r) => r.row)).toEqual([null, 2, 9, 10, 12]);
    expect(sortProblems(rows, 'row', true).map((r) => r.row)).toEqual([12, 10, 9, 2, null]);
  });

  it('sorts by file, then row within each file', () => {
    expect(sortProblems(rows, 'place').map((r) => `${r.place}:${r.row}`)).toEqual([
      'book.xlsx › actuals:2',
      'book.xlsx › actuals:9',
      'book.xlsx › Extra:null',
      'book.xlsx › targets:12',
      'budgets.csv:10',
    ]);
  });

  it('sorts by column or problem, keeping each file’s rows in order among equals', () => {
    const byMessage = sortProblems(rows, 'message');
    expect(byMessage.map((r) => r.message)).toEqual(['a second budget for pillar 1', 'not a number', 'not a number', 'unknown member XYZ', 'unknown sheet']);
    expect(byMessage.slice(1, 3).map((r) => r.row)).toEqual([2, 12]);
  });
});

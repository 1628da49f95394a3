// What the import panel (import-panel.ts) makes of the server's answer to `POST /api/v1/import`,
// without touching the DOM or the network (unit tested in test/import-panel.test.ts): the
// NDJSON stream read line by line as it arrives, the result said in a sentence, and the
// problems as rows of a table that can be sorted.
//
// The answer, with `Accept: application/x-ndjson`: any number of
// `{"progress":{"stage":"read"|"check"|"write","done":N,"total":M}}` lines, then exactly one
// `{"result": REPORT}` or `{"error": {...}, "status": 422}`. Without that header (or for an
// error before the upload is read: 401, 403, 413) one plain JSON body.

import { count } from './format';

// ---- the server's shapes (src/http/import.rs; replaced by the generated types later) ----

/** A sheet the import left out on purpose (an export's README and view sheets). */
export interface SkippedSheet {
  file: string;
  sheet?: string | null;
  message: string;
}

/** What an import changed, or (a dry run) would change. `rev` is null when nothing was written. */
export interface ImportReport {
  rev: number | null;
  dry_run: boolean;
  primers: number;
  actuals: number;
  withdrawn: number;
  budgets: number;
  projects: number;
  series: number;
  catalogue: number;
  skipped?: SkippedSheet[];
}

/** One problem found in the files: where (file, sheet, the row Excel shows, column) and what. */
export interface ImportProblem {
  file?: string | null;
  sheet?: string | null;
  row?: number | null;
  field?: string | null;
  message: string;
}

export interface ImportError {
  code: string;
  message: string;
  details?: ImportProblem[];
  request_id?: string | null;
}

export type Stage = 'read' | 'check' | 'write';

/** One line of the stream, as the panel uses it. */
export type StreamEvent =
  | { kind: 'progress'; stage: Stage; done: number; total: number }
  | { kind: 'result'; report: ImportReport }
  | { kind: 'error'; status: number; error: ImportError };

// ---- NDJSON, line by line ----

/**
 * Splits a stream of NDJSON into parsed values, whatever the chunks: a chunk may end in the
 * middle of a line (or, for bytes, of a character), hold several lines, or be empty. Blank lines
 * and "\r\n" endings are accepted. A line that is not JSON throws, naming it.
 */
export class NdjsonLines {
  private held = '';
  private line = 0;
  private readonly decoder = new TextDecoder();

  /** The values of the lines `chunk` completes. */
  push(chunk: string | Uint8Array): unknown[] {
    this.held += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const out: unknown[] = [];
    let nl: number;
    while ((nl = this.held.indexOf('\n')) >= 0) {
      const text = this.held.slice(0, nl);
      this.held = this.held.slice(nl + 1);
      this.take(text, out);
    }
    return out;
  }

  /** The value of a last line without its newline, once the stream has ended. */
  end(): unknown[] {
    this.held += this.decoder.decode();
    const out: unknown[] = [];
    const text = this.held;
    this.held = '';
    this.take(text, out);
    return out;
  }

  private take(text: string, out: unknown[]): void {
    this.line++;
    const t = text.trim();
    if (!t) return;
    try {
      out.push(JSON.parse(t));
    } catch {
      throw new Error(`line ${this.line} of the server's answer is not JSON: ${t.slice(0, 80)}`);
    }
  }
}

const STAGES: readonly string[] = ['read', 'check', 'write'];

/** A line of the stream as an event; null for a line of another shape (a newer server's: ignored). */
export function streamEvent(value: unknown): StreamEvent | null {
  if (!value || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  const p = v.progress as Record<string, unknown> | undefined;
  if (p && typeof p === 'object' && typeof p.stage === 'string' && STAGES.includes(p.stage)) {
    return { kind: 'progress', stage: p.stage as Stage, done: Number(p.done) || 0, total: Number(p.total) || 0 };
  }
  if (v.result && typeof v.result === 'object') return { kind: 'result', report: v.result as ImportReport };
  if (v.error && typeof v.error === 'object') {
    const status = typeof v.status === 'number' ? v.status : 422;
    return { kind: 'error', status, error: v.error as ImportError };
  }
  return null;
}

/** How an import ended: its report, or the server's error (with its problems) and status. */
export type Outcome = { kind: 'result'; report: ImportReport } | { kind: 'error'; status: number; error: ImportError };

/**
 * The stream of one answer: `push` each piece as it arrives (it answers the events the piece
 * completes); `finish` once it has ended answers the outcome, or throws when the answer ended
 * before saying how the import went (a server that stopped halfway).
 */
export class ImportStream {
  private readonly lines = new NdjsonLines();
  private outcome: Outcome | null = null;

  push(chunk: string | Uint8Array): StreamEvent[] {
    return this.events(this.lines.push(chunk));
  }

  finish(): Outcome {
    this.events(this.lines.end());
    if (!this.outcome) throw new Error('the server’s answer ended before it said how the import went; nothing may have been written: check again');
    return this.outcome;
  }

  private events(values: unknown[]): StreamEvent[] {
    const out: StreamEvent[] = [];
    for (const value of values) {
      const e = streamEvent(value);
      if (!e) continue;
      if (e.kind !== 'progress') this.outcome ??= e;
      out.push(e);
    }
    return out;
  }
}

// ---- sentences ----

/** A count with its noun, singular or plural: "1 primer", "40 reports". */
export function counted(n: number, one: string, many: string): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

const WHAT: [keyof ImportReport, string, string][] = [
  ['primers', 'primer', 'primers'],
  ['actuals', 'report', 'reports'],
  ['withdrawn', 'withdrawn report', 'withdrawn reports'],
  ['budgets', 'budget row', 'budget rows'],
  ['projects', 'project', 'projects'],
  ['series', 'series value', 'series values'],
  ['catalogue', 'series description', 'series descriptions'],
];

/** What a report changed, as a list: "2 primers, 40 reports, 1 withdrawn report" ('' when nothing). */
export function changes(r: ImportReport): string {
  return WHAT.filter(([k]) => Number(r[k]) > 0)
    .map(([k, one, many]) => counted(Number(r[k]), one, many))
    .join(', ');
}

/** The sentence that says how an import or a check went. */
export function reportSummary(r: ImportReport): string {
  const what = changes(r);
  if (r.dry_run) {
    return what
      ? `Checked: nothing wrong. Importing these files would change ${what}. Nothing was written yet.`
      : 'Checked: nothing wrong, and nothing to change: the dashboard already holds everything in these files.';
  }
  if (r.rev == null || !what) return 'Nothing to change: the dashboard already holds everything in these files.';
  return `Imported at revision ${count(r.rev)}: ${what}.`;
}

/** The line above the table of problems: "12 problems; nothing was written". */
export function problemsHead(n: number, dryRun: boolean): string {
  return `${dryRun ? 'Checked: ' : ''}${counted(n, 'problem', 'problems')}; nothing was written. Correct ${n === 1 ? 'it' : 'them'} in the file${n === 1 ? '' : 's'} and try again.`;
}

/** Where a skipped sheet or a problem is: "book.xlsx › targets", or the file alone. */
export function place(file: string | null | undefined, sheet: string | null | undefined): string {
  const f = (file ?? '').trim();
  const s = (sheet ?? '').trim();
  if (f && s) return `${f} › ${s}`;
  return f || s;
}

// ---- the table of problems ----

export type ProblemKey = 'place' | 'row' | 'field' | 'message';

/** One row of the table: the problem, where it is in words, and its place in the server's order. */
export interface ProblemRow {
  index: number;
  place: string;
  row: number | null;
  field: string;
  message: string;
}

export function problemRows(details: readonly ImportProblem[]): ProblemRow[] {
  return details.map((d, index) => ({
    index,
    place: place(d.file, d.sheet),
    row: typeof d.row === 'number' && Number.isFinite(d.row) ? d.row : null,
    field: (d.field ?? '').trim(),
    message: (d.message ?? '').trim(),
  }));
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Compares two rows by one key; a problem with no row number (a whole file's) comes first. */
function compareBy(key: ProblemKey, a: ProblemRow, b: ProblemRow): number {
  if (key === 'row') {
    if (a.row === b.row) return 0;
    if (a.row === null) return -1;
    if (b.row === null) return 1;
    return a.row - b.row;
  }
  return collator.compare(a[key], b[key]);
}

/**
 * The rows sorted by `key` (ascending or descending), or in the server's order for null; ties
 * keep the file, then the row, then the server's order, so that sorting by column lists each
 * file's rows in order.
 */
export function sortProblems(rows: readonly ProblemRow[], key: ProblemKey | null, descending = false): ProblemRow[] {
  if (!key) return [...rows].sort((a, b) => a.index - b.index);
  const sign = descending ? -1 : 1;
  return [...rows].sort((a, b) => sign * compareBy(key, a, b) || compareBy('place', a, b) || compareBy('row', a, b) || a.index - b.index);
}

// ---- sizes ----

/** A size in bytes for people: "812 bytes", "48 KB", "3.2 MB" (a no-break space: never wrapped apart). */
export function fileSize(bytes: number): string {
  if (bytes < 1000) return counted(bytes, 'byte', 'bytes').replace(' ', '\u00a0');
  const units = ['KB', 'MB', 'GB'];
  let v = bytes / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)}\u00a0${units[i]}`;
}

/** Files the import takes, by name: `.xlsx`, `.csv` and `.zip`. */
export function importable(name: string): boolean {
  return /\.(xlsx|csv|zip)$/i.test(name.trim());
}

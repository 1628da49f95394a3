// The Secretariat's import panel (on /secretariat): choose or drop workbooks (.xlsx), CSV files
// or a .zip of them, then "Check" (a dry run: every problem listed, nothing written) or
// "Import". A progress bar follows the upload (bytes sent) and then the server's own progress
// (reading, checking, writing); the answer is a sentence ("Imported at revision 812: 2 primers,
// 40 reports") or a table of every problem, by file and sheet, row (as Excel numbers it) and
// column, which can be sorted by any of them.
//
// The upload is an XMLHttpRequest: fetch cannot tell how much of a request body was sent. Its
// answer, with `Accept: application/x-ndjson`, is read line by line as it arrives (the growing
// `responseText`, import-report.ts). The session cookie is the credential; the browser's Origin
// header is what the server checks a session's writes by.

import { ApiError, describeError, sentence } from './api';
import { clear, h } from './dom';
import { count } from './format';
import type { ImportError, ImportReport, Outcome, ProblemKey, ProblemRow, Stage, StreamEvent } from './import-report';
import { ImportStream, counted, fileSize, importable, place, problemRows, problemsHead, reportSummary, sortProblems } from './import-report';
import { scrollBox } from './table';
import './styles/import.css';

const ACCEPT = '.xlsx,.csv,.zip,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv,application/zip';

const STAGE_TEXT: Record<Stage, string> = {
  read: 'Reading the files',
  check: 'Checking every row',
  write: 'Writing to the database',
};

/** A running upload: how it ends, and a way to stop it. */
interface Upload {
  done: Promise<Outcome>;
  abort(): void;
}

interface UploadEvents {
  /** Bytes of the request sent so far, of the whole request. */
  sending(loaded: number, total: number): void;
  /** The whole request is sent; the server is at work. */
  sent(): void;
  progress(e: Extract<StreamEvent, { kind: 'progress' }>): void;
}

/**
 * Sends `files` to `POST /api/v1/import` (one multipart part named `file` per file, with its
 * name). Resolves with the report or the server's problems; rejects with an ApiError for a
 * refusal without problems (401, 403, 413…), or an Error when the connection failed.
 */
export function upload(files: readonly File[], dryRun: boolean, on: UploadEvents): Upload {
  const xhr = new XMLHttpRequest();
  const done = new Promise<Outcome>((resolve, reject) => {
    const form = new FormData();
    for (const f of files) form.append('file', f, f.name);
    xhr.open('POST', `/api/v1/import${dryRun ? '?dry_run=true' : ''}`);
    xhr.setRequestHeader('Accept', 'application/x-ndjson');
    const stream = new ImportStream();
    let seen = 0;
    let streaming: boolean | null = null;
    const isStream = () => (streaming ??= xhr.status === 200 && /application\/x-ndjson/i.test(xhr.getResponseHeader('content-type') ?? ''));
    /** The part of the answer not read yet, through the stream. */
    const readMore = () => {
      const text = xhr.responseText;
      const chunk = text.slice(seen);
      seen = text.length;
      for (const e of stream.push(chunk)) if (e.kind === 'progress') on.progress(e);
    };
    xhr.upload.onprogress = (e) => on.sending(e.loaded, e.lengthComputable ? e.total : files.reduce((n, f) => n + f.size, 0));
    xhr.upload.onload = () => on.sent();
    xhr.onprogress = () => {
      if (xhr.readyState >= 3 && isStream()) {
        try {
          readMore();
        } catch (e) {
          xhr.abort();
          reject(e);
        }
      }
    };
    xhr.onload = () => {
      try {
        if (isStream()) {
          readMore();
          resolve(stream.finish());
        } else {
          resolve(plainAnswer(xhr));
        }
      } catch (e) {
        reject(e);
      }
    };
    const size = fileSize(files.reduce((n, f) => n + f.size, 0));
    xhr.onerror = () => reject(new Error(`the connection failed or was closed while ${size} were sent (a file too large for the server is refused this way)`));
    xhr.onabort = () => reject(new DOMException('stopped', 'AbortError'));
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}

/** A plain JSON answer: the report (2xx), the problems (4xx with details), or an ApiError. */
function plainAnswer(xhr: XMLHttpRequest): Outcome {
  let body: unknown = null;
  try {
    body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
  } catch {
    body = null;
  }
  if (xhr.status >= 200 && xhr.status < 300) {
    if (body && typeof body === 'object' && 'result' in body) return { kind: 'result', report: (body as { result: ImportReport }).result };
    if (body && typeof body === 'object' && 'primers' in body) return { kind: 'result', report: body as ImportReport };
    throw new Error(`the server answered ${xhr.status} without a report`);
  }
  const e = (body as { error?: ImportError } | null)?.error;
  if (e?.details?.length) return { kind: 'error', status: xhr.status, error: e };
  const wait = Number(xhr.getResponseHeader('retry-after'));
  throw new ApiError(xhr.status, e?.code ?? 'http', e?.message ?? `${xhr.status} ${xhr.statusText}`, [], Number.isFinite(wait) && wait > 0 ? wait : null);
}

// ---- the panel ----

export function importPanel(): HTMLElement {
  let chosen: File[] = [];
  let running: Upload | null = null;

  const input = h('input', { type: 'file', id: 'import-files', multiple: true, accept: ACCEPT, 'data-testid': 'import-files', 'aria-describedby': 'import-kinds' });
  const chosenList = h('ul', { class: 'import-chosen', 'data-testid': 'import-chosen', 'aria-label': 'Files chosen' });
  const check = h('button', { type: 'button', class: 'secondary', 'data-testid': 'import-check' }, 'Check');
  const go = h('button', { type: 'button', 'data-testid': 'import-run' }, 'Import');
  const stop = h('button', { type: 'button', class: 'secondary', hidden: true, 'data-testid': 'import-stop' }, 'Stop');

  const stageLabel = h('label', { for: 'import-progress', 'data-testid': 'import-stage' });
  const bar = h('progress', { id: 'import-progress', 'data-testid': 'import-progress' });
  const barText = h('span', { class: 'import-progress-text', 'data-testid': 'import-progress-text' });
  const progressBox = h('div', { class: 'import-progress', hidden: true }, stageLabel, bar, barText);

  const status = h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'import-status' });
  const skipped = h('div', { 'data-testid': 'import-skipped' });
  const problems = h('div', { 'data-testid': 'import-problems' });

  const drop = h(
    'div',
    { class: 'import-drop', 'data-testid': 'import-drop' },
    h('label', { for: 'import-files' }, 'Files to import', input),
    h('p', { class: 'muted small', id: 'import-kinds' }, 'An Excel workbook (.xlsx), CSV files, or a .zip of CSV files; several at once. You can also drop them here.'),
    chosenList,
  );
  const panel = h(
    'section',
    { class: 'panel import-panel', 'aria-labelledby': 'import-h', 'data-testid': 'import-panel' },
    h('h2', { id: 'import-h' }, 'Import primers, reports and series'),
    h('p', { class: 'muted' }, '“Check” reads the files and lists every problem, with the row Excel shows, and writes nothing. “Import” writes them, all or nothing.'),
    drop,
    h('div', { class: 'actions' }, check, go, stop),
    progressBox,
    status,
    problems,
    skipped,
  );

  function say(text: string, kind: 'ok' | 'err' | '' = ''): void {
    status.textContent = text;
    status.className = kind ? `form-status ${kind}` : 'form-status';
  }

  function choose(files: File[]): void {
    const wrong = files.filter((f) => !importable(f.name));
    chosen = files.filter((f) => importable(f.name));
    chosenList.replaceChildren(...chosen.map((f) => h('li', {}, h('span', { class: 'mono' }, f.name), ` · ${fileSize(f.size)}`)));
    clear(problems);
    clear(skipped);
    if (wrong.length) say(`Left out: ${wrong.map((f) => f.name).join(', ')}. Only .xlsx, .csv and .zip files can be imported.`, 'err');
    else say(chosen.length ? `${counted(chosen.length, 'file', 'files')} chosen: check them, or import them.` : '');
  }

  input.addEventListener('change', () => choose([...(input.files ?? [])]));

  // Drag and drop onto the whole panel.
  let depth = 0;
  panel.addEventListener('dragenter', (e) => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    e.preventDefault();
    depth++;
    panel.classList.add('dragging');
  });
  panel.addEventListener('dragover', (e) => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = running ? 'none' : 'copy';
  });
  panel.addEventListener('dragleave', () => {
    if (--depth <= 0) {
      depth = 0;
      panel.classList.remove('dragging');
    }
  });
  panel.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    panel.classList.remove('dragging');
    const files = [...(e.dataTransfer?.files ?? [])];
    if (running || !files.length) return;
    // The input shows what was dropped too ("3 files"), where the browser allows it.
    try {
      input.files = e.dataTransfer!.files;
    } catch {
      // the list above says what was chosen
    }
    choose(files);
  });

  function run(dryRun: boolean): void {
    if (running) return;
    if (!chosen.length) {
      say('Choose the files first (or drop them on this panel).', 'err');
      input.focus();
      return;
    }
    const files = chosen;
    const total = files.reduce((n, f) => n + f.size, 0);
    clear(problems);
    clear(skipped);
    say('');
    busy(true);
    stop.hidden = false;
    progressBox.hidden = false;
    panel.setAttribute('aria-busy', 'true');
    showBar(`Sending ${counted(files.length, 'file', 'files')}`, 0, total, `0 of ${fileSize(total)}`);
    const up = upload(files, dryRun, {
      sending: (loaded, of) => showBar(`Sending ${counted(files.length, 'file', 'files')}`, loaded, of, `${fileSize(loaded)} of ${fileSize(of)}`),
      sent: () => {
        hideStop();
        showBar('Sent: the server is reading the files', null, null, '');
      },
      progress: (p) => showBar(STAGE_TEXT[p.stage], p.total > 0 ? p.done : null, p.total > 0 ? p.total : null, p.total > 0 ? `${count(p.done)} of ${count(p.total)}` : ''),
    });
    running = up;
    up.done
      .then((outcome) => {
        if (outcome.kind === 'result') {
          say(reportSummary(outcome.report), 'ok');
          showSkipped(outcome.report);
          if (!dryRun && !outcome.report.dry_run) {
            // The list of chosen files is cleared: the line under the result keeps their names.
            skipped.prepend(h('p', { class: 'muted', 'data-testid': 'import-from' }, `From ${files.map((f) => f.name).join(', ')}.`));
            chosen = [];
            input.value = '';
            chosenList.replaceChildren();
          }
        } else {
          showProblems(outcome.error, outcome.status, dryRun);
        }
      })
      .catch((e) => {
        if (e instanceof DOMException && e.name === 'AbortError') say('Stopped before the files were all sent: nothing was written.', 'err');
        // A refusal (401, 403, 413…) says what to do; anything else (the connection, an answer cut
        // short) is said as it is, not as "could not reach the server".
        else say(`${dryRun ? 'The check' : 'The import'} failed: ${e instanceof ApiError ? describeError(e) : sentence(e instanceof Error ? e.message : String(e))}`, 'err');
      })
      .finally(() => {
        running = null;
        busy(false);
        hideStop();
        progressBox.hidden = true;
        panel.removeAttribute('aria-busy');
      });
  }

  /**
   * While a file is sent the buttons say they are unavailable (aria-disabled; `run` ignores
   * them) rather than being disabled: a disabled button loses the keyboard's focus to the page.
   */
  function busy(on: boolean): void {
    for (const b of [check, go]) {
      if (on) b.setAttribute('aria-disabled', 'true');
      else b.removeAttribute('aria-disabled');
    }
    input.disabled = on;
  }

  /** Hides "Stop"; the keyboard's focus, if it was there, goes to "Import" rather than to the page. */
  function hideStop(): void {
    if (document.activeElement === stop) go.focus();
    stop.hidden = true;
  }

  function showBar(label: string, value: number | null, max: number | null, text: string): void {
    stageLabel.textContent = label;
    if (value === null || max === null || max <= 0) {
      bar.removeAttribute('value');
    } else {
      bar.max = max;
      bar.value = Math.min(value, max);
    }
    barText.textContent = text;
  }

  function showProblems(error: ImportError, status: number, dryRun: boolean): void {
    const details = error.details ?? [];
    if (!details.length) {
      say(`${dryRun ? 'The check' : 'The import'} failed: ${describeError(new ApiError(status, error.code, error.message, []))}`, 'err');
      return;
    }
    say(problemsHead(details.length, dryRun), 'err');
    problems.replaceChildren(problemTable(problemRows(details)));
  }

  function showSkipped(r: ImportReport): void {
    const list = r.skipped ?? [];
    if (!list.length) return;
    skipped.append(
      h(
        'details',
        { class: 'import-skipped' },
        h('summary', {}, `${counted(list.length, 'sheet', 'sheets')} not imported, as expected`),
        h('ul', {}, ...list.map((s) => h('li', {}, h('span', { class: 'mono' }, place(s.file, s.sheet)), `: ${s.message.replace(/^not imported:\s*/i, '')}`))),
      ),
    );
  }

  check.addEventListener('click', () => run(true));
  go.addEventListener('click', () => run(false));
  stop.addEventListener('click', () => running?.abort());
  return panel;
}

/** The file, and under it the sheet of a workbook ("› targets"); the cell's text reads as `place()` does. */
function placeCell(r: ProblemRow): HTMLTableCellElement {
  const at = r.place.indexOf(' › ');
  if (at < 0) return h('td', { class: 'place' }, r.place || '–');
  return h('td', { class: 'place' }, r.place.slice(0, at), h('span', { class: 'sheet' }, r.place.slice(at)));
}

const COLUMNS: [ProblemKey, string][] = [
  ['place', 'File'],
  ['row', 'Row'],
  ['field', 'Column'],
  ['message', 'Problem'],
];

/**
 * Every problem in one table, scrolling inside its box; a column's heading is a button that
 * sorts by it (again: the other way round). Rows without a row number (a whole file's
 * problem) show a dash.
 */
export function problemTable(rows: readonly ProblemRow[]): HTMLElement {
  let key: ProblemKey | null = null;
  let descending = false;
  const tbody = h('tbody');
  const heads = COLUMNS.map(([k, text]) => {
    const button = h('button', { type: 'button', class: 'sort', 'data-sort': k }, text);
    const th = h('th', { scope: 'col', class: k === 'row' ? 'num' : null }, button);
    button.addEventListener('click', () => {
      descending = key === k ? !descending : false;
      key = k;
      draw();
    });
    return { k, th };
  });
  function draw(): void {
    for (const { k, th } of heads) {
      if (k === key) th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
      else th.removeAttribute('aria-sort');
    }
    const frag = document.createDocumentFragment();
    for (const r of sortProblems(rows, key, descending)) {
      frag.append(
        h(
          'tr',
          { 'data-row': r.row ?? '' },
          placeCell(r),
          h('td', { class: r.row === null ? 'num row none' : 'num row' }, r.row === null ? '–' : String(r.row)),
          h('td', { class: r.field ? 'mono field' : 'mono field none' }, r.field || '–'),
          h('td', { class: 'message' }, r.message),
        ),
      );
    }
    tbody.replaceChildren(frag);
  }
  draw();
  const table = h(
    'table',
    { class: 'data import-problems', 'data-testid': 'import-problem-table' },
    h('caption', { class: 'sr-only' }, `${counted(rows.length, 'problem', 'problems')} in the files; the column headings sort the table`),
    h('thead', {}, h('tr', {}, ...heads.map((x) => x.th))),
    tbody,
  );
  return scrollBox('Problems found in the files', { class: 'table-scroll import-problems-box' }, table);
}

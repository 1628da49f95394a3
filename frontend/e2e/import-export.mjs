// e2e of the Secretariat's import panel and the export links (issue 20), called from run.mjs's
// suite on each backend: `importExportTests({ t, server, backend, context, newContext })`.
//
// - Bad files (CSV strings, and an .xlsx written here: a zip of a few XML parts, no library)
//   with problems in different files, sheets and rows: the table lists every one with its row,
//   exactly the problems the API's dry run answers, and the dashboard does not change.
// - A good file: the success line names the revision, the key result's value shows on the
//   member's page; the same file again changes nothing; "Check" (from the keyboard, which keeps
//   its focus) writes nothing; files dropped on the panel are the ones sent.
// - The export links download files starting with `PK` (xlsx, zip) with the page's cookie, and
//   the server's own xlsx export checks clean through the panel (its view sheets listed as not
//   imported).
// - Screenshots at 1920×1080 and 390×844: the panel empty, uploading (the upload throttled through
//   the DevTools protocol), with a table of 10 problems, and after success; axe-core on each.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { axeViolations, describeViolations } from './axe.mjs';
import { OUT, assert, sleep } from './harness.mjs';
import { scrollOverflow } from './wall-checks.mjs';

const PERIOD = 2026;
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

// ---- files written by the test ----

/** A zip of `files` ({ name: string | Buffer }), deflated, as Excel and zip tools write them. */
export function zip(files) {
  const parts = [];
  const central = [];
  let offset = 0;
  for (const [name, content] of Object.entries(files)) {
    const raw = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
    const data = deflateRawSync(raw);
    const fname = Buffer.from(name, 'utf8');
    const crc = crc32(raw);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x5b86, 12); // 2025-12-06
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(fname.length, 26);
    local.writeUInt16LE(0, 28);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    local.copy(dir, 8, 6, 30); // flags … extra length, as in the local header
    dir.writeUInt16LE(0, 32); // comment
    dir.writeUInt16LE(0, 34); // disk
    dir.writeUInt16LE(0, 36);
    dir.writeUInt32LE(0, 38);
    dir.writeUInt32LE(offset, 42);
    parts.push(local, fname, data);
    central.push(dir, fname);
    offset += local.length + fname.length + data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  const n = Object.keys(files).length;
  end.writeUInt16LE(n, 8);
  end.writeUInt16LE(n, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cd, end]);
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A column's letters: 0 → A, 26 → AA. */
const colName = (i) => (i < 26 ? String.fromCharCode(65 + i) : colName(Math.floor(i / 26) - 1) + String.fromCharCode(65 + (i % 26)));

/**
 * An .xlsx of `sheets` ({ name: rows }, each row an array of cells: a number is a number cell,
 * anything else an inline string), the parts a workbook needs and no more.
 */
export function xlsx(sheets) {
  const names = Object.keys(sheets);
  const ns = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
  const rel = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
  const files = {
    '[Content_Types].xml':
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>' +
      '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
      names.map((_, i) => `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`).join('') +
      '</Types>',
    '_rels/.rels': `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    'xl/workbook.xml': `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="${ns}" xmlns:r="${rel}"><sheets>${names.map((n, i) => `<sheet name="${esc(n)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('')}</sheets></workbook>`,
    'xl/_rels/workbook.xml.rels': `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${names.map((_, i) => `<Relationship Id="rId${i + 1}" Type="${rel}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`).join('')}</Relationships>`,
  };
  names.forEach((name, i) => {
    const rows = sheets[name]
      .map((cells, r) => {
        const cs = cells.map((v, c) => {
          const ref = `${colName(c)}${r + 1}`;
          if (v === null || v === undefined || v === '') return '';
          return typeof v === 'number' ? `<c r="${ref}"><v>${v}</v></c>` : `<c r="${ref}" t="inlineStr"><is><t>${esc(v)}</t></is></c>`;
        });
        return `<row r="${r + 1}">${cs.join('')}</row>`;
      })
      .join('');
    files[`xl/worksheets/sheet${i + 1}.xml`] = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="${ns}"><sheetData>${rows}</sheetData></worksheet>`;
  });
  return zip(files);
}

const csv = (rows) => rows.map((r) => r.join(',')).join('\n') + '\n';
const file = (name, content, mimeType = 'text/csv') => ({ name, mimeType, buffer: Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8') });

// ---- the API, as the test's own client ----

/** `POST /import` with the Secretariat's token (plain JSON): `{ status, body }`. */
async function apiImport(server, files, dryRun) {
  const form = new FormData();
  for (const f of files) form.append('file', new Blob([f.buffer], { type: f.mimeType }), f.name);
  const r = await fetch(`${server.base}/api/v1/import${dryRun ? '?dry_run=true' : ''}`, { method: 'POST', body: form, headers: { authorization: `Bearer ${server.token}`, accept: 'application/json' } });
  const text = await r.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: r.status, body };
}

// ---- the page ----

/** The problem table as shown: one `place|row|column|problem` per row. */
function readProblems(page) {
  return page.$$eval('[data-testid=import-problem-table] tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.trim())));
}

/** The server's problems in the table's terms. */
function asShown(details) {
  return details.map((d) => [[d.file, d.sheet].filter((x) => x && String(x).trim()).join(' › ') || '–', d.row == null ? '–' : String(d.row), d.field?.trim() || '–', d.message.trim()]);
}

const key = (r) => r.join('|');
const sortedKeys = (rows) => rows.map(key).sort();

async function openPanel(page, base) {
  await page.goto(`${base}/secretariat`);
  await page.waitForFunction(() => document.querySelector('[data-testid=live-badge]')?.getAttribute('data-state') === 'live', null, { timeout: 10_000 });
  await page.locator('[data-testid=import-panel]').waitFor({ timeout: 5000 });
}

/** Chooses `files`, clicks Check or Import, and waits until the panel is done: its status line. */
async function runPanel(page, files, button, { keyboard = false } = {}) {
  await page.setInputFiles('[data-testid=import-files]', files);
  if (keyboard) {
    await page.focus(`[data-testid=import-${button}]`);
    await page.keyboard.press('Enter');
  } else {
    await page.click(`[data-testid=import-${button}]`);
  }
  await page.waitForFunction(() => !document.querySelector('[data-testid=import-panel]')?.hasAttribute('aria-busy'), null, { timeout: 60_000 });
  return ((await page.locator('[data-testid=import-status]').textContent()) ?? '').trim();
}

/** Controls of the panel and the export links under 44 px (a phone's thumb). */
function lowControls(page) {
  return page.$$eval('[data-testid=import-panel] button, [data-testid=import-panel] input, [data-testid=import-panel] summary, [data-testid=export-buttons] a', (els) =>
    els
      .filter((e) => e.getClientRects().length > 0)
      .map((e) => ({ what: `${e.tagName.toLowerCase()} ${(e.textContent || e.getAttribute('data-testid') || '').trim().slice(0, 30)}`, height: Math.round(e.getBoundingClientRect().height) }))
      .filter((e) => e.height < 44),
  );
}

/** axe, the phone's rules at 390 px, and a screenshot of the panel's state. */
async function look(page, name, backend, problems) {
  const size = page.viewportSize();
  const v = await axeViolations(page);
  if (v.length) problems.push(`${name} at ${size.width}×${size.height}: axe: ${describeViolations(v)}`);
  if (size.width < 600) {
    const low = await lowControls(page);
    if (low.length) problems.push(`${name} at ${size.width}: controls under 44 px: ${JSON.stringify(low.slice(0, 6))}`);
    const over = await scrollOverflow(page);
    if (over.width > 0) problems.push(`${name} at ${size.width}: the page scrolls sideways by ${over.width} px`);
  }
  await page.locator('[data-testid=import-panel]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(OUT, `import-${name}-${size.width}x${size.height}-${backend}.png`) });
}

function watchErrors(page) {
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

// ---- the tests ----

export async function importExportTests({ t, server, backend, context, newContext }) {
  const doc = () => server.json(`/dashboard?period=${PERIOD}`);
  /** What the store holds, read at once (the dashboard document follows a write a moment later). */
  const stored = async () => ({ rev: (await server.json('/audit?limit=1'))?.[0]?.rev ?? null, vnm: (await server.json('/actuals?iso3=VNM')).length });
  /** The dashboard document once it has caught up with revision `rev`. */
  const docAt = async (rev) => {
    for (let i = 0; i < 100; i++) {
      const d = await doc();
      if (d.rev >= rev) return d;
      await sleep(50);
    }
    return doc();
  };
  const start = await doc();
  // A key result of Viet Nam's with a target for the period: the good file reports on it.
  const kr = Object.values(start.key_results).find((k) => k.iso3 === 'VNM' && k.target != null);
  assert(kr, 'the demo has a Viet Nam key result with a 2026 target');
  const value = kr.actual === kr.target ? Math.round(kr.target * 90) / 100 : kr.target;
  const reportedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const good = [file('actuals.csv', csv([['iso3', 'kr_code', 'year', 'value', 'reported_at'], ['VNM', kr.code, PERIOD, value, reportedAt]]))];

  // Ten problems, in two files, four sheets or tables and seven rows, of every stage.
  const badCsv = csv([
    ['iso3', 'kr_code', 'year', 'value'],
    ['VNM', kr.code, PERIOD, 'abc'], // row 2: not a number
    ['XYZ', 'XYZ-KR1', PERIOD, 5], // row 3: no such member
    ['VNM', kr.code, '20x6', 5], // row 4: not a year
    ['VNM', kr.code, PERIOD, 6], // row 5: fine
    ['VNM', 'VNM-KR999', PERIOD, 1], // row 6: no such key result
    ['VNM', kr.code, PERIOD, ''], // row 7: no value
  ]);
  const badBook = xlsx({
    targets: [
      ['iso3', 'kr_code', 'year', 'target'],
      ['VNM', kr.code, 2027, 'lots'], // row 2: not a number
      ['', kr.code, 2028, 4], // row 3: no member
    ],
    budgets: [
      ['pillar', 'year', 'planned', 'spent'],
      [7, 2026, 'x', 10], // row 2: no pillar 7; planned not a number
    ],
    Notes: [['anything'], ['the officer’s notes']], // a sheet the import does not know
  });
  const bad = [file('actuals.csv', badCsv), file('targets and budgets.xlsx', badBook, XLSX_TYPE)];
  /** Rows made wrong on purpose: each must be in the table, with its row number. */
  const wrongRows = [
    ['actuals.csv', '2'],
    ['actuals.csv', '3'],
    ['actuals.csv', '4'],
    ['actuals.csv', '6'],
    ['actuals.csv', '7'],
    ['targets and budgets.xlsx › targets', '2'],
    ['targets and budgets.xlsx › targets', '3'],
    ['targets and budgets.xlsx › budgets', '2'],
  ];

  const page = await context.newPage();
  const errors = watchErrors(page);
  try {
    await t('import panel: empty, at 1920×1080 and 390×844 (axe, 44 px controls, no sideways scroll)', async () => {
      const looks = [];
      for (const [w, hgt] of [
        [1920, 1080],
        [390, 844],
      ]) {
        await page.setViewportSize({ width: w, height: hgt });
        await openPanel(page, server.base);
        await look(page, 'empty', backend, looks);
      }
      await page.setViewportSize({ width: 1920, height: 1080 });
      assert(looks.length === 0, looks.join('\n       '));
    });

    await t('import panel: bad files (a CSV and an xlsx, problems in 4 tables and 7 rows) list every problem with its row, as the API’s dry run does, and nothing changes', async () => {
      const looks = [];
      const api = await apiImport(server, bad, true);
      assert(api.status === 422, `the API's dry run of the bad files answers 422, not ${api.status}: ${JSON.stringify(api.body).slice(0, 300)}`);
      const details = api.body?.error?.details ?? [];
      const before = await doc();
      const storedBefore = await stored();
      await openPanel(page, server.base);
      const status = await runPanel(page, bad, 'run');
      const shown = await readProblems(page);
      assert(status.startsWith(`${details.length} problems; nothing was written`), `the count above the table: “${status}” (the API found ${details.length})`);
      assert(shown.length === details.length, `${shown.length} rows shown, ${details.length} problems`);
      assert(JSON.stringify(sortedKeys(shown)) === JSON.stringify(sortedKeys(asShown(details))), `the table differs from the API's problems:\n shown ${JSON.stringify(shown)}\n api ${JSON.stringify(asShown(details))}`);
      const missing = wrongRows.filter(([where, row]) => !shown.some((r) => r[0] === where && r[1] === row));
      assert(missing.length === 0, `rows made wrong on purpose but not listed: ${JSON.stringify(missing)}; shown: ${JSON.stringify(shown)}`);
      assert(!shown.some((r) => r[0] === 'actuals.csv' && r[1] === '5'), 'the good row 5 is not listed');
      // Sorted by row: the row numbers in order, those without a row first.
      await page.click('[data-testid=import-problem-table] button[data-sort=row]');
      const rows = (await readProblems(page)).map((r) => (r[1] === '–' ? -1 : Number(r[1])));
      assert(rows.every((r, i) => i === 0 || rows[i - 1] <= r), `sorted by row: ${rows}`);
      assert((await page.getAttribute('[data-testid=import-problem-table] th:has(button[data-sort=row])', 'aria-sort')) === 'ascending', 'the sorted column says so (aria-sort)');
      const storedAfter = await stored();
      assert(JSON.stringify(storedAfter) === JSON.stringify(storedBefore), `nothing was written: ${JSON.stringify(storedBefore)} → ${JSON.stringify(storedAfter)}`);
      const after = await doc();
      assert(after.rev === before.rev, `the dashboard did not change: revision ${before.rev} → ${after.rev}`);
      assert(after.key_results[`VNM/${kr.code}`].actual === before.key_results[`VNM/${kr.code}`].actual, 'the key result’s actual is unchanged');
      for (const [w, hgt] of [
        [1920, 1080],
        [390, 844],
      ]) {
        await page.setViewportSize({ width: w, height: hgt });
        await sleep(100);
        await look(page, 'problems', backend, looks);
      }
      await page.setViewportSize({ width: 1920, height: 1080 });
      assert(looks.length === 0, looks.join('\n       '));
    });

    await t('import panel: “Check” (pressed with the keyboard) with a good file says what would change, writes nothing, and leaves the focus on the button', async () => {
      const before = await stored();
      await openPanel(page, server.base);
      const status = await runPanel(page, good, 'check', { keyboard: true });
      assert(/^Checked: nothing wrong\. Importing these files would change 1 report\b/.test(status), `the check says: “${status}”`);
      const focused = await page.evaluate(() => document.activeElement?.getAttribute('data-testid'));
      assert(focused === 'import-check', `the keyboard's focus stays on the Check button, not ${focused}`);
      const after = await stored();
      assert(JSON.stringify(after) === JSON.stringify(before), `the check wrote nothing: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
      assert((await page.locator('[data-testid=import-problem-table]').count()) === 0, 'no problem table');
    });

    await t('import panel: files dropped on the panel are chosen (a .pdf left out, saying so) and are what “Check” sends', async () => {
      await openPanel(page, server.base);
      const text = good[0].buffer.toString('utf8');
      await page.evaluate((csvText) => {
        const dt = new DataTransfer();
        dt.items.add(new File([csvText], 'actuals.csv', { type: 'text/csv' }));
        dt.items.add(new File(['%PDF-1.4'], 'notes.pdf', { type: 'application/pdf' }));
        const panel = document.querySelector('[data-testid=import-panel]');
        for (const type of ['dragenter', 'dragover', 'drop']) panel.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
      }, text);
      const chosen = await page.$$eval('[data-testid=import-chosen] li', (lis) => lis.map((li) => li.textContent));
      assert(chosen.length === 1 && chosen[0].startsWith('actuals.csv'), `the dropped file is listed: ${JSON.stringify(chosen)}`);
      const said = (await page.locator('[data-testid=import-status]').textContent()) ?? '';
      assert(/Left out: notes\.pdf\b/.test(said), `the panel says what it left out: “${said}”`);
      await page.click('[data-testid=import-check]');
      await page.waitForFunction(() => !document.querySelector('[data-testid=import-panel]')?.hasAttribute('aria-busy'), null, { timeout: 30_000 });
      const status = ((await page.locator('[data-testid=import-status]').textContent()) ?? '').trim();
      assert(/^Checked: nothing wrong\. Importing these files would change 1 report\b/.test(status), `the dropped file checks: “${status}”`);
    });

    await t('import panel: a good file imports at a revision the line names, the value shows on the member’s page, and the same file again changes nothing', async () => {
      const looks = [];
      await openPanel(page, server.base);
      const status = await runPanel(page, good, 'run');
      const m = /^Imported at revision ([\d,]+): 1 report\.$/.exec(status);
      assert(m, `the success line: “${status}”`);
      const rev = Number(m[1].replace(/,/g, ''));
      assert((await stored()).rev === rev, `the line's revision ${rev} is the store's latest (${(await stored()).rev})`);
      const after = await docAt(rev);
      assert(after.rev === rev, `the line's revision ${rev} is the dashboard's (${after.rev})`);
      assert(after.key_results[`VNM/${kr.code}`].actual === value, `the dashboard's actual of ${kr.code}: ${after.key_results[`VNM/${kr.code}`].actual}, imported ${value}`);
      assert((await page.locator('[data-testid=import-chosen] li').count()) === 0, 'the imported files are cleared from the panel');
      assert((await page.locator('[data-testid=import-from]').textContent()) === 'From actuals.csv.', 'the result names the files it came from');
      for (const [w, hgt] of [
        [1920, 1080],
        [390, 844],
      ]) {
        await page.setViewportSize({ width: w, height: hgt });
        await sleep(100);
        await look(page, 'success', backend, looks);
      }
      await page.setViewportSize({ width: 1920, height: 1080 });
      assert(looks.length === 0, looks.join('\n       '));

      const member = await context.newPage();
      try {
        await member.goto(`${server.base}/members/VNM?period=${PERIOD}`);
        const shown = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 }).format(value);
        await member
          .waitForFunction(
            ([code, text]) => [...document.querySelectorAll('.kr-list > li')].some((li) => li.querySelector('strong')?.textContent === code && li.textContent.includes(`actual ${text}`)),
            [kr.code, shown],
            { timeout: 10_000 },
          )
          .catch(() => assert(false, `the member page does not show ${kr.code}'s actual ${shown}`));
      } finally {
        await member.close();
      }

      const again = await runPanel(page, good, 'run');
      assert(again === 'Nothing to change: the dashboard already holds everything in these files.', `the same file again: “${again}”`);
      assert((await stored()).rev === rev, 'the second import wrote nothing');
    });

    await t('import panel: the upload’s progress bar moves while a large file is sent (throttled), and the stages the server reports are shown', async () => {
      const looks = [];
      // A long series file (valid rows, each member, series and year once; checked only):
      // about 4.5 MB, sent at 1 MB/s.
      const lines = ['iso3,series,year,value'];
      const members = Object.keys(start.members);
      for (let s = 0; lines.length <= 150_000; s++) for (const m of members) for (let y = 1970; y < 2020; y++) lines.push(`${m},e2e_index_${s},${y},${((s * 31 + y) % 997) / 10}`);
      const big = [file('series.csv', `${lines.join('\n')}\n`)];
      await openPanel(page, server.base);
      // Every value and label the progress bar shows, recorded in the page.
      await page.evaluate(() => {
        const seen = (window.__progress = []);
        const bar = document.querySelector('[data-testid=import-progress]');
        const label = document.querySelector('[data-testid=import-stage]');
        new MutationObserver(() => seen.push({ label: label.textContent, value: bar.hasAttribute('value') ? bar.value : null, max: bar.max })).observe(bar.parentElement, { subtree: true, attributes: true, childList: true, characterData: true });
      });
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 1_000_000 });
      try {
        await page.setInputFiles('[data-testid=import-files]', big);
        await page.click('[data-testid=import-check]');
        await page.waitForFunction(() => {
          const bar = document.querySelector('[data-testid=import-progress]');
          return bar && !bar.closest('[hidden]') && bar.hasAttribute('value') && bar.value > 0 && bar.value < bar.max;
        }, null, { timeout: 20_000 });
        for (const [w, hgt] of [
          [1920, 1080],
          [390, 844],
        ]) {
          await page.setViewportSize({ width: w, height: hgt });
          await look(page, 'uploading', backend, looks);
        }
      } finally {
        await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
        await page.setViewportSize({ width: 1920, height: 1080 });
      }
      await page.waitForFunction(() => !document.querySelector('[data-testid=import-panel]')?.hasAttribute('aria-busy'), null, { timeout: 120_000 });
      const seen = await page.evaluate(() => window.__progress);
      const sending = seen.filter((s) => /^Sending/.test(s.label) && s.value > 0 && s.value < s.max);
      assert(sending.length >= 2, `the bar moved at least twice while sending: ${JSON.stringify(seen.slice(0, 8))}`);
      const stages = [...new Set(seen.map((s) => s.label).filter((l) => !/^Sending|^Sent/.test(l)))];
      console.log(`     (${backend}) the server's stages shown for ${lines.length - 1} series rows: ${stages.join(' → ') || 'none'}`);
      const status = ((await page.locator('[data-testid=import-status]').textContent()) ?? '').trim();
      assert(/^Checked: nothing wrong/.test(status), `the large file checks clean: “${status}”`);
      assert(looks.length === 0, looks.join('\n       '));
    });

    await t('export: the Secretariat page’s links download an xlsx and a zip (PK…) with the page’s cookie; the member page’s carry its iso3', async () => {
      await openPanel(page, server.base);
      for (const [id, type] of [
        ['export-xlsx', /spreadsheetml|octet-stream/],
        ['export-csv', /zip|octet-stream/],
      ]) {
        const href = await page.getAttribute(`[data-testid=${id}]`, 'href');
        assert(href?.startsWith('/api/v1/export?format=') && href.includes(`period=${PERIOD}`), `${id}: ${href}`);
        const r = await context.request.get(`${server.base}${href}`);
        const body = await r.body();
        assert(r.status() === 200, `${href}: ${r.status()} ${body.toString('utf8', 0, 200)}`);
        assert(body.subarray(0, 2).toString('latin1') === 'PK', `${href} starts with ${JSON.stringify(body.subarray(0, 4).toString('latin1'))}, not PK`);
        assert(type.test(r.headers()['content-type'] ?? ''), `${href}: content type ${r.headers()['content-type']}`);
      }
      // A click saves the file (Content-Disposition: attachment), named by the server.
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: 20_000 }), page.click('[data-testid=export-xlsx]')]);
      const saved = readFileSync(await download.path());
      assert(saved.subarray(0, 2).toString('latin1') === 'PK' && /\.xlsx$/.test(download.suggestedFilename()), `the clicked download: ${download.suggestedFilename()}, ${saved.length} bytes`);

      const member = await context.newPage();
      try {
        await member.goto(`${server.base}/members/VNM?period=${PERIOD}`);
        const href = await member.getAttribute('[data-testid=export-xlsx]', 'href', { timeout: 10_000 });
        assert(/[?&]iso3=VNM\b/.test(href ?? ''), `the member page's link: ${href}`);
        const r = await context.request.get(`${server.base}${href}`);
        assert(r.status() === 200 && (await r.body()).subarray(0, 2).toString('latin1') === 'PK', `${href}: ${r.status()}`);
        assert(/VNM/.test(r.headers()['content-disposition'] ?? ''), `the member's file is named for it: ${r.headers()['content-disposition']}`);
      } finally {
        await member.close();
      }
    });

    await t('export → import: the server’s own xlsx checks clean through the panel, its README and view sheets listed as not imported', async () => {
      const r = await context.request.get(`${server.base}/api/v1/export?format=xlsx`);
      assert(r.status() === 200, `GET /export?format=xlsx: ${r.status()}`);
      await openPanel(page, server.base);
      const status = await runPanel(page, [file('export.xlsx', await r.body(), XLSX_TYPE)], 'check');
      assert(/^Checked: nothing wrong/.test(status), `the export checks clean: “${status}”; problems: ${JSON.stringify((await readProblems(page)).slice(0, 5))}`);
      const skipped = (await page.locator('[data-testid=import-skipped]').textContent()) ?? '';
      assert(/README/.test(skipped) && /Overview/.test(skipped), `the README and view sheets are listed as not imported: “${skipped}”`);
      await page.locator('[data-testid=import-skipped] summary').click();
      await page.locator('[data-testid=import-panel]').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(OUT, `import-export-checked-1920x1080-${backend}.png`) });
    });

    await t('import panel: only the Secretariat sees it; a viewer sees the export links', async () => {
      const created = await server.post('/tokens', { role: 'viewer', label: `e2e viewer (${backend})` });
      const ctx = await newContext();
      try {
        await server.signIn(ctx, created.token);
        const viewer = await ctx.newPage();
        await viewer.goto(`${server.base}/secretariat`);
        await viewer.locator('[data-testid=export-xlsx]').waitFor({ timeout: 10_000 });
        assert((await viewer.locator('[data-testid=import-panel]').count()) === 0, 'a viewer has no import panel');
      } finally {
        await ctx.close();
      }
      assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
    });
  } finally {
    await page.close();
  }
}

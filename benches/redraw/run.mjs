// # Redraw benchmark: the browser's time per live frame
//
// Measures, in Chromium, the time from a live patch frame's arrival (its `message` event
// handler starting) to the end of the redraw, for the wall (/wall, 1920×1080) and the
// Secretariat (/secretariat, 1280×800), on a synthetic dashboard document of two sizes:
// workshop (21 members, 115 key results, 8 focus areas) and large (20,000 key results over the
// 21 members, 40 focus areas). Several builds of the frontend can be measured in one run,
// alternating between them (A, B, A, B… in rounds), each run on a fresh browser page.
//
// ## Run
//
//   npm --prefix frontend run build && cp -r frontend/dist /tmp/redraw-before-dist   # once
//   node benches/redraw/run.mjs --dist before=/tmp/redraw-before-dist:old \
//        --dist after=frontend/dist:new --rounds 3 \
//        --out benches/results/redraw-YYYY-MM-DD.jsonl [--shots /tmp/redraw-shots]
//
// Options (defaults in brackets):
//   --dist LABEL=DIR[:old|new]  a built frontend folder and the patch format its server speaks
//                               (repeatable; the format defaults to --format)
//   --format old|new            [old] `old`: today's frames (recent re-sent whole, Recent events);
//                               `new`: insert + trim on `recent`, events {rev, entity, key}
//   --size workshop,large       [both]      --page wall,secretariat [both]
//   --rounds K [3]   --patches N [200]   --warmup W [5] (patches sent first, not counted)
//   --gap-ms 150     least time between two patches sent (live.ts draws a patch at once only
//                    when notifyEveryMs = 50 ms have passed since the last draw)
//   --settle-ms 50   least time between a patch's handler ending and the next patch sent
//   --out FILE       append the JSON lines there too (a first line describes the machine)
//   --shots DIR      screenshots of round 1 (after the snapshot, and after the last patch)
//   --seed 2026  --chromium /usr/bin/chromium
//
// ## What is measured
//
// The product code is not changed: an init script (page.addInitScript) replaces window.WebSocket
// with a subclass whose `onmessage` (and `message` listeners) are wrapped. For each frame:
//   t0 = performance.now() when the handler starts,
//   t1 = when the page's handler returns (JSON.parse, patch application, subscribers' DOM writes,
//        any layout the page forces itself),
//   t2 = after a forced style recalculation and layout (document.body.getBoundingClientRect())
//        right after t1, so the style/layout cost of the redraw is counted.
// Reported per (dist, page, size), over all rounds, patches only (the snapshot, heartbeats and
// the warm-up patches are left out): count, median, p95, max of script = t1−t0 and
// script_layout = t2−t0 (and layout = t2−t1), in ms with 2 decimals, one JSON line each.
// After every patch the driver checks that the page drew it (the wall: the member's heat-map
// "All" cell, the overall score and the ticker's first line; the Secretariat: the replay
// slider's max = rev and the member's completeness row), so the timed handler is the live
// module's and the redraw happened within it (not deferred to a timer); `mismatches` counts
// failures. `compilers_running` lists the cargo/rustc processes seen during the runs, and
// `foreign_cpu_cores` the CPU other processes (outside this driver, its servers and its
// Chromium) used during each run, in cores: on a 2-core machine, figures taken while either is
// well above 0 are suspect.
//
// With --format new the ticker's text is not checked (a rewritten page may word the line its own
// way); the other checks stay.
//
// Not measured: paint, rasterisation and compositing (they happen after the task, in the next
// rendering update), CSS flash animations and ECharts' 300 ms bar animation (later frames), and
// the time a frame waits in the socket / task queue before its handler starts. Layout the page
// forces itself inside its handler (dom.ts `flashEl` reads offsetWidth) counts as script.
// performance.now() is coarsened to 100 µs in a page that is not cross-origin isolated.
// Each run starts from the same seeded document and gets the same seeded patches (the server is
// reset before each run), so builds see identical work; within a run the document drifts (at
// workshop size, 205 reports take "reported" from 58 to about 100 of 115 key results).

import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs as parseFlags } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..');
const require = createRequire(import.meta.url);
const { chromium } = require(join(REPO, 'frontend', 'node_modules', 'playwright-core'));

// Chromium as the browser tests start it (no network beyond loopback, a fresh profile).
const { CHROMIUM_ARGS } = await import(join(REPO, 'frontend', 'e2e', 'harness.mjs'));
const VIEWPORTS = { wall: { width: 1920, height: 1080 }, secretariat: { width: 1280, height: 800 } };

// ---- arguments ----

function parseArgs(argv) {
  const { values } = parseFlags({
    args: argv,
    options: {
      dist: { type: 'string', multiple: true, default: [] },
      format: { type: 'string', default: 'old' },
      size: { type: 'string', default: 'workshop,large' },
      page: { type: 'string', default: 'wall,secretariat' },
      rounds: { type: 'string', default: '3' },
      patches: { type: 'string', default: '200' },
      warmup: { type: 'string', default: '5' },
      'gap-ms': { type: 'string', default: '150' },
      'settle-ms': { type: 'string', default: '50' },
      out: { type: 'string' },
      shots: { type: 'string' },
      seed: { type: 'string', default: '2026' },
      chromium: { type: 'string', default: process.env.CHROMIUM || '/usr/bin/chromium' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n').split('\n\nimport')[0]);
    process.exit(0);
  }
  const o = {
    dists: [],
    format: values.format,
    sizes: values.size.split(','),
    pages: values.page.split(','),
    rounds: Number(values.rounds),
    patches: Number(values.patches),
    warmup: Number(values.warmup),
    gapMs: Number(values['gap-ms']),
    settleMs: Number(values['settle-ms']),
    out: values.out ? resolve(values.out) : null,
    shots: values.shots ? resolve(values.shots) : null,
    seed: Number(values.seed),
    chromium: values.chromium,
  };
  const rawDists = values.dist;
  if (!rawDists.length) throw new Error('give at least one --dist LABEL=DIR[:old|new]');
  for (const d of rawDists) {
    const eq = d.indexOf('=');
    if (eq < 1) throw new Error(`--dist ${d}: expected LABEL=DIR[:old|new]`);
    const label = d.slice(0, eq);
    let dir = d.slice(eq + 1);
    let format = o.format;
    const m = /^(.*):(old|new)$/.exec(dir);
    if (m) [, dir, format] = m;
    o.dists.push({ label, dir: resolve(dir), format });
  }
  for (const s of o.sizes) if (!['workshop', 'large'].includes(s)) throw new Error(`--size ${s}: workshop or large`);
  for (const p of o.pages) if (!VIEWPORTS[p]) throw new Error(`--page ${p}: wall or secretariat`);
  if (!['old', 'new'].includes(o.format)) throw new Error('--format is old or new');
  return o;
}

// ---- helpers ----

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.error(...a);
const r2 = (x) => (x === null || x === undefined ? null : Math.round(x * 100) / 100);

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (!n) return { median: null, p95: null, max: null };
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  const p95 = s[Math.min(n - 1, Math.ceil(0.95 * n) - 1)];
  return { median: r2(median), p95: r2(p95), max: r2(s[n - 1]) };
}

/** Every process from /proc: pid → {ppid, comm, cpu (utime + stime, clock ticks)}. */
function procTable() {
  const t = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue; // gone
    }
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const f = stat.slice(close + 2).split(' '); // f[0] = state (field 3)
    t.set(Number(d), { ppid: Number(f[1]), comm, cpu: Number(f[11]) + Number(f[12]) });
  }
  return t;
}
const COMPILERS = /^(cargo|rustc|cc1|cc1plus|ld|ld\.lld|mold)$|^rustc/;
const TICKS = 100; // USER_HZ on Linux

/**
 * Watches the machine while a run goes on (a sample a second): the cargo/rustc processes seen,
 * and the CPU used by processes outside this driver's tree (Chromium and the servers are in it),
 * in cores (1.0 = one core busy all along). Processes that live less than a second between two
 * samples are missed.
 */
function loadWatch() {
  const t0 = Date.now();
  const first = new Map();
  const last = new Map();
  const mine = new Set([process.pid]);
  const compilers = new Set();
  const sample = (initial) => {
    const t = procTable();
    // This driver's tree: descendants of process.pid (parents are usually listed before children,
    // but not always: iterate until stable).
    for (let changed = true; changed; ) {
      changed = false;
      for (const [pid, p] of t) if (!mine.has(pid) && mine.has(p.ppid)) mine.add(pid), (changed = true);
    }
    for (const [pid, p] of t) {
      if (!first.has(pid)) first.set(pid, initial ? p.cpu : 0);
      last.set(pid, p.cpu);
      if (COMPILERS.test(p.comm) && !mine.has(pid)) compilers.add(`${p.comm}:${pid}`);
    }
  };
  sample(true);
  const timer = setInterval(() => sample(false), 1000);
  return () => {
    clearInterval(timer);
    sample(false);
    let foreign = 0;
    for (const [pid, c] of last) if (!mine.has(pid)) foreign += c - (first.get(pid) ?? 0);
    const secs = (Date.now() - t0) / 1000;
    return { compilers: [...compilers], foreignCores: Math.round((100 * foreign) / TICKS / secs) / 100 };
  };
}

function machine(chromiumPath) {
  const cpu = (/^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8')) ?? [])[1] ?? cpus()[0]?.model ?? '?';
  let version = '?';
  try {
    version = execFileSync(chromiumPath, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch (e) {
    version = String(e.stdout ?? '').trim() || '?';
  }
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    // cpus() then
  }
  let head = null;
  try {
    head = execFileSync('git', ['-C', REPO, 'rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not a checkout
  }
  return { nproc, cpu, chromium: version, node: process.version, repo_head: head, date: new Date().toISOString() };
}

// ---- the servers ----

async function startServer(dist, size, seed) {
  const args = [join(HERE, 'server.mjs'), '--dist', dist.dir, '--size', size, '--format', dist.format, '--port', '0', '--seed', String(seed)];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (c) => (err += c));
  const base = await new Promise((res, rej) => {
    let out = '';
    const t = setTimeout(() => rej(new Error(`server for ${dist.label}/${size} did not start: ${err}`)), 60_000);
    proc.stdout.on('data', (c) => {
      out += c;
      const line = out.split('\n').find((l) => l.includes('"listening"'));
      if (line) {
        clearTimeout(t);
        res(JSON.parse(line).listening);
      }
    });
    proc.on('exit', (code) => rej(new Error(`server for ${dist.label}/${size} exited with ${code}: ${err}`)));
  });
  const call = async (method, path) => {
    const r = await fetch(base + path, { method });
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  return { base, proc, call, stop: () => proc.kill('SIGTERM') };
}

// ---- the page instrumentation (runs in the page before its own scripts) ----

function benchInit() {
  const B = { frames: [], lastRev: 0, patches: 0, snapshots: 0, heartbeats: 0, urls: [] };
  Object.defineProperty(window, '__bench', { value: B });
  const Native = window.WebSocket;
  const record = (data, t0, t1, t2) => {
    let type = 'other';
    let rev = null;
    let bytes = 0;
    if (typeof data === 'string') {
      bytes = data.length;
      if (data.length < 1_000_000) {
        try {
          const f = JSON.parse(data);
          type = String(f.type);
          rev = f.rev;
        } catch {
          type = 'unparsable';
        }
      } else {
        const head = data.slice(0, 200);
        type = (/"type":"(\w+)"/.exec(head) ?? [])[1] ?? 'big';
        rev = Number((/"rev":(\d+)/.exec(head) ?? [])[1] ?? NaN);
      }
    }
    B.frames.push({ type, rev, bytes, t0, t1, t2 });
    if (type === 'patch') {
      B.patches++;
      if (typeof rev === 'number' && rev > B.lastRev) B.lastRev = rev;
    } else if (type === 'snapshot') {
      B.snapshots++;
      if (typeof rev === 'number') B.lastRev = rev;
    } else if (type === 'heartbeat') B.heartbeats++;
  };
  const timed = (fn) =>
    function (ev) {
      const t0 = performance.now();
      try {
        return fn.call(this, ev);
      } finally {
        const t1 = performance.now();
        if (document.body) document.body.getBoundingClientRect();
        const t2 = performance.now();
        record(ev.data, t0, t1, t2);
      }
    };
  const wrapped = new WeakMap();
  class BenchWebSocket extends Native {
    constructor(...args) {
      super(...args);
      B.urls.push(String(args[0]));
      this.__onmessage = null;
    }
    get onmessage() {
      return this.__onmessage;
    }
    set onmessage(fn) {
      this.__onmessage = fn;
      super.onmessage = typeof fn === 'function' ? timed(fn) : fn;
    }
    addEventListener(type, fn, opts) {
      if (type === 'message' && typeof fn === 'function') {
        if (!wrapped.has(fn)) wrapped.set(fn, timed(fn));
        return super.addEventListener(type, wrapped.get(fn), opts);
      }
      return super.addEventListener(type, fn, opts);
    }
    removeEventListener(type, fn, opts) {
      if (type === 'message' && wrapped.has(fn)) return super.removeEventListener(type, wrapped.get(fn), opts);
      return super.removeEventListener(type, fn, opts);
    }
  }
  window.WebSocket = BenchWebSocket;
}

// ---- checks of what the page shows ----

/** In the page: does it show the state the server holds? Returns a list of problems. */
function checkPage({ page, iso3, memberScore, memberReported, overallScore, summary, rev }) {
  const pct = (v) => (v === null || v === undefined ? '–' : new Intl.NumberFormat(navigator.language || 'en', { style: 'percent', maximumFractionDigits: 0 }).format(v));
  const count = (v) => new Intl.NumberFormat(navigator.language || 'en', { maximumFractionDigits: 0 }).format(v);
  const bad = [];
  const text = (sel) => document.querySelector(sel)?.textContent ?? null;
  if (page === 'wall') {
    const cell = text(`[data-cell="${iso3}-all"]`);
    if (cell !== pct(memberScore)) bad.push(`heat map ${iso3}-all shows ${cell}, expected ${pct(memberScore)}`);
    const overall = text('[data-testid="overall-score"]');
    if (overall !== pct(overallScore)) bad.push(`overall shows ${overall}, expected ${pct(overallScore)}`);
    if (summary !== null) {
      const first = text('[data-testid="ticker"] li.ticker-item .tk-what');
      if (first !== summary) bad.push(`ticker's first line is ${first}, expected ${summary}`);
    }
  } else {
    const slider = document.querySelector('#replay');
    if (rev !== null && slider?.max !== String(rev)) bad.push(`replay max is ${slider?.max}, expected ${rev}`);
    const row = [...document.querySelectorAll('table.data tbody tr')].find((tr) => tr.querySelector('th')?.textContent?.endsWith(`(${iso3})`) && tr.cells.length === 6);
    if (!row) bad.push(`no completeness row for ${iso3}`);
    else {
      const cells = [...row.cells].map((c) => c.textContent);
      if (cells[2] !== count(memberReported)) bad.push(`${iso3} reported shows ${cells[2]}, expected ${count(memberReported)}`);
      if (cells[5] !== pct(memberScore)) bad.push(`${iso3} score shows ${cells[5]}, expected ${pct(memberScore)}`);
    }
  }
  return bad;
}

// ---- one run: one dist, one page, one size, on a fresh page ----

async function runOnce(ctx, server, dist, pageName, size, opts, round) {
  await server.call('POST', '/bench/reset');
  const page = await ctx.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  await page.setViewportSize(VIEWPORTS[pageName]);
  await page.addInitScript(benchInit);
  await page.goto(`${server.base}/${pageName}`, { waitUntil: 'load', timeout: 60_000 });
  // The snapshot is drawn.
  const st0 = await server.call('GET', '/bench/state');
  await page.waitForFunction(
    ({ pageName, rev }) => {
      const B = window.__bench;
      if (!B || B.snapshots < 1 || B.lastRev < rev) return false;
      if (pageName === 'wall') return document.querySelectorAll('[data-testid="heatmap"] tbody tr').length >= 21 && (document.querySelector('[data-testid="overall-score"]')?.textContent ?? '') !== '';
      return document.querySelectorAll('table.data').length >= 2 && document.querySelector('#replay')?.max === String(rev);
    },
    { pageName, rev: st0.rev },
    { polling: 50, timeout: 180_000 },
  );
  await sleep(1000); // the productivity fetch, fonts, the chart's first animation
  const snapBad = await page.evaluate(checkPage, {
    page: pageName,
    iso3: 'VNM',
    memberScore: st0.members.VNM.score,
    memberReported: st0.members.VNM.reported,
    overallScore: st0.overall.score,
    summary: dist.format === 'old' ? st0.recent0 : null,
    rev: st0.rev,
  });
  const tag = `${dist.label}-${pageName}-${size}`;
  if (opts.shots && round === 1) await page.screenshot({ path: join(opts.shots, `${tag}-snapshot.png`) });

  let lastSent = 0;
  let mismatches = 0;
  const mismatchSamples = [...snapBad.map((b) => `snapshot: ${b}`)];
  const bytes = [];
  const opsCount = [];
  let firstCounted = null;
  const total = opts.warmup + opts.patches;
  for (let i = 0; i < total; i++) {
    const wait = lastSent + opts.gapMs - Date.now();
    if (wait > 0) await sleep(wait);
    lastSent = Date.now();
    const { patches } = await server.call('POST', '/bench/patch?n=1');
    const info = patches[0];
    if (i === opts.warmup) firstCounted = info.rev;
    await page.waitForFunction((rev) => window.__bench.lastRev >= rev, info.rev, { polling: 10, timeout: 120_000 });
    const bad = await page.evaluate(checkPage, {
      page: pageName,
      iso3: info.iso3,
      memberScore: info.member_score,
      memberReported: info.member_reported,
      overallScore: info.overall_score,
      // Only the old format's Recent is what today's ticker shows as is; with the new one the
      // page may render the line otherwise.
      summary: dist.format === 'old' ? info.summary : null,
      rev: info.rev,
    });
    if (i >= opts.warmup) {
      bytes.push(info.bytes);
      opsCount.push(info.ops);
      if (bad.length) {
        mismatches++;
        if (mismatchSamples.length < 5) mismatchSamples.push(`rev ${info.rev}: ${bad.join('; ')}`);
      }
    }
    await sleep(opts.settleMs);
  }
  if (opts.shots && round === 1) {
    await page.screenshot({ path: join(opts.shots, `${tag}-after.png`) });
    if (pageName !== 'wall') {
      // The tables below the fold too (the first 4,000 px of the page).
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      await page.screenshot({ path: join(opts.shots, `${tag}-after-page.png`), fullPage: true, clip: { x: 0, y: 0, width: VIEWPORTS[pageName].width, height: Math.min(height, 4000) } });
    }
  }
  const B = await page.evaluate(() => ({ frames: window.__bench.frames, urls: window.__bench.urls }));
  await page.close();
  const patches = B.frames.filter((f) => f.type === 'patch' && f.rev >= firstCounted);
  const snapshot = B.frames.find((f) => f.type === 'snapshot');
  return {
    script: patches.map((f) => f.t1 - f.t0),
    total: patches.map((f) => f.t2 - f.t0),
    layout: patches.map((f) => f.t2 - f.t1),
    snapshotMs: snapshot ? snapshot.t2 - snapshot.t0 : null,
    snapshotBytes: snapshot?.bytes ?? null,
    sockets: B.urls,
    mismatches,
    mismatchSamples,
    problems,
    bytes,
    opsCount,
  };
}

// ---- main ----

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const info = machine(opts.chromium);
  if (opts.out) {
    mkdirSync(dirname(opts.out), { recursive: true });
    appendFileSync(opts.out, `${JSON.stringify({ machine: info, argv: process.argv.slice(2) })}\n`);
  }
  if (opts.shots) mkdirSync(opts.shots, { recursive: true });
  log(`machine: ${JSON.stringify(info)}`);

  const servers = new Map();
  const userDataDir = mkdtempSync(join(tmpdir(), 'redraw-bench-chromium-'));
  const ctx = await chromium.launchPersistentContext(userDataDir, { executablePath: opts.chromium, headless: true, args: CHROMIUM_ARGS, locale: 'en-US', viewport: VIEWPORTS.wall });
  const seenCompilers = new Set();
  // Interrupted: stop the servers and the browser (they are this driver's children) and leave.
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, async () => {
      log(`run.mjs: ${sig}, stopping`);
      for (const s of servers.values()) s.stop();
      await ctx.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
      process.exit(130);
    });
  }
  try {
    for (const size of opts.sizes) {
      for (const dist of opts.dists) servers.set(`${dist.label}/${size}`, await startServer(dist, size, opts.seed));
      for (const pageName of opts.pages) {
        const acc = new Map(opts.dists.map((d) => [d.label, { script: [], total: [], layout: [], roundMedians: [], snapshotMs: [], mismatches: 0, samples: [], problems: [], bytes: [], ops: [], compilers: new Set(), foreign: [], sockets: new Set(), snapshotBytes: null }]));
        for (let round = 1; round <= opts.rounds; round++) {
          for (const dist of opts.dists) {
            const watch = loadWatch();
            const t = Date.now();
            const r = await runOnce(ctx, servers.get(`${dist.label}/${size}`), dist, pageName, size, opts, round);
            const load = watch();
            const running = load.compilers;
            running.forEach((c) => seenCompilers.add(c));
            const a = acc.get(dist.label);
            a.script.push(...r.script);
            a.total.push(...r.total);
            a.layout.push(...r.layout);
            a.roundMedians.push(stats(r.total).median);
            a.snapshotMs.push(r2(r.snapshotMs));
            a.snapshotBytes = r.snapshotBytes;
            a.mismatches += r.mismatches;
            a.samples.push(...r.mismatchSamples.slice(0, 5 - a.samples.length));
            a.problems.push(...r.problems.slice(0, 5 - a.problems.length));
            a.bytes.push(...r.bytes);
            a.ops.push(...r.opsCount);
            running.forEach((c) => a.compilers.add(c));
            a.foreign.push(load.foreignCores);
            r.sockets.forEach((u) => a.sockets.add(new URL(u).pathname));
            log(
              `${dist.label} ${pageName} ${size} round ${round}: ${r.total.length} patches, script median ${stats(r.script).median} ms, +layout median ${stats(r.total).median} ms, p95 ${stats(r.total).p95}, max ${stats(r.total).max}; snapshot ${r2(r.snapshotMs)} ms; mismatches ${r.mismatches}; ${((Date.now() - t) / 1000).toFixed(1)} s; other processes' CPU ${load.foreignCores} cores${running.length ? `; compilers running: ${running.join(' ')}` : ''}`,
            );
            for (const s of r.mismatchSamples) log(`  mismatch: ${s}`);
            for (const p of r.problems.slice(0, 5)) log(`  ${p}`);
          }
        }
        for (const dist of opts.dists) {
          const a = acc.get(dist.label);
          const line = {
            dist: dist.label,
            dir: dist.dir,
            format: dist.format,
            page: pageName,
            size,
            viewport: `${VIEWPORTS[pageName].width}x${VIEWPORTS[pageName].height}`,
            rounds: opts.rounds,
            count: a.total.length,
            script_ms: stats(a.script),
            script_layout_ms: stats(a.total),
            layout_ms: stats(a.layout),
            round_medians_script_layout_ms: a.roundMedians,
            snapshot_ms: a.snapshotMs,
            snapshot_bytes: a.snapshotBytes,
            patch_bytes_median: stats(a.bytes).median,
            patch_ops_median: stats(a.ops).median,
            sockets: [...a.sockets],
            mismatches: a.mismatches,
            mismatch_samples: a.samples,
            page_errors: a.problems,
            compilers_running: [...a.compilers],
            foreign_cpu_cores: a.foreign,
            warmup: opts.warmup,
            gap_ms: opts.gapMs,
            seed: opts.seed,
            at: new Date().toISOString(),
          };
          const text = JSON.stringify(line);
          console.log(text);
          if (opts.out) appendFileSync(opts.out, `${text}\n`);
        }
      }
      for (const dist of opts.dists) {
        servers.get(`${dist.label}/${size}`)?.stop();
        servers.delete(`${dist.label}/${size}`);
      }
    }
  } finally {
    for (const s of servers.values()) s.stop();
    await ctx.close().catch(() => {});
    rmSync(userDataDir, { recursive: true, force: true });
  }
  if (seenCompilers.size) log(`note: cargo/rustc were running during the measurements: ${[...seenCompilers].join(' ')}`);
}

main().catch((e) => {
  console.error(`run.mjs: ${e.stack ?? e}`);
  process.exit(1);
});

// A stand-in for the Rust server, for the redraw benchmark (benches/redraw/run.mjs): serves a built
// frontend folder, stub REST answers, and the live WebSocket with a synthetic, seeded dashboard
// document; patches are sent only when the driver asks for them.
//
//   node benches/redraw/server.mjs --dist DIR [--size workshop|large] [--format old|new]
//        [--port 0] [--seed 2026] [--heartbeat-secs 15]
//
// Prints one JSON line {"listening":"http://127.0.0.1:PORT",…} on stdout when ready.
//
// Control endpoints (for the driver; not part of the product):
//   POST /bench/reset        regenerate the document from the seed (rev back to the start), close sockets
//   POST /bench/patch?n=1    make n patches, each for ONE new report, and send each to every socket
//   GET  /bench/state        {rev, sockets, size, format, key_results, snapshot_bytes}
//
// No npm dependencies: the WebSocket handshake and frames are done by hand (server frames are
// unmasked text frames; client frames are read only to answer a close).

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs as parseFlags } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..');

// ---- arguments ----

function parseArgs(argv) {
  const { values } = parseFlags({
    args: argv,
    options: {
      dist: { type: 'string' },
      size: { type: 'string', default: 'workshop' },
      format: { type: 'string', default: 'old' },
      port: { type: 'string', default: '0' },
      seed: { type: 'string', default: '2026' },
      'heartbeat-secs': { type: 'string', default: '15' },
    },
  });
  const o = {
    dist: values.dist ? resolve(values.dist) : null,
    size: values.size,
    format: values.format,
    port: Number(values.port),
    seed: Number(values.seed),
    heartbeatSecs: Number(values['heartbeat-secs']),
  };
  if (!o.dist) throw new Error('--dist DIR is required (a built frontend folder with index.html)');
  if (!['workshop', 'large'].includes(o.size)) throw new Error('--size is workshop or large');
  if (!['old', 'new'].includes(o.format)) throw new Error('--format is old or new');
  return o;
}

// ---- the synthetic document ----

/** mulberry32: a small seeded generator, [0, 1). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STATUSES = ['achieved', 'on_track', 'at_risk', 'off_track', 'no_data'];
const PILLAR_NAMES = {
  1: 'Catalyzing and enabling stakeholder collaboration',
  2: 'Strategic planning support',
  3: 'Capacity empowerment',
  4: 'Knowledge creation and information support',
};
const FOCUS_LABELS = [
  'SMEs', 'Green productivity', 'Digital transformation', 'Agriculture', 'Tourism', 'Manufacturing', 'Public sector', 'Services',
  'Innovation', 'Food processing', 'Textiles and garments', 'Logistics', 'Electronics and ICT', 'Mining', 'Healthcare', 'Education and skills',
  'Energy efficiency', 'Circular economy', 'Smart agriculture', 'Fisheries', 'Construction', 'Automotive', 'Chemicals', 'Water management',
  'Urban services', 'Retail', 'Financial services', 'Social enterprises', 'Start-ups', 'Quality management', 'Lean management', 'Industry 4.0',
  'Biotechnology', 'E-government', 'Agritech', 'Creative industries', 'Transport', 'Productivity measurement', 'Occupational safety', 'Export promotion',
];
/** Key result templates: title, unit, direction. */
const KR_TEMPLATES = [
  ['SMEs trained', 'companies', 'increase'],
  ['NPO consultants certified', 'persons', 'increase'],
  ['Energy audits completed', 'audits', 'increase'],
  ['Firms adopting digital tools', 'firms', 'increase'],
  ['Productivity specialists trained', 'persons', 'increase'],
  ['GP demonstration projects completed', 'projects', 'increase'],
  ['Average lead time in export processing', 'days', 'decrease'],
  ['Factories applying lean production', 'factories', 'increase'],
  ['Farmers trained in smart agriculture', 'farmers', 'increase'],
  ['Public agencies with productivity plans', 'agencies', 'increase'],
  ['Defect rate in participating plants', '%', 'decrease'],
  ['Case studies published', 'reports', 'increase'],
];

const round = (x, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

function readMembers() {
  return readFileSync(join(REPO, 'data', 'members.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => {
      const m = /^(\w+),(\d+),("[^"]*"|[^,]*),(.*)$/.exec(l);
      return { iso3: m[1], iso_num: m[2], name: m[3].replace(/"/g, ''), short_name: m[4] };
    });
}

/** Progress as METRICS.md §1 / src/analytics/metrics.rs `progress`. */
function progress(increase, baseline, target, actual) {
  if (target === null || actual === null) return null;
  if (baseline !== null && target !== baseline) return (actual - baseline) / (target - baseline);
  if (increase) return actual >= target ? 1 : target > 0 ? actual / target : 0;
  return actual <= target ? 1 : actual > 0 ? target / actual : 0;
}
function statusOf(p) {
  if (p === null) return 'no_data';
  if (p >= 1) return 'achieved';
  if (p >= 0.7) return 'on_track';
  if (p >= 0.4) return 'at_risk';
  return 'off_track';
}
const clamp01 = (x) => Math.min(1, Math.max(0, x));
const zeroCounts = () => Object.fromEntries(STATUSES.map((s) => [s, 0]));
const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
/** Weighted mean score of key results with progress; null when none has any. */
function weightedScore(krs) {
  let num = 0;
  let den = 0;
  for (const k of krs) {
    if (k.progress === null) continue;
    num += k.weight * clamp01(k.progress);
    den += k.weight;
  }
  return den > 0 ? round(num / den) : null;
}

const T0 = Date.parse('2026-06-01T01:00:00Z');
const isoAt = (rev) => new Date(T0 + rev * 7_000).toISOString().replace('.000Z', 'Z');

function fmtValue(v) {
  return Number.isInteger(v) ? String(v) : String(round(v, 1));
}

/**
 * The world: the document plus the indexes needed to recompute what one report touches.
 * Deterministic for (size, format, seed).
 */
export class World {
  constructor({ size, format, seed }) {
    this.size = size;
    this.format = format;
    this.seed = seed;
    this.reset();
  }

  reset() {
    const { size, seed } = this;
    const r = rng(seed);
    this.patchRng = rng(seed ^ 0x5eed);
    const members = readMembers();
    this.memberList = members;
    const nFocus = size === 'large' ? 40 : 8;
    const focusLabels = FOCUS_LABELS.slice(0, nFocus);
    const totalKrs = size === 'large' ? 20_000 : 115;
    const perMember = Math.floor(totalKrs / members.length);
    const extra = totalKrs - perMember * members.length;
    const focusPerMember = size === 'large' ? 12 : 3;
    // 8 endorsed, 7 submitted, 6 draft, in a seeded order.
    const primerStatuses = [...Array(8).fill('endorsed'), ...Array(7).fill('submitted'), ...Array(6).fill('draft')];
    for (let i = primerStatuses.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [primerStatuses[i], primerStatuses[j]] = [primerStatuses[j], primerStatuses[i]];
    }

    this.rev = 1000;
    const krs = []; // {key, doc, iso3, pillar, focus, increase, baseline, target, weight, tpl}
    this.byMember = new Map();
    members.forEach((m, mi) => {
      const chosen = [];
      const pool = [...focusLabels];
      for (let i = 0; i < focusPerMember; i++) chosen.push(pool.splice(Math.floor(r() * pool.length), 1)[0]);
      const n = perMember + (mi < extra ? 1 : 0);
      const list = [];
      for (let k = 1; k <= n; k++) {
        const tpl = KR_TEMPLATES[Math.floor(r() * KR_TEMPLATES.length)];
        const increase = tpl[2] === 'increase';
        const baselineRaw = tpl[1] === '%' ? 5 + 20 * r() : tpl[1] === 'days' ? 10 + 30 * r() : Math.round(20 + 480 * r());
        const baseline = r() < 0.9 ? round(baselineRaw, 1) : null;
        const b = baseline ?? baselineRaw;
        const target = round(increase ? b * (1.15 + 0.5 * r()) : b * (0.6 + 0.25 * r()), 1);
        const weight = r() < 0.15 ? 2 : r() < 0.05 ? 0.5 : 1;
        const code = `${m.iso3}-KR${k}`;
        const key = `${m.iso3}/${code}`;
        const kr = {
          key,
          iso3: m.iso3,
          name: m.name,
          pillar: 1 + Math.floor(r() * 4),
          focus: chosen[Math.floor(r() * chosen.length)],
          increase,
          baseline,
          target,
          weight,
          tpl,
        };
        // About 60% reported at the start (the 6 draft primers report less).
        const reportedShare = primerStatuses[mi] === 'draft' ? 0.3 : 0.65;
        const actual = r() < reportedShare ? this.valueFor(kr, r) : null;
        kr.doc = {
          iso3: m.iso3,
          code,
          pillar: kr.pillar,
          focus_area: kr.focus,
          title: tpl[0],
          unit: tpl[1],
          direction: tpl[2],
          weight,
          baseline,
          target,
          actual,
          reported_at: actual === null ? null : isoAt(Math.floor(r() * 900)),
          progress: null,
          status: 'no_data',
        };
        this.setProgress(kr);
        krs.push(kr);
        list.push(kr);
      }
      this.byMember.set(m.iso3, list);
    });
    this.krs = krs;
    this.byKey = new Map(krs.map((k) => [k.key, k]));
    this.byFocus = new Map(focusLabels.map((f) => [f, krs.filter((k) => k.focus === f)]));

    const doc = {
      rev: this.rev,
      period: 2026,
      generated_at: isoAt(this.rev),
      overall: { score: null, members_scored: 0 },
      pillars: {},
      members: {},
      focus_areas: {},
      key_results: Object.fromEntries(krs.map((k) => [k.key, k.doc])),
      completeness: { reported: 0, expected: 0, ratio: null },
      primers: { none: 0, draft: 6, submitted: 7, endorsed: 8 },
      recent: [],
    };
    this.doc = doc;
    members.forEach((m, mi) => {
      doc.members[m.iso3] = {
        name: m.name,
        primer_status: primerStatuses[mi],
        score: null,
        completeness: null,
        reported: 0,
        expected: 0,
        krs: 0,
        pillars: {},
        status_counts: zeroCounts(),
      };
    });
    for (const p of ['1', '2', '3', '4']) {
      const planned = Math.round(800_000 + 600_000 * r());
      doc.pillars[p] = {
        name: PILLAR_NAMES[p],
        score: null,
        members_scored: 0,
        krs: 0,
        krs_with_data: 0,
        status_counts: zeroCounts(),
        budget: { planned, spent: Math.round(planned * (0.2 + 0.6 * r())) },
      };
    }
    for (const m of members) this.recomputeMember(m.iso3);
    for (const p of ['1', '2', '3', '4']) this.recomputePillar(p);
    for (const f of focusLabels) this.recomputeFocus(f);
    this.recomputeTotals();
    // The latest changes: ten earlier reports, newest first.
    const reported = krs.filter((k) => k.doc.actual !== null);
    for (let i = 0; i < 10 && reported.length; i++) {
      const k = reported[Math.floor(r() * reported.length)];
      doc.recent.push(this.recentFor(k, this.rev - i, isoAt(this.rev - i)));
    }
  }

  valueFor(kr, r) {
    // Around the target: from well behind to a little past it.
    const b = kr.baseline ?? (kr.increase ? kr.target / 1.3 : kr.target / 0.75);
    // Share of the way from baseline to target: 0.15–1.2, so about a quarter of the reported
    // key results are off track (< 40 %), a quarter at risk, a quarter on track, the rest achieved.
    const f = 0.15 + 1.05 * r();
    const v = b + f * (kr.target - b);
    return kr.tpl[1] === '%' || kr.tpl[1] === 'days' ? round(Math.max(0, v), 1) : Math.max(0, Math.round(v));
  }

  setProgress(kr) {
    const d = kr.doc;
    const p = progress(kr.increase, kr.baseline, kr.target, d.actual);
    d.progress = p === null ? null : round(p);
    d.status = statusOf(d.progress);
  }

  recomputeMember(iso3) {
    const m = this.doc.members[iso3];
    const list = this.byMember.get(iso3);
    const counts = zeroCounts();
    let reported = 0;
    for (const k of list) {
      counts[k.doc.status]++;
      if (k.doc.actual !== null) reported++;
    }
    m.status_counts = counts;
    m.krs = list.length;
    m.expected = list.filter((k) => k.target !== null).length;
    m.reported = reported;
    m.completeness = m.expected ? round(reported / m.expected) : null;
    const cells = {};
    for (const p of ['1', '2', '3', '4']) {
      const in_p = list.filter((k) => String(k.pillar) === p);
      // As the real document: all four pillars, each with its key-result count.
      if (!in_p.length) {
        cells[p] = { score: null, coverage: null, krs: 0 };
        continue;
      }
      const withData = in_p.filter((k) => k.doc.progress !== null).length;
      cells[p] = { score: weightedScore(in_p.map((k) => ({ weight: k.weight, progress: k.doc.progress }))), coverage: round(withData / in_p.length), krs: in_p.length };
    }
    m.pillars = cells;
    const s = mean(Object.values(cells).map((c) => c.score).filter((x) => x !== null));
    m.score = s === null ? null : round(s);
  }

  recomputePillar(p) {
    const d = this.doc.pillars[p];
    const counts = zeroCounts();
    let n = 0;
    for (const k of this.krs) {
      if (String(k.pillar) !== p) continue;
      counts[k.doc.status]++;
      n++;
    }
    d.status_counts = counts;
    d.krs = n;
    d.krs_with_data = n - counts.no_data;
    const cellScores = Object.values(this.doc.members)
      .map((m) => m.pillars[p]?.score)
      .filter((x) => x !== null && x !== undefined);
    d.score = cellScores.length ? round(mean(cellScores)) : null;
    d.members_scored = cellScores.length;
  }

  recomputeFocus(f) {
    const list = this.byFocus.get(f);
    const byMember = new Map();
    for (const k of list) byMember.set(k.iso3, [...(byMember.get(k.iso3) ?? []), { weight: k.weight, progress: k.doc.progress }]);
    const scores = [...byMember.values()].map(weightedScore).filter((x) => x !== null);
    this.doc.focus_areas[f] = { score: scores.length ? round(mean(scores)) : null, members: scores.length, chosen_by: byMember.size, krs: list.length };
  }

  recomputeTotals() {
    const doc = this.doc;
    const ms = Object.values(doc.members).map((m) => m.score).filter((x) => x !== null);
    doc.overall = { score: ms.length ? round(mean(ms)) : null, members_scored: ms.length };
    let reported = 0;
    let expected = 0;
    for (const m of Object.values(doc.members)) {
      reported += m.reported;
      expected += m.expected;
    }
    doc.completeness = { reported, expected, ratio: expected ? round(reported / expected) : null };
  }

  recentFor(kr, rev, at) {
    const d = kr.doc;
    const year = 2026;
    const base = { rev, at, actor: `NPO ${kr.iso3} delegate`, action: 'report', entity: 'actual', key: `${kr.key}/${year}` };
    if (this.format === 'old') return { ...base, summary: `${d.code} ${year}: ${fmtValue(d.actual)}` };
    const share = d.progress === null ? '' : `, ${Math.round(100 * d.progress)} % of target`;
    return { ...base, iso3: kr.iso3, member: kr.name, summary: `${kr.name} · ${d.title}: ${fmtValue(d.actual)} ${d.unit} in ${year}${share}` };
  }

  /** One new report on a seeded key result: the patch frame (as text) and what the driver can check. */
  nextPatch() {
    const kr = this.krs[Math.floor(this.patchRng() * this.krs.length)];
    const base = this.rev;
    const rev = base + 1;
    const at = isoAt(rev);
    const doc = this.doc;
    const iso3 = kr.iso3;
    const p = String(kr.pillar);
    const f = kr.focus;
    const clone = (x) => JSON.parse(JSON.stringify(x));
    const before = {
      kr: clone(kr.doc),
      member: clone(doc.members[iso3]),
      pillar: clone(doc.pillars[p]),
      focus: clone(doc.focus_areas[f]),
      overall: clone(doc.overall),
      completeness: clone(doc.completeness),
    };

    // A value different from the one held.
    let value = this.valueFor(kr, this.patchRng);
    if (value === kr.doc.actual) value = typeof value === 'number' ? value + 1 : value;
    kr.doc.actual = value;
    kr.doc.reported_at = at;
    this.setProgress(kr);
    this.recomputeMember(iso3);
    this.recomputePillar(p);
    this.recomputeFocus(f);
    this.recomputeTotals();
    this.rev = rev;
    doc.rev = rev;
    doc.generated_at = at;

    const ops = [];
    const set = (path, oldV, newV) => {
      if (oldV !== newV) ops.push({ op: 'set', path, value: newV });
    };
    for (const field of ['actual', 'reported_at', 'progress', 'status']) set(['key_results', kr.key, field], before.kr[field], kr.doc[field]);
    const m = doc.members[iso3];
    for (const field of ['score', 'completeness', 'reported']) set(['members', iso3, field], before.member[field], m[field]);
    for (const field of ['score', 'coverage']) set(['members', iso3, 'pillars', p, field], before.member.pillars[p]?.[field], m.pillars[p][field]);
    for (const s of STATUSES) set(['members', iso3, 'status_counts', s], before.member.status_counts[s], m.status_counts[s]);
    const pd = doc.pillars[p];
    for (const field of ['score', 'members_scored', 'krs_with_data']) set(['pillars', p, field], before.pillar[field], pd[field]);
    for (const s of STATUSES) set(['pillars', p, 'status_counts', s], before.pillar.status_counts[s], pd.status_counts[s]);
    for (const field of ['score', 'members']) set(['focus_areas', f, field], before.focus[field], doc.focus_areas[f][field]);
    for (const field of ['score', 'members_scored']) set(['overall', field], before.overall[field], doc.overall[field]);
    for (const field of ['reported', 'expected', 'ratio']) set(['completeness', field], before.completeness[field], doc.completeness[field]);
    ops.push({ op: 'set', path: ['rev'], value: rev });
    ops.push({ op: 'set', path: ['generated_at'], value: at });

    const recent = this.recentFor(kr, rev, at);
    doc.recent = [recent, ...doc.recent].slice(0, 10);
    let text;
    if (this.format === 'old') {
      ops.push({ op: 'set', path: ['recent'], value: doc.recent });
      // serde's field order for the old frame: alphabetical.
      text = JSON.stringify({ base, events: [recent], ops, rev, type: 'patch' });
    } else {
      ops.push({ op: 'insert', path: ['recent', 0], value: recent });
      ops.push({ op: 'trim', path: ['recent'], len: 10 });
      text = JSON.stringify({ type: 'patch', rev, base, ops, events: [{ rev, entity: 'actual', key: recent.key }] });
    }
    return {
      text,
      info: {
        rev,
        base,
        key: kr.key,
        iso3,
        pillar: kr.pillar,
        focus: f,
        actual: value,
        status: kr.doc.status,
        member_score: m.score,
        member_reported: m.reported,
        overall_score: doc.overall.score,
        summary: recent.summary,
        ops: ops.length,
        bytes: Buffer.byteLength(text),
      },
    };
  }

  snapshotText() {
    return JSON.stringify({ type: 'snapshot', rev: this.rev, data: this.doc });
  }
}

// ---- WebSocket framing ----

function wsFrame(text, opcode = 0x1) {
  const data = Buffer.from(text);
  const len = data.length;
  let head;
  if (len < 126) head = Buffer.from([0x80 | opcode, len]);
  else if (len < 65536) head = Buffer.from([0x80 | opcode, 126, len >> 8, len & 255]);
  else {
    head = Buffer.alloc(10);
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, data]);
}

/** Reads client frames (masked) just enough to answer a close and to notice what was sent. */
function onClientData(state, chunk, socket) {
  state.buf = Buffer.concat([state.buf, chunk]);
  for (;;) {
    const b = state.buf;
    if (b.length < 2) return;
    const opcode = b[0] & 0x0f;
    let len = b[1] & 0x7f;
    let off = 2;
    if (len === 126) {
      if (b.length < 4) return;
      len = b.readUInt16BE(2);
      off = 4;
    } else if (len === 127) {
      if (b.length < 10) return;
      len = Number(b.readBigUInt64BE(2));
      off = 10;
    }
    const masked = (b[1] & 0x80) !== 0;
    const maskOff = off;
    if (masked) off += 4;
    if (b.length < off + len) return;
    const payload = Buffer.from(b.subarray(off, off + len));
    if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= b[maskOff + (i % 4)];
    state.buf = b.subarray(off + len);
    if (opcode === 0x8) {
      try {
        socket.end(wsFrame(payload.subarray(0, 2).toString('latin1'), 0x8));
      } catch {
        socket.destroy();
      }
      return;
    }
    if (opcode === 0x9) socket.write(wsFrame(payload.toString('latin1'), 0xa));
    if (opcode === 0x1) state.received.push(payload.toString('utf8'));
  }
}

// ---- HTTP ----

const TYPES = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};
/** As src/http/site.rs: these addresses (and /members/{iso3}) answer index.html. */
const PAGES = ['/', '/wall', '/delegate', '/secretariat', '/productivity'];

function productivityReport(members) {
  const r = rng(77);
  const rows = members.map((m) => [m.iso3, 4000 + Math.round(120_000 * r() ** 2)]);
  const ranked = [...rows].sort((a, b) => b[1] - a[1]).map((x) => x[0]);
  return {
    year: 2019,
    base_year: 2011,
    apo21: { lp_worker: 31_000, members: 21, lp_hour: 16.2, members_lp_hour: 17 },
    source: 'Penn World Table 9.1 (synthetic figures for the redraw benchmark)',
    members: Object.fromEntries(
      members.map((m, i) => {
        const lp = rows[i][1];
        return [
          m.iso3,
          {
            name: m.name,
            lp_worker: lp,
            lp_hour: round(lp / 2000, 1),
            lp_growth: round(-1 + 6 * r(), 2),
            lp_index: round(90 + 40 * r(), 1),
            tfp_growth: round(-1 + 3 * r(), 2),
            rank_lp_worker: ranked.indexOf(m.iso3) + 1,
            cpi: { value: round(20 + 60 * r(), 1), partial: false, available: 4, components: { level: 0.5, growth: 0.5, human_capital: 0.5, tfp: 0.5 } },
          },
        ];
      }),
    ),
  };
}

export function startServer(opts) {
  const world = new World(opts);
  const dist = resolve(opts.dist);
  const sockets = new Set();
  const members = world.memberList.map((m, i) => ({ ...m, primer_status: world.doc.members[m.iso3].primer_status, i }));
  const membersJson = JSON.stringify(members.map(({ i, ...m }) => m));
  const productivityJson = JSON.stringify(productivityReport(world.memberList));
  let snapshotBytes = 0;

  const broadcast = (text) => {
    const f = wsFrame(text);
    for (const s of sockets) s.write(f);
  };
  const heartbeat = opts.heartbeatSecs > 0 ? setInterval(() => broadcast(JSON.stringify({ type: 'heartbeat', rev: world.rev, viewers: sockets.size })), opts.heartbeatSecs * 1000) : null;

  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const path = url.pathname;
    const json = (status, body) => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(text);
    };
    // -- control --
    if (path === '/bench/reset' && req.method === 'POST') {
      world.reset();
      for (const s of sockets) s.destroy();
      sockets.clear();
      return json(200, { rev: world.rev, key_results: world.krs.length });
    }
    if (path === '/bench/patch' && req.method === 'POST') {
      const n = Math.max(1, Math.min(1000, Number(url.searchParams.get('n') ?? 1) || 1));
      const out = [];
      for (let i = 0; i < n; i++) {
        const { text, info } = world.nextPatch();
        broadcast(text);
        out.push(info);
      }
      return json(200, { sockets: sockets.size, patches: out });
    }
    if (path === '/bench/state') {
      const d = world.doc;
      return json(200, {
        rev: world.rev,
        sockets: sockets.size,
        size: world.size,
        format: world.format,
        key_results: world.krs.length,
        snapshot_bytes: snapshotBytes,
        overall: d.overall,
        completeness: d.completeness,
        members: Object.fromEntries(Object.entries(d.members).map(([k, m]) => [k, { score: m.score, reported: m.reported }])),
        recent0: d.recent[0]?.summary ?? null,
      });
    }
    // -- REST stubs --
    if (path === '/readyz' || path === '/healthz') return json(200, { status: 'ok' });
    // Who the browser is, as the real server answers it: a public-read room with no workshop
    // open (the wall then shows the QR code of its delegate page).
    if (path === '/api/v1/session') {
      const base = `http://${req.headers.host}`;
      return json(200, { signed_in: false, role: null, member: null, label: null, kind: null, public_read: true, public_url: base, workshop: null, join_url: null });
    }
    if (path === '/api/v1/members') return json(200, membersJson);
    if (path === '/api/v1/pillars') return json(200, Object.entries(PILLAR_NAMES).map(([id, name]) => ({ id: Number(id), name })));
    if (path === '/api/v1/dashboard') return json(200, world.doc);
    if (path === '/api/v1/productivity') return json(200, productivityJson);
    if (path === '/api/v1/actuals' && req.method === 'GET') return json(200, []);
    if (path.startsWith('/api/')) return json(404, { error: { code: 'not_found', message: `the redraw bench server has no ${path}`, details: [] } });
    // -- the built frontend --
    let file;
    let page = false;
    if (PAGES.includes(path) || /^\/members\/[^/]+$/.test(path)) {
      file = join(dist, 'index.html');
      page = true;
    } else {
      let rel;
      try {
        rel = normalize(decodeURIComponent(path)).replace(/^[/\\]+/, '');
      } catch {
        rel = '';
      }
      file = join(dist, rel);
      if (!(file + sep).startsWith(dist + sep) && file !== dist) file = '';
    }
    try {
      if (!file || !statSync(file).isFile()) throw new Error('not a file');
      const body = readFileSync(file);
      const headers = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' };
      if (page) headers['cache-control'] = 'no-cache';
      else if (path.startsWith('/assets/')) headers['cache-control'] = 'public, max-age=31536000, immutable';
      res.writeHead(200, headers);
      res.end(body);
    } catch {
      if (page) {
        res.writeHead(503, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><title>not built</title><h1>The browser dashboard is not built</h1>');
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
      }
    }
  });

  server.on('upgrade', (req, socket) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname !== '/api/v1/live') {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    const key = req.headers['sec-websocket-key'];
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.setNoDelay(true);
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    sockets.add(socket);
    const state = { buf: Buffer.alloc(0), received: [] };
    socket.on('data', (c) => onClientData(state, c, socket));
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => sockets.delete(socket));
    // As the real server: the snapshot (a resume is always answered with one here), then a heartbeat.
    const snap = world.snapshotText();
    snapshotBytes = Buffer.byteLength(snap);
    socket.write(wsFrame(snap));
    socket.write(wsFrame(JSON.stringify({ type: 'heartbeat', rev: world.rev, viewers: sockets.size })));
  });

  return new Promise((res) => {
    server.listen(opts.port, '127.0.0.1', () => {
      const { port } = server.address();
      res({
        server,
        world,
        port,
        close: () => {
          if (heartbeat) clearInterval(heartbeat);
          for (const s of sockets) s.destroy();
          server.close();
        },
      });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`server.mjs: ${e.message}`);
    process.exit(2);
  }
  const s = await startServer(opts);
  console.log(JSON.stringify({ listening: `http://127.0.0.1:${s.port}`, size: opts.size, format: opts.format, dist: opts.dist, key_results: s.world.krs.length }));
  const stop = () => {
    s.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

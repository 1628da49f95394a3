// A stand-in for the Rust server, for layout work when no binary is at hand:
// `node e2e/mock-server.mjs [port]` serves dist/ like `--static-dir` does, a synthetic dashboard
// document over REST and the live WebSocket (snapshot, a patch every 3 s, heartbeats).
// The e2e tests never use it: they run against the real server.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join } from 'node:path';
import { DIST, FRONTEND } from './harness.mjs';

const port = Number(process.argv[2] ?? 18399);
const members = readFileSync(join(FRONTEND, '..', 'data', 'members.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => {
    const m = /^(\w+),(\d+),("[^"]*"|[^,]*),(.*)$/.exec(l);
    return { iso3: m[1], iso_num: m[2], name: m[3].replace(/"/g, ''), short_name: m[4], primer_status: 'draft' };
  });

let rev = 100;
const seeded = (i) => ((Math.sin(i * 9301 + 49297) + 1) / 2) % 1;
const statuses = ['none', 'draft', 'submitted', 'endorsed'];
const doc = {
  rev,
  period: 2026,
  generated_at: new Date().toISOString(),
  overall: { score: 0.58, members_scored: 18 },
  pillars: Object.fromEntries(
    ['Catalyzing and enabling stakeholder collaboration', 'Strategic planning support', 'Capacity empowerment', 'Knowledge creation and information support'].map((name, i) => [
      String(i + 1),
      { name, score: 0.4 + 0.1 * i, members_scored: 15 + i, krs: 30 + i, krs_with_data: 20, status_counts: { achieved: 5, on_track: 8, at_risk: 4, off_track: 3, no_data: 10 }, budget: { planned: 1_000_000, spent: 400_000 + 100_000 * i } },
    ]),
  ),
  members: Object.fromEntries(
    members.map((m, j) => [
      m.iso3,
      {
        name: m.name,
        primer_status: statuses[j % 4],
        score: j % 7 === 0 ? null : seeded(j),
        completeness: 0.5,
        reported: 2,
        expected: 4,
        krs: 4,
        pillars: Object.fromEntries(['1', '2', '3', '4'].map((p) => [p, { score: (j + Number(p)) % 5 === 0 ? null : seeded(j * 4 + Number(p)), coverage: 0.5, krs: 1 }])),
        status_counts: { achieved: 1, on_track: 1, at_risk: 0, off_track: 0, no_data: 2 },
      },
    ]),
  ),
  focus_areas: Object.fromEntries(['Digital transformation', 'Green productivity', 'SME development', 'Agriculture and food', 'Public sector productivity', 'Innovation ecosystems'].map((f, i) => [f, { score: seeded(i), members: 5, chosen_by: 12 - i, krs: 20 - i }])),
  key_results: Object.fromEntries(
    members.flatMap((m) =>
      [1, 2].map((k) => [
        `${m.iso3}/${m.iso3}-KR${k}`,
        { iso3: m.iso3, code: `${m.iso3}-KR${k}`, pillar: k, focus_area: 'Digital transformation', title: `Number of NPO consultants certified in digital tools (${k})`, unit: 'persons', direction: 'increase', weight: 1, baseline: 10, target: 50, actual: k === 1 ? 30 : null, reported_at: null, progress: k === 1 ? 0.5 : null, status: k === 1 ? 'at_risk' : 'no_data' },
      ]),
    ),
  ),
  completeness: { reported: 21, expected: 42, ratio: 0.5 },
  primers: { none: 5, draft: 6, submitted: 5, endorsed: 5 },
  recent: [],
};

const sockets = new Set();
function frame(text) {
  const data = Buffer.from(text);
  const len = data.length;
  const head = len < 126 ? Buffer.from([0x81, len]) : len < 65536 ? Buffer.from([0x81, 126, len >> 8, len & 255]) : Buffer.concat([Buffer.from([0x81, 127, 0, 0, 0, 0]), Buffer.from([(len >>> 24) & 255, (len >>> 16) & 255, (len >>> 8) & 255, len & 255])]);
  return Buffer.concat([head, data]);
}
function broadcast(obj) {
  for (const s of sockets) s.write(frame(JSON.stringify(obj)));
}

setInterval(() => {
  const base = rev++;
  const iso3 = members[rev % members.length].iso3;
  const value = Math.round(seeded(rev) * 1000) / 10;
  const name = doc.members[iso3].name;
  // As the server writes it (src/analytics/ticker.rs); `recent` changes by insert and trim.
  const line = { rev, at: new Date().toISOString(), actor: `delegate ${iso3}`, action: 'report', entity: 'actual', key: `${iso3}/${iso3}-KR1/2026`, iso3, member: name, summary: `${name} · Number of NPO consultants certified in digital tools (1): ${value} persons in 2026`, status: null };
  const trim = doc.recent.length >= 10;
  doc.recent = [line, ...doc.recent].slice(0, 10);
  doc.members[iso3].pillars['1'].score = seeded(rev);
  doc.rev = rev;
  const ops = [
    { op: 'set', path: ['members', iso3, 'pillars', '1', 'score'], value: doc.members[iso3].pillars['1'].score },
    { op: 'set', path: ['rev'], value: rev },
    { op: 'insert', path: ['recent', 0], value: line },
  ];
  if (trim) ops.push({ op: 'trim', path: ['recent'], len: 10 });
  broadcast({ type: 'patch', rev, base, ops, events: [{ rev, entity: 'actual', key: line.key }] });
}, 3000);
setInterval(() => broadcast({ type: 'heartbeat', rev, viewers: sockets.size }), 2000);

const types = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html', '.svg': 'image/svg+xml', '.json': 'application/json' };
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (url.pathname === '/api/v1/session') {
    // A Secretariat signed in, with a workshop open (the wall shows its join code).
    const origin = `http://${req.headers.host}`;
    const workshop = { id: 'mock', title: 'Mock workshop', join_code: 'JNR769', opened_at: new Date().toISOString(), opened_by: 'mock', expires_at: new Date(Date.now() + 8 * 3600e3).toISOString(), closed_at: null, open: true };
    return send(200, { signed_in: true, role: 'secretariat', member: null, label: 'mock', kind: 'token', public_read: false, public_url: origin, workshop, join_url: `${origin}/join/JNR769` });
  }
  if (url.pathname === '/api/v1/workshops' && req.method === 'GET') return send(200, []);
  if (url.pathname === '/api/v1/tokens' && req.method === 'GET') return send(200, []);
  if (url.pathname === '/api/v1/members') return send(200, members);
  if (url.pathname === '/api/v1/dashboard') return send(200, doc);
  if (url.pathname === '/api/v1/actuals' && req.method === 'GET') return send(200, []);
  if (url.pathname.startsWith('/api/v1/primers/')) return send(404, { error: { code: 'not_found', message: 'no primer', details: [] } });
  if (url.pathname === '/api/v1/productivity') {
    return send(200, {
      year: 2017,
      base_year: 2011,
      apo21: { lp_worker: 30000, members: 21, lp_hour: 15, members_lp_hour: 16 },
      source: 'PWT 9.1',
      members: Object.fromEntries(members.map((m, i) => [m.iso3, { name: m.name, lp_worker: 5000 + 5000 * i, lp_hour: 3 + i, lp_growth: 2, lp_index: 110, tfp_growth: 1, rank_lp_worker: 21 - i, cpi: { value: 20 + 3 * i, partial: false, available: 4, components: { level: 0.5, growth: 0.5, human_capital: 0.5, tfp: 0.5 } } }])),
    });
  }
  if (url.pathname === '/api/v1/productivity/series') return send(200, { iso3: url.searchParams.get('iso3'), measure: 'lp_worker', points: Array.from({ length: 28 }, (_, i) => ({ year: 1990 + i, value: 10000 + i * 800 })), source: 'PWT' });
  if (url.pathname.startsWith('/api/')) return send(404, { error: { code: 'not_found', message: 'mock', details: [] } });
  let file = join(DIST, url.pathname);
  if (['/', '/wall', '/delegate', '/secretariat', '/productivity', '/signin', '/cards'].includes(url.pathname) || url.pathname.startsWith('/members/')) file = join(DIST, 'index.html');
  try {
    const body = readFileSync(file);
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end('not found');
  }
});
server.on('upgrade', (req, socket) => {
  const key = req.headers['sec-websocket-key'];
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => sockets.delete(socket));
  socket.write(frame(JSON.stringify({ type: 'snapshot', rev, data: doc })));
  // As the real server does: the viewer count at once.
  socket.write(frame(JSON.stringify({ type: 'heartbeat', rev, viewers: sockets.size })));
});
server.listen(port, '127.0.0.1', () => console.log(`mock server on http://127.0.0.1:${port}/wall`));

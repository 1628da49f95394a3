// The e2e harness: finds the server binary and Chromium, makes databases, starts and stops the
// server, and runs named tests. No test framework: node, playwright-core and Debian's Chromium.

import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FRONTEND = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = join(FRONTEND, 'dist');
export const OUT = join(FRONTEND, 'test-output');

export class Fatal extends Error {}

/** The server binary from APO_BIN, Chromium, and the built frontend; fails clearly without them. */
export function prerequisites() {
  const bin = process.env.APO_BIN;
  if (!bin) throw new Fatal('APO_BIN is not set: point it at the apo-dashboard binary, e.g. APO_BIN=target/release/apo-dashboard');
  if (!existsSync(bin)) throw new Fatal(`APO_BIN=${bin} does not exist: build it with cargo build --release`);
  const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(chromium)) throw new Fatal(`Chromium is missing at ${chromium}: install it with apt-get install chromium (or set CHROMIUM)`);
  if (!existsSync(join(DIST, 'index.html'))) throw new Fatal(`${DIST}/index.html is missing: run npm --prefix frontend run build first`);
  mkdirSync(OUT, { recursive: true });
  return { bin: resolve(bin), chromium };
}

export async function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

// ---- databases ----

export function sqliteDb() {
  const dir = mkdtempSync(join(tmpdir(), 'apo-e2e-'));
  return { name: 'sqlite', url: `sqlite://${join(dir, 'e2e.db')}`, drop: () => rmSync(dir, { recursive: true, force: true }) };
}

function psql(url, sql) {
  return spawnSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', sql], { encoding: 'utf8', timeout: 20_000 });
}

/** A fresh PostgreSQL database next to APO_TEST_POSTGRES_URL's (dropped afterwards). */
export function postgresDb() {
  const base = process.env.APO_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const probe = psql(base, 'SELECT 1');
  if (probe.error || probe.status !== 0) {
    const why = probe.error ? probe.error.message : (probe.stderr || '').trim();
    throw new Fatal(
      `PostgreSQL is unreachable at ${base} (${why}). Start PostgreSQL on 127.0.0.1:5432 with user postgres and no password, or set APO_TEST_POSTGRES_URL=postgres://…/postgres`,
    );
  }
  const name = `apo_e2e_${process.pid}_${Date.now()}`;
  const made = psql(base, `CREATE DATABASE ${name}`);
  if (made.status !== 0) throw new Fatal(`could not create database ${name}: ${made.stderr}`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    name: 'postgres',
    url: u.toString(),
    drop: () => {
      const r = psql(base, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      if (r.status !== 0) console.error(`could not drop database ${name}: ${r.stderr}`);
    },
  };
}

// ---- the server ----

export class Server {
  constructor(bin, db, port, label) {
    this.bin = bin;
    this.db = db;
    this.port = port;
    this.label = label;
    this.base = `http://127.0.0.1:${port}`;
    this.proc = null;
    this.log = createWriteStream(join(OUT, `server-${label}.log`), { flags: 'a' });
  }

  async start() {
    const args = ['serve', '--demo', '--addr', `127.0.0.1:${this.port}`, '--database-url', this.db.url, '--static-dir', DIST, '--heartbeat-secs', '2'];
    this.log.write(`\n--- start ${new Date().toISOString()} ${args.join(' ')}\n`);
    const proc = spawn(this.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stdout.pipe(this.log, { end: false });
    proc.stderr.pipe(this.log, { end: false });
    this.exited = new Promise((res) => proc.on('exit', (code, signal) => res({ code, signal })));
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`the server exited with ${proc.exitCode}; see test-output/server-${this.label}.log`);
      try {
        const r = await fetch(`${this.base}/readyz`);
        if (r.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(150);
    }
    throw new Error(`the server did not become ready within 90 s; see test-output/server-${this.label}.log`);
  }

  /** SIGTERM, and wait for the process to end. */
  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc?.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(t);
  }

  async json(path, init) {
    const r = await fetch(`${this.base}/api/v1${path}`, init);
    const body = await r.text();
    if (!r.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: ${r.status} ${body}`);
    return JSON.parse(body);
  }

  post(path, body, actor = 'e2e test') {
    return this.json(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-actor': actor }, body: JSON.stringify(body) });
  }
}

// ---- tests ----

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

export class Runner {
  constructor() {
    this.results = [];
  }

  async test(name, fn) {
    const t0 = Date.now();
    try {
      await fn();
      this.results.push({ name, ok: true });
      console.log(`ok   ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
      this.results.push({ name, ok: false, error: e });
      console.log(`FAIL ${name} (${Date.now() - t0} ms)\n     ${String(e?.stack ?? e).split('\n').slice(0, 6).join('\n     ')}`);
    }
  }

  summary() {
    const failed = this.results.filter((r) => !r.ok);
    if (failed.length) {
      console.log('\nFailed:');
      for (const f of failed) console.log(`  - ${f.name}: ${String(f.error?.message ?? f.error).split('\n')[0]}`);
    }
    console.log(`\n${this.results.length - failed.length} passed, ${failed.length} failed`);
    return failed.length;
  }
}

export function newUserDataDir() {
  return mkdtempSync(join(tmpdir(), 'apo-e2e-chromium-'));
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

// The e2e harness: finds the server binary and Chromium, makes databases, starts and stops the
// server, and runs named tests. No test framework: node, playwright-core and Debian's Chromium.

import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
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

/**
 * A TCP proxy in front of the database at `url`, which a test cuts (every open connection
 * dropped, new ones refused: the database out of reach, as the server sees it) and restores.
 * `url` is the database's URL through the proxy.
 */
export async function dbProxy(url) {
  const u = new URL(url);
  const target = { host: u.hostname, port: Number(u.port || 5432) };
  const open = new Set();
  let cut = false;
  const proxy = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = connect(target);
    const pair = [client, upstream];
    pair.forEach((s) => open.add(s));
    const drop = () => pair.forEach((s) => (s.destroy(), open.delete(s)));
    for (const s of pair) {
      s.on('error', drop);
      s.on('close', drop);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise((res) => proxy.listen(0, '127.0.0.1', res));
  u.hostname = '127.0.0.1';
  u.port = String(proxy.address().port);
  return {
    url: u.toString(),
    cut() {
      cut = true;
      for (const s of open) s.destroy();
      open.clear();
    },
    restore() {
      cut = false;
    },
    close() {
      this.cut();
      proxy.close();
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
    /** The Secretariat token every API call of the harness carries (made before the first start). */
    this.token = null;
    this.log = createWriteStream(join(OUT, `server-${label}.log`), { flags: 'a' });
  }

  /**
   * A Secretariat token made with the same binary (`token create`, which creates the schema
   * when the database is new); the token is the last word of its output.
   */
  createToken() {
    // spawnSync holds this process's event loop, so not through a proxy that runs in it.
    const args = ['token', 'create', '--role', 'secretariat', '--label', 'e2e', '--database-url', this.db.directUrl ?? this.db.url];
    const r = spawnSync(this.bin, args, { encoding: 'utf8', timeout: 60_000 });
    this.log.write(`\n--- ${args.join(' ')}: exit ${r.status}\n${r.stderr ?? ''}\n`);
    if (r.status !== 0) throw new Error(`token create failed (${r.status}): ${(r.stderr || r.stdout || String(r.error)).trim()}`);
    const token = (r.stdout ?? '').trim().split(/\s+/).pop();
    if (!token?.startsWith('apo_')) throw new Error(`token create printed no token: ${r.stdout}`);
    this.token = token;
    return token;
  }

  async start() {
    if (!this.token) this.createToken();
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

  /** An API call with the Secretariat's token; a status other than 2xx throws, naming it. */
  async json(path, init = {}) {
    const r = await this.fetch(path, init);
    const body = await r.text();
    if (!r.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${r.status} ${body}`);
    return body ? JSON.parse(body) : null;
  }

  /** The raw response of an API call with the Secretariat's token. */
  fetch(path, init = {}) {
    const headers = { authorization: `Bearer ${this.token}`, ...(init.headers ?? {}) };
    if (init.body !== undefined) headers['content-type'] ??= 'application/json';
    return fetch(`${this.base}/api/v1${path}`, { ...init, headers });
  }

  post(path, body) {
    return this.json(path, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) });
  }

  put(path, body) {
    return this.json(path, { method: 'PUT', body: JSON.stringify(body) });
  }

  /**
   * Signs a browser context in with the Secretariat's token: the session cookie the answer
   * sets is the context's, shared by its pages. (The Origin is the site's own, as a browser's.)
   */
  async signIn(context, token = this.token) {
    const r = await context.request.post(`${this.base}/api/v1/session`, { data: { token }, headers: { origin: this.base } });
    if (!r.ok()) throw new Error(`signing the browser in: ${r.status()} ${await r.text()}`);
    return r.json();
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
    /** Content-Security-Policy violations reported by any page (see `watchCsp`). */
    this.csp = [];
  }

  /**
   * Every page of `context`, now and later, reports its Content-Security-Policy violations
   * here: Chromium's console line ("Refused to apply inline style because it violates …") and
   * the page's `securitypolicyviolation` event. A test during which one is reported fails.
   */
  async watchCsp(context) {
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        console.error(`Refused to load or run (securitypolicyviolation): ${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`);
      });
    });
    const watch = (page) =>
      page.on('console', (m) => {
        const text = m.text();
        if (/Refused to|Content Security Policy|securitypolicyviolation/i.test(text)) this.csp.push(`${page.url()}: ${text}`);
      });
    for (const p of context.pages()) watch(p);
    context.on('page', watch);
  }

  async test(name, fn) {
    const t0 = Date.now();
    const cspBefore = this.csp.length;
    try {
      await fn();
      await sleep(20);
      const csp = this.csp.slice(cspBefore);
      if (csp.length) throw new Error(`${csp.length} Content-Security-Policy violations, the first: ${csp.slice(0, 3).map((c) => c.slice(0, 240)).join(' | ')}`);
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

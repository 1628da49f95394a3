// The live protocol, both ways, against the server's own examples: src/generated/frames.json is
// written by the server (src/live/protocol.rs `examples`, kept current by tests/api/generated.rs)
// with one frame of every kind and the document after the patch. Each goes through the
// browser's code here, so a change on either side alone fails: a field renamed or a frame kind
// added on the server, a frame the browser builds differently, or ops it applies otherwise.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Live } from '../src/live';
import { OP_KINDS, SERVER_FRAME_TYPES, isOp, parseFrame, periodFrame, resumeFrame } from '../src/protocol';
import type { ClientFrame, Dashboard } from '../src/protocol';
import { FakeClock, fakeLive } from './fakes';
import type { FakeSocket } from './fakes';

interface Examples {
  server: Record<string, unknown>[];
  client: Record<string, unknown>[];
  after_patch: Dashboard;
}

const examples = JSON.parse(readFileSync(fileURLToPath(new URL('../src/generated/frames.json', import.meta.url)), 'utf8')) as Examples;
const text = (f: unknown) => JSON.stringify(f);
const byType = (list: Record<string, unknown>[], type: string) => {
  const f = list.find((x) => x.type === type);
  if (!f) throw new Error(`the server's examples have no ${type} frame`);
  return f;
};

let clock: FakeClock;
let sockets: FakeSocket[];
let live: Live;

beforeEach(() => {
  clock = new FakeClock();
  sockets = [];
  live = fakeLive(sockets, clock);
});

function socket(): FakeSocket {
  const s = sockets[sockets.length - 1];
  if (!s) throw new Error('no socket');
  return s;
}

describe('the server’s frames, read by the browser', () => {
  it('every kind the server sends is one the browser knows, and each example reads as its kind', () => {
    const kinds = examples.server.map((f) => f.type);
    expect([...kinds].sort()).toEqual([...SERVER_FRAME_TYPES].sort());
    for (const f of examples.server) {
      const parsed = parseFrame(text(f));
      expect(parsed, `the ${String(f.type)} example`).not.toBeNull();
      expect(parsed?.type).toBe(f.type);
      expect(parsed).toEqual(f);
    }
  });

  it('every op of the example patch is one the browser applies', () => {
    const patch = byType(examples.server, 'patch') as { ops: unknown[] };
    for (const op of patch.ops) {
      expect(isOp(op), JSON.stringify(op)).toBe(true);
      expect(OP_KINDS).toContain((op as { op: string }).op);
    }
  });

  it('the snapshot then the patch, through the live module, give exactly the server’s document after the patch', () => {
    live.start();
    socket().open();
    const snapshot = byType(examples.server, 'snapshot') as { rev: number };
    const patch = byType(examples.server, 'patch') as { rev: number; events: unknown[] };
    const seen: string[] = [];
    live.subscribe((_doc, change) => seen.push(`${change.kind}:${change.events.length}`));
    socket().onmessage?.({ data: text(snapshot) });
    expect(live.rev).toBe(snapshot.rev);
    socket().onmessage?.({ data: text(patch) });
    expect(live.rev).toBe(patch.rev);
    expect(live.doc).toEqual(examples.after_patch);
    expect(seen).toEqual(['snapshot:0', `patch:${patch.events.length}`]);
    // The signals were told too: the model's view is the same document.
    const model = live.model;
    expect(model.rev.value).toBe(patch.rev);
    expect(model.recent.value).toEqual(examples.after_patch.recent);
    expect(model.overall.value).toEqual(examples.after_patch.overall);
    for (const iso3 of Object.keys(examples.after_patch.members)) expect(model.members.entry(iso3).value).toEqual(examples.after_patch.members[iso3]);
    for (const key of Object.keys(examples.after_patch.key_results)) expect(model.key_results.entry(key).value).toEqual(examples.after_patch.key_results[key]);
    expect(model.key_results.keys.value).toEqual(Object.keys(examples.after_patch.key_results));
  });

  it('the heartbeat sets the viewers', () => {
    live.start();
    socket().open();
    const beat = byType(examples.server, 'heartbeat') as { viewers: number };
    socket().onmessage?.({ data: text(byType(examples.server, 'snapshot')) });
    socket().onmessage?.({ data: text(beat) });
    expect(typeof live.viewers).toBe('number');
    expect(live.viewers).toBe(beat.viewers);
  });

  it('the error frame is surfaced, not dropped', () => {
    live.start();
    socket().open();
    const error = byType(examples.server, 'error');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      socket().onmessage?.({ data: text(error) });
      expect(live.lastError).toEqual(error);
      expect(warn).toHaveBeenCalledOnce();
      expect(String(warn.mock.calls[0]?.[0])).toContain(String(error.message));
    } finally {
      warn.mockRestore();
    }
  });
});

describe('the browser’s frames, as the server reads them', () => {
  it('builds each client frame exactly as the server’s examples', () => {
    const kinds = examples.client.map((f) => f.type).sort();
    expect(kinds).toEqual(['period', 'resume']);
    const resume = byType(examples.client, 'resume') as { since: number };
    const period = byType(examples.client, 'period') as { period: number };
    expect(resumeFrame(resume.since)).toEqual(resume);
    expect(periodFrame(period.period)).toEqual(period);
  });

  it('the live module sends those frames: resume on a gap, period on a switch', () => {
    live.start();
    socket().open();
    const snapshot = byType(examples.server, 'snapshot') as { rev: number };
    socket().onmessage?.({ data: text(snapshot) });
    // A heartbeat ahead of the document: a patch went missing.
    socket().onmessage?.({ data: text({ type: 'heartbeat', rev: snapshot.rev + 5, viewers: 1 }) });
    const period = byType(examples.client, 'period') as { period: number };
    live.setPeriod(period.period);
    const sent = socket().sent as ClientFrame[];
    expect(sent).toEqual([resumeFrame(snapshot.rev), periodFrame(period.period)]);
    // The example resumes from the example snapshot's revision: the same frame.
    expect(sent[0]).toEqual(byType(examples.client, 'resume'));
    expect(sent[1]).toEqual(period);
  });
});

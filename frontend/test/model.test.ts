import { effect } from '@preact/signals-core';
import { describe, expect, it } from 'vitest';
import { DocModel, filteredKeys, keysWithPrefix, naturalOrder } from '../src/model';
import type { Dashboard, KrDoc } from '../src/protocol';
import { doc } from './fakes';

/** Counts the runs of an effect (the first, at once, included). */
function runs(fn: () => unknown): { n: number; stop: () => void } {
  const r = { n: 0, stop: () => {} };
  r.stop = effect(() => {
    fn();
    r.n++;
  });
  return r;
}

function kr(iso3: string, code: string, over: Partial<KrDoc> = {}): KrDoc {
  return { iso3, code, pillar: 1, focus_area: 'Digital', title: code, unit: 'x', direction: 'increase', weight: 1, baseline: null, target: 10, actual: null, reported_at: null, progress: null, status: 'no_data', source: null, ...over };
}

function withKrs(): Dashboard {
  const d = doc(10);
  d.members.THA = { ...(d.members.VNM as Dashboard['members'][string]), name: 'Thailand' };
  d.key_results = {
    'VNM/VNM-KR1': kr('VNM', 'VNM-KR1'),
    'VNM/VNM-KR2': kr('VNM', 'VNM-KR2', { status: 'off_track', actual: 1 }),
    'VNM/VNM-KR10': kr('VNM', 'VNM-KR10'),
    'THA/THA-KR1': kr('THA', 'THA-KR1', { status: 'off_track', actual: 2 }),
  };
  return d;
}

function loaded(d: Dashboard = withKrs()): DocModel {
  const m = new DocModel();
  m.reset(d);
  m.flush();
  return m;
}

describe('the document as signals', () => {
  it('tells nothing until flushed, then everything on a snapshot', () => {
    const m = new DocModel();
    const vnm = runs(() => m.members.entry('VNM').value);
    m.reset(withKrs());
    expect(m.members.entry('VNM').value).toBeUndefined();
    expect(vnm.n).toBe(1);
    m.flush();
    expect(m.members.entry('VNM').value?.name).toBe('Vietnam');
    expect(m.rev.value).toBe(10);
    expect(m.loaded.value).toBe(true);
    expect(vnm.n).toBe(2);
  });

  it('a patch tells the entries it changed, and only those, once per flush', () => {
    const m = loaded();
    const vnm = runs(() => m.members.entry('VNM').value);
    const tha = runs(() => m.members.entry('THA').value);
    const krs = runs(() => m.key_results.keys.value);
    const overall = runs(() => m.overall.value);
    const pillars = runs(() => m.pillars.entry('1').value);
    m.apply([
      { op: 'set', path: ['members', 'VNM', 'score'], value: 0.8 },
      { op: 'set', path: ['members', 'VNM', 'pillars', '1', 'score'], value: 0.9 },
      { op: 'set', path: ['overall', 'score'], value: 0.6 },
    ]);
    m.flush();
    expect([vnm.n, tha.n, krs.n, overall.n, pillars.n]).toEqual([2, 1, 1, 2, 1]);
    expect(m.members.entry('VNM').value?.pillars['1']?.score).toBe(0.9);
    // An op that sets a value equal to the one held still makes a new entry: told again.
    m.apply([{ op: 'set', path: ['members', 'THA', 'score'], value: 0.7 }]);
    m.flush();
    expect([vnm.n, tha.n]).toEqual([2, 2]);
  });

  it('the key set changes only when an entry is added or removed', () => {
    const m = loaded();
    const keys = runs(() => m.key_results.keys.value);
    m.apply([{ op: 'set', path: ['key_results', 'VNM/VNM-KR1', 'actual'], value: 3 }]);
    m.flush();
    expect(keys.n).toBe(1);
    m.apply([{ op: 'set', path: ['key_results', 'VNM/VNM-KR3'], value: kr('VNM', 'VNM-KR3') }]);
    m.flush();
    expect(keys.n).toBe(2);
    expect(m.key_results.keys.value).toContain('VNM/VNM-KR3');
    m.apply([{ op: 'remove', path: ['key_results', 'VNM/VNM-KR3'] }]);
    m.flush();
    expect(keys.n).toBe(3);
    expect(m.key_results.entry('VNM/VNM-KR3').value).toBeUndefined();
  });

  it('inserts into the latest changes and trims them, telling `recent`', () => {
    const m = loaded();
    const recent = runs(() => m.recent.value);
    const line = { rev: 11, at: 'now', actor: 'a', action: 'report' as const, entity: 'actual' as const, key: 'VNM/VNM-KR1/2026', summary: 'Viet Nam · x' };
    m.apply([
      { op: 'insert', path: ['recent', 0], value: line },
      { op: 'trim', path: ['recent'], len: 1 },
    ]);
    m.flush();
    expect(recent.n).toBe(2);
    expect(m.recent.value).toEqual([line]);
  });

  it('one member’s key results: a list that changes only with its own keys', () => {
    const m = loaded();
    const vnm = keysWithPrefix(m.key_results, () => 'VNM/');
    const seen = runs(() => vnm.value);
    expect(vnm.value).toEqual(['VNM/VNM-KR1', 'VNM/VNM-KR2', 'VNM/VNM-KR10']);
    m.apply([{ op: 'set', path: ['key_results', 'THA/THA-KR2'], value: kr('THA', 'THA-KR2') }]);
    m.flush();
    expect(seen.n).toBe(1);
    m.apply([{ op: 'set', path: ['key_results', 'VNM/VNM-KR3'], value: kr('VNM', 'VNM-KR3') }]);
    m.flush();
    expect(seen.n).toBe(2);
    expect(vnm.value).toEqual(['VNM/VNM-KR1', 'VNM/VNM-KR2', 'VNM/VNM-KR3', 'VNM/VNM-KR10']);
  });

  it('a filtered list follows the entries each flush touched, and is whole again after a snapshot', () => {
    const m = loaded();
    const off = filteredKeys(m.key_results, (k) => k.status === 'off_track', naturalOrder);
    const seen = runs(() => off.value);
    expect(off.value).toEqual(['THA/THA-KR1', 'VNM/VNM-KR2']);
    // A change that keeps the membership tells no one.
    m.apply([{ op: 'set', path: ['key_results', 'VNM/VNM-KR2', 'actual'], value: 1.5 }]);
    m.flush();
    expect(seen.n).toBe(1);
    m.apply([{ op: 'set', path: ['key_results', 'VNM/VNM-KR10', 'status'], value: 'off_track' }]);
    m.flush();
    expect(off.value).toEqual(['THA/THA-KR1', 'VNM/VNM-KR2', 'VNM/VNM-KR10']);
    m.apply([
      { op: 'set', path: ['key_results', 'THA/THA-KR1', 'status'], value: 'on_track' },
      { op: 'remove', path: ['key_results', 'VNM/VNM-KR2'] },
    ]);
    m.flush();
    expect(off.value).toEqual(['VNM/VNM-KR10']);
    const d = withKrs();
    m.reset(d);
    m.flush();
    expect(off.value).toEqual(['THA/THA-KR1', 'VNM/VNM-KR2']);
    // Not watched for a while: the next read makes a full pass.
    seen.stop();
    m.apply([{ op: 'set', path: ['key_results', 'VNM/VNM-KR1', 'status'], value: 'off_track' }]);
    m.flush();
    m.apply([{ op: 'set', path: ['key_results', 'THA/THA-KR1', 'status'], value: 'achieved' }]);
    m.flush();
    expect(off.value).toEqual(['VNM/VNM-KR1', 'VNM/VNM-KR2']);
  });
});

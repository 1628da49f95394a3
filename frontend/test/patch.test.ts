import { describe, expect, it } from 'vitest';
import { applyOps, touchedSections } from '../src/patch';

describe('applyOps', () => {
  it('sets nested values, creating missing objects on the way', () => {
    const d: Record<string, unknown> = { members: { VNM: { score: 0.5 } } };
    applyOps(d, [
      { op: 'set', path: ['members', 'VNM', 'score'], value: 0.71 },
      { op: 'set', path: ['key_results', 'VNM/VNM-KR1', 'actual'], value: 12.5 },
    ]);
    expect(d).toEqual({ members: { VNM: { score: 0.71 } }, key_results: { 'VNM/VNM-KR1': { actual: 12.5 } } });
  });

  it('removes keys and ignores removals under missing parents', () => {
    const d: Record<string, unknown> = { focus_areas: { Digital: { score: 1 }, Green: { score: 0 } } };
    applyOps(d, [
      { op: 'remove', path: ['focus_areas', 'Green'] },
      { op: 'remove', path: ['nothing', 'here'] },
    ]);
    expect(d).toEqual({ focus_areas: { Digital: { score: 1 } } });
  });

  it('replaces arrays and nulls whole', () => {
    const d: Record<string, unknown> = { recent: [1, 2], overall: { score: 0.4 } };
    applyOps(d, [
      { op: 'set', path: ['recent'], value: [3, 1, 2] },
      { op: 'set', path: ['overall', 'score'], value: null },
    ]);
    expect(d).toEqual({ recent: [3, 1, 2], overall: { score: null } });
  });

  it('names the sections a patch touched', () => {
    expect([...touchedSections([{ op: 'set', path: ['members', 'X'], value: 1 }, { op: 'remove', path: ['recent'] }])]).toEqual([
      'members',
      'recent',
    ]);
  });
});

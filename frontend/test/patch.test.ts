import { describe, expect, it } from 'vitest';
import { PatchError, applyOps } from '../src/patch';
import type { Op } from '../src/protocol';

type Doc = Record<string, unknown>;

describe('applyOps, as the server applies a patch', () => {
  it('sets nested values, creating missing objects on the way', () => {
    const d: Doc = { members: { VNM: { score: 0.5 } } };
    applyOps(d, [
      { op: 'set', path: ['members', 'VNM', 'score'], value: 0.71 },
      { op: 'set', path: ['key_results', 'VNM/VNM-KR1', 'actual'], value: 12.5 },
    ]);
    expect(d).toEqual({ members: { VNM: { score: 0.71 } }, key_results: { 'VNM/VNM-KR1': { actual: 12.5 } } });
  });

  it('removes keys; a removal under missing objects creates them, as on the server', () => {
    const d: Doc = { focus_areas: { Digital: { score: 1 }, Green: { score: 0 } } };
    applyOps(d, [
      { op: 'remove', path: ['focus_areas', 'Green'] },
      { op: 'remove', path: ['nothing', 'here'] },
    ]);
    expect(d).toEqual({ focus_areas: { Digital: { score: 1 } }, nothing: {} });
  });

  it('inserts into a list before the index, or at its end past it, and trims to the first n', () => {
    const d: Doc = { recent: [{ rev: 2 }, { rev: 1 }] };
    applyOps(d, [
      { op: 'insert', path: ['recent', 0], value: { rev: 3 } },
      { op: 'insert', path: ['recent', 0], value: { rev: 4 } },
      { op: 'insert', path: ['recent', 99], value: { rev: 0 } },
      { op: 'trim', path: ['recent'], len: 3 },
    ]);
    expect(d).toEqual({ recent: [{ rev: 4 }, { rev: 3 }, { rev: 2 }] });
    // Trimming to more than there is, or where there is no list, changes nothing.
    applyOps(d, [
      { op: 'trim', path: ['recent'], len: 10 },
      { op: 'trim', path: ['absent'], len: 1 },
    ]);
    expect(d).toEqual({ recent: [{ rev: 4 }, { rev: 3 }, { rev: 2 }] });
  });

  it('walks through lists by index and objects by key (an index as its decimal key)', () => {
    const d: Doc = { recent: [{ summary: 'a' }], pillars: { '3': { krs: 1 } } };
    applyOps(d, [
      { op: 'set', path: ['recent', 0, 'summary'], value: 'b' },
      { op: 'set', path: ['pillars', 3, 'krs'], value: 2 },
    ]);
    expect(d).toEqual({ recent: [{ summary: 'b' }], pillars: { '3': { krs: 2 } } });
  });

  it('replaces lists and nulls whole, and the document with an empty path', () => {
    const d: Doc = { recent: [1, 2], overall: { score: 0.4 } };
    applyOps(d, [
      { op: 'set', path: ['recent'], value: [3, 1, 2] },
      { op: 'set', path: ['overall', 'score'], value: null },
    ]);
    expect(d).toEqual({ recent: [3, 1, 2], overall: { score: null } });
    expect(applyOps(d, [{ op: 'set', path: [], value: { rev: 1 } }, { op: 'remove', path: [] }])).toEqual({ rev: 1 });
  });

  it('gives the server diff example its new document (src/analytics/document.rs)', () => {
    const old: Doc = { a: 1, m: { x: { s: 0.5 }, y: { s: null } }, r: [1, 2] };
    applyOps(old, [
      { op: 'set', path: ['m', 'x', 's'], value: 0.6 },
      { op: 'remove', path: ['m', 'y'] },
      { op: 'set', path: ['m', 'z'], value: { s: 1 } },
      { op: 'insert', path: ['r', 0], value: 3 },
    ]);
    expect(old).toEqual({ a: 1, m: { x: { s: 0.6 }, z: { s: 1 } }, r: [3, 1, 2] });
  });

  it('throws where the server would refuse the op, naming it', () => {
    const bad: [Doc, Op][] = [
      [{ recent: [] }, { op: 'set', path: ['recent', 0, 'x'], value: 1 }], // index past the end
      [{ recent: [] }, { op: 'set', path: ['recent', 'x'], value: 1 }], // a key into a list
      [{ overall: { score: 1 } }, { op: 'set', path: ['overall', 'score', 'x'], value: 1 }], // through a number
      [{ overall: {} }, { op: 'insert', path: ['overall', 0], value: 1 }], // insert into an object
      [{ recent: [] }, { op: 'insert', path: ['recent', 'x'], value: 1 }], // insert ending at a key
      [{ recent: [1] }, { op: 'trim', path: ['recent', 0], len: 0 }], // trim ending at an index
      [{ recent: [1] }, { op: 'set', path: ['recent', 0], value: 2 }], // set ending at an index
    ];
    for (const [doc, op] of bad) expect(() => applyOps(doc, [op]), JSON.stringify(op)).toThrow(PatchError);
  });

  it('with a copy policy, changes copies: what was read before the patch stays as it was', () => {
    const vnm = { score: 0.5, pillars: { '1': { score: 0.5 }, '2': { score: 0.1 } } };
    const lao = { score: 0.2 };
    const members = { VNM: vnm, LAO: lao };
    const recent = [{ rev: 1 }];
    const d: Doc = { members, recent, overall: { score: 0.3 } };
    const overall = d.overall;
    // The keyed section's map is changed in place; entries, and what is below them, are copied.
    applyOps(
      d,
      [
        { op: 'set', path: ['members', 'VNM', 'pillars', '1', 'score'], value: 0.9 },
        { op: 'set', path: ['members', 'VNM', 'score'], value: 0.7 },
        { op: 'insert', path: ['recent', 0], value: { rev: 2 } },
        { op: 'trim', path: ['recent'], len: 1 },
        { op: 'set', path: ['overall', 'score'], value: 0.4 },
      ],
      (path, depth) => !(depth === 1 && path[0] === 'members'),
    );
    expect(d.members).toBe(members);
    expect(members.VNM).not.toBe(vnm);
    expect(members.VNM.pillars).not.toBe(vnm.pillars);
    expect(members.VNM.pillars['2']).toBe(vnm.pillars['2']);
    expect(members.LAO).toBe(lao);
    expect(vnm).toEqual({ score: 0.5, pillars: { '1': { score: 0.5 }, '2': { score: 0.1 } } });
    expect(members.VNM).toEqual({ score: 0.7, pillars: { '1': { score: 0.9 }, '2': { score: 0.1 } } });
    expect(recent).toEqual([{ rev: 1 }]);
    expect(d.recent).toEqual([{ rev: 2 }]);
    expect(overall).toEqual({ score: 0.3 });
    expect(d.overall).toEqual({ score: 0.4 });
  });
});

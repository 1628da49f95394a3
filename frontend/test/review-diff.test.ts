import { describe, expect, it } from 'vitest';
import { diffLines, diffPrimers, elide, fieldLabel, krFieldChanges, krMarks, markOf, valueText, wordDiff } from '../src/review-diff';
import type { KrLike, PrimerLike } from '../src/review-diff';

const kr1: KrLike = {
  code: 'VNM-KR1',
  title: 'Enterprises trained in lean',
  unit: 'enterprises',
  pillar: 3,
  focus_area: 'Electronics and ICT',
  direction: 'increase',
  baseline_year: 2024,
  baseline_value: 40,
  targets: { '2026': 50, '2027': 60, '2028': 70 },
  weight: 1,
};
const kr2: KrLike = { code: 'VNM-KR2', title: 'Productivity reports published', unit: 'reports', pillar: 4, focus_area: 'Green productivity', direction: 'increase', targets: { '2026': 1 } };
const returned: PrimerLike = {
  national_context: 'Viet Nam aims to raise labour productivity by 6.5 % a year.',
  focus_areas: ['Electronics and ICT', 'Green productivity'],
  key_results: [kr1, kr2],
};

describe('diffPrimers', () => {
  it('finds nothing when the primer is as it was returned', () => {
    const d = diffPrimers(returned, structuredClone(returned));
    expect(d.count).toBe(0);
    expect(d.context).toBeNull();
    expect(diffLines(d)).toEqual([]);
  });

  it('reads a missing weight as 1, blank text as none, and focus areas trimmed and case-folded', () => {
    const after: PrimerLike = {
      national_context: ' Viet Nam aims to raise labour productivity by 6.5 % a year. ',
      focus_areas: ['electronics and ICT ', 'Green Productivity'],
      key_results: [{ ...kr1, weight: undefined, focus_area: 'ELECTRONICS AND ICT' }, { ...kr2, baseline_year: null }],
    };
    expect(diffPrimers(returned, after).count).toBe(0);
  });

  it('lists added, removed and changed key results, and each changed target year', () => {
    const kr3: KrLike = { code: 'VNM-KR3', title: 'SMEs certified', unit: 'SMEs', pillar: 1, focus_area: 'Green productivity', direction: 'increase', targets: { '2028': 12 } };
    const after: PrimerLike = {
      ...returned,
      key_results: [{ ...kr1, targets: { '2026': 50, '2027': 65, '2028': 80 }, title: 'Enterprises trained in lean management' }, kr3],
    };
    const d = diffPrimers(returned, after);
    expect(d.krAdded.map((k) => k.code)).toEqual(['VNM-KR3']);
    expect(d.krRemoved.map((k) => k.code)).toEqual(['VNM-KR2']);
    expect(d.krChanged).toHaveLength(1);
    const c = d.krChanged[0]!;
    expect(c.code).toBe('VNM-KR1');
    expect(c.fields).toEqual([
      { field: 'title', label: 'Title', before: 'Enterprises trained in lean', after: 'Enterprises trained in lean management' },
      { field: 'targets.2027', label: 'Target 2027', before: '60', after: '65' },
      { field: 'targets.2028', label: 'Target 2028', before: '70', after: '80' },
    ]);
    expect(d.count).toBe(3);
    const marks = krMarks(d);
    expect(markOf(marks, 'VNM-KR1')).toBe('changed');
    expect(markOf(marks, 'vnm-kr3')).toBe('added');
    expect(markOf(marks, 'VNM-KR2')).toBeNull();
    expect(diffLines(d)).toEqual([
      'Key result VNM-KR3 added: SMEs certified.',
      'Key result VNM-KR2 removed: Productivity reports published.',
      'Key result VNM-KR1: title Enterprises trained in lean → Enterprises trained in lean management; target 2027 60 → 65; target 2028 70 → 80.',
    ]);
  });

  it('names a target year added or dropped, and a baseline set', () => {
    const fields = krFieldChanges(kr2, { ...kr2, targets: { '2027': 2 }, baseline_value: 0, baseline_year: 2025 });
    expect(fields.map((f) => [f.label, f.before, f.after])).toEqual([
      ['Baseline', 'none', '0'],
      ['Baseline year', 'none', '2025'],
      ['Target 2026', '1', 'none'],
      ['Target 2027', 'none', '2'],
    ]);
  });

  it('compares a field it does not know (a range) by its content, whatever the order of its keys', () => {
    const a = { ...kr1, range: { min: 0, max: 100 } };
    expect(krFieldChanges(a, { ...kr1, range: { max: 100, min: 0 } })).toEqual([]);
    expect(krFieldChanges(a, { ...kr1, range: { min: 0, max: null } })).toEqual([{ field: 'range', label: 'Range', before: 'min 0, max 100', after: 'min 0' }]);
    expect(krFieldChanges(kr1, { ...kr1, value_min: 0 })).toEqual([{ field: 'value_min', label: 'Value min', before: 'none', after: '0' }]);
  });

  it('lists focus areas added, removed and reordered', () => {
    const d = diffPrimers(returned, { ...returned, focus_areas: ['Green productivity', 'Agriculture', 'electronics and ict'] });
    expect(d.focusAdded).toEqual(['Agriculture']);
    expect(d.focusRemoved).toEqual([]);
    expect(d.focusReordered).toBe(true);
    const e = diffPrimers(returned, { ...returned, focus_areas: ['Electronics and ICT'] });
    expect(e.focusRemoved).toEqual(['Green productivity']);
    expect(e.focusReordered).toBe(false);
  });

  it('treats key-result codes without regard to case or spaces, and a primer with nothing in it', () => {
    const d = diffPrimers(returned, { ...returned, key_results: [{ ...kr1, code: ' vnm-kr1' }, kr2] });
    expect(d.count).toBe(0);
    const empty = diffPrimers({}, returned);
    expect(empty.krAdded).toHaveLength(2);
    expect(empty.focusAdded).toHaveLength(2);
    expect(empty.context?.before).toBe('');
    expect(diffPrimers({}, {}).count).toBe(0);
  });

  it('gives the national context as before, after and a word diff', () => {
    const d = diffPrimers(returned, { ...returned, national_context: 'Viet Nam aims to raise labour productivity by 7 % a year to 2030.' });
    expect(d.context?.before).toBe(returned.national_context);
    const parts = d.context!.parts;
    expect(parts.filter((p) => p.op === 'del').map((p) => p.text.trim())).toEqual(['6.5', 'year.']);
    expect(parts.filter((p) => p.op === 'add').map((p) => p.text.trim())).toEqual(['7', 'year to 2030.']);
    expect(diffLines(d)).toEqual(['National context changed.']);
  });
});

describe('wordDiff', () => {
  const join = (parts: { op: string; text: string }[], keep: string) => parts.filter((p) => p.op === 'same' || p.op === keep).map((p) => p.text).join('');

  it('gives back both texts: the same and deleted parts make the old, the same and added the new', () => {
    const cases: [string, string][] = [
      ['a b c', 'a x c'],
      ['the quick brown fox', 'the slow brown dog jumps'],
      ['', 'new text'],
      ['old text', ''],
      ['one\ntwo  three', 'one\n two three four'],
      ['same', 'same'],
    ];
    for (const [a, b] of cases) {
      const parts = wordDiff(a, b);
      expect(join(parts, 'del')).toBe(a);
      expect(join(parts, 'add')).toBe(b);
    }
  });

  it('shows a replaced phrase as one deletion and one addition', () => {
    expect(wordDiff('we train managers in lean', 'we coach owners in lean')).toEqual([
      { op: 'same', text: 'we ' },
      { op: 'del', text: 'train managers' },
      { op: 'add', text: 'coach owners' },
      { op: 'same', text: ' in lean' },
    ]);
  });

  it('replaces a very long text whole rather than building a huge table', () => {
    const a = Array.from({ length: 3000 }, (_, i) => `a${i}`).join(' ');
    const b = Array.from({ length: 3000 }, (_, i) => `b${i}`).join(' ');
    const parts = wordDiff(a, b);
    expect(parts.map((p) => p.op)).toEqual(['del', 'add']);
  });
});

describe('labels and values', () => {
  it('names fields and values in words', () => {
    expect(fieldLabel('baseline_value')).toBe('Baseline');
    expect(fieldLabel('targets.2026')).toBe('Target 2026');
    expect(fieldLabel('value_range')).toBe('Value range');
    expect(valueText(null)).toBe('none');
    expect(valueText(1234.5)).toBe('1,234.5');
    expect(valueText({ min: 0 })).toBe('min 0');
    expect(valueText(true)).toBe('yes');
  });
});

describe('the range a key result declares', () => {
  it('names a changed least or greatest value in words, after the targets', () => {
    const fields = krFieldChanges({ ...kr1, min_value: 0 }, { ...kr1, min_value: 0, max_value: 100, targets: { '2026': 55, '2027': 60, '2028': 70 } });
    expect(fields).toEqual([
      { field: 'targets.2026', label: 'Target 2026', before: '50', after: '55' },
      { field: 'max_value', label: 'Greatest value', before: 'none', after: '100' },
    ]);
  });
});


describe('elide', () => {
  it('cuts long unchanged stretches to the words near a change', () => {
    const long = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const parts = wordDiff(`${long} old ${long}`, `${long} new ${long}`);
    const short = elide(parts, 40);
    expect(short.map((p) => p.op)).toEqual(['same', 'del', 'add', 'same']);
    expect(short[0]!.text.startsWith('…')).toBe(true);
    expect(short[0]!.text.length).toBeLessThanOrEqual(42);
    expect(short[0]!.text.endsWith('word59 ')).toBe(true);
    expect(short[3]!.text.startsWith(' word0')).toBe(true);
    expect(short[3]!.text.endsWith('…')).toBe(true);
    expect(short[1]!.text).toBe('old');
  });

  it('keeps short stretches and a text that is all one stretch whole', () => {
    const parts = wordDiff('a b c', 'a x c');
    expect(elide(parts)).toEqual(parts);
    expect(elide([{ op: 'same', text: 'x'.repeat(500) }])).toEqual([{ op: 'same', text: 'x'.repeat(500) }]);
  });

  it('cuts the middle of a long stretch between two changes', () => {
    const long = Array.from({ length: 80 }, (_, i) => `w${i}`).join(' ');
    const parts = elide(wordDiff(`A ${long} B`, `Z ${long} Y`), 30);
    const middle = parts.find((p, i) => p.op === 'same' && i > 0 && i < parts.length - 1)!;
    expect(middle.text).toContain(' … ');
    expect(middle.text.length).toBeLessThan(80);
  });
});

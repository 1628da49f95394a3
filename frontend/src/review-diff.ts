// What changed in a primer between two of its versions, for the Secretariat's review desk: the
// primer a delegation submits again after a return is compared with the primer as it was
// returned (or, for an amendment, as it was endorsed), so the desk reads only what is new.
//
// Pure: no DOM, no fetch. Primers are compared as the delegation wrote them (the body of
// `PUT /primers/{iso3}`): national context, focus areas (compared trimmed and case-folded, as
// the server compares them), and key results matched by code, field by field, each target year
// on its own. A field this module does not know (the server may add one, such as a key
// result's range) is still compared, by its JSON, and named from its key.

/** A key result as the diff reads it: the fields of the server's `KeyResult`, and any others. */
export interface KrLike {
  code: string;
  title?: string;
  unit?: string;
  pillar?: number;
  focus_area?: string;
  direction?: string;
  baseline_year?: number | null;
  baseline_value?: number | null;
  targets?: Record<string, number> | null;
  weight?: number | null;
  [field: string]: unknown;
}

/** A primer as the diff reads it (a `PrimerInput`, a `Primer`, or a history step's `primer`). */
export interface PrimerLike {
  national_context?: string | null;
  focus_areas?: readonly string[] | null;
  key_results?: readonly KrLike[] | null;
}

/** One field of a key result that changed: its name in words, and the two values as text. */
export interface FieldChange {
  /** The field's key (`targets.2027` for one target year). */
  field: string;
  label: string;
  before: string;
  after: string;
}

export interface KrChange {
  code: string;
  title: string;
  pillar: number | null;
  fields: FieldChange[];
}

/** A piece of the national context's word diff. */
export interface TextPart {
  op: 'same' | 'add' | 'del';
  text: string;
}

export interface PrimerDiff {
  /** The national context, when it changed: before, after, and a word-by-word diff. */
  context: { before: string; after: string; parts: TextPart[] } | null;
  focusAdded: string[];
  focusRemoved: string[];
  /** The same focus areas in another order. */
  focusReordered: boolean;
  krAdded: KrLike[];
  krRemoved: KrLike[];
  krChanged: KrChange[];
  /** How many things changed (0: the primer is as it was). */
  count: number;
}

/** Focus areas and codes are compared as the server compares them: trimmed, case-folded. */
export const fold = (s: string): string => s.trim().toLocaleLowerCase('en');
const codeKey = (s: string): string => s.trim().toUpperCase();

const LABELS: Record<string, string> = {
  title: 'Title',
  unit: 'Unit',
  pillar: 'Pillar',
  focus_area: 'Focus area',
  direction: 'Direction',
  baseline_year: 'Baseline year',
  baseline_value: 'Baseline',
  weight: 'Weight',
  min_value: 'Least value',
  max_value: 'Greatest value',
};
/** The order fields are listed in; others follow, by name. */
const ORDER = ['title', 'pillar', 'focus_area', 'unit', 'direction', 'baseline_value', 'baseline_year', 'targets', 'min_value', 'max_value', 'weight'];

/** A field's name in words: "baseline_value" → "Baseline", "value_range" → "Value range". */
export function fieldLabel(field: string): string {
  if (field.startsWith('targets.')) return `Target ${field.slice('targets.'.length)}`;
  const known = LABELS[field];
  if (known) return known;
  const words = field.replace(/_/g, ' ').trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : field;
}

const numberText = new Intl.NumberFormat('en', { maximumFractionDigits: 6 });

/** A value as the desk shows it: numbers plainly, nothing as "none", objects as `key value` pairs. */
export function valueText(v: unknown, field = ''): string {
  if (v === null || v === undefined || v === '') return 'none';
  if (typeof v === 'number' && /year$/.test(field)) return String(v);
  if (typeof v === 'number') return Number.isFinite(v) ? numberText.format(v) : String(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return v.length ? v.map((x) => valueText(x)).join(', ') : 'none';
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== null && x !== undefined);
    return entries.length ? entries.map(([k, x]) => `${k.replace(/_/g, ' ')} ${valueText(x)}`).join(', ') : 'none';
  }
  return String(v);
}

/** JSON with sorted keys, so that two objects with the same content compare equal. */
function canonical(v: unknown): string {
  if (v === undefined) return 'null';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined && o[k] !== null)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}

/** A missing weight is 1, a missing text is empty, a missing list of targets is none. */
function normal(field: string, v: unknown): unknown {
  if (field === 'weight') return v === null || v === undefined ? 1 : v;
  if (v === undefined || v === '') return null;
  if (typeof v === 'string') return v.trim() === '' ? null : v.trim();
  return v;
}

/** The fields of a key result that differ between two versions, in reading order. */
export function krFieldChanges(before: KrLike, after: KrLike): FieldChange[] {
  const out: FieldChange[] = [];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  keys.delete('code');
  keys.delete('targets');
  const order = (k: string) => {
    const i = ORDER.indexOf(k);
    return i < 0 ? ORDER.length : i;
  };
  const fields = [...keys].sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  const targetsAt = ORDER.indexOf('targets');
  let targetsDone = false;
  const addTargets = () => {
    targetsDone = true;
    const tb = before.targets ?? {};
    const ta = after.targets ?? {};
    const years = [...new Set([...Object.keys(tb), ...Object.keys(ta)])].sort();
    for (const y of years) {
      const b = tb[y] ?? null;
      const a = ta[y] ?? null;
      if (canonical(b) !== canonical(a)) out.push({ field: `targets.${y}`, label: fieldLabel(`targets.${y}`), before: valueText(b), after: valueText(a) });
    }
  };
  for (const f of fields) {
    if (!targetsDone && order(f) > targetsAt) addTargets();
    const b = normal(f, before[f]);
    const a = normal(f, after[f]);
    const same = f === 'focus_area' && typeof a === 'string' && typeof b === 'string' ? fold(a) === fold(b) : canonical(b) === canonical(a);
    if (!same) out.push({ field: f, label: fieldLabel(f), before: valueText(b, f), after: valueText(a, f) });
  }
  if (!targetsDone) addTargets();
  return out;
}

/** Splits text into words and the spaces between them (both kept, so the parts join back to the text). */
export function tokens(s: string): string[] {
  return s.match(/\s+|[^\s]+/g) ?? [];
}

/** The longest-common-subsequence table is kept under this many cells; past it the text is shown replaced whole. */
const MAX_CELLS = 4_000_000;

/**
 * A word-by-word diff of two texts: the parts, in order, that are the same, added or deleted.
 * Neighbouring parts of one kind are merged. Very long texts that differ are one deletion and
 * one addition.
 */
export function wordDiff(before: string, after: string): TextPart[] {
  if (before === after) return before ? [{ op: 'same', text: before }] : [];
  const a = tokens(before);
  const b = tokens(after);
  // The common head and tail need no table.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  const parts: TextPart[] = [];
  const push = (op: TextPart['op'], text: string) => {
    if (!text) return;
    const last = parts[parts.length - 1];
    if (last && last.op === op) last.text += text;
    else parts.push({ op, text });
  };
  push('same', a.slice(0, head).join(''));
  const n = am.length;
  const m = bm.length;
  if ((n + 1) * (m + 1) > MAX_CELLS) {
    push('del', am.join(''));
    push('add', bm.join(''));
  } else {
    // lcs[i][j]: the longest common subsequence of am[i..] and bm[j..].
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] = am[i] === bm[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        push('same', am[i]!);
        i++;
        j++;
      } else if (j < m && (i >= n || lcs[i * w + j + 1]! >= lcs[(i + 1) * w + j]!)) {
        push('add', bm[j]!);
        j++;
      } else {
        push('del', am[i]!);
        i++;
      }
    }
  }
  push('same', a.slice(a.length - tail).join(''));
  return tidy(parts);
}

/**
 * Reads as phrases: a space the diff kept as "the same" between two changes joins them, and
 * each run of changes is shown as what was deleted, then what was added ("del(a b) add(c d)",
 * not "del(a) add(c) same( ) del(b) add(d)").
 */
function tidy(parts: TextPart[]): TextPart[] {
  const out: TextPart[] = [];
  let del = '';
  let add = '';
  const flush = () => {
    if (del) out.push({ op: 'del', text: del });
    if (add) out.push({ op: 'add', text: add });
    del = add = '';
  };
  parts.forEach((p, k) => {
    const inRun = del !== '' || add !== '';
    const next = parts[k + 1];
    if (p.op === 'same' && inRun && next && next.op !== 'same' && /^\s+$/.test(p.text)) {
      del += p.text;
      add += p.text;
    } else if (p.op === 'del') del += p.text;
    else if (p.op === 'add') add += p.text;
    else {
      flush();
      out.push({ ...p });
    }
  });
  flush();
  return out;
}

/** What changed from `before` to `after`. */
export function diffPrimers(before: PrimerLike, after: PrimerLike): PrimerDiff {
  const cb = (before.national_context ?? '').trim();
  const ca = (after.national_context ?? '').trim();
  const context = cb === ca ? null : { before: cb, after: ca, parts: wordDiff(cb, ca) };

  const fb = (before.focus_areas ?? []).map((f) => f.trim()).filter(Boolean);
  const fa = (after.focus_areas ?? []).map((f) => f.trim()).filter(Boolean);
  const fbKeys = new Set(fb.map(fold));
  const faKeys = new Set(fa.map(fold));
  const focusAdded = fa.filter((f) => !fbKeys.has(fold(f)));
  const focusRemoved = fb.filter((f) => !faKeys.has(fold(f)));
  const keptBefore = fb.map(fold).filter((f) => faKeys.has(f));
  const keptAfter = fa.map(fold).filter((f) => fbKeys.has(f));
  const focusReordered = keptBefore.join('\n') !== keptAfter.join('\n');

  const kb = new Map((before.key_results ?? []).map((k) => [codeKey(k.code), k]));
  const ka = new Map((after.key_results ?? []).map((k) => [codeKey(k.code), k]));
  const krAdded = (after.key_results ?? []).filter((k) => !kb.has(codeKey(k.code)));
  const krRemoved = (before.key_results ?? []).filter((k) => !ka.has(codeKey(k.code)));
  const krChanged: KrChange[] = [];
  for (const k of after.key_results ?? []) {
    const old = kb.get(codeKey(k.code));
    if (!old) continue;
    const fields = krFieldChanges(old, k);
    if (fields.length) krChanged.push({ code: k.code, title: k.title ?? old.title ?? '', pillar: typeof k.pillar === 'number' ? k.pillar : null, fields });
  }
  const count = (context ? 1 : 0) + focusAdded.length + focusRemoved.length + (focusReordered ? 1 : 0) + krAdded.length + krRemoved.length + krChanged.length;
  return { context, focusAdded, focusRemoved, focusReordered, krAdded, krRemoved, krChanged, count };
}

/** How a key result stands in a diff: new, changed, or as it was (for marking it where the primer is read). */
export function krMarks(d: PrimerDiff): Map<string, 'added' | 'changed'> {
  const m = new Map<string, 'added' | 'changed'>();
  for (const k of d.krAdded) m.set(codeKey(k.code), 'added');
  for (const k of d.krChanged) m.set(codeKey(k.code), 'changed');
  return m;
}

export const markOf = (marks: ReadonlyMap<string, 'added' | 'changed'>, code: string) => marks.get(codeKey(code)) ?? null;

/** One line per change, for a summary or a screen reader: "Key result VNM-KR2 added: …". */
export function diffLines(d: PrimerDiff): string[] {
  const lines: string[] = [];
  if (d.context) lines.push('National context changed.');
  for (const f of d.focusAdded) lines.push(`Focus area added: ${f}.`);
  for (const f of d.focusRemoved) lines.push(`Focus area removed: ${f}.`);
  if (d.focusReordered) lines.push('Focus areas reordered.');
  for (const k of d.krAdded) lines.push(`Key result ${k.code} added: ${k.title ?? ''}.`);
  for (const k of d.krRemoved) lines.push(`Key result ${k.code} removed: ${k.title ?? ''}.`);
  for (const k of d.krChanged) lines.push(`Key result ${k.code}: ${k.fields.map((f) => `${f.label.toLowerCase()} ${f.before} → ${f.after}`).join('; ')}.`);
  return lines;
}

/**
 * A word diff with the long unchanged stretches cut to their ends ("…"), so that a changed
 * sentence in a long national context is seen at once: the first stretch keeps its last `keep`
 * characters, the last its first `keep`, one between changes both ends. Cuts fall between words.
 */
export function elide(parts: readonly TextPart[], keep = 90): TextPart[] {
  const head = (t: string) => {
    const cut = t.slice(0, keep);
    const at = cut.lastIndexOf(' ');
    return `${at > keep / 2 ? cut.slice(0, at) : cut}…`;
  };
  const tail = (t: string) => {
    const cut = t.slice(t.length - keep);
    const at = cut.indexOf(' ');
    return `…${at >= 0 && at < keep / 2 ? cut.slice(at) : cut}`;
  };
  return parts.map((p, i) => {
    if (p.op !== 'same') return p;
    const first = i === 0;
    const last = i === parts.length - 1;
    if (first && last) return p;
    if (first) return p.text.length > keep + 20 ? { op: 'same', text: tail(p.text) } : p;
    if (last) return p.text.length > keep + 20 ? { op: 'same', text: head(p.text) } : p;
    return p.text.length > 2 * keep + 20 ? { op: 'same', text: `${head(p.text).slice(0, -1)} … ${tail(p.text).slice(1)}` } : p;
  });
}

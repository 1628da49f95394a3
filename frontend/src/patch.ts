// Applies a patch's ops to a document, as the server's `analytics::document::apply` does:
// paths walk through objects (missing ones are created), `set` replaces the value at the end,
// `remove` deletes it. The document is changed in place.

import type { Op } from './protocol';

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function applyOps(doc: Obj, ops: readonly Op[]): Obj {
  let root = doc;
  for (const op of ops) {
    const path = op.path;
    if (path.length === 0) {
      if (op.op === 'set' && isObject(op.value)) root = structuredCloneSafe(op.value);
      continue;
    }
    let at: Obj = root;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i] as string;
      const next = at[key];
      if (isObject(next)) {
        at = next;
      } else {
        if (op.op === 'remove') {
          at = {};
          break;
        }
        const created: Obj = {};
        at[key] = created;
        at = created;
      }
    }
    const last = path[path.length - 1] as string;
    if (op.op === 'set') at[last] = op.value;
    else delete at[last];
  }
  return root;
}

function structuredCloneSafe<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** The top-level sections a set of ops touched ("members", "pillars", …), for redraws. */
export function touchedSections(ops: readonly Op[]): Set<string> {
  const s = new Set<string>();
  for (const op of ops) s.add(op.path[0] ?? '');
  return s;
}

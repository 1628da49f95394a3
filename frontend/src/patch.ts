// Applies a patch's ops to a document exactly as the server's `analytics::document::apply`
// does (src/analytics/document.rs):
//
// - the path walks from the root: through a list by an integer index (which must exist), else
//   through an object by key (an index is used as its decimal key), creating an empty object
//   where a key is missing;
// - `set` writes the value at the last key, `remove` deletes that key, `insert` puts the value
//   into the list before the index that ends the path (at its end when the index is past it),
//   `trim` keeps the first `len` items of the list at the last key (nothing when there is no
//   list there);
// - an empty path with `set` replaces the whole document; any other op with an empty path is
//   ignored.
//
// Where the server would panic (a path through a number, `set` ending at an index…), this
// throws a PatchError: the document cannot follow the server any more, and needs a snapshot.
//
// With `copy`, containers are not changed in place but copied first (each at most once per
// call), from the root's children down to the one an op changes, unless `copy` declines: so a
// value read before the patch is never changed by it, and `a !== b` tells a changed entry from
// an unchanged one (what the reactive model's signals compare). The root itself is always
// changed in place.

import type { Op, Segment } from './protocol';

type Obj = Record<string, unknown>;

export class PatchError extends Error {
  constructor(
    message: string,
    readonly op: Op,
  ) {
    super(`${message} (op ${op.op} at ${JSON.stringify(op.path)})`);
  }
}

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isContainer(v: unknown): v is Obj | unknown[] {
  return typeof v === 'object' && v !== null;
}

/**
 * Whether the container at `path.slice(0, depth)` (depth ≥ 1) is copied before an op changes
 * something in it.
 */
export type CopyPolicy = (path: readonly Segment[], depth: number) => boolean;

/** Applies `ops` to `doc` (see above); returns the root, which only an empty-path `set` replaces. */
export function applyOps<T>(doc: T, ops: readonly Op[], copy?: CopyPolicy): T {
  let root: unknown = doc;
  const fresh = new WeakSet<object>();
  /** `v`, or a copy of it that this call may change (put in place of `v` by the caller). */
  const own = <C extends Obj | unknown[]>(v: C, path: readonly Segment[], depth: number): C => {
    if (!copy || fresh.has(v) || !copy(path, depth)) return v;
    const c = (Array.isArray(v) ? [...v] : { ...v }) as C;
    fresh.add(c);
    return c;
  };
  for (const op of ops) {
    const path = op.path;
    if (path.length === 0) {
      if (op.op === 'set') root = op.value;
      continue;
    }
    let at: unknown = root;
    for (let i = 0; i < path.length - 1; i++) {
      const seg = path[i] as Segment;
      if (Array.isArray(at) && typeof seg === 'number') {
        if (seg >= at.length) throw new PatchError(`index ${seg} is past the end of a list of ${at.length}`, op);
        let next = at[seg];
        if (isContainer(next)) {
          const mine = own(next, path, i + 1);
          if (mine !== next) at[seg] = next = mine;
        }
        at = next;
        continue;
      }
      if (!isObject(at)) throw new PatchError('patch paths go through objects', op);
      const key = String(seg);
      let next = at[key];
      if (next === undefined) {
        next = {};
        fresh.add(next as Obj);
        at[key] = next;
      } else if (isContainer(next)) {
        const mine = own(next, path, i + 1);
        if (mine !== next) at[key] = next = mine;
      }
      at = next;
    }
    const last = path[path.length - 1] as Segment;
    switch (op.op) {
      case 'insert': {
        if (typeof last !== 'number') throw new PatchError('an insert ends at an index', op);
        if (!Array.isArray(at)) throw new PatchError('inserts go into lists', op);
        at.splice(Math.min(last, at.length), 0, op.value);
        break;
      }
      case 'trim': {
        if (typeof last !== 'string') throw new PatchError('a trim ends at a key', op);
        if (!isObject(at)) break;
        const list = at[last];
        if (!Array.isArray(list) || list.length <= op.len) break;
        const mine = own(list, path, path.length);
        mine.length = op.len;
        at[last] = mine;
        break;
      }
      case 'set':
      case 'remove': {
        if (typeof last !== 'string') throw new PatchError(`a ${op.op} ends at a key`, op);
        if (!isObject(at)) throw new PatchError('patch paths go through objects', op);
        if (op.op === 'set') at[last] = op.value;
        else delete at[last];
        break;
      }
      default:
        return unknownOp(op);
    }
  }
  return root as T;
}

function unknownOp(op: never): never {
  throw new PatchError('unknown op', op);
}

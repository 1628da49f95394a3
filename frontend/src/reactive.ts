// Binding the DOM to signals (model.ts): `watch` runs a piece of drawing again whenever a
// signal it read changes; `each` keeps one element per key of a list, made once per key, so
// that a change to one entry redraws that entry's element only.
//
// @preact/signals-core's effects have no owner: an effect made while another runs lives on by
// itself. `owned` collects the watchers made while it runs, so a list item's watchers are
// disposed with the item.

import { effect, untracked } from '@preact/signals-core';
import type { ReadonlySignal } from '@preact/signals-core';

export type Dispose = () => void;

let scope: Dispose[] | null = null;

/** Runs `fn` now and again whenever a signal it read changes; disposed with the enclosing `owned`. */
export function watch(fn: () => void): Dispose {
  const dispose = effect(() => {
    fn();
  });
  scope?.push(dispose);
  return dispose;
}

/** Runs `fn` when the enclosing `owned` is disposed (e.g. a list item removed). */
export function onDispose(fn: Dispose): void {
  scope?.push(fn);
}

/** Runs `make` without subscribing to what it reads; returns its result and a disposer of the watchers it made. */
export function owned<T>(make: () => T): [T, Dispose] {
  const outer = scope;
  const mine: Dispose[] = [];
  scope = mine;
  try {
    const made = untracked(make);
    return [
      made,
      () => {
        for (const d of mine.splice(0)) d();
      },
    ];
  } finally {
    scope = outer;
  }
}

export interface EachOptions {
  /** Shown while the list is empty. */
  empty?: Node;
}

/**
 * Keeps `parent`'s children one per key of `keys`, in its order: `make(key, added)` builds an
 * item once (its watchers redraw it; `added` is false while the list is drawn the first time), items whose key goes are removed and their watchers disposed,
 * and existing items are moved only when the order changed (items that stay in place are not
 * touched, so an aria-live region announces only the new ones). `parent` holds nothing else.
 */
export function each(parent: Element, keys: ReadonlySignal<readonly string[]>, make: (key: string, added: boolean) => Node, opts: EachOptions = {}): Dispose {
  const items = new Map<string, { node: Node; dispose: Dispose }>();
  let drawn = false;
  const stop = watch(() => {
    const wanted = keys.value;
    untracked(() => {
      // Whether a new key is added to a list already drawn (rather than drawn the first time).
      const added = drawn;
      if (wanted.length) drawn = true;
      const keep = new Set(wanted);
      for (const [k, item] of items) {
        if (keep.has(k)) continue;
        item.dispose();
        item.node.parentNode?.removeChild(item.node);
        items.delete(k);
      }
      if (opts.empty && opts.empty.parentNode === parent && wanted.length) parent.removeChild(opts.empty);
      let next: ChildNode | null = parent.firstChild;
      for (const k of wanted) {
        let item = items.get(k);
        if (!item) {
          const [node, dispose] = owned(() => make(k, added));
          item = { node, dispose };
          items.set(k, item);
        }
        if (item.node === next) next = next.nextSibling;
        else parent.insertBefore(item.node, next);
      }
      if (opts.empty && !wanted.length && opts.empty.parentNode !== parent) parent.append(opts.empty);
    });
  });
  return () => {
    stop();
    for (const item of items.values()) item.dispose();
    items.clear();
  };
}

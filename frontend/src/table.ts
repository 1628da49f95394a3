// Tables: the accessible alternative to every chart, and plain data tables.

import type { ReadonlySignal } from '@preact/signals-core';
import { h } from './dom';
import { each } from './reactive';

export type Cell = string | number | Node;

export function dataTable(caption: string, head: string[], rows: Cell[][], opts: { numericFrom?: number; className?: string } = {}): HTMLTableElement {
  const numericFrom = opts.numericFrom ?? 1;
  const thead = h('thead', {}, h('tr', {}, ...head.map((c, i) => h('th', { scope: 'col', class: i >= numericFrom ? 'num' : null }, c))));
  const tbody = h(
    'tbody',
    {},
    ...rows.map((r) =>
      h(
        'tr',
        {},
        ...r.map((c, i) => {
          const content = c instanceof Node ? c : String(c);
          return i === 0 ? h('th', { scope: 'row' }, content) : h('td', { class: i >= numericFrom ? 'num' : null }, content);
        }),
      ),
    ),
  );
  return h('table', { class: opts.className ?? 'data' }, h('caption', {}, caption), thead, tbody);
}

/**
 * The box a wide table scrolls sideways in (on a phone): a named region that takes the
 * keyboard's focus, so that someone without a mouse or touch screen can scroll it too (axe's
 * scrollable-region-focusable).
 */
export function scrollBox(label: string, attrs: Record<string, string> = {}, ...children: Node[]): HTMLDivElement {
  return h('div', { class: 'table-scroll', role: 'region', tabindex: '0', 'aria-label': label, ...attrs }, ...children);
}

/** A chart with its data as a table behind a toggle ("Show as table"). */
export function chartWithTable(chart: HTMLElement, table: HTMLElement): HTMLElement {
  const details = h('details', { class: 'as-table' }, h('summary', {}, 'Show as table'), table);
  return h('figure', { class: 'chart-figure' }, chart, details);
}

/** Where a column is numeric, and whether a phone leaves it out (`narrow`: column indexes). */
export interface ColumnOptions {
  numericFrom?: number;
  /** Columns left out on narrow screens (a phone), where the table would otherwise scroll sideways. */
  narrow?: readonly number[];
}

function cellClass(i: number, opts: ColumnOptions): string | null {
  const c = [i >= (opts.numericFrom ?? 1) ? 'num' : '', opts.narrow?.includes(i) ? 'wide-only' : ''].filter(Boolean).join(' ');
  return c || null;
}

/** An empty row of `n` cells (the first a row header), for a live table to fill. */
export function tableRow(n: number, opts: ColumnOptions = {}): { tr: HTMLTableRowElement; cells: HTMLElement[] } {
  const cells: HTMLElement[] = [];
  for (let i = 0; i < n; i++) cells.push(i === 0 ? h('th', { scope: 'row' }) : h('td', { class: cellClass(i, opts) }));
  return { tr: h('tr', {}, ...cells), cells };
}

/**
 * A table whose rows follow a keyed list (see `each` in reactive.ts): `row(key)` makes a row
 * once, and its own watchers keep it current; only rows whose key comes or goes are added or
 * removed. The caption is set by the caller (it is returned with the table).
 */
export function liveTable(
  head: string[],
  keys: ReadonlySignal<readonly string[]>,
  row: (key: string) => HTMLTableRowElement,
  opts: ColumnOptions & { className?: string } = {},
): { table: HTMLTableElement; caption: HTMLTableCaptionElement } {
  const caption = h('caption');
  const tbody = h('tbody');
  each(tbody, keys, (key) => row(key));
  const thead = h('thead', {}, h('tr', {}, ...head.map((c, i) => h('th', { scope: 'col', class: cellClass(i, opts) }, c))));
  return { table: h('table', { class: opts.className ?? 'data' }, caption, thead, tbody), caption };
}

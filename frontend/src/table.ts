// Tables: the accessible alternative to every chart, and plain data tables.

import { h } from './dom';

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

/** A chart with its data as a table behind a toggle ("Show as table"). */
export function chartWithTable(chart: HTMLElement, table: HTMLElement): HTMLElement {
  const details = h('details', { class: 'as-table' }, h('summary', {}, 'Show as table'), table);
  return h('figure', { class: 'chart-figure' }, chart, details);
}

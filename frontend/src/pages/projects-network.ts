// Who learns from whom: the BCN exchanges as a network of members, an arrow from the sending
// member to the hosting one, its width the number of exchanges (GET /bcn/network counts the
// pairs by status; declined applications did not happen and are left out). Drawn on the
// Secretariat page (light) and as a wall panel (dark, type for the back of the room), each
// with the same counts as a table for those who do not read the picture.

import { GraphChart } from 'echarts/charts';
import * as echarts from 'echarts/core';
import type { components } from '../generated/api';
import { makeChart, type Chart } from '../charts';
import { OKABE_ITO } from '../palette';
import { dataTable } from '../table';

echarts.use([GraphChart]);

export type BcnPair = components['schemas']['BcnPair'];

/** The exchanges that count: approved or still pending (declined ones did not happen). */
export function exchanges(p: BcnPair): number {
  return p.approved + p.pending;
}

/** Nodes (every member in a pair, placed on a circle in name order) and arrows, for the graph series. */
export function networkData(pairs: readonly BcnPair[], names: ReadonlyMap<string, string>) {
  const kept = pairs.filter((p) => exchanges(p) > 0);
  const members = [...new Set(kept.flatMap((p) => [p.sender, p.host]))].sort((a, b) => (names.get(a) ?? a).localeCompare(names.get(b) ?? b));
  const sent = new Map<string, number>();
  const hosted = new Map<string, number>();
  for (const p of kept) {
    sent.set(p.sender, (sent.get(p.sender) ?? 0) + exchanges(p));
    hosted.set(p.host, (hosted.get(p.host) ?? 0) + exchanges(p));
  }
  const max = Math.max(1, ...kept.map(exchanges));
  return {
    nodes: members.map((iso3) => ({
      id: iso3,
      name: names.get(iso3) ?? iso3,
      value: (sent.get(iso3) ?? 0) + (hosted.get(iso3) ?? 0),
      sent: sent.get(iso3) ?? 0,
      hosted: hosted.get(iso3) ?? 0,
    })),
    links: kept.map((p) => ({ source: p.sender, target: p.host, value: exchanges(p), lineStyle: { width: 1.5 + (6 * exchanges(p)) / max } })),
  };
}

/** The graph chart in `el`; `dark` for the wall. Returns a function that draws new pairs. */
export function networkChart(el: HTMLElement, dark: boolean, fontSize: number): (pairs: readonly BcnPair[], names: ReadonlyMap<string, string>) => void {
  const text = dark ? '#f0f0f0' : '#16191d';
  const chart: Chart = makeChart(
    el,
    {
      backgroundColor: 'transparent',
      tooltip: {
        formatter: (p: { dataType?: string; data: { name?: string; source?: string; target?: string; value?: number; sent?: number; hosted?: number } }) =>
          p.dataType === 'edge' ? `${p.data.source} → ${p.data.target}: ${p.data.value}` : `${p.data.name}: sent ${p.data.sent}, hosted ${p.data.hosted}`,
      },
      series: [
        {
          type: 'graph',
          layout: 'circular',
          circular: { rotateLabel: false },
          roam: false,
          edgeSymbol: ['none', 'arrow'],
          edgeSymbolSize: [0, fontSize * 0.7],
          label: { show: true, position: 'right', color: text, fontSize, formatter: '{b}' },
          itemStyle: { color: OKABE_ITO.blue, borderColor: dark ? '#0b0f14' : '#ffffff', borderWidth: 1 },
          lineStyle: { color: dark ? OKABE_ITO.skyBlue : OKABE_ITO.orange, opacity: 0.85, curveness: 0.15 },
          emphasis: { focus: 'adjacency' },
          top: fontSize * 2,
          bottom: fontSize * 2,
          left: fontSize * 6,
          right: fontSize * 8,
          data: [],
          links: [],
        },
      ],
    },
    dark,
  );
  return (pairs, names) => {
    const d = networkData(pairs, names);
    const max = Math.max(1, ...d.nodes.map((n) => n.value));
    // A phone: the circle takes the width, the names (on its right) the room left beside it.
    const narrow = el.clientWidth > 0 && el.clientWidth < 600;
    const margins = narrow ? { left: 8, right: fontSize * 7, top: fontSize, bottom: fontSize } : { left: fontSize * 6, right: fontSize * 8, top: fontSize * 2, bottom: fontSize * 2 };
    chart.setOption({ series: [{ ...margins, data: d.nodes.map((n) => ({ ...n, symbolSize: fontSize * (0.6 + (0.9 * n.value) / max) })), links: d.links }] });
    el.dataset.pairs = d.links.map((l) => `${l.source}>${l.target}:${l.value}`).join(' ');
  };
}

/** The network as a table: sending member, hosting member, and the applications by status. */
export function networkTable(pairs: readonly BcnPair[], names: ReadonlyMap<string, string>): HTMLTableElement {
  const rows = [...pairs]
    .sort((a, b) => exchanges(b) - exchanges(a) || a.sender.localeCompare(b.sender))
    .map((p) => [names.get(p.sender) ?? p.sender, names.get(p.host) ?? p.host, String(p.approved), String(p.pending), String(p.declined)]);
  return dataTable('BCN exchanges: sending member → hosting member', ['Sending', 'Hosting', 'Approved', 'Pending', 'Declined'], rows, { numericFrom: 2 });
}

/** A caption under the picture: how many exchanges between how many members. */
export function networkSummary(pairs: readonly BcnPair[]): string {
  const n = pairs.reduce((s, p) => s + exchanges(p), 0);
  const members = new Set(pairs.filter((p) => exchanges(p) > 0).flatMap((p) => [p.sender, p.host])).size;
  return n ? `${n} exchange${n === 1 ? '' : 's'} approved or pending between ${members} members; the arrow points from the sending member to the host, its width the number of exchanges.` : 'No exchange yet.';
}

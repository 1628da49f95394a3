// The 21 members on a map of Asia and the Pacific, from world-atlas (Natural Earth 1:110m),
// drawn as SVG with an equirectangular projection centred on the region. Longitudes west of
// 25° W are moved by 360° so that Fiji, which straddles 180°, is drawn whole east of Asia.
// Hong Kong and Singapore are too small for 1:110m and are drawn as circles at their position.

import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import world from 'world-atlas/countries-110m.json';

const SVG = 'http://www.w3.org/2000/svg';
const VIEW = { west: 24, east: 192, north: 56, south: -24 };
const W = 840;
const H = (W * (VIEW.north - VIEW.south)) / (VIEW.east - VIEW.west);

/** Members too small to see at this scale: [lon, lat]. */
export const MARKERS: Record<string, [number, number]> = { '344': [114.17, 22.32], '702': [103.82, 1.35] };

type Ring = [number, number][];

export interface MapDatum {
  isoNum: string;
  label: string;
  colour: string;
  title: string;
}

/**
 * Moves a ring lying west of 25° W to the east of 180°, so the Pacific reads continuously. A ring
 * that crosses 180° (world-atlas closes some at −180, e.g. Fiji's Vanua Levu) has its western
 * points moved, so it is drawn as one island instead of a band across the map.
 */
export function shiftRing(ring: Ring): Ring {
  const lons = ring.map((p) => p[0]);
  const max = Math.max(...lons);
  const min = Math.min(...lons);
  if (max < -25) return ring.map(([x, y]) => [x + 360, y]);
  if (max - min > 180) return ring.map(([x, y]) => [x < 0 ? x + 360 : x, y]);
  return ring;
}

export function project([lon, lat]: [number, number]): [number, number] {
  return [((lon - VIEW.west) / (VIEW.east - VIEW.west)) * W, ((VIEW.north - lat) / (VIEW.north - VIEW.south)) * H];
}

function ringPath(ring: Ring): string {
  return ring.map((p, i) => {
    const [x, y] = project(p);
    return `${i ? 'L' : 'M'}${x.toFixed(1)} ${y.toFixed(1)}`;
  }).join('') + 'Z';
}

function inView(rings: Ring[]): boolean {
  return rings.some((r) => r.some(([x, y]) => x >= VIEW.west - 10 && x <= VIEW.east + 10 && y <= VIEW.north + 10 && y >= VIEW.south - 10));
}

export interface Shape {
  id: string;
  name: string;
  rings: Ring[];
}

let shapes: Shape[] | null = null;
export function countryShapes(): Shape[] {
  if (shapes) return shapes;
  const topo = world as unknown as Topology<{ countries: GeometryCollection<{ name: string }> }>;
  const fc = feature(topo, topo.objects.countries);
  shapes = [];
  for (const f of fc.features) {
    const g = f.geometry;
    if (!g) continue;
    const polys: Ring[][] = g.type === 'Polygon' ? [g.coordinates as Ring[]] : g.type === 'MultiPolygon' ? (g.coordinates as Ring[][]) : [];
    const rings = polys.flat().map(shiftRing);
    if (inView(rings)) shapes.push({ id: String(f.id ?? ''), name: f.properties?.name ?? '', rings });
  }
  return shapes;
}

/** The map: members filled by `data` (keyed by ISO numeric code), others in a light neutral. */
export function memberMap(data: MapDatum[], label: string): SVGSVGElement {
  const byId = new Map(data.map((d) => [d.isoNum, d]));
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H.toFixed(0)}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  for (const s of countryShapes()) {
    const d = byId.get(s.id);
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', s.rings.map(ringPath).join(''));
    path.setAttribute('fill', d ? d.colour : '#dde3e8');
    path.setAttribute('stroke', d ? '#333' : '#fff');
    path.setAttribute('stroke-width', d ? '0.6' : '0.4');
    path.setAttribute('fill-rule', 'evenodd');
    if (d) {
      path.dataset.member = d.label;
      const t = document.createElementNS(SVG, 'title');
      t.textContent = d.title;
      path.append(t);
    }
    svg.append(path);
  }
  for (const [id, lonlat] of Object.entries(MARKERS)) {
    const d = byId.get(id);
    if (!d) continue;
    const [x, y] = project(lonlat);
    const c = document.createElementNS(SVG, 'circle');
    c.setAttribute('cx', x.toFixed(1));
    c.setAttribute('cy', y.toFixed(1));
    c.setAttribute('r', '7');
    c.setAttribute('fill', d.colour);
    c.setAttribute('stroke', '#000');
    c.setAttribute('stroke-width', '1.5');
    c.dataset.member = d.label;
    const t = document.createElementNS(SVG, 'title');
    t.textContent = d.title;
    c.append(t);
    const text = document.createElementNS(SVG, 'text');
    text.setAttribute('x', (x + 10).toFixed(1));
    text.setAttribute('y', (y + 4).toFixed(1));
    text.setAttribute('font-size', '13');
    text.textContent = d.label;
    svg.append(c, text);
  }
  return svg;
}

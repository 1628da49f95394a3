// A small inline SVG chart of a key result's actual against its target, one point per year.
// Decorative for screen readers: the same numbers are in a table beside it.

const SVG = 'http://www.w3.org/2000/svg';

export interface YearPoint {
  year: number;
  target: number | null;
  actual: number | null;
}

export function sparkline(points: YearPoint[], colours: { target: string; actual: string }): SVGSVGElement {
  const w = 120;
  const hgt = 36;
  const pad = 4;
  const values = points.flatMap((p) => [p.target, p.actual]).filter((v): v is number => v !== null);
  const lo = values.length ? Math.min(...values) : 0;
  const hi = values.length ? Math.max(...values) : 1;
  const span = hi - lo || 1;
  const x = (i: number) => pad + (points.length > 1 ? (i * (w - 2 * pad)) / (points.length - 1) : (w - 2 * pad) / 2);
  const y = (v: number) => hgt - pad - ((v - lo) * (hgt - 2 * pad)) / span;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${hgt}`);
  svg.setAttribute('width', String(w));
  svg.setAttribute('height', String(hgt));
  svg.setAttribute('aria-hidden', 'true');
  svg.classList.add('sparkline');
  const line = (key: 'target' | 'actual', colour: string, dash: string) => {
    let d = '';
    points.forEach((p, i) => {
      const v = p[key];
      if (v === null) return;
      d += `${d ? 'L' : 'M'}${x(i).toFixed(1)} ${y(v).toFixed(1)}`;
      const c = document.createElementNS(SVG, key === 'actual' ? 'circle' : 'rect');
      if (key === 'actual') {
        c.setAttribute('cx', x(i).toFixed(1));
        c.setAttribute('cy', y(v).toFixed(1));
        c.setAttribute('r', '3');
      } else {
        c.setAttribute('x', (x(i) - 2.5).toFixed(1));
        c.setAttribute('y', (y(v) - 2.5).toFixed(1));
        c.setAttribute('width', '5');
        c.setAttribute('height', '5');
      }
      c.setAttribute('fill', colour);
      svg.append(c);
    });
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', d);
    path.setAttribute('fill', 'none');
    path.setAttribute('stroke', colour);
    path.setAttribute('stroke-width', '1.5');
    if (dash) path.setAttribute('stroke-dasharray', dash);
    svg.prepend(path);
  };
  line('target', colours.target, '3 2');
  line('actual', colours.actual, '');
  return svg;
}

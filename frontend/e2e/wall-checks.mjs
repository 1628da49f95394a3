// What the wall shows, read from its DOM, and what it should show, computed from GET /dashboard
// with the same formatting (en-US); and what a QR code on a page says, read from a screenshot.

import jsQR from 'jsqr';

const pct = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 0 });
const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const fmt = (v) => (v === null || v === undefined ? '–' : pct.format(v));

export function expectedWall(d) {
  const out = {};
  const total = Object.keys(d.members).length;
  out.overall = fmt(d.overall.score);
  for (const p of ['1', '2', '3', '4']) {
    const x = d.pillars[p];
    out[`pillar-${p}`] = fmt(x.score);
    out[`pillar-${p}-scored`] = `${int.format(x.members_scored)}/${int.format(total)} members`;
    out[`pillar-${p}-chips`] = ['achieved', 'on_track', 'at_risk', 'off_track', 'no_data'].map((s) => int.format(x.status_counts[s])).join(',');
  }
  // A cell: its score ("–" without one) and its coverage, key results with data of key results
  // ("3/8"), both empty where the member has no key result in the pillar.
  const withData = (c) => (c?.krs ? Math.round((c.coverage ?? 0) * c.krs) : 0);
  const cell = (score, krs, w) => (krs ? `${fmt(score)}|${int.format(w)}/${int.format(krs)}` : '|');
  for (const [iso3, m] of Object.entries(d.members)) {
    let all = 0;
    for (const p of ['1', '2', '3', '4']) {
      const c = m.pillars[p];
      out[`${iso3}-${p}`] = cell(c?.score, c?.krs, withData(c));
      all += withData(c);
    }
    out[`${iso3}-all`] = cell(m.score, m.krs, all);
  }
  for (const s of ['none', 'draft', 'submitted', 'endorsed']) out[`primers-${s}`] = int.format(d.primers[s]);
  return out;
}

export async function readWall(page) {
  return page.evaluate(() => {
    const text = (sel) => document.querySelector(sel)?.textContent ?? null;
    const values = {};
    values.overall = text('[data-testid=overall-score]');
    for (const p of ['1', '2', '3', '4']) {
      const tile = document.querySelector(`[data-panel=main] .tile[data-pillar="${p}"]`);
      values[`pillar-${p}`] = text(`[data-testid=pillar-${p}-score]`);
      values[`pillar-${p}-scored`] = tile?.querySelectorAll('.tile-sub')[0]?.textContent ?? null;
      values[`pillar-${p}-chips`] = [...(tile?.querySelectorAll('.chip') ?? [])].map((c) => c.textContent).join(',');
    }
    for (const td of document.querySelectorAll('[data-cell]')) {
      values[td.getAttribute('data-cell')] = `${td.querySelector('.cell-score')?.textContent ?? ''}|${td.querySelector('.cell-cov')?.textContent ?? ''}`;
    }
    for (const s of ['none', 'draft', 'submitted', 'endorsed']) values[`primers-${s}`] = text(`[data-testid=primers-${s}]`);
    return { values, joinUrl: text('[data-testid=join-url]') ?? '' };
  });
}

/**
 * The WCAG contrast of each visible score cell's text against its rendered background (the
 * heat map's cells, the focus panel's scores), from the computed colours; the cells under
 * `min`, and how many were measured.
 */
export async function cellContrast(page, min = 3) {
  return page.evaluate((least) => {
    const rgb = (c) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]) => {
      const f = (v) => ((v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    /** The colour behind an element: its own background, else its nearest painted ancestor's. */
    const behind = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length >= 3 && (c.length < 4 || c[3] > 0)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const bad = [];
    let measured = 0;
    for (const cell of document.querySelectorAll('[data-cell], .focus-score')) {
      if (!cell.textContent.trim() || cell.closest('[hidden]') || cell.getClientRects().length === 0) continue;
      for (const t of [cell, ...cell.querySelectorAll('*')]) {
        if (![...t.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
        const fg = rgb(getComputedStyle(t).color).slice(0, 3);
        const bg = behind(t);
        const [a, b] = [lum(fg), lum(bg)];
        const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        measured++;
        if (ratio < least) bad.push({ cell: cell.getAttribute('data-cell') ?? cell.textContent, fg, bg, ratio: Math.round(ratio * 100) / 100 });
      }
    }
    return { bad, measured };
  }, min);
}

/** Visible score cells whose text is cut off (wider than the cell). */
export async function clippedCells(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('[data-cell], .heatmap tbody th')]
      .filter((c) => c.getClientRects().length && !c.closest('[hidden]') && c.scrollWidth > c.clientWidth + 1)
      .map((c) => `${c.getAttribute('data-cell') ?? c.textContent}: ${c.scrollWidth} > ${c.clientWidth}`),
  );
}

/**
 * The ticker line the server writes for a report (src/analytics/ticker.rs): "Viet Nam · SMEs
 * trained: 395 SMEs in 2026" (then ", 74 % of target" when there is a target; left out here).
 */
export function reportLine(d, kr, year, value) {
  const who = d.members[kr.iso3]?.name ?? kr.iso3;
  const unit = kr.unit.trim();
  return `${who} · ${kr.title}: ${tickerNumber(value)}${unit ? ` ${unit}` : ''} in ${year}`;
}

/** A number as ticker.rs writes it: at most two decimals, no trailing zeros, thousands grouped. */
export function tickerNumber(v) {
  const rounded = Math.round(v * 100) / 100;
  const [int, frac = ''] = Math.abs(rounded).toFixed(2).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const f = frac.replace(/0+$/, '');
  return `${rounded < 0 ? '-' : ''}${grouped}${f ? `.${f}` : ''}`;
}

/** How far the page scrolls beyond the window (0 or less: it does not). */
export async function scrollOverflow(page) {
  return page.evaluate(() => {
    const s = document.scrollingElement;
    return { width: s.scrollWidth - s.clientWidth, height: s.scrollHeight - s.clientHeight };
  });
}

/** Visible text whose computed font size is under `px`. */
export async function fontsUnder(page, px) {
  return page.evaluate((min) => {
    const bad = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.textContent.trim()) continue;
      const el = n.parentElement;
      if (!el || el.closest('[hidden], .sr-only, script, style, noscript')) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const cs = getComputedStyle(el);
      if (cs.visibility === 'hidden' || cs.display === 'none') continue;
      const size = parseFloat(cs.fontSize);
      if (size < min - 0.05) bad.push({ text: n.textContent.trim().slice(0, 40), size });
    }
    return bad;
  }, px);
}

/**
 * The text of the QR code a camera would find in a screenshot of the page (or of `selector`):
 * the PNG is turned into pixels by the page's own image decoder, and read by jsQR. Null when
 * no QR code is found.
 */
export async function decodeQr(page, selector = null) {
  const png = await (selector ? page.locator(selector).screenshot() : page.screenshot());
  const { width, height, data } = await page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    const img = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    let s = '';
    for (let i = 0; i < img.data.length; i += 0x8000) s += String.fromCharCode(...img.data.subarray(i, i + 0x8000));
    return { width: img.width, height: img.height, data: btoa(s) };
  }, png.toString('base64'));
  const found = jsQR(new Uint8ClampedArray(Buffer.from(data, 'base64')), width, height, { inversionAttempts: 'attemptBoth' });
  return found?.data ?? null;
}

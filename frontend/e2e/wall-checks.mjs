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
    out[`pillar-${p}-scored`] = `${int.format(x.members_scored)} of ${int.format(total)} members scored`;
    out[`pillar-${p}-chips`] = ['achieved', 'on_track', 'at_risk', 'off_track', 'no_data'].map((s) => int.format(x.status_counts[s])).join(',');
  }
  // Without a score (while primers are drafted), a cell shows how many key results it holds,
  // as the document counts them (`members.X.pillars.N.krs`, `members.X.krs`).
  const cell = (score, krs) => (score === null || score === undefined ? (krs ? `${int.format(krs)} KR` : '') : pct.format(score));
  for (const [iso3, m] of Object.entries(d.members)) {
    for (const p of ['1', '2', '3', '4']) out[`${iso3}-${p}`] = cell(m.pillars[p]?.score, m.pillars[p]?.krs);
    out[`${iso3}-all`] = cell(m.score, m.krs);
  }
  for (const s of ['none', 'draft', 'submitted', 'endorsed']) out[`primers-${s}`] = `${int.format(d.primers[s])} / ${int.format(total)}`;
  return out;
}

export async function readWall(page) {
  return page.evaluate(() => {
    const text = (sel) => document.querySelector(sel)?.textContent ?? null;
    const values = {};
    values.overall = text('[data-testid=overall-score]');
    for (const p of ['1', '2', '3', '4']) {
      const tile = document.querySelector(`.tile[data-pillar="${p}"]`);
      values[`pillar-${p}`] = text(`[data-testid=pillar-${p}-score]`);
      values[`pillar-${p}-scored`] = tile?.querySelectorAll('.tile-sub')[0]?.textContent ?? null;
      values[`pillar-${p}-chips`] = [...(tile?.querySelectorAll('.chip') ?? [])].map((c) => c.textContent).join(',');
    }
    for (const td of document.querySelectorAll('[data-cell]')) values[td.getAttribute('data-cell')] = td.textContent;
    for (const s of ['none', 'draft', 'submitted', 'endorsed']) values[`primers-${s}`] = text(`[data-testid=primers-${s}]`);
    return { values, joinUrl: text('[data-testid=join-url]') ?? '' };
  });
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

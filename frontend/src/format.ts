// Numbers and times for people: Intl.NumberFormat everywhere, one place for each style.

const locale = typeof navigator !== 'undefined' ? navigator.language || 'en' : 'en';

const pct0 = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 });
const num1 = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
const num2 = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
const int = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 });
const usd0 = new Intl.NumberFormat(locale, { style: 'currency', currency: 'USD', maximumFractionDigits: 0 });
const time = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

export const DASH = '–';

/**
 * `f.format(v)`, except that a value that rounds to zero reads "0", never "-0" (Intl keeps the
 * sign of -0.04 shown to one digit: a TFP growth of -0.04 % is not a fall a reader can see).
 */
function unsigned0(f: Intl.NumberFormat, v: number): string {
  const s = f.format(v);
  return v <= 0 && s === f.format(-0) ? f.format(0) : s;
}

/** A score or ratio in [0, 1] as a percentage; null as a dash. */
export function pct(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? DASH : unsigned0(pct0, v);
}

export function num(v: number | null | undefined, digits: 0 | 1 | 2 = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  return unsigned0(digits === 0 ? int : digits === 1 ? num1 : num2, v);
}

export function count(v: number | null | undefined): string {
  return num(v, 0);
}

export function money(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? DASH : unsigned0(usd0, v);
}

export function short(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? DASH : unsigned0(compact, v);
}

/** hh:mm:ss of a time in ms since the epoch (or an RFC 3339 string), local time. */
export function clock(t: number | string | null | undefined): string {
  if (t === null || t === undefined) return DASH;
  const d = typeof t === 'number' ? new Date(t) : new Date(t);
  return Number.isNaN(d.getTime()) ? DASH : time.format(d);
}

const dateTime = new Intl.DateTimeFormat(locale, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hour12: false });

/** A moment for people: "Sun 6 Dec, 23:49" (local time); null or nonsense as a dash. */
export function when(t: string | null | undefined): string {
  if (!t) return DASH;
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? DASH : dateTime.format(d);
}

const usdCompact = new Intl.NumberFormat(locale, { style: 'currency', currency: 'USD', notation: 'compact', maximumSignificantDigits: 3 });

/** Money in few characters for a wall: "$1.2M", "$850K"; null as a dash. */
export function moneyShort(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? DASH : unsigned0(usdCompact, v);
}

/** "1 key result", "3 key results": a count with its noun, singular for one. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

const hm = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', hour12: false });

/** hh:mm of a time (ms since the epoch or RFC 3339), local time; nonsense as a dash. */
export function clockShort(t: number | string | null | undefined): string {
  if (t === null || t === undefined) return DASH;
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? DASH : hm.format(d);
}

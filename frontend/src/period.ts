// The period (cycle year) a page shows: ?period=YYYY, else this year clamped into 2026–2028.

import { CYCLE_YEARS } from './protocol';

export function clampYear(y: number): number {
  const first = CYCLE_YEARS[0];
  const last = CYCLE_YEARS[CYCLE_YEARS.length - 1] as number;
  return Math.min(last, Math.max(first, y));
}

export function initialPeriod(search: string = location.search, now: Date = new Date()): number {
  const p = Number(new URLSearchParams(search).get('period'));
  if (Number.isInteger(p) && (CYCLE_YEARS as readonly number[]).includes(p)) return p;
  return clampYear(now.getUTCFullYear());
}

// Colour-blind-safe colours (Okabe & Ito, 2008) and what each one means on the dashboard.

import type { KrStatus, PrimerState } from './protocol';

export const OKABE_ITO = {
  black: '#000000',
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  green: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  purple: '#CC79A7',
  grey: '#999999',
} as const;

/** Series colours, in order. */
export const SERIES = [
  OKABE_ITO.blue,
  OKABE_ITO.orange,
  OKABE_ITO.green,
  OKABE_ITO.vermillion,
  OKABE_ITO.purple,
  OKABE_ITO.skyBlue,
  OKABE_ITO.yellow,
  OKABE_ITO.grey,
];

export const STATUS_COLOUR: Record<KrStatus, string> = {
  achieved: OKABE_ITO.blue,
  on_track: OKABE_ITO.skyBlue,
  at_risk: OKABE_ITO.orange,
  off_track: OKABE_ITO.vermillion,
  no_data: OKABE_ITO.grey,
};

/**
 * Text on a status colour: white on the dark blue of achieved (5.2:1), black on the others
 * (white on the vermillion of off track is 3.9:1, black 5.4:1; black on sky blue 9.1:1).
 */
export const STATUS_TEXT: Record<KrStatus, string> = {
  achieved: '#ffffff',
  on_track: '#000000',
  at_risk: '#000000',
  off_track: '#000000',
  no_data: '#000000',
};

export const STATUS_LABEL: Record<KrStatus, string> = {
  achieved: 'Achieved',
  on_track: 'On track',
  at_risk: 'At risk',
  off_track: 'Off track',
  no_data: 'No data',
};

export const PRIMER_COLOUR: Record<PrimerState, string> = {
  none: OKABE_ITO.grey,
  draft: OKABE_ITO.orange,
  submitted: OKABE_ITO.skyBlue,
  endorsed: OKABE_ITO.blue,
};

/** Text on a primer colour (white on the dark blue of endorsed, black on the others). */
export const PRIMER_TEXT: Record<PrimerState, string> = {
  none: '#000000',
  draft: '#000000',
  submitted: '#000000',
  endorsed: '#ffffff',
};

export const PRIMER_LABEL: Record<PrimerState, string> = {
  none: 'None',
  draft: 'Draft',
  submitted: 'Submitted',
  endorsed: 'Endorsed',
};

/**
 * A score in [0, 1] on a sequential, colour-blind-safe scale (light yellow → dark blue, after
 * cividis), with a text colour that reads on it. Null is neutral grey.
 */
export const RAMP = ['#fde737', '#d2d846', '#a8c75c', '#7fb56e', '#57a07c', '#2e8a84', '#1f6f86', '#26537c', '#2c3a6b', '#1f2555'];
export function scoreColour(score: number | null | undefined): { bg: string; fg: string } {
  if (score === null || score === undefined || !Number.isFinite(score)) return { bg: '#3a3f47', fg: '#e8e8e8' };
  const i = Math.min(RAMP.length - 1, Math.max(0, Math.floor(score * RAMP.length)));
  return { bg: RAMP[i] as string, fg: i < 5 ? '#000000' : '#ffffff' };
}

/** The score scale as a CSS gradient, low to high. */
export function rampGradient(): string {
  return `linear-gradient(to right, ${RAMP.join(', ')})`;
}

/**
 * The score scale of the projector wall (dark page, #0b0d10): the same direction as `RAMP`
 * (light yellow low → blue high, interpolated in OKLab) but every step light enough to stand
 * out from the page (at least 5:1 against it) and to carry black text (at least 5.7:1), so
 * that no score reads as an empty cell from the back of a room.
 */
export const WALL_RAMP = ['#fde737', '#d3df51', '#a6d561', '#80ca7a', '#58be90', '#3ab2a5', '#33a5b8', '#3699c9', '#4c8ed2', '#5b83dc'];
/** The wall's "no score" cell: a neutral dark grey with light text. */
export const WALL_NO_SCORE = { bg: '#343a44', fg: '#f0f0f0' } as const;

export function wallScoreColour(score: number | null | undefined): { bg: string; fg: string } {
  if (score === null || score === undefined || !Number.isFinite(score)) return { ...WALL_NO_SCORE };
  const i = Math.min(WALL_RAMP.length - 1, Math.max(0, Math.floor(score * WALL_RAMP.length)));
  return { bg: WALL_RAMP[i] as string, fg: '#000000' };
}

/** The wall's score scale as a CSS gradient, low to high. */
export function wallRampGradient(): string {
  return `linear-gradient(to right, ${WALL_RAMP.join(', ')})`;
}

/** WCAG 2 relative luminance of a #rrggbb colour. */
export function luminance(hex: string): number {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * (c[0] as number) + 0.7152 * (c[1] as number) + 0.0722 * (c[2] as number);
}

/** WCAG 2 contrast ratio of two #rrggbb colours (1 to 21). */
export function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)];
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}

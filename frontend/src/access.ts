// What the pages decide about access, without touching the DOM or the network (unit tested in
// test/access.test.ts): which `?next=` a sign-in may go on to, how a typed code is read, which
// page a role starts on, and the delegation cards kept for the /cards page.

import type { PrimerStatus, PrintedCard, Role } from './protocol';

/**
 * A `?next=` the sign-in page may go on to: a path on this site, starting with a single '/'
 * (not '//', which a browser reads as another host, and no backslash, which some read as '/').
 * Anything else, or a path that leads back to the sign-in page, gives null.
 */
export function safeNext(next: string | null | undefined): string | null {
  if (!next) return null;
  if (!next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return null;
  // Control characters (a tab or newline inside "/\t/evil.example") are dropped by URL parsers.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(next)) return null;
  const path = next.split(/[?#]/, 1)[0] ?? '';
  if (path.replace(/\/+$/, '') === '/signin') return null;
  return next;
}

/** The sign-in page's address that comes back to `here` (a path with its query) afterwards. */
export function signinUrl(here: string, error?: string): string {
  const q = new URLSearchParams();
  const next = safeNext(here);
  if (next && next !== '/') q.set('next', next);
  if (error) q.set('error', error);
  const s = q.toString();
  return s ? `/signin?${s}` : '/signin';
}

/** Where a role starts (what the server's /join/{code} redirects to). */
export function homeFor(role: Role | null | undefined, member?: string | null): string {
  switch (role) {
    case 'secretariat':
      return '/secretariat';
    case 'editor':
      return member ? `/delegate?member=${encodeURIComponent(member)}` : '/delegate';
    default:
      return '/delegate';
  }
}

/** The characters of codes (the server's `CODE_ALPHABET`): no look-alikes such as 0/O or 1/I. */
export const CODE_ALPHABET = 'ACEFHJKMNPRTWXY34679';
export const JOIN_CODE_LEN = 6;
export const CARD_CODE_LEN = 12;
export const LINK_CODE_LEN = 20;

export type ReadCode =
  | { ok: true; code: string; kind: 'join' | 'card' | 'link' }
  | { ok: false; message: string };

/**
 * A typed code as the server reads it: upper case, without spaces or dashes. The length says
 * what it is (6: the workshop's join code; 12: a delegation card; 20: a link); a message says
 * what is wrong otherwise, so that a person can fix it before anything is sent.
 */
export function readCode(typed: string): ReadCode {
  const code = typed.replace(/[\s\-\u2010-\u2015]+/g, '').toUpperCase();
  if (!code) return { ok: false, message: 'Type the code from the wall or from your delegation card.' };
  const odd = [...new Set([...code].filter((c) => !CODE_ALPHABET.includes(c)))];
  if (odd.length) {
    const hint = odd.some((c) => '0OQDGU1IL2Z5S8BV'.includes(c)) ? ' (codes never use 0, O, 1, I, L, 2, Z, 5, S, 8, B, D, G, Q, U or V)' : '';
    return { ok: false, message: `“${odd.join('')}” is not in any code${hint}. Check the code and type it again.` };
  }
  if (code.length === JOIN_CODE_LEN) return { ok: true, code, kind: 'join' };
  if (code.length === CARD_CODE_LEN) return { ok: true, code, kind: 'card' };
  if (code.length === LINK_CODE_LEN) return { ok: true, code, kind: 'link' };
  return {
    ok: false,
    message: `That is ${code.length} characters: the workshop's code has 6 (on the wall), a delegation card's 12 (like ACEF-HJKM-NPRT).`,
  };
}

/** A card code grouped by four for reading (ACEFHJKMNPRT → ACEF-HJKM-NPRT); shorter codes whole. */
export function groupCode(code: string): string {
  const c = code.replace(/-/g, '');
  return c.length <= JOIN_CODE_LEN ? c : (c.match(/.{1,4}/g) ?? [c]).join('-');
}

// ---- the delegation cards kept for /cards ----

/** The cards the Secretariat was last given (the server shows them once), for /cards to print. */
export interface StoredCards {
  workshopId: string;
  title: string;
  /** What was issued: "when the workshop opened", "unused cards reissued", … */
  what: string;
  /** The address people type the code at: `{public_url}/signin`. */
  publicUrl: string;
  issuedAt: string;
  expiresAt: string;
  cards: PrintedCard[];
}

export const CARDS_KEY = 'apo.cards';

const isCard = (c: unknown): c is PrintedCard => {
  if (typeof c !== 'object' || c === null) return false;
  const o = c as Record<string, unknown>;
  return ['iso3', 'member', 'code', 'url'].every((k) => typeof o[k] === 'string' && (o[k] as string).length > 0);
};

/** Reads what `storeCards` wrote; anything else (nothing, an old shape, damage) gives null. */
export function parseCards(text: string | null): StoredCards | null {
  if (!text) return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const strings = ['workshopId', 'title', 'what', 'publicUrl', 'issuedAt', 'expiresAt'];
  if (!strings.every((k) => typeof o[k] === 'string')) return null;
  if (!Array.isArray(o.cards) || !o.cards.every(isCard)) return null;
  return v as StoredCards;
}

/** A URL shown to people without its scheme and trailing slash (10.0.0.5:8080/signin). */
export function shortUrl(url: string): string {
  return url.replace(/^https?:\/\//, '').replace(/\/+$/, '');
}

// ---- what a session may do ----

/** The part of a session (`GET /session`) these decisions need. */
export interface Who {
  signed_in: boolean;
  role?: Role | null;
  member?: string | null;
  public_read: boolean;
}

/** Whether the pages can be read: signed in (not with a metrics token), or reads are public. */
export function canRead(s: Who): boolean {
  return s.public_read || (s.signed_in && !!s.role && s.role !== 'metrics');
}

/** Whether this session may change `iso3`'s primer and report its actuals (the server's `Principal::may_edit`). */
export function mayEdit(s: Who | null, iso3: string): boolean {
  if (!s?.signed_in) return false;
  if (s.role === 'secretariat') return true;
  return s.role === 'editor' && !!iso3 && s.member === iso3;
}

/**
 * The statuses a primer now at `from` (null: none yet) may be saved with by this role, as the
 * server allows them: the Secretariat any; an editor drafts and submits, but never endorses
 * nor returns a submitted primer to draft (so a submitted or endorsed primer is read-only to
 * an editor: an empty list).
 */
export function statusesFor(role: Role | null | undefined, from: PrimerStatus | null): PrimerStatus[] {
  if (role === 'secretariat') return ['draft', 'submitted', 'endorsed'];
  if (role !== 'editor') return [];
  return from === null || from === 'draft' ? ['draft', 'submitted'] : [];
}

/** "Secretariat", "editor of VNM", "viewer". */
export function roleText(role: Role | null | undefined, member?: string | null): string {
  if (!role) return '';
  if (role === 'secretariat') return 'Secretariat';
  return role === 'editor' && member ? `editor of ${member}` : role;
}

// ---- the wall's join box ----

export interface WallJoin {
  /** What the QR code holds: the open workshop's join URL, else the delegate page. */
  qr: string;
  /** The join code shown in large type (none without an open workshop). */
  code: string | null;
  /** Where a code is typed: `{public_url}/signin`. */
  typeAt: string;
}

/**
 * What the wall's join box shows, from the session: always the server's public URL (what the
 * room's phones reach), never the address the projector's browser happens to use.
 */
export function wallJoin(s: { public_url: string; join_url?: string | null; workshop?: { join_code: string; open: boolean } | null }): WallJoin {
  const base = s.public_url.replace(/\/+$/, '');
  const open = s.workshop?.open && s.join_url ? s.workshop : null;
  return { qr: open ? (s.join_url as string) : `${base}/delegate`, code: open ? open.join_code : null, typeAt: `${base}/signin` };
}

/** A join code in two halves for reading off a wall (JNR769 → JNR, 769). */
export function codeHalves(code: string): [string, string] {
  const half = Math.ceil(code.length / 2);
  return [code.slice(0, half), code.slice(half)];
}

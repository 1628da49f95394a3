// The browser's session: who it is (`GET /api/v1/session`), loaded once when a page starts
// (main.ts) and held here for the navigation bar and the pages; signing in, joining with a
// code, and signing out. The credential itself is an HttpOnly cookie the page never sees.

import { del, get, post } from './api';
import type { SessionInfo } from './protocol';

let current: SessionInfo | null = null;

/** The session as last loaded (null: not loaded, or the server could not be reached). */
export function session(): SessionInfo | null {
  return current;
}

export async function loadSession(): Promise<SessionInfo> {
  current = await get<SessionInfo>('/session');
  return current;
}

/** Signs in with a token (`apo_…`): the server sets the session cookie. */
export async function signIn(token: string): Promise<SessionInfo> {
  current = await post<SessionInfo>('/session', { token: token.trim() });
  return current;
}

/** Joins with a code: the workshop's (a viewer) or a delegation card's (that member's editor, once). */
export async function joinWith(code: string): Promise<SessionInfo> {
  current = await post<SessionInfo>('/session/join', { code });
  return current;
}

export async function signOut(): Promise<void> {
  await del<null>('/session');
  current = null;
}

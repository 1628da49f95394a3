// REST calls under /api/v1. A 4xx/5xx becomes an ApiError carrying the server's details, so a
// form can show each message next to the field it names.
//
// Who is asking is the browser's session cookie (HttpOnly, sent by the browser itself): nothing
// here names the person. A read refused with 401 (not signed in, or the session ended) sends
// the person to the sign-in page, which comes back here afterwards; a refused change stays on
// the page and says why where it was made (`describeError`).

import { signinUrl } from './access';
import type { ErrorBody, ErrorDetail } from './protocol';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[],
    /** Seconds to wait, from a 429's Retry-After. */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}

let leaving = false;

/**
 * While the person signs out, the end of their session also closes the live socket (1008),
 * which would send them to sign in a second time, racing the sign-out's own navigation: held
 * off until the sign-out is done or has failed.
 */
export function holdSignInRedirects(hold: boolean): void {
  leaving = hold;
}

/** Sends the person to the sign-in page, to come back to this page (not from the sign-in page itself). */
export function goSignIn(error?: string): void {
  if (leaving || location.pathname.replace(/\/+$/, '') === '/signin') return;
  leaving = true;
  location.assign(signinUrl(location.pathname + location.search, error));
}

async function call<T>(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...extra };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(`/api/v1${path}`, init);
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const e = (json as ErrorBody | null)?.error;
    const wait = Number(res.headers.get('retry-after'));
    const err = new ApiError(res.status, e?.code ?? 'http', e?.message ?? `${res.status} ${res.statusText}`, e?.details ?? [], Number.isFinite(wait) && wait > 0 ? wait : null);
    if (res.status === 401 && method === 'GET') goSignIn();
    throw err;
  }
  return json as T;
}

export const get = <T>(path: string) => call<T>('GET', path);
export const put = <T>(path: string, body: unknown) => call<T>('PUT', path, body);
export const post = <T>(path: string, body?: unknown) => call<T>('POST', path, body);
export const del = <T>(path: string) => call<T>('DELETE', path);

/**
 * A change sent with its idempotency key (the `Idempotency-Key` header): a retry with the same
 * key is answered with the first result and writes nothing again (a server that does not know
 * the header yet ignores it). The key is made once, when the person made the change, and sent
 * unchanged on every retry (offline-queue.ts).
 */
export const sendWithKey = <T>(method: 'POST' | 'PUT', path: string, body: unknown, key: string) => call<T>(method, path, body, { 'Idempotency-Key': key });

/**
 * Whether a failed call is worth trying again later, unchanged: the network failed (no answer),
 * the server failed (5xx), or asked to wait (408, 429). Any other refusal (4xx) answers the
 * change itself: sending it again would be refused again.
 */
export function isRetryable(err: unknown): boolean {
  if (!(err instanceof ApiError)) return true;
  // 409 for a key whose first request is still being served (the answer to it was lost, not the request).
  if (err.status === 409 && /idempotency-key/i.test(err.message)) return true;
  return err.status >= 500 || err.status === 408 || err.status === 429;
}

/**
 * What to tell the person about a failed call, in a sentence: the server's message, with what
 * to do for the statuses of access control (401 sign in again, 403 not allowed, 410 gone, 429
 * wait).
 */
export function describeError(err: unknown): string {
  if (!(err instanceof ApiError)) return `Could not reach the server: ${err instanceof Error ? err.message : String(err)}`;
  const m = sentence(err.message);
  switch (err.status) {
    case 401:
      return `Not signed in: ${m} Sign in again and retry.`;
    case 403:
      return `Not allowed: ${m}`;
    case 410:
      return m;
    case 429:
      return err.retryAfter ? `${m} Try again in ${waitText(err.retryAfter)}.` : `${m} Wait a minute and try again.`;
    default:
      return m;
  }
}

/** A message as a sentence: a capital first, a full stop last. */
export function sentence(s: string): string {
  const t = s.trim();
  if (!t) return t;
  const first = t[0]!.toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

function waitText(seconds: number): string {
  return seconds < 90 ? `${Math.ceil(seconds)} s` : `${Math.ceil(seconds / 60)} minutes`;
}

/**
 * The details that name `field` (exactly, or as a row of a batch: "[0].value" names "value").
 * Details without a field are returned for the empty name.
 */
export function detailsFor(err: ApiError, field: string): string[] {
  return err.details
    .filter((d) => {
      const f = (d.field ?? '').replace(/^\[\d+\]\.?/, '');
      return f === field;
    })
    .map((d) => d.message);
}

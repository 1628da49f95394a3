// REST calls under /api/v1. A 4xx/5xx becomes an ApiError carrying the server's details, so a
// form can show each message next to the field it names.

import type { ErrorBody, ErrorDetail } from './protocol';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[],
  ) {
    super(message);
  }
}

const ACTOR_KEY = 'apo.actor';

export function actor(): string | null {
  try {
    return localStorage.getItem(ACTOR_KEY);
  } catch {
    return null;
  }
}

async function call<T>(method: string, path: string, body?: unknown, who?: string): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const name = who ?? actor();
  if (name) headers['x-actor'] = name;
  const init: RequestInit = { method, headers };
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
    throw new ApiError(res.status, e?.code ?? 'http', e?.message ?? `${res.status} ${res.statusText}`, e?.details ?? []);
  }
  return json as T;
}

export const get = <T>(path: string) => call<T>('GET', path);
export const put = <T>(path: string, body: unknown, who?: string) => call<T>('PUT', path, body, who);
export const post = <T>(path: string, body: unknown, who?: string) => call<T>('POST', path, body, who);

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

import { describe, expect, it } from 'vitest';
import {
  CARDS_KEY,
  canRead,
  codeHalves,
  groupCode,
  homeFor,
  mayEdit,
  parseCards,
  readCode,
  roleText,
  safeNext,
  shortUrl,
  signinUrl,
  statusesFor,
  wallJoin,
} from '../src/access';
import type { StoredCards } from '../src/access';
import { ApiError, describeError } from '../src/api';

describe('the next page after signing in', () => {
  it('is a path on this site', () => {
    expect(safeNext('/delegate')).toBe('/delegate');
    expect(safeNext('/delegate?member=VNM')).toBe('/delegate?member=VNM');
    expect(safeNext('/members/VNM#krs')).toBe('/members/VNM#krs');
    expect(safeNext('/')).toBe('/');
  });

  it('is never another site, a scheme, or something a browser reads as one', () => {
    for (const bad of [
      null,
      undefined,
      '',
      'delegate',
      'https://evil.example/',
      '//evil.example/path',
      '///evil.example',
      '/\\evil.example',
      '\\/evil.example',
      'javascript:alert(1)',
      ' /delegate',
      '/\t/evil.example',
      '/\n/evil.example',
    ]) {
      expect(safeNext(bad), JSON.stringify(bad)).toBeNull();
    }
  });

  it('never leads back to the sign-in page', () => {
    expect(safeNext('/signin')).toBeNull();
    expect(safeNext('/signin/')).toBeNull();
    expect(safeNext('/signin?next=/wall')).toBeNull();
  });

  it('is carried by the sign-in address, with an error when there is one', () => {
    expect(signinUrl('/delegate?member=VNM')).toBe('/signin?next=%2Fdelegate%3Fmember%3DVNM');
    expect(new URLSearchParams(signinUrl('/delegate?member=VNM').split('?')[1]).get('next')).toBe('/delegate?member=VNM');
    expect(signinUrl('/')).toBe('/signin');
    expect(signinUrl('/signin?next=/wall')).toBe('/signin');
    expect(signinUrl('/wall', 'session ended')).toBe('/signin?next=%2Fwall&error=session+ended');
  });

  it('is, without one, the role’s page (as the server’s /join/{code} redirects)', () => {
    expect(homeFor('secretariat')).toBe('/secretariat');
    expect(homeFor('editor', 'VNM')).toBe('/delegate?member=VNM');
    expect(homeFor('editor', null)).toBe('/delegate');
    expect(homeFor('viewer')).toBe('/delegate');
    expect(homeFor(null)).toBe('/delegate');
  });
});

describe('a typed code', () => {
  it('is read whatever its case, spaces and dashes', () => {
    expect(readCode('jnr769')).toEqual({ ok: true, code: 'JNR769', kind: 'join' });
    expect(readCode('  JNR 769 ')).toEqual({ ok: true, code: 'JNR769', kind: 'join' });
    expect(readCode('acef-hjkm-nprt')).toEqual({ ok: true, code: 'ACEFHJKMNPRT', kind: 'card' });
    expect(readCode('ACEF HJKM NPRT')).toEqual({ ok: true, code: 'ACEFHJKMNPRT', kind: 'card' });
    // A dash a phone's keyboard or a copy from a document made typographic.
    expect(readCode('ACEF–HJKM‐NPRT')).toEqual({ ok: true, code: 'ACEFHJKMNPRT', kind: 'card' });
    expect(readCode('ACEFHJKMNPRTWXY34679')).toEqual({ ok: true, code: 'ACEFHJKMNPRTWXY34679', kind: 'link' });
  });

  it('of the wrong length or with characters no code has is explained before it is sent', () => {
    const empty = readCode('  ');
    expect(empty.ok).toBe(false);
    const short = readCode('acef');
    expect(short).toMatchObject({ ok: false });
    expect(!short.ok && short.message).toMatch(/4 characters.*6 \(on the wall\).*12/);
    const lookAlike = readCode('JNR0O9');
    expect(!lookAlike.ok && lookAlike.message).toMatch(/“0O” is not in any code \(codes never use 0, O/);
    const odd = readCode('JNR.69');
    expect(!odd.ok && odd.message).toMatch(/^“\.” is not in any code\. /);
  });

  it('is grouped by four for reading when it is a card’s', () => {
    expect(groupCode('ACEFHJKMNPRT')).toBe('ACEF-HJKM-NPRT');
    expect(groupCode('ACEF-HJKM-NPRT')).toBe('ACEF-HJKM-NPRT');
    expect(groupCode('JNR769')).toBe('JNR769');
    expect(codeHalves('JNR769')).toEqual(['JNR', '769']);
  });
});

describe('what a session may do', () => {
  const s = (role: 'secretariat' | 'editor' | 'viewer' | 'metrics' | null, member: string | null = null, public_read = false) => ({ signed_in: role !== null, role, member, public_read });

  it('reads when signed in (not with a metrics token) or when reads are public', () => {
    expect(canRead(s('viewer'))).toBe(true);
    expect(canRead(s('editor', 'VNM'))).toBe(true);
    expect(canRead(s('metrics'))).toBe(false);
    expect(canRead(s(null))).toBe(false);
    expect(canRead(s(null, null, true))).toBe(true);
  });

  it('edits its own member as an editor, every member as the Secretariat, none as a viewer', () => {
    expect(mayEdit(s('editor', 'VNM'), 'VNM')).toBe(true);
    expect(mayEdit(s('editor', 'VNM'), 'THA')).toBe(false);
    expect(mayEdit(s('secretariat'), 'THA')).toBe(true);
    expect(mayEdit(s('viewer'), 'VNM')).toBe(false);
    expect(mayEdit(s(null, null, true), 'VNM')).toBe(false);
    expect(mayEdit(null, 'VNM')).toBe(false);
  });

  it('saves a primer with the statuses the server allows the role', () => {
    expect(statusesFor('secretariat', 'submitted')).toEqual(['draft', 'submitted', 'endorsed']);
    expect(statusesFor('editor', null)).toEqual(['draft', 'submitted']);
    expect(statusesFor('editor', 'draft')).toEqual(['draft', 'submitted']);
    // Never endorsed, never returned to draft by an editor: the primer is read-only to them.
    expect(statusesFor('editor', 'submitted')).toEqual([]);
    expect(statusesFor('editor', 'endorsed')).toEqual([]);
    expect(statusesFor('viewer', 'draft')).toEqual([]);
  });

  it('is named for the navigation bar', () => {
    expect(roleText('secretariat')).toBe('Secretariat');
    expect(roleText('editor', 'VNM')).toBe('editor of VNM');
    expect(roleText('viewer')).toBe('viewer');
    expect(roleText(null)).toBe('');
  });
});

describe('the wall’s join box', () => {
  const base = { public_url: 'http://10.0.0.5:8080', join_url: null, workshop: null };
  const workshop = { join_code: 'JNR769', open: true };

  it('holds the open workshop’s join URL and shows its code', () => {
    expect(wallJoin({ ...base, workshop, join_url: 'http://10.0.0.5:8080/join/JNR769' })).toEqual({
      qr: 'http://10.0.0.5:8080/join/JNR769',
      code: 'JNR769',
      typeAt: 'http://10.0.0.5:8080/signin',
    });
  });

  it('without an open workshop holds the public delegate page, and no code', () => {
    expect(wallJoin(base)).toEqual({ qr: 'http://10.0.0.5:8080/delegate', code: null, typeAt: 'http://10.0.0.5:8080/signin' });
    expect(wallJoin({ ...base, workshop: { ...workshop, open: false }, join_url: 'http://10.0.0.5:8080/join/JNR769' }).code).toBeNull();
    expect(wallJoin({ ...base, public_url: 'https://dash.example.org/' }).qr).toBe('https://dash.example.org/delegate');
  });

  it('shows addresses without their scheme', () => {
    expect(shortUrl('http://10.0.0.5:8080/signin')).toBe('10.0.0.5:8080/signin');
    expect(shortUrl('https://dash.example.org/')).toBe('dash.example.org');
  });
});

describe('the cards kept for /cards', () => {
  const stored: StoredCards = {
    workshopId: 'w1',
    title: 'SPP workshop',
    what: 'issued when the workshop opened',
    publicUrl: 'http://10.0.0.5:8080',
    issuedAt: '2026-12-06T15:00:00Z',
    expiresAt: '2026-12-06T23:00:00Z',
    cards: [{ iso3: 'VNM', member: 'Viet Nam', code: 'ACEF-HJKM-NPRT', url: 'http://10.0.0.5:8080/join/ACEFHJKMNPRT' }],
  };

  it('are read back as kept', () => {
    expect(CARDS_KEY).toBe('apo.cards');
    expect(parseCards(JSON.stringify(stored))).toEqual(stored);
  });

  it('are none when nothing, or something else, is kept', () => {
    expect(parseCards(null)).toBeNull();
    expect(parseCards('not json')).toBeNull();
    expect(parseCards('[]')).toBeNull();
    expect(parseCards(JSON.stringify({ ...stored, cards: [{ iso3: 'VNM' }] }))).toBeNull();
    expect(parseCards(JSON.stringify({ ...stored, publicUrl: undefined }))).toBeNull();
  });
});

describe('what a refused call tells the person', () => {
  it('says what to do for the statuses of access control', () => {
    expect(describeError(new ApiError(403, 'forbidden', "an editor of VNM may not change THA's data", []))).toBe("Not allowed: An editor of VNM may not change THA's data.");
    expect(describeError(new ApiError(410, 'gone', 'this code was already used; ask the Secretariat for a new card', []))).toBe('This code was already used; ask the Secretariat for a new card.');
    expect(describeError(new ApiError(429, 'too_many_requests', 'too many sign-in or join attempts from this address', [], 42))).toBe(
      'Too many sign-in or join attempts from this address. Try again in 42 s.',
    );
    expect(describeError(new ApiError(429, 'too_many_requests', 'too many writes', [], 600))).toBe('Too many writes. Try again in 10 minutes.');
    expect(describeError(new ApiError(401, 'unauthorized', 'sign in: changes need a credential', []))).toMatch(/^Not signed in: .*Sign in again/);
    expect(describeError(new TypeError('Failed to fetch'))).toBe('Could not reach the server: Failed to fetch');
  });
});

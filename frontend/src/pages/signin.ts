// /signin: phone first. "Join the workshop" with the code from the wall (6 characters: a
// viewer) or from a delegation card (12: that member's editor, once); below it, the
// Secretariat's sign-in with a token. Shows `?error=` (what /join/{code} could not do), and on
// success goes on to `?next=` (a path on this site only) or the role's page.

import { homeFor, readCode, roleText, safeNext } from '../access';
import { ApiError, describeError, sentence } from '../api';
import { h } from '../dom';
import type { SessionInfo } from '../protocol';
import { joinWith, loadSession, signIn, signOut } from '../session';

export function renderSignIn(root: HTMLElement): void {
  document.title = 'APO Dashboard · Sign in';
  const params = new URLSearchParams(location.search);
  const next = safeNext(params.get('next'));
  const error = params.get('error');

  const already = h('div', { class: 'signin-already', role: 'status', hidden: true });
  const urlError = error ? h('p', { class: 'signin-error', role: 'alert', 'data-testid': 'signin-error' }, sentence(error)) : null;

  // ---- join with a code ----
  const code = h('input', {
    id: 'join-code',
    class: 'code-input',
    type: 'text',
    name: 'code',
    autocomplete: 'off',
    autocapitalize: 'characters',
    autocorrect: 'off',
    spellcheck: 'false',
    enterkeyhint: 'go',
    maxlength: '40',
    'aria-describedby': 'join-code-help join-status',
    'data-testid': 'join-code',
  });
  const joinStatus = h('p', { id: 'join-status', class: 'form-status', role: 'status', 'aria-live': 'polite' });
  const joinButton = h('button', { type: 'submit', class: 'wide' }, 'Join');
  const joinForm = h(
    'form',
    { class: 'stack signin-form', novalidate: true, 'data-testid': 'join-form' },
    h('label', { for: 'join-code' }, 'Code from the wall or your delegation card'),
    code,
    h('p', { id: 'join-code-help', class: 'muted hint' }, '6 characters on the wall, or 12 on a delegation card (like ACEF-HJKM-NPRT). Capitals and dashes do not matter.'),
    joinButton,
    joinStatus,
  );
  joinForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const read = readCode(code.value);
    if (!read.ok) {
      fail(code, joinStatus, read.message);
      return;
    }
    busy(joinButton, joinStatus, 'Joining…');
    joinWith(read.code)
      .then(proceed)
      .catch((e) => {
        joinButton.disabled = false;
        fail(code, joinStatus, joinMessage(e));
      });
  });
  code.addEventListener('input', () => code.removeAttribute('aria-invalid'));

  // ---- the Secretariat's token ----
  const token = h('input', { id: 'token', type: 'password', name: 'token', autocomplete: 'off', spellcheck: 'false', placeholder: 'apo_…', 'aria-describedby': 'token-status', 'data-testid': 'token' });
  const tokenStatus = h('p', { id: 'token-status', class: 'form-status', role: 'status', 'aria-live': 'polite' });
  const tokenButton = h('button', { type: 'submit', class: 'secondary wide' }, 'Sign in');
  const tokenForm = h('form', { class: 'stack signin-form', novalidate: true, 'data-testid': 'token-form' }, h('label', { for: 'token' }, 'Token'), token, tokenButton, tokenStatus);
  tokenForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const t = token.value.trim();
    if (!t) {
      fail(token, tokenStatus, 'Paste the token the Secretariat was given (it starts with apo_).');
      return;
    }
    busy(tokenButton, tokenStatus, 'Signing in…');
    signIn(t)
      .then(proceed)
      .catch((e) => {
        tokenButton.disabled = false;
        fail(token, tokenStatus, e instanceof ApiError && e.status === 401 ? `${sentence(e.message)} Check the token and try again.` : describeError(e));
      });
  });
  const tokenBox = h('details', { class: 'signin-token', open: params.has('token') ? true : null }, h('summary', {}, 'Secretariat: sign in with a token'), tokenForm);

  root.append(
    h('header', { class: 'topbar signin-top' }, h('a', { class: 'brand', href: '/' }, 'APO Productivity Dashboard')),
    h(
      'main',
      { class: 'page signin' },
      h('h1', {}, 'Join the workshop'),
      urlError,
      already,
      joinForm,
      h('p', { class: 'muted hint' }, 'Scanning the QR code on the wall or on your card with your phone’s camera signs you in too.'),
      tokenBox,
    ),
  );

  loadSession()
    .then((s) => showAlready(already, s, next))
    .catch(() => {
      // Out of reach: the forms say so when used.
    });
  if (!error) code.focus();
}

/** Where to go once signed in: `?next=` (checked), else the role's page. */
function destination(s: SessionInfo): string {
  return safeNext(new URLSearchParams(location.search).get('next')) ?? homeFor(s.role, s.member);
}

function proceed(s: SessionInfo): void {
  location.assign(destination(s));
}

function showAlready(box: HTMLElement, s: SessionInfo, next: string | null): void {
  if (!s.signed_in) return;
  const out = h('button', { type: 'button', class: 'link' }, 'Sign out');
  out.addEventListener('click', () => {
    signOut()
      .then(() => location.reload())
      .catch((e) => box.append(h('span', { class: 'form-status err' }, ` ${describeError(e)}`)));
  });
  box.replaceChildren(
    'You are signed in as ',
    h('strong', {}, s.label ?? 'someone'),
    ` (${roleText(s.role, s.member)}). `,
    h('a', { href: next ?? homeFor(s.role, s.member) }, 'Continue'),
    ' · ',
    out,
  );
  box.hidden = false;
}

/** A join refused: what the server said, and what to do. */
function joinMessage(e: unknown): string {
  if (e instanceof ApiError && e.status === 401) return `${sentence(e.message)} Check the code on the wall or your card and try again.`;
  return describeError(e);
}

function busy(button: HTMLButtonElement, status: HTMLElement, text: string): void {
  button.disabled = true;
  status.textContent = text;
  status.className = 'form-status';
}

function fail(control: HTMLInputElement, status: HTMLElement, message: string): void {
  status.textContent = message;
  status.className = 'form-status err';
  control.setAttribute('aria-invalid', 'true');
  control.focus();
}

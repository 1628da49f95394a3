// The navigation bar of every page but the wall, with the connection badge and who is signed
// in ("Signed in as Viet Nam delegation card, SPP workshop (editor of VNM) · Sign out").

import { roleText } from './access';
import { describeError, goSignIn, holdSignInRedirects } from './api';
import { h } from './dom';
import { session, signOut } from './session';

const LINKS: [string, string][] = [
  ['/delegate', 'Delegate'],
  ['/secretariat', 'Secretariat'],
  ['/members/VNM', 'Members'],
  ['/productivity', 'Productivity'],
  ['/projects', 'Projects'],
  ['/gp', 'GP 2.0'],
  ['/accreditations', 'Accreditation'],
  ['/trainings', 'Trainings'],
  ['/wall', 'Wall'],
];

export function navBar(badge: HTMLElement | null, title: string): HTMLElement {
  const here = location.pathname;
  const links = LINKS.map(([href, text]) => {
    const current = here === href || (href.startsWith('/members/') && here.startsWith('/members/')) || (href === '/projects' && here.startsWith('/projects/'));
    return h('li', {}, h('a', { href, 'aria-current': current ? 'page' : null }, text));
  });
  return h(
    'header',
    { class: 'topbar' },
    h('a', { class: 'brand', href: '/' }, 'APO Productivity Dashboard'),
    h('nav', { 'aria-label': 'Pages' }, h('ul', {}, ...links)),
    badge,
    whoBox(),
    h('h1', { class: 'page-title' }, title),
  );
}

/** "Signed in as <label> (role) · Sign out", or a "Sign in" link. */
export function whoBox(): HTMLElement {
  const s = session();
  const box = h('div', { class: 'who', 'data-testid': 'who' });
  if (!s?.signed_in) {
    box.append(h('a', { href: '/signin', 'data-testid': 'sign-in-link' }, 'Sign in'));
    return box;
  }
  const out = h('button', { type: 'button', class: 'link', 'data-testid': 'sign-out' }, 'Sign out');
  const status = h('span', { class: 'form-status err', role: 'status' });
  out.addEventListener('click', () => {
    out.disabled = true;
    holdSignInRedirects(true);
    signOut()
      .then(() => location.assign('/signin'))
      .catch((e) => {
        holdSignInRedirects(false);
        out.disabled = false;
        status.textContent = describeError(e);
        if (e && typeof e === 'object' && 'status' in e && e.status === 401) goSignIn();
      });
  });
  box.append('Signed in as ', h('strong', {}, s.label ?? 'someone'), ` (${roleText(s.role, s.member)})`, ' · ', out, status);
  return box;
}

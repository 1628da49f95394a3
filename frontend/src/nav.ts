// The navigation bar of every page but the wall, with the connection badge.

import { h } from './dom';

const LINKS: [string, string][] = [
  ['/delegate', 'Delegate'],
  ['/secretariat', 'Secretariat'],
  ['/members/VNM', 'Members'],
  ['/productivity', 'Productivity'],
  ['/wall', 'Wall'],
];

export function navBar(badge: HTMLElement | null, title: string): HTMLElement {
  const here = location.pathname;
  const links = LINKS.map(([href, text]) => {
    const current = here === href || (href.startsWith('/members/') && here.startsWith('/members/'));
    return h('li', {}, h('a', { href, 'aria-current': current ? 'page' : null }, text));
  });
  return h(
    'header',
    { class: 'topbar' },
    h('a', { class: 'brand', href: '/' }, 'APO Productivity Dashboard'),
    h('nav', { 'aria-label': 'Pages' }, h('ul', {}, ...links)),
    badge,
    h('h1', { class: 'page-title' }, title),
  );
}

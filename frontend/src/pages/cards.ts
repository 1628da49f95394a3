// /cards: the delegation cards to print (A4, six to a sheet, cut along the dashed lines): per
// member, its name, the QR code of the card's address, the code in large monospace and one line
// of what to do. The cards are the ones this tab was last given (card-store.ts): the server
// shows a card's code only when it issues it, so without them the page says how to get new ones.

import '../styles/cards.css';
import { groupCode, shortUrl } from '../access';
import type { StoredCards } from '../access';
import { loadCards } from '../card-store';
import { h } from '../dom';
import { count, when } from '../format';
import { qrSvg } from '../qr';

export function renderCards(root: HTMLElement): void {
  document.title = 'APO Dashboard · Delegation cards';
  document.documentElement.classList.add('cards-mode');
  const stored = loadCards();
  const back = h('a', { href: '/secretariat' }, 'Back to the Secretariat page');
  if (!stored || !stored.cards.length) {
    root.append(
      h(
        'main',
        { class: 'page cards-empty', 'data-testid': 'cards-empty' },
        h('h1', {}, 'Delegation cards'),
        h('p', {}, 'There are no delegation cards to print in this browser tab.'),
        h(
          'p',
          {},
          'The server shows a card’s code only once, when it issues it. On the Secretariat page, in the Workshop panel, choose ',
          h('strong', {}, 'Reissue unused cards'),
          ' (or reissue one member’s card), then ',
          h('strong', {}, 'Print delegation cards'),
          '. Cards reissued replace the old ones, which stop working.',
        ),
        h('p', {}, back),
      ),
    );
    return;
  }
  const print = h('button', { type: 'button' }, 'Print');
  print.addEventListener('click', () => window.print());
  // One main landmark holds the toolbar and the sheet (nothing outside a landmark).
  root.append(
    h(
      'main',
      {},
      h(
        'div',
        { class: 'cards-toolbar no-print' },
        h('h1', {}, `Delegation cards · ${stored.title}`),
        h('p', {}, `${count(stored.cards.length)} ${stored.cards.length === 1 ? 'card' : 'cards'}, ${stored.what}, ${when(stored.issuedAt)}. Print on A4, six to a sheet, and cut along the dashed lines. Each card works once, on one phone.`),
        h('p', { class: 'actions' }, print, back),
      ),
      h('div', { class: 'sheet', 'data-testid': 'cards' }, ...stored.cards.map((c) => card(stored, c))),
    ),
  );
}

function card(s: StoredCards, c: StoredCards['cards'][number]): HTMLElement {
  const at = `${shortUrl(s.publicUrl)}/signin`;
  return h(
    'article',
    { class: 'dcard', 'data-iso3': c.iso3, 'data-url': c.url },
    h('div', { class: 'dcard-kind' }, `Delegation card · ${s.title}`),
    h('h2', { class: 'dcard-member' }, c.member),
    h('div', { class: 'dcard-qr' }, qrSvg(c.url, `QR code that signs ${c.member}’s phone in`)),
    h('div', { class: 'dcard-code', 'data-testid': 'card-code' }, groupCode(c.code)),
    h('p', { class: 'dcard-how' }, 'Scan with your phone’s camera, or type the code at ', h('strong', {}, at)),
    h('p', { class: 'dcard-note' }, `Works once, on one phone · until ${when(s.expiresAt)}`),
  );
}

// The Secretariat's panels for access: the workshop (open one, its join code and end, print
// its delegation cards, reissue cards, close it) and the tokens (list, create, revoke).
//
// A card's code is shown by the server once, in the answer that issues it (opening the
// workshop, or a reissue): the answer is kept in this tab's sessionStorage (card-store.ts) for
// /cards to print, and the panel links there.

import { shortUrl } from '../access';
import type { StoredCards } from '../access';
import { del, describeError, get, post } from '../api';
import { forgetCards, loadCards, storeCards } from '../card-store';
import { h } from '../dom';
import { count, when } from '../format';
import type { CreatedToken, Member, NewToken, OpenedWorkshop, PrintedCard, Role, SessionInfo, TokenInfo, WorkshopInfo } from '../protocol';
import { ROLES } from '../protocol';
import { scrollBox } from '../table';

/** A button that asks again before it acts: the question and "Yes"/"Cancel" take its place. */
function confirming(label: string, question: string, yes: string, act: () => Promise<void>, cls = 'secondary'): HTMLElement {
  const box = h('span', { class: 'confirm' });
  const button = h('button', { type: 'button', class: cls }, label);
  const ask = () => {
    const ok = h('button', { type: 'button', class: 'danger' }, yes);
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const q = h('span', { class: 'confirm-question', role: 'alert' }, question);
    cancel.addEventListener('click', () => {
      box.replaceChildren(button);
      button.focus();
    });
    ok.addEventListener('click', () => {
      ok.disabled = cancel.disabled = true;
      act().finally(() => {
        if (box.isConnected) box.replaceChildren(button);
      });
    });
    box.replaceChildren(q, ok, cancel);
    cancel.focus();
  };
  button.addEventListener('click', ask);
  box.append(button);
  return box;
}

function say(el: HTMLElement, text: string, kind: 'ok' | 'err' | '' = ''): void {
  el.textContent = text;
  el.className = kind ? `form-status ${kind}` : 'form-status';
}

// ---- the workshop ----

export function workshopPanel(members: Promise<Member[]>, first: SessionInfo | null): HTMLElement {
  const body = h('div', { class: 'stack' });
  const status = h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'workshop-status' });
  const panel = h('section', { class: 'panel', 'aria-labelledby': 'workshop-h', 'data-testid': 'workshop-panel' }, h('h2', { id: 'workshop-h' }, 'Workshop'), body, status);
  const publicUrl = first?.public_url ?? location.origin;

  const refresh = (): Promise<void> =>
    get<WorkshopInfo[]>('/workshops')
      .then((list) => draw(list.find((w) => w.open) ?? null))
      .catch((e) => say(status, `Could not load the workshops: ${describeError(e)}`, 'err'));

  function keep(w: WorkshopInfo, what: string, cards: PrintedCard[]): void {
    const stored: StoredCards = { workshopId: w.id, title: w.title, what, publicUrl, issuedAt: new Date().toISOString(), expiresAt: w.expires_at, cards };
    if (!storeCards(stored)) say(status, 'This browser would not keep the cards (private mode?): print them from this tab now.', 'err');
  }

  function draw(w: WorkshopInfo | null): void {
    body.replaceChildren(w ? openView(w) : openForm());
  }

  function openForm(): HTMLElement {
    const title = h('input', { id: 'ws-title', type: 'text', maxlength: '100', placeholder: 'SPP workshop', autocomplete: 'off' });
    const hours = h('input', { id: 'ws-hours', type: 'number', min: '1', max: '168', step: '1', value: '8', inputmode: 'numeric' });
    const button = h('button', { type: 'submit' }, 'Open workshop');
    const form = h(
      'form',
      { class: 'stack', novalidate: true, 'data-testid': 'workshop-form' },
      h('p', { class: 'muted' }, 'No workshop is open. Opening one gives the room a join code (shown on the wall) and a delegation card for every member.'),
      h('div', { class: 'row2' }, h('label', { for: 'ws-title' }, 'Title', title), h('label', { for: 'ws-hours' }, 'Hours (1–168)', hours)),
      button,
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const n = Number(hours.value);
      if (!Number.isInteger(n) || n < 1 || n > 168) {
        say(status, 'Hours: a whole number from 1 to 168 (a week).', 'err');
        hours.setAttribute('aria-invalid', 'true');
        hours.focus();
        return;
      }
      hours.removeAttribute('aria-invalid');
      button.disabled = true;
      say(status, 'Opening…');
      post<OpenedWorkshop>('/workshops', { title: title.value.trim() || null, hours: n })
        .then((r) => {
          keep(r.workshop, 'issued when the workshop opened', r.cards);
          draw(r.workshop);
          say(status, `Workshop opened: join code ${r.workshop.join_code}. ${count(r.cards.length)} delegation cards are ready: print them now (they are shown only once).`, 'ok');
        })
        .catch((e) => {
          button.disabled = false;
          say(status, describeError(e), 'err');
          // 409: another one is open (opened elsewhere): show it.
          if (e && typeof e === 'object' && 'status' in e && e.status === 409) void refresh();
        });
    });
    return form;
  }

  function openView(w: WorkshopInfo): HTMLElement {
    const stored = loadCards();
    const mine = stored && stored.workshopId === w.id ? stored : null;
    const print = mine
      ? h('a', { class: 'button', href: '/cards', 'data-testid': 'print-cards' }, `Print delegation cards (${count(mine.cards.length)})`)
      : h('p', { class: 'muted', 'data-testid': 'no-cards' }, 'The cards are shown only once, when they are issued. To print again, reissue the unused ones (or one member’s) below.');
    const reissueAll = h('button', { type: 'button', class: 'secondary', 'data-testid': 'reissue-unused' }, 'Reissue unused cards');
    reissueAll.addEventListener('click', () => {
      reissueAll.disabled = true;
      say(status, 'Reissuing…');
      post<PrintedCard[]>(`/workshops/${encodeURIComponent(w.id)}/cards`)
        .then((cards) => {
          if (!cards.length) {
            say(status, 'Every card has been used: there is nothing to reissue. Reissue one member’s card to replace it.', 'ok');
            return;
          }
          keep(w, 'unused cards reissued (the earlier unused ones no longer work)', cards);
          draw(w);
          say(status, `${count(cards.length)} new cards issued; the unused old ones no longer work. Print them.`, 'ok');
        })
        .catch((e) => say(status, describeError(e), 'err'))
        .finally(() => (reissueAll.disabled = false));
    });

    const pick = h('select', { id: 'reissue-member', 'data-testid': 'reissue-member' }, h('option', { value: '' }, 'Choose a member…'));
    members.then((ms) => pick.append(...ms.map((m) => h('option', { value: m.iso3 }, `${m.name} (${m.iso3})`)))).catch(() => undefined);
    const reissueOne = h('button', { type: 'button', class: 'secondary' }, 'Reissue card');
    reissueOne.addEventListener('click', () => {
      const iso3 = pick.value;
      if (!iso3) {
        say(status, 'Choose the member whose card to reissue.', 'err');
        pick.focus();
        return;
      }
      const name = pick.selectedOptions[0]?.textContent ?? iso3;
      reissueOne.disabled = true;
      say(status, 'Reissuing…');
      post<PrintedCard[]>(`/workshops/${encodeURIComponent(w.id)}/cards?iso3=${encodeURIComponent(iso3)}`)
        .then((cards) => {
          keep(w, `${name}: card reissued (the old one no longer works)`, cards);
          draw(w);
          say(status, `New card for ${name}; its old card no longer works, and a phone that used it is signed out. Print it.`, 'ok');
        })
        .catch((e) => say(status, describeError(e), 'err'))
        .finally(() => (reissueOne.disabled = false));
    });

    const close = confirming('Close workshop', 'Close it? The join code and every card stop working, and everyone who joined with them is signed out.', 'Yes, close it', () =>
      post<WorkshopInfo>(`/workshops/${encodeURIComponent(w.id)}/close`)
        .then(() => {
          if (loadCards()?.workshopId === w.id) forgetCards();
          draw(null);
          say(status, `“${w.title}” is closed: its join code and cards no longer work.`, 'ok');
        })
        .catch((e) => say(status, describeError(e), 'err')),
      'secondary danger-outline',
    );

    return h(
      'div',
      { class: 'stack', 'data-testid': 'workshop-open', 'data-workshop': w.id },
      h('h3', {}, w.title),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Join code'),
        h('dd', { class: 'code-big', 'data-testid': 'workshop-code' }, w.join_code),
        h('dt', {}, 'Ends'),
        h('dd', {}, when(w.expires_at)),
        h('dt', {}, 'Join at'),
        h('dd', {}, `${shortUrl(publicUrl)}/signin`),
      ),
      print,
      h('div', { class: 'actions' }, reissueAll),
      h('div', { class: 'actions' }, h('label', { for: 'reissue-member', class: 'sr-only' }, 'Member whose card to reissue'), pick, reissueOne),
      h('div', { class: 'actions' }, close),
    );
  }

  void refresh();
  return panel;
}

// ---- tokens ----

const EXPIRES: [string, string][] = [
  ['', 'Until revoked'],
  ['12h', '12 hours'],
  ['1d', '1 day'],
  ['7d', '7 days'],
  ['30d', '30 days'],
  ['90d', '90 days'],
];

const ROLE_NAMES: Record<Role, string> = {
  secretariat: 'Secretariat: everything',
  editor: 'Editor: one member’s primer and reports',
  viewer: 'Viewer: reads',
  metrics: 'Metrics: /metrics only',
};

export function tokenPanel(members: Promise<Member[]>): HTMLElement {
  const status = h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'token-status' });
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'data tokens', 'data-testid': 'token-table' },
    h('caption', { class: 'sr-only' }, 'Tokens'),
    h('thead', {}, h('tr', {}, ...['Label', 'Role', 'Expires', ''].map((c) => h('th', { scope: 'col' }, c)))),
    tbody,
  );
  const shown = h('div', { class: 'token-once', hidden: true, 'data-testid': 'new-token' });

  const role = h('select', { id: 'tk-role' }, ...ROLES.map((r) => h('option', { value: r }, ROLE_NAMES[r])));
  role.value = 'editor';
  const member = h('select', { id: 'tk-member' }, h('option', { value: '' }, 'Choose…'));
  members.then((ms) => member.append(...ms.map((m) => h('option', { value: m.iso3 }, `${m.name} (${m.iso3})`)))).catch(() => undefined);
  const memberField = h('label', { for: 'tk-member' }, 'Member', member);
  const label = h('input', { id: 'tk-label', type: 'text', maxlength: '100', placeholder: 'Who it is for', autocomplete: 'off' });
  const expires = h('select', { id: 'tk-expires' }, ...EXPIRES.map(([v, t]) => h('option', { value: v }, t)));
  const create = h('button', { type: 'submit' }, 'Create token');
  const syncRole = () => (memberField.hidden = role.value !== 'editor');
  role.addEventListener('change', syncRole);
  syncRole();
  const form = h(
    'form',
    { class: 'stack', novalidate: true, 'data-testid': 'token-form' },
    h('label', { for: 'tk-role' }, 'Role', role),
    memberField,
    h('div', { class: 'row2' }, h('label', { for: 'tk-label' }, 'Label', label), h('label', { for: 'tk-expires' }, 'Lasts', expires)),
    create,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body: NewToken = { role: role.value as Role, label: label.value.trim() || null, expires: expires.value || null };
    if (body.role === 'editor') {
      if (!member.value) {
        say(status, 'An editor’s token is for one member: choose it.', 'err');
        member.focus();
        return;
      }
      body.member = member.value;
    }
    create.disabled = true;
    say(status, 'Creating…');
    post<CreatedToken>('/tokens', body)
      .then((r) => {
        showOnce(r);
        say(status, '', '');
        label.value = '';
        return list();
      })
      .catch((e) => say(status, describeError(e), 'err'))
      .finally(() => (create.disabled = false));
  });

  function showOnce(r: CreatedToken): void {
    const field = h('input', { type: 'text', readonly: true, value: r.token, class: 'mono', 'aria-label': 'The new token', 'data-testid': 'new-token-value' });
    const copy = h('button', { type: 'button' }, 'Copy');
    const copied = h('span', { class: 'form-status', role: 'status' });
    copy.addEventListener('click', () => {
      copyText(field)
        .then((ok) => say(copied, ok ? 'Copied.' : 'Select it and copy it by hand.', ok ? 'ok' : 'err'))
        .catch(() => say(copied, 'Select it and copy it by hand.', 'err'));
    });
    const done = h('button', { type: 'button', class: 'secondary' }, 'Done');
    done.addEventListener('click', () => {
      shown.hidden = true;
      shown.replaceChildren();
    });
    shown.replaceChildren(
      h('p', {}, h('strong', {}, `Token for “${r.info.label}” (${r.info.role}${r.info.member ? ` of ${r.info.member}` : ''})`), ': shown this once, copy it now. Only its hash is kept.'),
      h('div', { class: 'actions' }, field, copy, done),
      copied,
    );
    shown.hidden = false;
    field.select();
  }

  function list(): Promise<void> {
    return get<TokenInfo[]>('/tokens')
      .then((tokens) => {
        tbody.replaceChildren(...tokens.map(row));
        if (!tokens.length) tbody.append(h('tr', {}, h('td', { colspan: '4', class: 'muted' }, 'No tokens.')));
      })
      .catch((e) => say(status, `Could not load the tokens: ${describeError(e)}`, 'err'));
  }

  function row(t: TokenInfo): HTMLTableRowElement {
    const revoked = t.revoked_at != null;
    const expired = !revoked && t.expires_at != null && new Date(t.expires_at).getTime() < Date.now();
    const action = revoked
      ? h('span', { class: 'muted' }, `revoked ${when(t.revoked_at)}`)
      : confirming('Revoke', `Revoke “${t.label}”? Its sessions end at once.`, 'Yes, revoke', () =>
          del<TokenInfo>(`/tokens/${encodeURIComponent(t.id)}`)
            .then(() => {
              say(status, `“${t.label}” is revoked.`, 'ok');
              return list();
            })
            .catch((e) => say(status, describeError(e), 'err')),
        );
    return h(
      'tr',
      { 'data-token': t.id, class: revoked || expired ? 'ended' : null },
      h('th', { scope: 'row' }, t.label, h('div', { class: 'muted small' }, `${t.id} · by ${t.created_by}, ${when(t.created_at)}`)),
      h('td', {}, t.role, t.member ? ` · ${t.member}` : ''),
      h('td', {}, expired ? `expired ${when(t.expires_at)}` : t.expires_at ? when(t.expires_at) : 'never'),
      h('td', {}, action),
    );
  }

  void list();
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'tokens-h', 'data-testid': 'token-panel' },
    h('h2', { id: 'tokens-h' }, 'Tokens'),
    h('details', { class: 'token-create' }, h('summary', {}, 'Create a token'), form),
    shown,
    status,
    scrollBox('Tokens', {}, table),
  );
}

/** Copies an input's text: the Clipboard API where the page is a secure context, else the selection. */
async function copyText(field: HTMLInputElement): Promise<boolean> {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(field.value);
    return true;
  }
  field.select();
  // A room's LAN is plain http, where the Clipboard API is missing: the older command still works there.
  return document.execCommand('copy');
}

// The wall's accreditation box, in the right column beside every panel and rotation (so a
// certificate conferred during the meeting is seen whatever the wall is showing): "Accredited
// 3 of 21" in large type and a badge with each accredited member's short name (no flags).
// From GET /accreditations/summary, fetched when the wall opens and again when the live feed
// carries an `accreditation` event; a count that moves rings the whole box in yellow for a few
// seconds, and the member that joined flashes, so the back row notices.

import '../styles/accreditations.css';
import { get } from '../api';
import { flashEl, h } from '../dom';
import type { Live } from '../live';
import type { Member } from '../protocol';
import { type AccSummary, accreditedMembers, touchesAccreditations } from './accreditations-model';

/** Badges shown at most: what fits three lines of the column; the rest are counted. */
const BADGES_SHOWN = 9;

export function accreditationBox(live: Live): HTMLElement {
  const count = h('span', { class: 'acc-wall-n', 'data-testid': 'wall-acc-count' }, '–');
  const of = h('span', { class: 'acc-wall-of' }, '');
  const badges = h('ul', { class: 'acc-wall-badges', 'data-testid': 'wall-acc-members', 'aria-label': 'Accredited members' });
  const el = h(
    'section',
    { class: 'acc-wall', 'aria-label': 'NPO accreditation', 'data-testid': 'wall-accreditation' },
    h('h2', {}, h('span', {}, 'Accredited'), h('span', { class: 'acc-wall-count' }, count, of)),
    badges,
  );
  let members: Member[] = [];
  let shown: string[] | null = null;
  let seq = 0;
  const load = async () => {
    const mine = ++seq;
    const s = await get<AccSummary>('/accreditations/summary');
    if (mine !== seq) return;
    const list = accreditedMembers(s.by_member, members.map((m) => m.iso3));
    const short = new Map(members.map((m) => [m.iso3, m.short_name || m.name]));
    const before = shown;
    shown = list;
    count.textContent = String(s.accredited_members);
    count.dataset.count = String(s.accredited_members);
    of.textContent = ` of ${s.members}`;
    const more = list.length - BADGES_SHOWN;
    const fresh = new Set(before ? list.filter((m) => !before.includes(m)) : []);
    const items = list.slice(0, more > 0 ? BADGES_SHOWN - 1 : BADGES_SHOWN).map((m) => {
      const b = h('li', { class: 'acc-wall-badge', 'data-member': m }, short.get(m) ?? m);
      if (fresh.has(m)) flashEl(b);
      return b;
    });
    if (more > 0) items.push(h('li', { class: 'acc-wall-badge more' }, `+${more + 1} more`));
    if (!list.length) items.push(h('li', { class: 'acc-wall-none' }, 'No member yet'));
    badges.replaceChildren(...items);
    if (before && before.length !== list.length) {
      // Restarted each time: the ring runs again for a second conferral in a row.
      el.classList.remove('acc-wall-up', 'acc-wall-down');
      void el.offsetWidth;
      el.classList.add(list.length > before.length ? 'acc-wall-up' : 'acc-wall-down');
    }
  };
  get<Member[]>('/members')
    .then((m) => {
      members = m;
      return load();
    })
    .catch(() => {
      of.textContent = ' (unavailable)';
    });
  live.subscribe((_d, change) => {
    if (members.length && touchesAccreditations(change)) void load().catch(() => undefined);
  });
  return el;
}

// The wall while primers are drafted (no actuals yet, nothing to score): what is being
// written. Primers by status out of 21 (the count of each, and every member's name in its
// status's colour), key results per pillar (and from how many members, with the pillar's
// planned budget), the focus areas the primers chose with how many members chose each, and
// the latest drafted key results. Every number is a count, so none is ever empty.

import type { ReadonlySignal } from '@preact/signals-core';
import { computed } from '@preact/signals-core';
import { h, setStyle, setText } from '../dom';
import { count, moneyShort, plural } from '../format';
import type { DocModel } from '../model';
import { stableList } from '../model';
import { OKABE_ITO, PRIMER_COLOUR, PRIMER_LABEL, PRIMER_TEXT } from '../palette';
import type { PrimerState } from '../protocol';
import { PILLARS } from '../protocol';
import { each, watch } from '../reactive';
import type { ChosenArea, DraftPrimer, NameOf } from './wall-data';
import { DRAFT_ORDER, chosenAreas, latestDrafted, pillarName } from './wall-data';

/** Focus areas listed (what fits the panel at 1280×720); the rest are named in one line under them. */
export const AREAS_SHOWN = 15;
/** Latest drafted key results listed. */
const LATEST_SHOWN = 6;

export const PRIMER_WORDS: Record<PrimerState, string> = { ...PRIMER_LABEL, none: 'Not started' };

export function draftingPanel(model: DocModel, names: ReadonlySignal<NameOf>, primers: ReadonlySignal<ReadonlyMap<string, DraftPrimer>>): HTMLElement {
  const total = computed(() => model.members.keys.value.length);

  // Key results per pillar.
  const tiles = h('section', { class: 'tiles draft-tiles', 'aria-label': 'Key results per pillar' });
  for (const p of PILLARS) {
    const name = h('h2', { class: 'tile-name' });
    const krs = h('div', { class: 'tile-score', 'data-testid': `draft-pillar-${p}-krs` });
    const from = h('div', { class: 'tile-sub' });
    const budget = h('div', { class: 'tile-sub' });
    tiles.append(
      h(
        'article',
        { class: 'tile', 'data-pillar': p },
        h('div', { class: 'tile-head' }, h('span', { class: 'tile-num' }, p), name),
        h('div', { class: 'tile-body' }, krs, h('div', { class: 'tile-subs' }, h('div', { class: 'tile-sub tile-unit' }, 'key results'), from)),
        budget,
      ),
    );
    watch(() => {
      const d = model.pillars.entry(p).value;
      if (!d) return;
      setText(name, pillarName(p, d.name), false);
      name.title = d.name;
      setText(krs, count(d.krs));
      setText(budget, d.budget && d.budget.planned > 0 ? `Budget planned: ${moneyShort(d.budget.planned)}` : 'Budget: none planned yet');
    });
    watch(() => {
      let n = 0;
      for (const m of Object.values(model.members.read())) if ((m.pillars[p]?.krs ?? 0) > 0) n++;
      setText(from, `from ${plural(n, 'member')}`);
    });
  }

  // Primers by status: the four counts, then every member in its status's colour.
  const counts = DRAFT_ORDER.map((s) => {
    const n = h('span', { class: 'ps-count', 'data-testid': `draft-primers-${s}` });
    return { s, n, el: h('div', { class: 'ps-box', style: `--c:${PRIMER_COLOUR[s]}` }, n, h('span', { class: 'ps-label' }, PRIMER_WORDS[s])) };
  });
  const of = h('span', { class: 'ps-of' });
  const chips = h('div', { class: 'ps-members', 'data-testid': 'draft-members' });
  const order = stableList(() => {
    const ms = model.members.read();
    const rank = (iso3: string) => DRAFT_ORDER.indexOf(ms[iso3]?.primer_status ?? 'none');
    return Object.keys(ms).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  });
  each(chips, order, (iso3) => {
    const chip = h('span', { class: 'ps-chip', 'data-iso3': iso3 });
    watch(() => setText(chip, names.value(iso3), false));
    watch(() => {
      const s = model.members.entry(iso3).value?.primer_status ?? 'none';
      setStyle(chip, 'background', PRIMER_COLOUR[s]);
      setStyle(chip, 'color', PRIMER_TEXT[s]);
      chip.title = PRIMER_WORDS[s];
    });
    return chip;
  });
  watch(() => {
    const c = model.primers.value;
    if (!c) return;
    for (const r of counts) setText(r.n, count(c[r.s] ?? 0));
    setText(of, `Primers of ${count(total.value)} members`, false);
  });
  const board = h('section', { class: 'ps', 'aria-label': 'Primers by status' }, h('h2', {}, of), h('div', { class: 'ps-counts' }, ...counts.map((c) => c.el)), chips);

  // Focus areas as the primers chose them (the document's, from key results, until the primers are read).
  const areas = computed<ChosenArea[]>(() => {
    const ps = primers.value;
    if (ps.size) return chosenAreas(ps.values());
    return Object.entries(model.focus_areas.read())
      .map(([label, f]) => ({ label, members: Array.from({ length: f.chosen_by }, (_, i) => String(i)) }))
      .sort((a, b) => b.members.length - a.members.length || a.label.localeCompare(b.label));
  });
  const areaList = h('ol', { class: 'fa-list', 'data-testid': 'draft-focus' });
  const more = h('p', { class: 'fa-more' });
  const areaKeys = stableList(() => areas.value.slice(0, AREAS_SHOWN).map((a) => a.label));
  each(
    areaList,
    areaKeys,
    (label) => {
      const bar = h('span', { class: 'fa-bar', style: `background:${OKABE_ITO.skyBlue}` });
      const n = h('span', { class: 'fa-count' });
      watch(() => {
        const a = areas.value.find((x) => x.label === label);
        const k = a?.members.length ?? 0;
        setText(n, count(k));
        setStyle(bar, 'width', `${total.value ? (100 * k) / total.value : 0}%`);
      });
      return h('li', { 'data-focus': label }, h('span', { class: 'fa-track' }, bar), h('span', { class: 'fa-label', title: label }, label), n);
    },
    { empty: h('li', { class: 'fa-empty' }, 'No focus areas chosen yet') },
  );
  watch(() => {
    const rest = areas.value.slice(AREAS_SHOWN);
    more.hidden = rest.length === 0;
    setText(more, rest.length ? `and ${plural(rest.length, 'more area')}: ${rest.map((a) => a.label).join(', ')}` : '', false);
  });
  const focus = h(
    'section',
    { class: 'fa', 'aria-label': 'Focus areas chosen' },
    h('h2', {}, 'Focus areas chosen', h('span', { class: 'fa-head-n' }, 'members')),
    areaList,
    more,
  );

  // The latest drafted key results.
  const latest = computed(() => {
    const ps = primers.value;
    if (ps.size) return latestDrafted(ps.values(), LATEST_SHOWN);
    return Object.values(model.key_results.read())
      .slice(-LATEST_SHOWN)
      .reverse()
      .map((k) => ({ iso3: k.iso3, code: k.code, pillar: k.pillar, title: k.title }));
  });
  const latestList = h('ol', { class: 'lk-list', 'data-testid': 'draft-latest' });
  const latestKeys = stableList(() => latest.value.map((k) => `${k.iso3}/${k.code}`));
  each(
    latestList,
    latestKeys,
    (key, added) => {
      const k = latest.peek().find((x) => `${x.iso3}/${x.code}` === key);
      const who = h('strong', { class: 'lk-who' });
      watch(() => setText(who, names.value(k?.iso3 ?? ''), false));
      return h(
        'li',
        { class: added ? 'lk-item flash' : 'lk-item' },
        h('span', { class: 'lk-pillar' }, `P${k?.pillar ?? '?'}`),
        h('span', { class: 'lk-what' }, who, ` · ${k?.title ?? ''}`),
      );
    },
    { empty: h('li', { class: 'lk-empty' }, 'No key results drafted yet') },
  );
  const drafted = h('section', { class: 'lk', 'aria-label': 'Latest drafted key results' }, h('h2', {}, 'Latest drafted key results'), latestList);

  return h('div', { class: 'wall-drafting' }, tiles, h('div', { class: 'draft-right' }, board, h('div', { class: 'draft-lower' }, focus, drafted)));
}

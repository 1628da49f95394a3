// /gp: the GP 2.0 (Green Productivity) mapping. A map of the 21 members shaded by their number
// of initiatives, a member × theme matrix of counts, the outcome totals each with the coverage
// it rests on, and the initiatives of a member (or of one cell) chosen on the map or in the
// matrix. The theme and type filters are the query of GET /gp/mapping (kept in the address, so
// a reload or a shared link shows the same) and drive the map, the matrix and the totals alike.
// Live: a change to an initiative or a theme fetches the mapping again, and the cells and
// members whose counts changed flash.

import '../styles/gp.css';
import { describeError, get } from '../api';
import { statusBadge } from '../badge';
import { flashEl, h } from '../dom';
import { count, plural } from '../format';
import { connectLive } from '../live';
import { memberMap } from '../map';
import { navBar } from '../nav';
import { initialPeriod } from '../period';
import type { Member } from '../protocol';
import { session } from '../session';
import { dataTable, scrollBox } from '../table';
import { deleteControl, gpForm } from './gp-form';
import { gpLegend, initiativeItem } from './gp-parts';
import {
  type GpFilters,
  type GpInitiative,
  type GpMapping,
  type GpTheme,
  type Matrix,
  TYPE_LABEL,
  cellCounts,
  changedKeys,
  countColour,
  coverageText,
  filtersFrom,
  filtersQuery,
  humanize,
  listHeading,
  listQuery,
  matrixOf,
  membersText,
  metricLabel,
  touchesGp,
  valueText,
} from './gp-model';

interface Selection {
  iso3: string;
  theme: string | null;
}

export function renderGp(root: HTMLElement): void {
  document.title = 'APO Dashboard · GP 2.0';
  const live = connectLive(initialPeriod());
  const f = filtersFrom(location.search);
  // Who may record and change initiatives (gp-form.ts): the Secretariat any member's, an editor its own.
  const who = session();
  const mayWrite = (m: string) => who?.signed_in === true && (who.role === 'secretariat' || (who.role === 'editor' && who.member === m));
  const editable = () => (who?.role === 'secretariat' ? members.map((m) => m.iso3) : who?.role === 'editor' && who.member ? [who.member] : []);
  const canWriteAny = who?.signed_in === true && (who.role === 'secretariat' || (who.role === 'editor' && !!who.member));
  const form = gpForm(editable, (_rev, iso3) => {
    if (selected?.iso3 !== iso3) select({ iso3, theme: null }, false);
    void load().catch(fail);
  });
  const themeSel = h('select', { id: 'gp-theme', 'data-testid': 'gp-filter-theme' }, h('option', { value: '' }, 'Any theme'));
  const typeSel = h(
    'select',
    { id: 'gp-type', 'data-testid': 'gp-filter-type' },
    h('option', { value: '' }, 'Any type'),
    ...Object.entries(TYPE_LABEL).map(([v, t]) => h('option', { value: v }, t)),
  );
  const status = h('p', { class: 'gp-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'gp-members' }, 'Loading…');
  const totals = h('ul', { class: 'gp-totals', 'data-testid': 'gp-totals' });
  const totalsNone = h('p', { class: 'muted gp-totals-none', 'data-testid': 'gp-totals-none' });
  const mapBox = h('div', { class: 'map gp-map', 'data-testid': 'gp-map' });
  const legendBox = h('div', { class: 'gp-legend-box' });
  const mapTable = scrollBox('Initiatives by member as a table');
  const matrixBox = scrollBox('Initiatives by member and theme', { 'data-testid': 'gp-matrix' });
  const listHead = h('h2', { id: 'gp-list-head' }, 'Initiatives');
  const listNote = h('p', { class: 'muted', 'data-testid': 'gp-list-note' }, 'Choose a member on the map or in the matrix, or a cell of the matrix, to list its initiatives.');
  const list = h('ul', { class: 'gp-list', 'data-testid': 'gp-list' });
  const main = h(
    'main',
    { class: 'page gp-page', 'data-loading': '' },
    h(
      'fieldset',
      { class: 'controls gp-filters' },
      h('legend', {}, 'Show initiatives of'),
      h('label', { for: 'gp-theme' }, 'Theme', themeSel),
      h('label', { for: 'gp-type' }, 'Type', typeSel),
    ),
    status,
    canWriteAny ? form.el : null,
    h('h2', {}, 'Outcomes reported'),
    totals,
    totalsNone,
    h(
      'div',
      { class: 'gp-grid' },
      h(
        'section',
        { class: 'gp-map-part', 'aria-labelledby': 'gp-map-head' },
        h('h2', { id: 'gp-map-head' }, 'Initiatives by member'),
        h('figure', { class: 'chart-figure' }, mapBox, legendBox, h('details', { class: 'as-table' }, h('summary', {}, 'Show as table'), mapTable)),
      ),
      h('section', { class: 'gp-matrix-part', 'aria-labelledby': 'gp-matrix-head' }, h('h2', { id: 'gp-matrix-head' }, 'By member and theme'), h('p', { class: 'muted gp-matrix-note' }, 'Shaded as on the map. Choose a count to list its initiatives.'), matrixBox),
    ),
    h('section', { class: 'gp-list-part', 'aria-labelledby': 'gp-list-head' }, listHead, listNote, list),
  );
  root.append(navBar(statusBadge(live), 'GP 2.0: Green Productivity initiatives'), main);

  let members: Member[] = [];
  let names = new Map<string, string>();
  let themes: GpTheme[] = [];
  let sectors = new Map<string, string>();
  let shown: Map<string, number> | null = null;
  let matrix: Matrix | null = null;
  let selected: Selection | null = null;
  const current = (): GpFilters => ({ theme: themeSel.value, type: typeSel.value });
  const themeLabel = (id: string) => themes.find((t) => t.id === id)?.label ?? id;

  const fillThemes = (list: GpTheme[]) => {
    themes = list;
    const keep = themeSel.value || f.theme;
    themeSel.replaceChildren(h('option', { value: '' }, 'Any theme'), ...list.map((t) => h('option', { value: t.id }, t.label)));
    themeSel.value = list.some((t) => t.id === keep) ? keep : '';
  };

  const fail = (e: unknown) => {
    status.className = 'gp-status form-status err';
    status.textContent = `Could not load the GP 2.0 mapping: ${describeError(e)}`;
  };

  let seq = 0;
  const load = async () => {
    const mine = ++seq;
    const filters = current();
    const mapping = await get<GpMapping>(`/gp/mapping${filtersQuery(filters)}`);
    if (mine !== seq) return;
    draw(mapping, filters);
    await loadList();
    if (canWriteAny) void refreshForm();
  };
  // The form's choices, and every initiative's id (a new one must not take one).
  const refreshForm = async () => {
    const all = await get<GpInitiative[]>('/gp/initiatives').catch(() => null);
    if (all) form.setContext({ members, themes, sectors: [...sectors].map(([id, label]) => ({ id, label })), initiatives: all });
  };

  const draw = (mapping: GpMapping, filters: GpFilters) => {
    const filtered = Boolean(filters.theme || filters.type);
    status.className = 'gp-status';
    status.textContent = membersText(mapping, filtered);
    const next = matrixOf(mapping, members, filters);
    const nextCounts = cellCounts(next);
    // A change of filters is a new view, not a change of the data: nothing flashes then.
    const same = matrix && sameFilters(matrixFilters, filters);
    const changed = same ? changedKeys(shown, nextCounts) : new Set<string>();
    matrix = next;
    matrixFilters = filters;
    shown = nextCounts;
    main.dataset.cells = [...nextCounts].filter(([, n]) => n > 0).map(([k, n]) => `${k}=${n}`).join(' ');

    // A card per outcome some initiative reports; the others named on one line, not as empty cards.
    const reported = mapping.totals.filter((t) => t.initiatives > 0);
    const missing = mapping.totals.filter((t) => t.initiatives === 0);
    totals.replaceChildren(
      ...reported.map((t) =>
        h(
          'li',
          { class: 'gp-total', 'data-metric': t.metric },
          h('span', { class: 'gp-total-label' }, metricLabel(t.metric)),
          h('span', { class: 'gp-total-value' }, valueText(t.metric, t.value, t.unit)),
          h('span', { class: 'gp-total-cover' }, coverageText(t, mapping.members_total)),
        ),
      ),
    );
    totalsNone.textContent = reported.length
      ? missing.length
        ? `Not reported by any initiative${filtered ? ' of this kind' : ''} yet: ${missing.map((t) => metricLabel(t.metric).toLowerCase()).join(', ')}.`
        : ''
      : `No outcome reported by any initiative${filtered ? ' of this kind' : ''} yet.`;
    // A total flashes when its words changed under the same filters.
    const totalTexts = new Map([...totals.children].map((li) => [(li as HTMLElement).dataset.metric ?? '', li.textContent ?? '']));
    if (same) for (const li of totals.children) if (shownTotals.get((li as HTMLElement).dataset.metric ?? '') !== li.textContent) flashEl(li);
    shownTotals = totalTexts;

    drawMap(next, changed);
    drawMatrix(next, changed);
  };
  let matrixFilters: GpFilters = { theme: '', type: '' };
  let shownTotals = new Map<string, string>();

  const drawMap = (m: Matrix, changed: Set<string>) => {
    const isoNum = new Map(members.map((x) => [x.iso3, x.iso_num]));
    const data = m.rows.map((r) => ({
      isoNum: isoNum.get(r.iso3) ?? '',
      label: r.iso3,
      colour: countColour(r.total, m.maxTotal).bg,
      title: `${r.name}: ${r.total ? plural(r.total, 'initiative') : 'no initiative recorded'}`,
    }));
    const svg = memberMap(data, `GP 2.0 initiatives of the 21 members; darker is more; white is none recorded`);
    for (const r of m.rows) {
      for (const el of svg.querySelectorAll<SVGElement>(`[data-member="${r.iso3}"]`)) {
        el.dataset.count = String(r.total);
        el.classList.add('gp-member');
        if (selected?.iso3 === r.iso3) el.classList.add('gp-selected');
        if (changed.has(`${r.iso3}/*`)) el.classList.add('gp-changed');
      }
    }
    mapBox.replaceChildren(svg);
    legendBox.replaceChildren(gpLegend(m.maxTotal, 'initiative'));
    mapTable.replaceChildren(
      dataTable('GP 2.0 initiatives by member', ['Member', 'Initiatives'], m.rows.map((r) => [`${r.name} (${r.iso3})`, r.total ? count(r.total) : 'none recorded'])),
    );
  };

  const drawMatrix = (m: Matrix, changed: Set<string>) => {
    const head = h(
      'tr',
      {},
      h('th', { scope: 'col', class: 'gp-member-col' }, 'Member'),
      ...m.themes.map((t) => h('th', { scope: 'col', class: 'num', 'data-theme': t.id }, t.label)),
      // One theme shown: its column is the total already.
      m.themes.length === 1 ? null : h('th', { scope: 'col', class: 'num gp-total-col' }, 'All themes'),
    );
    const rows = m.rows.map((r) => {
      const pick = h('button', { type: 'button', class: 'gp-pick', 'data-pick': r.iso3, 'aria-pressed': selected?.iso3 === r.iso3 && selected.theme === null ? 'true' : 'false' }, r.name);
      pick.addEventListener('click', () => select({ iso3: r.iso3, theme: null }));
      const cells = r.cells.map((c) => cell(r, c.theme, c.count, countColour(c.count, m.maxTotal), changed));
      const total = h('td', { class: `num gp-row-total${changed.has(`${r.iso3}/*`) ? ' flash' : ''}`, 'data-cell': `${r.iso3}/*` }, r.total ? count(r.total) : '0');
      return h('tr', { 'data-member': r.iso3 }, h('th', { scope: 'row', class: 'gp-member-col' }, pick), ...cells, m.themes.length === 1 ? null : total);
    });
    const table = h(
      'table',
      { class: 'data gp-matrix' },
      h('caption', { class: 'sr-only' }, 'GP 2.0 initiatives by member and theme; choose a count to list them'),
      h('thead', {}, head),
      h('tbody', {}, ...rows),
    );
    matrixBox.replaceChildren(table);
  };

  const cell = (r: Matrix['rows'][number], theme: string, n: number, c: { bg: string; fg: string }, changed: Set<string>) => {
    const key = `${r.iso3}/${theme}`;
    const on = selected?.iso3 === r.iso3 && selected.theme === theme;
    const b = h(
      'button',
      {
        type: 'button',
        class: `gp-cell${n ? '' : ' is-zero'}`,
        style: `background:${c.bg};color:${n ? c.fg : '#4b5563'}`,
        'aria-pressed': on ? 'true' : 'false',
        // The count first, as it is shown (the accessible name holds the visible text).
        'aria-label': `${plural(n, 'initiative')}: ${r.name}, ${themeLabel(theme)}`,
      },
      count(n),
    );
    b.addEventListener('click', () => select({ iso3: r.iso3, theme }));
    return h('td', { class: `num${changed.has(key) ? ' flash' : ''}`, 'data-cell': key }, b);
  };

  let listSeq = 0;
  const loadList = async () => {
    const mine = ++listSeq;
    if (!selected) {
      list.replaceChildren();
      return;
    }
    const sel = selected;
    const name = names.get(sel.iso3) ?? sel.iso3;
    listHead.textContent = listHeading(name, sel.theme ? themeLabel(sel.theme) : current().theme ? themeLabel(current().theme) : null);
    listNote.textContent = 'Loading…';
    try {
      const items = await get<GpInitiative[]>(`/gp/initiatives${listQuery(current(), sel.iso3, sel.theme)}`);
      if (mine !== listSeq) return;
      listNote.textContent = items.length ? `${plural(items.length, 'initiative')}${current().type ? ` of type ${TYPE_LABEL[current().type as keyof typeof TYPE_LABEL]}` : ''}` : 'No initiative recorded here.';
      list.replaceChildren(
        ...items.map((i) => {
          const li = initiativeItem(i, themeLabel, (id) => sectors.get(id) ?? humanize(id));
          if (!mayWrite(i.iso3)) return li;
          const edit = h('button', { type: 'button', class: 'secondary', 'data-edit': i.id, 'aria-label': `Edit ${i.title}` }, 'Edit');
          edit.addEventListener('click', () => form.edit(i));
          li.append(h('div', { class: 'gp-item-actions' }, edit, deleteControl(i, () => {
              form.deleted(i.id);
              void load().catch(fail);
            })));
          return li;
        }),
      );
      list.dataset.ids = items.map((i) => i.id).join(' ');
    } catch (e) {
      if (mine !== listSeq) return;
      listNote.textContent = `Could not load the initiatives: ${describeError(e)}`;
    }
  };

  const select = (s: Selection, reveal = true) => {
    selected = s;
    if (matrix) {
      drawMatrix(matrix, new Set());
      for (const el of mapBox.querySelectorAll('.gp-selected')) el.classList.remove('gp-selected');
      for (const el of mapBox.querySelectorAll(`[data-member="${s.iso3}"]`)) el.classList.add('gp-selected');
    }
    void loadList();
    // The list is below the matrix: brought into view, as a phone would otherwise not show it.
    if (reveal && listHead.getBoundingClientRect().top > innerHeight) listHead.scrollIntoView({ block: 'start' });
  };

  mapBox.addEventListener('click', (e) => {
    const el = (e.target as Element | null)?.closest?.('[data-member]');
    const iso3 = el?.getAttribute('data-member');
    if (iso3 && names.has(iso3)) select({ iso3, theme: null });
  });

  const changed = () => {
    history.replaceState(history.state, '', `${location.pathname}${filtersQuery(current())}`);
    if (selected?.theme && current().theme && selected.theme !== current().theme) selected = { iso3: selected.iso3, theme: null };
    void load().catch(fail);
  };
  themeSel.addEventListener('change', changed);
  typeSel.addEventListener('change', changed);

  let ready = false;
  // The sectors' labels (shared with the training database); an initiative shows its id in words without them.
  const sectorList = get<{ id: string; label: string }[]>('/trainings/sectors').catch(() => []);
  Promise.all([get<Member[]>('/members'), get<GpTheme[]>('/gp/themes'), sectorList])
    .then(([ms, ts, ss]) => {
      sectors = new Map(ss.map((x) => [x.id, x.label]));
      members = ms;
      names = new Map(ms.map((m) => [m.iso3, m.name]));
      fillThemes(ts);
      typeSel.value = f.type;
      ready = true;
      if (canWriteAny) {
        form.setContext({ members, themes, sectors: ss, initiatives: [] });
        const own = who?.role === 'editor' ? who.member : null;
        form.add(own ?? editable()[0] ?? '');
        // An editor sees its own member's initiatives, with their Edit and Delete, from the start.
        if (own && names.has(own)) selected = { iso3: own, theme: null };
      }
      return load();
    })
    .catch(fail)
    .finally(() => main.removeAttribute('data-loading'));

  live.subscribe((_doc, change) => {
    if (!ready) return;
    const t = touchesGp(change);
    if (t.themes) void get<GpTheme[]>('/gp/themes').then(fillThemes).catch(() => undefined);
    if (t.initiatives || t.themes) void load().catch(fail);
  });
}

function sameFilters(a: GpFilters, b: GpFilters): boolean {
  return a.theme === b.theme && a.type === b.type;
}

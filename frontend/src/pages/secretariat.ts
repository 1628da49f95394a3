// /secretariat: for the Secretariat, the workshop (join code, delegation cards) and the tokens
// (access-panels.ts); for everyone, pillar results beside budget planned and spent;
// completeness by member; the off-track and not-reported key results; primer statuses; a
// period selector (switches the live socket); a replay slider over revisions that shows
// GET /dashboard?rev=N, read-only.
//
// Each block watches the sections it shows (model.ts): the chart and pillar table the four
// pillars, the primer cards the primer counts, each completeness row its member, each
// off-track row its key result; the lists of off-track and not-reported key results are kept
// up to date from the key results each patch touched, and drawn as one table per member.
// Replaying shows a second model, loaded from GET /dashboard?rev=N, through the same blocks.
// The chart's update is left to the next animation frame (ECharts' lazyUpdate), so a burst of
// patches redraws it once.

import { computed, signal } from '@preact/signals-core';
import type { ReadonlySignal } from '@preact/signals-core';
import { get } from '../api';
import { statusBadge } from '../badge';
import { makeChart } from '../charts';
import { h, setStyle, setText } from '../dom';
import { derivedAside, derivedSuffix } from '../derived';
import { count, money, num, pct } from '../format';
import { connectLive } from '../live';
import { DocModel, filteredKeys, naturalOrder, stableList } from '../model';
import { navBar } from '../nav';
import { OKABE_ITO, PRIMER_COLOUR, PRIMER_LABEL, PRIMER_TEXT } from '../palette';
import { initialPeriod } from '../period';
import type { Dashboard, KrDoc, Member } from '../protocol';
import { CYCLE_YEARS, PILLARS, PRIMER_STATES } from '../protocol';
import { each, watch } from '../reactive';
import { session } from '../session';
import { chartWithTable, liveTable, scrollBox, tableRow } from '../table';
import { tokenPanel, workshopPanel } from './access-panels';
import { importPanel } from '../import-panel';
import { exportPanel } from '../export-buttons';
import { projectFormPanel } from './projects-form';
import { bcnPanel } from './projects-bcn';
import { coeTimeline } from './coes-timeline';
import { pillarsPanel } from './pillars-panel';

/** Key results ordered by member, then code ("VNM-KR2" before "VNM-KR10"). Keys are `ISO3/CODE`. */
export function byMemberAndCode(a: string, b: string): number {
  const i = a.indexOf('/');
  const j = b.indexOf('/');
  return naturalOrder(a.slice(0, i), b.slice(0, j)) || naturalOrder(a.slice(i + 1), b.slice(j + 1));
}

/** Keys `ISO3/CODE` grouped by member, in the list's order. */
function byMember(keys: readonly string[]): Map<string, string[]> {
  const by = new Map<string, string[]>();
  for (const key of keys) {
    const iso3 = key.slice(0, key.indexOf('/'));
    let list = by.get(iso3);
    if (!list) by.set(iso3, (list = []));
    list.push(key);
  }
  return by;
}

/** The lists a model's key results give (made once per model), by member. */
interface Lists {
  offTrack: ReadonlySignal<ReadonlyMap<string, readonly string[]>>;
  /** Key results with a target for the period and no actual. */
  missing: ReadonlySignal<ReadonlyMap<string, readonly string[]>>;
}

function listsOf(model: DocModel): Lists {
  const offTrack = filteredKeys(model.key_results, (k: KrDoc) => k.status === 'off_track', byMemberAndCode);
  const missing = filteredKeys(model.key_results, (k: KrDoc) => k.target != null && k.actual == null, byMemberAndCode);
  return { offTrack: computed(() => byMember(offTrack.value)), missing: computed(() => byMember(missing.value)) };
}

/**
 * Members' ISO codes in the order of the names shown ("Bangladesh", "Cambodia", "Fiji", …, a
 * code without a name last): the tables show names, so they are sorted by them.
 */
function byShownName(model: DocModel, iso3s: Iterable<string>): string[] {
  const name = (iso3: string) => model.members.entry(iso3).value?.name ?? `\uffff${iso3}`;
  return [...iso3s].map((c) => [c, name(c)] as const).sort((a, b) => naturalOrder(a[1], b[1]) || naturalOrder(a[0], b[0])).map(([c]) => c);
}

/** A table longer than this is laid out only when it comes near the view. */
const LAZY_ROWS = 40;

export function renderSecretariat(root: HTMLElement): void {
  document.title = 'APO Dashboard · Secretariat';
  const live = connectLive(initialPeriod());
  const periodSel = h('select', { id: 'period', 'data-testid': 'period' }, ...CYCLE_YEARS.map((y) => h('option', { value: String(y) }, String(y))));
  periodSel.value = String(live.period);
  const slider = h('input', { type: 'range', id: 'replay', min: '1', max: '1', step: '1', 'data-testid': 'replay' });
  const replayLabel = h('output', { for: 'replay', 'data-testid': 'replay-label' }, 'live');
  const backToLive = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Back to live');
  const banner = h('p', { class: 'form-status', role: 'status', 'data-testid': 'replay-banner' });

  const chartEl = h('div', { class: 'chart', role: 'img', 'aria-label': 'Pillar score and share of budget spent' });
  const pillarTable = scrollBox('Pillars: results and budget, as a table');

  // What the blocks show: the live document, or the one being replayed.
  const replayModel = new DocModel();
  const shown = signal<DocModel>(live.model);
  const lists = new WeakMap<DocModel, Lists>();
  const listsShown = computed(() => {
    const m = shown.value;
    let l = lists.get(m);
    if (!l) lists.set(m, (l = listsOf(m)));
    return l;
  });
  const memberCount = computed(() => shown.value.members.keys.value.length);
  const period = computed(() => shown.value.period.value ?? live.period);

  // ---- primers ----
  const primerBox = h(
    'div',
    { class: 'cards' },
    ...PRIMER_STATES.map((s) => {
      const big = h('div', { class: 'big' });
      watch(() => {
        const counts = shown.value.primers.value;
        if (counts) setText(big, `${count(counts[s])} / ${count(memberCount.value)}`);
      });
      return h('div', { class: 'card', 'data-testid': `sec-primers-${s}` }, h('h3', {}, h('span', { class: 'pill', style: `background:${PRIMER_COLOUR[s]};color:${PRIMER_TEXT[s]}` }, PRIMER_LABEL[s])), big);
    }),
  );

  // ---- completeness by member: one row per member, each watching its member ----
  const memberKeys = stableList(() => byShownName(shown.value, shown.value.members.keys.value));
  const completenessColumns = { numericFrom: 2, narrow: [1, 2, 3] };
  const completeness = liveTable(
    ['Member', 'Primer', 'Reported', 'Expected', 'Completeness', 'Score'],
    memberKeys,
    (iso3) => {
      const { tr, cells } = tableRow(6, completenessColumns);
      const link = h('a', { href: `/members/${iso3}` });
      cells[0]?.append(link);
      watch(() => {
        const m = shown.value.members.entry(iso3).value;
        if (!m) return;
        setText(link, `${m.name} (${iso3})`, false);
        const values = [PRIMER_LABEL[m.primer_status] ?? m.primer_status, count(m.reported), count(m.expected), pct(m.completeness), pct(m.score)];
        // A value that changes flashes, so the desk sees which member just reported.
        values.forEach((v, i) => {
          const c = cells[i + 1];
          if (c) setText(c, v);
        });
      });
      return tr;
    },
    completenessColumns,
  );
  completeness.table.dataset.testid = 'completeness';
  watch(() => setText(completeness.caption, `Completeness by member, ${period.value}`, false));

  // ---- needs attention ----
  // One table per member; a long one is laid out only when near the view (`lazy-layout`): with
  // 20,000 key results there are thousands of rows, and one table of them all was laid out
  // again on every row that came or went.
  const offTrack = computed(() => listsShown.value.offTrack.value);
  const offTrackCount = computed(() => {
    let n = 0;
    for (const keys of offTrack.value.values()) n += keys.length;
    return n;
  });
  const offTrackHead = h('p', { class: 'table-head' });
  const offTrackBox = h('div', {});
  // The member is in the caption. On a phone the pillar and the actual (progress says how far
  // it is) can go, so the progress stays in view.
  const offTrackColumns = { numericFrom: 3, narrow: [1, 4] };
  each(offTrackBox, stableList(() => byShownName(shown.value, offTrack.value.keys())), (iso3) => {
    const keys = stableList(() => offTrack.value.get(iso3) ?? []);
    const t = liveTable(
      ['Key result', 'Pillar', 'Title', 'Target', 'Actual', 'Progress'],
      keys,
      (key) => {
        const { tr, cells } = tableRow(6, offTrackColumns);
        watch(() => {
          const k = shown.value.key_results.entry(key).value;
          if (!k) return;
          // A derived actual is said in the title's cell: the narrow numeric column would stack the words (and a phone hides it).
          const values = [k.code, String(k.pillar), `${k.title}${derivedSuffix(k)}`, num(k.target, 2), num(k.actual, 2), pct(k.progress)];
          values.forEach((v, i) => {
            const c = cells[i];
            if (c) setText(c, v, false);
          });
        });
        return tr;
      },
      { ...offTrackColumns, className: 'data aligned' },
    );
    const box = h('div', {}, t.table);
    watch(() => {
      const n = keys.value.length;
      setText(t.caption, `${shown.value.members.entry(iso3).value?.name ?? iso3} (${iso3}): ${count(n)} off track`, false);
      box.classList.toggle('lazy-layout', n > LAZY_ROWS);
      setStyle(box, 'contain-intrinsic-size', `auto ${4 + 2.2 * n}rem`);
    });
    return box;
  });
  watch(() => {
    const n = offTrackCount.value;
    setText(offTrackHead, n ? `${count(n)} key results off track in ${period.value}` : `Nothing off track in ${period.value}.`, false);
  });

  const missing = computed(() => listsShown.value.missing.value);
  const missingMembers = stableList(() => byShownName(shown.value, missing.value.keys()));
  const missingTable = liveTable(
    ['Member', 'Key results', 'Not reported'],
    missingMembers,
    (iso3) => {
      const { tr, cells } = tableRow(3, { numericFrom: 2 });
      watch(() => {
        const keys = missing.value.get(iso3) ?? [];
        const name = shown.value.members.entry(iso3).value?.name ?? iso3;
        // A derived key result without data is chased in its database, not for a report: said so.
        const codes = keys.map((k) => `${k.slice(k.indexOf('/') + 1)}${derivedAside(shown.value.key_results.entry(k).value)}`);
        [`${name} (${iso3})`, codes.join(', '), count(keys.length)].forEach((v, i) => {
          const c = cells[i];
          if (c) setText(c, v, false);
        });
      });
      return tr;
    },
    { numericFrom: 2 },
  );
  const allReported = h('p', {});
  const missingBox = h('div', {}, missingTable.table, allReported);
  watch(() => {
    let n = 0;
    for (const codes of missing.value.values()) n += codes.length;
    missingBox.classList.toggle('lazy-layout', n > 10 * LAZY_ROWS);
    missingTable.table.hidden = n === 0;
    allReported.hidden = n > 0;
    setText(missingTable.caption, `${count(n)} key results with a ${period.value} target and no report, by member`, false);
    setText(allReported, `Every key result with a ${period.value} target is reported.`, false);
  });

  // The workshop and the tokens, for the Secretariat only (others read the results below).
  const me = session();
  const members = me?.role === 'secretariat' ? get<Member[]>('/members') : null;
  const admin = members ? h('div', { class: 'admin' }, workshopPanel(members, me), tokenPanel(members)) : null;

  root.append(
    navBar(statusBadge(live), 'Secretariat'),
    h(
      'main',
      { class: 'page' },
      h('p', {}, h('a', { href: '/secretariat/review', class: 'button', 'data-testid': 'review-desk-link' }, 'Review desk: submitted primers to endorse or return')),
      admin,
      // Import for the Secretariat; export for whoever reads this page, at the period shown.
      h('div', { class: 'admin data-io' }, me?.role === 'secretariat' ? importPanel() : null, exportPanel({ period: () => period.value })),
      me?.role === 'secretariat' ? projectFormPanel() : null,
      bcnPanel(live, me?.role === 'secretariat'),
      coeTimeline(live),
      h(
        'div',
        { class: 'controls' },
        h('label', { for: 'period' }, 'Period', periodSel),
        h('label', { for: 'replay', class: 'replay' }, 'Replay revision', slider),
        replayLabel,
        backToLive,
      ),
      banner,
      h('h2', {}, 'Pillars: results and budget'),
      chartWithTable(chartEl, pillarTable),
      pillarsPanel(live, computed(() => shown.value !== live.model)),
      h('h2', {}, 'Primers'),
      primerBox,
      h('h2', {}, 'Completeness by member'),
      scrollBox('Completeness by member', {}, completeness.table),
      h('h2', {}, 'Needs attention: off track, and not reported'),
      offTrackHead,
      scrollBox('Key results off track', {}, offTrackBox),
      scrollBox('Key results not reported', {}, missingBox),
    ),
  );

  // ---- pillars: the chart (set up once, then data only) and its table ----
  const chart = makeChart(chartEl, {
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 48, right: 16, top: 36, bottom: 56 },
    xAxis: { type: 'category', data: PILLARS.map((p) => `Pillar ${p}`) },
    yAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value} %' } },
    series: [
      { name: 'Score', type: 'bar', itemStyle: { color: OKABE_ITO.blue }, data: [] },
      { name: 'Budget spent (of planned)', type: 'bar', itemStyle: { color: OKABE_ITO.orange }, data: [] },
    ],
  });
  // The chart's data, set only when it changed (a report that moves no pillar score or budget
  // leaves the chart alone); the table beside it, one row per pillar, redrawn cell by cell.
  const pillarRows = PILLARS.map(() => tableRow(7));
  const pillarCaption = h('caption', {});
  pillarTable.append(
    h(
      'table',
      { class: 'data' },
      pillarCaption,
      h('thead', {}, h('tr', {}, ...['Pillar', 'Score', 'Members scored', 'Key results with data', 'Budget planned', 'Budget spent', 'Spent'].map((c, i) => h('th', { scope: 'col', class: i ? 'num' : null }, c)))),
      h('tbody', {}, ...pillarRows.map((r) => r.tr)),
    ),
  );
  let chartData = '';
  watch(() => {
    const model = shown.value;
    const pillars = PILLARS.map((p) => model.pillars.entry(p).value);
    if (!model.loaded.value) return;
    const scores = pillars.map((x) => pctNum(x?.score));
    const spent = pillars.map((x) => (x && x.budget.planned > 0 ? Math.round((1000 * x.budget.spent) / x.budget.planned) / 10 : null));
    const data = JSON.stringify([scores, spent]);
    if (data !== chartData) {
      chartData = data;
      chart.setOption({ series: [{ data: scores }, { data: spent }] }, { lazyUpdate: true });
    }
    setText(pillarCaption, `Pillars, ${period.value}`, false);
    PILLARS.forEach((p, i) => {
      const x = pillars[i];
      const values = [
        `${p} ${x?.name ?? ''}`,
        pct(x?.score),
        count(x?.members_scored),
        `${count(x?.krs_with_data)} / ${count(x?.krs)}`,
        money(x?.budget.planned),
        money(x?.budget.spent),
        x && x.budget.planned > 0 ? pct(x.budget.spent / x.budget.planned) : '–',
      ];
      values.forEach((v, j) => {
        const c = pillarRows[i]?.cells[j];
        if (c) setText(c, v, false);
      });
    });
  });

  // ---- period and replay ----
  let replaying: number | null = null;
  watch(() => {
    const rev = live.model.rev.value ?? 0;
    slider.max = String(Math.max(Number(slider.max), rev));
    if (replaying === null) slider.value = slider.max;
  });

  periodSel.addEventListener('change', () => {
    stopReplay();
    live.setPeriod(Number(periodSel.value));
  });

  let replaySeq = 0;
  slider.addEventListener('input', () => {
    const rev = Number(slider.value);
    if (rev >= (live.rev ?? 0)) {
      stopReplay();
      return;
    }
    replaying = rev;
    replayLabel.textContent = `revision ${rev}`;
    backToLive.hidden = false;
    const seq = ++replaySeq;
    get<Dashboard>(`/dashboard?period=${live.period}&rev=${rev}`)
      .then((doc) => {
        if (seq !== replaySeq || replaying === null) return;
        banner.textContent = `Replaying: the dashboard as it was at revision ${rev} (read-only).`;
        banner.className = 'form-status';
        replayModel.reset(doc);
        replayModel.flush();
        shown.value = replayModel;
      })
      .catch((e) => {
        banner.textContent = `Could not load revision ${rev}: ${String(e)}`;
        banner.className = 'form-status err';
      });
  });
  backToLive.addEventListener('click', stopReplay);

  function stopReplay(): void {
    replaying = null;
    replaySeq++;
    replayLabel.textContent = 'live';
    backToLive.hidden = true;
    banner.textContent = '';
    slider.value = slider.max;
    shown.value = live.model;
  }
}

function pctNum(v: number | null | undefined): number | null {
  return v === null || v === undefined ? null : Math.round(v * 1000) / 10;
}

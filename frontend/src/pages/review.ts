// /secretariat/review: the Secretariat's review desk.
//
// Beside the opened primer, three lists from `GET /primers` (names from `GET /members`): the
// queue of submitted primers (longest waiting first: member, when submitted, version, how many
// key results), the endorsed primers, and amendments being drafted. Opening one
// (`?open=VNM`, kept in the address so a reload or a shared link shows it) reads the primer
// (`GET /primers/{iso3}`) and its history (`GET /primers/{iso3}/history`), and shows:
//
//   - for a submitted primer, what changed since it was last returned (or, for an amendment,
//     since the version it amends was endorsed): review-diff.ts over the history's primers;
//   - the primer as the delegation wrote it: national context, focus areas, key results by
//     pillar with their targets, baseline and range, new and changed ones marked;
//   - the decision: endorse with the date it was signed (today unless changed), or return with
//     a comment (required) that the delegation reads on its phone; for an endorsed primer,
//     reopening it as an amendment with a reason;
//   - the history, each endorsed version readable (`?open=VNM&rev=N`).
//
// The lists and the opened primer are loaded again when the live socket carries a change of a
// primer (every replica's, so two desks see each other's decisions). A decision form being
// filled in is kept through such a reload while the primer stays at the same status and version.

import { ApiError, describeError, get, post } from '../api';
import type { components } from '../generated/api';
import { statusBadge } from '../badge';
import { h } from '../dom';
import { derivedMark } from '../derived';
import { clearErrors, field, showErrors } from '../forms';
import { count, num, plural, when } from '../format';
import { connectLive } from '../live';
import { navBar } from '../nav';
import { PRIMER_COLOUR, PRIMER_LABEL, PRIMER_TEXT } from '../palette';
import { initialPeriod } from '../period';
import type { PrimerState } from '../protocol';
import { CYCLE_YEARS } from '../protocol';
import { diffLines, diffPrimers, elide, krMarks, markOf } from '../review-diff';
import type { KrLike, PrimerDiff, PrimerLike } from '../review-diff';
import { actionText, amendmentsOf, amendProblem, compareBase, endorsedOf, endorseProblem, endorsements, lastReturn, queueOf, returnProblem, todayIso, versionText } from '../review-steps';
import { session } from '../session';
import '../styles/review.css';

// ---- what the server answers (src/model.rs: Primer, PrimerStep, PrimerSummary, ReviewInput, AmendInput) ----

type Schemas = components['schemas'];
type Primer = Schemas['Primer'];
type Step = Schemas['PrimerStep'];
type Summary = Schemas['PrimerSummary'];
type Answer = Schemas['PutPrimerResult'];
type ReviewBody = Schemas['ReviewInput'];
type AmendBody = Schemas['AmendInput'];

const dateOnly = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
/** "30 Jan 2026" from `2026-01-30`. */
function dateText(d: string | null | undefined): string {
  if (!d) return '–';
  const t = Date.parse(`${d}T00:00:00Z`);
  return Number.isNaN(t) ? d : dateOnly.format(t);
}

function pill(status: string): HTMLElement {
  const s = (status in PRIMER_LABEL ? status : 'none') as PrimerState;
  return h('span', { class: 'pill', style: `background:${PRIMER_COLOUR[s]};color:${PRIMER_TEXT[s]}` }, PRIMER_LABEL[s] ?? status);
}

/** What takes the focus once an opened primer is drawn: its heading, the amendment's reason, or nothing (a reload). */
type Focus = 'head' | 'amend' | null;

/** Where the desk is: the primer opened, and a past step of it being read (or none). */
interface Place {
  iso3: string | null;
  rev: number | null;
  /** An endorsed version to read, by number (`?endorsed=1`): the latest endorsement of it. */
  endorsed: number | null;
}

function placeOf(search: string): Place {
  const q = new URLSearchParams(search);
  const iso3 = (q.get('open') ?? '').toUpperCase();
  const n = (k: string) => {
    const v = Number(q.get(k));
    return Number.isInteger(v) && v > 0 ? v : null;
  };
  return { iso3: /^[A-Z]{3}$/.test(iso3) ? iso3 : null, rev: n('rev'), endorsed: n('endorsed') };
}

function hrefOf(p: Place): string {
  const q = new URLSearchParams();
  if (p.iso3) q.set('open', p.iso3);
  if (p.rev) q.set('rev', String(p.rev));
  if (p.endorsed) q.set('endorsed', String(p.endorsed));
  const s = q.toString();
  return `/secretariat/review${s ? `?${s}` : ''}`;
}

export function renderReview(root: HTMLElement): void {
  document.title = 'APO Dashboard · Review desk';
  const live = connectLive(initialPeriod());
  const mayReview = session()?.role === 'secretariat';
  const names = new Map<string, string>();
  const pillarNames = new Map<number, string>();
  const name = (iso3: string) => names.get(iso3) ?? iso3;

  const queueList = h('ul', { class: 'review-list', 'data-testid': 'review-queue' });
  const queueHead = h('h2', { id: 'queue-head' }, 'Waiting for review');
  const endorsedList = h('ul', { class: 'review-list', 'data-testid': 'review-endorsed' });
  const endorsedHead = h('h2', { id: 'endorsed-head' }, 'Endorsed');
  const amendList = h('ul', { class: 'review-list', 'data-testid': 'review-amending' });
  const amendHead = h('h2', { id: 'amending-head' }, 'Amendments being drafted');
  const amendSection = h('section', { 'aria-labelledby': 'amending-head' }, amendHead, amendList);
  const listStatus = h('p', { class: 'form-status', role: 'status' });
  /** What the last decision did, kept above the opened primer through its reloads. */
  const deskStatus = h('p', { class: 'form-status', role: 'status', 'data-testid': 'review-status' });
  const pane = h('section', { class: 'review-pane', 'aria-label': 'The opened primer', 'data-testid': 'review-pane' });
  const main = h(
    'main',
    { class: 'page review', 'data-loading': '' },
    h(
      'p',
      { class: 'lede' },
      'Primers the delegations have submitted. Open one to read it as the delegation wrote it, with what changed since it was last returned; then endorse it, or return it with a comment the delegation reads on its phone.',
    ),
    mayReview ? null : h('p', { class: 'form-status err' }, 'Only the Secretariat endorses or returns primers: you can read them here.'),
    h(
      'div',
      { class: 'review-layout', 'data-testid': 'review-layout' },
      h(
        'div',
        { class: 'review-lists' },
        h('section', { 'aria-labelledby': 'queue-head' }, queueHead, queueList),
        h('section', { 'aria-labelledby': 'endorsed-head' }, endorsedHead, endorsedList),
        amendSection,
        listStatus,
      ),
      h('div', { class: 'review-main' }, deskStatus, pane),
    ),
  );
  root.append(navBar(statusBadge(live), 'Review desk'), main);

  let place = placeOf(location.search);
  let summaries: Summary[] = [];

  // ---- navigation inside the page: links carry ?open=…, followed without a reload ----
  const go = (p: Place, focus: Focus = 'head'): Promise<void> => {
    const same = p.iso3 === place.iso3 && p.rev === place.rev && p.endorsed === place.endorsed;
    place = p;
    if (!same) history.pushState(null, '', hrefOf(p));
    deskStatus.textContent = '';
    statusFor = null;
    drawLists();
    return openPrimer(focus);
  };
  main.addEventListener('click', (e) => {
    const a = (e.target as Element | null)?.closest?.('a[data-place]');
    if (!a || !(a instanceof HTMLAnchorElement) || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    const to = placeOf(new URL(a.href).search);
    // "Amend…" in the endorsed list: the cursor goes to the amendment's reason.
    void go(to, a.hasAttribute('data-amend') ? 'amend' : 'head');
  });
  window.addEventListener('popstate', () => {
    place = placeOf(location.search);
    drawLists();
    void openPrimer(null);
  });
  const placeLink = (p: Place, text: string | Node, attrs: Record<string, string> = {}) => h('a', { href: hrefOf(p), 'data-place': '', ...attrs }, text);

  // ---- the lists ----
  function item(s: Summary, meta: string[], extra: Node | null = null): HTMLElement {
    const current = place.iso3 === s.iso3;
    return h(
      'li',
      { 'data-iso3': s.iso3 },
      placeLink({ iso3: s.iso3, rev: null, endorsed: null }, h('span', { class: 'item-name' }, `${name(s.iso3)}`, h('span', { class: 'muted' }, ` (${s.iso3})`)), {
        class: 'review-item',
        'aria-current': current ? 'true' : 'false',
        'data-testid': `open-${s.iso3}`,
      }),
      // Each fact unbroken, so a line breaks between them ("· 6 key results", never "· 6 key" / "results").
      h('span', { class: 'item-meta' }, ...meta.filter(Boolean).flatMap((m, i, all) => [i ? ' ' : '', h('span', { class: 'fact' }, i < all.length - 1 ? `${m} ·` : m)])),
      extra,
    );
  }
  function drawLists(): void {
    const queue = queueOf(summaries);
    queueHead.textContent = `Waiting for review (${count(queue.length)})`;
    queueList.replaceChildren(
      ...(queue.length
        ? queue.map((s) => item(s, [`submitted ${when(s.updated_at)}`, versionText(s.version), plural(s.key_results, 'key result')]))
        : [h('li', { class: 'muted empty' }, 'No primer is waiting for review.')]),
    );
    const endorsed = endorsedOf(summaries, name);
    endorsedHead.textContent = `Endorsed (${count(endorsed.length)})`;
    endorsedList.replaceChildren(
      ...(endorsed.length
        ? endorsed.map((s) =>
            item(
              s,
              [`endorsed ${dateText(s.endorsed_on)}`, versionText(s.version)],
              mayReview ? placeLink({ iso3: s.iso3, rev: null, endorsed: null }, 'Amend…', { class: 'item-action', 'data-amend': s.iso3, 'aria-label': `Amend the primer of ${name(s.iso3)}` }) : null,
            ),
          )
        : [h('li', { class: 'muted empty' }, 'None yet.')]),
    );
    const amending = amendmentsOf(summaries, name);
    amendHead.textContent = `Amendments being drafted (${count(amending.length)})`;
    amendSection.hidden = amending.length === 0;
    amendList.replaceChildren(
      ...amending.map((s) => {
        const v = (s.version ?? 2) - 1;
        return item(
          s,
          [versionText(s.version), `edited ${when(s.updated_at)}`],
          placeLink({ iso3: s.iso3, rev: null, endorsed: v }, `Read version ${v} as endorsed`, { class: 'item-action', 'data-read-endorsed': s.iso3 }),
        );
      }),
    );
  }

  let listSeq = 0;
  async function loadLists(): Promise<void> {
    const seq = ++listSeq;
    try {
      const all = await get<Summary[]>('/primers');
      if (seq !== listSeq) return;
      summaries = all;
      listStatus.textContent = '';
      drawLists();
    } catch (e) {
      listStatus.textContent = `The primers could not be loaded: ${describeError(e)}`;
      listStatus.className = 'form-status err';
    }
  }

  // ---- the opened primer ----
  /** The decision form kept through reloads of the same primer at the same status and version. */
  let decision: { key: string; el: HTMLElement } | null = null;
  let openSeq = 0;
  /** What takes the focus when the primer is next drawn (a live reload that overtakes an opening keeps it). */
  let focusNext: Focus = null;
  /** The primer (member/status/version) the desk's message is about; a change of it clears the message. */
  let statusFor: string | null = null;

  async function openPrimer(focus: Focus): Promise<void> {
    const seq = ++openSeq;
    focusNext = focus ?? focusNext;
    const at = place;
    // On a phone the opened primer comes before the lists (review.css).
    main.querySelector('.review-layout')?.classList.toggle('has-open', !!at.iso3);
    if (!at.iso3) {
      decision = null;
      pane.replaceChildren(h('p', { class: 'review-empty' }, 'Choose a primer from the queue to read it and decide.'));
      return;
    }
    pane.setAttribute('aria-busy', 'true');
    try {
      const [primer, steps] = await Promise.all([get<Primer>(`/primers/${at.iso3}`), get<Step[]>(`/primers/${at.iso3}/history`)]);
      if (seq !== openSeq) return;
      drawPrimer(at, primer, steps);
      const target = focusNext === 'amend' ? pane.querySelector<HTMLElement>('[data-testid=amend-form] textarea') : focusNext === 'head' ? pane.querySelector<HTMLElement>('h2') : null;
      focusNext = null;
      target?.focus({ preventScroll: true });
      target?.scrollIntoView({ block: target.tagName === 'H2' ? 'start' : 'center', behavior: 'instant' as ScrollBehavior });
    } catch (e) {
      if (seq !== openSeq) return;
      const why = e instanceof ApiError && e.status === 404 ? `${name(at.iso3)} has no primer yet.` : `The primer could not be loaded: ${describeError(e)}`;
      pane.replaceChildren(h('p', { class: 'form-status err' }, why));
    } finally {
      if (seq === openSeq) pane.removeAttribute('aria-busy');
    }
  }

  function drawPrimer(at: Place, primer: Primer, steps: Step[]): void {
    const iso3 = primer.iso3;
    // A past version being read: the step asked for, or the latest endorsement of a version.
    let step: Step | null = null;
    if (at.rev) step = steps.find((s) => s.rev === at.rev) ?? null;
    else if (at.endorsed) step = endorsements(steps).find((s) => s.version === at.endorsed) ?? null;
    const reading = at.rev !== null || at.endorsed !== null;
    const version = primer.version ?? 1;
    const key = `${iso3}/${primer.status}/${version}`;
    if (statusFor === '') statusFor = key;
    else if (statusFor !== null && statusFor !== key) {
      deskStatus.textContent = '';
      statusFor = null;
    }

    const head = h('h2', { tabindex: '-1', class: 'primer-head' }, name(iso3), ' ', pill(reading && step ? (step.primer?.status ?? step.action) : primer.status));
    const facts: string[] = [];
    if (!reading) {
      facts.push(versionText(version));
      if (primer.status === 'submitted') facts.push(`submitted ${when(primer.updated_at)}`);
      else if (primer.status === 'endorsed') facts.push(`endorsed ${dateText(primer.endorsed_on)}`);
      else facts.push(`last edited ${when(primer.updated_at)}`);
      facts.push(plural(primer.key_results.length, 'key result'));
    }
    const parts: (Node | null)[] = [h('a', { href: '#queue-head', class: 'to-lists' }, 'All primers: the queue and the lists'), head];
    if (!reading) parts.push(h('p', { class: 'primer-facts' }, facts.filter(Boolean).join(' · '), mayReview && primer.status !== 'draft' ? h('a', { href: '#decision', class: 'jump' }, primer.status === 'submitted' ? 'Go to the decision' : 'Amend this primer…') : null));

    if (reading) {
      if (!step || !step.primer) {
        parts.push(h('p', { class: 'form-status err' }, 'That version is not in this primer’s history.'), placeLink({ iso3, rev: null, endorsed: null }, 'Back to the current primer'));
        decision = null;
        pane.replaceChildren(...parts.filter((p): p is Node => p !== null));
        return;
      }
      const endorsedOn = step.primer.endorsed_on;
      const what =
        step.action === 'endorse'
          ? `You are reading version ${step.version ?? '?'} as it was endorsed${endorsedOn ? ` (signed ${dateText(endorsedOn)})` : ''} on ${when(step.at)} by ${step.actor}.`
          : `You are reading version ${step.version ?? '?'} as it was after “${actionText(step.action).toLowerCase()}” on ${when(step.at)} by ${step.actor}.`;
      parts.push(
        h('div', { class: 'reading-note', 'data-testid': 'review-reading' }, h('p', {}, what, ' It is kept, read-only, in the primer’s history.'), placeLink({ iso3, rev: null, endorsed: null }, `Back to the current primer (${versionText(version)}, ${PRIMER_LABEL[primer.status as PrimerState] ?? primer.status})`)),
      );
      parts.push(primerBody(step.primer, null), historySection(iso3, steps, step.rev));
      decision = null;
      pane.replaceChildren(...parts.filter((p): p is Node => p !== null));
      return;
    }

    let diff: PrimerDiff | null = null;
    if (primer.status === 'submitted') {
      const base = compareBase(steps);
      const ret = lastReturn(steps);
      const box = h('section', { class: 'review-changes', 'aria-labelledby': 'changes-head', 'data-testid': 'review-changes' });
      if (!base || !base.primer) {
        box.append(h('h3', { id: 'changes-head' }, 'First submission'), h('p', { class: 'muted' }, 'Nothing to compare with: this primer has not been returned or endorsed before.'));
      } else {
        diff = diffPrimers(base.primer, primer);
        const since = base.action === 'return' ? `since it was returned ${when(base.at)}` : `since version ${base.version ?? '?'} was endorsed ${when(base.at)}`;
        box.dataset.changes = String(diff.count);
        box.append(h('h3', { id: 'changes-head' }, `What changed ${since}`));
        if (base.action === 'return' && ret?.note) box.append(h('div', { class: 'return-note' }, h('span', { class: 'label' }, `${ret.actor} asked:`), h('blockquote', { 'data-testid': 'return-comment' }, ret.note)));
        box.append(changesView(diff));
      }
      parts.push(box);
    } else if (primer.review && primer.status === 'draft') {
      const r = primer.review;
      parts.push(
        h(
          'div',
          { class: 'reading-note', 'data-testid': 'review-last' },
          h('p', {}, `${actionText(r.action)} ${when(r.at)} by ${r.by}. The delegation is working on it; it comes back to the queue when they submit it again.`),
          r.note ? h('blockquote', {}, r.note) : null,
        ),
      );
    } else if (primer.status === 'draft') {
      parts.push(h('p', { class: 'reading-note' }, 'A draft: the delegation is still writing it. It comes to the queue when they submit it.'));
    }

    parts.push(primerBody(primer, diff));

    if (mayReview && (primer.status === 'submitted' || primer.status === 'endorsed')) {
      if (decision?.key !== key) decision = { key, el: primer.status === 'submitted' ? decisionForms(iso3, version) : amendForm(iso3, version) };
      parts.push(decision.el);
    } else {
      decision = null;
    }
    parts.push(historySection(iso3, steps, null));
    // A decision being typed keeps its place and the cursor through the redraw.
    const active = document.activeElement;
    pane.replaceChildren(...parts.filter((p): p is Node => p !== null));
    if (active instanceof HTMLElement && decision?.el.contains(active) && document.activeElement !== active) active.focus({ preventScroll: true });
  }

  /** Added or deleted words, marked; the spaces around them are not (an underlined space reads as a stray mark). */
  function marked(tag: 'ins' | 'del', text: string): (string | HTMLElement)[] {
    const m = /^(\s*)([\s\S]*?)(\s*)$/.exec(text)!;
    return [m[1] ?? '', m[2] ? h(tag, {}, m[2]) : '', m[3] ?? ''].filter((x) => x !== '');
  }

  /** The changes of a diff, in words; new and changed key results are also marked in the primer below. */
  function changesView(d: PrimerDiff): HTMLElement {
    if (d.count === 0) return h('p', { class: 'no-changes', 'data-testid': 'no-changes' }, 'Nothing changed: the primer is exactly as it was.');
    const list = h('ul', { class: 'change-list', 'aria-label': diffLines(d).join(' ') });
    if (d.context) {
      list.append(
        h(
          'li',
          { 'data-change': 'context' },
          h('strong', {}, 'National context'),
          h('p', { class: 'context-diff' }, ...elide(d.context.parts).flatMap((p) => (p.op === 'same' ? [p.text] : marked(p.op === 'add' ? 'ins' : 'del', p.text)))),
        ),
      );
    }
    for (const f of d.focusAdded) list.append(h('li', { 'data-change': 'focus-added' }, h('strong', {}, 'Focus area added: '), f));
    for (const f of d.focusRemoved) list.append(h('li', { 'data-change': 'focus-removed' }, h('strong', {}, 'Focus area removed: '), h('del', {}, f)));
    if (d.focusReordered) list.append(h('li', { 'data-change': 'focus-order' }, h('strong', {}, 'Focus areas put in another order')));
    for (const k of d.krAdded) list.append(h('li', { 'data-change': 'kr-added', 'data-code': k.code }, h('strong', {}, `New key result ${k.code}: `), k.title ?? ''));
    for (const k of d.krRemoved) list.append(h('li', { 'data-change': 'kr-removed', 'data-code': k.code }, h('strong', {}, `Key result removed ${k.code}: `), h('del', {}, k.title ?? '')));
    for (const k of d.krChanged) {
      list.append(
        h(
          'li',
          { 'data-change': 'kr-changed', 'data-code': k.code },
          h('strong', {}, `${k.code} changed`),
          ` (${k.title})`,
          h('ul', { class: 'field-changes' }, ...k.fields.map((f) => h('li', { 'data-field-change': f.field }, `${f.label}: `, h('del', {}, f.before), ' → ', h('ins', {}, f.after)))),
        ),
      );
    }
    return h('div', {}, h('p', { class: 'change-count' }, plural(d.count, 'change')), list);
  }

  /** The primer as the delegation wrote it. */
  function primerBody(p: PrimerLike, diff: PrimerDiff | null): HTMLElement {
    const marks = diff ? krMarks(diff) : new Map<string, 'added' | 'changed'>();
    const areas = p.focus_areas ?? [];
    const krs = p.key_results ?? [];
    const byPillar = new Map<number, KrLike[]>();
    for (const k of krs) {
      const n = typeof k.pillar === 'number' ? k.pillar : 0;
      let l = byPillar.get(n);
      if (!l) byPillar.set(n, (l = []));
      l.push(k);
    }
    const pillars = [...byPillar.keys()].sort((a, b) => a - b);
    return h(
      'section',
      { class: 'primer-body', 'aria-label': 'The primer as the delegation wrote it', 'data-testid': 'review-body' },
      h('h3', {}, 'National context'),
      p.national_context?.trim() ? h('p', { class: 'context' }, p.national_context) : h('p', { class: 'muted' }, 'Not written.'),
      h('h3', {}, `Focus areas (${count(areas.length)})`),
      areas.length ? h('ol', { class: 'focus-list' }, ...areas.map((f) => h('li', {}, f))) : h('p', { class: 'muted' }, 'None chosen.'),
      h('h3', {}, `Key results (${count(krs.length)})`),
      krs.length ? null : h('p', { class: 'muted' }, 'None yet.'),
      ...pillars.map((n) => {
        const list = byPillar.get(n) ?? [];
        return h(
          'section',
          { class: 'pillar-group', 'data-pillar': String(n) },
          h('h4', {}, `Pillar ${n}${pillarNames.get(n) ? ` · ${pillarNames.get(n)}` : ''}`, h('span', { class: 'muted' }, ` (${plural(list.length, 'key result')})`)),
          h('ul', { class: 'kr-cards' }, ...list.map((k) => krCard(k, markOf(marks, k.code)))),
        );
      }),
    );
  }

  function krCard(k: KrLike, mark: 'added' | 'changed' | null): HTMLElement {
    const targets = k.targets ?? {};
    const range = k.min_value == null && k.max_value == null ? 'any value' : k.min_value != null && k.max_value != null ? `${num(k.min_value as number, 2)} to ${num(k.max_value as number, 2)}` : k.min_value != null ? `at least ${num(k.min_value as number, 2)}` : `at most ${num(k.max_value as number, 2)}`;
    const baseline = k.baseline_value == null ? 'none' : `${num(k.baseline_value, 2)}${k.baseline_year ? ` in ${k.baseline_year}` : ''}`;
    const years = [...new Set([...CYCLE_YEARS.map(String), ...Object.keys(targets)])].sort();
    return h(
      'li',
      { class: `kr-card${mark ? ` mark-${mark}` : ''}`, 'data-code': k.code, 'data-mark': mark },
      h('p', { class: 'kr-title' }, h('strong', {}, k.code), mark ? h('span', { class: 'mark' }, mark === 'added' ? 'New' : 'Changed') : null, ' ', k.title ?? '', derivedMark(k)),
      h(
        'dl',
        { class: 'kr-facts' },
        h('dt', {}, 'Focus area'),
        h('dd', {}, k.focus_area ?? '–'),
        h('dt', {}, 'Unit'),
        h('dd', {}, `${k.unit ?? '–'}, ${k.direction === 'decrease' ? 'lower is better' : 'higher is better'}`),
        h('dt', {}, 'Baseline'),
        h('dd', {}, baseline),
        h('dt', {}, 'Range'),
        h('dd', {}, range),
        k.weight != null && k.weight !== 1 ? h('dt', {}, 'Weight') : null,
        k.weight != null && k.weight !== 1 ? h('dd', {}, num(k.weight, 2)) : null,
      ),
      h(
        'table',
        { class: 'targets' },
        h('caption', { class: 'sr-only' }, `Targets of ${k.code}`),
        h('thead', {}, h('tr', {}, ...years.map((y) => h('th', { scope: 'col' }, y)))),
        h('tbody', {}, h('tr', {}, ...years.map((y) => h('td', {}, targets[y] == null ? '–' : num(targets[y], 2))))),
      ),
    );
  }

  function historySection(iso3: string, steps: Step[], readingRev: number | null): HTMLElement {
    const rows = [...steps].reverse().map((s) => {
      const readable = s.primer && (s.action === 'endorse' || s.action === 'return' || s.action === 'submit');
      return h(
        'li',
        { 'data-action': s.action, 'data-rev': String(s.rev), 'aria-current': s.rev === readingRev ? 'true' : null },
        h('span', { class: 'step-what' }, h('strong', {}, actionText(s.action)), s.version ? ` · ${versionText(s.version)}` : ''),
        h('span', { class: 'muted step-who' }, ` ${when(s.at)} · ${s.actor} · revision ${s.rev}`),
        s.note ? h('blockquote', {}, s.note) : null,
        readable && s.rev !== readingRev ? placeLink({ iso3, rev: s.rev, endorsed: null }, s.action === 'endorse' ? `Read version ${s.version ?? ''} as endorsed` : 'Read it as it was then', { class: 'step-read', 'data-testid': s.action === 'endorse' ? 'read-endorsed' : 'read-step' }) : null,
      );
    });
    return h('section', { class: 'history', 'aria-labelledby': 'history-head', 'data-testid': 'review-history' }, h('h3', { id: 'history-head' }, 'History, newest first'), rows.length ? h('ol', { class: 'steps' }, ...rows) : h('p', { class: 'muted' }, 'No history.'));
  }

  // ---- decisions ----
  async function send(form: HTMLElement, status: HTMLElement, buttons: HTMLButtonElement[], path: string, body: unknown, done: (a: Answer) => string): Promise<void> {
    clearErrors(form);
    status.textContent = 'Sending…';
    status.className = 'form-status';
    for (const b of buttons) b.disabled = true;
    try {
      const a = await post<Answer>(path, body);
      decision = null;
      deskStatus.textContent = done(a);
      deskStatus.className = 'form-status ok';
      statusFor = ''; // taken by the next drawing: the primer as the decision left it
      await Promise.all([loadLists(), openPrimer(null)]);
      deskStatus.scrollIntoView({ block: 'nearest' });
    } catch (e) {
      showErrors(form, e, status);
      if (e instanceof ApiError && e.status === 409) {
        status.textContent = `${describeError(e)} The primer is shown as it is now.`;
        decision = null;
        void loadLists();
        void openPrimer(null);
      }
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  }

  function localError(form: HTMLElement, fieldPath: string, message: string, status: HTMLElement): void {
    clearErrors(form);
    const slot = form.querySelector(`[data-error-for="${fieldPath}"]`);
    if (slot) slot.textContent = message;
    const control = form.querySelector<HTMLElement>(`[data-field="${fieldPath}"]`);
    control?.setAttribute('aria-invalid', 'true');
    control?.focus();
    status.textContent = 'Please correct the field marked above.';
    status.className = 'form-status err';
  }

  function decisionForms(iso3: string, version: number): HTMLElement {
    const date = h('input', { type: 'date', required: true, max: todayIso() });
    date.value = todayIso();
    const endorseBtn = h('button', { type: 'submit', 'data-testid': 'endorse' }, `Endorse version ${version}`);
    const endorseStatus = h('p', { class: 'form-status', role: 'status' });
    const endorse = h(
      'form',
      { class: 'stack decision-form', 'data-testid': 'endorse-form', novalidate: true, 'aria-labelledby': 'endorse-head' },
      h('h4', { id: 'endorse-head' }, 'Endorse'),
      field('Signed on', date, 'endorsed_on'),
      endorseBtn,
      endorseStatus,
    );
    const comment = h('textarea', { rows: '4', maxlength: '2000', required: true });
    const returnBtn = h('button', { type: 'submit', class: 'secondary', 'data-testid': 'return' }, 'Return with this comment');
    const returnStatus = h('p', { class: 'form-status', role: 'status' });
    const ret = h(
      'form',
      { class: 'stack decision-form', 'data-testid': 'return-form', novalidate: true, 'aria-labelledby': 'return-head' },
      h('h4', { id: 'return-head' }, 'Return to the delegation'),
      field('Comment for the delegation (required; they read it on their phone)', comment, 'comment'),
      returnBtn,
      returnStatus,
    );
    const buttons = [endorseBtn, returnBtn];
    endorse.addEventListener('submit', (e) => {
      e.preventDefault();
      const problem = endorseProblem(date.value);
      if (problem) return localError(endorse, 'endorsed_on', problem, endorseStatus);
      void send(endorse, endorseStatus, buttons, `/primers/${iso3}/review`, { decision: 'endorse', endorsed_on: date.value } satisfies ReviewBody, () => `${name(iso3)}’s primer, ${versionText(version)}, is endorsed (signed ${dateText(date.value)}).`);
    });
    ret.addEventListener('submit', (e) => {
      e.preventDefault();
      const problem = returnProblem(comment.value);
      if (problem) return localError(ret, 'comment', problem, returnStatus);
      void send(ret, returnStatus, buttons, `/primers/${iso3}/review`, { decision: 'return', comment: comment.value.trim() } satisfies ReviewBody, () => `${name(iso3)}’s primer is returned to its delegation with your comment; it is a draft again.`);
    });
    return h('section', { id: 'decision', class: 'decision', 'aria-labelledby': 'decision-head', 'data-testid': 'review-decision' }, h('h3', { id: 'decision-head' }, 'Decision'), h('div', { class: 'decision-forms' }, endorse, ret));
  }

  function amendForm(iso3: string, version: number): HTMLElement {
    const reason = h('textarea', { rows: '3', maxlength: '500', required: true });
    const btn = h('button', { type: 'submit', 'data-testid': 'amend' }, `Reopen as version ${version + 1}`);
    const status = h('p', { class: 'form-status', role: 'status' });
    const form = h(
      'form',
      { class: 'stack decision-form', 'data-testid': 'amend-form', novalidate: true, 'aria-labelledby': 'amend-head' },
      h('h3', { id: 'amend-head' }, 'Amend this primer'),
      h('p', { class: 'muted' }, `Reopens the primer as a draft of version ${version + 1} for the delegation to change and submit again. Version ${version}, as endorsed, stays readable in the history below.`),
      field('Why it is reopened (kept in the log)', reason, 'reason'),
      btn,
      status,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const problem = amendProblem(reason.value);
      if (problem) return localError(form, 'reason', problem, status);
      void send(form, status, [btn], `/primers/${iso3}/amend`, { reason: reason.value.trim() } satisfies AmendBody, (a) => `${name(iso3)}’s primer is reopened as ${versionText(a.primer.version ?? version + 1)}, a draft for the delegation; version ${version} stays in the history.`);
    });
    return h('section', { id: 'decision', class: 'decision', 'data-testid': 'review-amend' }, form);
  }

  // ---- loading, and loading again on a change of a primer ----
  const reference = Promise.all([
    get<{ iso3: string; name: string }[]>('/members').then((ms) => ms.forEach((m) => names.set(m.iso3, m.name))),
    get<{ id: number; name: string }[]>('/pillars').then((ps) => ps.forEach((p) => pillarNames.set(p.id, p.name))),
  ]).catch((e) => {
    listStatus.textContent = `Member names could not be loaded: ${describeError(e)}`;
    listStatus.className = 'form-status err';
  });
  void reference.then(() => Promise.all([loadLists(), openPrimer(null)])).finally(() => main.removeAttribute('data-loading'));

  let pending: ReturnType<typeof setTimeout> | null = null;
  let reopen = false;
  live.subscribe((_doc, change) => {
    if (main.hasAttribute('data-loading')) return;
    const primers = change.events.filter((e) => e.entity === 'primer');
    if (change.kind !== 'snapshot' && primers.length === 0) return;
    if (change.kind === 'snapshot' || primers.some((e) => e.key === place.iso3 || e.key.startsWith(`${place.iso3}/`))) reopen = true;
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      void loadLists();
      if (reopen) {
        reopen = false;
        void openPrimer(null);
      }
    }, 120);
  });
}

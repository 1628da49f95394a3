// Small DOM helpers: build elements, and update text so that a changed value flashes.

type Attrs = Record<string, string | number | boolean | null | undefined>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else if (k === 'text') el.textContent = String(v);
    // Through the CSSOM: the Content-Security-Policy (style-src 'self') refuses style attributes.
    else if (k === 'style') el.style.cssText = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** Sets an element's text; when it differs from what was shown, flashes the element briefly. */
export function setText(el: Element, text: string, flash = true): void {
  if (el.textContent === text) return;
  const first = !el.hasAttribute('data-shown');
  el.textContent = text;
  el.setAttribute('data-shown', '');
  if (flash && !first) flashEl(el);
}

/**
 * Flashes an element (the `.flash` animation of the stylesheets). A flash already run is
 * started again by switching to a twin animation (`data-flash`), not by removing the class and
 * reading layout in between: that forced a layout of the page per changed value.
 */
export function flashEl(el: Element): void {
  if (!el.classList.contains('flash')) {
    el.classList.add('flash');
    return;
  }
  const e = el as HTMLElement;
  e.dataset.flash = e.dataset.flash === '2' ? '1' : '2';
}

const styles = new WeakMap<HTMLElement, Map<string, string>>();

/** Sets one style property, unless it already holds that value (a redraw that changes nothing writes nothing). */
export function setStyle(el: HTMLElement, prop: string, value: string): void {
  let held = styles.get(el);
  if (!held) styles.set(el, (held = new Map()));
  if (held.get(prop) === value) return;
  held.set(prop, value);
  el.style.setProperty(prop, value);
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

export function byId<T extends HTMLElement = HTMLElement>(root: ParentNode, id: string): T {
  const el = root.querySelector(`#${id}`);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
}

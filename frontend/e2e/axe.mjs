// axe-core (the npm package, pinned in package.json; nothing from a CDN) run in a page of the
// e2e: which rules the page breaks, with the elements that break them.
//
// How axe gets into the page: the server's Content-Security-Policy is `script-src 'self'`, so
// `page.addScriptTag({ path })`, which inserts the file's text as an inline <script>, is refused
// (the page reports a securitypolicyviolation, and the harness fails the test on it). The page's
// own scripts are not what we test, so axe's source is evaluated through the DevTools protocol
// (`page.evaluate`), which the page's policy does not govern: nothing is added to the DOM and
// no request is made.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** axe's own build, from node_modules. */
export const AXE_PATH = require.resolve('axe-core/axe.min.js');
let source = null;

/** The impacts that fail a page. */
export const FAILING_IMPACTS = ['serious', 'critical'];
/**
 * Rules of lesser impact that fail a page too: one `main` landmark per page (the issue found
 * every page without one), so that a screen reader can skip the navigation.
 */
export const ALSO_FAILING = ['landmark-one-main', 'landmark-no-duplicate-main', 'landmark-main-is-top-level'];

/** Puts axe into the page (once per document). */
export async function injectAxe(page) {
  if (await page.evaluate(() => typeof window.axe?.run === 'function')) return;
  source ??= readFileSync(AXE_PATH, 'utf8');
  await page.evaluate(source);
  const version = await page.evaluate(() => window.axe?.version ?? null);
  if (!version) throw new Error(`axe-core did not load from ${AXE_PATH}`);
}

/**
 * Runs axe over the whole document (WCAG 2.x A and AA rules and axe's best practices) and
 * answers the violations that fail a page: `{ id, impact, help, nodes: [{ target, summary }] }`.
 */
export async function axeViolations(page) {
  await injectAxe(page);
  const all = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.map(String).join(' '), html: n.html.slice(0, 160), summary: (n.failureSummary ?? '').replace(/\s+/g, ' ').slice(0, 240) })),
    }));
  });
  return all.filter((v) => FAILING_IMPACTS.includes(v.impact) || ALSO_FAILING.includes(v.id));
}

/** One line per rule: "color-contrast (serious): Elements must meet … at .badge, td.num (… more)". */
export function describeViolations(violations, maxNodes = 6) {
  return violations
    .map((v) => {
      const shown = v.nodes.slice(0, maxNodes).map((n) => `${n.target} [${n.summary}]`);
      const more = v.nodes.length > maxNodes ? ` (and ${v.nodes.length - maxNodes} more)` : '';
      return `${v.id} (${v.impact}): ${v.help}, at ${shown.join('; ')}${more}`;
    })
    .join('\n       ');
}

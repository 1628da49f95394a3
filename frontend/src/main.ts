// Entry point: routes on location.pathname to one page. Each page is its own chunk, so the
// projector and the phones load only what they show (ECharts only where there are charts).
//
// Before a page is drawn, the session is loaded (`GET /api/v1/session`): a browser that may
// not read (not signed in, and reads are not public) goes to the sign-in page, which comes back
// here afterwards. /signin and /cards (which prints what this tab was given and asks the
// server nothing) need no session.

import './styles/app.css';
import { canRead } from './access';
import { goSignIn } from './api';
import { loadSession } from './session';

const root = document.getElementById('app') as HTMLElement;
const path = location.pathname.replace(/\/+$/, '') || '/';
const member = /^\/members\/([A-Za-z]{3})$/.exec(path);
const project = /^\/projects\/[^/]+$/.test(path);

async function route(): Promise<void> {
  if (path === '/signin') return (await import('./pages/signin')).renderSignIn(root);
  if (path === '/cards') return (await import('./pages/cards')).renderCards(root);
  try {
    const s = await loadSession();
    if (!canRead(s)) {
      goSignIn(s.role === 'metrics' ? 'A metrics token reads /metrics only: sign in with another.' : undefined);
      return;
    }
  } catch (e) {
    // The server is out of reach (restarting?): draw the page, whose live connection retries.
    console.warn(`the session could not be loaded: ${String(e)}`);
  }
  if (path === '/wall') (await import('./pages/wall')).renderWall(root);
  else if (path === '/delegate') (await import('./pages/delegate')).renderDelegate(root);
  else if (path === '/secretariat') (await import('./pages/secretariat')).renderSecretariat(root);
  else if (path === '/secretariat/review') (await import('./pages/review')).renderReview(root);
  else if (path === '/productivity') (await import('./pages/productivity')).renderProductivity(root);
  else if (path === '/projects') (await import('./pages/projects')).renderProjects(root);
  else if (path === '/gp') (await import('./pages/gp')).renderGp(root);
  else if (path === '/accreditations') (await import('./pages/accreditations')).renderAccreditations(root);
  else if (path === '/trainings') (await import('./pages/trainings')).renderTrainings(root);
  else if (project) {
    const { codeFromPath } = await import('./pages/projects-model');
    (await import('./pages/projects-detail')).renderProjectDetail(root, codeFromPath(path) ?? '');
  } else if (member) (await import('./pages/member')).renderMember(root, (member[1] as string).toUpperCase());
  else (await import('./pages/home')).renderHome(root);
}

route().catch((e: unknown) => {
  root.textContent = `The page could not load: ${String(e)}`;
  console.error(e);
});

// Entry point: routes on location.pathname to one page. Each page is its own chunk, so the
// projector and the phones load only what they show (ECharts only where there are charts).

import './styles/app.css';

const root = document.getElementById('app') as HTMLElement;
const path = location.pathname.replace(/\/+$/, '') || '/';
const member = /^\/members\/([A-Za-z]{3})$/.exec(path);

async function route(): Promise<void> {
  if (path === '/wall') (await import('./pages/wall')).renderWall(root);
  else if (path === '/delegate') (await import('./pages/delegate')).renderDelegate(root);
  else if (path === '/secretariat') (await import('./pages/secretariat')).renderSecretariat(root);
  else if (path === '/productivity') (await import('./pages/productivity')).renderProductivity(root);
  else if (member) (await import('./pages/member')).renderMember(root, (member[1] as string).toUpperCase());
  else (await import('./pages/home')).renderHome(root);
}

route().catch((e: unknown) => {
  root.textContent = `The page could not load: ${String(e)}`;
  console.error(e);
});

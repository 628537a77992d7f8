/**
 * Mythical Mysfits: loads `config.json`, then shows the view the URL's hash names. API failures become one
 * clear notice with a retry; a missing config.json stops here with a message saying so.
 */
import { ConfigError, loadConfig, type SiteConfig } from './config';
import { byId, el } from './dom';
import { parseRoute, type Route } from './routes';
import { setUpContactForm } from './views/contact';
import { showGallery } from './views/gallery';
import { showProfile } from './views/profile';

const VIEWS = { gallery: 'gallery-view', profile: 'profile-view', contact: 'contact-view' } as const;
const HEADINGS = { gallery: 'gallery-title', profile: 'profile-name', contact: 'contact-title' } as const;

let config: SiteConfig | undefined;
let renderCount = 0;
let shownView: Route['view'] | undefined;

function showNotice(message: string, retry?: () => void): void {
  const notice = byId('site-notice');
  notice.replaceChildren(el('p', {}, message));
  if (retry) {
    const button = el('button', { type: 'button', class: 'retry' }, 'Try again');
    button.addEventListener('click', retry);
    notice.append(button);
  }
  notice.hidden = false;
}

function clearNotice(): void {
  const notice = byId('site-notice');
  notice.hidden = true;
  notice.replaceChildren();
}

async function render(route: Route, moveFocus: boolean): Promise<void> {
  const current = ++renderCount;
  const isStale = () => current !== renderCount;
  // Focus moves to the new view's heading, but not when a gallery filter changes (the visitor is still in the select).
  const focusHeading = moveFocus && (route.view !== shownView || route.view === 'profile');
  shownView = route.view;
  for (const [view, id] of Object.entries(VIEWS)) byId(id).hidden = view !== route.view;
  for (const link of Array.from(document.querySelectorAll<HTMLAnchorElement>('[data-nav]'))) {
    if (link.dataset.nav === (route.view === 'contact' ? 'contact' : 'gallery'))
      link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (route.view !== 'profile')
    document.title = route.view === 'contact' ? 'Contact Us · Mythical Mysfits' : 'Mythical Mysfits';
  if (!config) return; // the config notice stays up; the contact form says so on submit
  try {
    if (route.view === 'gallery') await showGallery(config, route.filter, isStale);
    if (route.view === 'profile') await showProfile(config, route.mysfitId, isStale);
    if (!isStale()) clearNotice();
  } catch (err) {
    if (isStale()) return;
    showNotice(err instanceof Error ? err.message : String(err), () => void render(route, true));
  }
  // Tell keyboard and screen-reader users where they landed after an in-page navigation.
  if (focusHeading && !isStale()) byId(HEADINGS[route.view]).focus();
}

async function start(): Promise<void> {
  setUpContactForm(() => config);
  byId<HTMLSelectElement>('filter').addEventListener('change', (event) => {
    const value = (event.target as HTMLSelectElement).value;
    location.hash = value ? `#/filter/${value}` : '#/';
  });
  byId<HTMLFormElement>('filter-form').addEventListener('submit', (event) => event.preventDefault());
  window.addEventListener('hashchange', () => void render(parseRoute(location.hash), true));
  try {
    config = await loadConfig();
  } catch (err) {
    showNotice(err instanceof ConfigError ? err.message : `The site could not start: ${String(err)}`);
    byId('gallery-status').textContent = '';
  }
  document.documentElement.dataset.ready = 'true';
  await render(parseRoute(location.hash), false);
}

void start();

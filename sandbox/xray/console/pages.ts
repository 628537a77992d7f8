/**
 * What the daemon serves on GET besides the API: the console's three pages (static HTML shells; the bundled
 * script fills them in through the X-Ray API), its script and its stylesheet. Every answer carries a Content
 * Security Policy allowing only this origin's own script and style files: no inline script can run.
 */
import { consoleAssets } from './bundle';
import { TIME_RANGES, timeRangeOf, withRange, type TimeRange } from './browser/time-range';

export const SCRIPT_PATH = '/console/app.js';
export const STYLESHEET_PATH = '/console/console.css';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TRACE_PAGE = /^\/traces\/1-[0-9a-f]{8}-[0-9a-f]{24}$/;

export interface ConsoleResponse {
  readonly contentType: string;
  readonly body: string;
  readonly headers: Record<string, string>;
}

type PageKey = 'map' | 'traces' | 'trace';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function rangeToolbar(range: TimeRange): string {
  const options = TIME_RANGES.map(
    (r) => `<option value="${r.key}"${r.key === range.key ? ' selected' : ''}>${escapeHtml(r.label)}</option>`,
  ).join('');
  return `<div class="toolbar" role="group" aria-label="Time range and refresh">
<label for="range">Time range</label> <select id="range" name="range">${options}</select>
<button type="button" id="refresh">Refresh</button>
<label><input type="checkbox" id="auto-refresh"> Auto-refresh every 10 s</label>
<span class="muted" id="updated"></span>
</div>`;
}

const BODIES: Record<PageKey, (range: TimeRange) => string> = {
  map: (range) => `<h1>Service map</h1>
${rangeToolbar(range)}
<div class="map-layout">
<section class="map-frame" aria-label="Map">
<div class="zoom" role="group" aria-label="Zoom">
<button type="button" id="zoom-in" aria-label="Zoom in">+</button>
<button type="button" id="zoom-out" aria-label="Zoom out">−</button>
<button type="button" id="zoom-fit">Fit</button>
</div>
<div id="map"><p class="muted">Loading…</p></div>
</section>
<aside class="details" id="details" aria-labelledby="details-heading">
<h2 id="details-heading">Details</h2>
<p class="muted">Select a node (click, or Tab then Space) for its statistics and response-time histogram;
Enter or a double click opens its traces.</p>
</aside>
</div>
<p class="legend muted">Ring: <span class="ok">ok</span> / <span class="error">error (4xx)</span> /
<span class="fault">fault (5xx)</span>.
Wheel or +/− to zoom, drag or arrows to pan, 0 or Fit to see everything.</p>`,
  traces: (range) => `<h1>Traces</h1>
<form class="toolbar" id="form" role="search">
<label for="filter">Filter expression</label>
<input type="text" id="filter" name="filter" placeholder='e.g. annotation.QuestionId = "…" AND service("…") OR fault' autocomplete="off">
<button type="submit">Search</button>
</form>
${rangeToolbar(range)}
<div id="result"><p class="muted">Loading…</p></div>`,
  trace: () => `<p><a href="/traces" data-keep-range>← All traces</a></p>
<h1>Trace <span class="mono" id="trace-id"></span></h1>
<p id="summary" class="muted"></p>
<section aria-labelledby="timeline-heading"><h2 id="timeline-heading">Timeline</h2><div id="timeline"><p class="muted">Loading…</p></div></section>
<section aria-labelledby="segment-heading"><h2 id="segment-heading">Details</h2><div id="tabs"></div></section>
<section aria-labelledby="related-heading"><h2 id="related-heading">Related traces</h2><div id="related"></div></section>`,
};

const TITLES: Record<PageKey, string> = { map: 'Service map', traces: 'Traces', trace: 'Trace' };

export function renderPage(page: PageKey, search: string): string {
  const range = timeRangeOf(search);
  const link = (href: string, label: string, current: boolean) =>
    `<a href="${escapeHtml(withRange(href, range))}"${current ? ' aria-current="page"' : ''}>${label}</a>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${TITLES[page]} · local X-Ray</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${STYLESHEET_PATH}">
<script type="module" src="${SCRIPT_PATH}"></script>
</head>
<body data-page="${page}">
<a class="skip" href="#main">Skip to content</a>
<header class="top"><p class="brand">Local X-Ray</p>
<nav aria-label="Console">${link('/', 'Service map', page === 'map')}${link('/traces', 'Traces', page !== 'map')}</nav></header>
<main id="main">
${BODIES[page](range)}
<div id="status" class="visually-hidden" role="status" aria-live="polite"></div>
</main>
</body>
</html>`;
}

function pageOf(path: string): PageKey | undefined {
  if (path === '/') return 'map';
  if (path === '/traces' || path === '/traces/') return 'traces';
  if (TRACE_PAGE.test(path)) return 'trace';
  return undefined;
}

/** The console's answer to `GET <path>?<search>`, or undefined when the path is none of its own. */
export async function consoleResponse(path: string, search = ''): Promise<ConsoleResponse | undefined> {
  const headers = {
    'cache-control': 'no-store',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
  };
  const page = pageOf(path);
  if (page) return { contentType: 'text/html; charset=utf-8', body: renderPage(page, search), headers };
  if (path === SCRIPT_PATH)
    return { contentType: 'text/javascript; charset=utf-8', body: (await consoleAssets()).script, headers };
  if (path === STYLESHEET_PATH)
    return { contentType: 'text/css; charset=utf-8', body: (await consoleAssets()).stylesheet, headers };
  return undefined;
}

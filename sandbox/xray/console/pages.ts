/** Routes the console's GET paths to their pages; undefined for anything else. */
import { serviceMapPage } from './service-map';
import { traceListPage } from './trace-list';
import { traceTimelinePage } from './trace-timeline';

const TRACE_PAGE = /^\/traces\/1-[0-9a-f]{8}-[0-9a-f]{24}$/;

export function renderPage(path: string): string | undefined {
  if (path === '/') return serviceMapPage();
  if (path === '/traces' || path === '/traces/') return traceListPage();
  if (TRACE_PAGE.test(path)) return traceTimelinePage();
  return undefined;
}

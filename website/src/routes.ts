/**
 * Hash routes, so the site is plain static files (S3 website hosting has no server-side routing):
 * `#/` gallery, `#/filter/<GoodEvil|LawChaos>/<value>` filtered gallery, `#/mysfits/<id>` profile, `#/contact`.
 */
import { MYSFIT_FILTERS } from '../../system/api';
import type { MysfitFilter } from './api';

export type Route =
  | { readonly view: 'gallery'; readonly filter?: MysfitFilter }
  | { readonly view: 'profile'; readonly mysfitId: string }
  | { readonly view: 'contact' };

export function toFilter(filter: string, value: string): MysfitFilter | undefined {
  if (!Object.hasOwn(MYSFIT_FILTERS, filter)) return undefined;
  const values: readonly string[] = MYSFIT_FILTERS[filter as keyof typeof MYSFIT_FILTERS];
  return values.includes(value) ? ({ filter, value } as MysfitFilter) : undefined;
}

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(safeDecode);
  if (parts[0] === 'contact') return { view: 'contact' };
  if (parts[0] === 'mysfits' && parts[1]) return { view: 'profile', mysfitId: parts[1] };
  if (parts[0] === 'filter' && parts.length === 3) {
    const filter = toFilter(parts[1], parts[2]);
    if (filter) return { view: 'gallery', filter };
  }
  return { view: 'gallery' };
}

export function hrefOf(route: Route): string {
  switch (route.view) {
    case 'contact':
      return '#/contact';
    case 'profile':
      return `#/mysfits/${encodeURIComponent(route.mysfitId)}`;
    case 'gallery':
      return route.filter ? `#/filter/${route.filter.filter}/${route.filter.value}` : '#/';
  }
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

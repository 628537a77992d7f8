/** The gallery: `GET /mysfits` (optionally filtered), one card per mysfit linking to its profile. */
import type { MysfitView } from '../../../system/api';
import { listMysfits, type MysfitFilter } from '../api';
import type { SiteConfig } from '../config';
import { alignmentOf, byId, el } from '../dom';
import { hrefOf } from '../routes';

export async function showGallery(
  config: SiteConfig,
  filter: MysfitFilter | undefined,
  isStale: () => boolean,
): Promise<void> {
  const list = byId<HTMLUListElement>('gallery');
  const status = byId('gallery-status');
  byId<HTMLSelectElement>('filter').value = filter ? `${filter.filter}/${filter.value}` : '';
  list.setAttribute('aria-busy', 'true');
  status.textContent = 'Loading mysfits…';
  try {
    const mysfits = await listMysfits(config, filter);
    if (isStale()) return;
    list.replaceChildren(...mysfits.map(card));
    status.textContent = summary(mysfits.length, filter);
  } catch (err) {
    if (isStale()) return;
    list.replaceChildren();
    status.textContent = '';
    throw err;
  } finally {
    list.removeAttribute('aria-busy');
  }
}

function summary(count: number, filter: MysfitFilter | undefined): string {
  const noun = count === 1 ? 'mysfit' : 'mysfits';
  if (!filter) return `${count} ${noun}`;
  const label =
    filter.value === 'Neutral'
      ? `neutral (${filter.filter === 'GoodEvil' ? 'good or evil' : 'law or chaos'})`
      : filter.value.toLowerCase();
  return count === 0 ? `No ${label} mysfits right now.` : `${count} ${label} ${noun}`;
}

function card(m: MysfitView): HTMLLIElement {
  // The picture is decorative here: the link's text already names the mysfit.
  const img = el('img', { src: m.thumbImageUri, alt: '', width: '160', height: '160', loading: 'lazy' });
  const badges = el(
    'span',
    { class: 'badges' },
    el('span', { class: `badge badge-${m.goodEvil.toLowerCase()}` }, alignmentOf(m)),
  );
  if (m.adopted) badges.append(el('span', { class: 'badge badge-adopted' }, 'Adopted'));
  const link = el(
    'a',
    { class: 'card', href: hrefOf({ view: 'profile', mysfitId: m.mysfitId }), 'data-mysfit-id': m.mysfitId },
    img,
    el('span', { class: 'card-name' }, m.name),
    el('span', { class: 'card-species' }, m.species),
    badges,
  );
  return el('li', {}, link);
}

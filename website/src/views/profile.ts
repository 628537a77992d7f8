/** A mysfit's profile: `GET /mysfits/{id}`, then a click record for the clickstream (never awaited). */
import { getMysfit, sendClick } from '../api';
import type { SiteConfig } from '../config';
import { ageOf, alignmentOf, byId } from '../dom';
import { getUserId } from '../user-id';

export async function showProfile(config: SiteConfig, mysfitId: string, isStale: () => boolean): Promise<boolean> {
  const article = byId('profile');
  const status = byId('profile-status');
  article.hidden = true;
  status.textContent = 'Loading…';
  const mysfit = await getMysfit(config, mysfitId).catch((err: unknown) => {
    if (!isStale()) status.textContent = '';
    throw err;
  });
  if (isStale()) return false;
  if (!mysfit) {
    status.textContent = 'There is no mysfit by that name here. Pick one from the gallery.';
    return false;
  }
  // Each profile view is one click; the visitor does not wait for it.
  sendClick(config, { userId: getUserId(), mysfitId: mysfit.mysfitId });
  document.title = `${mysfit.name} · Mythical Mysfits`;
  const image = byId<HTMLImageElement>('profile-image');
  image.src = mysfit.profileImageUri;
  image.alt = `${mysfit.name} the ${mysfit.species.toLowerCase()}`;
  byId('profile-name').textContent = mysfit.name;
  byId('profile-species').textContent = mysfit.species;
  byId('profile-age').textContent = ageOf(mysfit.age);
  byId('profile-alignment').textContent = alignmentOf(mysfit);
  byId('profile-description').textContent = mysfit.description;
  status.textContent = mysfit.adopted ? `${mysfit.name} has already found a home.` : '';
  article.hidden = false;
  return true;
}

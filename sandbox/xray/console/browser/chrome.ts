/**
 * What every console page shares: the time range (in the URL query), the navigation links that keep it, the
 * Refresh button and the opt-in auto-refresh (off by default: a page that changes by itself is hard to read,
 * and to use with a screen reader).
 */
import { byId } from './dom';
import { TIME_RANGES, timeRangeOf, withRange, type TimeRange } from './time-range';

export const AUTO_REFRESH_MS = 10_000;

export const currentRange = (): TimeRange => timeRangeOf(location.search);

/** Points the header's links (and any `a[data-keep-range]`) at the current range. */
export function keepRangeInLinks(): void {
  const range = currentRange();
  for (const link of document.querySelectorAll<HTMLAnchorElement>('header.top nav a, a[data-keep-range]')) {
    const url = new URL(link.href);
    link.href = withRange(`${url.pathname}${url.search}`, range);
  }
}

/** Wires the range select, Refresh and auto-refresh (where the page has them) to `reload`. */
export function setUpToolbar(reload: () => void): void {
  keepRangeInLinks();
  const select = document.getElementById('range') as HTMLSelectElement | null;
  if (select) {
    select.value = currentRange().key;
    select.addEventListener('change', () => {
      const range = TIME_RANGES.find((r) => r.key === select.value) ?? currentRange();
      history.replaceState(null, '', withRange(`${location.pathname}${location.search}`, range));
      keepRangeInLinks();
      reload();
    });
  }
  document.getElementById('refresh')?.addEventListener('click', reload);
  const auto = document.getElementById('auto-refresh') as HTMLInputElement | null;
  let timer: number | undefined;
  auto?.addEventListener('change', () => {
    window.clearInterval(timer);
    timer = auto.checked ? window.setInterval(reload, AUTO_REFRESH_MS) : undefined;
  });
}

export function setUpdated(): void {
  const updated = document.getElementById('updated');
  if (updated) updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
}

export { byId };

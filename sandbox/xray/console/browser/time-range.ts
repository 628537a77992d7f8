/**
 * The one set of time ranges every console page offers, kept in the URL query (`?range=1h`) so a link, a reload
 * or the back button shows the same window. Pure: no DOM.
 */

export interface TimeRange {
  /** The value in the URL query. */
  readonly key: string;
  readonly label: string;
  readonly seconds: number;
}

export const TIME_RANGES: readonly TimeRange[] = [
  { key: '5m', label: 'Last 5 minutes', seconds: 300 },
  { key: '15m', label: 'Last 15 minutes', seconds: 900 },
  { key: '1h', label: 'Last hour', seconds: 3600 },
  { key: '6h', label: 'Last 6 hours', seconds: 21600 },
  { key: '1d', label: 'Last day', seconds: 86400 },
];

export const DEFAULT_TIME_RANGE: TimeRange = TIME_RANGES[2];

/** The range a query string names; an unknown or missing one is the default (never an error: it is a link). */
export function timeRangeOf(search: string): TimeRange {
  const key = new URLSearchParams(search).get('range');
  return TIME_RANGES.find((range) => range.key === key) ?? DEFAULT_TIME_RANGE;
}

/** The API window of a range ending now (epoch seconds). */
export function windowOf(range: TimeRange, nowSeconds: number): { StartTime: number; EndTime: number } {
  return { StartTime: nowSeconds - range.seconds, EndTime: nowSeconds };
}

/** `path?…` with `range` set (and the other parameters kept); the default range is written too, so links agree. */
export function withRange(pathAndQuery: string, range: TimeRange): string {
  const [path, query = ''] = pathAndQuery.split('?');
  const params = new URLSearchParams(query);
  params.set('range', range.key);
  return `${path}?${params.toString()}`;
}

/**
 * The response-time histogram of a service map node or edge (GetServiceGraph's `ResponseTimeHistogram`: one
 * entry per distinct response time in seconds) as equal-width bins, and the trace filter for a chosen range.
 * Pure: no DOM.
 */
import { filterString } from './format';

export interface HistogramEntry {
  readonly Value: number;
  readonly Count: number;
}

export interface Bin {
  /** Seconds; `to` is inclusive for the last bin only. */
  readonly from: number;
  readonly to: number;
  readonly count: number;
}

/** At most `maxBins` bins from the smallest to the largest value; one bin when all values are equal. */
export function binHistogram(entries: readonly HistogramEntry[], maxBins = 20): Bin[] {
  const used = entries.filter((e) => e.Count > 0 && Number.isFinite(e.Value));
  if (!used.length) return [];
  const min = Math.min(...used.map((e) => e.Value));
  const max = Math.max(...used.map((e) => e.Value));
  if (max === min) return [{ from: min, to: max, count: used.reduce((sum, e) => sum + e.Count, 0) }];
  const count = Math.max(1, Math.min(maxBins, new Set(used.map((e) => e.Value)).size));
  const width = (max - min) / count;
  const bins = Array.from({ length: count }, (_, i) => ({
    from: min + i * width,
    to: i === count - 1 ? max : min + (i + 1) * width,
    count: 0,
  }));
  for (const e of used) bins[Math.min(count - 1, Math.floor((e.Value - min) / width))].count += e.Count;
  return bins;
}

/** What a histogram belongs to: a node (by name and type) or the edge between two of them. */
export type HistogramSubject =
  | { readonly kind: 'service'; readonly name: string; readonly type?: string }
  | {
      readonly kind: 'edge';
      readonly from: { name: string; type?: string };
      readonly to: { name: string; type?: string };
    };

const CLIENT_TYPE = 'client';

function serviceId(service: { name: string; type?: string }): string {
  return service.type
    ? `id(name: ${filterString(service.name)}, type: ${filterString(service.type)})`
    : filterString(service.name);
}

/** Milliseconds precision, as the histogram shows: 0.0123456 -> "0.012". */
const seconds = (value: number) => String(Math.round(value * 1000) / 1000);

/**
 * The trace list's filter for a response-time range of a node or an edge. X-Ray's console writes
 * `service(...) { responsetime ... }` (https://docs.aws.amazon.com/xray/latest/devguide/xray-console-filters.html,
 * complex keywords); the local grammar has no braces, so `responsetime` here is the trace's (the entry segment's)
 * response time: exact for the entry node, an approximation for the nodes behind it.
 * The client is no service of its own: its edge is the service it calls.
 */
export function rangeFilter(subject: HistogramSubject, from: number, to: number): string {
  const lo = Math.min(from, to);
  const hi = Math.max(from, to);
  const lower = seconds(Math.floor(lo * 1000) / 1000);
  const upper = seconds(Math.ceil(hi * 1000) / 1000);
  const range = `responsetime >= ${lower} AND responsetime <= ${upper}`;
  return `${subjectFilter(subject)}${subjectFilter(subject) ? ' AND ' : ''}${range}`;
}

/** The filter naming a node or edge alone ('' for the client, which any trace with a request has). */
export function subjectFilter(subject: HistogramSubject): string {
  if (subject.kind === 'service') return subject.type === CLIENT_TYPE ? '' : `service(${serviceId(subject)})`;
  if (subject.from.type === CLIENT_TYPE) return `service(${serviceId(subject.to)})`;
  return `edge(${serviceId(subject.from)}, ${serviceId(subject.to)})`;
}

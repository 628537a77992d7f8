/** The X-Ray API as the console calls it (the same REST-JSON paths as the SDK), and the answer shapes it reads. */
import type { HistogramEntry } from './histogram';
import type { AnnotationValueJson } from './format';

export interface StatisticsJson {
  OkCount?: number;
  ErrorStatistics?: { ThrottleCount?: number; OtherCount?: number; TotalCount?: number };
  FaultStatistics?: { OtherCount?: number; TotalCount?: number };
  TotalCount?: number;
  TotalResponseTime?: number;
}

export interface EdgeJson {
  ReferenceId: number;
  SummaryStatistics?: StatisticsJson;
  ResponseTimeHistogram?: HistogramEntry[];
}

export interface ServiceJson {
  ReferenceId: number;
  Name: string;
  Type?: string;
  Root?: boolean;
  Edges?: EdgeJson[];
  SummaryStatistics?: StatisticsJson;
  ResponseTimeHistogram?: HistogramEntry[];
  DurationHistogram?: HistogramEntry[];
}

export interface TraceSummaryJson {
  Id: string;
  StartTime?: number;
  Duration?: number;
  ResponseTime?: number;
  HasFault?: boolean;
  HasError?: boolean;
  HasThrottle?: boolean;
  IsPartial?: boolean;
  Http?: { HttpURL?: string; HttpStatus?: number; HttpMethod?: string };
  EntryPoint?: { Name?: string };
  Annotations?: Record<string, { AnnotationValue: AnnotationValueJson }[]>;
}

export interface TraceJson {
  Id: string;
  Duration?: number;
  Segments: { Id: string; Document: string }[];
}

export async function api<T>(path: string, body: object): Promise<T> {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as T & { message?: string };
  if (!response.ok) {
    throw new Error(`${response.headers.get('x-amzn-errortype') ?? 'Error'}: ${json.message ?? response.status}`);
  }
  return json;
}

/** GetTraceSummaries over every page (at most `maxPages`), with the largest TracesProcessedCount seen. */
export async function allTraceSummaries(
  request: { StartTime: number; EndTime: number; FilterExpression?: string },
  maxPages = 10,
): Promise<{ summaries: TraceSummaryJson[]; processed: number }> {
  const summaries: TraceSummaryJson[] = [];
  let processed = 0;
  let token: string | undefined;
  for (let page = 0; page < maxPages; page += 1) {
    const result = await api<{
      TraceSummaries?: TraceSummaryJson[];
      TracesProcessedCount?: number;
      NextToken?: string;
    }>('/TraceSummaries', { ...request, NextToken: token });
    summaries.push(...(result.TraceSummaries ?? []));
    processed = Math.max(processed, result.TracesProcessedCount ?? 0);
    token = result.NextToken;
    if (!token) break;
  }
  return { summaries, processed };
}

export function counts(st: StatisticsJson = {}) {
  const total = st.TotalCount ?? 0;
  return {
    total,
    ok: st.OkCount ?? 0,
    errors: st.ErrorStatistics?.TotalCount ?? 0,
    faults: st.FaultStatistics?.TotalCount ?? 0,
    average: total ? (st.TotalResponseTime ?? 0) / total : undefined,
  };
}

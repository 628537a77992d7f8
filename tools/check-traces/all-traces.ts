/**
 * Every trace an X-Ray endpoint holds from `since` on: all summary pages, then 5 ids per BatchGetTraces (X-Ray's
 * limit).
 */
import { BatchGetTracesCommand, GetTraceSummariesCommand } from '@aws-sdk/client-xray';
import { createXRayClient } from './xray-source';

export interface TraceWithDocuments {
  traceId: string;
  /** The segment documents as X-Ray returns them: JSON text. */
  documents: string[];
}

export async function allTraces(endpoint: string, since: Date): Promise<TraceWithDocuments[]> {
  const xray = createXRayClient({ region: 'us-east-1', endpoint });
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await xray.send(
      new GetTraceSummariesCommand({ StartTime: since, EndTime: new Date(Date.now() + 60_000), NextToken: nextToken }),
    );
    ids.push(...(page.TraceSummaries ?? []).map((t) => t.Id!));
    nextToken = page.NextToken;
  } while (nextToken);
  const traces: TraceWithDocuments[] = [];
  for (let i = 0; i < ids.length; i += 5) {
    const batch = await xray.send(new BatchGetTracesCommand({ TraceIds: ids.slice(i, i + 5) }));
    for (const t of batch.Traces ?? [])
      traces.push({ traceId: t.Id!, documents: (t.Segments ?? []).map((s) => s.Document!) });
  }
  return traces;
}

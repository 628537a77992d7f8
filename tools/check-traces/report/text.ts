/** The report for a terminal: probes, a table per trace (node, duration, status), each flow's verdict. */
import type { CheckReport, ReportTrace } from '../check';

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Where inside the node a problem was recorded, when not on the node's own segment: `in ## handler › x: cause`. */
function where(row: ReportTrace['rows'][number]): string {
  const details = row.problems
    .map((p) => p.replace(new RegExp(`^(error|fault) at ${row.node.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}( › )?`), ''))
    .filter((p) => p.length > 0)
    .map((p) => (p.startsWith(':') ? p.slice(1).trim() : `in ${p}`));
  return details.length ? ` ${details.join('; ')}` : '';
}

export function formatTraceTable(trace: ReportTrace): string {
  const rows = trace.rows.map((row) => [
    `${'  '.repeat(row.depth)}${row.node}`,
    row.type || '-',
    row.durationMs === undefined ? '-' : `${row.durationMs} ms`,
    row.status + (row.httpStatus ? ` (${row.httpStatus})` : '') + where(row),
  ]);
  return table(['NODE', 'TYPE', 'DURATION', 'STATUS'], rows);
}

export function formatReport(report: CheckReport): string {
  const out: string[] = [];
  out.push(`check-traces: env ${report.env}, X-Ray ${report.xrayEndpoint} (${report.region})`);
  out.push('');
  out.push('Probes');
  for (const p of report.probes)
    out.push(`  ${p.ok ? 'ok  ' : 'FAIL'} ${p.probe}: ${p.method} ${p.url} -> ${p.message} [trace ${p.traceId}]`);
  for (const trace of report.traces) {
    out.push('');
    out.push(
      `Trace ${trace.traceId} (${trace.flows.join(', ')})${trace.inProgress ? ' - segments still in progress' : ''}`,
    );
    out.push(formatTraceTable(trace));
  }
  out.push('');
  out.push('Flows');
  for (const flow of report.flows) {
    out.push(`  ${flow.state === 'passed' ? 'ok  ' : 'FAIL'} ${flow.id}: ${flow.description}`);
    for (const edge of flow.edges)
      out.push(`         ${edge.found ? '+' : '-'} ${edge.from} -> ${edge.to}${edge.found ? '' : '  MISSING'}`);
    for (const problem of flow.problems) out.push(`         ! ${problem}`);
    for (const note of flow.notes) out.push(`         . ${note}`);
  }
  out.push('');
  // Only the unusual source is named, so the usual output stays as it was.
  const via = report.traceStore === 'transaction-search' ? ', read through Transaction Search' : '';
  out.push(
    report.ok
      ? `OK: traced end to end (${report.traces.length} traces, ${(report.durationMs / 1000).toFixed(1)} s, ` +
          `${report.polls} polls${via})`
      : `FAILED (${report.problems.length} problems, ${(report.durationMs / 1000).toFixed(1)} s, ${report.polls} ` +
          `polls${report.timedOut ? ', timed out' : ''}${via}):\n${report.problems.map((p) => `  - ${p}`).join('\n')}`,
  );
  return out.join('\n');
}

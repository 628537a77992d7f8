/**
 * The report as one self-contained HTML file: the service map as inline SVG (a small layered layout of our own,
 * no script, no CDN), the verdicts, and a table per trace. Opens from disk, anywhere.
 */
import type { CheckReport, MapEdge, MapNode, ReportRow } from '../check';
import { nodeLabel, toMermaid } from './mermaid';

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const LEGEND =
  '<span><i style="background:#e6f4ea;border-color:#1e8e3e"></i>ok</span>' +
  '<span><i style="background:#fef7e0;border-color:#e37400"></i>error (4xx)</span>' +
  '<span><i style="background:#fce8e6;border-color:#d93025"></i>fault (5xx)</span>' +
  '<span><i style="border-color:#d93025;border-style:dashed"></i>expected, missing</span>' +
  '<span>rounded: inferred (AWS service, remote host)</span>';

function traceRowHtml(r: ReportRow): string {
  const duration = r.durationMs === undefined ? '-' : `${r.durationMs} ms`;
  const status = `${escapeHtml(r.status)}${r.httpStatus ? ` (${r.httpStatus})` : ''}`;
  const problems = r.problems.map((p) => `<div class="problem">${escapeHtml(p)}</div>`).join('');
  return (
    `<tr class="${r.status.replace(' ', '-')}">` +
    `<td style="padding-left:${8 + r.depth * 18}px">${escapeHtml(r.node)}</td>` +
    `<td>${escapeHtml(r.type || '-')}</td><td class="num">${duration}</td><td>${status}${problems}</td></tr>`
  );
}

const NODE_W = 320;
const NODE_H = 66;
const GAP_X = 28;
const GAP_Y = 54;
const PAD = 24;
const COLORS: Record<MapNode['status'], { fill: string; stroke: string }> = {
  ok: { fill: '#e6f4ea', stroke: '#1e8e3e' },
  error: { fill: '#fef7e0', stroke: '#e37400' },
  fault: { fill: '#fce8e6', stroke: '#d93025' },
  missing: { fill: '#ffffff', stroke: '#d93025' },
};

interface Placed {
  node: MapNode;
  x: number;
  y: number;
}

/** Layers by longest path from the roots, ordered within a layer by their parents' positions. */
export function layoutServiceMap(map: CheckReport['serviceMap']): {
  placed: Map<string, Placed>;
  width: number;
  height: number;
} {
  const layer = new Map(map.nodes.map((n) => [n.id, 0]));
  for (let pass = 0; pass < map.nodes.length; pass++) {
    let changed = false;
    for (const edge of map.edges) {
      const next = layer.get(edge.from)! + 1;
      if (next > layer.get(edge.to)! && next < map.nodes.length) {
        layer.set(edge.to, next);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const layers: MapNode[][] = [];
  for (const node of map.nodes) (layers[layer.get(node.id)!] ??= []).push(node);
  const row = new Map<string, number>();
  layers.forEach((nodes, i) => {
    if (i > 0) {
      const parentRow = (n: MapNode) => {
        const rows = map.edges.filter((e) => e.to === n.id && row.has(e.from)).map((e) => row.get(e.from)!);
        return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : Infinity;
      };
      nodes.sort((a, b) => parentRow(a) - parentRow(b));
    }
    for (const [j, n] of nodes.entries()) row.set(n.id, j);
  });
  const placed = new Map<string, Placed>();
  // Top-down: a layer per row (call chains are long, fan-out is small), nodes side by side within it.
  layers.forEach((nodes, i) => {
    for (const [j, node] of nodes.entries()) {
      placed.set(node.id, { node, x: PAD + j * (NODE_W + GAP_X), y: PAD + i * (NODE_H + GAP_Y) });
    }
  });
  const width = PAD * 2 + Math.max(1, ...layers.map((l) => l?.length ?? 0)) * (NODE_W + GAP_X);
  const height = PAD * 2 + Math.max(1, layers.length) * (NODE_H + GAP_Y) - GAP_Y;
  return { placed, width, height };
}

const shorten = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export function serviceMapSvg(map: CheckReport['serviceMap']): string {
  const { placed, width, height } = layoutServiceMap(map);
  const edgePath = (edge: MapEdge) => {
    const a = placed.get(edge.from)!;
    const b = placed.get(edge.to)!;
    const style = edge.missing ? 'stroke="#d93025" stroke-dasharray="6 4"' : 'stroke="#5f6368"';
    const title = `<title>${escapeHtml(`${a.node.name} -> ${b.node.name}${edge.missing ? ' (missing)' : ''}`)}</title>`;
    // Next row: straight down. Further (or back up): along the right-hand sides, clear of the rows between.
    const adjacent = b.y - a.y === NODE_H + GAP_Y;
    const d = adjacent
      ? `M${a.x + NODE_W / 2},${a.y + NODE_H} C${a.x + NODE_W / 2},${a.y + NODE_H + GAP_Y / 2} ` +
        `${b.x + NODE_W / 2},${b.y - GAP_Y / 2} ${b.x + NODE_W / 2},${b.y}`
      : `M${a.x + NODE_W},${a.y + NODE_H / 2} C${Math.max(a.x, b.x) + NODE_W + GAP_X * 1.3},${a.y + NODE_H / 2} ` +
        `${Math.max(a.x, b.x) + NODE_W + GAP_X * 1.3},${b.y + NODE_H / 2} ${b.x + NODE_W},${b.y + NODE_H / 2}`;
    return (
      `<path d="${d}" fill="none" stroke-width="2" ${style} ` +
      `marker-end="url(#${edge.missing ? 'arrow-missing' : 'arrow'})">${title}</path>`
    );
  };
  const nodeBox = ({ node, x, y }: Placed) => {
    const color = COLORS[node.status];
    const [name, ...rest] = nodeLabel(node);
    const dash = node.status === 'missing' ? ' stroke-dasharray="6 4"' : '';
    const rx = node.inferred ? 22 : 6;
    return [
      `<g><title>${escapeHtml(nodeLabel(node).join('\n'))}</title>`,
      `<rect x="${x}" y="${y}" width="${NODE_W}" height="${NODE_H}" rx="${rx}" fill="${color.fill}" ` +
        `stroke="${color.stroke}" stroke-width="2"${dash}/>`,
      `<text x="${x + 12}" y="${y + 21}" font-weight="600" font-size="13">${escapeHtml(shorten(name, 42))}</text>`,
      ...rest.map(
        (line, i) =>
          `<text x="${x + 12}" y="${y + 39 + i * 16}" font-size="12" ` +
          `fill="#3c4043">${escapeHtml(shorten(line, 46))}</text>`,
      ),
      '</g>',
    ].join('');
  };
  const marker = (id: string, color: string) =>
    `<marker id="${id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" ` +
    `orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${color}"/></marker>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="system-ui, sans-serif" role="img" aria-label="service map">`,
    `<defs>${marker('arrow', '#5f6368')}${marker('arrow-missing', '#d93025')}</defs>`,
    ...map.edges.map(edgePath),
    ...[...placed.values()].map(nodeBox),
    '</svg>',
  ].join('\n');
}

export function toHtml(report: CheckReport): string {
  const verdict = report.ok
    ? `<p class="verdict ok">OK: ${escapeHtml(report.env)} is traced end to end</p>`
    : `<p class="verdict failed">FAILED: ${report.problems.length} problem(s)</p><ul ` +
      `class="problems">${report.problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>`;
  const probes = report.probes
    .map(
      (p) =>
        `<tr><td>${p.ok ? '✔' : '✘'}</td><td>${escapeHtml(p.probe)}</td><td>${escapeHtml(`${p.method} ${p.url}`)}</td><td>${escapeHtml(p.message)}</td><td><code>${escapeHtml(p.traceId)}</code></td></tr>`,
    )
    .join('');
  const flows = report.flows
    .map(
      (f) =>
        `<tr class="${f.state}"><td>${f.state === 'passed' ? '✔' : '✘'}</td><td>${escapeHtml(f.id)}</td><td>${escapeHtml(f.description)}<ul>${f.edges
          .map(
            (e) =>
              `<li class="${e.found ? 'found' : 'missing'}">${escapeHtml(`${e.from} → ${e.to}`)}${e.found ? '' : ' <b>missing</b>'}</li>`,
          )
          .join('')}${f.problems.map((p) => `<li class="problem">${escapeHtml(p)}</li>`).join('')}${f.notes
          .map((n) => `<li class="note">${escapeHtml(n)}</li>`)
          .join('')}</ul></td></tr>`,
    )
    .join('');
  const traces = report.traces
    .map(
      (t) =>
        `<h3>Trace <code>${escapeHtml(t.traceId)}</code> ` +
        `<small>${escapeHtml(t.flows.join(', '))}${t.inProgress ? ' · segments in progress' : ''}</small></h3>
<table class="trace"><thead><tr><th>Node</th><th>Type</th><th class="num">Duration</th><th>Status</th></tr></thead><tbody>${t.rows
          .map(traceRowHtml)
          .join('')}</tbody></table>`,
    )
    .join('\n');
  const meta =
    `${escapeHtml(report.startedAt)} · ${(report.durationMs / 1000).toFixed(1)} s · ${report.polls} polls · ` +
    `X-Ray ${escapeHtml(report.xrayEndpoint)}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>check-traces: ${escapeHtml(report.env)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#202124;max-width:1400px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}h3{font-size:14px;margin:18px 0 6px}
.meta{color:#5f6368;font-size:13px}.verdict{font-weight:700;font-size:16px;padding:8px 12px;border-radius:6px;display:inline-block}
.verdict.ok{background:#e6f4ea;color:#137333}.verdict.failed{background:#fce8e6;color:#c5221f}
.problems li,.problem{color:#c5221f}.note{color:#5f6368}.missing{color:#c5221f}
table{border-collapse:collapse;font-size:13px}td,th{border-bottom:1px solid #e0e0e0;padding:4px 8px;text-align:left;vertical-align:top}
.num{text-align:right}tr.fault td{background:#fce8e6}tr.error td{background:#fef7e0}tr.in-progress td{color:#5f6368;font-style:italic}
.map{overflow:auto;border:1px solid #e0e0e0;border-radius:6px;padding:8px;background:#fafafa}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
.legend i{display:inline-block;width:12px;height:12px;border:2px solid;margin-right:4px;vertical-align:-2px}
ul{margin:4px 0;padding-left:18px}code{font-size:12px}
</style></head><body>
<h1>Trace check: ${escapeHtml(report.env)}</h1>
<div class="meta">${meta}</div>
${verdict}
<h2>Service map</h2>
<div class="legend">${LEGEND}</div>
<div class="map">${serviceMapSvg(report.serviceMap)}</div>
<h2>Flows</h2><table>${flows}</table>
<h2>Probes</h2><table>${probes}</table>
<h2>Traces</h2>
${traces || '<p>No trace found.</p>'}
<details><summary>Service map as Mermaid</summary><pre>${escapeHtml(toMermaid(report.serviceMap))}</pre></details>
</body></html>
`;
}

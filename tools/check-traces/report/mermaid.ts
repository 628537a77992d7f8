/** The service map as a Mermaid flowchart (renders on GitHub; `.mmd` in the report directory). */
import type { CheckReport, MapNode } from '../check';

const escapeLabel = (text: string) => text.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');

/** The lines of a node's label: name, type, visits / average duration / status. */
export function nodeLabel(node: MapNode): string[] {
  const facts =
    node.status === 'missing'
      ? 'missing'
      : [
          `${node.count}x`,
          node.avgMs !== undefined ? `avg ${node.avgMs} ms` : undefined,
          node.status !== 'ok' ? node.status : undefined,
        ]
          .filter(Boolean)
          .join(', ');
  return [node.name, node.type, facts].filter(Boolean);
}

export function toMermaid(map: CheckReport['serviceMap']): string {
  const ids = new Map(map.nodes.map((n, i) => [n.id, `n${i}`]));
  const lines = ['flowchart TD'];
  for (const node of map.nodes) {
    const label = `"${nodeLabel(node).map(escapeLabel).join('<br/>')}"`;
    // Inferred nodes (AWS services, remote hosts) get rounded boxes, as on X-Ray's map.
    lines.push(`  ${ids.get(node.id)}${node.inferred ? `(${label})` : `[${label}]`}`);
  }
  for (const edge of map.edges) {
    const arrow = edge.missing ? '-. missing .->' : '-->';
    lines.push(`  ${ids.get(edge.from)} ${arrow} ${ids.get(edge.to)}`);
  }
  lines.push('  classDef ok fill:#e6f4ea,stroke:#1e8e3e');
  lines.push('  classDef error fill:#fef7e0,stroke:#e37400');
  lines.push('  classDef fault fill:#fce8e6,stroke:#d93025');
  lines.push('  classDef missing fill:#ffffff,stroke:#d93025,stroke-dasharray:4 3');
  for (const status of ['ok', 'error', 'fault', 'missing'] as const) {
    const members = map.nodes.filter((n) => n.status === status).map((n) => ids.get(n.id));
    if (members.length > 0) lines.push(`  class ${members.join(',')} ${status}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The service map's layout: a layered drawing (callers left of what they call) in which no two node boxes (the
 * ring and the text lines under it) overlap, whatever the names. Pure: text widths come from a `measure`
 * function (the page measures with a canvas in the map's font; tests use the estimate below).
 *
 * - layers: longest path from the nodes nobody calls, with at most `nodes.length` passes, so a cycle ends;
 * - order in a layer: barycentre sweeps (each node near the mean row of its neighbours), so edges cross less;
 * - x: each layer is as wide as its widest box, plus a gap; y: boxes stacked with a gap, layers centred.
 * Boxes in two layers are apart horizontally and boxes in one layer are apart vertically: never overlapping.
 */

export interface MapNodeInput {
  readonly id: number;
  /** The lines written under the ring: name, type, counts. */
  readonly lines: readonly string[];
  /** Sorted first in its layer (the client). */
  readonly first?: boolean;
}

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface PlacedNode {
  readonly id: number;
  /** The ring's centre. */
  readonly cx: number;
  readonly cy: number;
  readonly layer: number;
  /** The ring and every text line. */
  readonly box: Box;
  /** Baseline y of each line (centred on cx). */
  readonly lineY: readonly number[];
}

export interface MapLayout {
  readonly nodes: Map<number, PlacedNode>;
  readonly bounds: Box;
}

export const RING_RADIUS = 28;
export const LINE_HEIGHT = 16;
const GAP_X = 64;
const GAP_Y = 28;
const MARGIN = 24;

/** An upper bound of a 12px system-ui line's width (600 weight): for tests and when no canvas exists. */
export const estimateTextWidth = (text: string) => text.length * 7.6;

export function layoutServiceMap(
  nodes: readonly MapNodeInput[],
  edges: readonly (readonly [number, number])[],
  measure: (text: string) => number = estimateTextWidth,
): MapLayout {
  const ids = nodes.map((n) => n.id);
  const known = new Set(ids);
  const links = edges.filter(([a, b]) => known.has(a) && known.has(b) && a !== b);
  const layerOf = assignLayers(ids, links);
  const layers = orderLayers(nodes, links, layerOf);

  const linesOf = new Map(nodes.map((n) => [n.id, n.lines]));
  const sizeOf = new Map(
    nodes.map((n) => {
      const textWidth = Math.max(0, ...n.lines.map((line) => Math.ceil(measure(line))));
      return [
        n.id,
        { width: Math.max(2 * RING_RADIUS, textWidth) + 4, height: 2 * RING_RADIUS + 6 + n.lines.length * LINE_HEIGHT },
      ];
    }),
  );
  const columnHeight = (layer: number[]) =>
    layer.reduce((sum, id) => sum + sizeOf.get(id)!.height, 0) + GAP_Y * Math.max(0, layer.length - 1);
  const tallest = Math.max(0, ...layers.map(columnHeight));

  const placed = new Map<number, PlacedNode>();
  let left = MARGIN;
  layers.forEach((layer, index) => {
    const width = Math.max(0, ...layer.map((id) => sizeOf.get(id)!.width));
    const cx = left + width / 2;
    let top = MARGIN + (tallest - columnHeight(layer)) / 2;
    for (const id of layer) {
      const size = sizeOf.get(id)!;
      const lines = linesOf.get(id)!;
      const cy = top + RING_RADIUS;
      placed.set(id, {
        id,
        cx,
        cy,
        layer: index,
        box: { x: cx - size.width / 2, y: top, width: size.width, height: size.height },
        lineY: lines.map((_, i) => cy + RING_RADIUS + 4 + LINE_HEIGHT * (i + 1) - 4),
      });
      top += size.height + GAP_Y;
    }
    left += width + GAP_X;
  });
  const width = Math.max(left - GAP_X + MARGIN, 2 * MARGIN);
  return { nodes: placed, bounds: { x: 0, y: 0, width, height: tallest + 2 * MARGIN } };
}

/** Longest path from the nodes with no caller; a cycle stops growing after `ids.length` passes. */
function assignLayers(ids: readonly number[], links: readonly (readonly [number, number])[]): Map<number, number> {
  const layer = new Map(ids.map((id) => [id, 0]));
  for (let pass = 0; pass < ids.length; pass += 1) {
    let changed = false;
    for (const [from, to] of links) {
      const candidate = layer.get(from)! + 1;
      if (candidate > layer.get(to)! && candidate < ids.length) {
        layer.set(to, candidate);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return layer;
}

function orderLayers(
  nodes: readonly MapNodeInput[],
  links: readonly (readonly [number, number])[],
  layerOf: Map<number, number>,
): number[][] {
  const used = [...new Set(layerOf.values())].sort((a, b) => a - b);
  // Empty layers (a cycle can skip some) are dropped, so every layer has at least one node.
  const layers = used.map((l) =>
    nodes
      .filter((n) => layerOf.get(n.id) === l)
      .sort((a, b) => Number(!!b.first) - Number(!!a.first) || a.id - b.id)
      .map((n) => n.id),
  );
  const callers = new Map<number, number[]>();
  const callees = new Map<number, number[]>();
  for (const [from, to] of links) {
    callees.set(from, [...(callees.get(from) ?? []), to]);
    callers.set(to, [...(callers.get(to) ?? []), from]);
  }
  const row = new Map<number, number>();
  const reindex = (layer: number[]) => {
    layer.forEach((id, i) => {
      row.set(id, i);
    });
  };
  layers.forEach(reindex);
  const sweep = (layer: number[], neighbours: Map<number, number[]>) => {
    const key = new Map(
      layer.map((id) => {
        const rows = (neighbours.get(id) ?? [])
          .filter((n) => layerOf.get(n) !== layerOf.get(id))
          .map((n) => row.get(n)!);
        return [id, rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : row.get(id)!];
      }),
    );
    layer.sort((a, b) => key.get(a)! - key.get(b)! || row.get(a)! - row.get(b)!);
    reindex(layer);
  };
  for (let round = 0; round < 3; round += 1) {
    for (let i = 1; i < layers.length; i += 1) sweep(layers[i], callers);
    for (let i = layers.length - 2; i >= 0; i -= 1) sweep(layers[i], callees);
  }
  return layers;
}

export function boxesOverlap(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

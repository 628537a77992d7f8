/** Zoom and pan of the service map as changes of the SVG viewBox. Pure: no DOM. */
import type { Box } from './map-layout';

export type View = Box;

/** Never zoom in further than this many times the fitted view, nor out beyond 4 times it. */
const MAX_ZOOM_IN = 8;
const MAX_ZOOM_OUT = 4;

/** The whole drawing: the viewBox that fits the window (with preserveAspectRatio "xMidYMid meet"). */
export const fitView = (bounds: Box): View => ({ ...bounds });

/**
 * Zooms by `factor` (>1 in, <1 out) keeping the point (fx, fy) of the drawing where it is on screen; clamped
 * relative to `fitted` so the map can be neither lost nor magnified into a single pixel.
 */
export function zoomView(view: View, factor: number, fx: number, fy: number, fitted: View): View {
  const minWidth = fitted.width / MAX_ZOOM_IN;
  const maxWidth = fitted.width * MAX_ZOOM_OUT;
  const width = Math.min(maxWidth, Math.max(minWidth, view.width / factor));
  const scale = width / view.width;
  return {
    x: fx - (fx - view.x) * scale,
    y: fy - (fy - view.y) * scale,
    width,
    height: view.height * scale,
  };
}

/** Moves the visible window by (dx, dy) drawing units. */
export const panView = (view: View, dx: number, dy: number): View => ({ ...view, x: view.x + dx, y: view.y + dy });

export const viewBoxOf = (view: View) => `${view.x} ${view.y} ${view.width} ${view.height}`;

export const centreOf = (view: View) => ({ x: view.x + view.width / 2, y: view.y + view.height / 2 });

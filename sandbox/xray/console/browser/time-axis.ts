/** Ticks of the trace timeline's time axis: round steps (1, 2 or 5 times a power of ten) from 0. Pure: no DOM. */

export interface Tick {
  /** Seconds from the trace's start. */
  readonly at: number;
  /** Percent of the axis. */
  readonly percent: number;
  readonly label: string;
}

/** The smallest step of 1, 2 or 5 x 10^k seconds that gives at most `maxTicks` intervals over `span`. */
export function tickStep(span: number, maxTicks: number): number {
  const rough = span / Math.max(1, maxTicks);
  const power = 10 ** Math.floor(Math.log10(rough));
  for (const multiple of [1, 2, 5, 10]) {
    if (multiple * power >= rough) return multiple * power;
  }
  return 10 * power;
}

export function tickLabel(seconds: number, step: number): string {
  if (step < 1) {
    const ms = seconds * 1000;
    const decimals = step * 1000 < 1 ? Math.ceil(-Math.log10(step * 1000)) : 0;
    return `${ms.toFixed(decimals)} ms`;
  }
  return `${Number(seconds.toFixed(step < 10 ? 1 : 0))} s`;
}

/** Ticks from 0 to `span` seconds (inclusive), at most `maxTicks + 1` of them. */
export function timeTicks(span: number, maxTicks = 8): Tick[] {
  if (!(span > 0)) return [{ at: 0, percent: 0, label: tickLabel(0, 0.001) }];
  const step = tickStep(span, maxTicks);
  const ticks: Tick[] = [];
  for (let i = 0; i * step <= span * (1 + 1e-9); i += 1) {
    const at = i * step;
    ticks.push({ at, percent: (at / span) * 100, label: tickLabel(at, step) });
  }
  return ticks;
}

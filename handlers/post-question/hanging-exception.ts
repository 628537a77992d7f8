/**
 * The seed's troubleshooting exercise as a switch: a share (HANGING_EXCEPTION_RATE, 0..1, default 0 = off) of
 * requests waits HANGING_EXCEPTION_DELAY_MS in a `hangingException` subsegment and then fails there, so the
 * fault and its latency are easy to find in X-Ray.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULTS, ENV } from '../../system/functions';
import { HANGING_EXCEPTION_SUBSEGMENT } from '../../system/trace-names';
import { numberSetting } from '../shared/settings';
import { withSubsegment } from '../shared/tracing';

export interface HangingSwitch {
  rate: number;
  delayMs: number;
}

export function readHangingSwitch(env: NodeJS.ProcessEnv): HangingSwitch {
  return {
    rate: numberSetting(env, ENV.hangingExceptionRate, { defaultValue: DEFAULTS.hangingExceptionRate, min: 0, max: 1 }),
    delayMs: numberSetting(env, ENV.hangingExceptionDelayMs, {
      defaultValue: DEFAULTS.hangingExceptionDelayMs,
      min: 0,
      max: 900_000,
      integer: true,
    }),
  };
}

export class HangingException extends Error {
  constructor(delayMs: number) {
    super(`hangingException: gave up after hanging for ${delayMs} ms (troubleshooting switch)`);
    this.name = 'HangingException';
  }
}

/** Hangs then throws for the configured share of calls; does nothing otherwise. */
export async function maybeHang(config: HangingSwitch, random: () => number = Math.random): Promise<void> {
  if (config.rate <= 0 || random() >= config.rate) return;
  await withSubsegment(HANGING_EXCEPTION_SUBSEGMENT, async () => {
    await sleep(config.delayMs);
    throw new HangingException(config.delayMs);
  });
}

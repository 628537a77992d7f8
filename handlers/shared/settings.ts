/**
 * Reads the function's settings from its environment once, at cold start. A missing or bad value is an
 * error that names the setting, so a misconfigured function fails its first invocation loudly and clearly.
 */
export class SettingError extends Error {
  constructor(
    readonly setting: string,
    reason: string,
  ) {
    super(`Setting ${setting} ${reason}`);
    this.name = 'SettingError';
  }
}

export function requiredSetting(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new SettingError(name, 'is required but not set');
  return value;
}

export function numberSetting(
  env: NodeJS.ProcessEnv,
  name: string,
  options: { defaultValue: number; min: number; max: number; integer?: boolean },
): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return options.defaultValue;
  const value = Number(raw);
  const kind = options.integer ? 'an integer' : 'a number';
  if (
    !Number.isFinite(value) ||
    (options.integer && !Number.isInteger(value)) ||
    value < options.min ||
    value > options.max
  ) {
    throw new SettingError(name, `must be ${kind} from ${options.min} to ${options.max}, got "${raw}"`);
  }
  return value;
}

export function urlSetting(env: NodeJS.ProcessEnv, name: string): URL {
  const raw = requiredSetting(env, name);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SettingError(name, `must be an absolute http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SettingError(name, `must be an absolute http(s) URL, got "${raw}"`);
  }
  return url;
}

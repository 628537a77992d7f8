/**
 * `config.json` at the site root names the three APIs (the website stack writes it from the stacks' outputs,
 * the sandbox serves one pointing at itself). Anything wrong with it becomes one sentence the visitor can pass on.
 */
import { OUTPUTS } from '../../system/stacks';

export interface SiteConfig {
  readonly mysfitsApiEndpoint: string;
  readonly questionsApiEndpoint: string;
  readonly streamingApiEndpoint: string;
}

const KEYS = [OUTPUTS.mysfitsApiEndpoint, OUTPUTS.questionsApiEndpoint, OUTPUTS.streamingApiEndpoint] as const;

export class ConfigError extends Error {}

/** Checks the parsed file; returns the endpoints without trailing slashes. */
export function parseConfig(raw: unknown): SiteConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError('config.json must be a JSON object with the API endpoints.');
  const record = raw as Record<string, unknown>;
  const config: Record<string, string> = {};
  for (const key of KEYS) {
    const value = record[key];
    if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`config.json has no "${key}".`);
    let url: URL;
    try {
      url = new URL(value.trim());
    } catch {
      throw new ConfigError(`config.json: "${key}" is not a URL (${value}).`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new ConfigError(`config.json: "${key}" must be an http(s) URL (${value}).`);
    config[key] = url.href.replace(/\/+$/, '');
  }
  return config as unknown as SiteConfig;
}

/** Fetches and checks `config.json` next to the page. */
export async function loadConfig(): Promise<SiteConfig> {
  let response: Response;
  try {
    response = await fetch('config.json', { cache: 'no-store' });
  } catch {
    throw new ConfigError('The site could not load its settings (config.json): the server did not answer.');
  }
  if (response.status === 404) throw new ConfigError('The site is not set up yet: config.json is missing.');
  if (!response.ok)
    throw new ConfigError(`The site could not load its settings: config.json answered HTTP ${response.status}.`);
  let raw: unknown;
  try {
    raw = await response.json();
  } catch {
    throw new ConfigError('The site could not load its settings: config.json is not valid JSON.');
  }
  return parseConfig(raw);
}

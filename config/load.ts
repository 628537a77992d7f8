/** Reads `config/environments/<env>.json` and validates it; errors name the file and the setting. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { environmentConfigSchema, type EnvironmentConfig } from './schema';

export const ENVIRONMENTS_DIR = path.join(__dirname, 'environments');
/** Environment names end up in resource names (`mysfits-<env>-...`), so keep them short and plain. */
const ENV_NAME = /^[a-z][a-z0-9]{1,9}$/;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface Environment {
  readonly name: string;
  readonly config: EnvironmentConfig;
}

/** The name is checked before it is used in a path: `../x` or `a; b` never reach the file system. */
function assertEnvironmentName(env: string): void {
  if (!ENV_NAME.test(env)) {
    throw new ConfigError(`config/${env}: environment name must match ${ENV_NAME} (it is part of resource names)`);
  }
}

/** Validates one environment's raw settings. */
export function parseEnvironmentConfig(env: string, raw: unknown): EnvironmentConfig {
  assertEnvironmentName(env);
  const result = environmentConfigSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const setting = issue.path.length > 0 ? issue.path.join('.') : '(file)';
      return `config/${env}: ${setting}: ${issue.message}`;
    });
    throw new ConfigError(problems.join('\n'));
  }
  return result.data;
}

/** Loads one environment by name. */
export function loadEnvironment(env: string, dir = ENVIRONMENTS_DIR): Environment {
  assertEnvironmentName(env);
  const file = path.join(dir, `${env}.json`);
  if (!fs.existsSync(file)) throw new ConfigError(`config/${env}: no configuration file ${file}`);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`config/${env}: ${file} is not valid JSON: ${(error as Error).message}`);
  }
  return { name: env, config: parseEnvironmentConfig(env, raw) };
}

/** Loads every `*.json` in the directory (or only `only`, when given), sorted by name. */
export function loadEnvironments(dir = ENVIRONMENTS_DIR, only?: readonly string[]): Environment[] {
  const available = fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort();
  const wanted = only && only.length > 0 ? [...only] : available;
  if (wanted.length === 0) throw new ConfigError(`config: no environment files in ${dir}`);
  return wanted.map((env) => loadEnvironment(env, dir));
}

/**
 * Where the checker sends its probes and asks X-Ray: from the stacks' outputs (`cdktf output --outputs-file`)
 * and/or flags. Every problem is a ConfigError naming the setting, so the CLI exits 2 with it.
 */
import * as fs from 'node:fs';
import { findSandbox, SandboxNotFoundError, type SandboxEndpoints } from '../../sandbox/daily/state-file';
import { OUTPUTS, stackName, STACKS, type ApiKey } from '../../system/definition';

export class ConfigError extends Error {
  constructor(
    /** The flag, output or variable at fault, e.g. `--timeout`. */
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** Every setting at fault at once, so one run tells the user all there is to fix. */
function throwAll(problems: ConfigError[]): void {
  if (problems.length === 0) return;
  if (problems.length === 1) throw problems[0];
  const settings = problems.map((p) => p.setting).join(', ');
  const error = new ConfigError(settings, '');
  error.message = `${problems.length} settings to fix:\n${problems.map((p) => `  ${p.message}`).join('\n')}`;
  throw error;
}

/** The environment name of the local sandbox: its endpoints come from the file `npm start` writes. */
export const LOCAL_ENV_NAME = 'local';

export interface CheckSettings {
  /** Environment name (`dev`, `prod`, `local` for the sandbox). */
  env?: string;
  outputsFile?: string;
  mysfitsApi?: string;
  questionsApi?: string;
  clicksApi?: string;
  /** X-Ray API endpoint; omitted = AWS's regional endpoint. */
  endpoint?: string;
  region?: string;
  /** Overall wait for traces, in seconds. */
  timeoutSeconds?: number | string;
  /** Multiplies every latency budget: for slower environments, e.g. a sandbox on a busy laptop or CI. */
  latencyBudgetFactor?: number | string;
  outDir?: string;
}

export interface ResolvedConfig {
  readonly env: string;
  readonly apiUrls: Readonly<Record<ApiKey, string>>;
  /** Which setting each URL came from, to name it when the URL does not answer. */
  readonly apiUrlSources: Readonly<Record<ApiKey, string>>;
  readonly endpoint?: string;
  readonly region: string;
  readonly timeoutMs: number;
  readonly latencyBudgetFactor: number;
  readonly outDir: string;
}

const API_OUTPUTS: Record<ApiKey, { output: string; flag: string }> = {
  mysfits: { output: OUTPUTS.mysfitsApiEndpoint, flag: '--mysfits-api' },
  questions: { output: OUTPUTS.questionsApiEndpoint, flag: '--questions-api' },
  clicks: { output: OUTPUTS.streamingApiEndpoint, flag: '--clicks-api' },
};

export const DEFAULT_TIMEOUT_SECONDS = 180;
export const DEFAULT_OUT_DIR = 'check-traces-report';

function httpUrl(value: string, setting: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(setting, `"${value}" is not a URL (expected http(s)://host[/stage])`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(setting, `"${value}" must be an http(s) URL`);
  }
  return value.replace(/\/+$/, '');
}

/** Outputs of the environment's stacks, flattened: `{ <output id>: { value, stack } }`. */
function readOutputs(file: string, env: string): Map<string, { value: unknown; stack: string }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new ConfigError('--outputs-file', `cannot read ${file}: ${reason}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(
      '--outputs-file',
      `${file} is not a cdktf outputs file ({ "<stack>": { "<output>": value } })`,
    );
  }
  const outputs = new Map<string, { value: unknown; stack: string }>();
  const envStacks = STACKS.map((key) => stackName(env, key));
  for (const stack of envStacks) {
    const values = (parsed as Record<string, unknown>)[stack];
    if (!values || typeof values !== 'object') continue;
    for (const [id, value] of Object.entries(values)) outputs.set(id, { value, stack });
  }
  if (outputs.size === 0) {
    const found = Object.keys(parsed).join(', ') || 'none';
    throw new ConfigError(
      '--outputs-file',
      `${file} has no outputs of the "${env}" stacks (${envStacks.join(', ')}); stacks found: ${found}`,
    );
  }
  return outputs;
}

export function resolveConfig(settings: CheckSettings, environment: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const env = settings.env;
  if (!env) throw new ConfigError('--env', 'required: the environment to check (e.g. dev, or local for the sandbox)');
  if (!/^[a-z][a-z0-9-]{0,20}$/.test(env)) {
    throw new ConfigError('--env', `"${env}" is not an environment name (lowercase letters, digits and dashes)`);
  }
  const outputs = settings.outputsFile ? readOutputs(settings.outputsFile, env) : undefined;
  const problems: ConfigError[] = [];
  const attempt = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(err);
      return undefined;
    }
  };

  // The running sandbox, for whatever the flags leave out of `--env local`.
  let sandbox: SandboxEndpoints | undefined;
  let sandboxMissing = '';
  if (env === LOCAL_ENV_NAME && !outputs) {
    try {
      sandbox = findSandbox(environment);
    } catch (err) {
      if (!(err instanceof SandboxNotFoundError)) throw err;
      sandboxMissing = err.message;
    }
  }

  const apiUrls = {} as Record<ApiKey, string>;
  const apiUrlSources = {} as Record<ApiKey, string>;
  for (const [api, { output, flag }] of Object.entries(API_OUTPUTS) as [ApiKey, (typeof API_OUTPUTS)[ApiKey]][]) {
    const fromFlag = (
      { mysfits: settings.mysfitsApi, questions: settings.questionsApi, clicks: settings.clicksApi } as const
    )[api];
    if (fromFlag) {
      const url = attempt(() => httpUrl(fromFlag, flag));
      if (url) [apiUrls[api], apiUrlSources[api]] = [url, flag];
      continue;
    }
    const fromOutputs = outputs?.get(output);
    if (fromOutputs && typeof fromOutputs.value === 'string') {
      const setting = `--outputs-file (${fromOutputs.stack}.${output})`;
      const url = attempt(() => httpUrl(fromOutputs.value as string, setting));
      if (url) [apiUrls[api], apiUrlSources[api]] = [url, setting];
      continue;
    }
    if (sandbox) {
      const setting = `the sandbox (${api} API in its endpoints file)`;
      const url = attempt(() => httpUrl(sandbox!.apis[api], setting));
      if (url) [apiUrls[api], apiUrlSources[api]] = [url, setting];
      continue;
    }
    problems.push(
      new ConfigError(
        flag,
        settings.outputsFile
          ? `not given, and ${settings.outputsFile} has no "${output}" output for env "${env}"`
          : sandboxMissing
            ? `not given, and ${sandboxMissing}`
            : `not given: pass ${flag} <url> or --outputs-file <cdktf outputs json>`,
      ),
    );
  }

  let endpoint = settings.endpoint ? attempt(() => httpUrl(settings.endpoint!, '--endpoint')) : undefined;
  if (!settings.endpoint && sandbox) endpoint = sandbox.xrayEndpoint;
  if (!settings.endpoint && sandboxMissing) {
    // Without it the checker would ask AWS's X-Ray about the sandbox.
    problems.push(new ConfigError('--endpoint', `not given (the sandbox's X-Ray endpoint), and ${sandboxMissing}`));
  }
  const regionOutput = outputs?.get(OUTPUTS.region)?.value;
  const region =
    settings.region ??
    (typeof regionOutput === 'string' ? regionOutput : undefined) ??
    environment.AWS_REGION ??
    environment.AWS_DEFAULT_REGION ??
    (endpoint ? 'us-east-1' : undefined);
  if (!region)
    problems.push(new ConfigError('--region', 'not given, not in the outputs file, and AWS_REGION is not set'));
  else if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region))
    problems.push(new ConfigError('--region', `"${region}" is not an AWS region`));

  const timeoutSeconds =
    settings.timeoutSeconds === undefined ? DEFAULT_TIMEOUT_SECONDS : Number(settings.timeoutSeconds);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0 || timeoutSeconds > 3600) {
    problems.push(
      new ConfigError('--timeout', `"${settings.timeoutSeconds}" must be a number of seconds between 0 and 3600`),
    );
  }
  const latencyBudgetFactor = settings.latencyBudgetFactor === undefined ? 1 : Number(settings.latencyBudgetFactor);
  if (!Number.isFinite(latencyBudgetFactor) || latencyBudgetFactor < 1 || latencyBudgetFactor > 100) {
    problems.push(
      new ConfigError('--latency-budget-factor', `"${settings.latencyBudgetFactor}" must be a number from 1 to 100`),
    );
  }
  throwAll(problems);
  return {
    env,
    latencyBudgetFactor,
    apiUrls,
    apiUrlSources,
    endpoint,
    region: region!,
    timeoutMs: Math.round(timeoutSeconds * 1000),
    outDir: settings.outDir ?? DEFAULT_OUT_DIR,
  };
}

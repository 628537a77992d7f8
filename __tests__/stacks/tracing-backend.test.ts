/**
 * `tracing` in an environment's configuration chooses the build its functions deploy: the X-Ray SDK one (default)
 * or the OpenTelemetry one. Either way the function keeps X-Ray Active tracing (the daemon the OpenTelemetry
 * build sends to, and Lambda's sampling decision) and its role the X-Ray write actions; the synth-time policy
 * (which refuses an untraced function, see policy.test.ts) passes.
 */
import { App } from 'cdktf';
import { unzipSync } from 'fflate';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadEnvironments, parseEnvironmentConfig, type Environment } from '../../config/load';
import { buildApp } from '../../stacks/app';
import { FUNCTIONS, names, stackName, type FunctionKey } from '../../system/definition';

let outdir: string;
let environment: Environment;

beforeAll(() => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mysfits-otel-synth-'));
  const dev = loadEnvironments().find((env) => env.name === 'dev')!;
  environment = { ...dev, config: { ...dev.config, tracing: 'opentelemetry' } };
  const app = new App({ outdir });
  // The whole app of this one environment, with the synth-time policy the app applies (it would throw here).
  buildApp(app, [environment]);
  app.synth();
});
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

const stackJson = (key: string) =>
  JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', stackName('dev', key as never), 'cdk.tf.json'), 'utf8'));
const STACK_OF: Record<FunctionKey, string> = {
  postQuestion: 'questions',
  processQuestionsStream: 'questions',
  processClicks: 'clickstream',
  mysfitsApi: 'mysfits',
};

describe.each(Object.keys(FUNCTIONS) as FunctionKey[])('%s with tracing: opentelemetry', (key) => {
  const lambda = () =>
    Object.values(stackJson(STACK_OF[key]).resource.aws_lambda_function as Record<string, any>).find(
      (fn) => fn.function_name === names.function('dev', key),
    );

  it('deploys the OpenTelemetry build (no X-Ray SDK in it) with Active tracing', () => {
    const fn = lambda();
    expect(fn.tracing_config).toEqual({ mode: 'Active' });
    const zip = path.resolve(outdir, 'stacks', stackName('dev', STACK_OF[key] as never), fn.filename);
    const code = Buffer.from(unzipSync(fs.readFileSync(zip))['index.js']).toString('utf8');
    expect(code).toContain('T1S');
    // The OpenTelemetry API's global registration key: a string, so minification keeps it (class names like
    // AWSXRayPropagator's are minified away since the bundles are built without keepNames).
    expect(code).toContain('opentelemetry.js.api.');
    expect(code).not.toContain('captureAWSv3Client');
  });

  it('keeps the X-Ray write actions in its role', () => {
    const documents = Object.values(stackJson(STACK_OF[key]).data.aws_iam_policy_document as Record<string, any>);
    const actions = documents.flatMap((d) =>
      (d.statement ?? []).flatMap((s: { actions?: string[] }) => s.actions ?? []),
    );
    expect(actions).toEqual(expect.arrayContaining(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']));
  });
});

it('the configuration takes xray-sdk (the default) or opentelemetry, and names the setting otherwise', () => {
  const dev = loadEnvironments().find((env) => env.name === 'dev')!;
  const { tracing, ...raw } = dev.config;
  expect(tracing).toBe('xray-sdk');
  expect(parseEnvironmentConfig('dev', { ...raw, tracing: 'opentelemetry' }).tracing).toBe('opentelemetry');
  expect(() => parseEnvironmentConfig('dev', { ...raw, tracing: 'jaeger' })).toThrow(ConfigError);
  expect(() => parseEnvironmentConfig('dev', { ...raw, tracing: 'jaeger' })).toThrow(/tracing/);
});

/**
 * What build/bundle.ts leaves out of the Lambda bundles to keep cold starts short, and that the stand-ins fail
 * loudly, for both tracing builds (the OpenTelemetry one is built with the same options). Sizes only, never
 * times: bench/bundles.ts measures load times.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundleHandlers } from '../../build/bundle';
import {
  bundleHandlerFor,
  bundleHandlersFor,
  TRACING_BACKENDS,
  type TracingBackend,
} from '../../build/tracing-variant';
import { defaultProvider } from '../../build/lambda-shims/credentials-from-env';
import { gte } from '../../build/lambda-shims/semver-left-out';
import { FUNCTIONS, type FunctionKey } from '../../system/definition';

const keys = Object.keys(FUNCTIONS) as FunctionKey[];
const bundleOf = (key: FunctionKey) => path.join(__dirname, '..', '..', '.build', FUNCTIONS[key].name, 'index.js');
const builds = keys.flatMap((key) =>
  TRACING_BACKENDS.map((backend) => [key, backend] as [FunctionKey, TracingBackend]),
);
const codeOf = (key: FunctionKey, backend: TracingBackend) =>
  fs.readFileSync(path.join(bundleHandlerFor(key, backend), 'index.js'), 'utf8');

beforeAll(() => {
  bundleHandlers(keys);
  bundleHandlersFor(keys, 'opentelemetry');
});

test.each(builds)('%s (%s build): at most 500 KB, without the default credential chain or semver', (key, backend) => {
  const code = codeOf(key, backend);
  expect(code.length).toBeLessThanOrEqual(500 * 1024);
  // The default chain's own error, and its container-credentials link.
  expect(code).not.toContain('Could not load credentials from any providers');
  expect(code).not.toContain('AWS_CONTAINER_CREDENTIALS_FULL_URI');
  // semver's own error.
  expect(code).not.toContain('Invalid Version');
});

test.each(builds)('%s (%s build): without the DynamoDB document client or classic zod', (key, backend) => {
  const code = codeOf(key, backend);
  const markers = [
    // The document client's marshalling middleware, by the name it registers under (minification keeps strings).
    'DocumentMarshall',
    // zod names its schema classes by strings: classic "ZodString", zod/mini "ZodMiniString".
    '"ZodString"',
    '"ZodObject"',
    '"ZodOptional"',
  ];
  expect(markers.filter((marker) => code.includes(marker))).toEqual([]);
});

test('the SDK clients take their credentials from the environment, and name what is missing', async () => {
  const saved = { ...process.env };
  try {
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
    });
    await expect(defaultProvider()()).resolves.toMatchObject({
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'token',
    });
    delete process.env.AWS_ACCESS_KEY_ID;
    await expect(defaultProvider()()).rejects.toThrow(/environment variable credentials/);
  } finally {
    process.env = saved;
  }
});

test('SDK v2 capture, the only user of semver, fails naming what was left out', () => {
  expect(() => gte()).toThrow(/semver is left out of Lambda bundles .*captureAWS/);
});

test('a bundle uses the stand-ins: post-question with no credentials fails on the first call, naming them', () => {
  // The handler creates its client at load (no credentials needed yet); a send needs them. Checked in a child
  // process, so X-Ray's patching of http/https stays out of this one.
  const script = `
    const { handler } = require(${JSON.stringify(bundleOf('postQuestion'))});
    handler({ httpMethod: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'a@example.com', questionText: 'hello' }) }, { awsRequestId: 'r1' })
      .then((answer) => process.stdout.write(JSON.stringify(answer)));`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    QUESTIONS_TABLE_NAME: 'questions',
    ALLOWED_ORIGIN: '*',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    // Were the default chain bundled, it would go on to the ini files here and to instance metadata.
    AWS_CONFIG_FILE: '/nonexistent',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  };
  const result = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8', timeout: 60_000 });
  expect(result.status).toBe(0);
  const answer = JSON.parse(result.stdout.slice(result.stdout.lastIndexOf('{"statusCode"')));
  expect(answer.statusCode).toBe(500);
  const log = result.stdout.slice(0, result.stdout.lastIndexOf('{"statusCode"'));
  expect(log).toMatch(/Unable to find environment variable credentials/);
});

/** `npm run check-traces` as a process: usage and configuration errors exit 2 and name the setting. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

function run(args: string[]) {
  return spawnSync(
    process.execPath,
    [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'tools/check-traces/cli.ts', ...args],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, AWS_REGION: '', AWS_DEFAULT_REGION: '' },
      timeout: 60_000,
    },
  );
}

test('an unknown option is a usage error: exit 2 naming the option', () => {
  const result = run(['--env', 'dev', '--endpont', 'http://127.0.0.1:2000']);
  expect(result.status).toBe(2);
  expect(result.stderr).toContain("unknown option '--endpont'");
  expect(result.stdout).toBe('');
});

test('a missing --env: exit 2 naming --env', () => {
  const result = run([]);
  expect(result.status).toBe(2);
  expect(result.stderr).toContain('configuration error: --env: required');
});

test('no region anywhere: exit 2 naming --region', () => {
  const result = run([
    '--env',
    'dev',
    '--questions-api',
    'https://a.example',
    '--clicks-api',
    'https://b.example',
    '--mysfits-api',
    'https://c.example',
  ]);
  expect(result.status).toBe(2);
  expect(result.stderr).toContain('configuration error: --region: not given');
});

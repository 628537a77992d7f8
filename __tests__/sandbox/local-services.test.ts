/**
 * The local services are child processes: a process that started them and exits without stopping them (a second
 * Ctrl-C, an uncaught error) must not leave them running and holding their ports.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { alive } from '../support/processes';

const REPO = path.resolve(__dirname, '../..');
const TSX_CLI = path.join(REPO, 'node_modules/tsx/dist/cli.mjs');

test('a process that exits without stopping its local services takes them with it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-services-'));
  const script = path.join(dir, 'exit-without-stop.ts');
  // Starts fauxqs, prints its own child pids, then exits at once, as a second Ctrl-C does.
  fs.writeFileSync(
    script,
    `import { execFileSync } from 'node:child_process';
     import { startFauxqs } from ${JSON.stringify(path.join(REPO, 'sandbox/services/local-services'))};
     startFauxqs().then(() => {
       process.stdout.write(execFileSync('pgrep', ['-P', String(process.pid)], { encoding: 'utf8' }));
       process.exit(130);
     });`,
  );
  const run = spawnSync(process.execPath, [TSX_CLI, script], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  expect(run.status).toBe(130);
  const children = run.stdout.split('\n').filter(Boolean).map(Number);
  expect(children.length).toBeGreaterThanOrEqual(1);
  const deadline = Date.now() + 5000;
  while (children.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  try {
    expect(children.filter(alive)).toEqual([]);
  } finally {
    for (const pid of children) if (alive(pid)) process.kill(pid, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

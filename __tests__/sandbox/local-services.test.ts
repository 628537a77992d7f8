/**
 * The local services are child processes: a process that started them and exits without stopping them (a second
 * Ctrl-C, an uncaught error, SIGKILL) must not leave them running and holding their ports; and they listen on
 * 127.0.0.1 only, like the gateway and the X-Ray daemon.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startDynamoDbLocal, startFauxqs, type LocalService } from '../../sandbox/services/local-services';
import { isLoopbackAddress, listeningAddresses } from '../support/listeners';
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

test('DynamoDB Local and fauxqs listen on 127.0.0.1 only, and keep nothing on disk unless asked to', async () => {
  const services: LocalService[] = [];
  try {
    services.push(await startDynamoDbLocal(), await startFauxqs());
    // Without --persist a start is clean: DynamoDB Local in memory, fauxqs with no state file to restore or save.
    const commandLine = (pid: number) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const [dynamodb, fauxqs] = services.map((s) => commandLine(s.pid));
    expect(dynamodb).toContain('-inMemory');
    expect(dynamodb).not.toContain('-dbPath');
    expect(fauxqs.slice(1)).toEqual([path.join(REPO, 'sandbox/services/fauxqs-server.mjs'), String(services[1].port)]);
    for (const service of services) {
      const addresses = listeningAddresses(service.port);
      expect({ service: service.name, addresses }).toEqual({ service: service.name, addresses: expect.any(Array) });
      expect(addresses.length).toBeGreaterThan(0);
      // e.g. ['::'] before the fix: every interface, so anyone on the network could read the tables and queues.
      expect({ service: service.name, notLoopback: addresses.filter((a) => !isLoopbackAddress(a)) }).toEqual({
        service: service.name,
        notLoopback: [],
      });
    }
  } finally {
    await Promise.all(services.map((s) => s.stop()));
  }
}, 60_000);

test('a process killed with SIGKILL takes its local services with it, ports and all', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-services-'));
  const script = path.join(dir, 'start-and-wait.ts');
  // Starts both services, prints their pids and ports, then waits to be killed; SIGKILL runs no exit handler.
  fs.writeFileSync(
    script,
    `import { startDynamoDbLocal, startFauxqs } from ${JSON.stringify(path.join(REPO, 'sandbox/services/local-services'))};
     Promise.all([startDynamoDbLocal(), startFauxqs()]).then((services) => {
       process.stdout.write(JSON.stringify(services.map((s) => ({ pid: s.pid, port: s.port }))) + '\\n');
       setInterval(() => {}, 1000);
     });`,
  );
  // One process (not the tsx CLI, which runs the script in a second one), so SIGKILL hits the process that started them.
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let services: { pid: number; port: number }[] = [];
  try {
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code} before starting: ${out}`)));
    });
    services = JSON.parse(out);
    expect(services).toHaveLength(2);
    child.kill('SIGKILL');
    const deadline = Date.now() + 5000;
    const left = () => services.filter((s) => alive(s.pid) || listeningAddresses(s.port).length > 0);
    while (left().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(left()).toEqual([]);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    for (const { pid } of services) if (alive(pid)) process.kill(pid, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);

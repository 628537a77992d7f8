/**
 * Runs the local X-Ray daemon alone:
 *   npx tsx sandbox/xray/cli.ts [--port 2000] [--host 127.0.0.1] [--demo]
 * `--demo` sends a few minutes of realistic Mythical Mysfits traces so the console has something to show.
 */
import { Command, InvalidArgumentError } from 'commander';
import { SANDBOX_PORTS } from '../../system/definition';
import { startXRayDaemon } from './daemon';
import { sendDemoTraces } from './demo-traces';

function portNumber(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('--port must be 0..65535');
  return port;
}

async function main() {
  const options = new Command('xray-daemon')
    .description('local X-Ray daemon: UDP segments and the X-Ray API + console on one port')
    .option('--port <port>', 'UDP and TCP port (0 = any free port)', portNumber, SANDBOX_PORTS.xray)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--demo', 'send demo traces after starting', false)
    .parse()
    .opts<{ port: number; host: string; demo: boolean }>();

  const daemon = await startXRayDaemon({ port: options.port, host: options.host });
  console.log(`X-Ray daemon: UDP ${daemon.address} (AWS_XRAY_DAEMON_ADDRESS), API ${daemon.endpoint}`);
  console.log(`  service map ${daemon.endpoint}/   traces ${daemon.endpoint}/traces`);
  if (options.demo) console.log(`  sent ${await sendDemoTraces(daemon.address)} demo segment documents`);
  const stop = () => {
    void daemon.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});

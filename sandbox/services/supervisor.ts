/**
 * Watches the sandbox's local services while it runs, so a part that dies or hangs is said out loud rather than
 * found out from a 502 later:
 * - fauxqs (SNS, SQS, S3) that exits is named with its last output and restarted on the same port, with its
 *   topic, queues, subscription and bucket recreated under the same names (its messages are lost, as they were
 *   only in its memory);
 * - DynamoDB Local that exits cannot be brought back as it was (the tables' stream would get a new ARN under the
 *   stream poller), so it is named with its last output and the sandbox fails as a whole;
 * - a service that stops answering HTTP (e.g. SIGSTOP, or stuck) is named after PROBE_TIMEOUT_MS, and named
 *   again when it answers.
 */
import * as http from 'node:http';
import type { LocalService, ServiceExit } from './local-services';

/** How often each service is asked, and how long it may take to answer, before it is said not to answer. */
const PROBE_INTERVAL_MS = 500;
const PROBE_TIMEOUT_MS = 2000;

export interface SupervisedServices {
  /** The running fauxqs (a new one after a restart; same port and endpoint). */
  fauxqs(): LocalService;
  stop(): Promise<void>;
}

export interface SupervisorOptions {
  dynamodb: LocalService;
  fauxqs: LocalService;
  /** Starts fauxqs again on the same port and recreates its resources. */
  restartFauxqs(port: number): Promise<LocalService>;
  log(line: string): void;
  /** A part died that cannot be restarted: the sandbox must stop as a whole. Called at most once. */
  onFatal(error: Error): void;
}

/** "exited with code 1" / "was killed by SIGKILL", and the last lines it printed, indented. */
export function describeExit(name: string, exit: ServiceExit): string {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const tail = exit.lastOutput
    .trim()
    .split('\n')
    .slice(-10)
    .map((line) => `      ${line}`)
    .join('\n');
  return `${name} ${how}; its last output:\n${tail || '      (none)'}`;
}

/** True when anything answers HTTP on the port within the timeout (any status: it is alive). */
function answersHttp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: PROBE_TIMEOUT_MS, agent: false }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** Logs when a service stops answering and when it answers again; returns a stop function. */
function probe(name: string, port: number, log: (line: string) => void, paused: () => boolean): () => void {
  let answering = true;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    if (!paused()) {
      const ok = await answersHttp(port);
      if (stopped) return;
      if (answering && !ok)
        log(`  ✗ ${name} on port ${port} is not answering (stopped, or stuck): requests that need it will fail`);
      if (!answering && ok) log(`  ✓ ${name} on port ${port} answers again`);
      answering = ok;
    }
    if (!stopped) timer = setTimeout(tick, PROBE_INTERVAL_MS).unref();
  };
  timer = setTimeout(tick, PROBE_INTERVAL_MS).unref();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

export function superviseServices(options: SupervisorOptions): SupervisedServices {
  let fauxqs = options.fauxqs;
  let stopping = false;
  let restarting = false;
  let fatal = false;
  const fail = (error: Error) => {
    if (fatal || stopping) return;
    fatal = true;
    options.onFatal(error);
  };

  options.dynamodb.onUnexpectedExit((exit) => {
    if (stopping) return;
    const message = describeExit('DynamoDB Local', exit);
    options.log(`  ✗ ${message}`);
    fail(new Error(`${message}\n    The tables and their stream are gone: the sandbox stops (start it again).`));
  });

  const watchFauxqs = (service: LocalService) =>
    service.onUnexpectedExit(async (exit) => {
      if (stopping) return;
      options.log(`  ✗ ${describeExit('fauxqs (SNS, SQS, S3)', exit)}`);
      options.log(`  … restarting fauxqs on port ${service.port} and recreating its topic, queues and bucket`);
      restarting = true;
      try {
        fauxqs = await options.restartFauxqs(service.port);
        if (stopping) {
          await fauxqs.stop();
          return;
        }
        watchFauxqs(fauxqs);
        options.log(`  ✓ fauxqs restarted on ${fauxqs.endpoint} (messages it held are lost)`);
      } catch (err) {
        options.log(`  ✗ fauxqs could not be restarted: ${(err as Error).message}`);
        fail(new Error(`fauxqs (SNS, SQS, S3) died and could not be restarted: ${(err as Error).message}`));
      } finally {
        restarting = false;
      }
    });
  watchFauxqs(fauxqs);

  const stopProbes = [
    probe('DynamoDB Local', options.dynamodb.port, options.log, () => stopping || fatal),
    probe('fauxqs (SNS, SQS, S3)', fauxqs.port, options.log, () => stopping || fatal || restarting),
  ];

  return {
    fauxqs: () => fauxqs,
    async stop() {
      stopping = true;
      for (const stopProbe of stopProbes) stopProbe();
      // A restarted fauxqs is not the one the sandbox registered to stop: stop it here.
      if (fauxqs !== options.fauxqs) await fauxqs.stop();
    },
  };
}

/**
 * `.sandbox/endpoints.json`: where the running sandbox listens, written by `npm start` once every part is up and
 * removed when it stops, so `npm run invoke`, `logs`, `mailbox` and `check-traces --env local` find it whatever
 * ports were chosen. SANDBOX_STATE_DIR moves the directory (tests use a temporary one).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const DEFAULT_STATE_DIR = path.join(__dirname, '..', '..', '.sandbox');
export const ENDPOINTS_FILE = 'endpoints.json';

export interface SandboxEndpoints {
  /** The sandbox process: a file whose process is gone is stale (the sandbox was killed). */
  pid: number;
  startedAt: string;
  /** The website's origin: the site, config.json, /_sandbox/mailbox. */
  url: string;
  /** Each API's own origin (POST /questions, GET /mysfits..., PUT /clicks). */
  apis: { questions: string; mysfits: string; clicks: string };
  xrayEndpoint: string;
  dynamodbEndpoint: string;
  fauxqsEndpoint: string;
  /** Lambda Invoke API (`aws lambda invoke --endpoint-url`). */
  lambdaEndpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  functions: string[];
  tables: string[];
  topicArn: string;
  queues: Record<string, string>;
  bucket: string;
  /** Per-function log files, `<logsDir>/<function>.log`. */
  logsDir?: string;
}

export function stateDirFrom(environment: NodeJS.ProcessEnv = process.env): string {
  return environment.SANDBOX_STATE_DIR || DEFAULT_STATE_DIR;
}

export const endpointsFileIn = (dir: string) => path.join(dir, ENDPOINTS_FILE);

export function writeEndpoints(dir: string, endpoints: SandboxEndpoints): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = endpointsFileIn(dir);
  // Written whole then renamed: a tool never reads half a file.
  const partial = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(partial, `${JSON.stringify(endpoints, null, 2)}\n`);
  fs.renameSync(partial, file);
  return file;
}

/** Removes the file if this process wrote it (another sandbox may have started since). */
export function removeEndpoints(dir: string, pid = process.pid): void {
  const file = endpointsFileIn(dir);
  try {
    const current = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SandboxEndpoints>;
    if (current.pid === pid) fs.rmSync(file, { force: true });
  } catch {
    // no file, or not ours to judge: leave it
  }
}

/** No running sandbox could be found; the message says where it looked and what to do. */
export class SandboxNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxNotFoundError';
  }
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export function findSandbox(environment: NodeJS.ProcessEnv = process.env): SandboxEndpoints {
  const file = endpointsFileIn(stateDirFrom(environment));
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new SandboxNotFoundError(
      `no running sandbox: ${file} does not exist (start one with npm start, or set SANDBOX_STATE_DIR)`,
    );
  }
  let endpoints: SandboxEndpoints;
  try {
    endpoints = JSON.parse(text) as SandboxEndpoints;
  } catch (err) {
    throw new SandboxNotFoundError(
      `${file} is not JSON (${(err as Error).message}); restart the sandbox with npm start`,
    );
  }
  if (typeof endpoints.pid !== 'number' || !isAlive(endpoints.pid)) {
    throw new SandboxNotFoundError(
      `no running sandbox: ${file} names process ${endpoints.pid}, which is not running (start one with npm start)`,
    );
  }
  return endpoints;
}

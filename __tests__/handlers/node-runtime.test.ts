/**
 * One Node.js everywhere, declared once (`LAMBDA_RUNTIME`): the bundles target it, the sandbox reports it, the
 * project asks for it. Node.js 24 on Lambda runs only async handlers: every handler of this system is one, and
 * the sandbox's Lambda-like runtime refuses a callback-style handler at init, as the deployed runtime would.
 */
import { fork, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BUNDLE_OPTIONS } from '../../build/bundle';
import { EXECUTION_ENV } from '../../sandbox/lambda/function-runtime';
import { ENV, FUNCTIONS, LAMBDA_NODE_MAJOR, LAMBDA_RUNTIME, type FunctionKey } from '../../system/definition';
import packageJson from '../../package.json';
import { loadHandler } from '../support/local-aws';

const { handlerShapeProblem } = require('../../sandbox/lambda/handler-shape') as {
  handlerShapeProblem: (handler: unknown) => string | undefined;
};
const BOOTSTRAP = path.resolve(__dirname, '../../sandbox/lambda/bootstrap.js');

/** Well-formed values for every variable a handler reads at load; nothing is called. */
const LOAD_ENV: Record<string, string> = {
  [ENV.questionsTableName]: 'questions',
  [ENV.questionsTopicArn]: 'arn:aws:sns:us-east-1:000000000000:questions',
  [ENV.mysfitsTableName]: 'mysfits',
  [ENV.mysfitsApiUrl]: 'http://127.0.0.1:9/',
  [ENV.mysfitsLookupTimeoutMs]: '1000',
  [ENV.allowedOrigin]: '*',
  [ENV.hangingExceptionRate]: '0',
  [ENV.hangingExceptionDelayMs]: '0',
  [ENV.serviceName]: 'shape-test',
  AWS_REGION: 'us-east-1',
};

describe('the runtime declaration', () => {
  it('is Node.js 24, and the bundles, the sandbox and package.json engines follow it', () => {
    expect(LAMBDA_RUNTIME).toBe('nodejs24.x');
    expect(LAMBDA_NODE_MAJOR).toBe(24);
    expect(BUNDLE_OPTIONS.target).toBe('node24');
    expect(EXECUTION_ENV).toBe('AWS_Lambda_nodejs24.x');
    expect(packageJson.engines.node).toMatch(new RegExp(`^\\^${LAMBDA_NODE_MAJOR}\\.`));
  });
});

describe('every handler of the system', () => {
  it.each(Object.keys(FUNCTIONS) as FunctionKey[])('%s is an async function of (event, context)', (key) => {
    const { handler } = loadHandler<{ handler: unknown }>(
      path.resolve(__dirname, '../..', FUNCTIONS[key].entry),
      LOAD_ENV,
    );
    expect(handlerShapeProblem(handler)).toBeUndefined();
    expect((handler as () => unknown).constructor.name).toBe('AsyncFunction');
  });
});

describe('handlerShapeProblem', () => {
  it('accepts async handlers of (event) and (event, context)', () => {
    expect(handlerShapeProblem(async (event: unknown) => event)).toBeUndefined();
    expect(handlerShapeProblem(async (event: unknown, context: unknown) => [event, context])).toBeUndefined();
  });

  it('refuses a callback-style handler, sync or async, and a missing one', () => {
    const callback = (event: unknown, _context: unknown, done: (e: null, r: unknown) => void) => done(null, event);
    expect(handlerShapeProblem(callback)).toMatch(/callback-style handlers .* not supported on Node\.js 24/);
    expect(handlerShapeProblem(async (_e: unknown, _c: unknown, _cb: unknown) => 1)).toMatch(/declares 3 parameters/);
    expect(handlerShapeProblem(undefined)).toMatch(/not exported/);
  });
});

describe('the sandbox bootstrap', () => {
  let taskRoot: string;
  beforeAll(() => {
    taskRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'mysfits-handler-shape-'));
  });
  afterAll(() => fs.rmSync(taskRoot, { recursive: true, force: true }));

  /** Starts the bootstrap on `source` as index.js and returns its init report. */
  function initOf(source: string): Promise<{ ok: boolean; error?: { errorType: string; errorMessage: string } }> {
    fs.writeFileSync(path.join(taskRoot, 'index.js'), source);
    const child = fork(BOOTSTRAP, [], {
      env: { LAMBDA_TASK_ROOT: taskRoot },
      execArgv: [],
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      child.once('message', (message) => {
        child.kill();
        resolve(message as never);
      });
      child.once('error', reject);
    });
  }

  it('fails the init of a callback-style handler, naming why', async () => {
    const init = await initOf('exports.handler = (event, context, callback) => callback(null, event);');
    expect(init.ok).toBe(false);
    expect(init.error).toEqual({
      errorType: 'Runtime.CallbackHandlerNotSupported',
      errorMessage: expect.stringMatching(
        /callback-style handlers \(event, context, callback\) are not supported on Node\.js 24/,
      ),
    });
  });

  it('starts an async handler', async () => {
    expect(await initOf('exports.handler = async (event) => event;')).toMatchObject({ ok: true });
  });
});

describe('the Node.js version guard (tools/node-version.cjs)', () => {
  const { satisfiesCaret, versionProblem } = require('../../tools/node-version.cjs') as {
    satisfiesCaret: (range: string, version: string) => boolean;
    versionProblem: (range: string, version: string) => string | undefined;
  };

  it('runs before npm start, npm test, npm run bench and the CDK Terrain check', () => {
    for (const script of ['prestart', 'pretest', 'prebench', 'precdktn-check']) {
      expect({ script, command: (packageJson.scripts as Record<string, string>)[script] }).toEqual({
        script,
        command: 'node tools/node-version.cjs',
      });
    }
  });

  it('accepts the asked major from its minimum on, and refuses an older or another major', () => {
    expect(satisfiesCaret('^24.11.0', '24.11.0')).toBe(true);
    expect(satisfiesCaret('^24.11.0', '24.22.3')).toBe(true);
    expect(satisfiesCaret('^24.11.0', '24.10.9')).toBe(false);
    expect(satisfiesCaret('^24.11.0', '20.20.2')).toBe(false);
    expect(satisfiesCaret('^24.11.0', '26.1.0')).toBe(false);
    expect(satisfiesCaret(packageJson.engines.node, process.versions.node)).toBe(true);
  });

  it('stops an older Node.js with one line naming the version and how to get it, and lets this one pass', () => {
    const problem = versionProblem('^24.11.0', '20.20.2');
    expect(problem?.split('\n')).toHaveLength(1);
    expect(problem).toBe(
      'This project needs Node.js 24.11.0 or a later 24.x (this is v20.20.2): run `source tools/node24.sh` to put ' +
        "Node.js 24 from the npm registry on this shell's PATH, then retry.",
    );
    const guard = spawnSync(process.execPath, [path.resolve(__dirname, '../../tools/node-version.cjs')], {
      encoding: 'utf8',
    });
    expect({ status: guard.status, stderr: guard.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it('tools/node24.sh uses a Node.js 24 already on the PATH as it is', () => {
    const result = spawnSync('bash', [path.resolve(__dirname, '../../tools/node24.sh'), 'node', '--version'], {
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(process.version);
    expect(result.stderr).not.toMatch(/fetching/);
  });
});

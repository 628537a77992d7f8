/**
 * The parts of edit-and-see that need no sandbox: the watcher's bundles are byte for byte the deploy bundles (both
 * tracing builds), a reload retires execution environments without cutting an invocation short, and a build error
 * that breaks several bundles is reported once.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleContext, bundleHandler, REPO_ROOT } from '../../build/bundle';
import { bundleHandlerFor, openTelemetryPlugin } from '../../build/tracing-variant';
import { startFunctionRuntime, type FunctionRuntime } from '../../sandbox/lambda/function-runtime';
import { reportFailedBuilds } from '../../sandbox/reload/build-errors';
import { FUNCTIONS } from '../../system/definition';

describe('the watcher builds what deploys', () => {
  test.each(['xray-sdk', 'opentelemetry'] as const)(
    '%s: an incremental rebuild gives the deploy bundle, byte for byte',
    async (backend) => {
      const deployed = path.join(
        backend === 'xray-sdk' ? bundleHandler('mysfitsApi') : bundleHandlerFor('mysfitsApi', backend),
        'index.js',
      );
      const plugins = backend === 'opentelemetry' ? [openTelemetryPlugin()] : [];
      const context = await bundleContext(path.join(REPO_ROOT, FUNCTIONS.mysfitsApi.entry), deployed, plugins);
      try {
        const result = await context.rebuild();
        expect(result.outputFiles?.map((file) => file.path)).toEqual([deployed]);
        expect(Buffer.compare(Buffer.from(result.outputFiles![0].contents), fs.readFileSync(deployed))).toBe(0);
        // Its metafile names what it imports, the shared definitions included: a save there reloads it.
        expect(Object.keys(result.metafile!.inputs)).toEqual(
          expect.arrayContaining(['handlers/mysfits-api/index.ts', 'system/functions.ts']),
        );
      } finally {
        await context.dispose();
      }
    },
  );
});

describe('reload() retires execution environments', () => {
  const taskRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'mysfits-reload-'));
  const logs: string[] = [];
  let runtime: FunctionRuntime;
  /** A handler that answers its version and process id, after `event.waitMs`. */
  const writeVersion = (version: number) =>
    fs.writeFileSync(
      path.join(taskRoot, 'index.js'),
      'exports.handler = async (event) => {\n' +
        '  await new Promise((r) => setTimeout(r, event.waitMs || 0));\n' +
        `  return { version: ${version}, pid: process.pid };\n};\n`,
    );

  beforeAll(async () => {
    writeVersion(1);
    runtime = await startFunctionRuntime({
      key: 'mysfitsApi',
      functionName: 'reload-test',
      environment: {},
      tracing: 'Off',
      taskRoot,
      concurrency: 2,
      logSink: (text) => logs.push(text),
    });
  });
  afterAll(async () => {
    await runtime?.stop();
    fs.rmSync(taskRoot, { recursive: true, force: true });
  });

  test(
    'an invocation in flight finishes on the old code; the next ' + 'ones start fresh environments on the new',
    async () => {
      type Answer = { version: number; pid: number };
      const answerOf = async (promise: ReturnType<FunctionRuntime['invoke']>) => {
        const result = await promise;
        expect(result.ok).toBe(true);
        return { answer: result.result as Answer, log: result.log ?? '' };
      };
      // Two environments: one stays busy for a while, the other goes idle.
      const busy = answerOf(runtime.invoke({ waitMs: 1500 }));
      const idle = await answerOf(runtime.invoke({}));
      expect(idle.answer.version).toBe(1);
      // START is logged once an environment has loaded the handler: both have version 1 in memory.
      while ((logs.join('').match(/START RequestId/g) ?? []).length < 2)
        await new Promise((resolve) => setTimeout(resolve, 20));

      writeVersion(2);
      runtime.reload();
      const next = await answerOf(runtime.invoke({}));
      const inFlight = await busy;

      expect(inFlight.answer.version).toBe(1); // not killed mid-invocation
      expect(next.answer.version).toBe(2);
      expect(next.log).toMatch(/Init Duration: /); // a fresh environment, as after a new version
      // The busy environment was retired once done: no later invocation lands in either old one.
      const later = await Promise.all([
        answerOf(runtime.invoke({ waitMs: 300 })),
        answerOf(runtime.invoke({ waitMs: 300 })),
      ]);
      for (const { answer } of later) {
        expect(answer.version).toBe(2);
        expect([idle.answer.pid, inFlight.answer.pid]).not.toContain(answer.pid);
      }
    },
  );
});

test('one build error that breaks several bundles is one report naming them all', () => {
  const error = {
    id: '',
    pluginName: '',
    text: 'Expected identifier but found "="',
    location: {
      file: 'system/definition.ts',
      namespace: 'file',
      line: 13,
      column: 13,
      length: 1,
      lineText: 'export const = ENV = {',
      suggestion: '',
    },
    notes: [],
    detail: undefined,
  };
  const reports = reportFailedBuilds([
    { what: 'post-question', errors: [error] },
    { what: 'mysfits-api', errors: [error] },
    { what: 'website', errors: new Error('website: index.html does not load app.js') },
  ]);
  expect(reports).toHaveLength(2);
  expect(reports[0]).toMatch(/^✗ build failed \(post-question, mysfits-api\)/);
  expect(reports[0]).toContain('system/definition.ts:13:13:');
  expect(reports[0]).toContain('Expected identifier but found "="');
  expect(reports[1]).toMatch(/^✗ build failed \(website\)[\s\S]*index\.html does not load app\.js/);
});

/**
 * Which system/ modules end up in the Lambda bundles and in the site's `app.js`. esbuild keeps every statement of
 * an imported module that it cannot prove free of side effects, so a bundle holds what its imports reach, used or
 * not: the wiring is split by concern (system/definition.ts) so that a bundle reaches only what it reads. This
 * reads esbuild's metafile (the inputs that contributed bytes to each output), with the build's own options for the
 * handlers. Both tracing builds bundle the same system/ modules: the tracing module they swap imports none.
 */
import { buildSync, type Metafile } from 'esbuild';
import * as path from 'node:path';
import { BUNDLE_OPTIONS, REPO_ROOT } from '../../build/bundle';
import { FUNCTIONS, type FunctionKey } from '../../system/definition';

/** Modules no bundle needs: the index, the checker's expected graph, the sandbox's ports, API Gateway's own answers. */
const IN_NO_BUNDLE = [
  'system/definition.ts',
  'system/tracing-contract.ts',
  'system/local-ports.ts',
  'system/api-responses.ts',
];
/** A function reads its settings, the APIs' contract, the tables and the trace names; never the stacks' names. */
const NOT_IN_A_HANDLER = [...IN_NO_BUNDLE, 'system/stacks.ts'];
/** The site reads the APIs' contract and the output ids of config.json; nothing about functions, resources or traces. */
const NOT_IN_THE_SITE = [...IN_NO_BUNDLE, 'system/functions.ts', 'system/resources.ts', 'system/trace-names.ts'];

/** The system/ modules that put code into each output, keyed by the output's directory name. */
function systemModulesByOutput(metafile: Metafile): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(metafile.outputs).map(([output, { inputs }]) => [
      path.basename(path.dirname(output)),
      Object.keys(inputs)
        .filter((input) => input.startsWith('system/') && inputs[input].bytesInOutput > 0)
        .sort(),
    ]),
  );
}

const keys = Object.keys(FUNCTIONS) as FunctionKey[];

describe('system/ modules in the bundles', () => {
  let handlers: Record<string, string[]>;
  let site: string[];

  beforeAll(() => {
    const handlerBuild = buildSync({
      ...BUNDLE_OPTIONS,
      metafile: true,
      entryPoints: keys.map((key) => path.join(REPO_ROOT, FUNCTIONS[key].entry)),
      outbase: path.join(REPO_ROOT, 'handlers'),
      outdir: path.join(REPO_ROOT, '.build', 'metafile-check'),
    });
    handlers = systemModulesByOutput(handlerBuild.metafile);
    // What esbuild keeps depends on the imports and on bundling, not on minifying or the target: build/website.ts's
    // other options do not change which modules contribute.
    const siteBuild = buildSync({
      absWorkingDir: REPO_ROOT,
      entryPoints: [path.join(REPO_ROOT, 'website/src/main.ts')],
      outdir: path.join(REPO_ROOT, '.build', 'metafile-check', 'website'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      metafile: true,
      logLevel: 'error',
    });
    site = systemModulesByOutput(siteBuild.metafile).website;
  });

  test.each(keys)('%s holds no system/ module it does not read', (key) => {
    const modules = handlers[FUNCTIONS[key].name];
    expect(modules).toEqual(expect.arrayContaining(['system/functions.ts']));
    expect(modules.filter((module) => NOT_IN_A_HANDLER.includes(module))).toEqual([]);
  });

  test("the site holds the APIs' contract and the output ids, nothing else of system/", () => {
    expect(site).toEqual(expect.arrayContaining(['system/api.ts', 'system/stacks.ts']));
    expect(site.filter((module) => NOT_IN_THE_SITE.includes(module))).toEqual([]);
  });
});

/**
 * Child process of build/tracing-variant.ts: esbuild runs plugins only in its asynchronous API, and the stacks
 * bundle synchronously (in constructors), so the OpenTelemetry variant is built here and handed back on stdout.
 * Input (argv[2], JSON): { options, entryPoints, outdir, outbase, from, to }. Output: [{ path, base64 }].
 * Required as a module, it only exports the plugin (the sandbox's watcher uses esbuild's asynchronous API itself).
 */
'use strict';
const esbuild = require('esbuild');
const path = require('node:path');

/** Every import that resolves to the tracing module `from` gets `to` instead (also used by the sandbox's watcher). */
function swapTracingModule(from, to) {
  return {
    name: 'swap-tracing-module',
    setup(build) {
      build.onResolve({ filter: /(^|\/)tracing$/ }, async (args) => {
        if (args.pluginData === 'resolving') return undefined;
        const resolved = await build.resolve(args.path, {
          importer: args.importer,
          resolveDir: args.resolveDir,
          kind: args.kind,
          pluginData: 'resolving',
        });
        if (resolved.errors.length > 0 || path.resolve(resolved.path) !== path.resolve(from)) return undefined;
        return { path: to };
      });
    },
  };
}

module.exports = { swapTracingModule };

if (require.main === module) {
  const { options, entryPoints, outdir, outbase, from, to } = JSON.parse(process.argv[2]);
  esbuild
    .build({ ...options, entryPoints, outdir, outbase, plugins: [swapTracingModule(from, to)] })
    .then((result) => {
      process.stdout.write(
        JSON.stringify(
          result.outputFiles.map((f) => ({ path: f.path, base64: Buffer.from(f.contents).toString('base64') })),
        ),
      );
    })
    .catch((err) => {
      process.stderr.write(String(err?.message ? err.message : err));
      process.exit(1);
    });
}

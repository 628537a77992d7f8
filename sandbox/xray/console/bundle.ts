/**
 * The console's browser code (`browser/*.ts`, type-checked by its own tsconfig: DOM, no Node.js) bundled by
 * esbuild into one script, once per process, the first time a page asks for it; the stylesheet is read with it.
 */
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';

const BROWSER_DIR = path.join(__dirname, 'browser');

export interface ConsoleAssets {
  readonly script: string;
  readonly stylesheet: string;
}

let assets: Promise<ConsoleAssets> | undefined;

async function bundle(): Promise<ConsoleAssets> {
  const [result, stylesheet] = await Promise.all([
    build({
      entryPoints: [path.join(BROWSER_DIR, 'main.ts')],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2020',
      legalComments: 'none',
      logLevel: 'silent',
    }),
    readFile(path.join(BROWSER_DIR, 'console.css'), 'utf8'),
  ]);
  return { script: result.outputFiles[0].text, stylesheet };
}

/** Built once; a failed build is retried on the next request rather than cached. */
export function consoleAssets(): Promise<ConsoleAssets> {
  assets ??= bundle().catch((err) => {
    assets = undefined;
    throw err;
  });
  return assets;
}

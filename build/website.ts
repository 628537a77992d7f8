/**
 * Builds the static website into `.build/website/`: every file of `website/` except `website/src/`, plus
 * `website/src/main.ts` bundled by esbuild to `app.js` (so the form can import the API's own rules from
 * `system/definition.ts`). The website stack uploads this list; the sandbox serves the same directory.
 */
import { buildSync } from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUILD_DIR, REPO_ROOT, writeOutputs } from './bundle';

export const WEBSITE_SRC = path.join(REPO_ROOT, 'website');
export const WEBSITE_OUT = path.join(BUILD_DIR, 'website');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

export function contentTypeOf(file: string): string {
  const type = CONTENT_TYPES[path.extname(file).toLowerCase()];
  if (!type) throw new Error(`website: no content type known for ${file} (add its extension to build/website.ts)`);
  return type;
}

export interface WebsiteFile {
  /** Key relative to the site root, with forward slashes (`images/mysfits/cole.svg`). */
  readonly key: string;
  readonly absolutePath: string;
  readonly contentType: string;
}

function walk(dir: string, skip: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (full === skip) return [];
    return entry.isDirectory() ? walk(full, skip) : [full];
  });
}

let built: WebsiteFile[] | undefined;

/**
 * Builds once per process; returns the files in a stable order. Files are replaced atomically and stale ones
 * removed afterwards (never the directory as a whole), because a sandbox may be serving it while tests rebuild.
 */
export function buildWebsite(): WebsiteFile[] {
  if (built) return built;
  const srcDir = path.join(WEBSITE_SRC, 'src');
  const outputs: { path: string; contents: Uint8Array }[] = walk(WEBSITE_SRC, srcDir).map((file) => ({
    path: path.join(WEBSITE_OUT, path.relative(WEBSITE_SRC, file)),
    contents: fs.readFileSync(file),
  }));
  const entry = path.join(srcDir, 'main.ts');
  if (fs.existsSync(entry)) {
    const result = buildSync({
      write: false,
      entryPoints: [entry],
      outfile: path.join(WEBSITE_OUT, 'app.js'),
      bundle: true,
      format: 'esm',
      target: 'es2020',
      platform: 'browser',
      minify: true,
      legalComments: 'none',
      logLevel: 'error',
    });
    outputs.push(...result.outputFiles.map((file) => ({ path: file.path, contents: file.contents })));
  }
  writeOutputs(outputs);
  const wanted = new Set(outputs.map((file) => file.path));
  if (fs.existsSync(WEBSITE_OUT)) {
    for (const stale of walk(WEBSITE_OUT, '').filter((file) => !wanted.has(file) && !file.endsWith('.tmp'))) {
      fs.rmSync(stale, { force: true });
    }
  }
  built = walk(WEBSITE_OUT, '')
    .filter((file) => wanted.has(file))
    .map((absolutePath) => {
      const key = path.relative(WEBSITE_OUT, absolutePath).split(path.sep).join('/');
      return { key, absolutePath, contentType: contentTypeOf(absolutePath) };
    })
    .sort((a, b) => a.key.localeCompare(b.key));
  return built;
}

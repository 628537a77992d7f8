/**
 * Builds the static website into `.build/website/`: every file of `website/` except `website/src/`, plus
 * `website/src/main.ts` bundled by esbuild to `app.js` (so the form can import the API's own rules from
 * `system/definition.ts`). The website stack uploads this list; the sandbox serves the same directory.
 */
import { buildSync } from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUILD_DIR, REPO_ROOT } from './bundle';

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

/** Builds once per process; returns the files in a stable order. */
export function buildWebsite(): WebsiteFile[] {
  if (built) return built;
  fs.rmSync(WEBSITE_OUT, { recursive: true, force: true });
  fs.mkdirSync(WEBSITE_OUT, { recursive: true });
  const srcDir = path.join(WEBSITE_SRC, 'src');
  for (const file of walk(WEBSITE_SRC, srcDir)) {
    const target = path.join(WEBSITE_OUT, path.relative(WEBSITE_SRC, file));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(file, target);
  }
  const entry = path.join(srcDir, 'main.ts');
  if (fs.existsSync(entry)) {
    buildSync({
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
  }
  built = walk(WEBSITE_OUT, '')
    .map((absolutePath) => {
      const key = path.relative(WEBSITE_OUT, absolutePath).split(path.sep).join('/');
      return { key, absolutePath, contentType: contentTypeOf(absolutePath) };
    })
    .sort((a, b) => a.key.localeCompare(b.key));
  return built;
}

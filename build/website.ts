/**
 * Builds the static website into `.build/website/`: every file of `website/` except `website/src/`, plus
 * `website/src/main.ts` bundled by esbuild to `app.js` (so the form can import the API's own rules from
 * `system/definition.ts`). The website content stack uploads this list; the sandbox serves the same directory.
 *
 * The script and the stylesheet get content-hashed names (`app.<hash>.js`, `styles.<hash>.css`) that
 * `index.html` refers to, so they can be cached for a year: a new deploy is new names, and `index.html` itself
 * (like `config.json`) is never cached, so a visitor never gets a new page with old code.
 */
import { createHash } from 'node:crypto';
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

/** Files `index.html` loads by a content-hashed name: their old names are what the page refers to. */
export const HASHED_FILES = ['app.js', 'styles.css'] as const;

/** Cache-Control of each kind of file, as uploaded to S3 and served through CloudFront. */
export const CACHE_CONTROL = {
  /** A content-hashed name never changes content. */
  hashed: 'public, max-age=31536000, immutable',
  /** The page (and `config.json`) is revalidated on every visit, so it always names the current files. */
  page: 'no-cache',
  /** Pictures keep their names; a changed one shows within five minutes. */
  other: 'public, max-age=300',
} as const;

export interface WebsiteFile {
  /** Key relative to the site root, with forward slashes (`images/mysfits/cole.svg`). */
  readonly key: string;
  readonly absolutePath: string;
  readonly contentType: string;
  readonly cacheControl: string;
}

type Output = { path: string; contents: Uint8Array };

/** `app.js` -> `app.1a2b3c4d5e.js`: the first 10 hex digits of the SHA-256 of the contents. */
export function hashedName(name: string, contents: Uint8Array): string {
  const hash = createHash('sha256').update(contents).digest('hex').slice(0, 10);
  const ext = path.extname(name);
  return `${name.slice(0, -ext.length)}.${hash}${ext}`;
}

/** Renames the hashed files and points `index.html` at the new names; a reference it cannot find is an error. */
function withHashedNames(outputs: Output[], outDir: string): { outputs: Output[]; hashed: Set<string> } {
  const index = outputs.find((file) => file.path === path.join(outDir, 'index.html'));
  if (!index) throw new Error('website: no index.html');
  let html = Buffer.from(index.contents).toString('utf8');
  const hashed = new Set<string>();
  const renamed = outputs.map((file) => {
    const name = path.relative(outDir, file.path);
    if (!(HASHED_FILES as readonly string[]).includes(name)) return file;
    const newName = hashedName(name, file.contents);
    const reference = new RegExp(`((?:src|href)=")${name.replace('.', '\\.')}(")`);
    if (!reference.test(html))
      throw new Error(`website: index.html does not load ${name} (src="${name}" or href="${name}")`);
    html = html.replace(reference, `$1${newName}$2`);
    hashed.add(newName);
    return { path: path.join(outDir, newName), contents: file.contents };
  });
  return {
    outputs: renamed.map((file) => (file === index ? { path: file.path, contents: Buffer.from(html, 'utf8') } : file)),
    hashed,
  };
}

function cacheControlOf(key: string, hashed: Set<string>): string {
  if (hashed.has(key)) return CACHE_CONTROL.hashed;
  return key.endsWith('.html') || key.endsWith('.json') ? CACHE_CONTROL.page : CACHE_CONTROL.other;
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
  built ??= buildSite(WEBSITE_SRC, WEBSITE_OUT).files;
  return built;
}

/** `app.js` bundled from `src/main.ts`, with the files it was built from (absolute paths). */
function bundleApp(srcDir: string, outDir: string): { outputs: Output[]; inputs: string[] } {
  const entry = path.join(srcDir, 'src', 'main.ts');
  if (!fs.existsSync(entry)) return { outputs: [], inputs: [] };
  const result = buildSync({
    write: false,
    metafile: true,
    entryPoints: [entry],
    outfile: path.join(outDir, 'app.js'),
    absWorkingDir: REPO_ROOT,
    bundle: true,
    format: 'esm',
    target: 'es2020',
    platform: 'browser',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  return {
    outputs: result.outputFiles.map((file) => ({ path: file.path, contents: file.contents })),
    inputs: Object.keys(result.metafile.inputs).map((input) => path.resolve(REPO_ROOT, input)),
  };
}

/**
 * Builds the site of `srcDir` into `outDir` every time it is called (the sandbox's watcher rebuilds on a save);
 * also returns every file it was built from, so a change to one of them (`system/definition.ts` too) is a reason
 * to build again. A build error throws esbuild's error (its `errors` name file, line and column) and writes nothing.
 */
export function buildSite(srcDir: string, outDir: string): { files: WebsiteFile[]; inputs: string[] } {
  const staticFiles = walk(srcDir, path.join(srcDir, 'src'));
  const sources: Output[] = staticFiles.map((file) => ({
    path: path.join(outDir, path.relative(srcDir, file)),
    contents: fs.readFileSync(file),
  }));
  const app = bundleApp(srcDir, outDir);
  sources.push(...app.outputs);
  const { outputs, hashed } = withHashedNames(sources, outDir);
  writeOutputs(outputs);
  const wanted = new Set(outputs.map((file) => file.path));
  if (fs.existsSync(outDir)) {
    for (const stale of walk(outDir, '').filter((file) => !wanted.has(file) && !file.endsWith('.tmp'))) {
      fs.rmSync(stale, { force: true });
    }
  }
  const files = walk(outDir, '')
    .filter((file) => wanted.has(file))
    .map((absolutePath) => {
      const key = path.relative(outDir, absolutePath).split(path.sep).join('/');
      return { key, absolutePath, contentType: contentTypeOf(absolutePath), cacheControl: cacheControlOf(key, hashed) };
    })
    .sort((a, b) => a.key.localeCompare(b.key));
  return { files, inputs: [...staticFiles, ...app.inputs] };
}

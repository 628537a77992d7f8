/** Mapping a URL path to a file of the website directory, for the gateway's static files. */
import * as path from 'node:path';

/**
 * Characters no website file name has: NUL (which makes fs calls throw rather than fail), the other C0 controls
 * and DEL, and the backslash (a separator on Windows).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this pattern's purpose.
const INVALID_IN_PATH = /[\u0000-\u001f\u007f\\]/;

/**
 * The file under `websiteDir` that `pathname` names ('/' is index.html), or undefined when it names none: a
 * malformed escape (%zz, or bytes that are not UTF-8 such as %ff), an invalid character, or a path that leaves
 * the directory. Undefined answers 404, as for any file that is not there.
 */
export function staticFilePath(websiteDir: string, pathname: string): string | undefined {
  let relative: string;
  try {
    relative = decodeURIComponent(pathname === '/' ? '/index.html' : pathname).replace(/^\/+/, '');
  } catch {
    return undefined;
  }
  if (INVALID_IN_PATH.test(relative)) return undefined;
  const root = path.resolve(websiteDir);
  const file = path.resolve(root, relative);
  return file.startsWith(root + path.sep) ? file : undefined;
}

/** The methods the read-only resources (website files, config.json, the sandbox pages) serve. */
export const READ_ONLY_METHODS = ['GET', 'HEAD'] as const;
export const isReadOnlyMethod = (method: string | undefined) => method === 'GET' || method === 'HEAD';

/**
 * Packages a bundled handler directory as a deterministic zip (fixed timestamps, sorted entries), once per
 * process, so the asset hash changes only when the code does. Done in-process with fflate: cdktf's ARCHIVE
 * assets spawn a Node process per asset and stack, which was most of the synth time.
 */
import { zipSync, type Zippable } from 'fflate';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** DOS time starts in 1980; any fixed date keeps the archive reproducible. */
const FIXED_MTIME = new Date('1980-01-01T00:00:00Z');
const packaged = new Map<string, string>();

function filesOf(dir: string, prefix = ''): [string, string][] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry): [string, string][] => {
      const full = path.join(dir, entry.name);
      const key = prefix + entry.name;
      return entry.isDirectory() ? filesOf(full, `${key}/`) : [[key, full]];
    });
}

/** Returns the path of `<codeDir>.zip`'s deterministic equivalent (next to the directory, named by content). */
export function packageCode(codeDir: string): string {
  const cached = packaged.get(codeDir);
  if (cached) return cached;
  const files = filesOf(codeDir);
  if (!files.some(([key]) => key === 'index.js')) throw new Error(`${codeDir}: no index.js to package`);
  const entries: Zippable = {};
  for (const [key, full] of files) entries[key] = [fs.readFileSync(full), { mtime: FIXED_MTIME, level: 6 }];
  const zip = zipSync(entries);
  const digest = createHash('sha256').update(zip).digest('hex').slice(0, 16);
  const target = `${codeDir.replace(/[\\/]+$/, '')}-${digest}.zip`;
  if (!fs.existsSync(target)) fs.writeFileSync(target, zip);
  packaged.set(codeDir, target);
  return target;
}

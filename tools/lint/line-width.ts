/**
 * The part of `npm run lint` Biome cannot do, over every file git tracks (or would track: new files count):
 *
 * - No line wider than Biome's `lineWidth` (biome.jsonc). The formatter wraps code, but not comments, strings,
 *   Markdown or shell. Exempt: a line whose overflow is one word (nothing but a URL or a path past the width, as
 *   markdownlint's MD013 allows); in Markdown, table rows and fenced blocks (verbatim commands, output, diagrams);
 *   in JSON, a line holding one string (JSON has no way to split it).
 * - No reference to an issue number (the word issue or "fixes" followed by a number, or a hash and a number in
 *   parentheses) or to seed files: code, comments, help text and logs say what and why, not where a change came
 *   from. Links to other projects' issues are fine.
 *
 * Usage: `tsx tools/lint/line-width.ts [file...]` (default: all covered files); exit 1 with `file:line: problem`.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

/** Files covered: text a person writes. Images, lock files and generated files are not. */
const COVERED = /\.(ts|tsx|js|mjs|cjs|json|jsonc|md|ya?ml|css|html|sh|java)$/;
/** Generated or written by tools; the same files biome.jsonc leaves out. */
const GENERATED = [
  /(^|\/)package-lock\.json$/,
  /^docs\/samples\//,
  /^__tests__\/check-traces\/fixtures\/sandbox-run-traces\.json$/,
];

const FORBIDDEN: readonly { pattern: RegExp; problem: string }[] = [
  { pattern: /\b(issues?|tickets?|bugs?|PR|pull request)\s*#?\s*\d+\b/i, problem: 'refers to an issue number' },
  { pattern: /\b(fix(es|ed)?|close[sd]?|resolve[sd]?|see)\s+#\d+\b/i, problem: 'refers to an issue number' },
  { pattern: /\(#\d+\)/, problem: 'refers to an issue number' },
  { pattern: /\bseeds?\/|\bseed[ -]files?\b/i, problem: 'refers to seed files' },
];
/** This checker and its test name what they forbid. */
const NAMES_THE_RULES = /^(tools\/lint|__tests__\/lint)\//;

export interface Problem {
  readonly file: string;
  readonly line: number;
  readonly problem: string;
}

/** Biome's `lineWidth`, read from biome.jsonc so the two cannot disagree. */
export function configuredWidth(biomeConfig: string): number {
  const match = /"lineWidth"\s*:\s*(\d+)/.exec(biomeConfig);
  if (!match) throw new Error('biome.jsonc sets no "lineWidth"');
  return Number(match[1]);
}

export function isCovered(file: string): boolean {
  return COVERED.test(file) && !GENERATED.some((pattern) => pattern.test(file));
}

/** The problems of one file's text; `file` is relative to the repository root, with `/` separators. */
export function checkText(file: string, text: string, width: number): Problem[] {
  const problems: Problem[] = [];
  const lines = text.split('\n');
  const markdown = file.endsWith('.md');
  let fence: string | undefined;
  lines.forEach((line, index) => {
    const number = index + 1;
    for (const { pattern, problem } of NAMES_THE_RULES.test(file) ? [] : FORBIDDEN) {
      if (pattern.test(line) && !isForeignLink(line, pattern)) problems.push({ file, line: number, problem });
    }
    if (markdown) {
      const marker = /^\s*(```|~~~)/.exec(line)?.[1];
      if (marker && (fence === undefined || fence === marker)) {
        fence = fence === undefined ? marker : undefined;
        return;
      }
      if (fence !== undefined) return;
    }
    const length = [...line].length;
    if (length <= width || isExempt(file, line, width)) return;
    problems.push({ file, line: number, problem: `line is ${length} characters, over the width of ${width}` });
  });
  return problems;
}

/** A match inside a URL (another project's issue or pull request, cited as a source) is not a reference. */
function isForeignLink(line: string, pattern: RegExp): boolean {
  const withoutUrls = line.replace(/https?:\/\/\S+/g, '');
  return !pattern.test(withoutUrls);
}

function isExempt(file: string, line: string, width: number): boolean {
  const overflow = [...line].slice(width).join('');
  if (!/\s/.test(overflow)) return true;
  if (file.endsWith('.md')) return /^\s*\|/.test(line);
  if (/\.jsonc?$/.test(file)) return /^\s*("(?:[^"\\]|\\.)*"\s*:\s*)?"(?:[^"\\]|\\.)*",?$/.test(line);
  return false;
}

function coveredFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return listed.split('\0').filter((file) => file !== '' && isCovered(file) && fs.existsSync(path.join(ROOT, file)));
}

function main(args: string[]): number {
  const width = configuredWidth(fs.readFileSync(path.join(ROOT, 'biome.jsonc'), 'utf8'));
  const files = args.length > 0 ? args.map((file) => path.relative(ROOT, path.resolve(file))) : coveredFiles();
  const problems = files.flatMap((file) => checkText(file, fs.readFileSync(path.join(ROOT, file), 'utf8'), width));
  for (const { file, line, problem } of problems) console.error(`${file}:${line}: ${problem}`);
  if (problems.length > 0) console.error(`lint: ${problems.length} problem(s) in ${files.length} files`);
  return problems.length > 0 ? 1 : 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));

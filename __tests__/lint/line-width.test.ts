/** The part of `npm run lint` Biome cannot do: line width where the formatter cannot wrap, issue references. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkText, configuredWidth, isCovered } from '../../tools/lint/line-width';

const W = 20;
const problemsOf = (file: string, text: string) => checkText(file, text, W).map((p) => `${p.line}: ${p.problem}`);

test('the width is the one biome.jsonc gives the formatter', () => {
  const config = fs.readFileSync(path.join(__dirname, '..', '..', 'biome.jsonc'), 'utf8');
  expect(configuredWidth(config)).toBe(120);
});

test('a line over the width is named with its number; one that fits is not', () => {
  expect(problemsOf('a.ts', 'const a = 1;\n// a comment far too long to fit\n')).toEqual([
    '2: line is 32 characters, over the width of 20',
  ]);
});

test('a line whose overflow is one word (a URL) is exempt; one with more words after the width is not', () => {
  expect(problemsOf('a.ts', '// see https://example.com/a/long/path')).toEqual([]);
  expect(problemsOf('a.ts', '// see https://example.com/a/long/path and more')).toHaveLength(1);
});

test('Markdown tables and fenced blocks are exempt; prose is not', () => {
  const md = [
    '| a | b | a very long cell |',
    '```',
    'a very long command line here',
    '```',
    'a long prose line, too long',
  ];
  expect(problemsOf('a.md', md.join('\n'))).toEqual(['5: line is 27 characters, over the width of 20']);
});

test('in JSON, a line holding one string is exempt (JSON cannot split it); other long lines are not', () => {
  expect(problemsOf('a.json', '  "description": "a long sentence",')).toEqual([]);
  expect(problemsOf('a.json', '  "a": 1, "b": 2, "c": 3, "d": 4')).toHaveLength(1);
});

test('references to issue numbers and seed files are refused, links to other projects are not', () => {
  // Built from parts, so this file itself refers to no issue.
  const issue = ['iss', 'ue'].join('');
  const lines = [
    '// fixes #12',
    `// see ${issue} 7`,
    'x(); // (#3)',
    "load('seeds/x')",
    '// https://github.com/o/r/issues/9',
  ];
  expect(checkText('a.ts', lines.join('\n'), 120).map((p) => `${p.line}: ${p.problem}`)).toEqual([
    '1: refers to an issue number',
    '2: refers to an issue number',
    '3: refers to an issue number',
    '4: refers to seed files',
  ]);
});

test('generated files and lock files are not checked', () => {
  expect(isCovered('stacks/app.ts')).toBe(true);
  expect(isCovered('docs/samples/check-traces/report.json')).toBe(false);
  expect(isCovered('package-lock.json')).toBe(false);
  expect(isCovered('docs/images/website.png')).toBe(false);
});

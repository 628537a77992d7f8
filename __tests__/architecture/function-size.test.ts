/**
 * The sandbox stays in pieces a newcomer can read (docs/architecture.md): no function over MAX_FUNCTION_LINES
 * lines (declarations, arrows, methods, function expressions, counted from their first to their last line, the
 * functions they contain included), and no source file over MAX_FILE_LINES lines unless its leading comment says
 * why, in a line that starts with "Why one file:". The scan parses every .ts/.mjs/.js/.cjs file under sandbox/
 * with the TypeScript compiler and fails naming file:function:lines.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '../..');
const SCANNED = 'sandbox';
const SOURCE = /\.(ts|js|cjs|mjs)$/;
const MAX_FUNCTION_LINES = 100;
const MAX_FILE_LINES = 350;
const WHY_LONG = /^\s*\*?\s*Why one file:\s*\S/m;

interface Finding {
  /** `file:function` or `file (file)`: stable across edits, what the allowlist names. */
  key: string;
  /** The key with the size and where it starts, for the failure message. */
  message: string;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') return [];
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

const relative = (file: string) => path.relative(ROOT, file).split(path.sep).join('/');

type FunctionNode =
  | ts.FunctionDeclaration
  | ts.FunctionExpression
  | ts.ArrowFunction
  | ts.MethodDeclaration
  | ts.ConstructorDeclaration
  | ts.GetAccessorDeclaration
  | ts.SetAccessorDeclaration;

function isFunction(node: ts.Node): node is FunctionNode {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

/** A function's own name, else the name it is assigned to (`const x = () => …`, `{ x: function () … }`). */
function nameOf(node: FunctionNode, source: ts.SourceFile): string {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (node.name) return node.name.getText(source);
  const parent = node.parent;
  if (
    (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) &&
    parent.name
  ) {
    return parent.name.getText(source);
  }
  const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  return `<anonymous at line ${line}>`;
}

function linesOf(node: ts.Node, source: ts.SourceFile): { start: number; lines: number } {
  const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const end = source.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
  return { start, lines: end - start + 1 };
}

/** Every function over the limit in one file's text. */
function longFunctions(file: string, text: string): Finding[] {
  const kind = file.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const findings: Finding[] = [];
  const visit = (node: ts.Node) => {
    if (isFunction(node)) {
      const { start, lines } = linesOf(node, source);
      const key = `${file}:${nameOf(node, source)}`;
      if (lines > MAX_FUNCTION_LINES) findings.push({ key, message: `${key}:${lines} lines (from line ${start})` });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return findings;
}

/** The file itself, when it is over the limit and its leading comment does not say why. */
function longFile(file: string, text: string): Finding[] {
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines <= MAX_FILE_LINES) return [];
  const body = text.replace(/^#!.*\n/, '');
  const leading = ts.getLeadingCommentRanges(body, 0) ?? [];
  if (leading.some((range) => WHY_LONG.test(body.slice(range.pos, range.end)))) return [];
  const key = `${file} (file)`;
  return [{ key, message: `${key}:${lines} lines, and no "Why one file:" in its leading comment` }];
}

describe(`the size of the functions and files in ${SCANNED}/`, () => {
  const files = sourceFiles(path.join(ROOT, SCANNED));
  const findings = files.flatMap((file) => {
    const text = fs.readFileSync(file, 'utf8');
    return [...longFunctions(relative(file), text), ...longFile(relative(file), text)];
  });

  test('the scan reads every source file of the folder, the JavaScript ones too', () => {
    const names = files.map(relative);
    expect(names).toContain('sandbox/index.ts');
    expect(names).toContain('sandbox/gateway/server.ts');
    expect(names.some((f) => f.endsWith('.mjs'))).toBe(true);
    expect(names.some((f) => f.endsWith('.js'))).toBe(true);
  });

  test(`no function over ${MAX_FUNCTION_LINES} lines, no file over ${MAX_FILE_LINES} lines without a reason`, () => {
    expect(findings.map((f) => f.message)).toEqual([]);
  });

  test('the scan names a long function of each kind, and a long file without a reason', () => {
    const body = Array.from({ length: MAX_FUNCTION_LINES }, (_, i) => `  x${i}();`).join('\n');
    const source = [
      `function declared() {\n${body}\n}`,
      `const arrow = () => {\n${body}\n};`,
      `class C {\n  method() {\n${body}\n  }\n}`,
      `const object = { expression: function () {\n${body}\n} };`,
      `function short() {\n  return 1;\n}`,
    ].join('\n');
    expect(longFunctions('x.ts', source).map((f) => f.message)).toEqual([
      `x.ts:declared:${MAX_FUNCTION_LINES + 2} lines (from line 1)`,
      `x.ts:arrow:${MAX_FUNCTION_LINES + 2} lines (from line ${MAX_FUNCTION_LINES + 3})`,
      `x.ts:method:${MAX_FUNCTION_LINES + 2} lines (from line ${2 * MAX_FUNCTION_LINES + 6})`,
      `x.ts:expression:${MAX_FUNCTION_LINES + 2} lines (from line ${3 * MAX_FUNCTION_LINES + 9})`,
    ]);
    const long = Array.from({ length: MAX_FILE_LINES + 1 }, () => 'x();').join('\n');
    expect(longFile('y.mjs', `/** A module. */\n${long}`).map((f) => f.key)).toEqual(['y.mjs (file)']);
    expect(longFile('y.mjs', `/**\n * A module.\n * Why one file: one state machine.\n */\n${long}`)).toEqual([]);
    expect(longFile('y.mjs', `${long}\n/** Why one file: not leading. */`)).toHaveLength(1);
  });
});

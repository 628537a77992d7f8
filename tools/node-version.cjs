#!/usr/bin/env node
/**
 * Run before `npm start`, `npm test` and `npm run bench`: stops at once, with one line, when this `node` is not
 * the Node.js the project asks for (package.json `engines.node`, the major of the Lambda runtime it deploys).
 * Plain CommonJS with nothing newer than Node.js 12 in it, so an old `node` can run it and say so.
 */
'use strict';
// biome-ignore lint/style/useNodejsImportProtocol: `node:` specifiers need Node.js 14.18; an older node must run this.
const path = require('path');

const wanted = require(path.join(__dirname, '..', 'package.json')).engines.node; // e.g. "^24.11.0"

/** Whether `version` ("24.12.0") satisfies a caret range ("^24.11.0"): same major, not older. */
function satisfiesCaret(range, version) {
  const want = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(range);
  if (!want) throw new Error(`package.json engines.node must be a caret range like ^24.11.0, got ${range}`);
  const have = version.split('.').map(Number);
  const [major, minor, patch] = want.slice(1).map(Number);
  if (have[0] !== major) return false;
  return have[1] > minor || (have[1] === minor && have[2] >= patch);
}

/** The one line that stops an unsuitable Node.js, or undefined when `version` will do. */
function versionProblem(range, version) {
  if (satisfiesCaret(range, version)) return undefined;
  const major = range.replace(/^\^(\d+).*/, '$1');
  return (
    `This project needs Node.js ${range.slice(1)} or a later ${major}.x (this is v${version}): ` +
    `run \`source tools/node24.sh\` to put Node.js ${major} from the npm registry on this shell's PATH, then retry.`
  );
}

if (require.main === module) {
  const problem = versionProblem(wanted, process.versions.node);
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
}

module.exports = { satisfiesCaret, versionProblem };

/**
 * `npm run deploy -- <stacks> [options]` and `npm run diff -- <stacks>`: refuses, before cdktf starts, when the
 * configuration of an environment the named stacks belong to still holds a placeholder (see `placeholders.ts`),
 * naming each setting; otherwise runs `cdktf deploy|diff` with the same arguments. cdktf synthesizes every
 * environment for deploy and diff too, so synth itself cannot tell a deploy from a test: the check is here.
 *
 * `npx tsx config/cdktf-guard.ts check <stacks or environments>` only checks (the workflows run it first).
 */
import { spawnSync } from 'node:child_process';
import { accountStackName, BOOTSTRAP_STACK, stackName, STACKS } from '../system/definition';
import { ConfigError, loadEnvironments, type Environment } from './load';
import { placeholderProblems } from './placeholders';

/** `mysfits-dev-*` -> /^mysfits-dev-.*$/ (cdktf matches stack names with minimatch; `*` and `?` are enough here). */
function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

/** The environments whose configuration the named stacks (or environment names, or globs) are built from. */
export function environmentsNamed(targets: readonly string[], environments: readonly Environment[]): Environment[] {
  const stacksOf = (env: Environment) => [
    env.name,
    BOOTSTRAP_STACK,
    accountStackName(env.config.region),
    ...STACKS.map((key) => stackName(env.name, key)),
  ];
  const patterns = targets.map(globToRegExp);
  return environments.filter((env) => stacksOf(env).some((name) => patterns.some((pattern) => pattern.test(name))));
}

export function deployProblems(targets: readonly string[], environments: readonly Environment[]): string[] {
  return environmentsNamed(targets, environments).flatMap(placeholderProblems);
}

function main(argv: readonly string[]): number {
  const [command, ...args] = argv;
  if (!['deploy', 'diff', 'check'].includes(command ?? '')) {
    console.error('usage: cdktf-guard.ts deploy|diff|check <stack or environment>... [cdktf options]');
    return 2;
  }
  const targets = args.filter((arg) => !arg.startsWith('-'));
  if (targets.length === 0) {
    console.error(
      `${command}: name the stacks (for example 'mysfits-dev-*'): cdktf ${command} of every environment at once is ` +
        `not allowed here`,
    );
    return 2;
  }
  let problems: string[];
  try {
    // The environments cdktf will synthesize (main.ts reads the same variable).
    const only = (process.env.MYSFITS_ENVS ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean);
    problems = deployProblems(targets, loadEnvironments(undefined, only));
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
  if (problems.length > 0) {
    console.error(
      `Not running cdktf ${command === 'check' ? 'deploy/diff' : command}: the configuration still holds ` +
        `placeholders.\n${problems.join('\n')}`,
    );
    return 1;
  }
  if (command === 'check') return 0;
  const result = spawnSync('npx', ['cdktf', command, ...args], { stdio: 'inherit' });
  return result.status ?? 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

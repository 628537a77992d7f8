/**
 * What the workflows deploy or diff for one environment, from the same configuration loader and stack list that
 * synth uses: prints `STACK_NAMES=<the account stack, then the environment's stacks in deploy order>` and
 * `AWS_REGION=<region>` for `$GITHUB_ENV`. The environment's name and configuration are validated by
 * `config/load.ts`, and a configuration that still holds a placeholder is refused (`config/placeholders.ts`), so a
 * workflow never starts `cdktf` on settings that cannot deploy.
 *
 *   npx tsx tools/ci/resolve-environment.ts <env> [--config-dir DIR]   >> "$GITHUB_ENV"
 *
 * Exit codes: 0 resolved; 2 the environment or its configuration is not usable (each problem printed as a GitHub
 * `::error` line naming the setting).
 */
import { Command } from 'commander';
import { ConfigError, ENVIRONMENTS_DIR, loadEnvironment } from '../../config/load';
import { placeholderProblems } from '../../config/placeholders';
import { deployStackNames } from '../../system/definition';

/** The `$GITHUB_ENV` lines for `env`, or the problems that stop it. */
export function resolveEnvironment(
  env: string,
  configDir = ENVIRONMENTS_DIR,
): { lines: string[] } | { problems: string[] } {
  try {
    const environment = loadEnvironment(env, configDir);
    const problems = placeholderProblems(environment);
    if (problems.length > 0) return { problems };
    const { region } = environment.config;
    return { lines: [`STACK_NAMES=${deployStackNames(env, region).join(' ')}`, `AWS_REGION=${region}`] };
  } catch (error) {
    if (error instanceof ConfigError) return { problems: error.message.split('\n') };
    throw error;
  }
}

/** A workflow command's text may not hold a newline or a '%' (GitHub's escaping); an untrusted name stays inert. */
const escapeCommand = (text: string) => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

function main(argv: readonly string[]): void {
  const program = new Command('resolve-environment')
    .argument('<env>', 'environment name (a file in config/environments/)')
    .option('--config-dir <dir>', 'folder of the environment files', ENVIRONMENTS_DIR)
    .action((env: string, options: { configDir: string }) => {
      const result = resolveEnvironment(env, options.configDir);
      if ('problems' in result) {
        for (const problem of result.problems) console.error(`::error title=environment::${escapeCommand(problem)}`);
        process.exitCode = 2;
        return;
      }
      console.log(result.lines.join('\n'));
    });
  program.parse(argv, { from: 'user' });
}

if (require.main === module) main(process.argv.slice(2));

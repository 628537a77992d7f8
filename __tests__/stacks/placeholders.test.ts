/**
 * The shipped configuration synthesizes but must not deploy: `npm run deploy`/`npm run diff` (config/cdktf-guard.ts)
 * stop, naming each placeholder setting, before cdktf starts.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { deployProblems, environmentsNamed } from '../../config/cdktf-guard';
import { loadEnvironments, type Environment } from '../../config/load';
import { placeholderProblems } from '../../config/placeholders';

const ROOT = path.resolve(__dirname, '../..');
const shipped = loadEnvironments();
const dev = shipped.find((e) => e.name === 'dev')!;
const real = (env: Environment, website = {}): Environment => ({
  ...env,
  config: {
    ...env.config,
    notificationEmail: 'staff@mysfits.dev',
    state: { ...env.config.state, bucket: 'acme-mysfits-tfstate' },
    website,
  },
});

describe('placeholder configuration', () => {
  it('names the state bucket and the e-mail address of the shipped configuration, and what to put there', () => {
    expect(placeholderProblems(dev)).toEqual([
      expect.stringMatching(
        new RegExp(
          String.raw`^config/dev: state\.bucket: "mysfits-terraform-state-example" is a placeholder: ` +
            'put a globally unique S3 bucket name',
        ),
      ),
      expect.stringMatching(
        /^config\/dev: notificationEmail: "mysfits-dev-questions@example\.com" is at a reserved domain .*: put the address/,
      ),
    ]);
  });

  it('passes a configuration with real values, and refuses a reserved custom domain', () => {
    expect(placeholderProblems(real(dev))).toEqual([]);
    expect(placeholderProblems(real(dev, { domainName: 'www.example.org', certificateArn: 'arn' }))).toEqual([
      expect.stringMatching(/^config\/dev: website\.domainName: "www\.example\.org" is a reserved domain/),
    ]);
    expect(
      placeholderProblems({ ...real(dev), config: { ...real(dev).config, notificationEmail: 'a@mail.test' } }),
    ).toHaveLength(1);
  });

  it('checks the environments the named stacks are built from, and only those', () => {
    const envs = [real(dev), shipped.find((e) => e.name === 'prod')!];
    const names = (targets: string[]) => environmentsNamed(targets, envs).map((e) => e.name);
    expect(names(['mysfits-dev-*'])).toEqual(['dev']);
    expect(names(['mysfits-dev-questions', '--auto-approve'])).toEqual(['dev']);
    expect(names(['mysfits-prod-website-content'])).toEqual(['prod']);
    expect(names(['prod'])).toEqual(['prod']);
    // Shared stacks are built from every environment of their region (account) or of the app (bootstrap).
    expect(names(['mysfits-account-eu-west-1'])).toEqual(['dev', 'prod']);
    expect(names(['mysfits-state-bootstrap'])).toEqual(['dev', 'prod']);
    expect(deployProblems(['mysfits-dev-*'], envs)).toEqual([]);
    expect(deployProblems(['mysfits-prod-*'], envs)).toHaveLength(2);
  });

  it('stops `npm run deploy` with exit code 1 and the settings named, before cdktf runs', () => {
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'config/cdktf-guard.ts'), 'deploy', 'mysfits-dev-*', '--auto-approve'],
      {
        cwd: ROOT,
        env: { ...process.env, CHECKPOINT_DISABLE: '1', PATH: '/nonexistent', MYSFITS_ENVS: '' },
        encoding: 'utf8',
      },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^Not running cdktf deploy: the configuration still holds placeholders\.$/m);
    expect(result.stderr).toMatch(/^config\/dev: state\.bucket: /m);
    expect(result.stderr).toMatch(/^config\/dev: notificationEmail: /m);
    expect(result.stderr).not.toMatch(/config\/prod/);
  });
});

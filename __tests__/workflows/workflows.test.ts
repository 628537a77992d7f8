/**
 * The CI/CD workflows: schema-valid, pinned, least-privilege, and doing what the operations guide says —
 * checks on every pull request with a `cdktf diff` comment, deploy of the stacks in `STACKS` order then the
 * trace check on main. The shell and github-script parts are executed here with stand-ins for cdktf and the
 * GitHub API, so a broken script fails this suite, not the first real run.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import YAML from 'yaml';
import { accountStackName, deployStackNames, LAMBDA_NODE_MAJOR, STACKS, stackName } from '../../system/definition';

const ROOT = path.resolve(__dirname, '../..');
const TSX_CLI = require.resolve('tsx/cli');
/** The shipped dev configuration (placeholders included). */
const DEV_CONFIG = JSON.parse(fs.readFileSync(path.join(ROOT, 'config/environments/dev.json'), 'utf8'));
const WORKFLOWS_DIR = path.join(ROOT, '.github/workflows');

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  'continue-on-error'?: unknown;
}
interface Job {
  uses?: string;
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string>;
  environment?: string | { name: string };
  steps?: Step[];
}
interface Workflow {
  on: Record<string, any>;
  permissions?: Record<string, string>;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const FILES = fs
  .readdirSync(WORKFLOWS_DIR)
  .filter((file) => /\.ya?ml$/.test(file))
  .sort();
const source = (file: string) => fs.readFileSync(path.join(WORKFLOWS_DIR, file), 'utf8');
const load = (file: string): Workflow => YAML.parse(source(file), { uniqueKeys: true, prettyErrors: true });
const allSteps = (workflow: Workflow) => Object.values(workflow.jobs).flatMap((job) => job.steps ?? []);
const stepNamed = (job: Job, name: string): Step => {
  const step = job.steps?.find((s) => s.name === name);
  if (!step) throw new Error(`no step named "${name}"`);
  return step;
};
const indexOfStep = (job: Job, predicate: (step: Step) => boolean, what: string): number => {
  const index = (job.steps ?? []).findIndex(predicate);
  if (index < 0) throw new Error(`no step ${what}`);
  return index;
};
const usesAction = (action: string) => (step: Step) => step.uses?.split('@')[0] === action;
const runs = (pattern: RegExp) => (step: Step) => pattern.test(step.run ?? '');
/** `${{ env.NAME }}` -> the workflow-level value, so pins held in `env:` are checked too. */
const resolveEnv = (workflow: Workflow, value: unknown) =>
  String(value).replace(/\$\{\{\s*env\.(\w+)\s*\}\}/g, (_, name: string) => workflow.env?.[name] ?? `<unset ${name}>`);

const expectedStackNames = (env: string, region = DEV_CONFIG.region) => deployStackNames(env, region).join(' ');

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `mysfits-wf-${prefix}-`));
}

describe('every workflow file', () => {
  it('exists: pull-request, deploy and the shared verify workflow', () => {
    expect(FILES).toEqual(expect.arrayContaining(['deploy.yml', 'pull-request.yml', 'verify.yml']));
  });

  it.each(FILES)('%s matches the GitHub Actions workflow schema (action-validator)', (file) => {
    const { actionType, errors } = validateWorkflow(source(file));
    expect(actionType).toBe('workflow');
    expect(errors).toEqual([]);
  });

  it('the schema check can fail: a misspelt key and a job without runs-on are rejected', () => {
    const broken = load('pull-request.yml') as any;
    delete broken.jobs.diff['runs-on'];
    broken.jobs.diff.stepz = broken.jobs.diff.steps;
    delete broken.jobs.diff.steps;
    expect(validateWorkflow(YAML.stringify(broken)).errors.length).toBeGreaterThan(0);
  });

  it.each(FILES)('%s parses as YAML with unique keys', (file) => {
    expect(() => load(file)).not.toThrow();
  });

  it.each(FILES)('%s pins every action to a full commit SHA, commented with its exact version', (file) => {
    const workflow = load(file);
    const structural = [
      ...Object.values(workflow.jobs).flatMap((job) => (job.uses ? [job.uses] : [])),
      ...allSteps(workflow).flatMap((step) => (step.uses ? [step.uses] : [])),
    ];
    const lines = source(file)
      .split('\n')
      .map((line) => /^\s*(?:-\s+)?uses:\s*(\S+)\s*(.*)$/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null);
    // The line scan sees exactly what the parser sees, so no `uses:` escapes the pin check.
    expect(lines.map((match) => match[1])).toEqual(structural);
    for (const [, ref, comment] of lines) {
      if (ref.startsWith('./')) {
        expect(fs.existsSync(path.join(ROOT, ref))).toBe(true);
        continue;
      }
      expect(ref).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
      expect(comment).toMatch(/^# v\d+\.\d+\.\d+$/);
    }
  });

  it('pins each action to the same commit in every file', () => {
    const pins = new Map<string, Set<string>>();
    for (const file of FILES) {
      for (const step of allSteps(load(file))) {
        if (!step.uses || step.uses.startsWith('./')) continue;
        const [action, sha] = step.uses.split('@');
        pins.set(action, (pins.get(action) ?? new Set()).add(sha));
      }
    }
    expect(pins.size).toBeGreaterThan(0);
    for (const [action, shas] of pins)
      expect({ action, shas: [...shas] }).toEqual({ action, shas: [...shas].slice(0, 1) });
  });

  it.each(FILES)("%s needs no silencing of the AWS SDK's Node.js version warning", (file) => {
    expect(source(file)).not.toMatch(/AWS_SDK_JS_\w*(NODE|DEPRECATION)\w*/);
  });

  it.each(FILES)('%s keeps workflow-level permissions read-only', (file) => {
    expect(load(file).permissions).toEqual({ contents: 'read' });
  });

  it.each(FILES)('%s never interpolates inputs or event data into a run script (script injection)', (file) => {
    for (const step of allSteps(load(file))) {
      expect(step.run ?? '').not.toMatch(/\$\{\{\s*(inputs\.|github\.event\.|github\.head_ref|steps\.)/);
    }
  });

  it.each(FILES)(
    '%s installs from the lock file with the npm cache and checks out without persisted credentials',
    (file) => {
      const workflow = load(file);
      for (const [name, job] of Object.entries(workflow.jobs)) {
        if (!job.steps) continue;
        const setupNode = job.steps.find(usesAction('actions/setup-node'));
        expect({ job: name, cache: setupNode?.with?.cache }).toEqual({ job: name, cache: 'npm' });
        // The Node.js major the functions deploy on, as package.json's engines asks.
        expect(resolveEnv(workflow, setupNode?.with?.['node-version'])).toBe(String(LAMBDA_NODE_MAJOR));
        expect(job.steps.some(runs(/^npm ci\b/m))).toBe(true);
        expect(job.steps.some(runs(/\bnpm (install|i)\b/))).toBe(false);
        expect(job.steps.find(usesAction('actions/checkout'))?.with?.['persist-credentials']).toBe(false);
      }
    },
  );
});

describe('Terraform and AWS credentials', () => {
  const jobsUsing = (action: string) =>
    FILES.flatMap((file) => {
      const workflow = load(file);
      return Object.entries(workflow.jobs)
        .filter(([, job]) => job.steps?.some(usesAction(action)))
        .map(([name, job]) => ({ file, name, job, workflow }));
    });

  it('sets up an exactly pinned Terraform without the wrapper wherever cdktf plans or applies', () => {
    const cdktfJobs = FILES.flatMap((file) =>
      Object.entries(load(file).jobs)
        .filter(([, job]) => job.steps?.some(runs(/cdktf (diff|deploy)/)))
        .map(([name]) => `${file}:${name}`),
    );
    const terraformJobs = jobsUsing('hashicorp/setup-terraform');
    expect(terraformJobs.map(({ file, name }) => `${file}:${name}`).sort()).toEqual(cdktfJobs.sort());
    expect(cdktfJobs.sort()).toEqual(['deploy.yml:deploy', 'pull-request.yml:diff']);
    for (const { job, workflow } of terraformJobs) {
      const step = job.steps!.find(usesAction('hashicorp/setup-terraform'))!;
      expect(resolveEnv(workflow, step.with?.terraform_version)).toMatch(/^\d+\.\d+\.\d+$/);
      expect(step.with?.terraform_wrapper).toBe(false);
    }
  });

  it('gets AWS credentials only through OIDC, with id-token granted to that job alone', () => {
    const awsJobs = jobsUsing('aws-actions/configure-aws-credentials');
    expect(awsJobs.map(({ file, name }) => `${file}:${name}`).sort()).toEqual([
      'deploy.yml:deploy',
      'pull-request.yml:diff',
    ]);
    for (const { job, workflow } of awsJobs) {
      expect(job.permissions?.['id-token']).toBe('write');
      expect(workflow.permissions?.['id-token']).toBeUndefined();
      const step = job.steps!.find(usesAction('aws-actions/configure-aws-credentials'))!;
      expect(String(step.with?.['role-to-assume'])).toMatch(/^\$\{\{\s*vars\.AWS_(PLAN_)?ROLE_ARN\b/);
      expect(Object.keys(step.with ?? {})).not.toEqual(expect.arrayContaining(['aws-access-key-id']));
      expect(Object.keys(step.with ?? {})).not.toContain('aws-secret-access-key');
      // Credentials and Terraform are in place before cdktf talks to AWS.
      const credentials = indexOfStep(
        job,
        usesAction('aws-actions/configure-aws-credentials'),
        'configuring credentials',
      );
      const terraform = indexOfStep(job, usesAction('hashicorp/setup-terraform'), 'setting up Terraform');
      const firstCdktf = indexOfStep(job, runs(/cdktf (diff|deploy)/), 'running cdktf diff/deploy');
      expect(Math.max(credentials, terraform)).toBeLessThan(firstCdktf);
    }
    for (const file of FILES) {
      for (const [name, job] of Object.entries(load(file).jobs)) {
        if (!awsJobs.some((aws) => aws.file === file && aws.name === name))
          expect(job.permissions?.['id-token']).toBeUndefined();
      }
    }
  });
});

describe('verify.yml (run by both workflows)', () => {
  const workflow = load('verify.yml');
  const job = workflow.jobs.test;

  it('is reusable and runs npm ci, typecheck, the tests, then cdktf synth, in that order', () => {
    expect(Object.keys(workflow.on)).toEqual(['workflow_call']);
    const order = [/^npm ci\b/m, /^npm run typecheck$/m, /^npm test$/m, /^npx cdktf synth$/m].map((pattern) =>
      indexOfStep(job, runs(pattern), `running ${pattern}`),
    );
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('gives the tests Java and a Chromium whose path they read from CHROMIUM_PATH', () => {
    const test = indexOfStep(job, runs(/^npm test$/m), 'running npm test');
    const java = indexOfStep(job, usesAction('actions/setup-java'), 'setting up Java');
    const chromium = indexOfStep(job, usesAction('browser-actions/setup-chrome'), 'setting up Chromium');
    expect(java).toBeLessThan(test);
    expect(chromium).toBeLessThan(test);
    expect(job.steps![java].with?.['java-version']).toBe('17');
    const chromiumId = job.steps![chromium].id;
    expect(job.steps![test].env?.CHROMIUM_PATH).toBe(`\${{ steps.${chromiumId}.outputs.chrome-path }}`);
  });
});

describe('pull-request.yml', () => {
  const workflow = load('pull-request.yml');
  const diff = workflow.jobs.diff;

  it('runs on pull requests to main, one run per pull request at a time', () => {
    expect(workflow.on.pull_request).toEqual({ branches: ['main'] });
    expect(workflow.concurrency?.group).toContain('github.event.pull_request.number');
    expect(workflow.concurrency?.['cancel-in-progress']).toBe(true);
  });

  it('diffs only after the shared checks pass, never for forks, and may comment', () => {
    expect(workflow.jobs.verify.uses).toBe('./.github/workflows/verify.yml');
    expect(diff.needs).toBe('verify');
    expect(diff.if).toContain('github.event.pull_request.head.repo.full_name == github.repository');
    expect(diff.permissions).toEqual({ contents: 'read', 'id-token': 'write', 'pull-requests': 'write' });
  });

  it('targets the input environment, else dev', () => {
    expect(workflow.on.workflow_dispatch.inputs.environment.default).toBe('dev');
    expect(workflow.env?.TARGET_ENV).toMatch(/inputs\.environment .*'dev' \}\}$/);
  });

  it('resolves the stacks, synthesizes, diffs every stack, keeps the plans, comments, fails on a failed plan', () => {
    const order = [
      indexOfStep(diff, (s) => s.name === 'Resolve stacks', 'resolving stacks'),
      indexOfStep(diff, runs(/^npx cdktf synth$/m), 'synthesizing'),
      indexOfStep(diff, (s) => s.id === 'diff', 'diffing'),
      indexOfStep(diff, usesAction('actions/upload-artifact'), 'keeping the plans'),
      indexOfStep(diff, usesAction('actions/github-script'), 'commenting'),
      indexOfStep(diff, (s) => s.if === "steps.diff.outputs.failed != ''", 'failing on a failed plan'),
    ];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(stepNamed(diff, 'Diff every stack').run).toMatch(
      /for stack in \$STACK_NAMES; do[\s\S]*cdktf diff "\$stack"/,
    );
  });
});

describe('the CDK Terrain check', () => {
  it('runs on every pull request after a lock-file install, with no AWS access', () => {
    const job = load('pull-request.yml').jobs['cdktn-check'];
    const install = indexOfStep(job, runs(/^npm ci\b/m), 'running npm ci');
    const check = indexOfStep(job, runs(/^npm run cdktn-check$/m), 'running npm run cdktn-check');
    expect(install).toBeLessThan(check);
    expect(job.permissions).toBeUndefined();
    expect(job.steps!.some(usesAction('aws-actions/configure-aws-credentials'))).toBe(false);
  });

  it('runs in .ci/run too, on the Node.js 24 that .ci/run puts first on PATH before installing', () => {
    const lines = fs.readFileSync(path.join(ROOT, '.ci/run'), 'utf8').split('\n');
    const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
    const order = [
      /^source tools\/node24\.sh$/,
      /^npm ci\b/,
      /^npm run typecheck$/,
      /^npm run cdktn-check$/,
      /^npm test$/,
    ].map(at);
    expect(order.every((index) => index >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });
});

describe('deploy.yml', () => {
  const workflow = load('deploy.yml');
  const deploy = workflow.jobs.deploy;

  it('runs on pushes to main and on demand for a chosen environment', () => {
    expect(workflow.on.push).toEqual({ branches: ['main'] });
    expect(workflow.on.workflow_dispatch.inputs.environment).toMatchObject({ type: 'string', default: 'dev' });
  });

  it('deploys one environment at a time, never cancelling a running deploy, behind a GitHub environment', () => {
    expect(workflow.concurrency?.group).toMatch(/^deploy-\$\{\{ inputs\.environment/);
    expect(workflow.concurrency?.['cancel-in-progress']).toBe(false);
    expect(deploy.environment).toEqual({ name: "${{ inputs.environment || 'dev' }}" });
    expect(deploy.needs).toBe('verify');
    expect(workflow.jobs.verify.uses).toBe('./.github/workflows/verify.yml');
  });

  it('deploys all stacks in one ordered, serial cdktf run with dependency checks, then outputs, check-traces', () => {
    const resolve = indexOfStep(deploy, (s) => s.name === 'Resolve stacks', 'resolving stacks');
    const deployStep = indexOfStep(deploy, runs(/npx cdktf deploy /), 'deploying');
    const output = indexOfStep(deploy, runs(/npx cdktf output /), 'writing outputs');
    const check = indexOfStep(deploy, runs(/npm run check-traces/), 'checking traces');
    const upload = indexOfStep(deploy, usesAction('actions/upload-artifact'), 'uploading the report');
    expect([resolve, deployStep, output, check, upload]).toEqual(
      [resolve, deployStep, output, check, upload].sort((a, b) => a - b),
    );

    const deployRun = deploy.steps![deployStep].run!;
    expect(deployRun).toMatch(/npx cdktf deploy \$STACK_NAMES .*--auto-approve/);
    expect(deployRun).toMatch(/--parallelism 1\b/);
    expect(deployRun).not.toContain('--ignore-missing-stack-dependencies');
    expect(deploy.steps![output].run).toMatch(/npx cdktf output \$STACK_NAMES .*--outputs-file "\$OUTPUTS_FILE"/);

    const checkStep = deploy.steps![check];
    expect(checkStep.run).toMatch(/^npm run check-traces -- --env "\$TARGET_ENV" --outputs-file "\$OUTPUTS_FILE"/);
    // Its exit code is the job's verdict: nothing may swallow it.
    for (const step of deploy.steps!.slice(deployStep, check + 1)) {
      expect(step['continue-on-error']).toBeUndefined();
      expect(step.if).toBeUndefined();
      expect(step.run).not.toMatch(/\|\|\s*true/);
    }
    const uploadStep = deploy.steps![upload];
    expect(uploadStep.if).toBe('always()');
    expect(String(uploadStep.with?.path)).toContain(`${workflow.env?.TRACE_REPORT_DIR}/`);
    expect(String(uploadStep.with?.path)).toContain(String(workflow.env?.OUTPUTS_FILE));
    expect(checkStep.run).toContain('--out-dir "$TRACE_REPORT_DIR"');
  });
});

describe('"Resolve stacks"', () => {
  const RUN = 'npx tsx tools/ci/resolve-environment.ts "$TARGET_ENV" >> "$GITHUB_ENV"';
  let work: string;
  beforeAll(() => {
    // Environment files of our own: one that can deploy, one without a region, one that still holds placeholders.
    work = tempDir('resolve');
    const real = {
      ...DEV_CONFIG,
      state: { bucket: 'acme-mysfits-state', region: 'ap-northeast-2' },
      notificationEmail: 'staff@acme.io',
    };
    fs.writeFileSync(path.join(work, 'qa.json'), JSON.stringify({ ...real, region: 'ap-northeast-2' }));
    fs.writeFileSync(path.join(work, 'noregion.json'), JSON.stringify({ ...real, region: undefined }));
    fs.writeFileSync(path.join(work, 'sample.json'), JSON.stringify(DEV_CONFIG));
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  const resolve = (targetEnv: string) =>
    spawnSync(process.execPath, [TSX_CLI, 'tools/ci/resolve-environment.ts', targetEnv, '--config-dir', work], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('is the same project script in both workflows, its output appended to $GITHUB_ENV', () => {
    expect(stepNamed(load('pull-request.yml').jobs.diff, 'Resolve stacks').run?.trim()).toBe(RUN);
    expect(stepNamed(load('deploy.yml').jobs.deploy, 'Resolve stacks').run?.trim()).toBe(RUN);
  });

  it('writes the stack names in deploy order (account stack first) and the region from the environment config', () => {
    const result = resolve('qa');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      `STACK_NAMES=${expectedStackNames('qa', 'ap-northeast-2')}`,
      'AWS_REGION=ap-northeast-2',
    ]);
    expect(expectedStackNames('qa', 'ap-northeast-2').split(' ')).toEqual([
      accountStackName('ap-northeast-2'),
      ...STACKS.map((s) => stackName('qa', s)),
    ]);
  });

  it.each([
    ['qa; touch pwned', /environment name must match/],
    ['../dev', /environment name must match/],
    ['staging', /config\/staging: no configuration file/],
    ['noregion', /config\/noregion: region:/],
    ['sample', /config\/sample: state\.bucket: .*placeholder[\s\S]*config\/sample: notificationEmail:/],
  ])('rejects %j with an error naming the setting, and writes nothing', (targetEnv, message) => {
    const result = resolve(targetEnv);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^::error title=environment::/);
    expect(result.stderr).toMatch(message);
    expect(fs.existsSync(path.join(ROOT, 'pwned'))).toBe(false);
  });
});

describe('"Diff every stack" (executed with a stand-in cdktf)', () => {
  const step = stepNamed(load('pull-request.yml').jobs.diff, 'Diff every stack');
  let work: string;
  let result: ReturnType<typeof spawnSync>;
  let report: string;
  let calls: string[];
  let outputs: string;
  const names = expectedStackNames('dev').split(' ');

  beforeAll(() => {
    work = tempDir('diff');
    const bin = path.join(work, 'bin');
    fs.mkdirSync(bin);
    // `npx cdktf diff <stack> ...`: questions fails to plan, website has a long plan, the rest have no changes.
    fs.writeFileSync(
      path.join(bin, 'npx'),
      [
        '#!/usr/bin/env bash',
        'echo "$*" >> "$CALLS"',
        'case "$3" in',
        '  *-questions) echo "Error: AccessDenied: not authorized to perform: dynamodb:DescribeTable"; exit 1 ;;',
        '  *-website) head -c 30000 /dev/zero | tr "\\0" "~"; echo; echo "mysfits-dev-website  Plan: 3 to add, 1 to ' +
          'change, 0 to destroy." ;;',
        '  *) echo "$3  No changes. Your infrastructure matches the configuration." ;;',
        'esac',
      ].join('\n'),
      { mode: 0o755 },
    );
    const env = {
      PATH: `${bin}:${process.env.PATH}`,
      CALLS: path.join(work, 'calls'),
      TARGET_ENV: 'dev',
      STACK_NAMES: expectedStackNames('dev'),
      GITHUB_SHA: 'abc123',
      GITHUB_OUTPUT: path.join(work, 'github-output'),
      GITHUB_STEP_SUMMARY: path.join(work, 'summary'),
      ...step.env,
    };
    result = spawnSync('bash', ['-c', step.run!], { cwd: work, encoding: 'utf8', env, timeout: 60_000 });
    report = fs.readFileSync(path.join(work, step.env!.DIFF_REPORT), 'utf8');
    calls = fs.readFileSync(env.CALLS, 'utf8').trim().split('\n');
    outputs = fs.readFileSync(env.GITHUB_OUTPUT, 'utf8');
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('plans every stack in STACKS order, going on past a failure', () => {
    expect(result.status).toBe(0);
    expect(calls).toEqual(names.map((name) => `cdktf diff ${name} --skip-synth --no-color`));
  });

  it('reports each stack in order with its plan summary, starting with the sticky-comment marker', () => {
    expect(report.startsWith('<!-- mysfits-cdktf-diff:dev -->\n')).toBe(true);
    const headings = [...report.matchAll(/<summary><b>([^<]+)<\/b>: ([^<]*)<\/summary>/g)].map((m) => [m[1], m[2]]);
    expect(headings.map(([name]) => name)).toEqual(names);
    const summary = Object.fromEntries(headings);
    expect(summary['mysfits-dev-questions']).toBe('FAILED to plan');
    expect(summary['mysfits-dev-website']).toBe('Plan: 3 to add, 1 to change, 0 to destroy.');
    expect(summary['mysfits-dev-tracing']).toBe('No changes. Your infrastructure matches the configuration.');
    expect(report).toContain('not authorized to perform: dynamodb:DescribeTable');
  });

  it('cuts a long plan to fit a comment, keeping its end, and keeps the full plan for the artifact', () => {
    expect(report.length).toBeLessThan(65_000);
    expect(report).toMatch(/characters cut: the full plan is in the cdktf-diff artifact/);
    expect(fs.statSync(path.join(work, step.env!.DIFF_LOG_DIR, 'mysfits-dev-website.log')).size).toBeGreaterThan(
      30_000,
    );
    expect(fs.readFileSync(path.join(work, 'summary'), 'utf8')).toBe(report);
  });

  it('names the stacks that failed to plan for the last step', () => {
    expect(outputs).toBe('failed=mysfits-dev-questions\n');
  });
});

describe('the sticky pull-request comment (executed with a stand-in GitHub API)', () => {
  const step = load('pull-request.yml').jobs.diff.steps!.find(usesAction('actions/github-script'))!;
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor;
  const script = new AsyncFunction('github', 'context', 'core', 'require', String(step.with?.script));
  let work: string;
  beforeAll(() => {
    work = tempDir('comment');
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  async function post(existing: { id: number; user: { type: string }; body: string }[], report: string) {
    const file = path.join(work, 'report.md');
    fs.writeFileSync(file, report);
    const created: Record<string, unknown>[] = [];
    const updated: Record<string, unknown>[] = [];
    const github = {
      paginate: async (method: unknown, params: Record<string, unknown>) => {
        expect(method).toBe(github.rest.issues.listComments);
        expect(params).toMatchObject({ owner: 'octo', repo: 'mysfits', issue_number: 7 });
        return existing;
      },
      rest: {
        issues: {
          listComments: () => undefined,
          createComment: async (params: Record<string, unknown>) => {
            created.push(params);
            return { data: { id: 99 } };
          },
          updateComment: async (params: Record<string, unknown>) => {
            updated.push(params);
            return { data: {} };
          },
        },
      },
    };
    const context = { repo: { owner: 'octo', repo: 'mysfits' }, issue: { number: 7 } };
    const core = { info: () => undefined };
    const saved = { ...process.env };
    Object.assign(process.env, { TARGET_ENV: 'dev', ...step.env, DIFF_REPORT: file });
    try {
      await script(github, context, core, require);
    } finally {
      process.env = saved;
    }
    return { created, updated };
  }

  const marker = '<!-- mysfits-cdktf-diff:dev -->';

  it('creates the comment when there is none', async () => {
    const { created, updated } = await post([], `${marker}\nplan`);
    expect(updated).toEqual([]);
    expect(created).toEqual([{ owner: 'octo', repo: 'mysfits', issue_number: 7, body: `${marker}\nplan` }]);
  });

  it("updates the bot's own comment for this environment, not a person's or another environment's", async () => {
    const { created, updated } = await post(
      [
        { id: 1, user: { type: 'User' }, body: `${marker}\nquoted by a reviewer` },
        { id: 2, user: { type: 'Bot' }, body: '<!-- mysfits-cdktf-diff:prod -->\nprod plan' },
        { id: 3, user: { type: 'Bot' }, body: `${marker}\nold plan` },
      ],
      `${marker}\nnew plan`,
    );
    expect(created).toEqual([]);
    expect(updated).toEqual([{ owner: 'octo', repo: 'mysfits', comment_id: 3, body: `${marker}\nnew plan` }]);
  });

  it('keeps a huge report under GitHub’s 65,536-character comment limit, marker first', async () => {
    const { created } = await post([], `${marker}\n${'x'.repeat(200_000)}`);
    const body = String(created[0].body);
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body.startsWith(marker)).toBe(true);
    expect(body).toMatch(/cut: the full plans are in the cdktf-diff artifact/);
  });
});

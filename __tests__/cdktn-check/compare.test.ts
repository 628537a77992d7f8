/**
 * The CDK Terrain check's comparison (tools/cdktn-check/compare.ts) on small synthesized documents: it accepts
 * only the named differences and fails on any other. The real install and synth of both run in `.ci/run`
 * (`npm run cdktn-check`), not here.
 */
import { compareSynths, diffJson, formatComparison, fullProviderSource } from '../../tools/cdktn-check/compare';
import { mapImports } from '../../tools/cdktn-check/cli';

/** A small stack as cdktf 0.21 writes it. */
function stack(
  overrides: {
    runtime?: string;
    functionId?: string;
    bucket?: string;
    cdk?: string;
    aws?: { source: string; version: string };
  } = {},
) {
  return {
    '//': {
      metadata: { backend: 's3', stackName: 'mysfits-dev-questions', version: overrides.cdk ?? '0.21.0' },
      outputs: {},
    },
    provider: { aws: [{ region: 'us-east-1' }] },
    resource: {
      aws_lambda_function: {
        [overrides.functionId ?? 'post-question_function_1A2B3C4D']: {
          function_name: 'mysfits-dev-post-question',
          runtime: overrides.runtime ?? 'nodejs24.x',
          tracing_config: { mode: 'Active' },
          architectures: ['arm64'],
        },
      },
    },
    terraform: {
      backend: {
        s3: { bucket: overrides.bucket ?? 'mysfits-tfstate', key: 'mysfits-dev-questions.tfstate', use_lockfile: true },
      },
      required_providers: { aws: overrides.aws ?? { source: 'aws', version: '6.25.0' } },
    },
  };
}
/** The same stack as cdktn 0.24 with @cdktn/provider-aws 25.7 writes it: only the named differences. */
const asCdktn = (overrides: Parameters<typeof stack>[0] = {}) =>
  stack({ cdk: '0.24.0', aws: { source: 'hashicorp/aws', version: '6.66.0' }, ...overrides });

describe('compareSynths', () => {
  it('finds nothing between identical synths', () => {
    expect(compareSynths({ a: stack() }, { a: stack() })).toEqual({ allowed: [], unexpected: [] });
  });

  it('allows exactly the named differences: provider version and source, the library version in the metadata', () => {
    const { allowed, unexpected } = compareSynths({ a: stack() }, { a: asCdktn() });
    expect(unexpected).toEqual([]);
    expect(allowed.map(({ difference, rule }) => [difference.path, rule.name])).toEqual([
      ['["//"].metadata.version', "the CDK library's own version in its metadata"],
      ['terraform.required_providers.aws.source', 'AWS provider source written out'],
      ['terraform.required_providers.aws.version', 'AWS provider version'],
    ]);
  });

  it('fails on a deliberate attribute difference, naming the stack, the path and both values', () => {
    const { unexpected } = compareSynths({ a: stack() }, { a: asCdktn({ runtime: 'nodejs22.x' }) });
    expect(unexpected).toEqual([
      {
        stack: 'a',
        path: 'resource.aws_lambda_function.post-question_function_1A2B3C4D.runtime',
        kind: 'changed',
        cdktf: 'nodejs24.x',
        cdktn: 'nodejs22.x',
      },
    ]);
  });

  it('fails on another logical id (the resource would be replaced), another backend, a missing stack', () => {
    const renamed = compareSynths(
      { a: stack() },
      { a: asCdktn({ functionId: 'post-question_function_FFFFFFFF' }) },
    ).unexpected;
    expect(renamed.map((d) => [d.path, d.kind])).toEqual([
      ['resource.aws_lambda_function.post-question_function_1A2B3C4D', 'only in cdktf'],
      ['resource.aws_lambda_function.post-question_function_FFFFFFFF', 'only in cdktn'],
    ]);
    const backend = compareSynths({ a: stack() }, { a: asCdktn({ bucket: 'elsewhere' }) }).unexpected;
    expect(backend.map((d) => d.path)).toEqual(['terraform.backend.s3.bucket']);
    const missing = compareSynths({ a: stack(), b: stack() }, { a: asCdktn() }).unexpected;
    expect(missing).toEqual([{ stack: 'b', path: '', kind: 'only in cdktf' }]);
  });

  it('does not stretch the provider rules: another major or another namespace fails', () => {
    const major = compareSynths({ a: stack() }, { a: asCdktn({ aws: { source: 'hashicorp/aws', version: '7.0.0' } }) });
    expect(major.unexpected.map((d) => d.path)).toEqual(['terraform.required_providers.aws.version']);
    const fork = compareSynths({ a: stack() }, { a: asCdktn({ aws: { source: 'someone/aws', version: '6.66.0' } }) });
    expect(fork.unexpected.map((d) => d.path)).toEqual(['terraform.required_providers.aws.source']);
  });

  it('compares arrays element by element', () => {
    expect(diffJson('s', { a: [1, 2] }, { a: [1, 3, 4] })).toEqual([
      { stack: 's', path: 'a[1]', kind: 'changed', cdktf: 2, cdktn: 3 },
      { stack: 's', path: 'a[2]', kind: 'only in cdktn', cdktn: 4 },
    ]);
  });

  it('prints the allowed differences with their reason and every unexpected one', () => {
    const text = formatComparison(compareSynths({ a: stack() }, { a: asCdktn({ runtime: 'nodejs22.x' }) }), 1);
    expect(text).toMatch(/^compared 1 stack\(s\): 3 allowed difference\(s\), 1 unexpected$/m);
    expect(text).toMatch(/^allowed: AWS provider version \(1x\): .*6\.25\.0.*6\.66\.0/m);
    expect(text).toContain(
      'UNEXPECTED: a resource.aws_lambda_function.post-question_function_1A2B3C4D.runtime: "nodejs24.x" (cdktf) -> ' +
        '"nodejs22.x" (cdktn)',
    );
  });
});

describe('provider source addresses', () => {
  it('fills in the default namespace and host', () => {
    expect(fullProviderSource('aws')).toBe('registry.terraform.io/hashicorp/aws');
    expect(fullProviderSource('hashicorp/aws')).toBe('registry.terraform.io/hashicorp/aws');
    expect(fullProviderSource('registry.terraform.io/hashicorp/aws')).toBe('registry.terraform.io/hashicorp/aws');
    expect(fullProviderSource('someone/aws')).toBe('registry.terraform.io/someone/aws');
  });
});

describe('mapImports', () => {
  it('maps cdktf and the AWS provider to their CDK Terrain packages, and nothing else', () => {
    const source = [
      "import { App, TerraformStack } from 'cdktf';",
      "import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';",
      'import * as aws from "@cdktf/provider-aws";',
      "import { Construct } from 'constructs';",
      "const name = 'cdktf';",
    ].join('\n');
    expect(mapImports(source).split('\n')).toEqual([
      "import { App, TerraformStack } from 'cdktn';",
      "import { LambdaFunction } from '@cdktn/provider-aws/lib/lambda-function';",
      'import * as aws from "@cdktn/provider-aws";',
      "import { Construct } from 'constructs';",
      "const name = 'cdktf';",
    ]);
  });
});

/**
 * A Lambda function as every function of this system is deployed: bundled by `build/bundle.ts` and shipped as
 * a Terraform asset (a deterministic zip, so its hash changes only when the code does), X-Ray tracing
 * Active, its own role with exactly the given statements plus the X-Ray write actions, and its own log group
 * with a retention period (created before the function, so Lambda never creates one that never expires).
 */
import { AssetType, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { bundleHandlerFor, type TracingBackend } from '../../build/tracing-variant';
import { FUNCTIONS, LAMBDA_RUNTIME, names, type FunctionKey } from '../../system/definition';
import { packageCode } from './lambda-package';
import { allow, assumeRolePolicy, XRAY_WRITE, type Statement } from './policy-statements';

export interface TracedFunctionProps {
  readonly env: string;
  readonly fn: FunctionKey;
  /** Values for exactly the variables `FUNCTIONS[fn].environment` lists. */
  readonly environment: Readonly<Record<string, string>>;
  /** What the function may do beyond writing its logs and traces. */
  readonly statements: readonly Statement[];
  readonly logRetentionDays: number;
  /** Which build of the handler is deployed (`tracing` in the configuration); default the X-Ray SDK one. */
  readonly tracing?: TracingBackend;
  /** Directory holding `index.js`; defaults to the esbuild bundle of the handler. */
  readonly codeDir?: string;
}

export class TracedFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly logGroup: CloudwatchLogGroup;
  readonly asset: TerraformAsset;

  constructor(scope: Construct, id: string, props: TracedFunctionProps) {
    super(scope, id);
    const definition = FUNCTIONS[props.fn];
    const functionName = names.function(props.env, props.fn);
    checkEnvironment(props.fn, props.environment);

    this.logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: `/aws/lambda/${functionName}`,
      retentionInDays: props.logRetentionDays,
    });

    this.role = new IamRole(this, 'role', {
      name: `${functionName}-role`,
      description: `Execution role of ${functionName}`,
      assumeRolePolicy: assumeRolePolicy(this, 'trust', 'lambda.amazonaws.com').json,
    });
    const permissions = new DataAwsIamPolicyDocument(this, 'permissions', {
      statement: [
        // Log streams of its own log group only; the group itself is created above.
        allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [`${this.logGroup.arn}:*`], 'OwnLogs'),
        XRAY_WRITE,
        ...props.statements,
      ],
    });
    const rolePolicy = new IamRolePolicy(this, 'policy', {
      name: 'least-privilege',
      role: this.role.id,
      policy: permissions.json,
    });

    // A ready-made deterministic zip shipped as a FILE asset: its hash is the hash of the code.
    this.asset = new TerraformAsset(this, 'code', {
      path: packageCode(props.codeDir ?? bundleHandlerFor(props.fn, props.tracing)),
      type: AssetType.FILE,
    });

    this.function = new LambdaFunction(this, 'function', {
      functionName,
      description: definition.description,
      role: this.role.arn,
      runtime: LAMBDA_RUNTIME,
      architectures: ['arm64'],
      handler: 'index.handler',
      filename: this.asset.path,
      sourceCodeHash: this.asset.assetHash,
      memorySize: definition.memorySize,
      timeout: definition.timeoutSeconds,
      tracingConfig: { mode: 'Active' },
      environment: { variables: { ...props.environment } },
      dependsOn: [this.logGroup, rolePolicy],
    });
  }
}

/** The function gets exactly the variables the system definition lists for it: no more, no fewer. */
function checkEnvironment(fn: FunctionKey, environment: Readonly<Record<string, string>>): void {
  const expected = [...FUNCTIONS[fn].environment].sort();
  const given = Object.keys(environment).sort();
  const missing = expected.filter((name) => !given.includes(name));
  const extra = given.filter((name) => !(expected as string[]).includes(name));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `${FUNCTIONS[fn].name}: environment must be exactly ${expected.join(', ')}` +
        (missing.length ? `; missing ${missing.join(', ')}` : '') +
        (extra.length ? `; not allowed ${extra.join(', ')}` : ''),
    );
  }
}

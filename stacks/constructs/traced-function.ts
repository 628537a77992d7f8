/**
 * A Lambda function as every function of this system is deployed: bundled by `build/bundle.ts` and shipped as
 * a Terraform asset (a deterministic zip, so its hash changes only when the code does), X-Ray tracing
 * Active, its own role with exactly the given statements plus the X-Ray write actions, and its own log group
 * with a retention period (created before the function, so Lambda never creates one that never expires).
 * The environment's name, log retention and tracing build come from the enclosing `EnvironmentStack`, and the
 * service name variable (if the function has one) is the function's name, unless given.
 */
import { AssetType, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { bundleHandlerFor, type TracingBackend } from '../../build/tracing-variant';
import { ENV, FUNCTIONS, LAMBDA_RUNTIME, names, type FunctionKey } from '../../system/definition';
import { EnvironmentStack, requireSetting } from '../environment-stack';
import { packageCode } from './lambda-package';
import { allow, assumeRolePolicy, XRAY_WRITE, type Statement } from './policy-statements';

export interface TracedFunctionProps {
  readonly fn: FunctionKey;
  /**
   * Values for exactly the variables `FUNCTIONS[fn].environment` lists; the service name variable may be left
   * out (it is then the function's name).
   */
  readonly environment: Readonly<Record<string, string>>;
  /** What the function may do beyond writing its logs and traces. */
  readonly statements: readonly Statement[];
  /** Directory holding `index.js`; defaults to the esbuild bundle of the handler. */
  readonly codeDir?: string;
  /** The environment's name; default the enclosing environment stack's (required outside one). */
  readonly env?: string;
  /** Default the enclosing environment stack's (required outside one). */
  readonly logRetentionDays?: number;
  /** Which build of the handler is deployed; default the enclosing environment stack's, else the X-Ray SDK one. */
  readonly tracing?: TracingBackend;
}

export class TracedFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly logGroup: CloudwatchLogGroup;
  readonly asset: TerraformAsset;

  constructor(scope: Construct, id: string, props: TracedFunctionProps) {
    super(scope, id);
    const definition = FUNCTIONS[props.fn];
    const settings = EnvironmentStack.settingsFor(this, {
      env: props.env,
      logRetentionDays: props.logRetentionDays,
      tracing: props.tracing,
    });
    const functionName = names.function(requireSetting(settings, 'env', definition.name), props.fn);
    const environment = withServiceName(props.fn, functionName, props.environment);
    checkEnvironment(props.fn, environment);

    this.logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: `/aws/lambda/${functionName}`,
      retentionInDays: requireSetting(settings, 'logRetentionDays', definition.name),
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
      path: packageCode(props.codeDir ?? bundleHandlerFor(props.fn, settings.tracing)),
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
      environment: { variables: environment },
      dependsOn: [this.logGroup, rolePolicy],
    });
  }
}

/** The service name its traces and logs carry is the function's name, unless the caller gives one. */
function withServiceName(
  fn: FunctionKey,
  functionName: string,
  environment: Readonly<Record<string, string>>,
): Record<string, string> {
  const listed = (FUNCTIONS[fn].environment as readonly string[]).includes(ENV.serviceName);
  return listed && environment[ENV.serviceName] === undefined
    ? { ...environment, [ENV.serviceName]: functionName }
    : { ...environment };
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

/**
 * A REST API as every API of this system is deployed: regional, a stage named after the environment with X-Ray
 * tracing on, JSON access logs to its own log group, throttling on every method, CORS allowed for the website's
 * origin only (OPTIONS mock integrations, headers on 4xx/5xx gateway responses), and a deployment that is
 * replaced whenever a method, integration, template or model changes, created before the old one is destroyed.
 * The environment's name, throttling and log retention come from the enclosing `EnvironmentStack`.
 *
 * Usage: add routes (`addLambdaRoute`, or `method` + `addMember` for custom integrations), then `deploy()`.
 */
import { Lazy, TerraformStack, type TerraformResource } from 'cdktf';
import { resolveTokens } from './resolve';
import { Construct } from 'constructs';
import { createHash } from 'node:crypto';
import { ApiGatewayDeployment } from '@cdktf/provider-aws/lib/api-gateway-deployment';
import { ApiGatewayGatewayResponse } from '@cdktf/provider-aws/lib/api-gateway-gateway-response';
import { ApiGatewayIntegration } from '@cdktf/provider-aws/lib/api-gateway-integration';
import { ApiGatewayIntegrationResponse } from '@cdktf/provider-aws/lib/api-gateway-integration-response';
import { ApiGatewayMethod, type ApiGatewayMethodConfig } from '@cdktf/provider-aws/lib/api-gateway-method';
import { ApiGatewayMethodResponse } from '@cdktf/provider-aws/lib/api-gateway-method-response';
import { ApiGatewayMethodSettings } from '@cdktf/provider-aws/lib/api-gateway-method-settings';
import { ApiGatewayResource } from '@cdktf/provider-aws/lib/api-gateway-resource';
import { ApiGatewayRestApi } from '@cdktf/provider-aws/lib/api-gateway-rest-api';
import { ApiGatewayStage } from '@cdktf/provider-aws/lib/api-gateway-stage';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import type { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import {
  ACCESS_LOG_FORMAT,
  GATEWAY_RESPONSE_TEMPLATE,
  GATEWAY_RESPONSE_TYPES,
  gatewayResponseHeaders,
  PREFLIGHT_STATUS,
  preflightHeaders,
} from '../../system/api-responses';
import { LAMBDA_ROUTES, names, type ApiKey, type FunctionKey } from '../../system/definition';
import { EnvironmentStack, requireSetting, type EnvironmentSettings } from '../environment-stack';

export interface TracedRestApiProps {
  readonly api: ApiKey;
  readonly description: string;
  /** The one origin CORS allows (the website's). */
  readonly allowedOrigin: string;
  /** The environment's name (also the stage's); default the enclosing environment stack's (required outside one). */
  readonly env?: string;
  /** Throttling of every method; default the enclosing environment stack's (required outside one). */
  readonly throttling?: EnvironmentSettings['apiThrottling'];
  /** Default the enclosing environment stack's (required outside one). */
  readonly logRetentionDays?: number;
}

/** The environment's settings an API uses, resolved once. */
type ApiSettings = Pick<EnvironmentSettings, 'env' | 'apiThrottling' | 'logRetentionDays'>;

/** A literal value of a mapped header: API Gateway wants it in single quotes. */
const literal = (value: string) => `'${value}'`;

/** Headers as response parameters with literal values: `{ '<prefix>.<name>': "'<value>'" }`. */
const mapHeaders = (prefix: string, headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [`${prefix}.${name}`, literal(value)]));

export class TracedRestApi extends Construct {
  readonly restApi: ApiGatewayRestApi;
  readonly props: TracedRestApiProps;
  private readonly settings: ApiSettings;
  private readonly resources = new Map<string, ApiGatewayResource>();
  private readonly corsMethods = new Map<string, Set<string>>();
  /** Everything the deployment snapshots: its hash is the deployment's replacement trigger. */
  private readonly members: TerraformResource[] = [];
  private deployed?: { stage: ApiGatewayStage; deployment: ApiGatewayDeployment };

  constructor(scope: Construct, id: string, props: TracedRestApiProps) {
    super(scope, id);
    this.props = props;
    const who = `${props.api} API`;
    const settings = EnvironmentStack.settingsFor(this, {
      env: props.env,
      apiThrottling: props.throttling,
      logRetentionDays: props.logRetentionDays,
    });
    this.settings = {
      env: requireSetting(settings, 'env', who),
      apiThrottling: requireSetting(settings, 'apiThrottling', who),
      logRetentionDays: requireSetting(settings, 'logRetentionDays', who),
    };
    this.restApi = new ApiGatewayRestApi(this, 'api', {
      name: names.api(this.settings.env, props.api),
      description: props.description,
      endpointConfiguration: { types: ['REGIONAL'] },
    });
  }

  /** The API Gateway resource id of a path such as `/mysfits/{mysfitId}`, creating the resources on the way. */
  resourceId(path: string): string {
    if (path === '/') return this.restApi.rootResourceId;
    const existing = this.resources.get(path);
    if (existing) return existing.id;
    const cut = path.lastIndexOf('/');
    const parentPath = cut === 0 ? '/' : path.slice(0, cut);
    const resource = new ApiGatewayResource(this, `resource${path.replace(/[{}]/g, '').replace(/\//g, '-')}`, {
      restApiId: this.restApi.id,
      parentId: this.resourceId(parentPath),
      pathPart: path.slice(cut + 1),
    });
    this.resources.set(path, resource);
    this.members.push(resource);
    return resource.id;
  }

  /** A method on a path; CORS preflight for the path will allow it. */
  method(httpMethod: string, path: string, options: Partial<ApiGatewayMethodConfig> = {}): ApiGatewayMethod {
    const method = new ApiGatewayMethod(this, `${httpMethod.toLowerCase()}${this.idOf(path)}`, {
      restApiId: this.restApi.id,
      resourceId: this.resourceId(path),
      httpMethod,
      authorization: 'NONE',
      ...options,
    });
    this.members.push(method);
    if (!this.corsMethods.has(path)) this.corsMethods.set(path, new Set());
    this.corsMethods.get(path)!.add(httpMethod);
    return method;
  }

  /** Resources (integrations, responses, models, validators) whose change must redeploy the API. */
  addMember(...resources: TerraformResource[]): void {
    this.members.push(...resources);
  }

  /**
   * Every route of this API in LAMBDA_ROUTES (or `routes`), each integrated with the function the route names.
   * A route naming a function the stack did not pass in is an error, so the definition and the stack cannot
   * disagree about which function serves a path.
   */
  addLambdaRoutes(functions: Partial<Record<FunctionKey, LambdaFunction>>, routes = LAMBDA_ROUTES): void {
    for (const route of routes.filter((r) => r.api === this.props.api)) {
      const fn = functions[route.function];
      if (!fn) {
        throw new Error(
          `${route.method} ${route.path} (${route.api} API) names function ${route.function}, which this stack does ` +
            `not wire ` +
            `(it wires: ${Object.keys(functions).join(', ') || 'none'})`,
        );
      }
      this.addLambdaRoute(route.method, route.path, fn);
    }
  }

  /** A Lambda proxy integration, and a permission to invoke the function from exactly this method and path. */
  addLambdaRoute(httpMethod: string, path: string, fn: LambdaFunction): void {
    const method = this.method(httpMethod, path);
    const integration = new ApiGatewayIntegration(this, `${httpMethod.toLowerCase()}${this.idOf(path)}-integration`, {
      restApiId: this.restApi.id,
      resourceId: method.resourceId,
      httpMethod: method.httpMethod,
      type: 'AWS_PROXY',
      integrationHttpMethod: 'POST',
      uri: fn.invokeArn,
    });
    this.addMember(integration);
    new LambdaPermission(this, `${httpMethod.toLowerCase()}${this.idOf(path)}-permission`, {
      statementId: `AllowApiGateway-${httpMethod}${this.idOf(path)}`,
      action: 'lambda:InvokeFunction',
      functionName: fn.functionName,
      principal: 'apigateway.amazonaws.com',
      // Any stage, this method, this path (path parameters become `*`).
      sourceArn: `${this.restApi.executionArn}/*/${httpMethod}${path.replace(/\{[^}]+\}/g, '*')}`,
    });
  }

  /** Creates the CORS preflights, the deployment and the traced, logged, throttled stage. Call once, last. */
  deploy(): { stage: ApiGatewayStage; url: string } {
    if (this.deployed) throw new Error(`${this.restApi.name}: deploy() called twice`);
    const { allowedOrigin } = this.props;
    const { env, apiThrottling: throttling, logRetentionDays } = this.settings;
    for (const [path, methods] of this.corsMethods) this.addPreflight(path, [...methods, 'OPTIONS']);
    for (const type of GATEWAY_RESPONSE_TYPES) {
      this.addMember(
        new ApiGatewayGatewayResponse(this, `gateway-response-${type.toLowerCase()}`, {
          restApiId: this.restApi.id,
          responseType: type,
          responseParameters: mapHeaders('gatewayresponse.header', gatewayResponseHeaders(allowedOrigin)),
          responseTemplates: { 'application/json': GATEWAY_RESPONSE_TEMPLATE },
        }),
      );
    }

    const members = [...this.members];
    const deployment = new ApiGatewayDeployment(this, 'deployment', {
      restApiId: this.restApi.id,
      description: 'Managed by cdktf; replaced when the API definition changes',
      triggers: { redeployment: Lazy.stringValue({ produce: () => this.definitionHash(members) }) },
      lifecycle: { createBeforeDestroy: true },
      dependsOn: members,
    });

    const accessLogs = new CloudwatchLogGroup(this, 'access-logs', {
      name: `/aws/apigateway/${names.api(env, this.props.api)}/access`,
      retentionInDays: logRetentionDays,
    });
    // API Gateway would otherwise create the execution log group itself, with no expiry.
    const executionLogs = new CloudwatchLogGroup(this, 'execution-logs', {
      name: `API-Gateway-Execution-Logs_${this.restApi.id}/${env}`,
      retentionInDays: logRetentionDays,
    });
    const stage = new ApiGatewayStage(this, 'stage', {
      restApiId: this.restApi.id,
      deploymentId: deployment.id,
      stageName: env,
      xrayTracingEnabled: true,
      accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT },
      dependsOn: [executionLogs],
    });
    new ApiGatewayMethodSettings(this, 'method-settings', {
      restApiId: this.restApi.id,
      stageName: stage.stageName,
      methodPath: '*/*',
      settings: {
        throttlingRateLimit: throttling.rateLimit,
        throttlingBurstLimit: throttling.burstLimit,
        metricsEnabled: true,
        loggingLevel: 'ERROR',
        dataTraceEnabled: false,
      },
    });
    this.deployed = { stage, deployment };
    return { stage, url: stage.invokeUrl };
  }

  private addPreflight(path: string, methods: string[]): void {
    const id = `options${this.idOf(path)}`;
    const method = this.method('OPTIONS', path);
    const integration = new ApiGatewayIntegration(this, `${id}-integration`, {
      restApiId: this.restApi.id,
      resourceId: method.resourceId,
      httpMethod: 'OPTIONS',
      type: 'MOCK',
      requestTemplates: { 'application/json': '{"statusCode": 200}' },
    });
    // Status and headers from the declaration the sandbox answers preflights with.
    const headers = preflightHeaders(this.props.allowedOrigin, methods);
    const methodResponse = new ApiGatewayMethodResponse(this, `${id}-response`, {
      restApiId: this.restApi.id,
      resourceId: method.resourceId,
      httpMethod: 'OPTIONS',
      statusCode: String(PREFLIGHT_STATUS),
      responseParameters: Object.fromEntries(
        Object.keys(headers).map((name) => [`method.response.header.${name}`, true]),
      ),
    });
    const integrationResponse = new ApiGatewayIntegrationResponse(this, `${id}-integration-response`, {
      restApiId: this.restApi.id,
      resourceId: method.resourceId,
      httpMethod: 'OPTIONS',
      statusCode: methodResponse.statusCode,
      responseParameters: mapHeaders('method.response.header', headers),
      dependsOn: [integration],
    });
    this.addMember(integration, methodResponse, integrationResponse);
  }

  private idOf(path: string): string {
    return path.replace(/[{}]/g, '').replace(/\//g, '-');
  }

  /** Hash of the synthesized configuration of every member: any change to them changes it. */
  private definitionHash(members: TerraformResource[]): string {
    const stack = TerraformStack.of(this);
    const definition = members.map((member) => resolveTokens(stack, member.toTerraform()));
    return createHash('sha256').update(JSON.stringify(definition)).digest('hex');
  }
}

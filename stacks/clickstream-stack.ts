/**
 * The clickstream: `PUT /clicks` is an API Gateway AWS service integration that validates the click against
 * the shared request model (400 at the edge) and calls `firehose:PutRecord`; the delivery stream runs the
 * process-clicks Lambda (which enriches each click from the mysfits API) and a newline delimiter, then writes
 * JSON Lines to a versioned, encrypted, private clicks bucket, keeping failed records under an error prefix.
 */
import { TerraformOutput } from 'cdktf';
import type { Construct } from 'constructs';
import { ApiGatewayIntegration } from '@cdktf/provider-aws/lib/api-gateway-integration';
import { ApiGatewayIntegrationResponse } from '@cdktf/provider-aws/lib/api-gateway-integration-response';
import { ApiGatewayMethodResponse } from '@cdktf/provider-aws/lib/api-gateway-method-response';
import { ApiGatewayModel } from '@cdktf/provider-aws/lib/api-gateway-model';
import { ApiGatewayRequestValidator } from '@cdktf/provider-aws/lib/api-gateway-request-validator';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchLogStream } from '@cdktf/provider-aws/lib/cloudwatch-log-stream';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { KinesisFirehoseDeliveryStream } from '@cdktf/provider-aws/lib/kinesis-firehose-delivery-stream';
import { CLICKS_INTEGRATION_RESPONSES } from '../system/api-responses';
import type { Environment } from '../config/load';
import { CLICK_REQUEST_SCHEMA, CLICKS_DELIVERY, CLICKS_ROUTE, ENV, names, OUTPUTS } from '../system/definition';
import { allow, assumeRolePolicy } from './constructs/policy-statements';
import { SecureBucket } from './constructs/secure-bucket';
import { TracedFunction } from './constructs/traced-function';
import { TracedRestApi } from './constructs/traced-rest-api';
import { EnvironmentStack } from './environment-stack';
import type { ApiStackProps } from './mysfits-stack';

export interface ClickstreamStackProps extends ApiStackProps {
  /** The mysfits API's invoke URL (a cross-stack reference to the mysfits stack). */
  readonly mysfitsApiUrl: string;
}

/** The validated click becomes one Firehose record; the delimiter processor appends the newline. */
export function putRecordTemplate(deliveryStreamName: string): string {
  return `{"DeliveryStreamName": "${deliveryStreamName}", "Record": {"Data": "$util.base64Encode($input.body)"}}`;
}

export class ClickstreamStack extends EnvironmentStack {
  readonly bucket: SecureBucket;
  readonly processClicks: TracedFunction;
  readonly deliveryStream: KinesisFirehoseDeliveryStream;
  readonly firehoseRole: IamRole;
  readonly apiGatewayRole: IamRole;
  readonly api: TracedRestApi;
  readonly apiUrl: string;

  constructor(scope: Construct, env: Environment, props: ClickstreamStackProps) {
    super(scope, 'clickstream', env);
    const { config } = env;
    const streamName = names.deliveryStream(env.name);

    this.bucket = new SecureBucket(this, 'clicks-bucket', {
      bucketPrefix: `${names.prefix(env.name)}-clicks-`,
      encryption: 'aws:kms',
    });
    const bucket = this.bucket.bucket;

    this.processClicks = new TracedFunction(this, 'process-clicks', {
      fn: 'processClicks',
      environment: {
        [ENV.mysfitsApiUrl]: props.mysfitsApiUrl,
        [ENV.mysfitsLookupTimeoutMs]: String(config.mysfitsLookupTimeoutMs),
      },
      // It calls the public mysfits API over HTTPS: nothing beyond its logs and traces.
      statements: [],
    });

    const firehoseLogs = new CloudwatchLogGroup(this, 'firehose-logs', {
      name: `/aws/kinesisfirehose/${streamName}`,
      retentionInDays: config.logRetentionDays,
    });
    const firehoseLogStream = new CloudwatchLogStream(this, 'firehose-log-stream', {
      logGroupName: firehoseLogs.name,
      name: 'DestinationDelivery',
    });

    this.firehoseRole = new IamRole(this, 'firehose-role', {
      name: `${streamName}-firehose`,
      // Firehose's documented trust policy: sts:ExternalId set to the account id
      // (https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3).
      assumeRolePolicy: assumeRolePolicy(this, 'firehose-trust', 'firehose.amazonaws.com', [
        { test: 'StringEquals', variable: 'sts:ExternalId', values: [this.accountId] },
      ]).json,
    });
    const firehosePolicy = new IamRolePolicy(this, 'firehose-policy', {
      role: this.firehoseRole.id,
      name: 'deliver-clicks',
      policy: new DataAwsIamPolicyDocument(this, 'firehose-permissions', {
        statement: [
          allow(
            [
              's3:AbortMultipartUpload',
              's3:GetBucketLocation',
              's3:GetObject',
              's3:ListBucket',
              's3:ListBucketMultipartUploads',
              's3:PutObject',
            ],
            [bucket.arn, `${bucket.arn}/*`],
            'WriteClicks',
          ),
          // Firehose may call the function by a qualified ARN (`...:$LATEST`); `:*` covers this function's
          // versions and aliases only, as AWS CDK's grantInvoke does.
          allow(
            ['lambda:InvokeFunction', 'lambda:GetFunctionConfiguration'],
            [this.processClicks.function.arn, `${this.processClicks.function.arn}:*`],
            'EnrichClicks',
          ),
          allow(['logs:PutLogEvents'], [`${firehoseLogs.arn}:log-stream:${firehoseLogStream.name}`], 'DeliveryErrors'),
        ],
      }).json,
    });

    this.deliveryStream = new KinesisFirehoseDeliveryStream(this, 'delivery-stream', {
      name: streamName,
      destination: 'extended_s3',
      serverSideEncryption: { enabled: true, keyType: 'AWS_OWNED_CMK' },
      extendedS3Configuration: {
        roleArn: this.firehoseRole.arn,
        bucketArn: bucket.arn,
        prefix: CLICKS_DELIVERY.prefix,
        errorOutputPrefix: CLICKS_DELIVERY.errorOutputPrefix,
        bufferingInterval: CLICKS_DELIVERY.bufferingIntervalSeconds,
        bufferingSize: CLICKS_DELIVERY.bufferingSizeMb,
        compressionFormat: 'UNCOMPRESSED',
        cloudwatchLoggingOptions: {
          enabled: true,
          logGroupName: firehoseLogs.name,
          logStreamName: firehoseLogStream.name,
        },
        processingConfiguration: {
          enabled: true,
          processors: [
            {
              type: 'Lambda',
              // Buffering left at Firehose's defaults (CLICKS_DELIVERY): the provider does not keep parameters equal
              // to their defaults in state, so setting them would be a change in every plan
              // (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/kinesis_firehose_delivery_stream#parameters).
              parameters: [{ parameterName: 'LambdaArn', parameterValue: this.processClicks.function.arn }],
            },
            {
              type: 'AppendDelimiterToRecord',
              parameters: [{ parameterName: 'Delimiter', parameterValue: CLICKS_DELIVERY.recordDelimiter }],
            },
          ],
        },
      },
      dependsOn: [firehosePolicy, ...this.bucket.ready],
    });

    // API Gateway's role for the service integration: PutRecord on this stream, nothing else.
    this.apiGatewayRole = new IamRole(this, 'apigateway-firehose-role', {
      name: `${streamName}-apigateway`,
      // AWS documents the trust policy of an AWS-integration credentials role with no condition, and does not say
      // API Gateway sends aws:SourceAccount/aws:SourceArn when it assumes it; least privilege is in the permissions
      // (https://docs.aws.amazon.com/apigateway/latest/developerguide/integrating-api-with-aws-services-kinesis.html).
      assumeRolePolicy: assumeRolePolicy(this, 'apigateway-trust', 'apigateway.amazonaws.com').json,
    });
    const apiGatewayPolicy = new IamRolePolicy(this, 'apigateway-firehose-policy', {
      role: this.apiGatewayRole.id,
      name: 'put-click',
      policy: new DataAwsIamPolicyDocument(this, 'apigateway-firehose-permissions', {
        statement: [allow(['firehose:PutRecord'], [this.deliveryStream.arn], 'PutClick')],
      }).json,
    });

    this.api = new TracedRestApi(this, 'api', {
      api: 'clicks',
      description: 'Mythical Mysfits clickstream',
      allowedOrigin: props.allowedOrigin,
    });
    this.apiUrl = this.clicksRoute(streamName, apiGatewayPolicy, props.allowedOrigin);
    new TerraformOutput(this, OUTPUTS.streamingApiEndpoint, { value: this.apiUrl });
    new TerraformOutput(this, OUTPUTS.clicksBucketName, { value: bucket.bucket });
  }

  private clicksRoute(streamName: string, rolePolicy: IamRolePolicy, allowedOrigin: string): string {
    const api = this.api;
    const restApiId = api.restApi.id;
    const model = new ApiGatewayModel(this, 'click-model', {
      restApiId,
      name: 'Click',
      description: 'A click on a mysfit',
      contentType: 'application/json',
      schema: JSON.stringify(CLICK_REQUEST_SCHEMA),
    });
    const validator = new ApiGatewayRequestValidator(this, 'click-validator', {
      restApiId,
      name: 'validate-click-body',
      validateRequestBody: true,
      validateRequestParameters: false,
    });
    const method = api.method(CLICKS_ROUTE.method, CLICKS_ROUTE.path, {
      requestValidatorId: validator.id,
      requestModels: { 'application/json': model.name },
    });
    const integration = new ApiGatewayIntegration(this, 'clicks-integration', {
      restApiId,
      resourceId: method.resourceId,
      httpMethod: method.httpMethod,
      type: 'AWS',
      integrationHttpMethod: 'POST',
      uri: `arn:${this.partition}:apigateway:${this.region}:firehose:action/PutRecord`,
      credentials: this.apiGatewayRole.arn,
      // Only the validated JSON body reaches Firehose; any other content type gets 415.
      passthroughBehavior: 'NEVER',
      // No `${` in the template, so Terraform's template syntax leaves it alone (Fn.rawString would over-escape it).
      requestTemplates: { 'application/json': putRecordTemplate(streamName) },
      dependsOn: [rolePolicy],
    });
    const origin = `'${allowedOrigin}'`;
    const responses = [
      // Declared once: the sandbox answers clicks with the same statuses and bodies.
      CLICKS_INTEGRATION_RESPONSES.recorded,
      CLICKS_INTEGRATION_RESPONSES.notRecorded,
    ].flatMap(({ statusCode, selectionPattern, body }) => {
      const methodResponse = new ApiGatewayMethodResponse(this, `clicks-response-${statusCode}`, {
        restApiId,
        resourceId: method.resourceId,
        httpMethod: method.httpMethod,
        statusCode,
        responseModels: { 'application/json': 'Empty' },
        responseParameters: { 'method.response.header.Access-Control-Allow-Origin': true },
      });
      const integrationResponse = new ApiGatewayIntegrationResponse(this, `clicks-integration-response-${statusCode}`, {
        restApiId,
        resourceId: method.resourceId,
        httpMethod: method.httpMethod,
        statusCode,
        selectionPattern,
        responseParameters: { 'method.response.header.Access-Control-Allow-Origin': origin },
        responseTemplates: { 'application/json': body },
        dependsOn: [integration, methodResponse],
      });
      return [methodResponse, integrationResponse];
    });
    api.addMember(model, validator, integration, ...responses);
    return api.deploy().url;
  }
}

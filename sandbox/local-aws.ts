/**
 * The sandbox's stand-in AWS account: one region, dummy credentials, local endpoints, and the local names of
 * every resource (env name `local`, from `names` in system/definition.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { names, type FunctionKey } from '../system/definition';

export const LOCAL_ENV = 'local';
export const LOCAL_REGION = 'us-east-1';
/** fauxqs puts this account id into every ARN and queue URL. */
export const LOCAL_ACCOUNT_ID = '000000000000';
/** Never validated by the local services; set so no SDK ever looks for real credentials. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export const localNames = {
  questionsTable: names.table(LOCAL_ENV, 'questions'),
  mysfitsTable: names.table(LOCAL_ENV, 'mysfits'),
  topic: names.topic(LOCAL_ENV),
  onFailureQueue: `${names.prefix(LOCAL_ENV)}-questions-stream-failures`,
  mailboxQueue: `${names.prefix(LOCAL_ENV)}-staff-mailbox`,
  clicksBucket: `${names.prefix(LOCAL_ENV)}-clicks`,
  deliveryStream: names.deliveryStream(LOCAL_ENV),
  function: (key: FunctionKey) => names.function(LOCAL_ENV, key),
  functionArn: (key: FunctionKey) =>
    `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${names.function(LOCAL_ENV, key)}`,
  deliveryStreamArn: () =>
    `arn:aws:firehose:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:deliverystream/${names.deliveryStream(LOCAL_ENV)}`,
};

export interface LocalEndpoints {
  dynamodb: string;
  fauxqs: string;
}

const common = (endpoint: string) => ({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });

export function localClients(endpoints: LocalEndpoints) {
  return {
    dynamodb: new DynamoDBClient(common(endpoints.dynamodb)),
    streams: new DynamoDBStreamsClient(common(endpoints.dynamodb)),
    sns: new SNSClient(common(endpoints.fauxqs)),
    sqs: new SQSClient(common(endpoints.fauxqs)),
    // 127.0.0.1 has no bucket subdomains: path-style addressing.
    s3: new S3Client({ ...common(endpoints.fauxqs), forcePathStyle: true }),
  };
}
export type LocalClients = ReturnType<typeof localClients>;

export function destroyClients(clients: LocalClients): void {
  for (const client of Object.values(clients)) client.destroy();
}

/**
 * What every function process gets besides its own variables: region, dummy credentials and the endpoints the
 * AWS SDK v3 reads from the environment (so handlers need no sandbox-specific code).
 */
export function awsEnvironment(endpoints: LocalEndpoints): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SNS: endpoints.fauxqs,
    AWS_ENDPOINT_URL_SQS: endpoints.fauxqs,
    AWS_ENDPOINT_URL_S3: endpoints.fauxqs,
  };
}

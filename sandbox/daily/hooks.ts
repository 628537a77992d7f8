/**
 * What `startSandbox()` adds for day-to-day use, kept out of its body: the Lambda API over the running function
 * runtimes, and the endpoints record `npm start` writes for the tools.
 */
import { FUNCTIONS, type FunctionKey } from '../../system/definition';
import type { FunctionRuntime } from '../lambda/function-runtime';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION, localNames } from '../local-aws';
import type { SandboxResources } from '../resources/provision';
import { startLambdaApi, type LambdaApi } from './lambda-api';
import type { SandboxEndpoints } from './state-file';

export const traceUrl = (xrayEndpoint: string, traceId: string) => `${xrayEndpoint}/traces/${traceId}`;

export function startSandboxLambdaApi(options: {
  port: number;
  runtimes: Record<FunctionKey, FunctionRuntime>;
  tracing?: Partial<Record<FunctionKey, 'Active' | 'Off'>>;
  xrayEndpoint: string;
  onError?: (error: Error) => void;
}): Promise<LambdaApi> {
  const keys = Object.keys(FUNCTIONS) as FunctionKey[];
  return startLambdaApi({
    port: options.port,
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT_ID,
    traceUrl: (traceId) => traceUrl(options.xrayEndpoint, traceId),
    onError: options.onError,
    functions: keys.map((key) => ({
      name: localNames.function(key),
      arn: localNames.functionArn(key),
      memorySize: FUNCTIONS[key].memorySize,
      timeoutSeconds: FUNCTIONS[key].timeoutSeconds,
      description: FUNCTIONS[key].description,
      tracing: (options.tracing?.[key] ?? 'Active') === 'Active' ? 'Active' : 'PassThrough',
      invoke: (event, traceHeader) => options.runtimes[key].invoke(event, { traceHeader }),
    })),
  });
}

export function endpointsRecord(parts: {
  url: string;
  apis: SandboxEndpoints['apis'];
  xrayEndpoint: string;
  dynamodbEndpoint: string;
  fauxqsEndpoint: string;
  lambdaEndpoint: string;
  resources: SandboxResources;
  logsDir?: string;
}): SandboxEndpoints {
  const { resources } = parts;
  return {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    url: parts.url,
    apis: { questions: parts.apis.questions, mysfits: parts.apis.mysfits, clicks: parts.apis.clicks },
    xrayEndpoint: parts.xrayEndpoint,
    dynamodbEndpoint: parts.dynamodbEndpoint,
    fauxqsEndpoint: parts.fauxqsEndpoint,
    lambdaEndpoint: parts.lambdaEndpoint,
    region: LOCAL_REGION,
    // Named, not spread: the SDK marks the shared object with its own bookkeeping fields.
    credentials: { accessKeyId: LOCAL_CREDENTIALS.accessKeyId, secretAccessKey: LOCAL_CREDENTIALS.secretAccessKey },
    functions: (Object.keys(FUNCTIONS) as FunctionKey[]).map((key) => localNames.function(key)),
    tables: [resources.questionsTable, resources.mysfitsTable],
    topicArn: resources.topicArn,
    queues: {
      [localNames.mailboxQueue]: resources.mailboxQueueUrl,
      [localNames.onFailureQueue]: resources.onFailureQueueUrl,
    },
    bucket: resources.clicksBucket,
    ...(parts.logsDir ? { logsDir: parts.logsDir } : {}),
  };
}

/**
 * What `npm start` prints once the sandbox is up: every endpoint, the credentials and region any AWS client
 * (SDK, AWS CLI) can use against it, the table names, topic, queue URLs and bucket, and the daily commands.
 */
import type { SandboxEndpoints } from './state-file';

/** `otlp`: the OTLP/HTTP receiver and the tracing build the functions run, for `npm start`'s banner. */
export function formatBanner(
  endpoints: SandboxEndpoints,
  endpointsFile?: string,
  otlp?: { endpoint: string; backend: string },
): string {
  const { url, apis, xrayEndpoint: xray, credentials, region } = endpoints;
  const xrayPort = new URL(xray).port;
  const queues = Object.entries(endpoints.queues).map(([name, queueUrl]) => `${queueUrl}  (${name})`);
  const lines = [
    'The sandbox is running (Ctrl-C stops it):',
    `  Website          ${url}/`,
    `  X-Ray console    ${xray}/            (service map; traces at ${xray}/traces)`,
    `  Staff mailbox    ${url}/_sandbox/mailbox     (or: npm run mailbox)`,
    `  Questions API    POST ${apis.questions}/questions`,
    `  Mysfits API      GET ${apis.mysfits}/mysfits · GET ${apis.mysfits}/mysfits/{mysfitId}`,
    `  Clicks API       PUT ${apis.clicks}/clicks`,
    "                   (each API its own origin, allowing only the website's: CORS as deployed)",
    `  X-Ray API        ${xray}  (AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:${xrayPort})`,
    ...(otlp
      ? [`  OTLP/HTTP        ${otlp.endpoint}/v1/traces  (functions traced with ${otlp.backend}; TRACING= switches)`]
      : []),
    `  Lambda API       ${endpoints.lambdaEndpoint}  functions ${endpoints.functions.join(', ')}`,
    `  DynamoDB         ${endpoints.dynamodbEndpoint}  tables ${endpoints.tables.join(', ')}`,
    `  SNS/SQS/S3       ${endpoints.fauxqsEndpoint}  topic ${endpoints.topicArn}, bucket ${endpoints.bucket}`,
    `  Queues           ${queues.join('\n                   ')}`,
    '',
    'Any AWS client works against these endpoints (any access key works; DynamoDB shares its tables across keys and',
    'regions; SNS/SQS/S3 ARNs and queue URLs name the region below):',
    `  export AWS_ACCESS_KEY_ID=${credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${credentials.secretAccessKey} ` +
      `AWS_REGION=${region} AWS_DEFAULT_REGION=${region}`,
    `  /usr/bin/aws dynamodb scan --endpoint-url ${endpoints.dynamodbEndpoint} --table-name ` +
      `${endpoints.tables[1] ?? endpoints.tables[0]} --select COUNT`,
    `  /usr/bin/aws lambda invoke --endpoint-url ${endpoints.lambdaEndpoint} --function-name ` +
      `${endpoints.functions[0]} --cli-binary-format raw-in-base64-out --payload file://events/post-question.json ` +
      `out.json`,
    '',
    'Daily commands: npm run invoke -- <function> --event <file|->, npm run logs -- <function> [--follow],',
    '                npm run check-traces -- --env local, npm run mailbox',
  ];
  if (endpointsFile) lines.push(`Endpoints for tools: ${endpointsFile}`);
  return lines.join('\n');
}

/**
 * The resources beside the functions: the tables, the questions stream's event source mapping, the clicks
 * delivery stream, and every resource's name per environment. The stacks deploy them; the sandbox creates and
 * emulates the same ones; the trace checker and the tools find them by these names.
 */
import type { ApiKey } from './api';
import { FUNCTIONS, type FunctionKey } from './functions';

/** Tables: key schema and streams, used by the stacks and by the sandbox's CreateTable. */
export const TABLES = {
  questions: {
    name: 'questions',
    hashKey: { name: 'QuestionId', type: 'S' },
    streamViewType: 'NEW_IMAGE',
    /** DynamoDB TTL attribute (epoch seconds): the question's deletion time. */
    ttlAttribute: 'ExpiresAt',
  },
  mysfits: {
    name: 'mysfits',
    hashKey: { name: 'MysfitId', type: 'S' },
    streamViewType: undefined,
    ttlAttribute: undefined,
  },
} as const;

/** The questions-stream -> process-questions-stream event source mapping (deployed and emulated alike). */
export const QUESTIONS_STREAM_MAPPING = {
  startingPosition: 'TRIM_HORIZON',
  batchSize: 10,
  // No batching window: questions are few, and staff should get them at once (Lambda polls the shard 4x/s).
  maximumBatchingWindowInSeconds: 0,
  bisectBatchOnFunctionError: true,
  maximumRetryAttempts: 3,
  maximumRecordAgeInSeconds: 3600,
  functionResponseTypes: ['ReportBatchItemFailures'],
  /**
   * Only new questions invoke the function: marking a question as notified (MODIFY) and TTL deletions (REMOVE)
   * are discarded by Lambda before invoking. https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html
   */
  filterPatterns: ['{"eventName":["INSERT"]}'],
} as const;

/** The clicks delivery stream (deployed and emulated alike). */
export const CLICKS_DELIVERY = {
  prefix: 'firehose/',
  errorOutputPrefix: 'firehose-errors/!{firehose:error-output-type}/',
  bufferingIntervalSeconds: 60,
  bufferingSizeMb: 5,
  /**
   * The Lambda processor buffers with Firehose's defaults, 1 MB / 60 s
   * (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html). The stack does not set them:
   * the AWS provider does not store processor parameters equal to their defaults, so setting them would make
   * every plan show a change.
   */
  processorBufferSizeMb: 1,
  processorBufferIntervalSeconds: 60,
  /** Newline between records, so the objects in S3 are JSON Lines. */
  recordDelimiter: '\\n',
} as const;

/** Names as deployed, per environment: one place so stacks, sandbox and checker agree. */
export const names = {
  prefix: (env: string) => `mysfits-${env}`,
  function: (env: string, key: FunctionKey) => `mysfits-${env}-${FUNCTIONS[key].name}`,
  table: (env: string, table: keyof typeof TABLES) => `mysfits-${env}-${TABLES[table].name}`,
  api: (env: string, api: ApiKey) => `mysfits-${env}-${api}-api`,
  /** X-Ray names a REST API stage's segment `<api name>/<stage name>`. */
  stageSegment: (env: string, api: ApiKey, stage = env) => `mysfits-${env}-${api}-api/${stage}`,
  topic: (env: string) => `mysfits-${env}-questions`,
  /** The questions stream mapping's on-failure queue. */
  streamFailureQueue: (env: string) => `mysfits-${env}-questions-stream-failures`,
  deliveryStream: (env: string) => `mysfits-${env}-clicks`,
} as const;

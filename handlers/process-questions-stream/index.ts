/**
 * The process-questions-stream function: its settings, read once at cold start, and the questions table and
 * topic behind the handler (./handler has the logic, ./notify the once-only e-mail).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { ENV, FUNCTIONS } from '../../system/functions';
import { createLogger } from '../shared/logger';
import { requiredSetting } from '../shared/settings';
import { captureClient } from '../shared/tracing';
import { createStreamHandler } from './handler';
import { awsNotifier } from './notify';

const service = process.env[ENV.serviceName] || FUNCTIONS.processQuestionsStream.name;

export const handler = createStreamHandler({
  service,
  logger: createLogger(service),
  notifier: awsNotifier({
    topicArn: requiredSetting(process.env, ENV.questionsTopicArn),
    tableName: requiredSetting(process.env, ENV.questionsTableName),
    sns: captureClient(new SNSClient({})),
    // The plain client (notify.ts marshals its own keys and values): no document client to load at cold start.
    dynamodb: captureClient(new DynamoDBClient({})),
  }),
});

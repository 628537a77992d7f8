/**
 * The post-question function: its settings, read once at cold start, and the questions table behind the
 * handler (./handler has the logic).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DEFAULTS, ENV, FUNCTIONS } from '../../system/functions';
import { createLogger } from '../shared/logger';
import { numberSetting, requiredSetting } from '../shared/settings';
import { captureClient } from '../shared/tracing';
import { readHangingSwitch } from './hanging-exception';
import { createPostQuestionHandler } from './handler';
import { dynamoQuestionStore } from './store';

const service = process.env[ENV.serviceName] || FUNCTIONS.postQuestion.name;

export const handler = createPostQuestionHandler({
  service,
  logger: createLogger(service),
  settings: {
    allowedOrigin: requiredSetting(process.env, ENV.allowedOrigin),
    hanging: readHangingSwitch(process.env),
    retentionDays: numberSetting(process.env, ENV.questionRetentionDays, {
      defaultValue: DEFAULTS.questionRetentionDays,
      min: 1,
      max: 3650,
      integer: true,
    }),
  },
  // The plain client and marshall, not the document client (which wraps the same client): less to load.
  store: dynamoQuestionStore(
    captureClient(new DynamoDBClient({})),
    requiredSetting(process.env, ENV.questionsTableName),
  ),
});

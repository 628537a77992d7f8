/**
 * The mysfits-api function: its settings, read once at cold start, and the mysfits table behind the handler
 * (./handler has the logic).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ENV, FUNCTIONS } from '../../system/functions';
import { createLogger } from '../shared/logger';
import { requiredSetting } from '../shared/settings';
import { captureClient } from '../shared/tracing';
import { dynamoCatalogue } from './catalogue';
import { createMysfitsApiHandler } from './handler';

const service = process.env[ENV.serviceName] || FUNCTIONS.mysfitsApi.name;

export const handler = createMysfitsApiHandler({
  service,
  logger: createLogger(service),
  // The plain client and (un)marshall, not the document client: the same requests, less to load at cold start.
  catalogue: dynamoCatalogue(captureClient(new DynamoDBClient({})), requiredSetting(process.env, ENV.mysfitsTableName)),
  allowedOrigin: requiredSetting(process.env, ENV.allowedOrigin),
});

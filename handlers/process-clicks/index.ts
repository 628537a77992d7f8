/**
 * The process-clicks function (Firehose transformation): its settings, read once at cold start, and the
 * mysfits API lookup behind the handler (./handler has the logic).
 */
import { DEFAULTS, ENV, FUNCTIONS } from '../../system/functions';
import { createLogger } from '../shared/logger';
import { numberSetting, urlSetting } from '../shared/settings';
import { createClicksHandler } from './handler';
import { createMysfitLookup } from './mysfit-lookup';

const service = process.env[ENV.serviceName] || FUNCTIONS.processClicks.name;

export const handler = createClicksHandler({
  service,
  logger: createLogger(service),
  lookup: createMysfitLookup(
    urlSetting(process.env, ENV.mysfitsApiUrl),
    numberSetting(process.env, ENV.mysfitsLookupTimeoutMs, {
      defaultValue: DEFAULTS.mysfitsLookupTimeoutMs,
      min: 1,
      max: 60_000,
      integer: true,
    }),
  ),
});

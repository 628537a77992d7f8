/**
 * Naming a function on the command line: its key (`postQuestion`), its short name (`post-question`), its local
 * deployed name (`mysfits-local-post-question`) or its ARN all name the same function. Sample events for each
 * function and each API route live in `events/`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FUNCTIONS, LAMBDA_ROUTES, type FunctionKey } from '../../system/definition';
import { localNames } from '../../sandbox/local-aws';

export const EVENTS_DIR = path.join(__dirname, '..', '..', 'events');

export interface SampleEvent {
  file: string;
  function: FunctionKey;
  /** `METHOD /path` of the API route the event comes from (API Gateway proxy events only). */
  route?: string;
  what: string;
}

/** The first sample of a function is the one `--generate <function>` prints. */
export const SAMPLE_EVENTS: readonly SampleEvent[] = [
  {
    file: 'post-question.json',
    function: 'postQuestion',
    route: 'POST /questions',
    what: 'API Gateway proxy request: a question',
  },
  {
    file: 'mysfits-api.list.json',
    function: 'mysfitsApi',
    route: 'GET /mysfits',
    what: 'API Gateway proxy request: the Evil mysfits',
  },
  {
    file: 'mysfits-api.get.json',
    function: 'mysfitsApi',
    route: 'GET /mysfits/{mysfitId}',
    what: 'API Gateway proxy request: one mysfit',
  },
  {
    file: 'process-questions-stream.json',
    function: 'processQuestionsStream',
    what: 'DynamoDB stream batch: one new question',
  },
  { file: 'process-clicks.json', function: 'processClicks', what: 'Firehose transformation batch: two clicks' },
];

const FUNCTION_KEYS = Object.keys(FUNCTIONS) as FunctionKey[];

export class UnknownNameError extends Error {}

export function knownFunctionNames(): string {
  return FUNCTION_KEYS.map((key) => `${FUNCTIONS[key].name} (${localNames.function(key)})`).join(', ');
}

export function resolveFunction(name: string): FunctionKey {
  const key = FUNCTION_KEYS.find(
    (k) =>
      name === k || name === FUNCTIONS[k].name || name === localNames.function(k) || name === localNames.functionArn(k),
  );
  if (!key) throw new UnknownNameError(`unknown function "${name}"; the functions are: ${knownFunctionNames()}`);
  return key;
}

const normaliseRoute = (route: string) =>
  route
    .trim()
    .replace(/\s+/, ' ')
    .replace(/^(\w+)/, (m) => m.toUpperCase());

/** A function name or a route (`"GET /mysfits/{mysfitId}"`) -> its sample event. */
export function sampleFor(nameOrRoute: string): SampleEvent {
  if (/^[a-z]+\s+\//i.test(nameOrRoute.trim())) {
    const route = normaliseRoute(nameOrRoute);
    const sample = SAMPLE_EVENTS.find((s) => s.route === route);
    if (!sample) {
      const routes = LAMBDA_ROUTES.map((r) => `"${r.method} ${r.path}"`).join(', ');
      throw new UnknownNameError(`unknown route "${nameOrRoute}"; the routes served by functions are: ${routes}`);
    }
    return sample;
  }
  const key = resolveFunction(nameOrRoute);
  return SAMPLE_EVENTS.find((s) => s.function === key)!;
}

export const readSample = (sample: SampleEvent) => fs.readFileSync(path.join(EVENTS_DIR, sample.file), 'utf8');

/**
 * The HTTP APIs as their clients see them: the routes, the click request model, the question rules and the
 * idempotency key of POST /questions, the mysfit view and its filters, the rate-limited answer and the CORS
 * headers. The stacks deploy them, the sandbox gateway serves them, the handlers answer by them and the browser
 * site calls them, so this module holds browser-safe plain data only.
 */
import type { FunctionKey } from './functions';

export type ApiKey = 'questions' | 'clicks' | 'mysfits';

export interface LambdaRoute {
  readonly api: ApiKey;
  readonly method: 'GET' | 'POST' | 'PUT';
  /** API Gateway resource path; `{name}` is a path parameter. */
  readonly path: string;
  readonly function: FunctionKey;
}

/** Routes served by Lambda proxy integrations. */
export const LAMBDA_ROUTES: readonly LambdaRoute[] = [
  { api: 'questions', method: 'POST', path: '/questions', function: 'postQuestion' },
  { api: 'mysfits', method: 'GET', path: '/mysfits', function: 'mysfitsApi' },
  { api: 'mysfits', method: 'GET', path: '/mysfits/{mysfitId}', function: 'mysfitsApi' },
];

/** `PUT /clicks`: an API Gateway AWS service integration to Firehose PutRecord (no Lambda in front). */
export const CLICKS_ROUTE = { api: 'clicks', method: 'PUT', path: '/clicks' } as const;

/**
 * The click request model. API Gateway validates the body against it (JSON Schema draft 4) before the
 * Firehose integration runs, and the sandbox validates with the same schema, so a malformed click gets 400
 * at the edge in both places.
 */
export const CLICK_REQUEST_SCHEMA = {
  $schema: 'http://json-schema.org/draft-04/schema#',
  title: 'Click',
  type: 'object',
  required: ['userId', 'mysfitId'],
  additionalProperties: false,
  properties: {
    userId: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' },
    mysfitId: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' },
  },
} as const;

/** Question rules shared by the API handler and the website's form. */
export const QUESTION_RULES = {
  maxQuestionLength: 2000,
  maxBodyBytes: 16 * 1024,
  maxEmailLength: 254,
  /** A form field people never see; a value in it means a bot, answered as a success but never stored. */
  honeypotField: 'website',
} as const;

/**
 * `Idempotency-Key` request header of POST /questions: a retry with the same key returns the first answer and
 * stores nothing new; the same key with a different question is refused (422). An opaque value the client
 * chooses per question: a UUID.
 */
export const IDEMPOTENCY_KEY = {
  header: 'Idempotency-Key',
  pattern: /^[A-Za-z0-9_-]{16,128}$/,
  description: '16 to 128 characters of A-Z, a-z, 0-9, "_" and "-" (a UUID fits)',
} as const;

/**
 * A mysfit as the mysfits API returns it (`GET /mysfits` -> `{ mysfits: MysfitView[] }`,
 * `GET /mysfits/{mysfitId}` -> `MysfitView`). The table stores the PascalCase attributes of `data/mysfits.json`.
 */
export interface MysfitView {
  mysfitId: string;
  name: string;
  species: string;
  age: number;
  goodEvil: 'Good' | 'Neutral' | 'Evil';
  lawChaos: 'Lawful' | 'Neutral' | 'Chaotic';
  description: string;
  thumbImageUri: string;
  profileImageUri: string;
  likes: number;
  adopted: boolean;
}

/** `GET /mysfits?filter=<one of these>&value=<one of its values>`. */
export const MYSFIT_FILTERS = {
  GoodEvil: ['Good', 'Neutral', 'Evil'],
  LawChaos: ['Lawful', 'Neutral', 'Chaotic'],
} as const;

/**
 * The answer to a client over `questionsRateLimit` on POST /questions: 429 with this JSON body (AWS WAF's custom
 * response in the questions stack; the sandbox can answer the same).
 */
export const RATE_LIMITED_RESPONSE = {
  statusCode: 429,
  body: { message: 'Too many requests from this address: try again in a few minutes' },
} as const;

/**
 * Methods the Lambda-served routes answer (and OPTIONS, the preflight): what their answers' CORS headers list.
 * Marked pure, like `LAMBDA_NODE_MAJOR`, so a bundle that does not read it (the site, process-clicks) leaves it
 * and the routes out.
 */
export const LAMBDA_ROUTE_METHODS = /* @__PURE__ */ [
  'OPTIONS',
  ...new Set(LAMBDA_ROUTES.map((route) => route.method)),
].join(',');

/** Request headers the APIs' CORS preflights allow: the stacks' OPTIONS mock integrations and the sandbox alike. */
export const CORS_ALLOW_HEADERS =
  'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,X-Amzn-Trace-Id,Idempotency-Key';
